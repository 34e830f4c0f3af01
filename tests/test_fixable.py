"""Fixable means fixed (issue 13): what `check` marks "fixable: run `homeward migrate`" is gone
after `homeward migrate`.

Every fixture repository (migrate goldens, migrate QA cases, the check fixtures, the bundled
example) is checked, migrated and checked again; a fixable finding that is still there afterwards
is a broken promise: either `migrate` must move it, or `check` must not call it fixable. A
repository `migrate` refuses (exit 3: not a flake, a syntax error, a host it cannot find) is
left as it is, and its findings are not about what `migrate` does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from homeward.cli import main
from homeward.lint.rules import RULES
from tests.conftest import FIXTURES
from tests.helpers import copy_tree, make_git_repo, write
from tests.test_check import CASES, make_repo

SUB = {"migrate-qa/01-subdir-flake": "nixos"}


def cases() -> list[str]:
    found = [
        f"{group}/{p.name}"
        for group in ("migrate", "migrate-qa")
        for p in sorted((FIXTURES / group).iterdir())
        if (p / "before").is_dir()
    ]
    found += [f"check/{p.name}" for p in sorted((FIXTURES / "check").iterdir()) if p.is_dir()]
    return found


def fixable(
    flake: Path, capsys: pytest.CaptureFixture[str], *, errors: bool = False
) -> set[tuple[str, str]] | None:
    """(code, message) of every finding `check` marks fixable (with `errors`: every error of a
    rule `migrate` fixes); None when check cannot read it."""
    capsys.readouterr()
    if main(["check", str(flake), "--format", "json"]) == 3:
        return None
    out = json.loads(capsys.readouterr().out)
    if errors:
        return {
            (f["code"], f["message"])
            for f in out["findings"]
            if f["severity"] == "error" and RULES[f["code"]].fixable
        }
    return {(f["code"], f["message"]) for f in out["findings"] if f["fixable"]}


@pytest.mark.parametrize("case", cases())
def test_fixable_findings_are_fixed_by_migrate(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: "fixable: run `homeward migrate`" must mean that running it fixes the finding."""
    src = FIXTURES / case
    work = make_git_repo(
        copy_tree(src / "before" if (src / "before").is_dir() else src, tmp_path / "repo")
    )
    assert_fixed(work / SUB.get(case, ""), capsys, case)


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_fixable_check_cases_are_fixed_by_migrate(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the same promise on every repository test_check.py builds for a rule."""
    work = make_git_repo(make_repo(CASES[case][0], tmp_path))
    assert_fixed(work, capsys)


def findings(flake: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]] | None:
    """Every finding `check` reports, as its JSON has it; None when check cannot read it."""
    capsys.readouterr()
    if main(["check", str(flake), "--format", "json"]) == 3:
        return None
    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["findings"]
    return found


# Findings check does not call fixable that are gone after migrate: shell aliases in a user file
# of a host with other users stay NixOS options, so migrate keeps them out of home-manager, but
# it moves them into a system module, where HW003 does not report aliases (system-wide on
# purpose); check's hint must say where they go. An entry that stops vanishing fails the test,
# as one that starts.
_ALIASES = {
    (
        "HW003",
        f"`environment.shellAliases.{a}` in a user file: home-manager has `home.shellAliases.{a}`",
    )
    for a in ("ll", "gs")
}
UNDERSOLD: dict[str, set[tuple[str, str]]] = {
    f"migrate/{case}": _ALIASES
    for case in (
        "dotfiles-activation",
        "dotfiles-tmpfiles",
        "dotfiles-tmpfiles-kept",
        "share",
        "two-users",
    )
}


def assert_fixed(flake: Path, capsys: pytest.CaptureFixture[str], case: str = "") -> None:
    before = fixable(flake, capsys)
    asked = findings(flake, capsys)
    code = main(["migrate", str(flake)])
    err = capsys.readouterr().err
    if code == 3:
        assert not before, "check calls findings fixable where migrate refuses"
        # Finding by finding: each of a rule migrate fixes says that migrate refuses.
        unsaid = [
            f"{f['code']} {f['message']}"
            for f in asked or ()
            if RULES[f["code"]].fixable and "refuses this repository" not in (f["hint"] or "")
        ]
        assert not unsaid, "\n".join(unsaid)
        return  # refused, nothing written (test_migrate*.py check the refusal itself)
    assert code == 0, err
    assert before is not None and asked is not None
    after = fixable(flake, capsys)
    assert after is not None
    survived = before & after
    assert not survived, "\n".join(f"{c} {m}" for c, m in sorted(survived))
    # The other side, finding by finding: one of a rule migrate fixes that check does not
    # call fixable is still there afterwards (else check under-promised what migrate does).
    remaining = findings(flake, capsys)
    assert remaining is not None
    still = {(f["code"], f["message"]) for f in remaining}
    vanished = {
        (f["code"], f["message"])
        for f in asked
        if RULES[f["code"]].fixable and not f["fixable"] and (f["code"], f["message"]) not in still
    }
    assert vanished == UNDERSOLD.get(case, set()), "\n".join(f"{c} {m}" for c, m in vanished)
    unsaid = [
        f"{f['code']} {f['message']}: {f['hint']}"
        for f in asked
        if (f["code"], f["message"]) in vanished
        and "keeps it a NixOS option and moves it to `modules/system/" not in (f["hint"] or "")
    ]
    assert not unsaid, "\n".join(unsaid)
    # What migrate keeps on purpose is not then an error (issue 11: migrate's output passes
    # check): an error of a rule migrate fixes that survives it is a broken promise too.
    left = fixable(flake, capsys, errors=True)
    assert not left, "\n".join(f"{c} {m}" for c, m in sorted(left or ()))


def test_fixable_is_said_where_migrate_moves_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the other side of the promise: where migrate does move a definition, check says so."""
    work = make_git_repo(copy_tree(FIXTURES / "migrate" / "two-users" / "before", tmp_path / "r"))
    found = fixable(work, capsys)
    assert found is not None
    assert {code for code, _ in found} >= {"HW002"}


def _odd_cases() -> dict[str, dict[str, str]]:
    """Repositories where migrate keeps some of what check finds, or cannot see all of it."""
    from tests.test_frameworks import EZ, HOST, IMPORT_TREE, SNOWFALL

    frozen = dict(EZ)  # a module an assembled host reads too stays; a plain host migrates
    frozen["flake.nix"] = frozen["flake.nix"].replace(
        "    ezConfigs = {",
        "    flake.nixosConfigurations.pc = inputs.nixpkgs.lib.nixosSystem {\n"
        '      system = "x86_64-linux";\n      modules = [ ./pc.nix ./shared.nix ];\n    };\n'
        "    ezConfigs = {",
    )
    frozen["pc.nix"] = HOST.replace("box", "pc")
    frozen["shared.nix"] = "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n"
    frozen["nixos-configurations/lab.nix"] = (
        '{ ... }:\n{\n  imports = [ ../shared.nix ];\n  system.stateVersion = "25.05";\n}\n'
    )
    opaque = {  # a missing generated file and a computed import beside what migrate moves
        "flake.nix": '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        "  outputs = { nixpkgs, ... }: {\n"
        "    nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
        '      system = "x86_64-linux";\n'
        "      modules = [ ./configuration.nix ./hardware-configuration.nix ];\n"
        "    };\n  };\n}\n",
        "configuration.nix": HOST.replace(
            "{\n", '{\n  imports = [ (./. + "/${builtins.getEnv "HOST"}.nix") ];\n', 1
        ).replace(
            "pkgs.htop", 'pkgs.htop ]; programs.git.config = [ { init.defaultBranch = "main"; } '
        ),
    }
    return {
        "frozen-module-of-an-assembled-host": frozen,
        "snowfall-hosts": SNOWFALL,
        "flake-parts-import-tree": IMPORT_TREE,
        "opaque-imports": opaque,
    }


@pytest.mark.parametrize("case", sorted(_odd_cases()))
def test_fixable_odd_cases_are_what_migrate_does(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: frozen modules, hosts a framework assembles, and imports homeward cannot follow
    are where "fixable" and what migrate does could part: finding by finding, the same."""
    work = make_git_repo(write(tmp_path / "repo", _odd_cases()[case]))
    assert_fixed(work, capsys, case)
