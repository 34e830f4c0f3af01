"""What one phase decides about one source, as data: its diagnostics, ledger lines and the
bindings it takes out, in the order it decided them; and the user-file phase's result.

A phase writes into a `Journal` of its own while it works (a group of a user's file may read
what an earlier group of the same file removed), and returns it frozen in its result; the
composer folds results into the plan in order, so the plan reads as it did when every phase
appended to it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.plan.types import Delete, Move, Moved
from homeward.plan.writes import Header, HomeWrites, Put

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.repo import ModuleInfo
    from homeward.plan.chunks import Chunk
    from homeward.syntax.find import Definition
    from homeward.syntax.parse import Source


@dataclass
class Journal:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    ledger: list[Moved] = field(default_factory=list)
    removed: list[Node] = field(default_factory=list)  # bindings cut out of the source

    def note(
        self,
        message: str,
        severity: Severity = Severity.NOTE,
        node: Node | None = None,
        source: Source | None = None,
        hint: str = "",
    ) -> None:
        self.diagnostics.append(located(message, severity, node, source, hint))


def located(
    message: str,
    severity: Severity = Severity.NOTE,
    node: Node | None = None,
    source: Source | None = None,
    hint: str = "",
) -> Diagnostic:
    """A phase's diagnostic, at `node` of `source` where both are given."""
    at = source.location(node.start_byte) if node is not None and source is not None else None
    return Diagnostic(severity, message, at, hint=hint)


class FileFate(StrEnum):
    """What becomes of a user's own NixOS file."""

    KEPT = "kept"  # left as it is (the reason is among the diagnostics)
    REWRITTEN = "rewritten"  # it is where the entry point goes: rewritten in place
    MOVED = "moved"  # `home/<u>.nix`: moved to the entry point (`git mv`), then rewritten
    DELETED = "deleted"  # every definition moved out


@dataclass(frozen=True, slots=True)
class UserFileCut:
    """The user-file phase's result for one file: what becomes of it, the system module for
    what stays NixOS options, its `imports` (resolved by the cut phase), the phase's
    diagnostics, ledger lines and removed bindings, in order, and everything it writes
    (`home`, in order): into the user's home files, then the system module's code, then the
    entry point it becomes with the comment lines at its top."""

    module: str  # the module key
    path: PurePosixPath  # the file, repo-relative
    fate: FileFate
    system: PurePosixPath | None = None  # the system module for what stays NixOS options
    imports: tuple[Definition, ...] = ()
    entry: PurePosixPath | None = None  # REWRITTEN, MOVED: the entry point it becomes
    diagnostics: tuple[Diagnostic, ...] = ()
    ledger: tuple[Moved, ...] = ()
    removed: tuple[Node, ...] = ()
    home: HomeWrites = field(default_factory=HomeWrites)
    text: bytes | None = None  # MOVED: the file as it was read (`Move.read`)

    @property
    def system_code(self) -> tuple[Chunk, ...]:
        """What stays NixOS options, as the system module's chunks."""
        return tuple(
            w.chunk for w in self.home.writes if isinstance(w, Put) and w.path == self.system
        )

    @property
    def header(self) -> str:
        """REWRITTEN, MOVED: the comment lines at its top, kept."""
        return next((w.text for w in self.home.writes if isinstance(w, Header)), "")

    def move(self) -> Move | None:
        if self.fate is not FileFate.MOVED or self.entry is None:
            return None
        why = "the user's file becomes their home-manager entry point"
        return Move(Path(self.path), Path(self.entry), why, self.text)

    def delete(self) -> Delete | None:
        if self.fate is not FileFate.DELETED:
            return None
        return Delete(Path(self.path), "every definition moved")


def kept_file(info: ModuleInfo, journal: Journal) -> UserFileCut:
    """A user's file left as it is; `journal` says why."""
    return UserFileCut(
        info.key,
        PurePosixPath(info.source.path),
        FileFate.KEPT,
        diagnostics=tuple(journal.diagnostics),
        ledger=tuple(journal.ledger),
    )
