"""Apply a Plan to disk: all or nothing.

Every new text is computed and validated (tree-sitter, and `nix-instantiate --parse` when nix is
installed) before anything on disk changes. Then moves (`git mv`, so history follows), writes
(temp file + `os.replace`), deletes; if any step fails, every touched path is restored to its
old bytes and the moves are undone. New files get `git add --intent-to-add`, because flakes only
see files git tracks. Never writes outside the repo, never through a symlink that leads out.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from homeward.apply import journal
from homeward.apply.git import GitRepo, IndexEntry
from homeward.apply.own import record_written
from homeward.apply.spans import apply_edits
from homeward.apply.validate import validate_many
from homeward.errors import (
    INTERNAL_HINT,
    HomewardError,
    InternalError,
    RollbackIncompleteError,
    Terminated,
    UsageError,
)
from homeward.plan.types import Edit, FileChange, Plan
from homeward.syntax.parse import Source, parse_source


def _work_tree(root: Path) -> Path:
    """The git work tree holding `root` (where `.git` is), else `root` itself."""
    return next((p for p in (root, *root.parents) if (p / ".git").exists()), root)


def _inside(root: Path, rel: Path, real: dict[str, str] | None = None) -> Path:
    """The absolute path of `rel`, refusing anything that leaves `root` (symlinks, `..`), or,
    for a `../x` path, the git work tree holding `root` (what Nix copies, rule 12). `real`:
    directories' real paths found so far, for the many files of one plan (read-only use)."""
    bound = root
    target = root / rel
    if ".." in rel.parts and not rel.is_absolute():
        bound = _work_tree(root)
        target = Path(os.path.normpath(target))
        if bound == root or not target.is_relative_to(bound):
            bound = root  # refused below
    if rel.is_absolute() or (".." in rel.parts and bound == root):
        raise InternalError(
            f"refusing to write `{rel}`, outside the repository; nothing was written",
            hint=INTERNAL_HINT,
        )
    resolved, real_bound = _real_path(os.fspath(target), real), _real_path(os.fspath(bound), real)
    if resolved != real_bound and not resolved.startswith(os.path.join(real_bound, "")):
        raise _through_symlink(rel)
    return target


def _through_symlink(rel: Path) -> HomewardError:
    return HomewardError(
        f"`{rel}` is a symlink that leads outside the repository; homeward will not write through it",
        hint="replace the symlink with a regular file, or move it out of the way",
    )


class _Within:
    """`_inside` for the many paths of one plan, read only, as strings. Why: a `Path` per file
    (and pathlib's questions of it) cost more than the checks themselves at thousands of files
    (`check` asks for this on every run: commands/fixable.py)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base = os.fspath(root)
        self.real: dict[str, str] = {}  # directories' real paths: nothing is written meanwhile
        self.real_root: str | None = None

    def at(self, rel: Path) -> str:
        """`str(_inside(root, rel))`."""
        if rel.is_absolute() or ".." in rel.parts:
            return os.fspath(_inside(self.root, rel, self.real))
        name = os.fspath(rel)
        target = _joined(self.base, name)
        if self.real_root is None:
            self.real_root = _real_path(self.base, self.real)
        resolved = _real_path(target, self.real)
        if resolved != self.real_root and not resolved.startswith(os.path.join(self.real_root, "")):
            raise _through_symlink(rel)
        return target


def _joined(base: str, name: str) -> str:
    """`str(Path(base) / name)` for a relative, normalized `name` (a `Path`'s string)."""
    if name == ".":
        return base
    return name if base == "." else os.path.join(base, name)


_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})


def _mode(path: str, *, follow: bool = True) -> int:
    """The mode of what `path` names, 0 when nothing is there, as pathlib's `exists`, `is_file`,
    `is_dir` and `is_symlink` (`follow=False`) tell it: another error is raised, as there."""
    try:
        return (os.stat(path) if follow else os.lstat(path)).st_mode
    except OSError as exc:
        if exc.errno not in _MISSING:
            raise
    except ValueError:
        pass
    return 0


