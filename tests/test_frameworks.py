"""Hosts built by flake frameworks (issue 11, "Frameworks"): found, drawn, linted, and either
migrated or left byte-identical with a warning that names the framework. Never a silent
"nothing to do" on a flake that has hosts. Each fixture is reduced from a shape seen in real
configurations (flake-parts with import-tree, ez-configs, snowfall-lib, blueprint,
nixos-unified's autowiring, home-grown `outputs` functions)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.errors import HomewardError
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, migrate_keeps_bytes, write

NIXPKGS = '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
PARTS = '  inputs.flake-parts.url = "github:hercules-ci/flake-parts";\n'
HOST = (
    "{ pkgs, ... }:\n{\n"
    '  networking.hostName = "box";\n'
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n"
    '  system.stateVersion = "25.05";\n}\n'
)


def flake(inputs: str, outputs: str) -> str:
    return "{\n" + NIXPKGS + inputs + f"  outputs = {outputs};\n}}\n"


# -- flake-parts -----------------------------------------------------------------------------------
IMPORT_TREE = {
    "flake.nix": flake(
        PARTS + '  inputs.import-tree.url = "github:vic/import-tree";\n',
        "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = [ (inputs.import-tree ./modules) ];\n  }",
    ),
    "modules/hosts/box.nix": "{ inputs, self, ... }:\n{\n"
    "  flake.nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {\n"
    '    system = "x86_64-linux";\n'
    "    modules = [ ./_box/configuration.nix self.nixosModules.base ];\n  };\n}\n",
    "modules/hosts/_box/configuration.nix": HOST,
    "modules/base.nix": "{\n  flake.nixosModules.base = { pkgs, ... }: {\n"
    "    environment.systemPackages = [ pkgs.git ];\n  };\n}\n",
}


def test_flake_parts_import_tree_finds_hosts_in_module_files(tmp_path: Path) -> None:
    """Why: the "dendritic" pattern (every file under modules/ a flake-parts module, a host in
    one of them, modules shared through `self.nixosModules`) was refused: no host found."""
    repo = load_repo(write(tmp_path, IMPORT_TREE))
    assert sorted(repo.hosts) == ["box"]
    box = repo.hosts["box"]
    assert box.location is not None and str(box.location.path) == "modules/hosts/box.nix"
    assert "modules/hosts/_box/configuration.nix" in repo.modules
    # `_box/` is not a flake-parts module (import-tree skips `_` components): not a host file.
    assert repo.modules["modules/hosts/_box/configuration.nix"].hosts == {"box"}
    assert [u.name for u in build_index(repo).users.values()] == ["kim"]


def test_flake_parts_imports_from_read_dir_and_fileset(tmp_path: Path) -> None:
    """Why: `imports = map (f: ./parts/${f}) (attrNames (readDir ./parts))` and
    `lib.fileset.toList (fileFilter (f: f.hasExt "nix" && ...) ./.)` list the module files."""
    part = (
        "{ inputs, ... }:\n{\n"
        "  flake.nixosConfigurations.NAME = inputs.nixpkgs.lib.nixosSystem {\n"
        "    modules = [ ../hosts/NAME.nix ];\n  };\n}\n"
    )
    repo = load_repo(
        write(
            tmp_path / "a",
            {
                "flake.nix": flake(
                    PARTS,
                    "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
                    "    imports = with builtins; map (f: ./parts/${f}) (attrNames (readDir ./parts));\n"
                    "  }",
                ),
                "parts/one.nix": part.replace("NAME", "one"),
                "parts/two.nix": part.replace("NAME", "two"),
                "hosts/one.nix": HOST,
                "hosts/two.nix": HOST,
            },
        )
    )
    assert sorted(repo.hosts) == ["one", "two"]
    fileset = (
        "inputs: let\n    inherit (inputs.nixpkgs) lib;\n"
        '    keep = f: f.hasExt "nix" && f.name != "flake.nix" && !lib.hasPrefix "_" f.name;\n'
        "  in inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = lib.fileset.toList (lib.fileset.fileFilter keep ./nix);\n  }"
    )
    repo = load_repo(
        write(
            tmp_path / "b",
            {
                "flake.nix": flake(PARTS, fileset),
                "nix/one.nix": part.replace("NAME", "one").replace("../hosts", "./_hosts"),
                "nix/_hosts/one.nix": HOST,
            },
        )
    )
    assert sorted(repo.hosts) == ["one"]
    assert "nix/_hosts/one.nix" in repo.modules


def test_flake_parts_config_is_the_merged_configuration(tmp_path: Path) -> None:
    """Why: hosts declared as data in one module (`configurations.nixos.box.module = ...`) and
    built in another (`config.flake.nixosConfigurations = mapAttrs ... config.configurations.nixos`)
    need `config` to be every module merged, as the module system makes it."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                PARTS,
                "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
                "    imports = [ ./parts/configurations.nix ./parts/box.nix ];\n  }",
            ),
            "parts/configurations.nix": "{ inputs, lib, config, ... }:\n{\n"
            "  options.configurations = lib.mkOption { };\n"
            "  config.flake.nixosConfigurations = lib.mapAttrs (name: c:\n"
            "    inputs.nixpkgs.lib.nixosSystem { modules = [ c.module ]; }\n"
            "  ) config.configurations.nixos;\n}\n",
            "parts/box.nix": "{\n  configurations.nixos.box.module = ../hosts/box.nix;\n}\n",
            "hosts/box.nix": HOST,
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box"]
    assert "hosts/box.nix" in repo.modules


