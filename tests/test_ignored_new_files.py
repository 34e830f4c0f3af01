"""New files git would ignore. Measured on a public configuration whose `.gitignore` ignores
everything but what it lists (`*`, then `!*.nix` and a few more; its own files are tracked with
`git add -f`): migrate wrote the new `home/<user>/` files, `git add --intent-to-add` refused them
(a flake only sees what git tracks), the journal rolled everything back, and the refusal quoted
git's advice without saying which files or which rule. The refusal now names the files git
ignores and the rule that ignores each (found when git refuses them, so that a write still makes
a fixed few git calls); the journal still puts back everything written."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import (
    account,
    git,
    hm_flake_lines,
    make_git_repo,
    migrate_keeps_bytes,
    nixos_entry,
    tree_files,
    write,
)

FILES = {
    "flake.nix": hm_flake_lines(
        "  outputs = { self, nixpkgs, home-manager, ... }: {\n"
        + nixos_entry("box", "./configuration.nix home-manager.nixosModules.home-manager", "    ")
        + "  };\n"
    ),
    "configuration.nix": account("kim", "pkgs.jq"),
    ".gitignore": "result\nhome/\n",
}


def test_new_files_git_ignores_are_named_and_nothing_is_left_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    monkeypatch.chdir(root)
    _, err = migrate_keeps_bytes(root, capsys, code=3)
    assert "home/kim/default.nix" in err, err
    assert "`.gitignore:2` (`home/`)" in err, err
    assert "nothing was changed" in err, err
    # Without the rule, the same configuration migrates.
    (root / ".gitignore").write_text("result\n")
    git(root, "commit", "-qam", "no rule")
    assert main(["migrate"]) == 0
    assert (root / "home" / "kim" / "default.nix").is_file()


def test_a_dry_run_refuses_what_migrate_would_refuse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `--dry-run` showed the plan and exited 0 on a configuration whose `.gitignore`
    ignores the new files, and the real `migrate` then refused it (exit 3). A dry run shows
    what migrate would do (docs/architecture.md): here, the same refusal with the same
    files and rule, and the same exit code, from the cache as well."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    before = tree_files(root)
    monkeypatch.chdir(root)
    monkeypatch.delenv("HOMEWARD_NO_CACHE", raising=False)
    capsys.readouterr()
    assert main(["migrate"]) == 3
    refused = capsys.readouterr().err
    for _ in range(2):  # the second from the cache
        assert main(["migrate", "--dry-run"]) == 3
        out, err = capsys.readouterr()
        assert err == refused, err
        assert "dry run" not in out and "+++" not in out, out
    assert main(["migrate", "--dry-run", "--json"]) == 3
    assert "`.gitignore:2` (`home/`)" in capsys.readouterr().err
    assert tree_files(root) == before
    # Without the rule, the dry run shows the plan again.
    (root / ".gitignore").write_text("result\n")
    assert main(["migrate", "--dry-run"]) == 0
    assert "home/kim/default.nix" in capsys.readouterr().out
