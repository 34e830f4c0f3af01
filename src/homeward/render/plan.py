"""Render a Plan: the summary table, the ledger as JSON. Pure but for printing."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeward.errors import Location
from homeward.render import console

if TYPE_CHECKING:
    from homeward.diagnostics import Diagnostic
    from homeward.plan.types import FileChange, Plan


def print_summary(plan: Plan, changes: list[FileChange], shown: Path = Path(".")) -> None:
    """The ledger and the files; paths under `shown`, the directory as the user can open it.

    One block per definition, wrapped to 80 columns (a table's cells were cut on a terminal and
    ran to 190 columns in a pipe): where it was, what it becomes, in which files.
    """
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    packages: dict[tuple[str, str, str, str], list[tuple[str, tuple[str, ...]]]] = {}
    for m in plan.ledger:
        key = (
            m.what,
            f"{_under(shown, m.origin.path)}:{m.origin.line}:{m.origin.col}",
            m.as_,
            m.note,
        )
        grouped.setdefault(key, []).append(_under(shown, m.target))
        if m.packages:
            packages.setdefault(key, []).append((_under(shown, m.target), m.packages))
    kept = {m.note for m in plan.ledger if not m.to_home}
    moved = [(k, v) for k, v in grouped.items() if k[3] not in kept]
    stays = [(k, v) for k, v in grouped.items() if k[3] in kept]
    if moved:
        console.out("moved definitions")
        for (what, origin, as_, note), targets in moved:
            console.out(f"  {what}  ({origin})")
            becomes = as_ if as_ == what else f"becomes {as_}"
            if note:
                becomes += f" ({note})"
            if (what, origin, as_, note) in packages:
                # Why (issue 14): which package goes to which file, not only the files.
                console.out(f"    -> {becomes}:")
                for target, names in packages[(what, origin, as_, note)]:
                    for line in _wrap(f"{target}: " + ", ".join(names), "  "):
                        console.out(f"       {line}")
                continue
            for line in _wrap(f"-> {becomes}, in " + ", ".join(targets), "       "):
                console.out(f"    {line}")
    if stays:
        console.out("")
        console.out(
            f"staying {_system_kind(kept)} options (system-level, moved to a system module)"
        )
        for (what, origin, _as, _note), targets in stays:
            console.out(f"  {what}  ({origin})")
            for line in _wrap("-> " + ", ".join(targets), "       "):
                console.out(f"    {line}")
    files = []
    for c in sorted(changes, key=lambda c: str(c.path)):
        kind = (
            "moved"
            if c.moved_from is not None
            else "new"
            if c.old is None
            else "deleted"
            if c.new is None
            else "edited"
        )
        if kind == "deleted" and any(o.moved_from == c.path for o in changes):
            continue
        source = f" (from {_under(shown, c.moved_from)})" if c.moved_from else ""
        files.append([kind, _under(shown, c.path) + source])
    if files:
        console.out("")
        console.out("files")
        for kind, path in files:
            for line in _wrap(f"{kind:<7} {path}", "          "):
                console.out(f"  {line}")
    for d in plan.diagnostics:
        console.err(render_diagnostic(d, shown))


def render_diagnostic(d: Diagnostic, shown: Path) -> str:
    """A warning or note of a plan, its place under `shown` as the table names files (#14.6)."""
    if d.at is None or d.at.path.is_absolute():
        return d.render()
    at = Location(Path(_under(shown, d.at.path)), d.at.line, d.at.col)
    return dataclasses.replace(d, at=at).render()


def _system_kind(notes: set[str]) -> str:
    """Whose options the staying rows are, from their notes ("stays a nix-darwin option"):
    NixOS, nix-darwin, or "system" when the rows are of both (issue 12)."""
    kinds = {note.removeprefix("stays a ").removesuffix(" option") for note in notes}
    if len(kinds) == 1 and " and " not in (kind := min(kinds)):
        return kind
    return "system"


WIDTH = 80


def _wrap(text: str, indent: str) -> list[str]:
    """`text` in lines of at most WIDTH - 4 columns, broken after commas; long paths stay whole."""
    lines: list[str] = []
    current = ""
    for word in text.split(" "):
        candidate = f"{current} {word}" if current else word
        if current and len(candidate) > WIDTH - 4:
            lines.append(current)
            current = indent + word
        else:
            current = candidate
    lines.append(current)
    return lines


def plan_json(plan: Plan, changes: list[FileChange], *, applied: bool) -> dict[str, Any]:
    """`pending`: a migration is still to be done after this run; `applied`: this run wrote it."""
    return {
        "pending": not plan.empty and not applied,
        "applied": applied,
        "moved": [
            {
                "definition": m.what,
                "from": {"path": str(m.origin.path), "line": m.origin.line, "col": m.origin.col},
                "to": str(m.target),
                "as": m.as_,
                "note": m.note,
                **({"packages": list(m.packages)} if m.packages else {}),
            }
            for m in plan.ledger
        ],
        "files": files_json(changes),
        "diagnostics": [
            {
                "severity": str(d.severity),
                "message": d.message,
                **({"path": str(d.at.path), "line": d.at.line, "col": d.at.col} if d.at else {}),
                **({"hint": d.hint} if d.hint else {}),
            }
            for d in plan.diagnostics
        ],
    }


def files_json(changes: list[FileChange]) -> list[dict[str, str]]:
    """The changed files, repo-relative, for every command's `--json`."""
    return [
        {
            "path": str(c.path),
            "change": "moved"
            if c.moved_from is not None
            else "new"
            if c.old is None
            else "deleted"
            if c.new is None
            else "edited",
            **({"from": str(c.moved_from)} if c.moved_from is not None else {}),
        }
        for c in sorted(changes, key=lambda c: str(c.path))
    ]


def _under(shown: Path, rel: Path) -> str:
    """`rel` (relative to the flake's directory) as the user opens it from `shown`: a file
    beside that directory in the work tree (`../modules/x.nix`) without `dir/..`."""
    return os.path.normpath(shown / rel) if ".." in rel.parts else str(shown / rel)
