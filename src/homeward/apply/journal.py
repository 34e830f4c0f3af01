"""The journal, the lock and the fault hook: what makes a write all or nothing across crashes.

Before the first byte of the configuration changes, the journal records the original bytes of
every file a write touches, the index entries it changes and what the new files hold; it is
written to a temp file, fsynced and renamed into place. The journal is removed last. A command
that finds one (the previous run was killed, or its rollback could not finish) rolls that
transaction back first and says so.

Both live in the git dir (`.git/homeward/`) or, outside git, under
`$XDG_STATE_HOME/homeward/<hash of the directory>/`: never in the configuration directory,
which a `path:` flake copies into the world-readable store.

`HOMEWARD_FAULT_AT=N` makes the Nth step (a write, rename, removal or git call) fail:
`HOMEWARD_FAULT=kill` (the default) sends SIGKILL to this process, `term` SIGTERM, `int`
SIGINT, `hup` SIGHUP, `enospc` raises "no space left on device" (counting only writes),
`pause` sleeps (`HOMEWARD_FAULT_PAUSE` seconds) holding the lock. Tests use it to prove every
step can be interrupted.
"""

from __future__ import annotations

import base64
import errno
import fcntl
import json
import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from homeward.apply.git import GitRepo, IndexEntry
from homeward.errors import HomewardError

JOURNAL = "journal.json"
LOCK = "lock"
VERSION = 1
TMP_SUFFIX = ".homeward-tmp"


# -- the fault hook ------------------------------------------------------------------------------
class _Faults:
    count = 0
    fired = False


def step(kind: str, path: Path | str) -> None:
    """One step that changes disk is about to run; the fault hook may stop it here."""
    at = os.environ.get("HOMEWARD_FAULT_AT")
    if not at or _Faults.fired:
        return
    fault = os.environ.get("HOMEWARD_FAULT", "kill")
    if fault == "enospc" and kind != "write":
        return
    _Faults.count += 1
    if _Faults.count != int(at):
        return
    _Faults.fired = True
    if fault == "pause":  # hold the lock for a while: a second run must meet it
        time.sleep(float(os.environ.get("HOMEWARD_FAULT_PAUSE", "2")))
        return
    if fault == "enospc":
        raise OSError(errno.ENOSPC, "No space left on device", str(path))
    signum = {"term": signal.SIGTERM, "int": signal.SIGINT, "hup": signal.SIGHUP}.get(
        fault, signal.SIGKILL
    )
    os.kill(os.getpid(), signum)


def reset_faults() -> None:
    _Faults.count = 0
    _Faults.fired = False


# -- where state lives ---------------------------------------------------------------------------
def state_dir(root: Path, repo: GitRepo | None) -> Path:
    """`.git/homeward/`, or outside git `$XDG_STATE_HOME/homeward/<hash of root>/`."""
    if repo is not None:
        return repo.git_dir / "homeward"
    base = os.environ.get("XDG_STATE_HOME") or ""
    state = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "state"
    key = _path_sha256(os.fsencode(root))[:16]
    return state / "homeward" / key


def _path_sha256(data: bytes) -> str:
    """The SHA-256 of a few bytes (a path), as `hashlib.sha256(data).hexdigest()`. Why not
    hashlib: importing it loads OpenSSL (3.7 MiB of memory), for every command run outside git;
    CPython's own SHA-256 module gives the same digest (the same state directory)."""
    import importlib

    for name in ("_sha256", "_sha2"):  # Python 3.11; 3.12 and later
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        digest: str = module.sha256(data).hexdigest()
        return digest
    import hashlib  # a Python built without its own SHA-256

    return hashlib.sha256(data).hexdigest()


class LockedError(HomewardError):
    """Another homeward holds the repository's lock: exit 3, nothing changed."""


@contextmanager
def lock(directory: Path, root: Path) -> Iterator[None]:
    """An exclusive lock on the repository for as long as the block runs (`flock`, released by
    the kernel when the process dies, so a killed run never leaves it stuck)."""
    directory.mkdir(parents=True, exist_ok=True)
    fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another homeward is using `{root}` right now (changing or reading it); "
                "nothing was changed",
                hint="wait for it to finish, then run this again",
            ) from None
        yield
    finally:
        os.close(fd)


