"""Apply a Plan to disk: all or nothing.

Every new text is computed and validated (tree-sitter, and `nix-instantiate --parse` when nix is
installed) before anything on disk changes. Then moves (`git mv`, so history follows), writes
(temp file + `os.replace`), deletes; if any step fails, every touched path is restored to its
old bytes and the moves are undone. New files get `git add --intent-to-add`, because flakes only
see files git tracks. Never writes outside the repo, never through a symlink that leads out.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections import defaultdict
from pathlib import Path

from homeward import proc
from homeward.apply.own import homewards_own, record_written
from homeward.apply.spans import apply_edits
from homeward.apply.validate import validate_many
from homeward.errors import HomewardError
from homeward.plan.types import Edit, FileChange, Plan


def _inside(root: Path, rel: Path) -> Path:
    """The absolute path of `rel`, refusing anything that leaves `root` (`..`, symlinks)."""
    if rel.is_absolute() or ".." in rel.parts:
        raise HomewardError(f"internal error: refusing to write `{rel}`, outside the repository")
    target = root / rel
    resolved = target.resolve()
    if not resolved.is_relative_to(root.resolve()):
        raise HomewardError(
            f"`{rel}` is a symlink that leads outside the repository; homeward will not write through it",
            hint="replace the symlink with a regular file, or move it out of the way",
        )
    return target


def compute_changes(root: Path, plan: Plan) -> list[FileChange]:
    """What every touched file will contain after the plan; reads only."""
    moved_to = {m.dst: m.src for m in plan.moves}
    moved_away = {m.src for m in plan.moves}
    edits: dict[Path, list[Edit]] = defaultdict(list)
    for edit in plan.edits:
        edits[edit.path].append(edit)
    changes: list[FileChange] = []
    seen: set[Path] = set()
    for move in plan.moves:
        src = _inside(root, move.src)
        dst = _inside(root, move.dst)
        if not src.is_file():
            raise HomewardError(f"internal error: cannot move `{move.src}`: it does not exist")
        if dst.exists():
            raise HomewardError(
                f"cannot move `{move.src}` to `{move.dst}`: the target exists",
                hint="move it out of the way first",
            )
    for path, path_edits in edits.items():
        origin = moved_to.get(path, path)
        old = _inside(root, origin).read_bytes()
        if uses_crlf(old):
            path_edits = [_with_crlf(e) for e in path_edits]
        new = apply_edits(old, path_edits)
        changes.append(FileChange(path, None if path in moved_to else old, new, moved_to.get(path)))
        if path in moved_to:
            changes.append(FileChange(origin, old, None))
        seen.update({path, origin})
    for move in plan.moves:
        if move.dst not in seen:
            old = _inside(root, move.src).read_bytes()
            changes.append(FileChange(move.dst, None, old, move.src))
            changes.append(FileChange(move.src, old, None))
            seen.update({move.src, move.dst})
    for new_file in plan.new_files:
        target = _inside(root, new_file.path)
        if target.exists() or target.is_symlink() or new_file.path in seen:
            raise HomewardError(
                f"`{new_file.path}` already exists; homeward does not overwrite files",
                hint="move it out of the way, or remove it if it is yours to remove",
            )
        changes.append(FileChange(new_file.path, None, new_file.text))
        seen.add(new_file.path)
    for delete in plan.deletes:
        if delete.path in moved_away or delete.path in seen:
            continue
        target = _inside(root, delete.path)
        changes.append(FileChange(delete.path, target.read_bytes(), None))
    return changes


def uses_crlf(text: bytes) -> bool:
    """Most lines end in CRLF (a file written on Windows)."""
    return text.count(b"\r\n") * 2 > text.count(b"\n") > 0


def _with_crlf(edit: Edit) -> Edit:
    """New text for a CRLF file: its line breaks as CRLF, so that the file does not mix them."""
    new = edit.new.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return Edit(edit.path, edit.start_byte, edit.end_byte, new, edit.why)


def validate_changes(changes: list[FileChange]) -> None:
    validate_many({c.path: c.new for c in changes if c.new is not None and c.path.suffix == ".nix"})


def unified_diff(changes: list[FileChange]) -> str:
    """One unified diff over all changes, `a/` and `b/` paths as git shows them."""
    chunks: list[str] = []
    for change in sorted(changes, key=lambda c: str(c.path)):
        if change.moved_from is not None and change.old is None:
            chunks.append(f"rename {change.moved_from} → {change.path}\n")
            if change.new is not None:
                source_old = None
                for other in changes:
                    if other.path == change.moved_from:
                        source_old = other.old
                old_text = (source_old or b"").decode().splitlines(keepends=True)
                new_text = change.new.decode().splitlines(keepends=True)
                chunks.extend(
                    _diff_lines(old_text, new_text, f"a/{change.moved_from}", f"b/{change.path}")
                )
            continue
        if change.new is None and any(c.moved_from == change.path for c in changes):
            continue  # shown with its move
        old_lines = (change.old or b"").decode().splitlines(keepends=True)
        new_lines = (change.new or b"").decode().splitlines(keepends=True)
        a = f"a/{change.path}" if change.old is not None else "/dev/null"
        b = f"b/{change.path}" if change.new is not None else "/dev/null"
        chunks.extend(_diff_lines(old_lines, new_lines, a, b))
    return "".join(chunks)


def _diff_lines(old: list[str], new: list[str], a: str, b: str) -> list[str]:
    out = []
    for line in difflib.unified_diff(old, new, a, b):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return out


def git_root(path: Path) -> Path | None:
    p = proc.run(["git", "rev-parse", "--show-toplevel"], cwd=path)
    return Path(p.stdout.strip()) if p.ok else None


def _git_dirs(root: Path) -> tuple[Path, Path] | None:
    """The work tree's top level and the git dir, both absolute; None outside git."""
    p = proc.run(["git", "rev-parse", "--show-toplevel", "--absolute-git-dir"], cwd=root)
    lines = p.stdout.splitlines() if p.ok else []
    return (Path(lines[0]), Path(lines[1])) if len(lines) == 2 else None


