"""One quoting of a Nix string for everything homeward writes (emitted code, the `--apply`
text nix/ops.py gives `nix eval`), checked against the real nix: what nix reads back is the
value, never code."""

from __future__ import annotations

import ast
import json

import pytest

from homeward.nix import run
from homeward.nix.ops import keep_expression
from homeward.quoting import quote_string
from homeward.syntax import emit
from tests.test_layers import modules

VALUES = [
    "",
    'say "hi"',
    "a \\ b",
    "\\",
    "${x}",
    "$${x}",  # nix's own escape of `${`: it must stay two dollars and a brace
    "\\${x}",
    "$",
    "a$",
    "$\\",
    "''",
    "line\nnext\n",
    "tab\tcr\r",
    "ünïcode ✓",
]


def test_quoting_escapes_what_a_nix_string_would_read() -> None:
    assert quote_string('"') == '"\\""'
    assert quote_string("\\") == '"\\\\"'
    assert quote_string("${x}") == '"\\${x}"'
    assert quote_string("$${x}") == '"$\\${x}"'
    assert quote_string("a\nb") == '"a\\nb"'
    assert emit.quote_string is quote_string  # the emitter's is this one


@pytest.mark.nix
def test_nix_reads_back_every_value() -> None:
    listed = "[ " + " ".join(quote_string(v) for v in VALUES) + " ]"
    p = run.run_instantiate(["--eval", "--strict", "--json", "-E", listed])
    assert p.ok, p.stderr
    assert json.loads(p.stdout) == VALUES


@pytest.mark.nix
def test_the_attributes_verify_keeps_are_the_names_as_written() -> None:
    """Why: `verify --host` writes the flake's names into the `--apply` text as strings."""
    names = [v for v in VALUES if v]
    value = "{ " + " ".join(f"{quote_string(n)} = 1;" for n in [*names, "other"]) + " }"
    expression = f"let value = {value}; in builtins.attrNames {keep_expression(names)}"
    p = run.run_instantiate(["--eval", "--strict", "--json", "-E", expression])
    assert p.ok, p.stderr
    assert json.loads(p.stdout) == sorted(names)


def test_one_module_quotes_nix_strings() -> None:
    """Why: nix/ops.py had a copy of syntax/emit.py's quoting (nix/ may not import syntax/);
    both now import `homeward.quoting`, and no other module escapes `${` itself."""
    escaping = [
        m.rel
        for m in modules()
        for node in ast.walk(m.tree)
        if isinstance(node, ast.Constant) and node.value == "\\${"
    ]
    assert escaping == ["quoting.py"]
