"""Where output goes: rich on a terminal, plain text otherwise (pipes, CI, tests).

rich is imported only when stdout is a terminal, so scripted use stays fast and predictable.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

JSON_VERSION = 1

Tape = list[list[Any]]
"""What a command printed through this module, as data: `["out", text]`, `["err", text]`,
`["error", text]`, `["diff", text]`, `["json", kind, payload]`, `["table", headers, rows,
title]` (JSON values; `replay` prints them again, as the terminal of that run wants them)."""
_tapes: list[Tape] = []  # the tape being recorded, if any (`recording`)


@contextmanager
def recording() -> Iterator[Tape]:
    """Record what the block prints instead of printing it; what was recorded when the block
    raises is printed before the exception goes on (as it would have been)."""
    tape: Tape = []
    _tapes.append(tape)
    try:
        yield tape
    except BaseException:
        _tapes.remove(tape)
        replay(tape)
        raise
    _tapes.remove(tape)


def replay(tape: Tape, *, check: bool = False) -> None:
    """Print what `recording` recorded; ValueError, before anything is printed, for what it
    cannot have recorded (`check`: only that)."""
    calls: list[tuple[Any, ...]] = []
    for entry in tape:
        match entry:
            case ["out", str(text)]:
                calls.append((out, text))
            case ["err", str(text)]:
                calls.append((err, text))
            case ["error", str(text)]:
                calls.append((error, text))
            case ["diff", str(text)]:
                calls.append((diff, text))
            case ["json", str(kind), dict(payload)]:
                calls.append((print_json, kind, payload))
            case ["table", list(headers), list(rows), str(title)]:
                calls.append((table, headers, rows, title))
            case _:
                raise ValueError(f"not a printed line: {entry!r:.80}")
    if not check:
        for call, *args in calls:
            call(*args)


def _recorded(*entry: Any) -> bool:  # noqa: ANN401 - JSON values
    """Whether a tape takes `entry` (then nothing is printed)."""
    if not _tapes:
        return False
    _tapes[-1].append(list(entry))
    return True


COLOR_MODES = ("auto", "always", "never")
_color_mode = "auto"


def set_color_mode(mode: str) -> None:
    """`--color auto|always|never`, set once by `cli.main()` before a command runs."""
    global _color_mode
    if mode not in COLOR_MODES:
        raise ValueError(mode)
    _color_mode = mode


def is_tty(stream: TextIO | None = None) -> bool:
    """Whether `stream` is a terminal (progress bars); colour is `use_color`'s decision."""
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except ValueError:  # closed
        return False


def use_color(stream: TextIO | None = None) -> bool:
    """--color, then NO_COLOR and FORCE_COLOR when set and not empty (no-color.org), then a tty."""
    if _color_mode != "auto":
        return _color_mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_tty(stream)


def rich_console(stderr: bool = False) -> Console | None:
    """A rich Console when output is coloured, else None (callers print plain text)."""
    stream = sys.stderr if stderr else sys.stdout
    if not use_color(stream):
        return None
    from rich.console import Console

    tty = is_tty(stream)
    return Console(
        stderr=stderr,
        highlight=False,
        force_terminal=True,
        no_color=False,
        color_system="auto" if tty else "standard",
    )


def error(text: str) -> None:
    """A `homeward: error: ...` message on stderr, `error:` in bold red when coloured."""
    if _recorded("error", text):
        return
    prefix = "homeward: error:"
    if use_color(sys.stderr) and text.startswith(prefix):
        text = f"homeward: \x1b[1;31merror:\x1b[0m{text[len(prefix) :]}"
    _write(sys.stderr, text)


def out(text: str = "") -> None:
    if not _recorded("out", text):
        _write(sys.stdout, text)


def err(text: str) -> None:
    if not _recorded("err", text):
        _write(sys.stderr, text)


def _write(stream: TextIO, text: str) -> None:
    stream.write(text + ("\n" if not text.endswith("\n") else ""))


def print_json(kind: str, payload: dict[str, Any]) -> None:
    """A versioned envelope, the same for every command: {"homeward": 1, "kind": ..., ...}."""
    if _recorded("json", kind, payload):
        return
    text = json.dumps(
        {"homeward": JSON_VERSION, "kind": kind, **payload}, indent=2, sort_keys=False
    )
    _write(sys.stdout, text)


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], title: str = "") -> None:
    """A table: rich on a terminal, aligned plain text otherwise."""
    if _recorded("table", list(headers), [list(r) for r in rows], title):
        return
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
    if _recorded("diff", text):
        return
    console = rich_console()
    if console is None:
        _write(sys.stdout, text)
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
