"""Conservation (docs/architecture.md, rule 1) with the real Nix evaluator.

For every golden migrate case: call `flake.nix`'s `outputs` before and after with the stand-in
nixpkgs and home-manager (tests/standins), evaluate the recorded modules with the stand-ins'
module system, and compare, for every host and user, the packages and settings the user gets
through the NixOS wiring and through `homeConfigurations."<user>@<host>"`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.model.extract import Extract, HomeExtract, HostExtract, UserExtract
from homeward.nix.ops import extract_outputs_standins
from tests.conftest import FIXTURES
from tests.helpers import STANDINS
from tests.test_migrate import before_dir, case_args, golden_cases

CASES = FIXTURES / "migrate"
# What a migration may add: the home-manager command (kept installed for standalone use) and
# the shell home-manager must manage for moved session variables and aliases to apply.
MAY_ADD = frozenset({"home-manager", "bash", "zsh", "fish"})


def evaluate(case: str, side: str) -> Extract:
    return extract_outputs_standins(
        before_dir(case) if side == "before" else CASES / case / side, STANDINS
    )


# `--adopt-dotfiles` adds what Nix did not manage before (files in $HOME) on purpose:
# tests/test_dotfiles.py checks those cases, everything else conserved and the files as the tree.
CONSERVED = [c for c in golden_cases(applied_only=True) if "--adopt-dotfiles" not in case_args(c)]


@pytest.mark.nix
@pytest.mark.parametrize("case", CONSERVED)
def test_every_user_keeps_packages_and_settings(case: str) -> None:
    """Why: rule 1, nothing is lost and nothing changes meaning, through both wirings."""
    standalone_only = "--mode=standalone" in case_args(case)
    assert_conserved(
        evaluate(case, "before"), evaluate(case, "after"), standalone_only=standalone_only
    )


def assert_conserved(before: Extract, after: Extract, *, standalone_only: bool = False) -> None:
    """Every user on every host gets the same packages and settings after as before."""
    assert set(after.hosts) == set(before.hosts), (
        f"hosts changed: {sorted(before.hosts)} -> {sorted(after.hosts)}"
    )
    for host, was in before.hosts.items():
        now = after.hosts[host]
        for user, old in was.users.items():
            assert user in now.users, f"{user} disappeared from {host}"
            new = now.users[user]
            assert new.state_version != "<error>", (
                f"{user}@{host}: home.stateVersion does not evaluate"
            )
            # What the user had: the NixOS side, and their standalone configuration if they had
            # one (`homeConfigurations."u@h"` or keyed by the user alone).
            standalone_before = before.homes.get(f"{user}@{host}") or before.homes.get(user)
            had = (
                old.packages
                | set(was.programs)
                | set(standalone_before.packages if standalone_before else ())
            )
            home = after.homes.get(f"{user}@{host}")
            if standalone_only:
                # Only the standalone configuration carries the user's things now.
                assert home is not None, f"no homeConfigurations.{user}@{host}"
                has = new.packages | set(home.packages) | set(now.programs)
            else:
                has = new.packages | set(now.programs)
                assert dict(new.settings) == dict(old.settings), f"{user}@{host} settings changed"
            assert had <= has, f"{user}@{host} lost {sorted(had - has)}"
            assert has - had <= MAY_ADD, f"{user}@{host} gained {sorted(has - had - MAY_ADD)}"
            if home is None:
                continue
            assert home.state_version != "<error>", (
                f"{user}@{host} standalone: home.stateVersion does not evaluate"
            )
            standalone = set(home.packages) | set(now.programs)
            moved = old.packages - set(new.nixos_packages)
            assert moved <= standalone, (
                f"{user}@{host} standalone lacks {sorted(moved - standalone)}"
            )
            extra = standalone - had
            assert extra <= MAY_ADD, f"{user}@{host} standalone gained {sorted(extra - MAY_ADD)}"
            # Every setting the user had is either still a NixOS option, or now home-manager's,
            # and then the standalone configuration has it too.
            got = dict(home.settings)
            for key, value in old.settings.items():
                if new.nixos_settings.get(key) == value:
                    continue
                assert got.get(key) == value, (
                    f"{user}@{host} standalone: {key} = {got.get(key)!r}, was {value!r}"
                )
            assert all(old.settings.get(k) == v for k, v in got.items()), (
                "standalone invented settings"
            )


@pytest.mark.nix
def test_conservation_catches_a_lost_package(tmp_path: Path) -> None:
    """Why: the oracle above must be able to fail: a migration that lost `jq` is refused."""
    from tests.helpers import copy_tree

    work = copy_tree(CASES / "example" / "after", tmp_path / "after")
    cli = work / "home" / "ham" / "features" / "cli.nix"
    cli.write_text(cli.read_text().replace("    jq\n", ""))
    before, after = evaluate("example", "before"), extract_outputs_standins(work, STANDINS)
    with pytest.raises(AssertionError, match=r"ham@nixos-desk lost \['jq'\]"):
        assert_conserved(before, after)
    assert_conserved(before, evaluate("example", "after"))  # and the real result passes


# -- the oracle on hand-made evaluations: each way of losing something is caught ---------------
def _user(
    nixos: tuple[str, ...] = (),
    home: tuple[str, ...] = (),
    settings: dict[str, str] | None = None,
    nixos_settings: dict[str, str] | None = None,
    state_version: str | None = "25.05",
) -> UserExtract:
    settings = settings or {}
    return UserExtract(
        nixos,
        home,
        settings,
        settings if nixos_settings is None else nixos_settings,
        home_manager=bool(home),
        state_version=state_version,
    )


def _one(user: UserExtract, homes: dict[str, HomeExtract] | None = None) -> Extract:
    return Extract({"desk": HostExtract({"ham": user})}, homes or {})


GIT = {"programs.git.enable": "true", "programs.git.userName": "ham"}
BEFORE = _one(_user(nixos=("jq", "ripgrep"), settings=GIT))
# What a correct migration gives: packages and settings moved to home-manager, a standalone
# output with the same.
GOOD = _one(
    _user(home=("jq", "ripgrep"), settings=GIT, nixos_settings={}),
    {"ham@desk": HomeExtract(("jq", "ripgrep", "home-manager"), GIT)},
)


def test_conservation_accepts_a_correct_migration() -> None:
    assert_conserved(BEFORE, GOOD)
    assert_conserved(BEFORE, BEFORE)


@pytest.mark.parametrize(
    ("after", "message"),
    [
        (_one(_user(home=("jq",), settings=GIT)), r"lost \['ripgrep'\]"),
        (_one(_user(home=("jq", "ripgrep", "htop"), settings=GIT)), r"gained \['htop'\]"),
        (
            _one(_user(home=("jq", "ripgrep"), settings={**GIT, "programs.git.userName": "x"})),
            "settings changed",
        ),
        (_one(_user(home=("jq", "ripgrep"), settings={})), "settings changed"),
        (Extract({"desk": HostExtract({})}, {}), "ham disappeared from desk"),
        (Extract({}, {}), "hosts changed"),
        (
            _one(_user(home=("jq", "ripgrep"), settings=GIT, state_version="<error>")),
            "stateVersion does not evaluate",
        ),
        (
            _one(
                _user(home=("jq", "ripgrep"), settings=GIT, nixos_settings={}),
                {"ham@desk": HomeExtract(("jq",), GIT)},
            ),
            r"standalone lacks \['ripgrep'\]",
        ),
        (
            _one(
                _user(home=("jq", "ripgrep"), settings=GIT, nixos_settings={}),
                {"ham@desk": HomeExtract(("jq", "ripgrep"), {"programs.git.enable": "true"})},
            ),
            "standalone: programs.git.userName",
        ),
        (
            _one(
                _user(home=("jq", "ripgrep"), settings=GIT, nixos_settings={}),
                {"ham@desk": HomeExtract(("jq", "ripgrep"), {**GIT, "xdg.enable": "true"})},
            ),
            "standalone invented settings",
        ),
    ],
    ids=[
        "lost-package",
        "gained-package",
        "changed-setting",
        "lost-setting",
        "lost-user",
        "lost-host",
        "broken-state-version",
        "standalone-lost-package",
        "standalone-lost-setting",
        "standalone-invented-setting",
    ],
)
def test_conservation_catches(after: Extract, message: str) -> None:
    """Why: issue 8: with `assert_conserved` a no-op, all 72 conservation, QA and property tests
    stayed green. Each of these must fail it, with a message naming what was lost."""
    with pytest.raises(AssertionError, match=message):
        assert_conserved(BEFORE, after)


def test_conservation_standalone_only_needs_the_standalone_output() -> None:
    after = _one(_user(settings=GIT))
    with pytest.raises(AssertionError, match=r"no homeConfigurations\.ham@desk"):
        assert_conserved(BEFORE, after, standalone_only=True)
