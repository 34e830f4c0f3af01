"""bench/corpus.py's package ledger: what a configuration gains is Wrong as what it loses is.

Why (087806e): on two public configurations migrate imported one user's new feature file from a
module another user's standalone configuration lists too; that configuration gained the first
user's home-manager command, and the corpus ledger, which looked only for what a configuration
loses, called it Handled.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homeward.apply.write import compute_changes
from homeward.cli import main
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from homeward.plan.migrate import MigrateOptions, plan_migration
from tests.helpers import bench_module, git, hm_flake_lines, make_git_repo
from tests.test_invariants import before_087806e, shared_first_module, write

CORPUS: Any = bench_module("corpus")


def test_a_package_another_users_configuration_had_is_a_gain() -> None:
    before = {
        "packages": {
            "a/ann": ["htop"],
            "a/bob": ["jq"],
            "home:bob@b": ["jq"],
            "home:ann@a": ["git"],
            "b/cat": ["fd"],
        }
    }
    after = {
        "packages": {
            "a/ann": ["git", "home-manager", "htop"],  # her own, and what migrate adds
            "a/bob": ["jq"],
            "home:bob@b": ["htop", "jq"],  # ann's
            "home:ann@a": ["git", "home-manager", "htop"],
            "b/cat": ["fd", "git", "home-manager"],  # ann's, and the command migrate adds
        }
    }
    assert CORPUS.gained_packages(before, after) == [
        'cat@b: git (was homeConfigurations."ann@a"\'s)',
        'homeConfigurations."bob@b": htop (was ann@a\'s)',
    ]
    assert CORPUS.missing_packages(before, after) == []


def test_the_command_migrate_adds_is_a_gain_for_a_user_it_does_not_migrate() -> None:
    before = {"packages": {"a/ann": [], "home:ann@a": ["jq"], "home:bob@b": ["jq"]}}
    after = {
        "packages": {
            "a/ann": ["home-manager", "jq"],
            "home:ann@a": ["home-manager", "jq"],
            "home:bob@b": ["home-manager", "jq"],
        }
    }
    assert CORPUS.gained_packages(before, after) == [
        'homeConfigurations."bob@b": home-manager (new, added for ann)'
    ]


@pytest.mark.parametrize("broken", [False, True], ids=["migrate", "before-087806e"])
def test_the_ledger_of_a_migration_says_who_gains(
    broken: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ledger read by homeward's model, before and after: migrate as it is gains nothing;
    the plan before 087806e (ann's feature file imported from the module bob's configuration
    lists too, written without the invariants' check) gives bob ann's home-manager command."""
    root = make_git_repo(write(tmp_path / "repo", shared_first_module("")))
    before = CORPUS.read_ledger(root)
    if broken:
        before_087806e(monkeypatch)
        repo = load_repo(root)
        plan = plan_migration(build_index(repo), MigrateOptions())
        for change in compute_changes(root, plan):
            assert change.new is not None
            (root / change.path).parent.mkdir(parents=True, exist_ok=True)
            (root / change.path).write_bytes(change.new)
            # As apply adds a new file (rule 12: nix, and homeward, see what git tracks).
            git(root, "add", "--intent-to-add", str(change.path))
    else:
        assert main(["migrate", str(root)]) == 0
    after = CORPUS.read_ledger(root)
    assert CORPUS.missing_packages(before, after) == []
    gained = CORPUS.gained_packages(before, after)
    assert gained == (
        ['homeConfigurations."bob@b": home-manager (new, added for ann)'] if broken else []
    )


STANDALONE_ONLY = {
    "flake.nix": hm_flake_lines(
        """  outputs = { self, nixpkgs, home-manager, ... }: {
    nixosConfigurations = { };
    homeConfigurations."kim@pc" = home-manager.lib.homeManagerConfiguration {
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      modules = [ ./home.nix ];
    };
  };
"""
    ),
    "home.nix": """{ pkgs, ... }:
{
  home.username = "kim";
  home.homeDirectory = "/home/kim";
  home.stateVersion = "25.05";
  home.packages = [ pkgs.jq ];
}
""",
}


def test_a_flake_of_standalone_homes_only_is_handled(tmp_path: Path) -> None:
    """Why: a public configuration with `homeConfigurations` only (its `nixosConfigurations`
    an empty set kept for later) has nothing to migrate; homeward reads its home and says so,
    and the corpus called that Silent ("no host read"), a finding with nothing to find."""
    root = make_git_repo(write(tmp_path / "repo", STANDALONE_ONLY))
    snap = CORPUS.Snapshot("kim", "kim/home", "0" * 40, "standalone", ".", "")
    res = CORPUS.evaluate(snap, root, 120.0)
    assert (res.status, res.hosts, res.changed_files) == ("Handled", 0, 0), res.reasons
