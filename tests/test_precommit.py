"""The pre-commit hooks (.pre-commit-hooks.yaml): their entries, run as pre-commit runs them
(from the repository root, with the changed files when `pass_filenames` is on)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from .conftest import EXAMPLE, FIXTURES, ROOT
from .helpers import copy_tree, make_git_repo

HOOKS: list[dict[str, Any]] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


def _hook(hook_id: str) -> dict[str, Any]:
    return next(h for h in HOOKS if h["id"] == hook_id)


def _run(hook: dict[str, Any], repo: Path, files: list[str]) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(hook["entry"]) + list(hook.get("args", []))
    if hook.get("pass_filenames", True):
        argv += files
    assert argv[0] == "homeward"
    # The entry point, run as pre-commit's venv would; `-m` also works where no script is on
    # PATH (the Nix package's test run).
    argv[:1] = [sys.executable, "-m", "homeward"]
    return subprocess.run(argv, cwd=repo, capture_output=True, text=True, check=False)


def test_hook_definitions() -> None:
    """Why: pre-commit installs `language: python` hooks from this repository's package; the
    ids are what users write in .pre-commit-config.yaml (docs/integrations.md)."""
    assert [h["id"] for h in HOOKS] == ["homeward-check", "homeward-migrate-check"]
    for h in HOOKS:
        assert h["language"] == "python"
        assert h["pass_filenames"] is False
        assert h["entry"].split()[0] == "homeward"


@pytest.mark.parametrize(
    ("case", "check_code", "migrate_code"),
    [("clean", 0, 0), ("legacy", 1, 1)],
)
def test_hooks_on_fixtures(case: str, check_code: int, migrate_code: int, tmp_path: Path) -> None:
    """Why: the hooks must pass a configuration in the layout and stop a commit of one that
    is not (user packages in a system module; a migration pending)."""
    source = FIXTURES / "check" / "clean" if case == "clean" else EXAMPLE
    repo = make_git_repo(copy_tree(source, tmp_path / case))
    changed = sorted(str(p.relative_to(repo)) for p in repo.rglob("*.nix") if ".git" not in p.parts)
    check = _run(_hook("homeward-check"), repo, changed)
    assert check.returncode == check_code, check.stdout + check.stderr
    migrate = _run(_hook("homeward-migrate-check"), repo, changed)
    assert migrate.returncode == migrate_code, migrate.stdout + migrate.stderr
    if case == "legacy":
        assert "HW002" in check.stdout
        assert "a migration is pending" in migrate.stdout


def test_check_ignores_file_names(tmp_path: Path) -> None:
    """Why: git-hooks.nix passes file names unless told not to; `check` must still check the
    whole flake and say the same, not fail on unknown arguments or check one file."""
    repo = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    hook = dict(_hook("homeward-check"), pass_filenames=True)
    alone = _run(_hook("homeward-check"), repo, [])
    one_file = _run(hook, repo, ["hosts/nixos-desk/default.nix"])
    many = _run(hook, repo, ["flake.nix", "home/ham.nix", "modules/system/users.nix"])
    assert alone.returncode == one_file.returncode == many.returncode == 1
    assert alone.stdout == one_file.stdout == many.stdout
    assert "home/ham.nix" in alone.stdout  # findings outside the files named are reported
