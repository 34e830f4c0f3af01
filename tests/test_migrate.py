"""Golden tests for `homeward migrate`: real repo shapes, byte for byte.

Each case is `tests/fixtures/migrate/<case>/before/` (a whole repo) and either `after/` (the
expected tree) or `expected.txt` (a refusal: the exit code on the first line, then the message).
`HOMEWARD_UPDATE_GOLDENS=1` regenerates them; CI then runs `git diff --exit-code`.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from homeward.cli import main
from tests.conftest import EXAMPLE, FIXTURES, ROOT
from tests.helpers import copy_tree, git, make_git_repo, tree_diff, tree_files

CASES = FIXTURES / "migrate"
UPDATE = os.environ.get("HOMEWARD_UPDATE_GOLDENS") == "1"


def before_dir(case: str) -> Path:
    """The `before/` tree of a case; `before-is` names a tree of the repo to use instead (the
    bundled example, so that its cases cannot drift from it)."""
    pointer = CASES / case / "before-is"
    if pointer.exists():
        return ROOT / pointer.read_text().strip()
    return CASES / case / "before"


def golden_cases(*, applied_only: bool = False) -> list[str]:
    """Cases by name; `applied_only`: those with an `after/` tree (not refusals)."""
    return sorted(
        p.name
        for p in CASES.iterdir()
        if before_dir(p.name).is_dir() and (not applied_only or (p / "after").is_dir())
    )


def case_args(case: str) -> list[str]:
    """Extra command-line arguments of a case (`args.txt`, one per line)."""
    args = CASES / case / "args.txt"
    return args.read_text().split() if args.exists() else []


def prepare(case: str, tmp_path: Path) -> Path:
    work = copy_tree(before_dir(case), tmp_path / "repo")
    make_git_repo(work)
    return work


@pytest.mark.parametrize("case", golden_cases())
def test_migrate_golden(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: migration must be byte-exact on real repo shapes, and refusals must be clear."""
    work = prepare(case, tmp_path)
    before = tree_files(work)
    code = main(["migrate", str(work), *case_args(case)])
    out = capsys.readouterr()
    expected_text = CASES / case / "expected.txt"
    if expected_text.exists() or (code != 0 and not (CASES / case / "after").exists()):
        message = out.err.replace(str(work), "<repo>")
        if UPDATE:
            expected_text.write_text(f"{code}\n{message}")
        want = expected_text.read_text()
        assert f"{code}\n{message}" == want
        assert tree_files(work) == before, "a refusal must leave the tree byte-identical"
        return
    assert code == 0, out.err
    after = CASES / case / "after"
    if UPDATE:
        shutil.rmtree(after, ignore_errors=True)
        copy_tree(work, after)
        shutil.rmtree(after / ".git")
    assert tree_diff(work, after) == ""
    lost = comments(before_dir(case)) - comments(work)
    assert not lost, f"comments lost: {sorted(lost)}"


def comments(root: Path) -> Counter[str]:
    """Every comment of every .nix file under root (stripped), as a multiset."""
    from homeward.syntax.parse import parse_source

    found: Counter[str] = Counter()
    for path in root.rglob("*.nix"):
        if ".git" in path.parts:
            continue
        source = parse_source(path.read_bytes(), path)
        stack = [source.root]
        while stack:
            node = stack.pop()
            if node.type == "comment":
                found[source.text_of(node).strip()] += 1
            stack.extend(node.children)
    return found


@pytest.mark.parametrize("case", golden_cases(applied_only=True))
def test_migrate_twice_changes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: rule 7, a second run changes nothing and says so."""
    work = copy_tree(CASES / case / "after", tmp_path / "repo")
    make_git_repo(work)
    before = tree_files(work)
    assert main(["migrate", str(work), *case_args(case)]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert tree_files(work) == before
    assert main(["migrate", "--check", str(work), *case_args(case)]) == 0


def test_check_reports_pending_migration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `--check` is for pre-commit and CI: exit 1 while a migration is pending, nothing written."""
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    make_git_repo(work)
    before = tree_files(work)
    assert main(["migrate", "--check", str(work)]) == 1
    assert "pending" in capsys.readouterr().out
    assert tree_files(work) == before


def test_dry_run_writes_nothing_and_shows_a_diff(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    make_git_repo(work)
    before = tree_files(work)
    assert main(["migrate", "--dry-run", str(work)]) == 0
    out = capsys.readouterr().out
    assert "+++ b/home/ham/features/git.nix" in out
    assert "-    ../../home/ham.nix" in out
    assert tree_files(work) == before


def test_refuses_a_dirty_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: the user must be able to review and undo exactly what homeward did."""
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    make_git_repo(work)
    (work / "hosts" / "nixos-desk" / "default.nix").write_text(
        (work / "hosts" / "nixos-desk" / "default.nix").read_text() + "\n"
    )
    before = tree_files(work)
    assert main(["migrate", str(work)]) == 3
    err = capsys.readouterr().err
    assert "uncommitted changes (1 path, e.g. `hosts/nixos-desk/default.nix`)" in err
    assert "--allow-dirty" in err
    assert tree_files(work) == before


def test_new_files_are_intent_to_add_and_moves_keep_history(tmp_path: Path) -> None:
    """Why: flakes only see tracked files; `git mv` lets history follow the user's file."""
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    make_git_repo(work)
    assert main(["migrate", str(work)]) == 0
    status = git(work, "status", "--porcelain")
    assert (
        "R  home/ham.nix -> home/ham/default.nix" in status
        or "RM home/ham.nix -> home/ham/default.nix" in status
    )
    assert " A home/ham/features/git.nix" in status


def test_json_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    work = copy_tree(EXAMPLE, tmp_path / "repo")
    make_git_repo(work)
    assert main(["migrate", "--dry-run", "--json", str(work)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["homeward"] == 1 and data["kind"] == "migrate"
    moved = {(m["definition"], m["from"]["path"]) for m in data["moved"]}
    assert ("users.users.ham.packages", "modules/system/users.nix") in moved
    assert ("programs.git", "home/ham.nix") in moved
    git = next(m for m in data["moved"] if m["definition"] == "programs.git")
    assert git["to"] == "home/ham/features/git.nix" and git["note"] == "config → extraConfig"
    assert data["pending"] is True and data["applied"] is False
