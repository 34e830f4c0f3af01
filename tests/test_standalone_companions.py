"""A user already managed by standalone `homeConfigurations."<u>@<h>"` entries of several files
(issue 11, "managed twice"; issue 12). Reduced from a real configuration: each host's entry
reads a shared home plus files of its own, one of them setting the Mac's `/Users` home with
`mkForce` and `home.stateVersion`. home-manager's NixOS and nix-darwin modules wired by migrate
read what `home-manager switch` reads on that host, and no second `home.stateVersion` is written
into the file they share (two values conflict)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo
from tests.test_migrate_darwin import nix_value

FLAKE = """{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
    nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
    nix-darwin.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs =
    { nixpkgs, home-manager, nix-darwin, ... }:
    {
      nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/desk.nix ];
      };

      darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
        modules = [ ./hosts/mac.nix ];
      };

      homeConfigurations = {
        "kim@desk" = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          modules = [
            ./home/shared
            ./home/linux
          ];
        };
        "kim@mac" = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.aarch64-darwin;
          modules = [
            ./home/shared
            ./home/mac
          ];
        };
      };
    };
}
"""

FILES = {
    "flake.nix": FLAKE,
    "hosts/desk.nix": "{ pkgs, ... }:\n{\n"
    '  networking.hostName = "desk";\n'
    '  fileSystems."/".device = "/dev/disk/by-label/nixos";\n'
    "  boot.loader.systemd-boot.enable = true;\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n"
    '  system.stateVersion = "25.05";\n}\n',
    "hosts/mac.nix": "{ pkgs, ... }:\n{\n"
    '  nixpkgs.hostPlatform = "aarch64-darwin";\n'
    "  users.users.kim.packages = [ pkgs.jq ];\n"
    '  system.primaryUser = "kim";\n'
    "  system.stateVersion = 6;\n}\n",
    "home/shared/default.nix": "{ config, pkgs, ... }:\n{\n"
    '  home.username = "kim";\n'
    '  home.homeDirectory = "/home/${config.home.username}";\n'
    "  home.packages = [ pkgs.ripgrep ];\n}\n",
    "home/linux/default.nix": "{ pkgs, ... }:\n{\n"
    "  home.packages = [ pkgs.bat ];\n"
    '  home.stateVersion = "22.11";\n}\n',
    "home/mac/default.nix": "{ lib, ... }:\n{\n"
    '  home.homeDirectory = lib.mkForce "/Users/kim";\n'
    '  home.stateVersion = "24.05";\n}\n',
}


def migrated(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name, text in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    make_git_repo(root)
    assert main(["migrate", str(root)]) == 0
    return root


def test_each_hosts_wiring_reads_the_files_of_its_standalone_entry(tmp_path: Path) -> None:
    root = migrated(tmp_path)
    flake = (root / "flake.nix").read_text()
    desk = flake[flake.index("nixosConfigurations.desk") : flake.index("darwinConfigurations")]
    mac = flake[flake.index("darwinConfigurations.mac") : flake.index("homeConfigurations")]
    assert "./home/shared" in desk and "./home/linux" in desk and "./home/mac" not in desk
    assert "./home/shared" in mac and "./home/mac" in mac and "./home/linux" not in mac
    assert "stateVersion" not in (root / "home/shared/default.nix").read_text()
    assert main(["migrate", str(root)]) == 0  # a second run is a no-op
    assert (root / "flake.nix").read_text() == flake


@pytest.mark.nix
def test_both_wirings_evaluate_as_home_manager_switch_would(tmp_path: Path) -> None:
    root = migrated(tmp_path)
    home = "darwinConfigurations.mac.config.home-manager.users.kim.home"
    assert nix_value(root, f"{home}.homeDirectory") == "/Users/kim"
    assert nix_value(root, f"{home}.stateVersion") == "24.05"
    desk = "nixosConfigurations.desk.config.home-manager.users.kim.home"
    assert nix_value(root, f"{desk}.homeDirectory") == "/home/kim"
    assert nix_value(root, f"{desk}.stateVersion") == "22.11"
    standalone = 'homeConfigurations."kim@mac".config.home'
    assert nix_value(root, f"{standalone}.stateVersion") == "24.05"


@pytest.mark.nix
def test_each_hosts_packages_reach_both_wirings_of_that_host_alone(tmp_path: Path) -> None:
    """Conservation: the host's own package (htop on desk, jq on the Mac) goes to a file read
    by that host's module wiring and its standalone entry, and by no other host."""
    root = migrated(tmp_path)

    def names(attr: str) -> set[str]:
        value = nix_value(root, attr)
        assert isinstance(value, list)
        return {str(p).split("-", 1)[1].rsplit("-", 1)[0] for p in value}

    module = "{}.config.home-manager.users.kim.home.packages"
    alone = 'homeConfigurations."kim@{}".config.home.packages'
    desk = names(module.format("nixosConfigurations.desk"))
    mac = names(module.format("darwinConfigurations.mac"))
    assert {"htop", "ripgrep", "bat"} <= desk and "jq" not in desk
    assert {"jq", "ripgrep"} <= mac and "htop" not in mac and "bat" not in mac
    assert names(alone.format("desk")) >= {"htop", "ripgrep", "bat"}
    assert names(alone.format("mac")) >= {"jq", "ripgrep"}
