"""Property tests for `homeward migrate` over generated configurations (see tests/gen.py)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from homeward.cli import main
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from homeward.plan.migrate import MigrateOptions, plan_migration
from homeward.syntax.find import read_module
from homeward.syntax.parse import parse_source
from tests.gen import Config, configs
from tests.helpers import make_git_repo, tree_files
from tests.test_migrate import comments

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def write(config: Config, root: Path) -> Path:
    for rel, text in config.files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return make_git_repo(root)


def system_bindings(root: Path) -> dict[tuple[str, str], str]:
    """Every definition of every NixOS file outside home/, by (file, path), as written."""
    found: dict[tuple[str, str], str] = {}
    for path in sorted(root.rglob("*.nix")):
        rel = path.relative_to(root)
        if ".git" in rel.parts or rel.parts[0] == "home" or rel.name == "flake.nix":
            continue
        module = read_module(parse_source(path.read_bytes(), rel))
        for d in module.definitions:
            found[(str(rel), d.dotted + f"#{len(found)}")] = d.value_text
    return found


@SETTINGS
@given(configs())
def test_migrate_is_idempotent(config: Config) -> None:
    """Why: rule 7 on shapes nobody wrote a fixture for."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write(config, Path(tmp))
        assert main(["migrate", str(root)]) == 0
        after = tree_files(root)
        assert main(["migrate", str(root), "--allow-dirty"]) == 0
        assert tree_files(root) == after, "a second run changed bytes"


@SETTINGS
@given(configs())
def test_migrate_moves_only_user_definitions(config: Config) -> None:
    """Why: untouched definitions survive byte for byte; only user-level ones leave NixOS files."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write(config, Path(tmp))
        before_comments = comments(root)
        repo = load_repo(root)
        user_level = {
            (str(info.path), d.dotted)
            for info in repo.modules.values()
            for d in info.module.definitions
            if info.path is not None
            and (
                (d.path[:2] == ("users", "users") and d.path[3:4] == ("packages",))
                or str(info.path).startswith("home/")
            )
        }
        before = {
            (str(info.path), d.dotted, d.value_text)
            for info in repo.modules.values()
            if info.path is not None
            for d in info.module.definitions
            if (str(info.path), d.dotted) not in user_level and d.path != ("imports",)
        }
        plan = plan_migration(build_index(repo), MigrateOptions())
        # Issue 11: migrate writes nothing for a user with nothing to move.
        assert plan.empty == (not movers(config))
        assert main(["migrate", str(root)]) == 0
        after_repo = load_repo(root)
        after = {
            (str(info.path), d.dotted, d.value_text)
            for info in after_repo.modules.values()
            if info.path is not None
            for d in info.module.definitions
        }
        assert before <= after, f"definitions changed or lost: {sorted(before - after)}"
        lost = before_comments - comments(root)
        assert not lost, f"comments lost: {sorted(lost)}"
        for info in after_repo.modules.values():
            for d in info.module.definitions:
                assert not (d.path[:2] == ("users", "users") and d.path[3:4] == ("packages",)), (
                    d.location
                )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
@pytest.mark.nix
def test_migrate_conserves_packages_and_settings(config: Config) -> None:
    """Why: rule 1 on generated shapes, evaluated with the real nix and the stand-ins."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    with tempfile.TemporaryDirectory() as tmp:
        root = write(config, Path(tmp) / "repo")
        before = extract_outputs_standins(root, STANDINS)
        assert main(["migrate", str(root)]) == 0
        assert_conserved(before, extract_outputs_standins(root, STANDINS))


def movers(config: Config) -> set[str]:
    """The users of a generated configuration with something to move: a package list in
    their account, in a host file, or a user file `home/<user>.nix`."""
    accounts = config.files["modules/system/users.nix"]
    found = set()
    for user in config.users:
        block = accounts[accounts.index(f"users.users.{user} = {{") :]
        block = block[: block.index("\n  };")]
        if (
            "packages" in block
            or f"home/{user}.nix" in config.files
            or any(f"users.users.{user}.packages" in t for t in config.files.values())
        ):
            found.add(user)
    return found


def home_entries(root: Path) -> dict[str, str]:
    """Each `homeConfigurations` entry's call as written, lines stripped of their indentation
    (a dotted entry and one inside a set differ in that only)."""
    repo = load_repo(root)
    found = {}
    for name, config in repo.homes.items():
        node, source = config.call.node, config.call.source
        assert node is not None and source is not None
        found[name] = "\n".join(line.strip() for line in source.text_of(node).splitlines())
    return found


