"""Hosts that real configurations build where homeward did not look (issue 11, "Frameworks"):
configurations under `packages.<system>` (flake-utils' `eachDefaultSystem`), digga's
`importHosts`, blueprint's `default.nix` hosts and snowfall-lib's `snowfall.root`. Each shape is
found, drawn and linted; `migrate` leaves what it does not rewire byte-identical and says
exactly which convention and what is not supported. Exit 3 only when no host at all exists,
with the directories the framework would have read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.errors import HomewardError
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, tree_files

NIXPKGS = '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
HM = '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
UTILS = '  inputs.flake-utils.url = "github:numtide/flake-utils";\n'
DARWIN = '  inputs.darwin.url = "github:nix-darwin/nix-darwin";\n'


def host(name: str, package: str = "htop") -> str:
    return (
        "{ pkgs, ... }:\n{\n"
        f'  networking.hostName = "{name}";\n'
        "  users.users.kim.isNormalUser = true;\n"
        f"  users.users.kim.packages = [ pkgs.{package} ];\n"
        '  system.stateVersion = "25.05";\n}\n'
    )


def write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def flake(inputs: str, outputs: str) -> str:
    return "{\n" + NIXPKGS + inputs + f"  outputs = {outputs};\n}}\n"


# -- configurations under `packages.<system>` ------------------------------------------------------
# Reduced from a configuration that builds every host inside `eachDefaultSystem` and builds
# them with `nix build .#packages.<system>.nixosConfigurations.<h>...`.
PER_SYSTEM = {
    "flake.nix": flake(
        UTILS + HM + DARWIN,
        "inputs@{ self, nixpkgs, flake-utils, home-manager, darwin, ... }:\n"
        "    flake-utils.lib.eachDefaultSystem (system: {\n"
        "      packages.nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
        '        system = "x86_64-linux";\n'
        "        modules = [ ./hosts/box.nix ];\n      };\n"
        "      packages.darwinConfigurations.mac = darwin.lib.darwinSystem {\n"
        '        system = "aarch64-darwin";\n'
        "        modules = [ ./hosts/mac.nix ];\n      };\n"
        "      packages.homeConfigurations.kim = home-manager.lib.homeManagerConfiguration {\n"
        "        pkgs = nixpkgs.legacyPackages.${system};\n"
        "        modules = [ ./home/kim.nix ];\n      };\n"
        "      packages.hello = nixpkgs.legacyPackages.${system}.hello;\n"
        "    })",
    ),
    "hosts/box.nix": host("box"),
    "hosts/mac.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.jq ];\n"
    "  system.stateVersion = 6;\n}\n",
    "home/kim.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n"
    '  home.stateVersion = "25.05";\n}\n',
}


def test_configurations_under_packages_per_system_are_hosts_read(tmp_path: Path) -> None:
    """Why: `nix build .#packages.<system>.nixosConfigurations.box...` builds them; they were
    refused with exit 3 although homeward can read them."""
    repo = load_repo(write(tmp_path, PER_SYSTEM))
    repo.fatal()  # hosts were read: no refusal
    assert sorted(repo.hosts) == ["box"]
    assert sorted(repo.homes) == ["kim"]
    assert sorted(repo.others) == ["darwinConfigurations.mac"]
    assert {c.framework for c in (*repo.hosts.values(), *repo.homes.values())} == {
        "`packages.<system>`"
    }
    assert "kim" in repo.users
    mac = load_repo(tmp_path, darwin=True)
    assert sorted(mac.hosts) == ["box", "mac"]


def test_migrate_leaves_per_system_hosts_alone_and_says_where_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: nixos-rebuild and home-manager do not read `packages.<system>`; homeward does not
    rewire them, so their files keep their bytes, and the warning names where they are."""
    root = make_git_repo(write(tmp_path / "repo", PER_SYSTEM))
    before = tree_files(root)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["migrate", "repo"]) == 0
    captured = capsys.readouterr()
    assert tree_files(root) == before
    said = captured.err + captured.out
    assert (
        "3 configurations under `packages.<system>`: `nixosConfigurations` `box`; "
        "`darwinConfigurations` `mac`; `homeConfigurations` `kim`;" in said
    )
    assert "assembles" not in said  # not a directory convention
    assert "`box`" in said and "`kim`" in said and "`mac`" in said
    assert "already in the home-manager layout" not in said
    assert "nothing migrated" in captured.out
    assert main(["graph", "repo", "--format", "json"]) == 0
    drawn = capsys.readouterr().out
    assert "hosts/box.nix" in json.dumps(json.loads(drawn))


MIXED = {
    "flake.nix": flake(
        "",
        "{ self, nixpkgs, ... }:\n    {\n"
        "      nixosConfigurations.pc = nixpkgs.lib.nixosSystem {\n"
        '        system = "x86_64-linux";\n'
        "        modules = [ ./hosts/pc.nix ./shared.nix ];\n      };\n"
        '      packages = nixpkgs.lib.genAttrs [ "x86_64-linux" ] (system: {\n'
        "        nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
        "          inherit system;\n"
        "          modules = [ ./hosts/box.nix ./shared.nix ];\n        };\n"
        "      });\n    }",
    ),
    "hosts/pc.nix": host("pc", "jq"),
    "hosts/box.nix": host("box"),
    "shared.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n",
}


