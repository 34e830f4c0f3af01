"""Where the nix grammar comes from: the language pack, or a compiled grammar named by
$HOMEWARD_NIX_GRAMMAR (what the Nix package sets, from nixpkgs' tree-sitter-grammars)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from importlib import util
from pathlib import Path

import pytest

from homeward.errors import HomewardError
from homeward.syntax.parse import GRAMMAR_ENV, load_grammar, parse_tree

from .conftest import EXAMPLE, need

TRAILING_COMMA = b"{ pkgs, lib, }: { home.packages = [ pkgs.git ]; }"


def _pack_binding() -> Path:
    """The nix grammar library the language pack's wheel ships (a Python extension module)."""
    spec = util.find_spec("tree_sitter_language_pack")
    if spec is None or spec.origin is None:  # the Nix package's test run: nixpkgs' grammar only
        pytest.skip("tree-sitter-language-pack is not installed")
    found = sorted((Path(spec.origin).parent / "bindings").glob("nix.*so"))
    assert found, "the language pack ships no nix grammar library"
    return found[0]


def _sexp(language_source: Path | None, text: bytes) -> str:
    from tree_sitter import Parser

    if language_source is None:
        return str(parse_tree(text).root_node)
    return str(Parser(load_grammar(language_source)).parse(text).root_node)


def test_pack_binding_library_loads_as_a_grammar() -> None:
    """Why: the loader for a grammar library file must give the same trees as the pack."""
    binding = _pack_binding()
    assert _sexp(binding, TRAILING_COMMA) == _sexp(None, TRAILING_COMMA)
    assert "ERROR" not in _sexp(binding, TRAILING_COMMA)


def _symbol_offset(library: Path, symbol: str) -> int:
    p = subprocess.run(["nm", str(library)], capture_output=True, text=True, check=True)
    match = re.search(rf"^([0-9a-f]+) [tT] {symbol}$", p.stdout, re.MULTILINE)
    assert match, f"{symbol} not in {library}"
    return int(match.group(1), 16)


def test_plain_grammar_library_exporting_tree_sitter_nix(tmp_path: Path) -> None:
    """Why: nixpkgs' tree-sitter-grammars.tree-sitter-nix is `$out/parser`, a plain library
    exporting `tree_sitter_nix`. The pack hides that symbol, so this test builds such a library
    from the pack's own grammar: a shim exporting `tree_sitter_nix` that calls the pack's."""
    need("gcc", "it builds a plain grammar library")
    need("nm", "it finds the grammar's symbols")
    binding = _pack_binding()
    init = _symbol_offset(binding, "PyInit_nix")
    language = _symbol_offset(binding, "tree_sitter_nix")
    (tmp_path / "shim.c").write_text(
        "extern void *PyInit_nix(void);\n"
        "typedef const void *(*language_fn)(void);\n"
        "const void *tree_sitter_nix(void) {\n"
        f"  return ((language_fn)((const char *)PyInit_nix - {init} + {language}))();\n"
        "}\n"
    )
    out = tmp_path / "grammar"  # laid out as nixpkgs' output: the library is `parser`
    out.mkdir()
    subprocess.run(
        [
            "gcc",
            "-shared",
            "-fPIC",
            "-o",
            str(out / "parser"),
            str(tmp_path / "shim.c"),
            f"-L{binding.parent}",
            f"-l:{binding.name}",
            f"-Wl,-rpath,{binding.parent}",
        ],
        check=True,
    )
    nm = subprocess.run(
        ["nm", "-D", str(out / "parser")], capture_output=True, text=True, check=True
    )
    assert re.search(r" T tree_sitter_nix$", nm.stdout, re.MULTILINE)
    assert "PyInit" not in nm.stdout.split("T tree_sitter_nix")[1]
    assert _sexp(out, TRAILING_COMMA) == _sexp(None, TRAILING_COMMA)
    assert _sexp(out / "parser", TRAILING_COMMA) == _sexp(None, TRAILING_COMMA)


def test_not_a_grammar_is_a_located_error(tmp_path: Path) -> None:
    """Why: a wrong $HOMEWARD_NIX_GRAMMAR must say what is wrong, not crash in ctypes."""
    missing = tmp_path / "nothing.so"
    with pytest.raises(HomewardError, match="cannot load the nix grammar"):
        load_grammar(missing)
    libc = Path("/lib/x86_64-linux-gnu/libc.so.6")
    if libc.exists():
        with pytest.raises(HomewardError, match="is not a nix grammar"):
            load_grammar(libc)


def test_check_with_the_grammar_from_the_environment_never_imports_the_pack() -> None:
    """Why: the Nix package has no language pack; with the env var set it must not be needed."""
    probe = (
        "import sys\n"
        "from homeward.cli import main\n"
        "code = main(['check', sys.argv[1], '--format', 'json'])\n"
        "assert 'tree_sitter_language_pack' not in sys.modules, 'the pack was imported'\n"
        "sys.exit(code)\n"
    )
    env = dict(os.environ, **{GRAMMAR_ENV: str(_pack_binding())})
    p = subprocess.run(
        [sys.executable, "-c", probe, str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert p.returncode == 1, p.stderr  # the legacy example has findings of error severity
    findings = json.loads(p.stdout)["findings"]
    assert {"HW001", "HW002"} <= {f["code"] for f in findings}
