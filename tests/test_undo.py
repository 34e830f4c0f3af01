"""`homeward undo`: the state before the last write comes back exactly (files, directories,
staged renames, intent-to-add entries), on real git repositories; never over the user's work."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main

from .conftest import EXAMPLE, FIXTURES
from .helpers import copy_tree, git, make_git_repo, tree_files


def _state(repo: Path) -> tuple[dict[str, bytes], str, str]:
    """Everything undo must restore: the files, the index (with intent-to-add), the status."""
    return (
        tree_files(repo),
        git(repo, "ls-files", "--stage"),
        git(repo, "status", "--porcelain", "--untracked-files=all"),
    )


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    return make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))


def test_undo_migrate_restores_files_renames_and_intent_to_add(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate stages a rename (`git mv`) and intent-to-add entries; undo must leave the
    repository exactly as before, not just the file contents."""
    before = _state(legacy)
    assert main(["migrate", str(legacy)]) == 0
    status = git(legacy, "status", "--porcelain")
    assert "R" in status.split("home/ham.nix")[0].splitlines()[-1]  # a staged rename
    assert " A home/ham/features/" in status  # intent-to-add
    assert (legacy / ".git/homeward/undo.json").is_file()
    capsys.readouterr()
    assert main(["undo", str(legacy)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("undone: `migrate`")
    assert "remove  home/ham/default.nix" in out and "restore home/ham.nix" in out
    assert _state(legacy) == before
    assert not (legacy / "home/ham").exists()  # the directories it made are gone too
    assert main(["undo", str(legacy)]) == 0
    assert "nothing to undo" in capsys.readouterr().out


def test_undo_dry_run_changes_nothing(legacy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["migrate", str(legacy)])
    after = _state(legacy)
    capsys.readouterr()
    assert main(["undo", str(legacy), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would undo `migrate`" in out and "restore flake.nix" in out
    assert _state(legacy) == after


def test_undo_add(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_git_repo(copy_tree(FIXTURES / "check" / "clean", tmp_path / "repo"))
    before = _state(repo)
    assert main(["add", "feature", "media", "--dir", str(repo)]) == 0
    assert (repo / "home/ham/features/media.nix").is_file()
    assert main(["undo", str(repo)]) == 0
    assert "undone: `add`" in capsys.readouterr().out
    assert _state(repo) == before


def test_undo_check_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_git_repo(
        copy_tree(FIXTURES / "fix" / "hw005-home-configuration" / "before", tmp_path / "repo")
    )
    before = _state(repo)
    assert main(["check", str(repo), "--fix"]) == 0
    assert _state(repo) != before
    assert main(["undo", str(repo)]) == 0
    assert "undone: `check --fix`" in capsys.readouterr().out
    assert _state(repo) == before


def test_only_the_last_write_is_undone(legacy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["migrate", str(legacy)])
    git(legacy, "add", "-A")
    git(legacy, "commit", "-q", "-m", "migrated")
    migrated = _state(legacy)
    assert main(["add", "feature", "media", "--dir", str(legacy)]) == 0
    assert main(["undo", str(legacy)]) == 0
    assert _state(legacy) == migrated


def test_undo_refuses_to_lose_a_later_edit(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a file the user edited after migrate must not be overwritten by undo."""
    main(["migrate", str(legacy)])
    cli = legacy / "home/ham/features/cli.nix"
    cli.write_text(cli.read_text() + "# mine\n")
    edited = _state(legacy)
    capsys.readouterr()
    assert main(["undo", str(legacy)]) == 3
    err = capsys.readouterr().err
    assert "`home/ham/features/cli.nix` was changed after `migrate`" in err
    assert _state(legacy) == edited  # nothing was changed
    cli.write_text(cli.read_text().removesuffix("# mine\n"))
    assert main(["undo", str(legacy)]) == 0


def test_undo_refuses_after_a_commit(legacy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["migrate", str(legacy)])
    git(legacy, "add", "-A")
    git(legacy, "commit", "-q", "-m", "migrated")
    committed = _state(legacy)
    capsys.readouterr()
    assert main(["undo", str(legacy)]) == 3
    assert "git revert" in capsys.readouterr().err
    assert _state(legacy) == committed


def test_undo_outside_git_keeps_its_record_in_xdg_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: docs/architecture.md rule 14: records never go in the configuration directory (a `path:` flake is
    copied into the world-readable store); outside git they live under $XDG_STATE_HOME."""
    state = tmp_path / "state"
    monkeypatch.setenv("XDG_STATE_HOME", str(state))
    config = copy_tree(FIXTURES / "fix" / "hw005-home-configuration" / "before", tmp_path / "c")
    before = tree_files(config)
    assert main(["check", str(config), "--fix"]) == 0
    assert tree_files(config) != before
    assert list(state.glob("homeward/*/undo.json"))
    assert not [p for p in config.rglob("*") if "homeward" in p.name or p.suffix == ".json"]
    assert main(["undo", str(config)]) == 0
    assert tree_files(config) == before
