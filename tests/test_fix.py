"""`check --fix`: each fixable rule on its golden before/after fixture (tests/fixtures/fix), the
finding gone afterwards, a second run changing nothing; safe and unsafe classes; what is never
fixed; the fixed configurations evaluated with the real nix against the stand-ins."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.nix.ops import extract_outputs_standins

from .conftest import FIXTURES
from .helpers import STANDINS, check_findings, copy_tree, git, make_git_repo, tree_files

CASES = FIXTURES / "fix"
UPDATE = os.environ.get("HOMEWARD_UPDATE_GOLDENS") == "1"
# case -> (the flags that fix it, the rule it fixes)
FIXED = {
    "hw005-home-configuration": (["--fix"], "HW005"),
    "hw006-follows": (["--fix", "--unsafe-fixes"], "HW006"),
    "hw006-follows-attrset": (["--fix", "--unsafe-fixes"], "HW006"),
    "hw007-state-version": (["--fix", "--unsafe-fixes"], "HW007"),
}


def _repo(case: str, tmp_path: Path) -> Path:
    return make_git_repo(copy_tree(CASES / case / "before", tmp_path / case))


def _codes(repo: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    return [f["code"] for f in check_findings(repo, capsys)]


@pytest.mark.parametrize("case", sorted(FIXED))
def test_fix_gives_the_golden_after(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a fix is an edit of the user's files; it must be exact, make its finding go away,
    and be idempotent."""
    flags, code = FIXED[case]
    repo = _repo(case, tmp_path)
    assert code in _codes(repo, capsys)
    assert main(["check", str(repo), *flags]) == 0
    err = capsys.readouterr().err
    assert f"fixed {code}: " in err
    after = CASES / case / "after"
    if UPDATE:
        shutil.rmtree(after, ignore_errors=True)
        shutil.copytree(repo, after, ignore=shutil.ignore_patterns(".git"))
    assert tree_files(repo) == tree_files(after)
    assert code not in _codes(repo, capsys)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "fixed")
    assert main(["check", str(repo), *flags]) == 0
    assert "nothing to fix" in capsys.readouterr().err
    assert git(repo, "status", "--porcelain") == ""


@pytest.mark.parametrize("case", ["hw006-follows", "hw007-state-version"])
def test_unsafe_fixes_need_the_flag(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: HW006 and HW007 change what existing outputs build; `--fix` alone never does."""
    repo = _repo(case, tmp_path)
    before = tree_files(repo)
    main(["check", str(repo), "--fix"])
    err = capsys.readouterr().err
    assert "(pass --unsafe-fixes)" in err and "nothing to fix" in err
    assert tree_files(repo) == before


@pytest.mark.parametrize("case", sorted(FIXED))
def test_dry_run_shows_the_diff_and_writes_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    flags, code = FIXED[case]
    repo = _repo(case, tmp_path)
    before = tree_files(repo)
    assert main(["check", str(repo), *flags, "--dry-run"]) == 0
    captured = capsys.readouterr()
    assert f"would fix {code}: " in captured.err
    assert tree_files(repo) == before
    main(["check", str(repo), *flags])
    capsys.readouterr()
    assert captured.out.startswith("--- a/")
    assert _changed_lines(captured.out) == _changed_lines(git(repo, "diff"))


def _changed_lines(diff: str) -> list[str]:
    return [
        line
        for line in diff.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++ ", "--- "))
    ]


def test_suppressed_finding_is_not_fixed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `# homeward: ignore[HW006]` says the user decided; --fix must respect it."""
    repo = copy_tree(CASES / "hw006-follows" / "before", tmp_path / "repo")
    flake = repo / "flake.nix"
    flake.write_text(
        flake.read_text().replace(
            "    home-manager.url =",
            "    # homeward: ignore[HW006]\n    home-manager.url =",
        )
    )
    make_git_repo(repo)
    main(["check", str(repo), "--fix", "--unsafe-fixes"])
    assert "nothing to fix" in capsys.readouterr().err
    assert git(repo, "status", "--porcelain") == ""


def test_missing_import_is_never_fixed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: HW009's missing file is often the machine's own hardware-configuration.nix: only the
    user can bring it back. It is an opaque module, a warning (issue 11): exit 0; with
    `--strict`, an error, and still not fixed."""
    repo = copy_tree(FIXTURES / "check" / "clean", tmp_path / "repo")
    (repo / "hosts/desk/hardware-configuration.nix").unlink()
    make_git_repo(repo)
    assert main(["check", str(repo), "--fix", "--unsafe-fixes"]) == 0
    captured = capsys.readouterr()
    assert "nothing to fix" in captured.err and "HW009 warning" in captured.out
    assert main(["check", str(repo), "--fix", "--unsafe-fixes", "--strict"]) == 1
    captured = capsys.readouterr()
    assert "nothing to fix" in captured.err and "HW009 error" in captured.out
    assert git(repo, "status", "--porcelain") == ""


def test_fix_refuses_a_dirty_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo("hw005-home-configuration", tmp_path)
    (repo / "notes.txt").write_text("uncommitted\n")
    assert main(["check", str(repo), "--fix"]) == 3
    assert "flake.nix" not in git(repo, "status", "--porcelain")
    assert main(["check", str(repo), "--fix", "--allow-dirty"]) == 0


def test_fix_flags_need_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = _repo("hw006-follows", tmp_path)
    assert main(["check", str(repo), "--unsafe-fixes"]) == 2
    assert "go with --fix" in capsys.readouterr().err


@pytest.mark.nix
def test_safe_fix_leaves_existing_outputs_alone() -> None:
    """Why: a safe fix cannot alter what exists: the host evaluates to the same users,
    packages and settings; the new standalone home gets what the NixOS module gives ham."""
    case = CASES / "hw005-home-configuration"
    before = extract_outputs_standins(case / "before", STANDINS)
    after = extract_outputs_standins(case / "after", STANDINS)
    assert after.hosts == before.hosts
    assert set(after.homes) == {"ham@desk"} and not before.homes
    ham = before.hosts["desk"].users["ham"]
    home = after.homes["ham@desk"]
    assert set(home.packages) - {"home-manager"} == set(ham.home_packages)
    assert home.state_version == ham.state_version == "25.05"


@pytest.mark.nix
@pytest.mark.parametrize("case", ["hw006-follows", "hw006-follows-attrset", "hw007-state-version"])
def test_unsafe_fix_evaluates(case: str) -> None:
    """Why: an unsafe fix changes what is built, but what it writes must still evaluate, and the
    stateVersion it sets is the release the flake tracks (docs/architecture.md, rule 8)."""
    after = extract_outputs_standins(CASES / case / "after", STANDINS)
    assert after.hosts["desk"].users["ham"].state_version == "25.05"
    assert after.homes["ham@desk"].state_version == "25.05"
