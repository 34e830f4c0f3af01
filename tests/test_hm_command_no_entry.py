"""A home written inline in a host's NixOS module (`home-manager.users.kim = { ... };`) that
reads the NixOS `config` stays there, and no `homeConfigurations."kim@box"` is written for it
(said in a warning). Something of kim's moves all the same (`users.users.kim.packages`), into
a new entry the NixOS module wires. migrate gave that entry the home-manager command and a
comment "for `home-manager switch --flake .#<user>@<host>`": a command naming an entry that
neither exists nor is written. It is offered only beside an entry of the user's, existing or
written (the other shapes where none is written: tests/test_standalone_unbuilt.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import git, hm_flake, make_git_repo, migrate_stderr, write
from tests.test_migrate_darwin import nix_value

BOX = """{ config, pkgs, ... }:
{
  networking.hostName = "box";
  users.users.kim = {
    isNormalUser = true;
    packages = [ pkgs.jq ];
  };
  home-manager.users.kim = {
    home.sessionVariables.HOST = config.networking.hostName;
    home.stateVersion = "25.05";
  };
  system.stateVersion = "25.05";
}
"""

ENTRY = """      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/box.nix
          home-manager.nixosModules.home-manager
        ];
      };
"""


def repo(tmp_path: Path, *more: str) -> Path:
    files = {"flake.nix": hm_flake(ENTRY, *more), "hosts/box.nix": BOX}
    return make_git_repo(write(tmp_path / "repo", files))


def home_texts(root: Path) -> str:
    return "".join(p.read_text() for p in sorted((root / "home").rglob("*.nix")))


def test_no_home_manager_command_without_a_standalone_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(tmp_path)
    err = migrate_stderr(root, capsys)
    assert "no `homeConfigurations` for `kim`" in err, err
    assert "homeConfigurations" not in (root / "flake.nix").read_text()
    homes = home_texts(root)
    assert "pkgs.jq" in homes, homes  # what moves still moves
    assert "pkgs.home-manager" not in homes, homes
    assert "home-manager switch" not in homes, homes
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root)]) == 0
    assert git(root, "status", "--porcelain") == ""  # a second run changes nothing


def test_the_command_stays_beside_an_existing_entry_of_the_user(tmp_path: Path) -> None:
    """Why: `homeConfigurations.kim` exists: the command has an entry to switch to."""
    standalone = """      homeConfigurations.kim = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        modules = [ { home.stateVersion = "25.05"; } ];
      };
"""
    root = repo(tmp_path, standalone)
    assert main(["migrate", str(root)]) == 0
    assert "pkgs.home-manager" in home_texts(root)


@pytest.mark.nix
def test_the_host_gets_what_it_had_and_no_command(tmp_path: Path) -> None:
    """Why: what counts is what Nix sees: kim's home on `box` holds jq, not home-manager."""
    root = repo(tmp_path)
    assert main(["migrate", str(root)]) == 0
    attr = "nixosConfigurations.box.config.home-manager.users.kim.home.packages"
    names = nix_value(root, f"{attr}")
    assert isinstance(names, list)
    text = repr(names)
    assert "jq" in text and "home-manager" not in text, names