def _changed(rel: Path, how: str) -> HomewardError:
    """Someone changed a file between homeward reading it and writing: the situation, exit 3."""
    return HomewardError(
        f"`{rel}` changed since it was read ({how}); nothing was changed",
        hint="another program changed it while homeward ran: run homeward again",
    )


def _as_read(rel: Path, now: bytes, planned_from: bytes | None) -> None:
    """Refuse a file whose bytes `now` are not those the plan was made from (None: the plan
    did not read it): its edits are byte spans of what was read."""
    if planned_from is not None and planned_from != now:
        raise _changed(rel, "its text is not the one the plan was made from")


def _read(path: str) -> bytes:
    with open(path, "rb") as f:  # as `Path.read_bytes`
        return f.read()


def _real_path(path: str, real: dict[str, str] | None) -> str:
    """`os.path.realpath(path)`, its directory's looked up in `real` (and kept there): one
    `lstat` per file, not one per component (`resolve()` per path was 1.3 s at 200 hosts)."""
    if real is None:
        return os.path.realpath(path)
    parent, name = os.path.split(path)
    directory = real.get(parent)
    if directory is None:
        directory = real[parent] = os.path.realpath(parent)
    candidate = os.path.join(directory, name)
    return os.path.realpath(candidate) if os.path.islink(candidate) else candidate


def compute_changes(
    root: Path, plan: Plan, read: Callable[[Path], bytes | None] | None = None
) -> list[FileChange]:
    """What every touched file will contain after the plan; reads only. `read`: the bytes the
    plan was made from, by repo-relative path (None where it did not read the file): an
    edited file whose bytes differ now was changed meanwhile, and its edits, byte spans of
    what was read, would cut it in the wrong places."""
    moved_to = {m.dst: m.src for m in plan.moves}
    moved_away = {m.src for m in plan.moves}
    edits: dict[Path, list[Edit]] = defaultdict(list)
    for edit in plan.edits:
        edits[edit.path].append(edit)
    changes: list[FileChange] = []
    seen: set[Path] = set()
    within = _Within(root)
    for move in plan.moves:
        src = within.at(move.src)
        dst = within.at(move.dst)
        if not stat.S_ISREG(_mode(src)):
            if move.read is None:
                raise InternalError(
                    f"cannot move `{move.src}`: it does not exist, and the plan did not read it",
                    hint=INTERNAL_HINT,
                )
            raise _changed(move.src, "it no longer exists")
        if move.read is not None:
            _as_read(move.src, _read(src), move.read)
        if _mode(dst):
            raise HomewardError(
                f"cannot move `{move.src}` to `{move.dst}`: the target exists",
                hint="move it out of the way first",
            )
    for path, path_edits in edits.items():
        origin = moved_to.get(path, path)
        old = _read(within.at(origin))
        if read is not None:
            _as_read(origin, old, read(origin))
        if uses_crlf(old):
            path_edits = [_with_crlf(e) for e in path_edits]
        new = apply_edits(old, path_edits)
        changes.append(FileChange(path, None if path in moved_to else old, new, moved_to.get(path)))
        if path in moved_to:
            changes.append(FileChange(origin, old, None))
        seen.update({path, origin})
    for move in plan.moves:
        if move.dst not in seen:
            old = _read(within.at(move.src))
            changes.append(FileChange(move.dst, None, old, move.src))
            changes.append(FileChange(move.src, old, None))
            seen.update({move.src, move.dst})
    for new_file in plan.new_files:
        target = within.at(new_file.path)
        if _mode(target) or stat.S_ISLNK(_mode(target, follow=False)) or new_file.path in seen:
            raise HomewardError(
                f"`{new_file.path}` already exists; homeward does not overwrite files",
                hint="move it out of the way, or remove it if it is yours to remove",
            )
        changes.append(FileChange(new_file.path, None, new_file.text))
        seen.add(new_file.path)
    links = _symlinks_to(root, {d.path for d in plan.deletes}) if plan.deletes else {}
    for delete in plan.deletes:
        if delete.path in moved_away or delete.path in seen:
            continue
        target = within.at(delete.path)
        if delete.path in links:
            # The configuration reads the file through symlinks: remove those, keep the file
            # they point to (it is the user's; only the links are homeward's business).
            for link in links[delete.path]:
                if link not in seen:
                    changes.append(FileChange(link, _read(target), None))
                    seen.add(link)
            continue
        old = _read(target)
        if read is not None:
            _as_read(delete.path, old, read(delete.path))
        changes.append(FileChange(delete.path, old, None))
    _missing_dirs(root, [c.path for c in changes if c.old is None and c.new is not None])
    return changes


