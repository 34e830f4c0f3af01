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
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, migrate_keeps_bytes, tree_files, write

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
    assert "kim" in build_index(repo).users
    mac = load_repo(tmp_path, darwin=True)
    assert sorted(mac.hosts) == ["box", "mac"]


def test_migrate_leaves_per_system_hosts_alone_and_says_where_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: nixos-rebuild and home-manager do not read `packages.<system>`; homeward does not
    rewire them, so their files keep their bytes, and the warning names where they are."""
    root = make_git_repo(write(tmp_path / "repo", PER_SYSTEM))
    monkeypatch.chdir(tmp_path)
    out, err = migrate_keeps_bytes(root, capsys, "repo")
    said = err + out
    assert (
        "3 configurations under `packages.<system>`: `nixosConfigurations` `box`; "
        "`darwinConfigurations` `mac`; `homeConfigurations` `kim`;" in said
    )
    assert "assembles" not in said  # not a directory convention
    assert "`box`" in said and "`kim`" in said and "`mac`" in said
    assert "already in the home-manager layout" not in said
    assert "nothing migrated" in out
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
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

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
    assert "kim" in build_index(repo).users


def test_migrate_leaves_digga_hosts_alone_and_names_digga(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", DIGGA))
    monkeypatch.chdir(tmp_path)
    out, err = migrate_keeps_bytes(root, capsys, "repo")
    said = err + out
    assert "warning: digga assembles 4 configurations from their directories" in said
    assert "`lab` (hosts/nixos/lab/default.nix)" in said
    assert "nothing migrated" in out


# -- snowfall-lib's root, and flakes of these frameworks with no host at all ---------------------
SNOWFALL_ROOT = {
    "flake.nix": flake(
        '  inputs.snowfall-lib.url = "github:snowfallorg/lib";\n',
        "inputs: inputs.snowfall-lib.mkFlake {\n"
        "    inherit inputs;\n    src = ./.;\n"
        '    snowfall = { root = ./nix; namespace = "mine"; };\n  }',
    ),
    "nix/systems/x86_64-linux/box/default.nix": host("box"),
    "nix/homes/x86_64-linux/kim@box/default.nix": "{ pkgs, ... }:\n{\n"
    "  home.packages = [ pkgs.ripgrep ];\n}\n",
    "systems/x86_64-linux/stray/default.nix": host("stray"),  # not under the root
}


def test_snowfall_reads_systems_under_its_root(tmp_path: Path) -> None:
    """Why: snowfall-lib reads `<snowfall.root>/systems` (the root defaults to `src`); homeward
    looked beside flake.nix only."""
    repo = load_repo(write(tmp_path, SNOWFALL_ROOT))
    assert sorted(repo.hosts) == ["box"]
    assert sorted(repo.homes) == ["kim@box"]
    src_only = dict(SNOWFALL_ROOT)
    src_only["flake.nix"] = flake(
        '  inputs.snowfall-lib.url = "github:snowfallorg/lib";\n',
        "inputs: inputs.snowfall-lib.mkFlake { inherit inputs; src = ./nix; }",
    )
    repo = load_repo(write(tmp_path / "src", src_only))
    assert sorted(repo.hosts) == ["box"]


def test_snowfall_root_given_to_mk_lib(tmp_path: Path) -> None:
    """`lib = snowfall-lib.mkLib { src; snowfall.root; }; in lib.mkFlake { ... }`: the root is
    given to `mkLib`."""
    files = {k: v for k, v in SNOWFALL_ROOT.items() if k != "flake.nix"}
    files["flake.nix"] = flake(
        '  inputs.snowfall-lib.url = "github:snowfallorg/lib";\n',
        "inputs:\n    let\n      lib = inputs.snowfall-lib.mkLib {\n"
        "        inherit inputs;\n        src = ./.;\n        snowfall.root = ./nix;\n      };\n"
        "    in\n    lib.mkFlake { channels-config.allowUnfree = true; }",
    )
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == ["box"]


@pytest.mark.parametrize(
    ("files", "said"),
    [
        (
            {
                "flake.nix": flake(
                    '  inputs.snowfall-lib.url = "github:snowfallorg/lib";\n',
                    "inputs: inputs.snowfall-lib.mkFlake { inherit inputs; src = ./.; }",
                ),
                "shells/dev/default.nix": "{ mkShell, ... }: mkShell { }\n",
            },
            (
                "snowfall-lib reads hosts from `systems/<arch>/<host>/` and homes from "
                "`homes/<arch>/<user>@<host>/`, and neither directory exists"
            ),
        ),
        (
            {
                "flake.nix": flake(
                    '  inputs.blueprint.url = "github:numtide/blueprint";\n',
                    'inputs: inputs.blueprint { inherit inputs; prefix = "nix/"; }',
                ),
                "nix/packages/hello/default.nix": "{ pkgs, ... }: pkgs.hello\n",
                "hosts/stray/system-configuration.nix": "{ ... }:\n{\n}\n",
            },
            (
                "blueprint reads hosts from `nix/hosts/<host>/` (its `prefix`), and `nix/hosts/` "
                "does not exist"
            ),
        ),
        (
            {
                "flake.nix": flake(
                    '  inputs.blueprint.url = "github:numtide/blueprint";\n',
                    "inputs: inputs.blueprint { inherit inputs; }",
                ),
                "hosts/sm/system-configuration.nix": "{ ... }:\n{\n}\n",
            },
            (
                "blueprint reads hosts from `hosts/<host>/`, and none has a `configuration.nix` "
                "or `darwin-configuration.nix`: `sm` (system-configuration.nix: system-manager, "
                "which homeward does not read)"
            ),
        ),
    ],
    ids=["snowfall-no-systems", "blueprint-outside-prefix", "blueprint-system-manager"],
)
def test_no_host_says_where_the_framework_looks(
    tmp_path: Path, files: Mapping[str, str], said: str
) -> None:
    """Why: a flake of a framework that has no host at all (a project's devshell, a
    system-manager machine) is refused with exit 3, which is right; the message said only
    "homeward finds no host there", not where the framework would have found one."""
    with pytest.raises(HomewardError) as caught:
        load_repo(write(tmp_path, files)).fatal()
    assert said in caught.value.message


# -- blueprint's homes -------------------------------------------------------------------------
BLUEPRINT_USERS = {
    "flake.nix": flake(
        '  inputs.blueprint.url = "github:numtide/blueprint";\n' + HM,
        "inputs: inputs.blueprint { inherit inputs; }",
    ),
    "hosts/box/configuration.nix": host("box"),
    "hosts/box/users/kim.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n}\n",
    "hosts/box/users/ana/home-configuration.nix": "{ pkgs, ... }:\n{\n"
    "  home.packages = [ pkgs.jq ];\n}\n",
    "hosts/box/users/bob/notes.nix": "{ }\n",  # no home-configuration.nix: not a home
}


def test_blueprint_homes_are_the_users_of_each_host(tmp_path: Path) -> None:
    """Why: blueprint wires `hosts/<h>/users/<u>.nix` (or `<u>/home-configuration.nix`) into
    host h's home-manager and as `homeConfigurations."<u>@<h>"`; those homes were not read."""
    repo = load_repo(write(tmp_path, BLUEPRINT_USERS))
    assert sorted(repo.hosts) == ["box"]
    assert sorted(repo.homes) == ["ana@box", "kim@box"]
    assert {c.framework for c in repo.homes.values()} == {"blueprint"}
    assert "hosts/box/users/ana/home-configuration.nix" in repo.modules


