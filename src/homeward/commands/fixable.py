"""Which of `check`'s fixable findings `homeward migrate` really fixes (issue 13).

A finding is "fixable: run `homeward migrate`" exactly when migrate would fix it: this asks
migrate's own plan, made on the first question only, so that the answer cannot drift from
what migrate does. `commands/check.py` hands it to `lint` (which never imports the planner).
The plan stops at migrate's decisions (`plan_decisions`): where the wiring writes, not what.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from homeward.errors import Exit, HomewardError, Location
from homeward.knowledge.hmdata import split_option
from homeward.lint.rules import KEPT, KEPT_MOVED, Fixed
from homeward.model.index import Index


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
            done = fixes.moves(at.path, ".".join(subject))
        if done:
            return None
        moved_to = fixes.stays_in(at.path, ".".join(subject)) if subject else None
        return KEPT if moved_to is None else KEPT_MOVED.format(moved_to.as_posix())

    return unfixed


@dataclass(frozen=True, slots=True)
class _Fixes:
    # For each file, the option paths migrate moves out of it into home-manager, dotted as the
    # ledger writes them (names unquoted: `users.users.j.doe.packages`), and every dotted
    # prefix of those (`users.users`, `users.users.j`, …).
    moved: dict[Path, frozenset[str]] = field(default_factory=dict)
    above: dict[Path, frozenset[str]] = field(default_factory=dict)
    edited: dict[Path, tuple[tuple[int, int], ...]] = field(default_factory=dict)  # line spans
    refused: str = ""  # why migrate refuses the repository
    # For each file, the option paths that stay NixOS options but leave it (the user file
    # they are in moves into home-manager), and the system module they go to.
    kept: dict[Path, tuple[tuple[str, Path], ...]] = field(default_factory=dict)

    def stays_in(self, path: Path, dotted: str) -> Path | None:
        """The system module an option path that stays NixOS goes to, when it leaves `path`."""
        return next((t for what, t in self.kept.get(path, ()) if _within(what, dotted)), None)

    def moves(self, path: Path, dotted: str) -> bool:
        """Whether migrate moves the option path `dotted` out of `path`, or a part of it, or
        the whole it is part of (one is a prefix of the other, name by name)."""
        if dotted in self.above.get(path, ()):
            return True  # it, or a part of it, moves
        moved = self.moved.get(path, frozenset())
        at = dotted.find(".")
        while at != -1:
            if dotted[:at] in moved:
                return True  # the whole it is part of moves
            at = dotted.find(".", at + 1)
        return False


def _within(a: str, b: str) -> bool:
    """Whether one dotted option path is the other or a part of it, name by name."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return long == short or long.startswith(short + ".")


def _plan_fixes(index: Index) -> _Fixes:
    # Why here: the planner (and the writer's reading half) is 70 modules, 0.05 s and 7 MiB
    # to import; most configurations have no finding that asks (the plan is made for the
    # first that does).
    from homeward.apply.write import compute_changes
    from homeward.plan.migrate import MigrateOptions, plan_decisions

    try:
        # Its decisions, not its text: the wiring's edits are places (plan/wire.py).
        plan = plan_decisions(index, MigrateOptions())
        changes = compute_changes(index.repo.root, plan)  # reads only: refuses as migrate would
    except HomewardError as refusal:
        # A refusal is exit 3 (the input or the situation); anything else (an InternalError:
        # a bug of the planner or the writer) ends `check` as it would end `migrate`.
        if refusal.exit_code != Exit.INPUT:
            raise
        return _Fixes(refused=refusal.message)  # migrate fixes nothing
    moved: dict[Path, set[str]] = {}
    above: dict[Path, set[str]] = {}
    for m in plan.ledger:
        if m.to_home:
            # Why dotted text, unquoted: the ledger writes some names unquoted, so a user name
            # with a dot (`users.users."j.doe"`) is not one name there; compared as text, and
            # looked up in sets (hundreds of findings against hundreds of moves).
            what = ".".join(split_option(m.what))
            moved.setdefault(m.origin.path, set()).add(what)
            prefixes = above.setdefault(m.origin.path, set())
            prefixes.add(what)
            at = what.find(".")
            while at != -1:
                prefixes.add(what[:at])
                at = what.find(".", at + 1)
    kept: dict[Path, list[tuple[str, Path]]] = {}
    for m in plan.ledger:
        if not m.to_home and m.target != m.origin.path:
            kept.setdefault(m.origin.path, []).append((".".join(split_option(m.what)), m.target))
    edited: dict[Path, list[tuple[int, int]]] = {}
    by_path: dict[Path, list[tuple[int, int]]] = {}
    for edit in plan.edits:
        by_path.setdefault(edit.path, []).append((edit.start_byte, edit.end_byte))
    # Why the texts the changes read, not the files again: an edited file is read once (at 200
    # hosts, 202 files). A file moved and edited (its new path) had no text there: not looked at.
    olds = {c.path: c.old for c in changes if c.old is not None and c.new is not None}
    for path, spans in by_path.items():
        text = olds.get(path)
        if text is None:
            continue
        starts = _line_starts(text)
        edited[path] = [
            (bisect_right(starts, start), bisect_right(starts, end)) for start, end in spans
        ]
    return _Fixes(
        {p: frozenset(w) for p, w in moved.items()},
        {p: frozenset(w) for p, w in above.items()},
        {path: tuple(spans) for path, spans in edited.items()},
        kept={path: tuple(items) for path, items in kept.items()},
    )


def _line_starts(text: bytes) -> list[int]:
    """The byte offset of each line's first byte: line n (from 1) is the last start <= offset
    when n starts are at or before it, as `bisect_right` counts them."""
    starts = [0]
    at = text.find(b"\n")
    while at != -1:
        starts.append(at + 1)
        at = text.find(b"\n", at + 1)
    return starts
