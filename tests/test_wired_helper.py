"""home-manager already wired by a helper that builds NixOS hosts and a Mac from one module list
(issue 11; reduced from a real configuration): the helper picks `nixosModules` or
`darwinModules` of the home-manager input with an `if`, and writes
`home-manager.users.${user} = import ../users/${user}/home.nix { isWSL = wsl; inherit inputs; }`:
the user's home is a file that is a function of arguments before it is a module.

homeward refused it: the list is shared by NixOS and nix-darwin hosts, and the wiring was not
recognised (the user's name is the helper's argument, the home an import with arguments), so every
host looked unwired. Now the wiring is followed per host into the user's home file; there is
nothing to wire; a standalone `homeConfigurations` entry is not written (the file needs arguments
the NixOS wiring passes) and the run says so; what holds on the NixOS hosts only moves to files
their own modules import, never into the home the Mac shares, checked with the real nix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.index import build_index, entry_arguments
from homeward.model.repo import load_repo
from tests.helpers import git, make_git_repo, tree_files, write

FLAKE = """{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
    darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
    darwin.inputs.nixpkgs.follows = "nixpkgs";
  };
  outputs = { nixpkgs, ... }@inputs:
    let
      mkSystem = import ./lib/mksystem.nix { inherit nixpkgs inputs; };
    in
    {
      nixosConfigurations.box = mkSystem "box" {
        system = "x86_64-linux";
        user = "kim";
      };
      nixosConfigurations.wsl = mkSystem "wsl" {
        system = "x86_64-linux";
        user = "kim";
        wsl = true;
      };
      darwinConfigurations.mac = mkSystem "mac" {
        system = "aarch64-darwin";
        user = "kim";
        darwin = true;
      };
    };
}
"""

MKSYSTEM = """# one builder for every machine, Linux or Mac
{ nixpkgs, inputs }:
name:
{
  system,
  user,
  darwin ? false,
  wsl ? false,
}:
let
  osModule = ../users/${user}/${if darwin then "darwin" else "nixos"}.nix;
  homeModule = ../users/${user}/home.nix;
  build = if darwin then inputs.darwin.lib.darwinSystem else nixpkgs.lib.nixosSystem;
  home-manager = if darwin then inputs.home-manager.darwinModules else inputs.home-manager.nixosModules;
in
build {
  inherit system;
  modules = [
    ../machines/${name}.nix
    osModule
    home-manager.home-manager
    {
      home-manager.useGlobalPkgs = true;
      home-manager.users.${user} = import homeModule {
        isWSL = wsl;
        inherit inputs;
      };
    }
  ];
}
"""

HOME = """{ isWSL, inputs, ... }:
{ pkgs, lib, ... }:
{
  home.stateVersion = "25.05";
  home.packages = [ pkgs.ripgrep ] ++ lib.optionals isWSL [ pkgs.htop ];
}
"""

FILES = {
    "flake.nix": FLAKE,
    "lib/mksystem.nix": MKSYSTEM,
    "users/kim/home.nix": HOME,
    "users/kim/nixos.nix": """{ pkgs, ... }:
{
  users.users.kim = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
  };
}
""",
    "users/kim/darwin.nix": """{
  users.users.kim.home = "/Users/kim";
  system.primaryUser = "kim";
}
""",
    "machines/box.nix": '{\n  networking.hostName = "box";\n  system.stateVersion = "25.05";\n}\n',
    "machines/wsl.nix": '{\n  networking.hostName = "wsl";\n  system.stateVersion = "25.05";\n}\n',
    "machines/mac.nix": "{\n  system.stateVersion = 6;\n}\n",
}

# kim's NixOS account also lists packages: they are the NixOS hosts' only, never the Mac's.
WITH_PACKAGES = {
    **FILES,
    "users/kim/nixos.nix": FILES["users/kim/nixos.nix"].replace(
        '    extraGroups = [ "wheel" ];\n',
        '    extraGroups = [ "wheel" ];\n    packages = [ pkgs.jq ];\n',
    ),
}


def test_the_helpers_wiring_is_followed_on_every_host(tmp_path: Path) -> None:
    """Why: `home-manager.users.${user} = import f { … }` was "cannot follow this import" and
    the user's name stayed computed: every host looked unwired."""
    root = make_git_repo(write(tmp_path, FILES))
    repo = load_repo(root, darwin=True)
    index = build_index(repo)
    assert sorted(index.hosts) == ["box", "mac", "wsl"]
    for host in ("box", "mac", "wsl"):
        assert set(index.hosts[host].hm_users) == {"kim"}, host
    assert index.hm_user_hosts("kim") == {"box", "mac", "wsl"}
    assert repo.modules["users/kim/home.nix"].pairs == {
        ("box", "kim"),
        ("mac", "kim"),
        ("wsl", "kim"),
    }
    assert str(index.entries["kim"]) == "users/kim/home.nix"
    assert entry_arguments(index, "kim") == ("isWSL", "inputs")
    assert not [p for p in repo.problems if "cannot follow" in p.message]