def _symlinks_to(root: Path, targets: set[Path]) -> dict[Path, list[Path]]:
    """The symlinks inside the repository that lead to each of `targets` (repo-relative)."""
    found: dict[Path, list[Path]] = {}
    real_root = root.resolve()
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(directory) / name
            if not path.is_symlink():
                continue
            resolved = path.resolve()
            if not resolved.is_relative_to(real_root):
                continue
            rel = resolved.relative_to(real_root)
            if rel in targets:
                found.setdefault(rel, []).append(path.relative_to(root))
    return found


def uses_crlf(text: bytes) -> bool:
    """Most lines end in CRLF (a file written on Windows)."""
    return text.count(b"\r\n") * 2 > text.count(b"\n") > 0


def _with_crlf(edit: Edit) -> Edit:
    """New text for a CRLF file: its line breaks as CRLF, so that the file does not mix them."""
    new = edit.new.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return Edit(edit.path, edit.start_byte, edit.end_byte, new, edit.why)


def validate_changes(changes: list[FileChange]) -> dict[Path, Source]:
    """Validate every new text. One rejected is homeward's bug (exit 4), except when the input
    already had the problem (a duplicate attribute, an undefined variable, nesting nix cannot
    parse): that is an input error (exit 3) located in the input. The new Nix texts as
    tree-sitter parsed them, by path."""
    try:
        return validate_many(
            {c.path: c.new for c in changes if c.new is not None and c.path.suffix == ".nix"}
        )
    except HomewardError:
        _blame_the_input(changes)
        raise


def _blame_the_input(changes: list[FileChange]) -> None:
    """Raise the input's error (exit 3) when a file the plan changes is rejected as it is: by
    nix when it is installed, else by tree-sitter's check (the one the new texts had)."""
    from homeward.nix.run import nix_available, parse_check_many

    olds = {c.path: c.old for c in changes if c.old is not None and c.path.suffix == ".nix"}
    if not olds:
        return
    if not nix_available():
        for path, old in olds.items():
            source = parse_source(old, path)
            problem = source.first_problem()
            if problem is not None:
                raise HomewardError(
                    f"this file cannot be read as it is: {problem.message}; nothing was changed",
                    at=source.location(problem.start_byte),
                    hint="fix it so that `nix-instantiate --parse` accepts it, then run "
                    "homeward again",
                )
        return
    error = parse_check_many({p: t.decode(errors="replace") for p, t in olds.items()})
    if error is not None:
        message = error.message.removeprefix("nix-instantiate rejects the text: ")
        raise HomewardError(
            f"nix rejects this file as it is: {message}; nothing was changed",
            at=error.at,
            hint="fix it so that `nix-instantiate --parse` accepts it, then run homeward again",
        ) from None


def unified_diff(changes: list[FileChange]) -> str:
    """One unified diff over all changes, `a/` and `b/` paths as git shows them."""
    chunks: list[str] = []
    # Why looked up, not searched: each move and removal searched every change (1,467 at 200
    # hosts). A move's source text is the last change of its path, as the search found it.
    olds = {c.path: c.old for c in changes}
    moved_from = {c.moved_from for c in changes}
    for change in sorted(changes, key=lambda c: str(c.path)):
        if change.moved_from is not None and change.old is None:
            chunks.append(f"rename {change.moved_from} → {change.path}\n")
            if change.new is not None:
                source_old = olds.get(change.moved_from)
                old_text = (source_old or b"").decode().splitlines(keepends=True)
                new_text = change.new.decode().splitlines(keepends=True)
                chunks.extend(
                    _diff_lines(old_text, new_text, f"a/{change.moved_from}", f"b/{change.path}")
                )
            continue
        if change.new is None and change.path in moved_from:
            continue  # shown with its move
        old_lines = (change.old or b"").decode().splitlines(keepends=True)
        new_lines = (change.new or b"").decode().splitlines(keepends=True)
        a = f"a/{change.path}" if change.old is not None else "/dev/null"
        b = f"b/{change.path}" if change.new is not None else "/dev/null"
        chunks.extend(_diff_lines(old_lines, new_lines, a, b))
    return "".join(chunks)