def test_flake_parts_flake_as_a_function_of_its_config(tmp_path: Path) -> None:
    """Why: `flake = { config, lib, ... }: { nixosConfigurations = genAttrs hosts mkHost; }`
    (the flake option is a submodule) with the hosts from `readDir ../hosts` was not read."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                PARTS,
                "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
                "    imports = [ ./flake/hosts.nix ];\n  }",
            ),
            "flake/hosts.nix": "{ inputs, ... }:\n{\n  flake = { config, lib, ... }:\n"
            '    let\n      hosts = builtins.attrNames (lib.filterAttrs (_: t: t == "directory")'
            " (builtins.readDir ../hosts));\n"
            "      mkHost = name: inputs.nixpkgs.lib.nixosSystem { modules = [ ../hosts/${name} ]; };\n"
            "    in { nixosConfigurations = lib.genAttrs hosts mkHost; };\n}\n",
            "hosts/box/default.nix": HOST,
            "hosts/lab/default.nix": HOST.replace("box", "lab"),
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box", "lab"]
    assert repo.modules["hosts/lab/default.nix"].hosts == {"lab"}


def test_flake_parts_hosts_named_by_a_prefix_of_their_module(tmp_path: Path) -> None:
    """Why: a dendritic flake names each host's module `flake.modules.nixos."hosts/<name>"` and
    builds `nixosConfigurations` with `lib.pipe` over them, `mapAttrs'` naming each host with
    `lib.removePrefix "hosts/"`: with `removePrefix` unknown no host was found (exit 3)."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                PARTS,
                "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
                "    imports = [ ./parts/machines.nix ./parts/box.nix ./parts/lab.nix ];\n  }",
            ),
            "parts/machines.nix": "{ inputs, lib, config, ... }:\n"
            '  let prefix = "hosts/"; in {\n'
            "  flake.nixosConfigurations = lib.pipe config.flake.modules.nixos [\n"
            "    (lib.filterAttrs (name: _: lib.hasPrefix prefix name))\n"
            "    (lib.mapAttrs' (name: module: {\n"
            "      name = lib.removePrefix prefix name;\n"
            "      value = inputs.nixpkgs.lib.nixosSystem { modules = module.imports; };\n"
            "    }))\n  ];\n}\n",
            "parts/box.nix": "{ config, ... }:\n{\n"
            '  flake.modules.nixos."hosts/box".imports = [ ../hosts/box.nix ];\n'
            "  flake.modules.nixos.base = { };\n}\n",
            "parts/lab.nix": "{\n"
            '  flake.modules.nixos."hosts/lab".imports = [ ../hosts/lab.nix ];\n}\n',
            "hosts/box.nix": HOST,
            "hosts/lab.nix": HOST.replace("box", "lab"),
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box", "lab"]
    assert repo.modules["hosts/lab.nix"].hosts == {"lab"}


