"""What is on disk in the repository, listed once by the loader: the planners ask this read-only
snapshot whether a path is taken instead of asking the disk, so planning stays pure.

The text of a file is the loader's too (`Repo.ev.files.source`, read once and cached).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

SKIPPED_DIRS = frozenset({".git"})


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Repo-relative paths of every file (any directory entry that is not a directory) and
    every directory under the root, as they were when listed. A symlink to a directory inside
    the root is listed like the directory (as `Path.exists` would follow it); one leading
    outside is an entry whose content is not listed."""

    # As `str(PurePosixPath(rel))` writes them: a path object per entry was most of listing
    # 7,412 files (#9); the few questions make one each instead.
    file_names: frozenset[str]
    dir_names: frozenset[str]

    @property
    def files(self) -> frozenset[PurePosixPath]:
        return frozenset(map(PurePosixPath, self.file_names))

    @property
    def dirs(self) -> frozenset[PurePosixPath]:
        return frozenset(map(PurePosixPath, self.dir_names))

    def has_file(self, rel: PurePosixPath | str) -> bool:
        return str(PurePosixPath(rel)) in self.file_names

    def has_dir(self, rel: PurePosixPath | str) -> bool:
        return str(PurePosixPath(rel)) in self.dir_names

    def taken(self, rel: PurePosixPath | str) -> bool:
        return self.has_file(rel) or self.has_dir(rel)


def list_files(root: Path) -> Snapshot:
    """Walk `root` (not `.git`; symlinked directories only when they stay inside and do not
    lead back up) into a Snapshot."""
    real_root = os.path.realpath(root)
    top = os.fspath(root)
    inside = os.path.join(real_root, "")
    files: set[str] = set()
    dirs: set[str] = {"."}
    # The real path of each directory walked (with a trailing separator). Why: `realpath`
    # looks at every component of a path, twice per directory; a directory that is not a
    # symlink is its parent's real path and its name.
    reals: dict[str, str] = {top: inside}
    for current, dirnames, filenames in os.walk(top, followlinks=True):
        # `current` is `top` joined with the names walked: its repo-relative path, as a prefix.
        here = "" if current == top else current[len(top) + 1 :].replace(os.sep, "/") + "/"
        real = reals.get(current) or os.path.join(os.path.realpath(current), "")
        files.update(here + f for f in filenames)
        kept = []
        for d in dirnames:
            if d in SKIPPED_DIRS:
                continue
            dirs.add(here + d)
            path = os.path.join(current, d)
            if os.path.islink(path):
                target = os.path.join(os.path.realpath(path), "")
            else:
                target = os.path.join(real + d, "")
            # Outside the repository: there, never followed. An ancestor: a cycle.
            if target.startswith(inside) and not real.startswith(target):
                kept.append(d)
                reals[path] = target
        dirnames[:] = kept
    return Snapshot(frozenset(files), frozenset(dirs))


@dataclass(frozen=True, slots=True)
class Tracked:
    """What git tracks (the index, intent-to-add included) under the work tree `top`: what a
    flake in it sees (docs/architecture.md, rule 12). `children`: for each top-relative
    directory (`.` for the top), its entries and their kinds as `builtins.readDir` gives them."""

    top: Path
    children: dict[str, dict[str, str]]

    def read_dir(self, directory: Path) -> dict[str, str] | None:
        """`builtins.readDir directory` as nix sees it, None when it is not in the work tree."""
        try:
            rel = directory.relative_to(self.top).as_posix()
        except ValueError:
            return None
        return dict(sorted(self.children.get(rel, {}).items()))


def shown_root(given: Path, root: Path) -> Path:
    """The flake's directory as paths under it open from the cwd: as the user named it, or
    relative to the cwd when homeward found the flake above the directory given."""
    if given.resolve() == root.resolve():
        return given
    return Path(os.path.relpath(root))


def work_tree_top(directory: Path) -> Path | None:
    """The top of the git work tree holding the resolved `directory`: the nearest directory at
    or above it with a `.git` (a directory, or the file of a linked work tree or submodule);
    None outside git."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def git_dir(top: Path) -> Path:
    """The git directory of the work tree at `top`: `.git`, or where a `.git` file points
    (`gitdir: ...`, a linked work tree's own); OSError when the file cannot be read."""
    git = top / ".git"
    if git.is_file():
        pointer = git.read_text().strip().removeprefix("gitdir:").strip()
        git = (top / pointer).resolve()
    return git


def index_entries(top: Path) -> list[tuple[str, int]] | None:
    """(path, mode) of each entry of the index of the work tree at `top`, as `tracked_files`
    reads it; None when it cannot be read."""
    try:
        data = (git_dir(top) / "index").read_bytes()
    except OSError:
        return None
    return _index_entries(data)


def tracked_files(directory: Path) -> Tracked | None:
    """The files git tracks in the work tree holding `directory`, read from its index (no git
    process). None outside git, or with an index homeward does not read (a split index): then
    every file on disk is what there is."""
    top = work_tree_top(directory.resolve())
    if top is None:
        return None
    entries = index_entries(top)
    if entries is None:
        return None
    children: dict[str, dict[str, str]] = {}
    for path, mode in entries:
        parts = path.split("/")
        for depth in range(len(parts)):
            parent = "/".join(parts[:depth]) or "."
            last = depth == len(parts) - 1
            kind = "directory"
            if last:
                kind = {0o120000: "symlink", 0o160000: "directory", 0o040000: "directory"}.get(
                    mode, "regular"
                )
            children.setdefault(parent, {}).setdefault(parts[depth], kind)
    return Tracked(top, children)


def _index_entries(data: bytes) -> list[tuple[str, int]] | None:
    """(path, mode) of each entry of a git index (versions 2 to 4), None if it cannot be read."""
    if len(data) < 12 or data[:4] != b"DIRC":
        return None
    version = int.from_bytes(data[4:8], "big")
    count = int.from_bytes(data[8:12], "big")
    if version not in (2, 3, 4):
        return None
    pos, previous, found = 12, b"", []
    try:
        for _ in range(count):
            start = pos
            mode = int.from_bytes(data[pos + 24 : pos + 28], "big")
            flags = int.from_bytes(data[pos + 60 : pos + 62], "big")
            pos += 62
            if version >= 3 and flags & 0x4000:
                pos += 2  # extended flags (intent-to-add, skip-worktree)
            if version == 4:
                byte = data[pos]
                pos += 1
                strip = byte & 0x7F
                while byte & 0x80:
                    byte = data[pos]
                    pos += 1
                    strip = ((strip + 1) << 7) | (byte & 0x7F)
                end = data.index(b"\0", pos)
                name = previous[: len(previous) - strip] + data[pos:end]
                pos = end + 1
            else:
                end = data.index(b"\0", pos)
                name = data[pos:end]
                pos = start + ((end - start) // 8 + 1) * 8  # NUL-padded to a multiple of 8
            previous = name
            found.append((name.decode("utf-8", "surrogateescape"), mode))
        while pos + 8 <= len(data) - 20:  # extensions; a split index keeps entries elsewhere
            if data[pos : pos + 4] == b"link":
                return None
            pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
    except (IndexError, ValueError):
        return None
    return found
