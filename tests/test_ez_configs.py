"""ez-configs as it builds a flake's outputs (its flake module, read, not guessed): the names
of the `homeConfigurations` it makes, the hosts it reads from a directory, and the homes a
host's `userHomeModules` wires in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import Context, load_repo
from tests.helpers import write

HOST = (
    "{ pkgs, ... }:\n{\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n"
    '  system.stateVersion = "25.05";\n}\n'
)
HOME = "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n}\n"


def ez_flake(settings: str, extra: str = "") -> str:
    return (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        '  inputs.flake-parts.url = "github:hercules-ci/flake-parts";\n'
        '  inputs.ez-configs.url = "github:ehllie/ez-configs";\n'
        "  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {\n"
        "    imports = [ inputs.ez-configs.flakeModule ];\n"
        f"{extra}"
        "    ezConfigs = {\n      root = ./.;\n"
        f"{settings}"
        "    };\n  };\n}\n"
    )


def tree(settings: str = "", extra: str = "") -> dict[str, str]:
    return {
        "flake.nix": ez_flake(settings, extra),
        "nixos-configurations/box/default.nix": HOST,
        "nixos-configurations/lab.nix": HOST,
        "home-configurations/kim.nix": HOME,
    }


def test_homes_are_named_user_at_host_for_every_host(tmp_path: Path) -> None:
    """Why: ez-configs makes `homeConfigurations."<user>@<host>"` for each user of its home
    directory and each host of the flake (its own and those written in code), not
    `homeConfigurations.<user>`: homeward named them `kim`, which the flake does not have."""
    code_host = (
        "    flake.nixosConfigurations.pc = inputs.nixpkgs.lib.nixosSystem {\n"
        "      modules = [ ./pc.nix ];\n    };\n"
    )
    files = tree(extra=code_host) | {"pc.nix": HOST}
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == ["box", "lab", "pc"]
    assert sorted(repo.homes) == ["kim@box", "kim@lab", "kim@pc"]
    home = repo.homes["kim@box"]
    assert home.framework == "ez-configs"
    assert [str(r.path) for r in home.modules] == ["home-configurations/kim.nix"]


def test_a_standalone_user_is_named_by_the_user_alone(tmp_path: Path) -> None:
    """Why: `home.users.<user>.standalone.enable = true` makes `homeConfigurations.<user>`
    instead of one per host."""
    settings = (
        "      home.users.kim.standalone = {\n        enable = true;\n"
        '        pkgs = import inputs.nixpkgs { system = "x86_64-linux"; };\n      };\n'
    )
    repo = load_repo(write(tmp_path, tree(settings)))
    assert sorted(repo.homes) == ["kim"]


def test_a_name_function_names_the_homes(tmp_path: Path) -> None:
    """Why: `home.users.<user>.nameFunction` gives the name for each host."""
    settings = '      home.users.kim.nameFunction = host: "${host}-kim";\n'
    repo = load_repo(write(tmp_path, tree(settings)))
    assert sorted(repo.homes) == ["box-kim", "lab-kim"]


def test_a_name_homeward_cannot_compute_is_said_and_not_guessed(tmp_path: Path) -> None:
    """Why: rule 9: a setting homeward cannot compute is named with where it is; the home is
    read (its files frozen), under no invented name."""
    settings = "      home.users.kim.standalone.enable = inputs.self.standaloneHomes;\n"
    repo = load_repo(write(tmp_path, tree(settings)))
    assert sorted(repo.homes) == []
    assert "homeConfigurations.kim" in repo.others
    said = [p for p in repo.problems if "kim" in p.message and "name" in p.message]
    assert said, [p.message for p in repo.problems]
    assert said[0].at is not None and str(said[0].at.path) == "flake.nix"
    assert said[0].at.line == 9


def test_graph_and_check_name_the_homes_the_flake_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the graph drew a node `kim` and `home-manager switch --flake .#kim` does not exist
    in such a flake."""
    write(tmp_path / "repo", tree())
    monkeypatch.chdir(tmp_path / "repo")
    assert main(["graph", "--format", "json", "."]) == 0
    graph = json.loads(capsys.readouterr().out)
    homes = sorted(n["label"] for n in graph["nodes"] if n["kind"] == "home")
    assert homes == ["kim@box", "kim@lab"]


def test_a_default_nix_in_the_configurations_directory_is_a_host_named_default(
    tmp_path: Path,
) -> None:
    """Why: ez-configs reads every regular `<name>.nix` of the directory, `default.nix`
    included (a host `default`); homeward skipped it, so its files were not frozen and
    `check` did not lint it."""
    files = tree() | {"nixos-configurations/default.nix": HOST}
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == ["box", "default", "lab"]
    assert "nixos-configurations/default.nix" in repo.modules
    assert sorted(repo.homes) == ["kim@box", "kim@default", "kim@lab"]


