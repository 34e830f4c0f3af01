"""Which of `check`'s fixable findings `homeward migrate` really fixes (issue 13).

A finding is "fixable: run `homeward migrate`" exactly when migrate would fix it: this asks
migrate's own plan, made on the first question only, so that the answer cannot drift from
what migrate does. `commands/check.py` hands it to `lint` (which never imports the planner).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from homeward.apply.write import compute_changes
from homeward.errors import HomewardError, Location
from homeward.knowledge.hmdata import split_option
from homeward.lint.rules import KEPT, Fixed
from homeward.model.index import Index
from homeward.plan.migrate import MigrateOptions, plan_migration


def migrate_fixes(index: Index) -> Fixed:
    """Why `homeward migrate` does not fix a finding; None when it does: it moves the finding's
    option path out of its file into home-manager, or (a finding about no option path, like an
    import) edits its line."""
    fixes: _Fixes | None = None

    def unfixed(at: Location, subject: tuple[str, ...]) -> str | None:
        nonlocal fixes
        if fixes is None:
            fixes = _plan_fixes(index)
        if fixes.refused:
            return f"`homeward migrate` refuses this repository: {fixes.refused}"
        if not subject:
            spans = fixes.edited.get(at.path, ())
            done = any(first <= at.line <= last for first, last in spans)
        else:
            done = any(
                path == at.path
                and (what[: len(subject)] == subject or subject[: len(what)] == what)
                for path, what in fixes.moved
            )
        return None if done else KEPT

    return unfixed


@dataclass(frozen=True, slots=True)
class _Fixes:
    moved: tuple[tuple[Path, tuple[str, ...]], ...] = ()  # (file, option path) into home-manager
    edited: dict[Path, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # line spans
    refused: str = ""  # why migrate refuses the repository


def _plan_fixes(index: Index) -> _Fixes:
    try:
        plan = plan_migration(index, MigrateOptions())
        compute_changes(index.repo.root, plan)  # reads only: refuses as migrate would
    except HomewardError as refusal:
        return _Fixes(refused=refusal.message)  # migrate fixes nothing
    moved = tuple((m.origin.path, split_option(m.what)) for m in plan.ledger if m.to_home)
    edited: dict[Path, list[tuple[int, int]]] = {}
    for edit in plan.edits:
        try:
            text = (index.repo.root / edit.path).read_bytes()
        except OSError:
            continue
        first = text.count(b"\n", 0, edit.start_byte) + 1
        last = first + text.count(b"\n", edit.start_byte, edit.end_byte)
        edited.setdefault(edit.path, []).append((first, last))
    return _Fixes(moved, {path: tuple(spans) for path, spans in edited.items()})
