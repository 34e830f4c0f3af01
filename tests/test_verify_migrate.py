"""`homeward verify` after `homeward migrate` on the bundled example: no difference.

The example's inputs are overridden with the stand-in nixpkgs and home-manager, so the real
`nix eval` runs offline on the real flake (git-tracked files, `--override-input`).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.conftest import EXAMPLE
from tests.helpers import HM_OVERRIDES, copy_tree, git, make_git_repo

OVERRIDES = [*HM_OVERRIDES]


@pytest.mark.nix
def test_verify_reports_no_difference_after_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: issue 5's promise: migrate loses nothing, proven with the real nix."""
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "config"))
    assert main(["migrate", str(work)]) == 0
    capsys.readouterr()
    assert main(["verify", str(work), *OVERRIDES]) == 0
    out = capsys.readouterr().out
    assert out.rstrip().endswith("no difference"), out


@pytest.mark.nix
def test_verify_catches_a_package_dropped_after_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the same check fails when the migrated tree lost something."""
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "config"))
    assert main(["migrate", str(work)]) == 0
    cli = work / "home" / "ham" / "features" / "cli.nix"
    cli.write_text(cli.read_text().replace("    jq\n", ""))
    git(work, "status")
    capsys.readouterr()
    assert main(["verify", str(work), *OVERRIDES]) == 1
    out = capsys.readouterr().out
    assert "jq" in out and "lost" in out
