"""Hosts read from data files and other evaluator gaps (issue 11; docs/architecture.md, rules 9
and 12): `builtins.fromTOML (builtins.readFile ./registry.toml)` over files git tracks,
`fromJSON`/`importTOML`, `filterAttrs` whose predicate is undecidable for some entries, `head`,
`attrsToList`, `"${self}/x"` and `pathExists` as nix sees the work tree.

The registry shape is reduced from a real fleet (a TOML table per machine, filtered by platform
and tags through helpers in `lib/`, then `mapAttrs` over the result); it was refused with
"`mapAttrs` over a set that is not known".
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.index import build_index
from homeward.model.repo import Repo, load_repo
from tests.helpers import git, make_git_repo, tree_files, write

REGISTRY_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { self, nixpkgs, ... }@inputs:
    let
      machines = builtins.fromTOML (builtins.readFile ./lib/machines.toml);
      helpers = import ./lib { inherit inputs; };
    in
    {
      nixosConfigurations = helpers.linuxHosts machines;
    };
}
"""

HELPERS = """{ inputs }:
let
  inherit (inputs.nixpkgs) lib;
  # an installer image is not a machine anyone logs into
  isLinux = m: lib.hasSuffix "-linux" m.platform && !(builtins.elem "installer" (m.tags or [ ]));
  mkHost =
    name: m:
    inputs.nixpkgs.lib.nixosSystem {
      system = m.platform;
      specialArgs = {
        owner = m.owner or "kim";
      };
      modules = [ ../machines/${name} ];
    };
in
{
  linuxHosts = machines: lib.mapAttrs mkHost (lib.filterAttrs (_: m: isLinux m) machines);
}
"""

MACHINES_TOML = """# every machine, one table each
[desk]
platform = "x86_64-linux"
scale = 1.5

[laptop]
platform = "x86_64-linux"
owner = "kim"
tags = ["travel"]

[usb]
platform = "x86_64-linux"
tags = ["installer"]

[studio]
platform = "aarch64-darwin"
"""


def machine(name: str, package: str) -> str:
    return (
        "{ pkgs, owner, ... }:\n{\n"
        f'  networking.hostName = "{name}";\n'
        '  system.stateVersion = "25.05";\n'
        "  users.users.${owner} = {\n"
        "    isNormalUser = true;\n"
        f"    packages = [ pkgs.{package} ];\n"
        "  };\n}\n"
    )


REGISTRY = {
    "flake.nix": REGISTRY_FLAKE,
    "lib/default.nix": HELPERS,
    "lib/machines.toml": MACHINES_TOML,
    "machines/desk/default.nix": machine("desk", "jq"),
    "machines/laptop/default.nix": machine("laptop", "htop"),
    "machines/usb/default.nix": '{ networking.hostName = "usb"; }\n',
}


def unresolved(repo: Repo) -> list[str]:
    return [f"{p.at}: {p.message}" for p in repo.problems]


def test_hosts_from_a_toml_registry_are_read(tmp_path: Path) -> None:
    """Why: a fleet keeping its machines in `lib/machines.toml` was refused ("`mapAttrs` over a
    set that is not known"); nix reads the tracked file, so homeward can too."""
    root = make_git_repo(write(tmp_path, REGISTRY))
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["desk", "laptop"]  # no installer, no Mac
    users = build_index(repo).users
    assert users["kim"].hosts == ("desk", "laptop")  # `owner` given, and defaulted
    assert "machines/usb/default.nix" not in repo.modules


def test_a_data_file_git_does_not_track_is_unknown_with_its_reason(tmp_path: Path) -> None:
    """Why (rule 12): nix copies only tracked files; an untracked registry is not read."""
    root = make_git_repo(write(tmp_path, REGISTRY))
    git(root, "rm", "-q", "--cached", "lib/machines.toml")
    repo = load_repo(root)
    assert not repo.hosts
    said = " ".join(unresolved(repo))
    assert "`readFile` of `lib/machines.toml`, which nix does not see" in said, said


@pytest.mark.parametrize(
    "registry",
    [
        "builtins.fromJSON (builtins.readFile ./machines.json)",
        "nixpkgs.lib.importJSON ./machines.json",
    ],
)
def test_json_registry_with_a_float_is_read(tmp_path: Path, registry: str) -> None:
    """Why: floats are not followed, but one float must not hide the rest of the data."""
    files = {
        "flake.nix": REGISTRY_FLAKE.replace(
            "builtins.fromTOML (builtins.readFile ./lib/machines.toml)", registry
        ),
        "lib/default.nix": HELPERS,
        "machines.json": '{"desk": {"platform": "x86_64-linux", "scale": 1.5},'
        ' "usb": {"platform": "x86_64-linux", "tags": ["installer"]}}\n',
        "machines/desk/default.nix": machine("desk", "jq"),
    }
    root = make_git_repo(write(tmp_path, files))
    assert sorted(load_repo(root).hosts) == ["desk"]