def test_user_home_modules_wire_the_users_home_into_the_host(tmp_path: Path) -> None:
    """Why: `<kind>.hosts.<host>.userHomeModules = [ "kim" ]` makes ez-configs import
    `home-configurations/kim.nix` as `home-manager.users.kim` of that host; homeward recorded
    the names and read nothing of them, so the host had no home and its files were not
    known to be kim's on it."""
    settings = '      nixos.hosts.box.userHomeModules = [ "kim" ];\n'
    repo = load_repo(write(tmp_path, tree(settings)))
    home = repo.modules["home-configurations/kim.nix"]
    assert home.context is Context.HOME
    assert "box" in home.hosts and "lab" not in home.hosts
    assert home.users == frozenset({"kim"})
    assert ("nixos-configurations/box/default.nix", "home-configurations/kim.nix") in repo.edges


# -- what ez-configs adds beside the entry file: its default modules and its arguments ---------

SHARED = "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n"


def test_the_default_module_is_imported_by_every_host_that_does_not_opt_out(
    tmp_path: Path,
) -> None:
    """Why: ez-configs gives each host `<kind>-modules/default.nix` (its `importDefault`,
    true unless a host sets it false); homeward did not list it, so what it imports was
    neither linted for those hosts nor known to be theirs."""
    files = tree("      nixos.hosts.lab.importDefault = false;\n") | {
        "nixos-modules/default.nix": "{ ... }:\n{\n  imports = [ ./shared.nix ];\n}\n",
        "nixos-modules/shared.nix": SHARED,
    }
    repo = load_repo(write(tmp_path, files))
    assert repo.modules["nixos-modules/default.nix"].hosts == {"box"}
    assert repo.modules["nixos-modules/shared.nix"].hosts == {"box"}


def test_an_import_default_homeward_cannot_compute_is_said(tmp_path: Path) -> None:
    """Why: rule 9: whether the host reads the default module is not known; it is said, with
    where, and the host is not read as if it had none."""
    files = tree("      nixos.hosts.lab.importDefault = inputs.self.wantsDefault;\n") | {
        "nixos-modules/default.nix": SHARED,
    }
    repo = load_repo(write(tmp_path, files))
    assert repo.modules["nixos-modules/default.nix"].hosts == {"box"}
    said = [p.message for p in repo.problems if "importDefault" in p.message]
    assert said, [p.message for p in repo.problems]


def test_hosts_get_ez_modules_and_the_global_arguments(tmp_path: Path) -> None:
    """Why: ez-configs calls each host with `specialArgs = <kind>.specialArgs (globalArgs by
    default) // { ezModules = <the modules directory's entries>; }`; homeward gave none, so
    `imports = [ ezModules.shared ]` was "computed" and not followed."""
    host = "{ ezModules, extra, ... }:\n{\n  imports = [ ezModules.shared extra ];\n}\n"
    files = tree("      globalArgs = { extra = ./extra.nix; };\n") | {
        "nixos-configurations/box/default.nix": host,
        "nixos-modules/shared.nix": SHARED,
        "extra.nix": SHARED,
    }
    repo = load_repo(write(tmp_path, files))
    assert "box" in repo.modules["nixos-modules/shared.nix"].hosts
    assert "box" in repo.modules["extra.nix"].hosts


def test_homes_get_the_home_default_module_and_their_systems_one(tmp_path: Path) -> None:
    """Why: each home of ez-configs imports `home-modules/default.nix`, and `linux.nix` or
    `darwin.nix` by its host's system, unless the user sets `importDefault = false`."""
    home_module = "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n"
    files = tree('      nixos.hosts.box.userHomeModules = [ "kim" ];\n') | {
        "home-modules/default.nix": home_module,
        "home-modules/linux.nix": home_module,
        "home-modules/darwin.nix": home_module,
    }
    repo = load_repo(write(tmp_path, files))
    assert repo.modules["home-modules/default.nix"].hosts == {"box", "kim@box", "kim@lab"}
    assert repo.modules["home-modules/linux.nix"].users == frozenset({"kim"})
    assert "home-modules/darwin.nix" not in repo.modules
    files["flake.nix"] = ez_flake("      home.users.kim.importDefault = false;\n")
    repo = load_repo(write(tmp_path, files))
    assert "home-modules/default.nix" not in repo.modules


def test_a_symlinked_directory_is_an_entry(tmp_path: Path) -> None:
    """Why: ez-configs takes `<dir>/<name>/default.nix` wherever `readFileType` finds a
    regular file, through a linked directory too; homeward skipped links."""
    write(tmp_path, tree() | {"elsewhere/desk/default.nix": HOST})
    (tmp_path / "nixos-configurations" / "desk").symlink_to("../elsewhere/desk")
    repo = load_repo(tmp_path)
    assert sorted(repo.hosts) == ["box", "desk", "lab"]