@pytest.mark.nix
def test_a_per_system_host_freezes_what_it_shares_and_the_others_migrate_conserved(
    tmp_path: Path,
) -> None:
    """Why (rule 10): `box` under `packages.<system>` reads `shared.nix` too; moving kim's git
    out of it for `pc` would take it from `box`. `pc`'s own file migrates, conserved."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.test_conservation import STANDINS, assert_conserved

    root = make_git_repo(write(tmp_path / "repo", MIXED))
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box", "pc"]
    before_files = tree_files(root)
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after_files = tree_files(root)
    for kept in ("shared.nix", "hosts/box.nix"):
        assert after_files[kept] == before_files[kept], kept
    assert b"pkgs.jq" not in after_files["hosts/pc.nix"]
    assert_conserved(before, extract_outputs_standins(root, STANDINS))


def test_only_hosts_under_packages_of_no_kind_read_still_refuse(tmp_path: Path) -> None:
    """A flake whose `packages.<system>` holds only packages has no host: exit 3 stays."""
    repo = load_repo(
        write(
            tmp_path,
            {
                "flake.nix": flake(
                    UTILS,
                    "{ nixpkgs, flake-utils, ... }: flake-utils.lib.eachDefaultSystem (system: "
                    "{ packages.hello = nixpkgs.legacyPackages.${system}.hello; })",
                )
            },
        )
    )
    with pytest.raises(HomewardError):
        repo.fatal()


def test_an_inline_module_importing_an_absolute_path_is_named_as_inline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: on a real flake the warning read "`None` imports /etc/nixos/...": inline modules
    have no file of their own."""
    files = {
        "flake.nix": flake(
            "",
            "{ self, nixpkgs, ... }: {\n"
            "    nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
            '      system = "x86_64-linux";\n'
            "      modules = [ ./box.nix { imports = [ /etc/nixos/hardware-configuration.nix ]; } ];\n"
            "    };\n  }",
        ),
        "box.nix": host("box"),
    }
    make_git_repo(write(tmp_path / "repo", files))
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["migrate", "repo", "--dry-run"])
    said = capsys.readouterr().err
    assert "`None`" not in said
    assert "an inline module of `flake.nix` imports /etc/nixos/hardware-configuration.nix" in said


# -- digga ---------------------------------------------------------------------------------------
# Reduced from digga's devos template: hosts are files under the directories given to
# `importHosts` (a nested directory without `default.nix` groups them: `group.name`), and
# `nixos.hosts.<h>` only sets properties of a host found there.
DIGGA = {
    "flake.nix": flake(
        '  inputs.digga.url = "github:divnix/digga";\n',
        "{ self, digga, nixpkgs, ... }@inputs:\n"
        "    digga.lib.mkFlake {\n"
        "      inherit self inputs;\n"
        "      nixos = {\n"
        '        hostDefaults = { system = "x86_64-linux"; channelName = "nixpkgs"; };\n'
        "        imports = [ (digga.lib.importHosts ./hosts/nixos) ];\n"
        "        hosts = { box = { }; };\n"
        "      };\n"
        "      darwin.imports = [ (digga.lib.importHosts ./hosts/darwin) ];\n"
        "    }",
    ),
    "hosts/nixos/box.nix": host("box"),
    "hosts/nixos/lab/default.nix": host("lab", "jq"),
    "hosts/nixos/lab/disks.nix": "{ ... }:\n{\n}\n",
    "hosts/nixos/rack/edge.nix": host("edge", "git"),
    "hosts/nixos/notes.md": "not a host\n",
    "hosts/darwin/mac.nix": "{ pkgs, ... }:\n{\n  system.stateVersion = 6;\n}\n",
}


def test_digga_hosts_are_the_files_given_to_import_hosts(tmp_path: Path) -> None:
    """Why: digga builds each host from a file under `importHosts <dir>`; homeward found none
    and refused the flake with exit 3."""
    repo = load_repo(write(tmp_path, DIGGA))
    repo.fatal()
    assert sorted(repo.hosts) == ["box", "lab", "rack.edge"]
    assert sorted(repo.others) == ["darwinConfigurations.mac"]
    assert {c.framework for c in repo.hosts.values()} == {"digga"}
    assert "hosts/nixos/lab/default.nix" in repo.modules
    assert "kim" in repo.users


def test_migrate_leaves_digga_hosts_alone_and_names_digga(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", DIGGA))
    before = tree_files(root)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["migrate", "repo"]) == 0
    captured = capsys.readouterr()
    assert tree_files(root) == before
    said = captured.err + captured.out
    assert "warning: digga assembles 4 configurations from their directories" in said
    assert "`lab` (hosts/nixos/lab/default.nix)" in said
    assert "nothing migrated" in captured.out
