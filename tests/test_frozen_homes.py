"""Rule 10 for home-manager modules: a home file that an output homeward does not rewire reads
too (exported as `homeManagerModules.*`) stays byte-identical, whichever output reaches it —
home-manager's NixOS module or a standalone `homeConfigurations` entry. What migrate would have
added to it goes to a file of each host read beside it, through both wirings."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake, home_entry, make_git_repo, nixos_entry, tree_files

WIRED = hm_flake(
    """      homeManagerModules.kim = ./home/kim/home.nix;
      nixosConfigurations.a = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/a
          home-manager.nixosModules.home-manager
          {
            home-manager.useGlobalPkgs = true;
            home-manager.users.kim = import ./home/kim/home.nix;
          }
        ];
      };
""",
)

STANDALONE = hm_flake(
    "      homeManagerModules.kim = ./home/kim/home.nix;\n",
    nixos_entry("a", "./hosts/a"),
    home_entry("kim", "./home/kim/home.nix"),
)


MAC = """{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
    nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
    nix-darwin.inputs.nixpkgs.follows = "nixpkgs";
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
  };
  outputs =
    { self, nixpkgs, nix-darwin, home-manager, ... }:
    {
      homeManagerModules.kim = ./home/kim/home.nix;
      darwinConfigurations.a = nix-darwin.lib.darwinSystem {
        modules = [
          ./hosts/a
          home-manager.darwinModules.home-manager
          {
            home-manager.useGlobalPkgs = true;
            home-manager.users.kim = import ./home/kim/home.nix;
          }
        ];
      };
    };
}
"""

MAC_HOST = """{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  networking.hostName = "a";
  system.stateVersion = 6;
  users.users.kim.home = "/Users/kim";
  users.users.kim.packages = [ pkgs.htop ];
}
"""


def files(flake: str) -> dict[str, str]:
    return {
        "flake.nix": flake,
        "hosts/a/default.nix": MAC_HOST
        if flake is MAC
        else """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.htop ];
}
""",
        "home/kim/home.nix": """{ pkgs, ... }:
{
  home.username = "kim";
  home.homeDirectory = "HOME";
  home.stateVersion = "25.05";
  home.packages = [ pkgs.acpi ];
}
""".replace("HOME", "/Users/kim" if flake is MAC else "/home/kim"),
    }


def write(root: Path, found: Mapping[str, str]) -> Path:
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize(
    "flake", [WIRED, STANDALONE, MAC], ids=["nixos-module", "standalone", "darwin-module"]
)
def test_an_exported_home_stays_as_it_is(
    flake: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the exported home was the user's entry: migrate added the new feature files to
    its imports (other flakes importing it got them too); then the invariant refused the
    plan (exit 4) when its NixOS module reached it, and nothing did when only a standalone
    configuration did."""
    root = make_git_repo(write(tmp_path / "repo", files(flake)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    after = tree_files(root)
    assert after["home/kim/home.nix"] == before["home/kim/home.nix"]
    assert "`home/kim/home.nix` is left as it is: `homeManagerModules.kim` is exported" in err
    beside = after["home/kim/a.nix"].decode()
    assert "./features/cli.nix" in beside
    assert "pkgs.htop" in after["home/kim/features/cli.nix"].decode()
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


@pytest.mark.nix
@pytest.mark.parametrize(
    "flake", [WIRED, STANDALONE, MAC], ids=["nixos-module", "standalone", "darwin-module"]
)
def test_an_exported_home_is_conserved_by_the_real_nix(flake: str, tmp_path: Path) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo", files(flake)))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.hosts["a"].users["kim"].packages
    assert main(["check", str(root)]) == 0
