"""Suppression comments: `# homeward: ignore[HW002]` on a finding's line or alone above it.

`# homeward: ignore[HW002, HW003]` names several rules; `# homeward: ignore` without a list
silences every rule on that line. The line above counts only when it holds nothing but the
comment, so that a trailing comment on one definition does not silence the next. Pure: the
caller hands in the file's bytes. In syntax/ because `check` honours them and `migrate` too: a
suppressed definition stays where it is (issue 14).
"""

from __future__ import annotations

import re

_COMMENT = re.compile(rb"#\s*homeward:\s*ignore(?:\[([^\]]*)\])?")
_ALL = frozenset({"*"})


def _codes(line: bytes) -> frozenset[str] | None:
    match = _COMMENT.search(line)
    if match is None:
        return None
    if match.group(1) is None:
        return _ALL
    names = match.group(1).decode(errors="replace").replace(",", " ").split()
    return frozenset(n.upper() for n in names)


def _lines(text: bytes, line: int) -> tuple[bytes, bytes]:
    """The 1-based line `line` and the one above it (empty when there is none)."""
    lines = text.split(b"\n", line)  # only the first `line` lines are split off
    this = lines[line - 1] if 0 < line <= len(lines) else b""
    above = lines[line - 2] if 2 <= line <= len(lines) + 1 else b""
    return this, above


def is_suppressed(text: bytes, line: int, code: str) -> bool:
    """Whether `code` is silenced at `line` (1-based) of a file with bytes `text`."""
    return suppressing_line(text, line, code) is not None


def suppressing_line(text: bytes, line: int, code: str) -> int | None:
    """The line of the comment that silences `code` at `line`, or None."""
    this, above = _lines(text, line)
    for candidate, alone, at in ((this, False, line), (above, True, line - 1)):
        if b"homeward" not in candidate:
            continue
        if alone and not candidate.lstrip().startswith(b"#"):
            continue
        codes = _codes(candidate)
        if codes is not None and (codes is _ALL or code in codes):
            return at
    return None


def suppression_comments(text: bytes) -> list[tuple[int, int, frozenset[str]]]:
    """Every suppression comment of a file: (line, column of its `#`, both 1-based; the codes
    it names, `*` for all)."""
    found: list[tuple[int, int, frozenset[str]]] = []
    if b"homeward" not in text:
        return found
    for number, line in enumerate(text.split(b"\n"), 1):
        if b"homeward" in line:
            match = _COMMENT.search(line)
            codes = _codes(line)
            if match is not None and codes is not None:
                column = len(line[: match.start()].decode(errors="replace")) + 1
                found.append((number, column, codes))
    return found
