"""homeward.toml: a repository's defaults for `check` and `migrate`; flags win over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.config import Config, load_config

from .conftest import EXAMPLE
from .helpers import copy_tree, git, make_git_repo


def _codes(capsys: pytest.CaptureFixture[str]) -> set[str]:
    return {f["code"] for f in json.loads(capsys.readouterr().out)["findings"]}


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    return copy_tree(EXAMPLE, tmp_path / "repo")


def test_no_file_is_the_defaults(legacy: Path) -> None:
    assert load_config(legacy) == Config()


def test_check_reads_select_and_ignore(legacy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: a repository that deliberately uses only the NixOS module ignores HW005 once, in
    the file, instead of on every command line (and in pre-commit, and in CI)."""
    main(["check", str(legacy), "--format", "json"])
    everything = _codes(capsys)
    assert {"HW001", "HW002"} <= everything
    (legacy / "homeward.toml").write_text('[check]\nignore = ["HW002"]\n')
    main(["check", str(legacy), "--format", "json"])
    assert _codes(capsys) == everything - {"HW002"}
    # a flag replaces the file's list
    main(["check", str(legacy), "--format", "json", "--ignore", "HW001"])
    assert _codes(capsys) == everything - {"HW001"}
    (legacy / "homeward.toml").write_text('[check]\nselect = ["hw001"]\n')
    main(["check", str(legacy), "--format", "json"])
    assert _codes(capsys) == {"HW001"}


def test_config_at_the_git_root_applies_to_a_flake_below(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a flake in `nixos/` of a dotfiles repository; the file sits at the repository root."""
    root = tmp_path / "dotfiles"
    copy_tree(EXAMPLE, root / "nixos")
    (root / "homeward.toml").write_text('[check]\nselect = ["HW002"]\n')
    make_git_repo(root)
    main(["check", str(root / "nixos"), "--format", "json"])
    assert _codes(capsys) == {"HW002"}


def _migrate(repo: Path, *flags: str) -> dict[str, str]:
    make_git_repo(repo)
    assert main(["migrate", str(repo), *flags]) == 0
    return {
        str(p.relative_to(repo)): p.read_text()
        for p in repo.rglob("*.nix")
        if ".git" not in p.parts
    }


def test_migrate_reads_backup_extension_and_features(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: settings a repository always wants are written once, in homeward.toml."""
    (legacy / "homeward.toml").write_text(
        '[migrate]\nbackup-extension = "before-hm"\n\n[features]\njq = "dev"\ntmux = "editors"\n'
    )
    files = _migrate(legacy)
    flake = files["flake.nix"]
    assert 'backupFileExtension = "before-hm"' in flake
    assert "jq" in files["home/ham/features/dev.nix"]
    assert "tmux" in files["home/ham/features/editors.nix"]
    assert "jq" not in files.get("home/ham/features/cli.nix", "")


def test_migrate_flag_wins_over_the_file(legacy: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (legacy / "homeward.toml").write_text('[migrate]\nbackup-extension = "before-hm"\n')
    files = _migrate(legacy, "--backup-extension", "old")
    assert 'backupFileExtension = "old"' in files["flake.nix"]


def test_migrate_features_none_from_the_file(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (legacy / "homeward.toml").write_text('[migrate]\nfeatures = "none"\n')
    files = _migrate(legacy)
    assert not any("/features/" in name for name in files)
    assert "neovim" in files["home/ham/default.nix"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[check]\nselct = ["HW001"]\n', "unknown key `check.selct`"),
        ('[chek]\nselect = ["HW001"]\n', "unknown table `chek`"),
        ('[check]\nignore = ["HW999"]\n', "`check.ignore`: unknown rule `HW999`"),
        ('[migrate]\nmode = "everything"\n', "`migrate.mode` is `everything`"),
        ('[features]\njq = "tools"\n', "`features.jq` is `tools`"),
        ("[check]\nselect = [\n", "is not valid TOML"),
    ],
)
def test_bad_file_exits_3_naming_it(
    legacy: Path, text: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a misspelt key must not silently do nothing; a broken file is input homeward cannot
    handle (exit 3) and the message names it."""
    (legacy / "homeward.toml").write_text(text)
    assert main(["check", str(legacy)]) == 3
    err = capsys.readouterr().err
    assert "homeward.toml" in err and message in err, err
    make_git_repo(legacy)
    assert main(["migrate", str(legacy), "--dry-run"]) == 3
    assert git(legacy, "status", "--porcelain") == ""