def test_nothing_to_wire_and_no_standalone_entry_it_cannot_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the run was refused (exit 3); with the wiring recognised there is nothing to do,
    and a `homeConfigurations` entry listing the file would not evaluate (no `isWSL`)."""
    root = make_git_repo(write(tmp_path, FILES))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    out = capsys.readouterr()
    assert tree_files(root) == before
    said = out.out + out.err
    assert "nothing to do" in said
    assert "no `homeConfigurations` for `kim`" in said
    assert "`isWSL`, `inputs`" in said


@pytest.mark.nix
def test_packages_of_the_nixos_hosts_move_for_them_and_never_reach_the_mac(
    tmp_path: Path,
) -> None:
    """Never a silent loss or gain: the Mac shares the module list and the home file with the
    NixOS hosts, so a package of the NixOS hosts' account moves to a file each NixOS host's
    own module imports, never into the shared home (the Mac would get it). Before, the shared
    home imported it and the invariant check stopped the run (exit 4). Checked with the real
    nix, the Mac included; a second run changes nothing."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path, WITH_PACKAGES))
    before = extract_outputs_standins(root, STANDINS)
    assert set(before.hosts) == {"box", "wsl", "mac"}
    assert main(["migrate", str(root)]) == 0
    after_files = tree_files(root)
    assert after_files["lib/mksystem.nix"] == MKSYSTEM.encode()  # nothing to wire
    for untouched in ("users/kim/darwin.nix", "machines/mac.nix"):
        assert after_files[untouched] == FILES[untouched].encode()
    assert b"jq" not in after_files["users/kim/nixos.nix"]
    assert b"jq" not in after_files["users/kim/home.nix"]
    assert b"cli-box-wsl" not in after_files["users/kim/home.nix"]  # the Mac reads it
    for host in ("box", "wsl"):
        own = after_files[f"machines/{host}.nix"].decode()
        assert f"home-manager.users.kim.imports = [ ../home/kim/{host}.nix ];" in own
    assert_conserved(before, extract_outputs_standins(root, STANDINS))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root), "--check"]) == 0


def test_flake_nix_untouched_when_nothing_in_it_names_home_manager(tmp_path: Path) -> None:
    """Why: the wire phase made `home-manager` a formal of `outputs` on every run, even here,
    where the helper wires it already and no standalone entry is written: flake.nix got an
    argument nothing in it uses."""
    root = make_git_repo(write(tmp_path, WITH_PACKAGES))
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root)["flake.nix"] == FLAKE.encode()


def test_a_host_named_otherwise_names_no_standalone_configuration_that_is_not_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the `networking.hostName` warning said "the standalone configuration is
    `<user>@box`" where no standalone entry is written (the home file takes arguments)."""
    renamed = {**FILES, "machines/box.nix": FILES["machines/box.nix"].replace('"box"', '"boxy"')}
    root = make_git_repo(write(tmp_path, renamed))
    assert main(["migrate", str(root)]) == 0
    out = capsys.readouterr()
    said = " ".join((out.out + out.err).split())
    assert 'host `box` sets networking.hostName = "boxy"' in said
    assert "the standalone configuration is `<user>@box`" not in said
    assert "no standalone configuration is written for it" in said
