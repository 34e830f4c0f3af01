"""What is on disk in the repository, listed once by the loader: the planners ask this read-only
snapshot whether a path is taken instead of asking the disk, so planning stays pure.

The text of a file is the loader's too (`Repo.ev.files.source`, read once and cached).
"""

from __future__ import annotations

import os
import struct
from bisect import bisect_left
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


class Tracked:
    """What git tracks (the index, intent-to-add and staged files included) under the work
    tree `top`: what a flake in it sees (docs/architecture.md, rule 12). `holds`: whether nix
    sees a path at all; `read_dir`: `builtins.readDir` (its listing made on first use)."""

    __slots__ = ("_children", "_prefix", "_under", "paths", "special", "top")

    def __init__(self, top: Path, paths: list[str], special: dict[str, int]) -> None:
        self.top = top
        # Top-relative, sorted. Why a sorted list, not a set of every path and directory: it
        # is the index's own order, and a look-up by bisection costs no memory (a set of
        # 7,412 paths was 0.5 MiB more of `check`'s peak).
        self.paths = paths
        self.special = special  # path -> mode, of entries that are not regular files
        self._prefix = os.path.join(top, "")
        # Submodules (and a sparse index's directories): what is under them is left to the
        # disk, as it was (whether nix sees a submodule's files depends on `?submodules=1`).
        self._under = tuple(p + "/" for p, mode in special.items() if mode in _DIRECTORIES)
        self._children: dict[str, dict[str, str]] | None = None

    @property
    def children(self) -> dict[str, dict[str, str]]:
        """For each top-relative directory (`.` for the top), its entries and their kinds as
        `builtins.readDir` gives them."""
        if self._children is None:
            children: dict[str, dict[str, str]] = {}
            for path in self.paths:
                parts = path.split("/")
                for depth in range(len(parts)):
                    parent = "/".join(parts[:depth]) or "."
                    kind = "directory"
                    if depth == len(parts) - 1:
                        kind = _KINDS.get(self.special.get(path, 0), "regular")
                    children.setdefault(parent, {}).setdefault(parts[depth], kind)
            self._children = children
        return self._children

    def read_dir(self, directory: Path) -> dict[str, str] | None:
        """`builtins.readDir directory` as nix sees it, None when it is not in the work tree."""
        try:
            rel = directory.relative_to(self.top).as_posix()
        except ValueError:
            return None
        return dict(sorted(self.children.get(rel, {}).items()))

    def holds(self, real: str) -> bool:
        """Whether nix sees the path `real` (absolute, resolved) of the work tree: a tracked
        file, or a directory holding one. A path outside the work tree is not the index's to
        answer (True)."""
        if not real.startswith(self._prefix):
            return True
        rel = real[len(self._prefix) :]
        paths = self.paths
        at = bisect_left(paths, rel)
        if at < len(paths) and paths[at] == rel:
            return True
        # A directory: the first path from `rel/` on is under it, if any is.
        inside = rel + "/"
        at = bisect_left(paths, inside, at)
        if at < len(paths) and paths[at].startswith(inside):
            return True
        return bool(self._under) and rel.startswith(self._under)


_REGULAR = frozenset({0o100644, 0o100755})
_DIRECTORIES = frozenset({0o160000, 0o040000})  # a submodule; a sparse index's directory
_KINDS = {0o120000: "symlink", 0o160000: "directory", 0o040000: "directory"}


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
    found = _read_index(top)
    return list(zip(*found, strict=True)) if found is not None else None


def _read_index(top: Path) -> tuple[list[str], list[int]] | None:
    """The paths and modes of the index of the work tree at `top`; None when it cannot be
    read."""
    where: Path | None = None
    try:
        where = git_dir(top)
        data = (where / "index").read_bytes()
    except FileNotFoundError:
        # No index yet (`git init`, nothing added): git tracks nothing, and nix sees nothing.
        # Unless the git directory itself is not there (a `.git` file leading nowhere).
        return ([], []) if where is not None and where.is_dir() else None
    except OSError:
        return None
    return _index_entries(data)


def tracked_files(directory: Path) -> Tracked | None:
    """The files git tracks in the work tree holding `directory`, read from its index (no git
    process: the model starts none). None outside git, or with an index homeward does not
    read (a split index): then every file on disk is what there is."""
    top = work_tree_top(directory.resolve())
    if top is None:
        return None
    found = _read_index(top)
    if found is None:
        return None
    paths, modes = found
    special = {path: mode for path, mode in zip(paths, modes, strict=True) if mode not in _REGULAR}
    paths.sort()  # the index's order already, by bytes; as Python compares them, surely
    return Tracked(top, paths, special)


