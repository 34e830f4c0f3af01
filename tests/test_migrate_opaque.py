"""Issue 11, "Done when": migrate on generated configurations with parts homeward cannot read.

Each configuration (tests/gen.py) gets opaque parts drawn by hypothesis: a file the hosts import
that is not there (a gitignored hardware-configuration.nix, generated on the machine), an import
computed from data homeward does not evaluate (`builtins.match` over `builtins.readFile …`), and a
second consumer of the shared accounts module (an export, `nixosModules.accounts`). After
migrate, the real nix evaluates both trees with the stand-ins (tests/standins), a stand-in file
written where the missing one is, as the owner's machine has it: nothing reachable from a known
host may change meaning (every user keeps packages and settings on every host, both wirings),
and what homeward cannot see or must not touch stays byte-identical (rules 10 and 12).
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.cli import main
from tests.gen import PACKAGES, Config, configs
from tests.helpers import make_git_repo, tree_files

SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ACCOUNTS = "modules/system/users.nix"
COMPUTED = "modules/computed/extra.nix"


@dataclass
class Opaque:
    config: Config
    missing: dict[str, str]  # repo-relative path -> the stand-in the owner's machine has
    untouchable: tuple[str, ...]  # files that must stay byte-identical


def _add_import(host_file: str, line: str) -> str:
    """An import added to a generated host file's `imports = [ … ];`."""
    return host_file.replace("  imports = [\n", f"  imports = [\n    {line}\n", 1)


@st.composite
def opaque_configs(draw: st.DrawFn) -> Opaque:
    config = draw(configs())
    files = dict(config.files)
    missing: dict[str, str] = {}
    untouchable: list[str] = []
    user = draw(st.sampled_from(config.users))
    package = draw(st.sampled_from(PACKAGES))
    kinds = draw(
        st.lists(
            st.sampled_from(["missing", "computed", "export"]), min_size=1, max_size=3, unique=True
        )
    )
    if "missing" in kinds:
        # Generated on the machine, not in the repository: it may hold anything, a user's
        # packages included.
        host = draw(st.sampled_from(config.hosts))
        path = f"hosts/{host}/hardware-configuration.nix"
        files[f"hosts/{host}/default.nix"] = _add_import(
            files[f"hosts/{host}/default.nix"], "./hardware-configuration.nix"
        )
        missing[path] = (
            '{ pkgs, ... }:\n{\n  boot.loader.grub.device = "nodev";\n'
            f"  users.users.{user}.packages = [ pkgs.{package} ];\n}}\n"
        )
    if "computed" in kinds:
        # Imported through data homeward does not evaluate: it never sees this file.
        host = draw(st.sampled_from(config.hosts))
        files[COMPUTED] = (
            "{ pkgs, ... }:\n{\n"
            f"  users.users.{user}.packages = [ pkgs.{draw(st.sampled_from(PACKAGES))} ];\n}}\n"
        )
        # Why a regular expression: homeward reads TOML and JSON data (`fromTOML`/`fromJSON`
        # of a tracked file), not `builtins.match`.
        files["modules/computed/list.txt"] = "extra\n"
        host_file = files[f"hosts/{host}/default.nix"]
        files[f"hosts/{host}/default.nix"] = host_file.replace(
            "  ];\n",
            '  ]\n  ++ map (n: ../../modules/computed + "/${n}.nix") (\n'
            '    builtins.match "([a-z]+)\\n" (builtins.readFile ../../modules/computed/list.txt)\n'
            "  );\n",
            1,
        )
        untouchable += [COMPUTED, "modules/computed/list.txt"]
    if "export" in kinds:
        # Other flakes may import the accounts module: it must not change.
        files["flake.nix"] = files["flake.nix"].replace(
            "    {\n", f"    {{\n      nixosModules.accounts = ./{ACCOUNTS};\n", 1
        )
        untouchable.append(ACCOUNTS)
    return Opaque(Config(files, config.hosts, config.users), missing, tuple(untouchable))


def _on_the_machine(root: Path, opaque: Opaque, where: Path) -> Path:
    """A copy of `root` with the files the owner's machine has and the repository does not."""
    shutil.copytree(root, where, ignore=shutil.ignore_patterns(".git"))
    for rel, text in opaque.missing.items():
        (where / rel).write_text(text)
    return where


@pytest.mark.nix
@SETTINGS
@given(opaque_configs())
def test_migrate_with_opaque_parts_changes_no_meaning(opaque: Opaque) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        for rel, text in opaque.config.files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        make_git_repo(root)
        before_files = tree_files(root)
        before = extract_outputs_standins(
            _on_the_machine(root, opaque, Path(tmp) / "before"), STANDINS
        )
        assert main(["migrate", str(root)]) == 0
        after_files = tree_files(root)
        for rel in opaque.untouchable:
            assert after_files.get(rel) == before_files[rel], f"`{rel}` changed"
        for rel in opaque.missing:
            assert rel not in after_files, f"`{rel}` was created"
        after = extract_outputs_standins(
            _on_the_machine(root, opaque, Path(tmp) / "after"), STANDINS
        )
        assert_conserved(before, after)