def test_check_and_graph_show_flake_parts_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: hosts found must be drawn by `graph`, linted and counted by `check`."""
    write(tmp_path / "repo", IMPORT_TREE)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["check", "repo"])
    out = capsys.readouterr().out
    assert "HW002" in out and "modules/hosts/_box/configuration.nix" in out  # linted
    assert "read 1 host, 0 homes, 1 user" in out and "(built with flake-parts)" in out
    assert main(["graph", "repo", "--format", "json"]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert "box" in json.dumps(graph)
    assert "modules/hosts/_box/configuration.nix" in json.dumps(graph)


# -- frameworks that assemble hosts from directories ---------------------------------------------
EZ = {
    "flake.nix": flake(
        PARTS + '  inputs.ez-configs.url = "github:ehllie/ez-configs";\n',
        "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = [ inputs.ez-configs.flakeModule ];\n"
        "    ezConfigs = {\n      root = ./.;\n"
        '      nixos.hosts.box.userHomeModules = [ "kim" ];\n    };\n  }',
    ),
    "nixos-configurations/box/default.nix": HOST,
    "nixos-configurations/lab.nix": HOST.replace("box", "lab"),
    "home-configurations/kim/default.nix": "{ pkgs, ... }:\n{\n"
    "  home.packages = [ pkgs.ripgrep ];\n}\n",
}
SNOWFALL = {
    "flake.nix": flake(
        '  inputs.snowfall-lib.url = "github:snowfallorg/lib";\n',
        "inputs: inputs.snowfall-lib.mkFlake { inherit inputs; src = ./.; }",
    ),
    "systems/x86_64-linux/box/default.nix": HOST,
    "systems/aarch64-darwin/mac/default.nix": "{ ... }:\n{\n  system.stateVersion = 6;\n}\n",
    "homes/x86_64-linux/kim@box/default.nix": "{ pkgs, ... }:\n{\n"
    "  home.packages = [ pkgs.ripgrep ];\n}\n",
}
BLUEPRINT = {
    "flake.nix": flake(
        '  inputs.blueprint.url = "github:numtide/blueprint";\n',
        'inputs: inputs.blueprint { inherit inputs; prefix = "nix/"; }',
    ),
    "nix/hosts/box/configuration.nix": HOST,
    "hosts/stray/configuration.nix": HOST,  # outside the prefix: not a host
}
UNIFIED = {
    "flake.nix": flake(
        PARTS + '  inputs.nixos-unified.url = "github:srid/nixos-unified";\n',
        "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = [ inputs.nixos-unified.flakeModules.default "
        "inputs.nixos-unified.flakeModules.autoWire ];\n  }",
    ),
    "configurations/nixos/box/default.nix": HOST,
    "configurations/home/kim@box.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
}


@pytest.mark.parametrize(
    ("files", "framework", "hosts", "homes", "others"),
    [
        (EZ, "ez-configs", ["box", "lab"], ["kim@box", "kim@lab"], []),
        (SNOWFALL, "snowfall-lib", ["box"], ["kim@box"], ["darwinConfigurations.mac"]),
        (BLUEPRINT, "blueprint", ["box"], [], []),
        (UNIFIED, "nixos-unified", ["box"], ["kim@box"], []),
    ],
    ids=["ez-configs", "snowfall-lib", "blueprint", "nixos-unified"],
)
def test_directory_conventions_give_hosts(
    tmp_path: Path,
    files: Mapping[str, str],
    framework: str,
    hosts: list[str],
    homes: list[str],
    others: list[str],
) -> None:
    """Why: these frameworks write no `nixosSystem` call: the hosts are their directories."""
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == hosts
    assert sorted(repo.homes) == homes
    assert sorted(repo.others) == others
    assert {c.framework for c in [*repo.hosts.values(), *repo.homes.values()]} == {framework}
    assert [u.name for u in build_index(repo).users.values()] == ["kim"]


@pytest.mark.parametrize(
    ("files", "framework"),
    [
        (EZ, "ez-configs"),
        (SNOWFALL, "snowfall-lib"),
        (BLUEPRINT, "blueprint"),
        (UNIFIED, "nixos-unified"),
    ],
    ids=["ez-configs", "snowfall-lib", "blueprint", "nixos-unified"],
)
def test_migrate_leaves_assembled_hosts_byte_identical_and_says_why(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    files: Mapping[str, str],
    framework: str,
) -> None:
    """Why: a host the framework assembles has no module list homeward could wire; migrating
    half of it would lose packages. Exit 0 (hosts were read), nothing written, and a warning
    that names the framework and the hosts; never a silent "already in the layout"."""
    repo = make_git_repo(write(tmp_path / "repo", files))
    monkeypatch.chdir(tmp_path)
    out, err = migrate_keeps_bytes(repo, capsys, "repo")
    said = err + out
    assert f"warning: {framework} assembles" in said
    assert "`box`" in said
    assert "already in the home-manager layout" not in said
    assert "nothing migrated" in out


def test_assembled_hosts_next_to_visible_hosts_do_not_block_them(tmp_path: Path) -> None:
    """Why: the files an assembled host reads are frozen; the other hosts still migrate."""
    from homeward.model.index import build_index
    from homeward.plan.migrate import MigrateOptions, plan_migration

    files = dict(EZ)
    files["flake.nix"] = files["flake.nix"].replace(
        "    ezConfigs = {",
        "    flake.nixosConfigurations.pc = inputs.nixpkgs.lib.nixosSystem {\n"
        '      system = "x86_64-linux";\n      modules = [ ./pc.nix ./shared.nix ];\n    };\n'
        "    ezConfigs = {",
    )
    files["pc.nix"] = HOST.replace("box", "pc")
    files["shared.nix"] = "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n"
    files["nixos-configurations/lab.nix"] = (
        '{ ... }:\n{\n  imports = [ ../shared.nix ];\n  system.stateVersion = "25.05";\n}\n'
    )
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == ["box", "lab", "pc"]
    plan = plan_migration(build_index(repo), MigrateOptions())
    touched = {str(e.path) for e in plan.edits} | {str(d.path) for d in plan.deletes}
    assert "shared.nix" not in touched  # lab reads it too
    assert not any(p.startswith("nixos-configurations/") for p in touched)
    assert any("ez-configs assembles" in d.message for d in plan.diagnostics)


# -- naming what builds the outputs ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("files", "named"),
    [
        (
            {
                "flake.nix": flake(
                    '  inputs.adios-flake.url = "github:Mic92/adios-flake";\n' + PARTS,
                    "inputs@{ adios-flake, self, ... }: adios-flake.lib.mkFlake "
                    "{ inherit inputs self; modules = [ ]; }",
                )
            },
            "adios-flake",
        ),
        (
            {
                "flake.nix": flake(PARTS, "inputs: import ./. inputs"),
                "default.nix": "inputs: { }\n",
            },
            "the repository's own code (`outputs` is `import ./.`)",
        ),
        (
            {
                "flake.nix": flake(
                    PARTS,
                    "inputs: let mkFlake = import ./lib/flake.nix; in mkFlake inputs { }",
                ),
                "lib/flake.nix": "inputs: args: { }\n",
            },
            "the repository's own `mkFlake`",
        ),
        (
            {
                "flake.nix": flake(
                    '  inputs.snowfall-lib.url = "github:snowfallorg/lib";\n',
                    "inputs: inputs.snowfall-lib.mkFlake { inherit inputs; src = ./.; }",
                )
            },
            "snowfall-lib",
        ),
    ],
    ids=["adios-flake", "import-outputs", "own-mkflake", "snowfall-no-systems"],
)
def test_no_host_names_what_builds_the_outputs(
    tmp_path: Path, files: Mapping[str, str], named: str
) -> None:
    """Why: adios-flake and home-grown `outputs` functions were all called "flake-parts"
    because flake-parts was among the inputs. (Hosts under flake-utils' `packages.<system>`
    are read now: tests/test_framework_hosts.py.)"""
    repo = load_repo(write(tmp_path, files))
    with pytest.raises(HomewardError) as caught:
        repo.fatal()
    message = caught.value.message
    assert "flake-parts" not in message
    assert f"the outputs are built with {named}" in message


def test_outputs_written_in_flake_nix_report_what_hid_the_hosts(tmp_path: Path) -> None:
    """Why: a flake that writes `nixosConfigurations = builder.mkAll systems` was called
    "flake-parts" (an input it has); the precise reason is the value homeward cannot compute."""
    repo = load_repo(
        write(
            tmp_path,
            {
                "flake.nix": flake(
                    PARTS,
                    "{ self, nixpkgs, ... }@inputs: let systems = builtins.fromJSON "
                    '"{}"; in { nixosConfigurations = nixpkgs.lib.mapAttrs (n: s: s) systems; }',
                )
            },
        )
    )
    with pytest.raises(HomewardError) as caught:
        repo.fatal()
    assert "flake-parts" not in caught.value.message
    assert "nixosConfigurations" in caught.value.message


def test_haumea_load_gives_the_hosts_of_each_file(tmp_path: Path) -> None:
    """Why: `haumea.lib.load { src = ./src; inputs = ...; }` then `mergeAttrsList (map (it:
    it.nixosConfigurations or { }) (attrValues data))`: one file per host, paths built with
    `lib.path.append`. Refused before: `mergeAttrsList` of a list that is not known."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                '  inputs.haumea.url = "github:nix-community/haumea";\n',
                "{ self, nixpkgs, haumea, ... }@inputs: let\n"
                "    inherit (nixpkgs) lib;\n"
                "    data = haumea.lib.load { src = ./outputs; inputs = { inherit inputs lib; }; };\n"
                "  in {\n    nixosConfigurations = lib.attrsets.mergeAttrsList\n"
                "      (map (it: it.nixosConfigurations or { }) (builtins.attrValues data));\n  }",
            ),
            "outputs/box.nix": "{ inputs, lib, ... }:\n{\n"
            "  nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {\n"
            '    modules = [ (lib.path.append ../. "machines/box.nix") ];\n  };\n}\n',
            "outputs/_private.nix": 'throw "not loaded"\n',
            "machines/box.nix": HOST,
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box"]
    assert repo.modules["machines/box.nix"].hosts == {"box"}