def ensure_clean(root: Path) -> None:
    """Refuse a dirty work tree: the user must be able to see and undo exactly what we did."""
    if git_root(root) is None:
        return
    p = proc.run(
        ["git", "status", "--porcelain", "-z", "--untracked-files=normal", "--", "."], cwd=root
    )
    entries: list[list[str]] = []  # the paths of each entry: a rename has two
    fields = iter(p.stdout.split("\0") if p.ok else [])
    for field in fields:
        if len(field) > 3:
            entries.append([field[3:]])
            if field[0] in "RC":
                entries[-1].append(next(fields, ""))
    # Why: what an earlier homeward run wrote, unchanged since, is its own work, not the user's.
    dirs = _git_dirs(root)
    listed = [path for entry in entries for path in entry]
    own = homewards_own(*dirs, listed) if dirs is not None else set()
    lines = [entry[0] for entry in entries if not all(path in own for path in entry)]
    if lines:
        first = lines[0]
        count = len(lines)
        raise HomewardError(
            f"the git work tree has uncommitted changes ({count} path{'s' if count != 1 else ''}, e.g. `{first}`)",
            hint="commit or stash them first so the change can be reviewed and undone, or pass --allow-dirty",
        )


def apply_plan(root: Path, plan: Plan, *, validate: bool = True) -> list[FileChange]:
    """Apply the plan transactionally; returns the changes made."""
    root = root.resolve()
    changes = compute_changes(root, plan)
    if validate:
        validate_changes(changes)
    in_git = git_root(root) is not None
    backups: dict[Path, bytes | None] = {}
    done_moves: list[tuple[Path, Path]] = []
    try:
        for move in plan.moves:
            src, dst = _inside(root, move.src), _inside(root, move.dst)
            backups.setdefault(move.src, src.read_bytes())
            backups.setdefault(move.dst, None)
            dst.parent.mkdir(parents=True, exist_ok=True)
            if in_git and _tracked(root, move.src):
                p = proc.run(["git", "mv", "--", str(move.src), str(move.dst)], cwd=root)
                if not p.ok:
                    raise HomewardError(
                        f"`git mv {move.src} {move.dst}` failed: {p.stderr.strip()}"
                    )
            else:
                os.replace(src, dst)
            done_moves.append((move.src, move.dst))
        for change in changes:
            target = _inside(root, change.path)
            if change.path not in backups:
                backups[change.path] = target.read_bytes() if target.is_file() else None
            if change.new is None:
                if target.exists():
                    if in_git and _tracked(root, change.path):
                        proc.run(["git", "rm", "-q", "--cached", "--", str(change.path)], cwd=root)
                    target.unlink()
                    _remove_empty_dirs(root, target.parent)
                continue
            if target.is_file() and target.read_bytes() == change.new:
                continue
            _atomic_write(target, change.new)
        if in_git:
            added = [
                str(c.path)
                for c in changes
                if c.new is not None and c.old is None and c.moved_from is None
            ]
            if added:
                p = proc.run(["git", "add", "--intent-to-add", "--", *added], cwd=root)
                if not p.ok:
                    raise HomewardError(f"`git add --intent-to-add` failed: {p.stderr.strip()}")
    except BaseException:
        _rollback(root, backups, done_moves, in_git)
        raise
    dirs = _git_dirs(root) if in_git else None
    if dirs is not None:
        record_written(*dirs, root, [*backups])
    return changes


def _tracked(root: Path, rel: Path) -> bool:
    return proc.run(["git", "ls-files", "--error-unmatch", "--", str(rel)], cwd=root).ok


def _atomic_write(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = target.stat().st_mode & 0o7777 if target.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".homeward", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _remove_empty_dirs(root: Path, directory: Path) -> None:
    while directory != root and directory.is_relative_to(root) and not any(directory.iterdir()):
        directory.rmdir()
        directory = directory.parent


def _rollback(
    root: Path, backups: dict[Path, bytes | None], moves: list[tuple[Path, Path]], in_git: bool
) -> None:
    """Put every touched path back as it was; best effort, never raises."""
    for rel, old in backups.items():
        target = root / rel
        try:
            if old is None:
                if target.exists():
                    target.unlink()
                if target.parent.is_dir():  # directories made for it, even if the write failed
                    _remove_empty_dirs(root, target.parent)
            else:
                _atomic_write(target, old)
        except OSError:
            pass
    if in_git:
        for src, dst in reversed(moves):
            proc.run(["git", "rm", "-q", "--cached", "--ignore-unmatch", "--", str(dst)], cwd=root)
            proc.run(["git", "add", "--", str(src)], cwd=root)
        proc.run(["git", "reset", "-q", "--", *(str(p) for p in backups)], cwd=root)
