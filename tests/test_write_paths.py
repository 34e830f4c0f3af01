"""The writer's read-only path questions, asked with strings (`apply/write.py`: `_Within`,
`_mode`, `_parents`, `_missing_dirs`), answer what pathlib answers. Why: `check` plans migrate's
fixes on every run, and a `Path` per file of thousands cost more than the checks; the answers
(and the refusals) must stay pathlib's."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePath

import pytest

from homeward.apply.write import _inside, _missing_dirs, _mode, _parents, _Within, compute_changes
from homeward.errors import HomewardError
from homeward.plan.types import Move, NewFile, Plan


def _tree(tmp_path: Path) -> Path:
    """A repository with files, a directory, symlinks inside and out, a loop, a dangling link."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.nix").write_text("{ }\n")
    root = tmp_path / "repo"
    (root / "hosts" / "a").mkdir(parents=True)
    (root / "hosts" / "a" / "default.nix").write_text("{ }\n")
    (root / "file.nix").write_text("{ }\n")
    (root / "link.nix").symlink_to("file.nix")
    (root / "linkdir").symlink_to("hosts")
    (root / "out.nix").symlink_to(outside / "secret.nix")
    (root / "outdir").symlink_to(outside)
    (root / "loop").symlink_to("loop")
    (root / "dangling.nix").symlink_to("nowhere.nix")
    return root


RELS = [
    "file.nix",
    "hosts",
    "hosts/a/default.nix",
    "hosts/a/new.nix",
    "hosts/b/new.nix",
    "link.nix",
    "linkdir/a/default.nix",
    "out.nix",
    "outdir/secret.nix",
    "outdir/new/x.nix",
    "loop",
    "loop/x.nix",
    "dangling.nix",
    "file.nix/x.nix",
    "../outside/secret.nix",
    "hosts/../file.nix",
    ".",
]


def _answer(ask: object) -> object:
    try:
        return ask() if callable(ask) else ask
    except HomewardError as exc:
        return ("refused", exc.message)
    except OSError as exc:
        return ("error", exc.errno)


@pytest.mark.parametrize("rel", RELS)
def test_within_answers_as_inside(tmp_path: Path, rel: str) -> None:
    root = _tree(tmp_path)
    expected = _answer(lambda: os.fspath(_inside(root, Path(rel), {})))
    assert _answer(lambda: _Within(root).at(Path(rel))) == expected
    within = _Within(root)  # the same questions, many paths to one cache
    for other in RELS:
        _answer(lambda other=other: within.at(Path(other)))
    assert _answer(lambda: within.at(Path(rel))) == expected


def test_within_refuses_a_symlink_out_and_absolute_paths(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    with pytest.raises(HomewardError, match="symlink that leads outside"):
        _Within(root).at(Path("out.nix"))
    with pytest.raises(HomewardError, match="outside the repository"):
        _Within(root).at(Path("/etc/passwd"))


@pytest.mark.parametrize("rel", RELS)
def test_mode_answers_as_pathlib(tmp_path: Path, rel: str) -> None:
    root = _tree(tmp_path)
    path = root / rel
    target = os.fspath(path)
    assert _answer(lambda: bool(_mode(target))) == _answer(path.exists)
    assert _answer(lambda: stat.S_ISREG(_mode(target))) == _answer(path.is_file)
    assert _answer(lambda: stat.S_ISDIR(_mode(target))) == _answer(path.is_dir)
    assert _answer(lambda: stat.S_ISLNK(_mode(target, follow=False))) == _answer(path.is_symlink)


@pytest.mark.parametrize(
    "name", ["c", "a/b/c", "../x/y", "..", "/a/b", "/", "a", "hosts/../file.nix", "./a/b"]
)
def test_parents_are_pathlibs_without_the_dot(name: str) -> None:
    path = PurePath(name)
    assert list(_parents(str(path))) == [str(p) for p in path.parents if str(p) != "."]


def test_missing_dirs_parents_first_and_a_file_in_the_way(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    paths = [Path("new/deep/er/x.nix"), Path("new/y.nix"), Path("hosts/c/z.nix"), Path("w.nix")]
    assert _missing_dirs(root, paths) == [
        Path("new"),
        Path("hosts/c"),
        Path("new/deep"),
        Path("new/deep/er"),
    ]
    with pytest.raises(HomewardError, match=r"`file\.nix` exists and is not a directory"):
        _missing_dirs(root, [Path("file.nix/x.nix")])
    with pytest.raises(HomewardError, match=r"`dangling\.nix` exists and is not a directory"):
        _missing_dirs(root, [Path("dangling.nix/x.nix")])
    assert _missing_dirs(root, [Path("linkdir/d/x.nix")]) == [Path("linkdir/d")]


def test_compute_changes_refuses_as_before(tmp_path: Path) -> None:
    """Each refusal `check` reads as "migrate refuses this repository": a new file over a
    dangling symlink, a move onto a file, a move of a missing file, a write through a link out."""
    root = _tree(tmp_path)
    cases = {
        "already exists": Plan(new_files=(NewFile(Path("dangling.nix"), b"{ }\n", "t"),)),
        "the target exists": Plan(
            moves=(Move(Path("file.nix"), Path("hosts/a/default.nix"), "t"),)
        ),
        "it does not exist": Plan(moves=(Move(Path("gone.nix"), Path("new.nix"), "t"),)),
        "leads outside": Plan(new_files=(NewFile(Path("outdir/new.nix"), b"{ }\n", "t"),)),
    }
    for message, plan in cases.items():
        with pytest.raises(HomewardError, match=message):
            compute_changes(root, plan)
    moved = compute_changes(root, Plan(moves=(Move(Path("link.nix"), Path("new/l.nix"), "t"),)))
    assert [(c.path, c.old, c.new) for c in moved] == [
        (Path("new/l.nix"), None, b"{ }\n"),
        (Path("link.nix"), b"{ }\n", None),
    ]
