"""Errors that end a command with a message instead of a traceback.

Only `cli.main()` catches them; everything else raises.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from homeward.compat import override


class Exit(IntEnum):
    """The exit codes of the design's command contract."""

    OK = 0
    FINDINGS = 1
    USAGE = 2
    INPUT = 3
    BUG = 4
    ROLLBACK_FAILED = 5
    INTERRUPTED = 130
    TERMINATED = 143


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a file, 1-based, for display; `path` is as the user should read it."""

    path: Path
    line: int
    col: int

    @override
    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


class HomewardError(Exception):
    """The input cannot be handled: exit 3, nothing written."""

    exit_code: Exit = Exit.INPUT

    def __init__(
        self, message: str, *, hint: str | None = None, at: Location | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.at = at

    def render(self) -> str:
        where = f"{self.at}: " if self.at else ""
        text = f"homeward: error: {where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


INTERNAL_HINT = "this is a homeward bug; please report it with the input that caused it"


class InternalError(HomewardError):
    """homeward caught a bug of its own before writing anything (what it generated failed its
    own check): exit 4, as DESIGN's table has it, never 3 ("the input does not allow it").

    `text`: what `at` points into when that is not a file on disk (a text homeward generated),
    for the excerpt under the message; the message then says where in words, as
    `file:line:col` would send an editor to the file on disk."""

    exit_code = Exit.BUG

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        at: Location | None = None,
        text: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint, at=at)
        self.text = text

    @override
    def render(self) -> str:
        where = f"{self.at}: " if self.at and self.text is None else ""
        text = f"homeward: internal error: {where}{self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class RollbackIncompleteError(HomewardError):
    """A write failed or was interrupted and putting things back did not finish: exit 5.

    The journal is kept; the next homeward command in the repository finishes the rollback.
    """

    exit_code = Exit.ROLLBACK_FAILED


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like KeyboardInterrupt, so every rollback runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class UsageError(HomewardError):
    """The command line asks for something that cannot be: exit 2."""

    exit_code = Exit.USAGE


class NixError(HomewardError):
    """A nix command failed or nix is missing."""

    def __init__(
        self,
        message: str,
        *,
        argv: Sequence[str] = (),
        stderr: str = "",
        hint: str | None = None,
        at: Location | None = None,
    ) -> None:
        detail = message
        if argv:
            detail += f"\n  $ {shlex.join(argv)}"
        if stderr.strip():
            detail += "\n" + "\n".join("  | " + line for line in stderr.rstrip().splitlines())
        super().__init__(detail, hint=hint, at=at)
        self.argv = tuple(argv)
        self.stderr = stderr