def test_flake_parts_merge_survives_modules_it_cannot_read(tmp_path: Path) -> None:
    """Why: one module whose `flake` is computed by an input's function, or whose `imports`
    read `config`, hid every host the others define (kclejeune's configuration went from
    handled to "no host found")."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                PARTS,
                "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
                "    imports = [ ./parts/early.nix ./parts/opaque.nix ./parts/box.nix ];\n  }",
            ),
            "parts/early.nix": "{ config, ... }:\n{\n  imports = config.extraImports or [ ];\n}\n",
            "parts/opaque.nix": "{ inputs, ... }:\n{\n  flake = inputs.somelib.mkOutputs { };\n}\n",
            "parts/box.nix": "{ inputs, ... }:\n{\n"
            "  flake.nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {\n"
            "    modules = [ ../hosts/box.nix ];\n  };\n}\n",
            "hosts/box.nix": HOST,
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box"]


def test_fileset_to_list_of_a_path_lists_its_files(tmp_path: Path) -> None:
    """Why: `lib.fileset.toList ./parts` (a path is a file set) is every file under it; a path
    that does not exist stays unknown (an opaque module), never the path itself."""
    part = (
        "{ inputs, ... }:\n{\n  flake.nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {\n"
        "    modules = [ ../hosts/box.nix ];\n  };\n}\n"
    )
    outputs = (
        "inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = inputs.nixpkgs.lib.fileset.toList ./parts;\n  }"
    )
    files = {"flake.nix": flake(PARTS, outputs), "parts/box.nix": part, "hosts/box.nix": HOST}
    assert sorted(load_repo(write(tmp_path / "a", files)).hosts) == ["box"]
    files.pop("parts/box.nix")
    repo = load_repo(write(tmp_path / "b", files))
    assert not repo.hosts


def test_directories_of_a_git_repository_are_what_git_tracks(tmp_path: Path) -> None:
    """Why: a flake in git sees the files git tracks (docs/architecture.md, rule 12): an
    untracked host directory or flake-parts module is not a host."""
    repo = make_git_repo(write(tmp_path / "ez", EZ))
    write(repo, {"nixos-configurations/ghost.nix": HOST})
    assert sorted(load_repo(repo).hosts) == ["box", "lab"]
    tree = make_git_repo(write(tmp_path / "tree", IMPORT_TREE))
    write(
        tree,
        {
            "modules/hosts/ghost.nix": IMPORT_TREE["modules/hosts/box.nix"].replace(
                "box =", "ghost ="
            )
        },
    )
    assert sorted(load_repo(tree).hosts) == ["box"]


def test_check_does_not_name_a_framework_that_is_only_an_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a flake with a flake-parts input whose flake.nix writes `nixosConfigurations`
    itself (no `mkFlake`) was reported "(built with flake-parts)" by `check`."""
    write(
        tmp_path / "repo",
        {
            "flake.nix": flake(
                PARTS,
                "{ nixpkgs, ... }: {\n    nixosConfigurations.box = nixpkgs.lib.nixosSystem"
                ' {\n      system = "x86_64-linux";\n      modules = [ ./box.nix ];\n    };\n  }',
            ),
            "box.nix": HOST,
        },
    )
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["check", "repo"])
    out = capsys.readouterr().out
    assert "read 1 host, 0 homes, 1 user" in out
    assert "built with" not in out