def _diff_lines(old: list[str], new: list[str], a: str, b: str) -> list[str]:
    if old and new:
        import difflib  # Why here: `check` imports this module for its plan's refusals only

        lines: Iterable[str] = difflib.unified_diff(old, new, a, b)
    else:
        lines = _whole_file_diff(old, new, a, b)
    out = []
    for line in lines:
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return out


def _whole_file_diff(old: list[str], new: list[str], a: str, b: str) -> list[str]:
    """`difflib.unified_diff` of a file against nothing (a new file, a removed one): one hunk
    of every line. Why not difflib: its matcher indexed every line of 1,245 new files at 200
    hosts to find that nothing matches."""
    if not old and not new:
        return []
    if old:
        hunk = f"@@ -{_hunk_range(len(old))} +0,0 @@\n"
        return [f"--- {a}\n", f"+++ {b}\n", hunk, *("-" + line for line in old)]
    hunk = f"@@ -0,0 +{_hunk_range(len(new))} @@\n"
    return [f"--- {a}\n", f"+++ {b}\n", hunk, *("+" + line for line in new)]


def _hunk_range(count: int) -> str:
    """A hunk's range of `count` lines from the first, as difflib writes it (`1`, `1,3`)."""
    return "1" if count == 1 else f"1,{count}"


# -- applying ------------------------------------------------------------------------------------
# Order: files that did not exist first (new files, the targets of moves), then edits, then
# removals (the sources of moves, emptied files), then the index. A definition that moves is
# therefore always somewhere on disk; the journal, written before the first step and removed
# after the last, lets any later command put everything back.

JOURNAL_OVERHEAD = 64 * 1024


@dataclass(frozen=True, slots=True)
class _Op:
    rel: Path  # what to write or remove, relative to root (a symlink's target for edits)
    new: bytes | None


