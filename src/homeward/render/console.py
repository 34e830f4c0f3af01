"""Where output goes: rich on a terminal, plain text otherwise (pipes, CI, tests).

rich is imported only when stdout is a terminal, so scripted use stays fast and predictable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

JSON_VERSION = 1


def is_tty(stream: TextIO | None = None) -> bool:
    stream = stream or sys.stdout
    return stream.isatty() and "NO_COLOR" not in os.environ


def rich_console(stderr: bool = False) -> Console | None:
    """A rich Console when writing to a terminal, else None (callers print plain text)."""
    if not is_tty(sys.stderr if stderr else sys.stdout):
        return None
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def out(text: str = "") -> None:
    sys.stdout.write(text + ("\n" if not text.endswith("\n") else ""))


def err(text: str) -> None:
    sys.stderr.write(text + ("\n" if not text.endswith("\n") else ""))


def print_json(kind: str, payload: dict[str, Any]) -> None:
    """A versioned envelope, the same for every command: {"homeward": 1, "kind": ..., ...}."""
    out(json.dumps({"homeward": JSON_VERSION, "kind": kind, **payload}, indent=2, sort_keys=False))


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> None:
    """A table: rich on a terminal, aligned plain text otherwise."""
    console = rich_console()
    if console is not None:
        from rich.table import Table

        t = Table(title=title or None, title_justify="left")
        for h in headers:
            t.add_column(h)
        for row in rows:
            t.add_row(*row)
        console.print(t)
        return
    if title:
        out(title)
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    out("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
    out("  ".join("-" * w for w in widths))
    for row in rows:
        out("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())


def diff(text: str) -> None:
    """A unified diff, colored on a terminal."""
    console = rich_console()
    if console is None:
        out(text)
        return
    from rich.text import Text

    for line in text.splitlines():
        style = (
            "bold"
            if line.startswith(("+++", "---"))
            else "green"
            if line.startswith("+")
            else "red"
            if line.startswith("-")
            else "cyan"
            if line.startswith("@@")
            else ""
        )
        console.print(Text(line, style=style))