def settings_modules(root: Path) -> dict[str, str]:
    """Each host's home-manager settings module (the inline module of its list that sets
    `home-manager.*`) as written, lines stripped of their indentation."""
    from homeward.model.repo import ModuleKind

    repo = load_repo(root)
    found = {}
    for name, host in repo.hosts.items():
        for ref in host.modules:
            if ref.kind is not ModuleKind.INLINE or ref.node is None or ref.source is None:
                continue
            text = ref.source.text_of(ref.node)
            if "home-manager." in text:
                found[name] = "\n".join(line.strip() for line in text.splitlines())
    return found


def _example(packages: str) -> Config:
    """One host, users ham and eve (eve has nothing to move); ham's packages on the host."""
    users = "{ pkgs, ... }:\n{\n" + "\n\n".join(
        f"  users.users.{u} = {{\n    isNormalUser = true;\n  }};" for u in ("ham", "eve")
    )
    host = (
        "{ pkgs, ... }:\n{\n  imports = [\n    ../../modules/system/users.nix\n  ];\n\n"
        f'  networking.hostName = "desk";\n{packages}  system.stateVersion = "25.05";\n}}\n'
    )
    flake = (
        '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n\n  outputs =\n'
        "    { self, nixpkgs, ... }:\n    {\n"
        "      nixosConfigurations.desk = nixpkgs.lib.nixosSystem {\n"
        '        system = "x86_64-linux";\n        modules = [ ./hosts/desk ];\n      };\n'
        "    };\n}\n"
    )
    files = {
        "modules/system/users.nix": users + "\n}\n",
        "hosts/desk/default.nix": host,
        "flake.nix": flake,
    }
    return Config(files, ("desk",), ("ham", "eve"))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs())
@example(_example("  users.users.ham.packages = [ pkgs.git ];\n"))
@example(_example(""))
def test_add_host_writes_the_home_entry_migrate_writes(config: Config) -> None:
    """Why (issue #9): `add` once built `homeConfigurations` entries its own way (without the
    host's package set or arguments); both now use one builder. A user's entry for a host
    `add host` creates is the one migrate wrote for an existing host, but for the name
    (users with a per-host file on that host have a second module: compared without it)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write(config, Path(tmp))
        assert main(["migrate", str(root)]) == 0
        migrated = home_entries(root)
        # Issue 11: a home for exactly the users with something to move (none for the others:
        # an empty home separates nothing), so `add host` has those to extend.
        assert {name.split("@")[0] for name in migrated} == movers(config)
        wired = settings_modules(root)
        assert main(["add", "host", "fresh", "--dir", str(root), "--allow-dirty"]) == 0
        added = home_entries(root)
        for name, code in migrated.items():
            user, host = name.split("@")
            assert added[name] == code
            assert f"{user}@fresh" in added
            if f"./home/{user}/{host}.nix" in code:
                continue  # a per-host file: `fresh` has none
            assert added[f"{user}@fresh"] == code
        # And the NixOS side (issue 9): the settings module `add host` writes is the one
        # migrate wrote on a host with the same users, but for per-host files.
        fresh = settings_modules(root).get("fresh")
        assert (fresh is None) == (not wired)
        for host, module in wired.items():
            per_host = [f"./home/{u}/{host}.nix" for u in config.users]
            if any(path in module for path in per_host):
                continue
            if set(movers(config)) == {u for u in config.users if f"users.{u}." in module}:
                assert fresh == module


PACKAGE_SETS = {
    "": "",
    "unfree": "  nixpkgs.config.allowUnfree = true;\n",
    "overlays": "  nixpkgs.overlays = [ ];\n",
}


@st.composite
def configs_with_package_sets(draw: st.DrawFn) -> Config:
    """Generated configurations whose hosts change their package set: unfree, overlays."""
    config = draw(configs())
    for host in config.hosts:
        extra = PACKAGE_SETS[draw(st.sampled_from(sorted(PACKAGE_SETS)))]
        path = f"hosts/{host}/default.nix"
        text = config.files[path]
        config.files[path] = text[: text.rindex("}")] + extra + "}\n"
    return config


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(configs_with_package_sets())
def test_add_user_writes_the_home_entry_migrate_writes(config: Config) -> None:
    """Why (issue #9): add's own entry had no custom package set (a host with overlays got
    `nixpkgs.legacyPackages`, without them); on an existing host, `add user` now writes the
    entry migrate writes for that host, but for the user's name."""
    with tempfile.TemporaryDirectory() as tmp:
        root = write(config, Path(tmp))
        assert main(["migrate", str(root)]) == 0
        migrated = home_entries(root)
        args = ["add", "user", "newbie", "--dir", str(root), "--allow-dirty"]
        assert main(args) == 0
        added = home_entries(root)
        for name, code in migrated.items():
            user, host = name.split("@")
            if f"/{host}.nix" in code:
                continue  # a per-host file: newbie has none
            assert added[f"newbie@{host}"] == code.replace(f"./home/{user}", "./home/newbie")