def apply_changes(
    root: Path,
    changes: list[FileChange],
    *,
    command: str,
    repo: GitRepo | None,
    state: Path,
) -> journal.Journal:
    """Apply computed changes all or nothing, journalled; raises after a complete rollback,
    or RollbackIncompleteError (exit 5) when the rollback could not finish (the journal is kept).
    Returns the journal of the finished write (what `homeward undo` keeps)."""
    root = root.resolve()
    creates: list[_Op] = []
    edits: list[_Op] = []
    removes: list[_Op] = []
    records: list[journal.FileRecord] = []
    for change in changes:
        target = _inside(root, change.path)
        if change.new is None:
            removes.append(_Op(change.path, None))
            before = _record(root, change.path, None)
            if before.link is None and change.old is not None and before.old != change.old:
                raise _changed(change.path, "its text is not the one the changes were made from")
            records.append(before)
        elif change.old is None:
            creates.append(_Op(change.path, change.new))
            records.append(journal.FileRecord(str(change.path), None, journal.sha(change.new)))
        else:
            rel = target.resolve().relative_to(root) if target.is_symlink() else change.path
            edits.append(_Op(rel, change.new))
            before = _record(root, rel, change.new)
            if before.old != change.old:
                # Changed since the changes were computed: writing would lose what changed.
                raise _changed(change.path, "its text is not the one the changes were made from")
            records.append(before)
    made = [p for p in (*reversed(root.parents), root) if not p.is_dir()]
    dirs = _missing_dirs(root, [op.rel for op in creates])
    original = repo.index() if repo is not None else {}
    index_changes, intents = _index_changes(root, changes, repo, original)
    index_before = tuple((path, original.get(path)) for path in sorted({*index_changes, *intents}))
    record = journal.Journal(
        command=command,
        root=root,
        files=tuple(records),
        index=index_before,
        top=repo.top if repo is not None else None,
        dirs=tuple(str(d) for d in dirs),
        made=tuple(os.fsdecode(d) for d in made),
    )
    check_space(root, state, changes, record)
    journal.write_journal(state, record)
    try:
        for d in made:
            journal.step("mkdir", d)
            d.mkdir(exist_ok=True)
        for d in dirs:
            journal.step("mkdir", root / d)
            (root / d).mkdir(exist_ok=True)
        for op in (*creates, *edits):
            assert op.new is not None
            write_file(root / op.rel, op.new)
        for op in removes:
            _remove(root, op.rel)
        _sync_dirs(root, [op.rel for op in (*creates, *edits, *removes)], dirs)
        for d in reversed(made):
            journal.fsync_dir(d.parent)
        if repo is not None:
            journal.step("git", "update-index")
            repo.set_index(index_changes)
            journal.step("git", "add")
            repo.add_intent(intents)
            # Homeward's own uncommitted writes do not count as a dirty tree next time.
            record_written(repo.top, repo.git_dir, root, [c.path for c in changes])
        journal.remove_journal(state)
        return record
    except BaseException as exc:
        problems = rollback(record, repo)
        if problems:
            raise RollbackIncompleteError(
                f"{_describe(exc)}, and putting things back did not finish: {problems[0]}",
                hint=f"the journal `{state / journal.JOURNAL}` is kept: the next homeward "
                "command here finishes the rollback",
            ) from exc
        journal.remove_journal_quietly(state)
        if isinstance(exc, OSError):
            where = f"`{_shown(root, exc.filename)}`" if exc.filename else "a file"
            raise HomewardError(
                f"cannot write {where}: {exc.strerror or exc}; "
                "everything was put back as it was, nothing was changed",
            ) from exc
        raise


def _sync_dirs(root: Path, paths: list[Path], created: list[Path]) -> None:
    """fsync every directory whose entries the write changed (a rename, a removal, a new
    directory in its parent), each once, before the journal goes: until then the renames are
    not durable (issue 10)."""
    touched = {(root / rel).parent for rel in paths}
    touched |= {(root / d).parent for d in created}
    existing = set()
    for directory in touched:
        # A removal may have taken its emptied directory along: its parent holds the change.
        while not directory.is_dir() and directory != root and root in directory.parents:
            directory = directory.parent
        existing.add(directory)
    for directory in sorted(existing, key=lambda d: (-len(d.parts), d)):
        journal.fsync_dir(directory)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"writing `{exc.filename}` failed ({exc.strerror or exc})"
    if isinstance(exc, KeyboardInterrupt | Terminated):
        return "homeward was interrupted"
    return f"homeward failed ({type(exc).__name__}: {exc})"


def _shown(root: Path, filename: object) -> str:
    path = Path(os.fsdecode(filename))  # type: ignore[arg-type]
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _record(root: Path, rel: Path, new: bytes | None) -> journal.FileRecord:
    target = root / rel
    if target.is_symlink():
        return journal.FileRecord(str(rel), None, _sha_or_none(new), link=os.readlink(target))
    return journal.FileRecord(str(rel), target.read_bytes(), _sha_or_none(new))


def _sha_or_none(data: bytes | None) -> str | None:
    return journal.sha(data) if data is not None else None


def _missing_dirs(root: Path, paths: list[Path]) -> list[Path]:
    """The directories that writing `paths` creates, parents first."""
    base = os.fspath(root)
    missing: set[str] = set()  # Why strings: a `Path` per parent of thousands of files
    present: set[str] = set()  # Why: the many new files of one directory ask the disk once
    for rel in paths:
        for parent in _parents(os.fspath(rel)):
            if parent in missing:
                continue
            if parent in present:
                break
            target = _joined(base, parent)
            mode = _mode(target)
            if stat.S_ISDIR(mode):
                present.add(parent)
                break
            if mode or stat.S_ISLNK(_mode(target, follow=False)):
                raise HomewardError(
                    f"cannot create `{rel}`: `{parent}` exists and is not a directory; "
                    "nothing was changed",
                    hint=f"move `{parent}` out of the way, then run this again",
                )
            missing.add(parent)
    return sorted(map(Path, missing), key=lambda p: (len(p.parts), str(p)))


