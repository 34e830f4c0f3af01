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
from tests.helpers import make_git_repo, migrate_stderr, tree_files
from tests.test_openworld import STARTER_STANDARD, misterio_home, misterio_user

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
    "hosts/common/users/kim/default.nix": misterio_user('    extraGroups = [ "wheel" ];\n'),
    "home/kim/box.nix": "{\n  imports = [ ./global ];\n}\n",
    "home/kim/tower.nix": "{\n  imports = [ ./global ./features/games.nix ];\n}\n",
    "home/kim/features/games.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.prismlauncher ];\n}\n",
    "home/kim/global/default.nix": misterio_home("  programs.fish.enable = true;\n"),
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


def test_a_home_written_inline_moves_and_the_result_checks_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 11): a home written inline in a NixOS module (`home-manager.users.jon =
    { ... };`) kept migrate from adding `homeConfigurations`, and `check` then failed. Now the
    portable block becomes `home/jon/home.nix` (golden case inline-home, conserved with the real
    nix in test_conservation); the one that reads the NixOS `config` stays, with one warning,
    and nobody gets an empty home beside it."""
    from tests.helpers import copy_tree
    from tests.test_migrate import CASES

    root = make_git_repo(copy_tree(CASES / "inline-home" / "before", tmp_path / "repo"))
    err = migrate_stderr(root, capsys)
    assert err.count("warning:") == 1 and "`kim`" in err and "NixOS `config`" in err, err
    assert not (root / "home" / "kim").exists()
    code, out = check(root, capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "0 errors, 1 warning", out  # kim: HW005


# test_openworld's starter template, without its packages, modules and hardware file.
STARTER = {
    "flake.nix": STARTER_STANDARD["flake.nix"]
    .replace('      systems = [ "x86_64-linux" "aarch64-linux" ];\n', "")
    .replace("      forAllSystems = nixpkgs.lib.genAttrs systems;\n", "")
    .replace(
        "      packages = forAllSystems (system: import ./pkgs nixpkgs.legacyPackages.${system});\n",
        "",
    )
    .replace("      nixosModules = import ./modules/nixos;\n", "")
    .replace("      homeManagerModules = import ./modules/home-manager;\n", ""),
    "overlays/default.nix": STARTER_STANDARD["overlays/default.nix"],
    "nixos/configuration.nix": STARTER_STANDARD["nixos/configuration.nix"]
    .replace("{ inputs, outputs, lib, config, pkgs, ... }:", "{ inputs, outputs, pkgs, ... }:")
    .replace("  imports = [ ./hardware-configuration.nix ];\n", ""),
    "home-manager/home.nix": STARTER_STANDARD["home-manager/home.nix"],
}


def test_starter_standard_shape_checks_clean_before_and_after_migrate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 11): the nix-starter-configs "standard" shape (a standalone home next to a
    host without home-manager's module) is one step from the layout: `check` reports no error
    on it; migrate wires the same home into the host (the issue's "existing home that sets
    `nixpkgs.*`": `useGlobalPkgs` left off, said), keeps the entry file's path, and its output
    checks clean too; a second run changes nothing."""
    root = write(tmp_path / "repo", STARTER)
    code, out = check(root, capsys)
    assert code == 0, out
    assert main(["migrate", str(root)]) == 0
    captured = capsys.readouterr()
    assert "useGlobalPkgs` is left off" in captured.err
    assert "./home-manager/home.nix" in (root / "flake.nix").read_text()
    code, out = check(root, capsys)
    assert code == 0, out
    after = tree_files(root)
    assert main(["migrate", str(root), "--allow-dirty"]) == 0
    assert tree_files(root) == after


def test_an_empty_package_list_is_nothing_to_move(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 11): `packages = with pkgs; [ ];` (4leite/nixos-config's bambam, the QA case
    06's cid) was "moved" and gave its user a whole home (entry, wiring, standalone entry)
    holding nothing; check called it HW002. An empty list is nothing to move: the user gets
    nothing, and check does not report it (a list with a commented-out entry still moves, with
    its comment)."""
    root = write(
        tmp_path / "repo",
        {
            "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { nixpkgs, ... }:
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./host.nix ];
      };
    };
}
""",
            "host.nix": """{ pkgs, ... }:
{
  users.users.bambam = {
    isNormalUser = true;
    packages = with pkgs; [ ];
  };
  networking.hostName = "box";
  system.stateVersion = "25.05";
}
""",
        },
    )
    code, out = check(root, capsys)
    assert code == 0, out
    assert "HW002" not in out
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == before, capsys.readouterr().out


def test_a_standalone_home_built_by_a_helper_is_wired_not_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 11, jnsgruk/nixos-config): the standalone entry is built in a helper file
    whose `extraSpecialArgs` (`{ inherit inputs; }`) the host passes already; migrate refused
    the whole run (exit 3) because that text cannot be copied beside the host's module list.
    Names the host passes need no copy; others that cannot be copied are a warning."""
    root = write(
        tmp_path / "repo",
        {
            "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  outputs =
    { nixpkgs, ... }@inputs:
    let
      helpers = import ./lib.nix { inherit inputs; };
    in
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs; };
        modules = [ ./host.nix ];
      };
      homeConfigurations."kim@box" = helpers.mkHome;
    };
}
""",
            "lib.nix": """{ inputs }:
{
  mkHome = inputs.home-manager.lib.homeManagerConfiguration {
    pkgs = inputs.nixpkgs.legacyPackages.x86_64-linux;
    extraSpecialArgs = { inherit inputs; };
    modules = [ ./home.nix ];
  };
}
""",
            "home.nix": '{ inputs, ... }:\n{\n  home.stateVersion = "25.05";\n}\n',
            "host.nix": """{ pkgs, ... }:
{
  users.users.kim = {
    isNormalUser = true;
    packages = [ pkgs.git ];
  };
  networking.hostName = "box";
  system.stateVersion = "25.05";
}
""",
        },
    )
    capsys.readouterr()
    code = main(["migrate", str(root)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "extraSpecialArgs" not in captured.err
    assert (
        "home-manager.extraSpecialArgs = { inherit inputs; };" in (root / "flake.nix").read_text()
    )
