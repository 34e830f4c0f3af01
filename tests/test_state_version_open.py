"""HW007 in the open world: "does not set `home.stateVersion`" is an error only when homeward sees
every module of that home. Measured on a real configuration (krad246/nix-systems, ez-configs): the
home imports `self.homeModules.base-home`, which sets `home.stateVersion`, and `check` called the
home an error before and after `migrate` (a Wrong corpus result)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import check_findings, hm_flake_lines, make_git_repo, tree_files
from tests.test_openworld import write

FLAKE = hm_flake_lines(
    """  inputs.dotfiles.url = "github:kim/dotfiles";
  outputs = { self, nixpkgs, home-manager, ... }@inputs: {
    homeModules.base = ./modules/home/base.nix;
    homeConfigurations.kim = home-manager.lib.homeManagerConfiguration {
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      extraSpecialArgs = { inherit self inputs; };
      modules = [ ./home/kim.nix ];
    };
    homeConfigurations.lou = home-manager.lib.homeManagerConfiguration {
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      extraSpecialArgs = { inherit self inputs; };
      modules = [ ./home/lou.nix ];
    };
    homeConfigurations.ada = home-manager.lib.homeManagerConfiguration {
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      modules = [ ./home/ada.nix ];
    };
  };
"""
)

FILES: dict[str, str | bytes] = {
    "flake.nix": FLAKE,
    "modules/home/base.nix": '{ home.stateVersion = "25.05"; }\n',
    # The flake's own exported module sets it, through `self` in `extraSpecialArgs`: followed.
    "home/kim.nix": """{ self, ... }:
{
  imports = [ self.homeModules.base ];
  home.username = "kim";
  home.homeDirectory = "/home/kim";
}
""",
    # An input's module may set it too.
    "home/lou.nix": """{ inputs, ... }:
{
  imports = [ inputs.dotfiles.homeModules.default ];
  home.username = "lou";
  home.homeDirectory = "/home/lou";
}
""",
    # Every module known: a real finding.
    "home/ada.nix": """{
  home.username = "ada";
  home.homeDirectory = "/home/ada";
}
""",
}


def _findings(root: Path, capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, str]]:
    found = check_findings(root, capsys, "--select", "HW007")
    return sorted(
        (str(Path(f["path"]).relative_to(root)), f["severity"], f["message"]) for f in found
    )


def test_does_not_set_is_an_error_only_when_every_module_is_known(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    found = _findings(root, capsys)
    # Why kim has none: `self.homeModules.base` is read (`self` comes from `extraSpecialArgs`),
    # and `modules/home/base.nix` sets it. An input's module stays unseen: a note for lou.
    assert [(path, severity) for path, severity, _ in found] == [
        ("home/ada.nix", "error"),
        ("home/lou.nix", "note"),
    ]
    notes = {path: message for path, _, message in found}
    assert "`inputs.dotfiles.homeModules.default`" in notes["home/lou.nix"]
    assert "homeward cannot see" in notes["home/lou.nix"]


def test_the_fix_never_sets_it_beside_a_module_homeward_cannot_see(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a second definition with another value breaks the home's evaluation."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    before = tree_files(root)
    assert main(["check", str(root), "--select", "HW007", "--fix", "--unsafe-fixes"]) == 0
    after = tree_files(root)
    assert after["home/kim.nix"] == before["home/kim.nix"]
    assert after["home/lou.nix"] == before["home/lou.nix"]
    assert b"home.stateVersion" in after["home/ada.nix"]
