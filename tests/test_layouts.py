"""Configurations already in the layout (issue 11): `check` reports no errors on them, and
`migrate` leaves them byte-identical or, where the layout still wants something, adds it once.

The shapes are written here after Misterio77/nix-config and nix-starter-configs "standard"
(reduced, not copied).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo, tree_files

# Misterio77/nix-config: home-manager's NixOS module imported by each host, the home chosen per
# host with `${config.networking.hostName}`, the bootstrap `packages = [ pkgs.home-manager ]`,
# a system account with packages, a second account on one host with nothing for home-manager,
# and `homeConfigurations = { };` written out on purpose.
MISTERIO = {
    "flake.nix": """{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    home-manager = {
      url = "github:nix-community/home-manager/release-25.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };
  outputs =
    { self, nixpkgs, home-manager, ... }@inputs:
    let
      inherit (self) outputs;
      lib = nixpkgs.lib // home-manager.lib;
    in
    {
      nixosConfigurations = {
        # the desktop
        box = lib.nixosSystem {
          modules = [ ./hosts/box ];
          specialArgs = { inherit inputs outputs; };
        };
        tower = lib.nixosSystem {
          modules = [ ./hosts/tower ];
          specialArgs = { inherit inputs outputs; };
        };
      };
      homeConfigurations = { };
    };
}
""",
    "hosts/box/default.nix": """{ inputs, ... }:
{
  imports = [
    inputs.home-manager.nixosModules.home-manager
    ../common/global
    ../common/users/kim
    ./media-user.nix
  ];
  networking.hostName = "box";
  system.stateVersion = "25.05";
}
""",
    "hosts/box/media-user.nix": """{
  users.users.media = {
    isNormalUser = true;
    group = "media";
    home = "/home/media";
  };
  users.groups.media = { };
}
""",
    "hosts/tower/default.nix": """{ inputs, pkgs, ... }:
{
  imports = [
    inputs.home-manager.nixosModules.home-manager
    ../common/global
    ../common/users/kim
  ];
  users.users.git = {
    isSystemUser = true;
    group = "git";
    packages = [ pkgs.git ];
  };
  users.groups.git = { };
  networking.hostName = "tower";
  system.stateVersion = "25.05";
}
""",
    "hosts/common/global/default.nix": """{ inputs, outputs, ... }:
{
  home-manager.useGlobalPkgs = true;
  home-manager.extraSpecialArgs = { inherit inputs outputs; };
  time.timeZone = "Europe/Paris";
}
""",
    "hosts/common/users/kim/default.nix": """{ pkgs, config, ... }:
{
  users.users.kim = {
    isNormalUser = true;
    shell = pkgs.fish;
    extraGroups = [ "wheel" ];
    packages = [ pkgs.home-manager ];
  };
  programs.fish.enable = true;
  home-manager.users.kim = import ../../../../home/kim/${config.networking.hostName}.nix;
}
""",
    "home/kim/box.nix": "{\n  imports = [ ./global ];\n}\n",
    "home/kim/tower.nix": "{\n  imports = [ ./global ./features/games.nix ];\n}\n",
    "home/kim/features/games.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.prismlauncher ];\n}\n",
    "home/kim/global/default.nix": """{ pkgs, ... }:
{
  home.username = "kim";
  home.homeDirectory = "/home/kim";
  home.stateVersion = "25.05";
  home.packages = [ pkgs.ripgrep ];
  programs.home-manager.enable = true;
  programs.fish.enable = true;
}
""",
}


def write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return make_git_repo(root)


def check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", str(root)])
    return code, capsys.readouterr().out


def test_misterio_shape_checks_clean_and_migrate_leaves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 11): on the target layout, `check` reported HW005 errors for every host
    (`homeConfigurations = { };` is deliberate), and `migrate` gave `media`, a user with
    nothing to move and no home-manager configuration, an empty home wired into its host."""
    root = write(tmp_path / "repo", MISTERIO)
    code, out = check(root, capsys)
    assert code == 0, out
    assert out == "read 2 hosts, 0 homes, 3 users, 10 files; nothing opaque\nno findings\n"
    before = tree_files(root)
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 0
    captured = capsys.readouterr()
    assert tree_files(root) == before, captured.out
    assert "home/media" not in captured.out + captured.err
