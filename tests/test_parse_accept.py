"""Parser acceptance: tree-sitter accepts what nix accepts, and rejects what nix rejects.

`tests/fixtures/parse/valid/` holds constructs real configurations use (trailing commas in
formals, `@` patterns on both sides, `inherit (x) a b;`, `''${` in indented strings,
interpolated paths, comments everywhere); `invalid/` holds broken files both must reject;
`disagree/` holds the known differences between the grammar and nix (nix also checks names
while parsing). Every other `.nix` file under tests/fixtures and examples/ must be judged the
same by both.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from homeward.syntax.parse import parse_source
from tests.conftest import EXAMPLE, FIXTURES, ROOT

PARSE = FIXTURES / "parse"
VALID = sorted((PARSE / "valid").glob("*.nix"))
INVALID = sorted((PARSE / "invalid").glob("*.nix"))

# Known differences: file -> (tree-sitter accepts, nix accepts, why). Once the two agree on a
# file, its test fails: move the file to valid/ or invalid/.
KNOWN_DISAGREEMENTS: dict[str, tuple[bool, bool, str]] = {
    "undefined-variable.nix": (True, False, "nix resolves variables while parsing"),
    "path-trailing-slash.nix": (True, False, "nix rejects a path ending in `/`"),
    "empty-inherit.nix": (False, True, "the grammar needs a name after `inherit`"),
}
EVERY_NIX_FILE = sorted(
    p
    for base in (FIXTURES, ROOT / "examples")
    for p in base.rglob("*.nix")
    if p.parent != PARSE / "disagree"
)


def tree_sitter_accepts(path: Path) -> bool:
    source = parse_source(path.read_bytes(), path)
    return source.first_problem() is None


def nix_accepts(path: Path) -> bool:
    p = subprocess.run(
        ["nix-instantiate", "--parse", str(path)], capture_output=True, check=False, timeout=60
    )
    return p.returncode == 0


def _id(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_fixture_sets_are_not_empty() -> None:
    assert len(VALID) >= 6 and len(INVALID) >= 3
    assert EXAMPLE / "flake.nix" in EVERY_NIX_FILE


@pytest.mark.parametrize("path", VALID, ids=_id)
def test_tree_sitter_accepts_valid_fixture(path: Path) -> None:
    """Why: a construct the grammar rejects would make homeward refuse a working config."""
    source = parse_source(path.read_bytes(), path)
    problem = source.first_problem()
    assert problem is None, f"{source.location(problem.start_byte)}: {problem.message}"


@pytest.mark.parametrize("path", INVALID, ids=_id)
def test_tree_sitter_rejects_invalid_fixture(path: Path) -> None:
    assert not tree_sitter_accepts(path)


@pytest.mark.nix
@pytest.mark.parametrize("path", EVERY_NIX_FILE, ids=_id)
def test_tree_sitter_agrees_with_nix(path: Path) -> None:
    """Why: homeward validates what it writes with tree-sitter when nix is absent; that is only
    sound while both accept and reject the same files."""
    assert tree_sitter_accepts(path) == nix_accepts(path)


@pytest.mark.nix
@pytest.mark.parametrize("name", sorted(KNOWN_DISAGREEMENTS), ids=str)
def test_known_disagreements_still_disagree(name: str) -> None:
    path = PARSE / "disagree" / name
    ts_ok, nix_ok, why = KNOWN_DISAGREEMENTS[name]
    assert (tree_sitter_accepts(path), nix_accepts(path)) == (ts_ok, nix_ok), why


def test_every_disagreement_file_is_listed() -> None:
    names = {p.name for p in (PARSE / "disagree").glob("*.nix")}
    assert names == set(KNOWN_DISAGREEMENTS)
