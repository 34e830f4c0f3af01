"""What `cli.main()` does around every command that needs the apply layer (the cli itself only
parses and dispatches): roll back an interrupted run before a read-only command and hold the
shared lock while it reads, name the deepest place of a too-deep input, and silence a stdout
that failed."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from homeward.syntax.depth import Deepest


def recover(directory: Path) -> None:
    """Roll back what an interrupted run left in this repository, and say so (exit 5 when that
    cannot finish)."""
    from homeward.apply.transaction import recover as recover_journal

    recover_journal(directory)


def reading(directory: Path) -> AbstractContextManager[None]:
    """Recover, then hold the repository's lock shared for a read-only command."""
    from homeward.apply.transaction import reading as read_locked

    return read_locked(directory)


def deepest_in(root: Path) -> Deepest | None:
    """The most deeply nested place of the configuration (for the too-deep message)."""
    from homeward.syntax.depth import deepest_in as find

    return find(root)


def discard_stdout() -> None:
    from homeward.apply.write import discard_stdout as discard

    discard()