BLUEPRINT_DEFAULT = {
    "flake.nix": flake(
        '  inputs.blueprint.url = "github:numtide/blueprint";\n',
        "inputs: inputs.blueprint { inherit inputs; }",
    ),
    # blueprint calls `hosts/<h>/default.nix` with { flake, inputs, hostName } and builds what
    # it returns: the class says which kind of host.
    "hosts/srv/default.nix": "{ flake, inputs, hostName }:\n{\n"
    '  class = "nixos";\n'
    "  value = inputs.nixpkgs.lib.nixosSystem {\n"
    "    modules = [ ./system.nix { networking.hostName = hostName; } ];\n"
    "  };\n}\n",
    "hosts/srv/system.nix": host("srv"),
    "hosts/box/configuration.nix": host("box", "jq"),
}


def test_blueprint_default_nix_hosts_are_what_the_file_builds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: blueprint reads `hosts/<h>/default.nix` first, a function that returns the host
    it builds (`{ class; value; }`); homeward did not read such hosts."""
    root = make_git_repo(write(tmp_path / "repo", BLUEPRINT_DEFAULT))
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box", "srv"]
    assert repo.hosts["srv"].framework == "blueprint"
    assert "hosts/srv/system.nix" in repo.modules
    monkeypatch.chdir(tmp_path)
    _, err = migrate_keeps_bytes(root, capsys, "repo")
    assert "warning: blueprint assembles 2 configurations" in err


# -- options a snowfall-lib home sets in the flake's namespace ------------------------------------
# Reduced from a snowfall-lib configuration whose homes set `<namespace>.kitty.enable`, declared by
# `modules/home/kitty/default.nix` as `options.${namespace}.kitty`, a module snowfall-lib imports
# into every home without any file naming it.
SNOWFALL_NAMESPACE = {
    "flake.nix": flake(
        HM + '  inputs.snowfall-lib.url = "github:snowfallorg/lib";\n',
        "inputs: inputs.snowfall-lib.mkFlake {\n"
        '    inherit inputs;\n    src = ./.;\n    snowfall.namespace = "mine";\n  }',
    ),
    "systems/x86_64-linux/box/default.nix": host("box"),
    "homes/x86_64-linux/kim@box/default.nix": "{ ... }:\n{\n"
    "  mine.kitty.enable = true;\n"
    '  home.stateVersion = "25.05";\n}\n',
    "modules/home/kitty/default.nix": "{ lib, config, namespace, ... }:\n{\n"
    '  options.${namespace}.kitty.enable = lib.mkEnableOption "kitty";\n'
    "  config = lib.mkIf config.${namespace}.kitty.enable { programs.kitty.enable = true; };\n}\n",
}


def test_a_snowfall_home_may_set_options_of_the_modules_snowfall_adds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: snowfall-lib imports every `modules/home/**` into each home; `check` called the
    namespace's options unknown to home-manager (HW004, an error) on such a configuration."""
    root = make_git_repo(write(tmp_path / "repo", SNOWFALL_NAMESPACE))
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["check", "repo", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert [f for f in report["findings"] if f["code"] == "HW004"] == []
    assert root.is_dir()


# -- easy-hosts (a flake-parts module) -------------------------------------------------------------
# Reduced from three public configurations: hosts under `<path>/<arch>-<class>/<host>` built by
# `autoConstruct`, hosts named in `easy-hosts.hosts` (a `class` of their own, the path found
# under `hosts/` by default), and modules given to every host. homeward found no host and
# refused them all with exit 3 ("the outputs are built with flake-parts").
PARTS = '  inputs.flake-parts.url = "github:hercules-ci/flake-parts";\n'
EASY = '  inputs.easy-hosts.url = "github:tgirlcloud/easy-hosts";\n'
EASY_HOSTS = {
    "flake.nix": flake(
        PARTS + EASY + HM + DARWIN,
        "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = [ inputs.easy-hosts.flakeModule ./parts/hosts.nix ];\n"
        '    systems = [ "x86_64-linux" ];\n  }',
    ),
    "parts/hosts.nix": """{ inputs, ... }:
{
  easy-hosts = {
    autoConstruct = true;
    path = ../machines;
    shared.modules = [ ../common/users.nix inputs.home-manager.nixosModules.home-manager ];
    hosts.mac.class = "darwin";
    hosts.mac.path = ../elsewhere/mac;
    hosts.lab.modules = [ ../common/lab.nix ];
  };
}
""",
    "machines/x86_64-nixos/box/default.nix": host("box"),
    "machines/aarch64-nixos/pi/default.nix": host("pi", "jq"),
    "elsewhere/mac/default.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.jq ];\n"
    "  system.stateVersion = 6;\n}\n",
    "hosts/lab/default.nix": host("lab"),
    "common/users.nix": "{ pkgs, ... }:\n{\n  users.users.ann.isNormalUser = true;\n"
    "  users.users.ann.packages = [ pkgs.git ];\n}\n",
    "common/lab.nix": '{ networking.domain = "lab"; }\n',
}


def test_easy_hosts_are_read_from_its_directory_and_its_hosts(tmp_path: Path) -> None:
    repo = load_repo(write(tmp_path, EASY_HOSTS), darwin=True)
    repo.fatal()
    assert sorted(repo.hosts) == ["box", "lab", "mac", "pi"]
    assert {c.framework for c in repo.hosts.values()} == {"easy-hosts"}
    assert {n: c.kind for n, c in repo.hosts.items()} == {
        "box": "nixos",
        "lab": "nixos",
        "mac": "darwin",
        "pi": "nixos",
    }
    # The entry files and the modules easy-hosts gives the hosts are read.
    for key in ("machines/aarch64-nixos/pi/default.nix", "hosts/lab/default.nix"):
        assert key in repo.modules, sorted(repo.modules)
    assert repo.modules["common/users.nix"].hosts == {"box", "lab", "mac", "pi"}
    assert repo.modules["common/lab.nix"].hosts == {"lab"}
    assert {"ann", "kim"} <= set(build_index(repo).users)


def test_migrate_leaves_easy_hosts_alone_and_names_easy_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", EASY_HOSTS))
    monkeypatch.chdir(tmp_path)
    out, err = migrate_keeps_bytes(root, capsys, "repo")
    said = err + out
    assert "warning: easy-hosts assembles" in said, said
    assert "`pi` (machines/aarch64-nixos/pi/default.nix)" in said
    # The hint names the framework without making a possessive of it ("easy-hosts's").
    assert "in the layout easy-hosts reads" in said, said
    assert "s's" not in said, said


# -- den ---------------------------------------------------------------------------------------
DEN = {
    "flake.nix": flake(
        '  inputs.flake-parts.url = "github:hercules-ci/flake-parts";\n'
        '  inputs.import-tree.url = "github:vic/import-tree";\n'
        '  inputs.den.url = "github:vic/den";\n' + HM,
        "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } (inputs.import-tree ./modules)",
    ),
    "modules/den.nix": "{ inputs, ... }:\n{\n  imports = [ inputs.den.flakeModule ];\n"
    '  systems = [ "x86_64-linux" ];\n}\n',
    "modules/box.nix": "{\n  den.hosts.x86_64-linux.box.users.kim = { };\n}\n",
    "modules/kim.nix": "{\n  den.aspects.kim.homeManager =\n    { pkgs, ... }:\n"
    "    {\n      home.packages = [ pkgs.jq ];\n    };\n}\n",
}


def test_den_is_named_where_it_builds_the_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a flake whose hosts den (a flake-parts module) makes from `den.hosts` and its
    aspects was refused with "the outputs are built with flake-parts": true, but it named the
    wrong thing to look at; den is what makes the hosts homeward does not read."""
    with pytest.raises(HomewardError) as caught:
        load_repo(write(tmp_path / "model", DEN)).fatal()
    message = caught.value.message
    assert "the outputs are built with den (a flake-parts module)" in message, message
    assert "`den.hosts`" in message, message
    root = make_git_repo(write(tmp_path / "repo", DEN))
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["migrate", "--dry-run"]) == 3
    assert "built with den (a flake-parts module)" in capsys.readouterr().err
    # An input named otherwise but fetched from den's repository is den too; flake-parts
    # alone, without den, is still flake-parts.
    renamed = {**DEN, "flake.nix": DEN["flake.nix"].replace("inputs.den.url", "inputs.d.url")}
    with pytest.raises(HomewardError) as caught:
        load_repo(write(tmp_path / "renamed", renamed)).fatal()
    assert "built with den (a flake-parts module)" in caught.value.message
    plain = {
        **DEN,
        "flake.nix": DEN["flake.nix"].replace('  inputs.den.url = "github:vic/den";\n', ""),
    }
    with pytest.raises(HomewardError) as caught:
        load_repo(write(tmp_path / "plain", plain)).fatal()
    # (Its den.nix imports `inputs.den.flakeModule` of an input it no longer has: named.)
    assert "built with flake-parts;" in caught.value.message, caught.value.message
    assert "modules/den.nix:3:22: no attribute `den`" in caught.value.message
