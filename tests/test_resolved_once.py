"""An import path that led to a module file is resolved once per load (`Refs._file_ref`,
issue 9): the model must be the one resolving each import from its path gives, for the read
of the disk and for the planned read, on every migrate fixture and on a generated fleet
(hosts sharing user modules, the plan adding standalone homes that import them again)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from homeward.apply.write import compute_changes
from homeward.compat import override
from homeward.model.index import build_index
from homeward.model.load.state import LoadState
from homeward.model.repo import load_planned, load_repo
from homeward.plan.migrate import MigrateOptions, plan_migration
from tests.helpers import bench_module, copy_tree
from tests.test_planned_read import CASES, FIXTURES, summary


class _Forgetful(dict[str, Path]):
    """Remembers nothing: each import is resolved from its path, as before the memo."""

    @override
    def get(self, key: str, default: Any = None) -> Any:  # noqa: ARG002
        return default


def _same_without_memo(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = load_repo(root, darwin=True)
    plan = plan_migration(build_index(repo), MigrateOptions())
    files = {c.path.as_posix(): c.new for c in compute_changes(repo.root, plan)}
    planned = load_planned(repo, files)
    init = LoadState.__init__

    def forgetful(self: LoadState, *args: Any) -> None:
        init(self, *args)
        self._file_refs = _Forgetful()

    monkeypatch.setattr(LoadState, "__init__", forgetful)
    assert summary(load_repo(root, darwin=True)) == summary(repo)
    assert summary(load_planned(repo, files)) == summary(planned)


@pytest.mark.parametrize("case", CASES)
def test_each_fixture_reads_the_same_resolving_each_import_once(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_tree(FIXTURES / case / "before", tmp_path / "repo")
    _same_without_memo(root, monkeypatch)


def test_a_fleet_reads_the_same_resolving_each_import_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "fleet"
    bench_module("bench_migrate").generate(root, hosts=12, users=4, modules=3)
    _same_without_memo(root, monkeypatch)
