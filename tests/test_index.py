"""The index (model/index.py): the facts every command reads, computed once."""

from __future__ import annotations

import ast
from pathlib import Path, PurePosixPath

import pytest

import homeward
from homeward.commands.verify import selection
from homeward.errors import UsageError
from homeward.model.index import (
    NEWEST_RELEASE,
    Output,
    OutputKind,
    build_index,
    entry_arguments,
    inline_home_config,
    release_text,
)
from homeward.model.repo import load_repo, under_home
from tests.test_openworld import flake, write

HM_MASTER = (
    '  inputs.home-manager.url = "github:nix-community/home-manager";\n'
    '  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";\n'
    '  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin";\n'
)


def fleet(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.pc = nixpkgs.lib.nixosSystem {
      modules = [ ./hosts/pc ./shared.nix inputs.home-manager.nixosModules.home-manager ];
    };
    nixosConfigurations.box = nixpkgs.lib.nixosSystem { modules = [ ./hosts/box ]; };
    darwinConfigurations.mac = inputs.nix-darwin.lib.darwinSystem {
      modules = [ ./shared.nix ];
    };
    homeConfigurations."ham@box" = inputs.home-manager.lib.homeManagerConfiguration {
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      modules = [ ./home/ham/home.nix ];
    };
  }""",
                HM_MASTER,
            ),
            "hosts/pc/default.nix": """{ pkgs, ... }:
{
  imports = [ ../../users.nix ];
  system.stateVersion = "24.11";
  nixpkgs.config.allowUnfree = true;
  home-manager.users.ham = import ../../home/ham/home.nix;
}
""",
            "hosts/box/default.nix": """{
  imports = [ ../../users.nix ];
  system.stateVersion = "25.05";
  nixpkgs.overlays = [ ];
}
""",
            "users.nix": """{ pkgs, ... }:
{
  users.users.ham = { isNormalUser = true; packages = [ pkgs.jq ]; };
  users.users.backup.isSystemUser = true;
}
""",
            "shared.nix": "{ pkgs, ... }:\n{\n  users.users.eve.packages = [ pkgs.fd ];\n}\n",
            "home/ham/home.nix": '{ ... }:\n{\n  home.stateVersion = "24.11";\n}\n',
        },
    )


def test_index_answers_once_what_the_commands_ask(tmp_path: Path) -> None:
    """Why (issue #9): these facts were recomputed per question (quadratic in the fleet) and
    computed differently by different commands."""
    index = build_index(load_repo(fleet(tmp_path)))
    assert list(index.users) == ["backup", "eve", "ham"]
    assert [u.name for u in index.normal_users] == ["eve", "ham"]
    assert index.users["ham"].hosts == ("box", "pc")
    assert index.users["eve"].hosts == ("pc",)
    pc, box = index.hosts["pc"], index.hosts["box"]
    assert [m.key for m in pc.modules] == ["hosts/pc/default.nix", "users.nix", "shared.nix"]
    assert (pc.state_version, box.state_version) == ("24.11", "25.05")
    assert (pc.allows_unfree, pc.custom_pkgs) == (True, False)
    assert (box.allows_unfree, box.custom_pkgs) == (False, True)
    assert list(pc.hm_users) == ["ham"] and not box.hm_users
    assert index.hm_user_hosts("ham") == {"pc"}
    assert index.existing_entry("ham") == PurePosixPath("home/ham/home.nix")
    assert [m.key for m in index.accounts["eve"]] == ["shared.nix"]
    assert [d.dotted for d in index.host_definitions("pc", "system")] == ["system.stateVersion"]


def test_index_knows_every_output_that_reads_a_module(tmp_path: Path) -> None:
    """Why: a module may be edited only when every output consuming it is known and rewired
    (docs/architecture.md, rule 10); a nix-darwin host is an output as much as a NixOS one."""
    index = build_index(load_repo(fleet(tmp_path)))
    assert set(index.outputs) == {
        Output(OutputKind.NIXOS, "pc"),
        Output(OutputKind.NIXOS, "box"),
        Output(OutputKind.DARWIN, "mac"),
        Output(OutputKind.HOME, "ham@box"),
    }
    assert index.consumers["shared.nix"] == {
        Output(OutputKind.NIXOS, "pc"),
        Output(OutputKind.DARWIN, "mac"),
    }
    assert index.consumers["users.nix"] == {
        Output(OutputKind.NIXOS, "pc"),
        Output(OutputKind.NIXOS, "box"),
    }
    assert index.consumers["home/ham/home.nix"] == {
        Output(OutputKind.NIXOS, "pc"),
        Output(OutputKind.HOME, "ham@box"),
    }
    assert Output(OutputKind.DARWIN, "mac").attr == "darwinConfigurations"
    # Why one set per distinct set of outputs: at 200 hosts, 7,411 modules are read by one
    # host each; a set (and an `Output`) per module was 2 MiB of `check`'s peak.
    sets = {id(s): s for s in index.consumers.values()}
    assert len(sets) == len(set(index.consumers.values()))
    made = {id(o): o for s in index.consumers.values() for o in s}
    assert len(made) == len({o for s in index.consumers.values() for o in s})


def test_the_release_is_home_managers_branch_else_nixpkgs(tmp_path: Path) -> None:
    """Why: one place decides it; home-manager on master is master whatever nixpkgs tracks."""
    index = build_index(load_repo(fleet(tmp_path)))
    assert index.hm_input == "home-manager"
    assert index.release is None
    assert release_text(index.release) == f"{NEWEST_RELEASE[0]:02d}.{NEWEST_RELEASE[1]:02d}"
    pinned = tmp_path / "pinned"
    write(pinned, {"flake.nix": flake("{ }")})
    assert build_index(load_repo(pinned)).release == (25, 5)


def test_migrate_and_add_write_the_same_state_version_on_master(tmp_path: Path) -> None:
    """Why (issue #9, one fact in one place): on home-manager master with no host saying its
    `system.stateVersion`, migrate wrote `home.stateVersion = "25.05"` where add writes the
    newest release homeward knows (architecture rule 8)."""
    from homeward.cli import main

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{\n    nixosConfigurations.pc = nixpkgs.lib.nixosSystem {\n"
                '      system = "x86_64-linux";\n      modules = [ ./pc.nix ];\n    };\n  }'
            ).replace("nixos-25.05", "nixos-unstable"),
            "pc.nix": "{ pkgs, ... }:\n{\n  users.users.ham = {\n    isNormalUser = true;\n"
            "    packages = [ pkgs.jq ];\n  };\n}\n",
        },
    )
    # Not a git repository: --no-git (migrate refuses otherwise, issue 10).
    assert main(["migrate", str(root), "--allow-dirty", "--no-git"]) == 0
    expected = f'home.stateVersion = "{release_text(None)}";'
    assert expected in (root / "home/ham/default.nix").read_text()


def test_where_a_users_home_starts_overall_and_on_each_host(tmp_path: Path) -> None:
    """Why (issue #9, one fact in one place): the per-host entries (plan/homes.py) and the
    user's entry (the index) were two scans of the imports picking "the file most of the
    user's hosts read" each their own way. Host `a`'s own file comes first in its modules; the
    shared `home/kim` is read by two hosts and wins; `c` starts from its own file."""
    hm = "{ home-manager.users.kim = import ./home/kim; }"
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                f"""{{
    nixosConfigurations.a = nixpkgs.lib.nixosSystem {{
      modules = [ ./users.nix ./a.nix {hm} ];
    }};
    nixosConfigurations.b = nixpkgs.lib.nixosSystem {{ modules = [ ./users.nix {hm} ]; }};
    nixosConfigurations.c = nixpkgs.lib.nixosSystem {{
      modules = [ ./users.nix {{ home-manager.users.kim = import ./c-home.nix; }} ];
    }};
  }}""",
                HM_MASTER,
            ),
            "users.nix": "{ users.users.kim.isNormalUser = true; }\n",
            "a.nix": "{ home-manager.users.kim.imports = [ ./home/kim/a.nix ]; }\n",
            "home/kim/default.nix": '{ home.username = "kim"; }\n',
            "home/kim/a.nix": "{ programs.git.enable = true; }\n",
            "c-home.nix": "{ programs.fish.enable = true; }\n",
        },
    )
    index = build_index(load_repo(root))
    shared = PurePosixPath("home/kim/default.nix")
    assert index.existing_entry("kim") == shared
    assert dict(index.host_entries["kim"]) == {
        "a": shared,
        "b": shared,
        "c": PurePosixPath("c-home.nix"),
    }
    assert {m.key for m in index.wired_homes["kim"]} == {
        "home/kim/default.nix",
        "home/kim/a.nix",
        "c-home.nix",
    }
    assert entry_arguments(index, "kim") == ()


def test_the_modules_each_configuration_reaches_by_name(tmp_path: Path) -> None:
    """Why (issue #9): lint built this map of a configuration's name to its modules for itself,
    and migrate scanned every module once per user for those of the user's standalone
    configurations: the index holds it, of every context, in the model's order."""
    index = build_index(load_repo(fleet(tmp_path)))
    assert [(m.key, m.context.value) for m in index.reached["pc"]] == [
        ("hosts/pc/default.nix", "nixos"),
        ("users.nix", "nixos"),
        ("shared.nix", "nixos"),
        ("home/ham/home.nix", "home"),
    ]
    assert [m.key for m in index.reached["box"]] == ["users.nix", "hosts/box/default.nix"]
    assert [m.key for m in index.reached["ham@box"]] == ["home/ham/home.nix"]
    assert dict(index.standalone) == {"ham": ("ham@box",)}
    assert [m.key for m in index.standalone_modules["ham"]] == ["home/ham/home.nix"]
    assert "eve" not in index.standalone_modules


def test_who_has_home_manager_where_and_the_system_accounts(tmp_path: Path) -> None:
    """Why (issue #9): "which users have home-manager where" was a scan of every host per
    question, asked per user by several phases, and the `isSystemUser` accounts a scan of every
    module by the index, migrate's state and HW002 each: both are computed once."""
    index = build_index(load_repo(fleet(tmp_path)))
    assert dict(index.hm_hosts) == {"ham": frozenset({"pc"})}
    assert index.hm_user_hosts("eve") == set()
    assert index.system_users == {"backup"}
    assert not index.users["backup"].normal


def _calls_by_function(name: str) -> list[tuple[str, str]]:
    """(file below src/homeward, enclosing function) of every call of homeward's `name`,
    under any alias it is imported as (`hm_release as release_of`), read with `ast`."""
    src = Path(homeward.__file__).resolve().parent
    found: list[tuple[str, str]] = []
    for path in sorted(src.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        aliases = {name} | {
            alias.asname
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            for alias in node.names
            if alias.name == name and alias.asname
        }
        stack: list[tuple[ast.AST, str]] = [(tree, "<module>")]
        while stack:
            node, where = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                where = node.name
            if isinstance(node, ast.Call):
                func = node.func
                called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if called in aliases:
                    found.append((path.relative_to(src).as_posix(), where))
            stack.extend((child, where) for child in ast.iter_child_nodes(node))
    return sorted(found)


def test_one_call_site_computes_the_home_manager_release() -> None:
    """Why (issue #9, STYLE 10): the release was decided three ways (migrate, lint, add) and
    drifted: on home-manager master with nixpkgs 25.05, `add user` wrote `extraConfig` where
    migrate and check took master. `build_index` calls `flake_release` once, only
    `flake_release` reads a release from a URL, and every command reads `Index.release`."""
    assert _calls_by_function("flake_release") == [("model/index.py", "build_index")]
    assert _calls_by_function("hm_release") == [
        ("model/index.py", "flake_release"),
        ("model/index.py", "flake_release"),
    ]
    # What it is decided from: the nixpkgs input the hosts are built with (Index.nixpkgs).
    assert _calls_by_function("hosts_nixpkgs") == [("model/index.py", "build_index")]


def test_what_is_left_alone_and_where_an_inline_home_is_written(tmp_path: Path) -> None:
    """Why (issue #9): migrate scanned every module for the frozen ones, again for each frozen
    consumer's reason, and again for the module an inline home is written in: the index's pass
    meets each of them once."""
    root = fleet(tmp_path)
    write(
        root,
        {
            "hosts/box/default.nix": "{\n  imports = [ ../../users.nix ];\n"
            "  home-manager.users.eve = { pkgs, ... }: { home.packages = [ pkgs.fd ]; };\n}\n"
        },
    )
    index = build_index(load_repo(root))
    assert [m.key for m in index.frozen] == ["shared.nix"]
    assert index.frozen_why["darwinConfigurations.mac"].startswith("`darwinConfigurations.mac`")
    [inline] = inline_home_config(index, "eve")
    assert index.inline_modules[id(inline)].key == "hosts/box/default.nix"


def test_verify_names_the_index_users(tmp_path: Path) -> None:
    """Why (issue #9): verify's --user check read the model's own list of accounts, a second
    computation of the index's users; it names the same accounts, and the standalone ones."""
    with pytest.raises(UsageError) as caught:
        selection(fleet(tmp_path), None, "nobody")
    assert caught.value.hint == "users in this flake: `backup`, `eve`, `ham`"
    assert selection(tmp_path, None, "eve")[0] is not None


def test_who_has_home_manager_on_each_system_a_frozen_mac_too(tmp_path: Path) -> None:
    """Why (issue #9): `switch` built the index for a NixOS host but scanned every module for
    a frozen Mac's `home-manager.users.<u>`, and check's HW018 scanned the Mac's modules
    itself: one fact in the index, which both read."""
    from homeward.commands.switch import wired_by_module

    root = fleet(tmp_path)
    shared = (root / "shared.nix").read_text()
    wired = '  home-manager.users.eve.home.stateVersion = "25.05";\n}\n'
    (root / "shared.nix").write_text(shared.removesuffix("}\n") + wired)
    repo = load_repo(root)
    index = build_index(repo)
    assert {key: sorted(users) for key, users in index.hm_wired.items()} == {
        "pc": ["eve", "ham"],
        "box": [],
        "darwinConfigurations.mac": ["eve"],
    }
    assert index.hm_wired["darwinConfigurations.mac"]["eve"].path[:3] == (
        "home-manager",
        "users",
        "eve",
    )
    assert wired_by_module(repo, "mac", "eve") and not wired_by_module(repo, "mac", "ham")
    assert wired_by_module(repo, "pc", "ham") and not wired_by_module(repo, "box", "ham")


def test_who_imports_a_file_is_one_view_of_the_index(tmp_path: Path) -> None:
    """Why (issue #9): migrate's `import_suppressed` built its own "who imports X" view of
    the whole configuration; the index has one, built on the first question."""
    index = build_index(load_repo(fleet(tmp_path)))
    assert not index._importers  # not built until asked
    refs = index.importers(PurePosixPath("users.nix"))
    assert sorted(str(ref.source.path) for ref in refs if ref.source is not None) == [
        "hosts/box/default.nix",
        "hosts/pc/default.nix",
    ]
    assert [str(ref.path) for ref in index.importers(PurePosixPath("hosts/pc/default.nix"))] == [
        "hosts/pc/default.nix"
    ]
    assert index.importers(PurePosixPath("nowhere.nix")) == ()
    assert len(index._importers) == 1


def test_which_home_files_several_users_start_from_and_which_stay(tmp_path: Path) -> None:
    """Why (issue #9): the planner asked "does another user's home start from this file?"
    by looping over every user's entries and wired homes, once per question; it is a fact of
    the index, computed once. A file other users' homes start from stays as it is, as one
    that an output homeward does not rewire reads does (rule 10): one question, `entry_stays`."""
    root = fleet(tmp_path)
    text = (root / "flake.nix").read_text()
    export = "{\n    homeManagerModules.kim = ./home/kim.nix;\n    nixosConfigurations.pc"
    write(
        root,
        {
            "flake.nix": text.replace("{\n    nixosConfigurations.pc", export, 1),
            "hosts/box/default.nix": """{
  imports = [ ../../users.nix ];
  home-manager.users.ham = import ../../home/common.nix;
  home-manager.users.eve.imports = [ ../../home/common.nix ../../home/eve.nix ];
  home-manager.users.kim = import ../../home/kim.nix;
  users.users.eve.isNormalUser = true;
}
""",
            "home/common.nix": "{ programs.git.enable = true; }\n",
            "home/eve.nix": "{ programs.fish.enable = true; }\n",
            "home/kim.nix": "{ programs.fish.enable = true; }\n",
        },
    )
    index = build_index(load_repo(root))
    assert index.home_users["home/common.nix"] == {"ham", "eve"}
    assert index.home_users["home/ham/home.nix"] == {"ham"}
    assert index.home_users["home/eve.nix"] == {"eve"}
    assert index.entry_stays(PurePosixPath("home/common.nix"), "ham")
    assert index.entry_stays(PurePosixPath("home/common.nix"), "eve")
    assert not index.entry_stays(PurePosixPath("home/ham/home.nix"), "ham")
    assert not index.entry_stays(PurePosixPath("home/eve.nix"), "eve")
    # Exported as `homeManagerModules.kim`: read by an output homeward does not rewire.
    assert index.home_users["home/kim.nix"] == {"kim"}
    assert index.entry_stays(PurePosixPath("home/kim.nix"), "kim")
    assert not index.entry_stays(PurePosixPath("nowhere.nix"), "ham")


def test_a_home_file_a_host_without_the_users_account_reads_stays(tmp_path: Path) -> None:
    """Why: eve's home on `box`, where she has no account homeward can see (it may be in a
    module homeward cannot read), starts from `home/eve.nix`: what migrate writes there for
    her hosts with an account would reach `box` too. It stays, as a file another user's home
    starts from does."""
    root = fleet(tmp_path)
    write(
        root,
        {
            "hosts/box/default.nix": """{
  imports = [ ../../users.nix ];
  home-manager.users.eve = import ../../home/eve.nix;
}
""",
            "home/eve.nix": "{ programs.fish.enable = true; }\n",
        },
    )
    index = build_index(load_repo(root))
    assert "box" not in index.users["eve"].hosts
    assert index.home_users["home/eve.nix"] == {"eve"}
    assert index.entry_stays(PurePosixPath("home/eve.nix"), "eve")


@pytest.mark.parametrize(
    "path", ["home", "home/ann.nix", "./home/a/b.nix", "homes/x.nix", "hosts/home/x.nix", "/home/x"]
)
def test_under_home_is_the_first_part_of_the_path(path: str) -> None:
    """`under_home` reads the path's text (`parts` keeps a tuple on each path object)."""
    assert under_home(Path(path)) == (Path(path).parts[:1] == ("home",))


def test_a_name_a_module_defines_once_is_a_tuple_in_its_heads(tmp_path: Path) -> None:
    """Why: most modules define each first name once; a list each was 0.5 MiB of `check` at
    200 hosts. Names defined more than once keep all their definitions, in order."""
    index = build_index(load_repo(fleet(tmp_path)))
    heads = index.by_head(index.repo.modules["hosts/pc/default.nix"])
    assert isinstance(heads["system"], tuple)
    assert [d.dotted for d in heads["system"]] == ["system.stateVersion"]
    assert [d.dotted for d in heads["nixpkgs"]] == ["nixpkgs.config.allowUnfree"]
    users = index.by_head(index.repo.modules["users.nix"])["users"]
    assert [d.dotted for d in users] == [
        "users.users.ham.isNormalUser",
        "users.users.ham.packages",
        "users.users.backup.isSystemUser",
    ]