def _index_entries(data: bytes) -> tuple[list[str], list[int]] | None:
    """The path and the mode of each entry of a git index (versions 2 to 4), in two lists;
    None if it cannot be read.

    Why `struct` and one decode: every command in git reads the index (rule 12), 7,412 entries
    at 200 hosts; slicing and decoding each entry was half of it."""
    if len(data) < 12 or data[:4] != b"DIRC":
        return None
    version, count = _HEADER.unpack_from(data, 4)
    if version not in (2, 3, 4):
        return None
    entry = _ENTRY.unpack_from  # the mode (at 24) and the flags (at 60) of an entry
    pos, previous = 12, b""
    names: list[bytes] = []
    modes: list[int] = []
    try:
        for _ in range(count):
            start = pos
            mode, flags = entry(data, pos + 24)
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
                previous = previous[: len(previous) - strip] + data[pos:end]
                pos = end + 1
            else:
                end = data.index(b"\0", pos)
                previous = data[pos:end]
                pos = start + ((end - start) // 8 + 1) * 8  # NUL-padded to a multiple of 8
            names.append(previous)
            modes.append(mode)
        while pos + 8 <= len(data) - 20:  # extensions; a split index keeps entries elsewhere
            if data[pos : pos + 4] == b"link":
                return None
            pos += 8 + int.from_bytes(data[pos + 4 : pos + 8], "big")
    except (IndexError, ValueError, struct.error):
        return None
    if not names:
        return [], []
    return b"\0".join(names).decode("utf-8", "surrogateescape").split("\0"), modes


_HEADER = struct.Struct(">II")
_ENTRY = struct.Struct(">I32xH")


# -- what .gitignore says of a path -------------------------------------------------------------
def ignore_rule(top: Path, rel: str) -> tuple[str, int, str] | None:
    """The rule that makes git ignore the path `rel` (relative to the work tree `top`, `/`
    separated), read from `.git/info/exclude` and the `.gitignore` files on the way to it, as
    `(file relative to top, line, pattern)`; None when none does. No git process (the model
    starts none): it names the rule in a message, it decides nothing. A directory ignored
    ignores what is in it; the last matching rule wins, and the deeper file over the higher;
    `core.excludesFile` is not read."""
    parts = rel.split("/")
    found: tuple[str, int, str] | None = None
    # Each candidate: a directory on the way, then the path itself.
    for depth in range(1, len(parts) + 1):
        candidate = "/".join(parts[:depth])
        is_dir = depth < len(parts)
        last: tuple[str, int, str, bool] | None = None
        for name, base in _ignore_files(top, parts[: depth - 1]):
            lines = _read_lines(top / name)
            for number, line in enumerate(lines, start=1):
                pattern = _pattern(line)
                if pattern is None:
                    continue
                negated, body, dir_only, anchored = pattern
                if dir_only and not is_dir:
                    continue
                inside = candidate[len(base) :] if base else candidate
                if base and not candidate.startswith(base):
                    continue
                subject = inside if anchored else inside.rsplit("/", 1)[-1]
                if _glob(body, subject):
                    last = (name, number, line.strip(), negated)
        if last is not None and not last[3]:
            found = (last[0], last[1], last[2])
            if is_dir:
                return found  # what is in an ignored directory is ignored
        elif not is_dir:
            found = None
    return found


def _ignore_files(top: Path, dirs: list[str]) -> list[tuple[str, str]]:
    """The ignore files that apply in `top/<dirs...>`, lowest precedence first: each as (its
    path relative to top, the directory its patterns are relative to, ending in `/`)."""
    found = [(os.path.join(os.path.relpath(git_dir(top), top), "info", "exclude"), "")]
    found.append((".gitignore", ""))
    for depth in range(1, len(dirs) + 1):
        base = "/".join(dirs[:depth]) + "/"
        found.append((base + ".gitignore", base))
    return found


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(errors="replace").splitlines()
    except OSError:
        return []


def _pattern(line: str) -> tuple[bool, str, bool, bool] | None:
    """A line of an ignore file: (negated, glob, directories only, anchored), None for
    blank lines and comments."""
    text = line.rstrip(" ") if not line.endswith("\\ ") else line
    if not text or text.startswith("#"):
        return None
    negated = text.startswith("!")
    if negated or text.startswith("\\"):  # `\!`, `\#`: the character itself
        text = text[1:]
    dir_only = text.endswith("/")
    text = text.rstrip("/")
    anchored = "/" in text
    return negated, text.lstrip("/"), dir_only, anchored


def _glob(pattern: str, path: str) -> bool:
    import re

    out = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if c == "*":
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 2)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append("[^" + body[1:] + "]" if body[:1] == "!" else "[" + body + "]")
                i = end
        elif c == "\\" and i + 1 < len(pattern):
            i += 1
            out.append(re.escape(pattern[i]))
        else:
            out.append(re.escape(c))
        i += 1
    return re.fullmatch("".join(out), path) is not None
