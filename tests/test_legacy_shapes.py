"""Shapes of the legacy kind (user packages in NixOS modules, home-manager absent or partly
used) met in real configurations, each reduced to a small fixture written for this file."""

from __future__ import annotations

from pathlib import Path

from homeward.model.index import build_index
from homeward.model.repo import load_repo
from homeward.plan.checks import mismatches
from homeward.plan.migrate import MigrateOptions, plan_migration
from tests.helpers import account, nixos_entry, write


def release_branch_flake(hm_url: str | None) -> str:
    """A flake whose nixpkgs is on its `release-25.05` branch (not `nixos-25.05`), with a
    home-manager input at `hm_url` (none: no home-manager at all)."""
    hm = (
        ""
        if hm_url is None
        else f'  inputs.home-manager.url = "{hm_url}";\n'
        '  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";\n'
    )
    return (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/release-25.05";\n'
        + hm
        + "  outputs = { self, nixpkgs, ... }: {\n"
        + nixos_entry("den", "./den.nix", "    ")
        + "  };\n}\n"
    )


def test_nixpkgs_release_branch_is_tracked_by_the_home_manager_release(tmp_path: Path) -> None:
    """Why: a flake on nixpkgs' `release-25.05` branch with home-manager's `release-25.05`
    was told its home-manager input "does not track nixpkgs' branch", with the hint to use
    home-manager master; migrate gave such a flake without home-manager a master input."""
    tracked = write(
        tmp_path / "tracked",
        {
            "flake.nix": release_branch_flake("github:nix-community/home-manager/release-25.05"),
            "den.nix": account("ada", "pkgs.jq"),
        },
    )
    said = [d.message for d in mismatches(build_index(load_repo(tracked)))]
    assert not [m for m in said if "track" in m], said

    behind = write(
        tmp_path / "behind",
        {
            "flake.nix": release_branch_flake("github:nix-community/home-manager/release-24.11"),
            "den.nix": account("ada", "pkgs.jq"),
        },
    )
    said = [d.hint or "" for d in mismatches(build_index(load_repo(behind)))]
    assert any("home-manager/release-25.05" in h for h in said), said

    fresh = write(
        tmp_path / "fresh",
        {"flake.nix": release_branch_flake(None), "den.nix": account("ada", "pkgs.jq")},
    )
    plan = plan_migration(build_index(load_repo(fresh)), MigrateOptions())
    added = b"".join(e.new for e in plan.edits if str(e.path) == "flake.nix").decode()
    assert '"github:nix-community/home-manager/release-25.05"' in added, added