@contextmanager
def shared_lock(directory: Path, root: Path) -> Iterator[None]:
    """The lock a reading command holds: shared with other readers, excluded by a writer, so
    that nothing is read half-written and nothing is written under a reader (issue 10). Where
    the lock file cannot be made (a read-only checkout), no writer can run either: read
    without it."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd = os.open(directory / LOCK, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(
                f"another homeward is changing `{root}` right now; nothing was read",
                hint="wait for it to finish, then run this again",
            ) from None
        yield
    finally:
        os.close(fd)


# -- the journal ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str  # relative to the journal's root
    old: bytes | None  # None: the file did not exist (or was a symlink)
    new_sha: str | None  # sha256 of what the write puts there; None: removed
    link: str | None = None  # the file was a symlink to this


@dataclass(frozen=True, slots=True)
class Journal:
    command: str
    root: Path
    files: tuple[FileRecord, ...]
    index: tuple[tuple[str, IndexEntry | None], ...]  # original entries, paths relative to top
    top: Path | None  # the git work tree's top, when index entries change
    dirs: tuple[str, ...]  # directories the write creates (removed again on rollback)
    # the root itself and its missing parents, absolute, parents first (`init` in a new
    # directory): created by the write, removed again on rollback when empty
    made: tuple[str, ...] = ()

    def encode(self) -> bytes:
        data = {
            "version": VERSION,
            "command": self.command,
            "root": os.fsdecode(self.root),
            "top": os.fsdecode(self.top) if self.top is not None else None,
            "files": [
                {
                    "path": f.path,
                    "old": None if f.old is None else base64.b64encode(f.old).decode(),
                    "new_sha": f.new_sha,
                    "link": f.link,
                }
                for f in self.files
            ],
            "index": [
                [path, None if e is None else [e.mode, e.sha, *([e.flags] if e.flags else [])]]
                for path, e in self.index
            ],
            "dirs": list(self.dirs),
            "made": list(self.made),
        }
        return json.dumps(data).encode()

    @staticmethod
    def decode(raw: bytes) -> Journal:
        data = json.loads(raw)
        if data.get("version") != VERSION:
            raise ValueError(f"journal version {data.get('version')!r}")
        return Journal(
            command=data["command"],
            root=Path(data["root"]),
            files=tuple(
                FileRecord(
                    f["path"],
                    None if f["old"] is None else base64.b64decode(f["old"]),
                    f["new_sha"],
                    f.get("link"),
                )
                for f in data["files"]
            ),
            index=tuple(
                (path, None if e is None else IndexEntry(e[0], e[1], *e[2:3]))
                for path, e in data["index"]
            ),
            top=Path(data["top"]) if data["top"] is not None else None,
            dirs=tuple(data["dirs"]),
            made=tuple(data.get("made", ())),
        )


def sha(data: bytes) -> str:
    import hashlib  # Why here: see `state_dir`

    return hashlib.sha256(data).hexdigest()


def fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_journal(directory: Path, journal: Journal) -> None:
    """Write the journal durably: temp file, fsync, rename, fsync of the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / JOURNAL
    tmp = directory / (JOURNAL + TMP_SUFFIX)
    step("write", tmp)
    with open(tmp, "wb") as f:
        f.write(journal.encode())
        f.flush()
        os.fsync(f.fileno())
    step("rename", target)
    os.replace(tmp, target)
    fsync_dir(directory)


def read_journal(directory: Path) -> Journal | None:
    """The journal left in `directory`, or None; an unreadable one is an error (exit 5)."""
    (directory / (JOURNAL + TMP_SUFFIX)).unlink(missing_ok=True)  # never renamed: not in force
    target = directory / JOURNAL
    try:
        raw = target.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return Journal.decode(raw)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        from homeward.errors import RollbackIncompleteError

        raise RollbackIncompleteError(
            f"the journal `{target}` of an interrupted homeward run cannot be read ({exc})",
            hint="restore the configuration from git (`git status`, `git restore`), "
            "then remove the journal",
        ) from None


def remove_journal(directory: Path) -> None:
    step("unlink", directory / JOURNAL)
    (directory / JOURNAL).unlink(missing_ok=True)
    fsync_dir(directory)


def remove_journal_quietly(directory: Path) -> None:
    """After a complete rollback; a journal that cannot be removed is rolled back again later
    (a no-op then), so a failure here loses nothing."""
    try:
        (directory / JOURNAL).unlink(missing_ok=True)
        fsync_dir(directory)
    except OSError:
        pass
