"""One home file wired for several users (`home-manager.users.ann.imports = [ ./home/common.nix ];`
and the same for bob): it is no user's own entry point. What migrate adds for one user (their
feature files, `home.username` for a standalone configuration) would reach the others through
it, so it goes to a file of each user's host read beside it, and the shared file stays.
Written as `home-manager.users.ann = import ./home/common.nix;`, nothing can be added beside
it in the same file (Nix merges no binding into a value that is not a set written out): another
file of that host alone takes the per-host files' binding (the module system merges the two
definitions); with none, migrate refuses, saying how to write it, and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo, tree_files

INPUTS = """  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-25.05";
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
  };
"""

FLAKE = (
    "{\n"
    + INPUTS
    + """  outputs =
    { self, nixpkgs, home-manager, ... }:
    {
      nixosConfigurations.a = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/a home-manager.nixosModules.home-manager ];
      };
    };
}
"""
)

HOST = """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
  users.users.bob.isNormalUser = true;
  users.users.bob.packages = [ pkgs.acpi ];
  home-manager.users.ann.imports = [ ../../home/common.nix ];
  home-manager.users.bob.imports = [ ../../home/common.nix ];
}
"""

WHOLE = HOST.replace(".imports = [ ../../home/common.nix ]", " = import ../../home/common.nix")

WITH_IMPORTS = """{ pkgs, ... }:
{
  imports = [ ./git.nix ];
  home.packages = [ pkgs.jq ];
}
"""

PLAIN = """{ pkgs, ... }:
{
  home.packages = [ pkgs.jq ];
}
"""


def files(common: str, host: str = HOST) -> dict[str, str]:
    return {
        "flake.nix": FLAKE,
        "hosts/a/default.nix": host,
        "home/common.nix": common,
        "home/git.nix": "{ ... }:\n{\n  programs.git.enable = true;\n}\n",
    }


def write(root: Path, found: Mapping[str, str]) -> Path:
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("common", [WITH_IMPORTS, PLAIN], ids=["imports", "no-imports"])
def test_a_home_shared_by_users_stays_and_each_gets_their_own(
    common: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: each user's pass edited the shared file, twice at the same place: an internal
    error ("edits overlap in home/common.nix"), or, with no imports list, `lib` added to
    its arguments twice (invalid Nix caught by the validation); then each user's per-host
    file was wired with a second `home-manager.users.<u>.imports` beside the first."""
    root = make_git_repo(write(tmp_path / "repo", files(common)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/common.nix"] == before["home/common.nix"]
    for user, package in (("ann", "htop"), ("bob", "acpi")):
        beside = after[f"home/{user}/a.nix"].decode()
        assert "./features/cli.nix" in beside
        assert f'"{user}"' in beside
        features = b"".join(v for k, v in after.items() if k.startswith(f"home/{user}/features/"))
        assert f"pkgs.{package}".encode() in features
    ann = b"".join(v for k, v in after.items() if k.startswith("home/ann/"))
    assert b"pkgs.acpi" not in ann
    host = after["hosts/a/default.nix"].decode()
    assert host.count("home-manager.users.ann.imports") == 1
    assert "../../home/ann/a.nix" in host
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


def test_a_shared_home_set_as_a_whole_is_refused_with_how_to_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", files(WITH_IMPORTS, WHOLE)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    assert "hosts/a/default.nix:9:28: `ann`'s home on `a` is set as a whole" in err
    assert "internal error" not in err
    assert "write it as `home-manager.users.ann.imports = [ … ];`" in err
    assert tree_files(root) == before


# The host's own default.nix sets the homes as a whole; a second file only that host imports
# can take the per-host files' binding.
WHOLE_AND_OWN = WHOLE.replace("{\n  networking", "{\n  imports = [ ./hardware.nix ];\n  networking")
HARDWARE = "{ ... }:\n{\n  boot.loader.grub.enable = false;\n}\n"


def whole_and_own(common: str) -> dict[str, str]:
    return {**files(common, WHOLE_AND_OWN), "hosts/a/hardware.nix": HARDWARE}


def test_a_home_set_as_a_whole_is_left_and_another_file_of_the_host_wires_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: only the host file homeward picks (`hosts/a/default.nix`) was looked at; its
    `home-manager.users.ann = import …;` can take no binding beside it, so migrate refused,
    though `hosts/a/hardware.nix`, a module of that host alone, could take it (the module
    system merges the two definitions of `home-manager.users.ann`, written in two files)."""
    root = make_git_repo(write(tmp_path / "repo", whole_and_own(WITH_IMPORTS)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/common.nix"] == before["home/common.nix"]
    host = after["hosts/a/default.nix"].decode()
    assert "home-manager.users.ann = import ../../home/common.nix;" in host
    assert "home/ann/a.nix" not in host
    hardware = after["hosts/a/hardware.nix"].decode()
    assert hardware.startswith(HARDWARE.removesuffix("}\n"))
    assert "home-manager.users.ann.imports = [ ../../home/ann/a.nix ];" in hardware
    assert "home-manager.users.bob.imports = [ ../../home/bob/a.nix ];" in hardware
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


@pytest.mark.nix
@pytest.mark.parametrize("common", [WITH_IMPORTS, PLAIN], ids=["imports", "no-imports"])
def test_a_home_shared_by_users_is_conserved_by_the_real_nix(common: str, tmp_path: Path) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.test_conservation import STANDINS, assert_conserved

    root = make_git_repo(write(tmp_path / "repo", files(common)))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.hosts["a"].users["ann"].packages
    assert "htop" not in after.hosts["a"].users["bob"].packages
    assert main(["check", str(root)]) == 0


@pytest.mark.nix
def test_a_home_set_as_a_whole_with_its_files_beside_it_is_conserved_by_the_real_nix(
    tmp_path: Path,
) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.test_conservation import STANDINS, assert_conserved

    root = make_git_repo(write(tmp_path / "repo", whole_and_own(WITH_IMPORTS)))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    for user, mine, theirs in (("ann", "htop", "acpi"), ("bob", "acpi", "htop")):
        assert mine in after.hosts["a"].users[user].packages
        assert theirs not in after.hosts["a"].users[user].packages
        assert "jq" in after.hosts["a"].users[user].home_packages  # home/common.nix
    assert main(["check", str(root)]) == 0


STANDALONE = (
    "{\n"
    + INPUTS
    + """  outputs =
    { self, nixpkgs, home-manager, ... }:
    {
      nixosConfigurations.a = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/a ];
      };
      homeConfigurations."ann@a" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        modules = [ ./home/shared ./home/ann ];
      };
      homeConfigurations."bob@b" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        modules = [ ./home/shared ];
      };
    };
}
"""
)


def test_a_first_module_of_two_users_standalone_configurations_gets_no_ones_features(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: ann's feature files were imported from `home/shared` (her entry point, as the
    first module of her configuration), which bob's configuration reads too: bob got ann's
    packages, and nothing said so (seen on two public configurations)."""
    found = {
        "flake.nix": STANDALONE,
        "hosts/a/default.nix": """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
}
""",
        "home/shared/default.nix": PLAIN,
        "home/ann/default.nix": "{ ... }:\n{\n  programs.git.enable = true;\n}\n",
    }
    root = make_git_repo(write(tmp_path / "repo", found))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/shared/default.nix"] == before["home/shared/default.nix"]
    flake = after["flake.nix"].decode()
    bob = flake[flake.index('"bob@b"') :]
    assert "modules = [ ./home/shared ];" in bob
    features = b"".join(v for k, v in after.items() if k.startswith("home/ann/features/"))
    assert b"pkgs.htop" in features
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


@pytest.mark.parametrize(
    "host", [HOST, WHOLE, WHOLE_AND_OWN], ids=["list", "whole", "whole-and-own"]
)
def test_what_check_reads_of_the_wiring_is_where_migrate_writes_it(
    host: str, tmp_path: Path
) -> None:
    """Why: `check` reads where migrate's wiring writes (`wire_places`, commands/fixable.py),
    not its text; a per-host file joining `home-manager.users.<u>.imports` was placed where
    a new binding would have gone, not in the list it joins."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.state import MigrateOptions, PlanState
    from tests.test_wire import assert_places

    found = {**files(WITH_IMPORTS, host), "hosts/a/hardware.nix": HARDWARE}
    root = write(tmp_path / "repo", found)
    assert_places(PlanState(build_index(load_repo(root)), MigrateOptions()))
