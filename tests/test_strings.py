"""String literals as nix reads them: escapes, `${` escapes and the indentation of `''` strings,
with and without interpolation (the evaluator and `syntax/nodes.string_value` read them alike)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.helpers import write

# (expression, its value as nix 2.8 prints it with `nix-instantiate --eval --json`)
STRINGS = [
    pytest.param('let x = "X"; in "a\\n${x}\\tb\\r"', "a\nX\tb\r", id="escapes-interpolated"),
    pytest.param('let x = "X"; in "${x}\\${y}\\"z\\\\"', 'X${y}"z\\', id="quote-dollar-backslash"),
    pytest.param(
        "let x = \"X\"; in ''a''\\n${x}'''b''${c}''", "a\nX''b${c}", id="indented-escapes"
    ),
    pytest.param(
        "let x = \"X\"; in ''\n    ${x}\n  c\n    ''", "  X\nc\n", id="indented-interpolation"
    ),
    pytest.param("let x = \"X\"; in ''\n    a\n  ${x}''", "  a\nX", id="interpolation-last"),
    pytest.param("''\n  a\n    ''", "a\n", id="indented-last-line-of-spaces"),
    pytest.param("''\n  ''\\t a\n    b''", "\t a\n  b", id="indented-escaped-tab"),
    pytest.param("''  a\n    b\n  ''", "a\n  b\n", id="indented-first-line-kept"),
    pytest.param('"a\\nb"', "a\nb", id="plain-escape"),
]


def evaluate(root: Path, expression: str) -> object:
    from homeward.model.eval import Evaluator
    from homeward.model.values import PathValue, Str
    from homeward.syntax.parse import parse_source

    ev = Evaluator(root)
    source = parse_source(expression.encode(), root / "expr.nix").check()
    node = source.root.child_by_field_name("expression")
    assert node is not None
    value = ev.eval(node, ev.globals, source)
    if isinstance(value, PathValue):
        return value.path
    assert isinstance(value, Str), value
    return value.value


@pytest.mark.parametrize(("expression", "expected"), STRINGS)
def test_the_evaluator_reads_strings_as_nix_does(
    tmp_path: Path, expression: str, expected: str
) -> None:
    """Why: an escape in a string with `${…}` was read as its last character (`"\\n"` -> `n`),
    and an interpolated `''` string kept its indentation."""
    root = write(tmp_path, {"flake.nix": "{ }\n"})
    assert evaluate(root, expression) == expected


@pytest.mark.nix
@pytest.mark.parametrize(("expression", "expected"), STRINGS)
def test_the_expected_values_are_nix_s(expression: str, expected: str) -> None:
    """Why: the table above is what real nix answers, not what homeward happens to answer."""
    out = subprocess.run(
        ["nix-instantiate", "--eval", "--json", "--expr", expression],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(out.stdout) == expected


def test_a_flake_path_with_an_escape_is_the_file_it_names(tmp_path: Path) -> None:
    """Why: `"${self}/…"` read its escapes the same wrong way (`\\t` -> `t`)."""
    root = write(tmp_path, {"flake.nix": "{ }\n"})
    path = evaluate(root, 'let self = { outPath = ./.; }; in "${self}/hosts/a\\tb.nix"')
    assert path == root.resolve() / "hosts" / "a\tb.nix"
