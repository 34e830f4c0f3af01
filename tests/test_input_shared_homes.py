"""A NixOS module from a flake input may add home-manager modules to every home of the host,
through `home-manager.sharedModules` (stylix's `homeManagerIntegration.autoImport`,
niri-flake's `nixosModules.niri`; corpus snapshot a4n1 imports both). homeward does not read
inputs; the new standalone `homeConfigurations."<user>@<host>"` entry does not read the host's
`sharedModules`: it may lack what the NixOS wiring's home has (stylix's targets, niri's
settings module). migrate says so, once for each import of such a module, naming the entries
of the hosts that read it and the input's home module to add."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import BOX_HOST, make_git_repo, write

FLAKE = """{
  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-25.05";
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
    stylix.url = "github:danth/stylix/release-25.05";
    hardware.url = "github:nixos/nixos-hardware";
  };
  outputs =
    { nixpkgs, stylix, hardware, ... }:
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/box.nix
          stylix.nixosModules.stylix
          hardware.nixosModules.framework-13-7040-amd
        ];
      };
      nixosConfigurations.lab = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/lab.nix ];
      };
    };
}
"""
TREE = {
    "flake.nix": FLAKE,
    "hosts/box.nix": BOX_HOST,
    "hosts/lab.nix": BOX_HOST.replace('"box"', '"lab"'),
}


def _warnings(err: str) -> list[str]:
    return [line for line in err.splitlines() if "warning:" in line or "hint:" in line]


def test_an_entry_of_a_host_with_stylix_is_said_to_need_its_home_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: kim's new `homeConfigurations."kim@box"` had none of the home-manager modules
    stylix's NixOS module adds to kim's home on `box`, and nothing said so. Precision: said
    once, at the import (flake.nix:16:11); not for `lab`, which has no stylix, nor for
    nixos-hardware's module, which adds no home-manager module."""
    root = make_git_repo(write(tmp_path / "repo", TREE))
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["migrate", "--dry-run"]) == 0
    _out, err = capsys.readouterr()
    assert '+      homeConfigurations."kim@box" =' in _out
    assert _warnings(err) == [
        (
            'flake.nix:16:11: warning: `homeConfigurations."kim@box"` may lack what '
            "`stylix.nixosModules.stylix` adds to every home on its host: stylix's NixOS module "
            "adds home-manager modules through `home-manager.sharedModules`, which a standalone "
            "configuration does not read"
        ),
        (
            "  hint: add `stylix.homeModules.stylix` to the `modules` of "
            '`homeConfigurations."kim@box"` (and what else the input\'s documentation says its '
            "home module needs), then check that it builds"
        ),
    ]


def test_one_import_read_by_several_hosts_is_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not once per host or per file: a module both hosts import lists stylix's once, and
    the one warning names both entries."""
    tree = dict(TREE)
    tree["flake.nix"] = (
        FLAKE.replace("          stylix.nixosModules.stylix\n", "")
        .replace("./hosts/box.nix\n", "./hosts/box.nix\n          ./theme.nix\n")
        .replace("[ ./hosts/lab.nix ]", "[ ./hosts/lab.nix ./theme.nix ]")
        .replace("{ nixpkgs, stylix, hardware, ... }", "{ nixpkgs, hardware, ... }@inputs")
        .replace(
            'system = "x86_64-linux";\n        modules',
            'system = "x86_64-linux";\n        specialArgs = { inherit inputs; };\n        modules',
        )
    )
    tree["theme.nix"] = (
        "{ inputs, ... }:\n{\n  imports = [ inputs.stylix.nixosModules.stylix ];\n}\n"
    )
    root = make_git_repo(write(tmp_path / "repo", tree))
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["migrate", "--dry-run"]) == 0
    said = [w for w in _warnings(capsys.readouterr().err) if "warning:" in w]
    assert said == [
        (
            'theme.nix:3:15: warning: `homeConfigurations."kim@box"` and '
            '`homeConfigurations."kim@lab"` may lack what `inputs.stylix.nixosModules.stylix` '
            "adds to every home on their hosts: stylix's NixOS module adds home-manager modules "
            "through `home-manager.sharedModules`, which a standalone configuration does not read"
        )
    ]
