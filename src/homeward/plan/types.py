"""The data a command produces before anything touches disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from homeward.diagnostics import Diagnostic
from homeward.errors import Location


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace bytes [start_byte, end_byte) of `path` with `new`; an insert has start == end."""

    path: Path  # repo-relative
    start_byte: int  # inclusive
    end_byte: int  # exclusive
    new: bytes
    why: str


@dataclass(frozen=True, slots=True)
class NewFile:
    path: Path  # repo-relative
    text: bytes
    why: str


@dataclass(frozen=True, slots=True)
class Move:
    """`git mv src dst` (history follows), applied before edits of `dst`.

    `read`: `src`'s bytes as the planner read them (the edits of `dst` are spans of them): the
    writer refuses a file changed or deleted since (exit 3), and a move without them of a file
    that does not exist is a move the planner made up (exit 4)."""

    src: Path
    dst: Path
    why: str
    read: bytes | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Delete:
    path: Path
    why: str


@dataclass(frozen=True, slots=True)
class Moved:
    """One line of the ledger: a user-level definition, where it was, where it goes."""

    what: str  # `users.users.ham.packages`
    origin: Location
    target: Path  # repo-relative file
    as_: str  # the option it becomes: `home.packages`
    note: str = ""
    to_home: bool = True  # False: it stays a NixOS option (in a system module)
    packages: tuple[str, ...] = ()  # a package list: the packages that go to `target`


@dataclass(frozen=True, slots=True)
class FileChange:
    """The before and after of one path; `old`/`new` None means absent."""

    path: Path  # repo-relative, after moves
    old: bytes | None
    new: bytes | None
    moved_from: Path | None = None


@dataclass(frozen=True, slots=True)
class Plan:
    edits: tuple[Edit, ...] = ()
    new_files: tuple[NewFile, ...] = ()
    moves: tuple[Move, ...] = ()
    deletes: tuple[Delete, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()
    ledger: tuple[Moved, ...] = field(default=())
    # Existing standalone configurations (`<user>@<host>`) left without the files their NixOS
    # home gets, said in a warning (a helper's list: plan/standalone.py's `Unread`).
    unread: tuple[str, ...] = ()
    # Users with packages that would move but stay where they are (a file some output
    # homeward does not rewire reads, ...), said in a warning: an empty plan is then not an
    # already migrated configuration.
    left: tuple[str, ...] = ()
    # Users who get no home because their home-manager configuration could not be read
    # (said in a note): an empty plan is then not an already migrated configuration either.
    unread_homes: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.edits or self.new_files or self.moves or self.deletes)