def _parents(name: str) -> Iterator[str]:
    """`PurePath(name).parents` as strings, without `.`: `name` is a `Path`'s string."""
    parent = os.path.dirname(name)
    while parent and parent != name:
        yield parent
        name, parent = parent, os.path.dirname(parent)


def _index_changes(
    root: Path, changes: list[FileChange], repo: GitRepo | None, index: dict[str, IndexEntry]
) -> tuple[dict[str, IndexEntry | None], list[str]]:
    """What the index must say afterwards: moved entries (as `git mv`), removed entries
    (as `git rm --cached`), and the new files to add with intent."""
    if repo is None:
        return {}, []
    entries: dict[str, IndexEntry | None] = {}
    intents: list[str] = []
    for change in changes:
        name = repo.rel(root / change.path)
        if change.new is None:
            if name in index:
                entries[name] = None
        elif change.old is None:
            source = repo.rel(root / change.moved_from) if change.moved_from else None
            entry = index.get(source) if source is not None else None
            if entry is not None and entry.mode != "120000":
                entries[name] = entry  # history follows, as with `git mv`
            else:
                intents.append(name)
    return entries, intents


def check_space(
    root: Path, state: Path, changes: list[FileChange], record: journal.Journal
) -> None:
    """Refuse before anything changes when the new bytes and the journal cannot fit."""
    new_bytes = sum(len(c.new) for c in changes if c.new is not None)
    journal_bytes = sum(len(f.old or b"") * 4 // 3 for f in record.files) + JOURNAL_OVERHEAD
    root = root if root.exists() else next(p for p in root.parents if p.exists())  # `init`
    needs = {root: new_bytes + JOURNAL_OVERHEAD}
    state_fs = state if state.exists() else next(p for p in state.parents if p.exists())
    if os.stat(state_fs).st_dev == os.stat(root).st_dev:
        needs[root] += journal_bytes
    else:
        needs[state_fs] = journal_bytes
    for where, needed in needs.items():
        vfs = os.statvfs(where)
        free = vfs.f_bavail * vfs.f_frsize
        if free < needed:
            raise HomewardError(
                f"not enough free space on the file system of `{where}`: the change needs "
                f"{_size(needed)} (new files and the journal that can undo them), "
                f"{_size(free)} is free; nothing was changed",
                hint="free some space, then run this again",
            )


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


def write_file(target: Path, data: bytes) -> None:
    """Write `target` whole or not at all: a temp file beside it, fsynced, renamed over it."""
    mode = target.stat().st_mode & 0o7777 if target.is_file() else 0o644
    tmp = target.parent / f".{target.name}{journal.TMP_SUFFIX}"
    journal.step("write", target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        journal.step("rename", target)
        os.replace(tmp, target)
    except OSError as exc:
        _remove_temp(tmp)
        if exc.filename is None:  # write() and fsync() name no file: say which one (issue 10)
            raise OSError(exc.errno, exc.strerror, os.fspath(target)) from exc
        raise
    except BaseException:
        _remove_temp(tmp)
        raise


def _remove_temp(tmp: Path) -> None:
    """Remove a temp file of `write_file` if there is one. Never raises: on a read-only file
    system even removing a file that is not there fails (EROFS, not ENOENT), and that must
    neither hide the error being handled nor stop a rollback; a temp file left behind is not
    tracked and holds nothing the journal needs."""
    with contextlib.suppress(OSError):
        if os.path.lexists(tmp):
            tmp.unlink()


def write_output(path: Path, data: bytes) -> None:
    """Write an output file the user named (`graph -o FILE`), whole or not at all.

    Only regular files: a device node, a FIFO, a socket or a directory is refused (a rename
    over `/dev/null` would replace the device). A symlink is written through: the file it
    points to gets the new bytes and the link stays. The file keeps its permissions.
    """
    target = path.resolve() if path.is_symlink() else path
    if target.exists() and not target.is_file():
        kind = "a directory" if target.is_dir() else "not a regular file"
        raise UsageError(
            f"cannot write `{path}`: it is {kind}; homeward writes regular files only",
            hint="give a file name, or leave out -o to print to standard output",
        )
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"cannot write `{path}`: the directory `{directory}` does not exist")
    try:
        write_file(target, data)
    except OSError as exc:
        raise HomewardError(
            f"cannot write `{path}`: {exc.strerror or exc}; it was left as it was"
        ) from None


def discard_stdout() -> None:
    """After stdout failed (a full device), point it at /dev/null so that the interpreter's
    last flush does not print a traceback of its own."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _remove(root: Path, rel: Path) -> None:
    """Remove a file (a symlink itself, never what it points to), then emptied directories."""
    target = root / rel
    journal.step("unlink", target)
    target.unlink(missing_ok=True)
    _remove_empty_dirs(root, target.parent)


def _remove_empty_dirs(root: Path, directory: Path) -> None:
    while directory != root and directory.is_relative_to(root) and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def rollback(record: journal.Journal, repo: GitRepo | None) -> list[str]:
    """Put every file and index entry the journal names back; returns what could not be (an
    empty list: everything is as it was, verified). SIGINT/SIGTERM/SIGHUP wait until it ends."""
    blocked = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        return _rollback(record, repo)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _rollback(record: journal.Journal, repo: GitRepo | None) -> list[str]:
    root = record.root
    problems: list[str] = []
    for f in record.files:
        target = root / f.path
        _remove_temp(target.parent / f".{target.name}{journal.TMP_SUFFIX}")
        if f.old is None and f.link is None:
            continue
        try:
            now = _current(target)
            if now == _original(f):
                continue
            if now is not None and now[0] != "link" and journal.sha(now[1]) != f.new_sha:
                problems.append(f"`{f.path}` was changed since; it is left as it is")
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if f.link is not None:
                target.unlink(missing_ok=True)
                os.symlink(f.link, target)
            else:
                assert f.old is not None
                write_file(target, f.old)
        except OSError as exc:
            problems.append(f"cannot restore `{f.path}`: {exc.strerror or exc}")
    if problems:  # keep the new copies: they may hold what could not be restored
        return problems
    for f in record.files:
        if f.old is not None or f.link is not None:
            continue
        target = root / f.path
        try:
            now = _current(target)
            if now is None:
                continue
            if now[0] == "link" or journal.sha(now[1]) != f.new_sha:
                problems.append(f"`{f.path}` was changed since; it is left as it is")
                continue
            target.unlink()
        except OSError as exc:
            problems.append(f"cannot remove `{f.path}`: {exc.strerror or exc}")
    for d in sorted(record.dirs, key=lambda d: -len(Path(d).parts)):
        with contextlib.suppress(OSError):
            (root / d).rmdir()  # only when empty
    for made in reversed(record.made):
        with contextlib.suppress(OSError):
            Path(made).rmdir()  # only when empty
    if repo is not None and record.index:
        try:
            repo.set_index(dict(record.index))
        except HomewardError as exc:
            problems.append(f"cannot restore the git index: {exc.message}")
    elif record.index and record.top is not None:
        problems.append("cannot restore the git index: git is not available")
    for f in record.files:
        if _current(root / f.path) != _original(f):
            problems.append(f"`{f.path}` is not as it was")
    if not problems:  # durable before the journal goes, as a write is
        with contextlib.suppress(OSError):
            _sync_dirs(root, [Path(f.path) for f in record.files], [])
    return problems


def _current(target: Path) -> tuple[str, bytes] | None:
    if target.is_symlink():
        return ("link", os.fsencode(os.readlink(target)))
    if target.is_file():
        return ("file", target.read_bytes())
    return None


def _original(f: journal.FileRecord) -> tuple[str, bytes] | None:
    if f.link is not None:
        return ("link", os.fsencode(f.link))
    return ("file", f.old) if f.old is not None else None