def test_import_toml_reads_the_registry(tmp_path: Path) -> None:
    files = dict(REGISTRY)
    files["flake.nix"] = REGISTRY_FLAKE.replace(
        "builtins.fromTOML (builtins.readFile ./lib/machines.toml)",
        "nixpkgs.lib.importTOML ./lib/machines.toml",
    )
    root = make_git_repo(write(tmp_path, files))
    assert sorted(load_repo(root).hosts) == ["desk", "laptop"]


def test_filter_attrs_with_an_undecidable_predicate_is_partly_known(tmp_path: Path) -> None:
    """Why (rule 9): one entry the predicate cannot decide made every host unknown."""
    files = dict(REGISTRY)
    files["lib/default.nix"] = HELPERS.replace(
        "lib.filterAttrs (_: m: isLinux m)",
        "lib.filterAttrs (_: m: isLinux m && (m.enable or true))",
    )
    files["lib/machines.toml"] = MACHINES_TOML.replace(
        'owner = "kim"', 'owner = "kim"\nenable = 2020-01-01'
    )
    root = make_git_repo(write(tmp_path, files))
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["desk"]
    said = " ".join(unresolved(repo))
    assert "`filterAttrs` cannot decide whether `laptop` stays" in said, said


@pytest.mark.nix
def test_migrate_on_a_toml_registry_is_conserved(tmp_path: Path) -> None:
    """The registry's hosts migrate; the real nix (with the stand-ins) reads the same TOML and
    sees every user keep their packages; a second run changes nothing."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path, REGISTRY))
    before = extract_outputs_standins(root, STANDINS)
    assert sorted(before.hosts) == ["desk", "laptop"]
    assert main(["migrate", str(root)]) == 0
    after_files = tree_files(root)
    assert after_files["lib/machines.toml"] == MACHINES_TOML.encode()
    assert b"pkgs.htop" not in after_files["machines/laptop/default.nix"]
    assert_conserved(before, extract_outputs_standins(root, STANDINS))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root), "--check"]) == 0


SMALL = {
    "hosts/a/default.nix": '{ networking.hostName = "a"; }\n',
    "hosts/b/default.nix": '{ networking.hostName = "b"; }\n',
}


def small_flake(outputs: str) -> str:
    return (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        "  outputs = { self, nixpkgs, ... }@inputs:\n"
        "    let mk = h: nixpkgs.lib.nixosSystem { modules = [ ./hosts/${h} ]; };\n"
        "    a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a ]; };\n"
        "    b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b ]; };\n"
        f"    in {outputs};\n"
        "}\n"
    )


@pytest.mark.parametrize(
    ("outputs", "hosts"),
    [
        # the first of a literal list
        ('{ nixosConfigurations.a = mk (builtins.head [ "a" "b" ]); }', ["a"]),
        # attrsToList, then back
        (
            (
                "{ nixosConfigurations = builtins.listToAttrs (map (e: { name = e.name;"
                ' value = mk e.value; }) (builtins.attrsToList { a = "a"; b = "b"; })); }'
            ),
            ["a", "b"],
        ),
        (
            (
                "{ nixosConfigurations = builtins.listToAttrs (map (e: { name = e.name;"
                ' value = mk e.value; }) (nixpkgs.lib.attrsToList { a = "a"; })); }'
            ),
            ["a"],
        ),
        # a file of the flake named through `self`
        (
            '{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ "${self}/hosts/a" ]; }; }',
            ["a"],
        ),
        # `false && <not known>` is false, `true || <not known>` is true
        (
            (
                '{ nixosConfigurations = nixpkgs.lib.filterAttrs (n: _: n == "a" || inputs.x.y)'
                " { inherit a b; }; }"
            ),
            ["a"],
        ),
        (
            (
                "{ nixosConfigurations = nixpkgs.lib.filterAttrs"
                ' (n: _: !(n == "b" && inputs.x.y)) { inherit a b; }; }'
            ),
            ["a"],
        ),
    ],
)
def test_list_and_set_functions(tmp_path: Path, outputs: str, hosts: list[str]) -> None:
    root = make_git_repo(write(tmp_path, {"flake.nix": small_flake(outputs), **SMALL}))
    repo = load_repo(root)
    assert sorted(repo.hosts) == hosts, unresolved(repo)
    for host in hosts:  # and each reads its own file
        assert repo.modules[f"hosts/{host}/default.nix"].hosts == {host}, unresolved(repo)


def test_path_exists_sees_what_git_tracks(tmp_path: Path) -> None:
    """Why (rule 12): a host chosen by `pathExists` of a file that is on disk but not tracked
    does not exist for nix."""
    outputs = (
        "{ nixosConfigurations = nixpkgs.lib.genAttrs (builtins.filter"
        ' (h: builtins.pathExists ./hosts/${h}/enabled) [ "a" "b" ]) mk; }'
    )
    files = {"flake.nix": small_flake(outputs), **SMALL, "hosts/a/enabled": "yes\n"}
    root = make_git_repo(write(tmp_path, files))
    (root / "hosts/b/enabled").write_text("not committed\n")
    assert sorted(load_repo(root).hosts) == ["a"]
