"""A user's NixOS hosts and a standalone home of a machine that is none of them.

Measured on a public fleet (five NixOS hosts; `homeConfigurations."<u>@<machine>"` for two
machines that run home-manager alone): the user's packages, in an account module every host
imports, were to become a feature file imported from the file the standalone homes start from,
which the other machines read too; the plan's own check caught it and migrate stopped with an
internal error (exit 4). The file those machines read now stays as it is: what the hosts get goes
to a file of each host beside it, and the other machines get nothing new."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo, tree_files, write

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
  outputs = { self, nixpkgs, home-manager, ... }:
    let
      mk = host: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/${host}.nix home-manager.nixosModules.home-manager ];
      };
    in {
      nixosConfigurations = nixpkgs.lib.genAttrs [ "desk" "lap" ] mk;
      homeConfigurations."kim@pi" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.aarch64-linux;
        modules = [ ./users/base.nix ./users/kim.nix ];
      };
    };
}
"""

HOST = '{ ... }:\n{\n  imports = [ ../accounts.nix ];\n  system.stateVersion = "25.05";\n}\n'

FILES = {
    "flake.nix": FLAKE,
    "hosts/desk.nix": HOST,
    "hosts/lap.nix": HOST,
    "accounts.nix": """{ pkgs, ... }:
{
  users.users.kim = {
    isNormalUser = true;
    packages = [ pkgs.firefox ];
  };
}
""",
    "users/base.nix": """{ ... }:
{
  home.username = "kim";
  home.homeDirectory = "/home/kim";
  home.stateVersion = "25.05";
}
""",
    "users/kim.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
}


def test_the_hosts_packages_do_not_reach_the_other_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    # What the machine `pi` reads is as it was.
    for name in ("users/base.nix", "users/kim.nix"):
        assert after[name] == before[name], name
    assert b"firefox" not in after["accounts.nix"]
    # firefox reaches each host through a file only that host's home reads.
    flake = after["flake.nix"].decode()
    for host in ("desk", "lap"):
        assert f"home/kim/{host}.nix" in flake or any(
            f"home/kim/{host}.nix".encode() in text for text in after.values()
        ), flake
    holders = [n for n, text in after.items() if b"firefox" in text]
    assert holders and all(n.startswith("home/kim/") for n in holders), holders
    assert main(["migrate", "--check", str(root)]) == 0
