"""`homeward undo`: the lasting record of the last write, and putting it back.

Every write through the one driver (`migrate`, `add`, `init`, `check --fix`) ends by keeping its
journal, which crash safety writes anyway and removes once the write is complete, as the undo
record: the old bytes of every file it touched, the hash of what it wrote, the git index entries
as they were (so staged renames and intent-to-add entries go back exactly) and the directories
it created, plus the commit HEAD named. It lives beside the journal
(`.git/homeward/undo.json`, or `$XDG_STATE_HOME/homeward/<hash>/` outside git:
docs/architecture.md, rule 14), and only the last write is kept. `undo` puts that state back with the same rollback an interrupted run gets, after checking
that nothing was changed since (a file edited after the write, a new commit): it never loses
the user's own work.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from homeward.apply import journal
from homeward.apply.git import GitRepo
from homeward.errors import HomewardError

UNDO = "undo.json"
VERSION = 1


@dataclass(frozen=True, slots=True)
class UndoRecord:
    head: str | None  # HEAD when the write happened; None outside git or without commits
    journal: journal.Journal

    def encode(self) -> bytes:
        data = {
            "version": VERSION,
            "head": self.head,
            "journal": json.loads(self.journal.encode()),
        }
        return json.dumps(data).encode()

    @staticmethod
    def decode(raw: bytes) -> UndoRecord:
        data = json.loads(raw)
        if data.get("version") != VERSION:
            raise ValueError(f"undo record version {data.get('version')!r}")
        return UndoRecord(
            data["head"], journal.Journal.decode(json.dumps(data["journal"]).encode())
        )


def remember(state: Path, record: journal.Journal, head: str | None) -> str | None:
    """Keep `record` as the undo record (replacing the previous one); a reason when it could
    not be kept. The write itself is complete either way."""
    tmp = state / (UNDO + journal.TMP_SUFFIX)
    try:
        state.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            f.write(UndoRecord(head, record).encode())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, state / UNDO)
        journal.fsync_dir(state)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        return f"cannot keep the undo record in `{state}`: {exc.strerror or exc}"
    return None


def read(state: Path) -> UndoRecord | None:
    target = state / UNDO
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return UndoRecord.decode(raw)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise HomewardError(
            f"the undo record `{target}` cannot be read ({exc}); nothing was changed",
            hint="restore with git instead (`git status`, `git restore`), then remove the record",
        ) from None


def forget(state: Path) -> None:
    (state / UNDO).unlink(missing_ok=True)
    journal.fsync_dir(state)


@dataclass(frozen=True, slots=True)
class Restore:
    """What `undo` will do: files to put back, files to remove, and index entries reset."""

    restored: tuple[str, ...]
    removed: tuple[str, ...]
    index: tuple[str, ...]


def plan_undo(record: UndoRecord, repo: GitRepo | None) -> Restore:
    """Check that the state is still the one the write left; raise (exit 3, nothing changed)
    when the user changed something since, or committed."""
    if repo is not None and record.head is not None and repo.head() != record.head:
        raise HomewardError(
            f"a commit was made since `{record.journal.command}`; undo only restores the work "
            "tree it left, and nothing was changed",
            hint="undo a committed change with git (`git revert`, or `git reset` if unpushed)",
        )
    root = record.journal.root
    restored: list[str] = []
    removed: list[str] = []
    for f in record.journal.files:
        target = root / f.path
        if f.link is not None and target.is_symlink() and os.readlink(target) == f.link:
            continue  # the link is back already
        now = _read(target)
        old = f.old if f.link is None else None
        if f.link is None and now == old:
            continue  # already as it was (an undo that was interrupted, run again)
        if (now is None) != (f.new_sha is None) or (
            now is not None and journal.sha(now) != f.new_sha
        ):
            raise HomewardError(
                f"`{f.path}` was changed after `{record.journal.command}`; undo would lose that "
                "change, so nothing was changed",
                hint="commit or stash your change, or put the file back as homeward left it",
            )
        (removed if old is None and f.link is None else restored).append(f.path)
    index = tuple(path for path, _ in record.journal.index)
    return Restore(tuple(sorted(restored)), tuple(sorted(removed)), index)


def _read(path: Path) -> bytes | None:
    if path.is_symlink():
        return None
    try:
        return path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
