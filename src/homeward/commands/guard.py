"""What `cli.main()` does around every command that needs the apply layer (the cli itself only
parses and dispatches): roll back an interrupted run before a read-only command, and silence a
stdout that failed."""

from __future__ import annotations

from pathlib import Path


def recover(directory: Path) -> None:
    """Roll back what an interrupted run left in this repository, and say so (exit 5 when that
    cannot finish)."""
    from homeward.apply.transaction import recover as recover_journal

    recover_journal(directory)


def discard_stdout() -> None:
    from homeward.apply.write import discard_stdout as discard

    discard()
