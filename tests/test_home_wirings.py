"""Home wirings migrate reads only in part: a home set as a whole in parentheses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo, tree_files

FLAKE = """{
  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-25.05";
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
  };
  outputs =
    { self, nixpkgs, home-manager, ... }:
    {
      nixosConfigurations.a = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/a home-manager.nixosModules.home-manager ];
      };
    };
}
"""


def write(root: Path, found: Mapping[str, str]) -> Path:
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return make_git_repo(root)


# -- a home set as a whole, in parentheses or as an update ---------------------------------------
WHOLE = """{ lib, pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
  users.users.bob.isNormalUser = true;
  users.users.bob.packages = [ pkgs.acpi ];
  home-manager.users.ann = VALUE;
  home-manager.users.bob = import ../../home/common.nix;
}
"""

ATTRS = """{
  home.stateVersion = "25.05";
  programs.git.enable = true;
}
"""


def whole(tmp_path: Path, value: str, *, bob: bool = True) -> Path:
    """ann's home set as a whole to `value`; `bob`: bob's to the same file."""
    host = WHOLE.replace("VALUE", value)
    if not bob:
        host = host.replace("  home-manager.users.bob = import ../../home/common.nix;\n", "")
    found = {"flake.nix": FLAKE, "hosts/a/default.nix": host, "home/common.nix": ATTRS}
    return write(tmp_path / "repo", found)


@pytest.mark.nix
@pytest.mark.parametrize(
    "value",
    [
        "(import ../../home/common.nix)",
        "((import ../../home/common.nix))",
        "(../../home/common.nix)",
    ],
    ids=["import", "twice", "path"],
)
def test_a_home_set_as_a_whole_in_parentheses_is_the_module_list_it_is(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `(import ./home.nix)` was refused ("not a bare `import` of a file"), though the
    parentheses change nothing: ann's home, which bob's starts from too, is written as the
    module list with her own file in it, as without them."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.test_conservation import STANDINS, assert_conserved

    root = whole(tmp_path, value)
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    written = tree_files(root)
    host = written["hosts/a/default.nix"].decode()
    assert (
        "  home-manager.users.ann.imports = [\n"
        "    ../../home/common.nix\n"
        "    ../../home/ann/a.nix\n"
        "  ];\n"
    ) in host, host
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.hosts["a"].users["ann"].packages
    assert "htop" not in after.hosts["a"].users["bob"].packages
    assert main(["check", str(root)]) == 0
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written
