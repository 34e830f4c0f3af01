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

import pytest

from homeward.cli import main
from homeward.lint.rules import RULES
from tests.conftest import FIXTURES
from tests.helpers import copy_tree, make_git_repo
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
    assert_fixed(work / SUB.get(case, ""), capsys)


@pytest.mark.parametrize("case", list(CASES), ids=str)
def test_fixable_check_cases_are_fixed_by_migrate(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the same promise on every repository test_check.py builds for a rule."""
    work = make_git_repo(make_repo(CASES[case][0], tmp_path))
    assert_fixed(work, capsys)


def assert_fixed(flake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = fixable(flake, capsys)
    code = main(["migrate", str(flake)])
    err = capsys.readouterr().err
    if code == 3:
        assert not before, "check calls findings fixable where migrate refuses"
        return  # refused, nothing written (test_migrate*.py check the refusal itself)
    assert code == 0, err
    assert before is not None
    after = fixable(flake, capsys)
    assert after is not None
    survived = before & after
    assert not survived, "\n".join(f"{c} {m}" for c, m in sorted(survived))
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
