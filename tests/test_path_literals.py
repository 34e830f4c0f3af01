"""Path literals (`./home/kim`) as the evaluator reads them: the path beside the file they are
written in, normalized, whatever the literal's slashes and dots (issue 9: read with strings,
one `Path` made for each path)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeward.model.eval import Evaluator
from homeward.model.values import ListValue, PathValue
from homeward.syntax.parse import parse_source

LITERALS = (
    "./home/kim",
    "./home/kim/",
    "./home//kim/./desk.nix",
    "../modules/./x/../y.nix",
    "./.",
    "hosts/desk",
    "../../..",
)
WRITTEN_IN = ("flake.nix", "hosts/desk/default.nix", "../shared/mod.nix")


def pathlib_reading(root: Path, written_in: Path, literal: str) -> Path:
    """The value as `Path` operations give it (what the evaluator computed before)."""
    base = written_in if written_in.is_absolute() else root / written_in
    return Path(os.path.normpath(str(base.parent / literal)))


@pytest.mark.parametrize("written_in", [*WRITTEN_IN, "ABSOLUTE"])
def test_a_path_literal_is_the_path_beside_its_file(written_in: str, tmp_path: Path) -> None:
    root = (tmp_path / "repo").resolve()
    where = root / "abs" / "mod.nix" if written_in == "ABSOLUTE" else Path(written_in)
    ev = Evaluator(root)
    for literal in LITERALS:
        source = parse_source(f"{literal}\n".encode(), where)
        expr = source.root.child_by_field_name("expression")
        assert expr is not None
        value = ev.eval(expr, ev.globals, source)
        assert isinstance(value, PathValue), literal
        assert value.path == pathlib_reading(root, where, literal), literal
        assert str(value.path) == str(pathlib_reading(root, where, literal)), literal


def test_literals_naming_one_path_share_its_value(tmp_path: Path) -> None:
    """Why: 2,000 `homeConfigurations` entries name the same few homes; a `Path` each was
    made four times over."""
    ev = Evaluator(tmp_path)
    source = parse_source(b"[ ./home/kim ./home/kim/ ./home/./kim ./home/ham ]\n", Path("f.nix"))
    expr = source.root.child_by_field_name("expression")
    assert expr is not None
    value = ev.eval(expr, ev.globals, source)
    assert isinstance(value, ListValue)
    paths = [v.path for v in map(ev.force, value.items) if isinstance(v, PathValue)]
    assert len(paths) == 4
    assert paths[0] is paths[1] is paths[2]
    assert paths[3] == tmp_path.resolve() / "home" / "ham"


def test_a_directory_interpolated_in_a_string_names_its_file(tmp_path: Path) -> None:
    """Why: `imports = map (m: "${./modules}/${m}") (attrNames (readDir ./modules))` (a
    half-way configuration of the corpus, its user's account in one of those files) was "an
    import list that is computed": the files were not read, the user's packages not found.
    The string is the directory's store copy joined with the name, the same file."""
    ev = Evaluator(tmp_path)
    source = parse_source(b'let m = "user.nix"; in "${./modules}/${m}"\n', Path("hosts/f.nix"))
    expr = source.root.child_by_field_name("expression")
    assert expr is not None
    value = ev.eval(expr, ev.globals, source)
    assert isinstance(value, PathValue)
    assert value.path == tmp_path.resolve() / "hosts" / "modules" / "user.nix"
