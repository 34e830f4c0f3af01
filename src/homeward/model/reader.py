"""The files the evaluator reads: real paths and the names users see, sources parsed once and
cached, what nix sees (the files git tracks), and the planned tree (`load_planned`'s overlay:
the texts a plan would write, read instead of the disk)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path

from homeward.errors import HomewardError
from homeward.model.files import Tracked, ignore_rule, tracked_files
from homeward.syntax.parse import (
    Source,
    duplicate_query,
    find_duplicate,
    parse_source,
    read_source,
)

MAX_UNPARSED_BYTES = 1 << 22
"""Past this size a file that does not parse is not looked into for what it names."""


class Reader:
    """The files under one root as the evaluator reads them (model/eval.py's `files`)."""

    def __init__(
        self,
        root: Path,
        overlay: Mapping[str, bytes | None] | None = None,
        boundary: Path | None = None,
    ) -> None:
        """`overlay`: repo-relative paths whose content is given (None: the file is gone), read
        instead of the disk: the tree a plan would write, seen before it is written.
        `boundary`: what may be read (the git work tree holding `root`; `root` by default)."""
        self.root = root.resolve()
        self.boundary = (boundary or root).resolve()
        self._bound_prefix = os.path.join(self.boundary, "")
        self._sources: dict[str, Source] = {}  # by real path
        self._parsed: dict[str, Source] = {}  # overlay texts parsed already (`take_parsed`)
        self._prefix = os.path.join(self.root, "")
        self._real_dirs: dict[str, str] = {}
        self._real: dict[str, tuple[str, int | None]] = {}
        self._shown: dict[str, Path] = {}
        # Told of each file read, by its real path. Why a string: a `Path` for each of
        # thousands of files cost more than telling a progress bar of them.
        self.on_read: Callable[[str], None] | None = None
        # Files whose check for names defined twice waits for `duplicates_found` (None: each
        # file is checked as it is read). See `load_repo`.
        self.unchecked: list[Source] | None = None
        self._twice = False  # a file in `unchecked` defined a name twice
        self._tracked: list[Tracked | None] = []  # what git tracks, read on first use
        self._overlay = {
            os.path.normpath(os.path.join(self.root, k)): v for k, v in (overlay or {}).items()
        }
        self._overlay_dirs = {
            os.path.dirname(os.path.normpath(os.path.join(self.root, k)))
            for k, v in (overlay or {}).items()
            if v is not None
        }
        for directory in list(self._overlay_dirs):
            while directory.startswith(self._prefix):
                directory = os.path.dirname(directory)
                self._overlay_dirs.add(directory)

    @property
    def tracked(self) -> Tracked | None:
        """The files git tracks around the flake (rule 12: what nix sees), None outside git."""
        if not self._tracked:
            self._tracked.append(tracked_files(self.root))
        return self._tracked[0]

    def ignored_by(self, path: Path) -> tuple[str, int, str] | None:
        """The rule that makes git ignore `path` (relative to the root, or absolute) as
        `model.files.ignore_rule` gives it; None outside git, or when no rule does."""
        tracked = self.tracked
        real = (self.root / path).resolve()
        if tracked is None or not real.is_relative_to(tracked.top):
            return None
        return ignore_rule(tracked.top, real.relative_to(tracked.top).as_posix())

    def untracked(self, real: str) -> bool:
        """Whether nix does not see the real path `real` of the work tree (rule 12): in git,
        neither a tracked file nor a directory holding one, and not written by the plan (the
        overlay's new files are added with intent). Whether anything is there on disk is
        the caller's question: this is what makes a file that is there count as missing."""
        if self._overlay and (real in self._overlay or real in self._overlay_dirs):
            return False
        tracked = self.tracked
        return tracked is not None and not tracked.holds(real)

    def hidden_at(self, path: str) -> str | None:
        """The real path nix does not see on the way to the file or directory `path` names,
        when something is there on disk: the path itself, or the symlink leading to it
        (untracked, or leading to what is untracked). None: nix sees it, or nothing is there."""
        if self.tracked is None:
            return None  # outside git (or an index homeward does not read): every file counts
        real, mode = self.real(path)
        if mode is not None:  # not a symlink: nothing is there, or it is what nix sees
            return real if mode and self.untracked(real) else None
        if not os.path.exists(real):
            return None
        if self.untracked(real):
            return real
        parent, name = os.path.split(os.path.abspath(path))
        link = os.path.join(self._real_dirs.get(parent) or os.path.realpath(parent), name)
        return link if self.untracked(link) else None

    @property
    def real_paths(self) -> list[str]:
        """The real paths of the files read so far, in the order they were read."""
        return list(self._sources)

    def sources_holding(self, word: bytes) -> dict[Path, Source]:
        """The files read so far whose text holds `word`, by their real path. Why: a `Path`
        for each of thousands of files cost more than the look for a word in their text."""
        return {Path(real): s for real, s in self._sources.items() if word in s.text}

    @property
    def count(self) -> int:
        """How many files were read."""
        return len(self._sources)

    def source_of(self, path: Path) -> Source | None:
        """The source of a file already read, if it was."""
        return self._sources.get(self.real(os.fspath(path))[0])

    def resolve(self, path: Path) -> Path:
        """`path.resolve()`, with the directories' real paths cached."""
        return Path(self.real(os.fspath(path))[0])

    def real(self, path: str, *, normal: bool = False) -> tuple[str, int | None]:
        """`path.resolve()` as a string, and the mode of what it names when that is known
        (0: nothing is there; None: not known, stat it).

        Why strings and a cache: resolving stats every component of the path; on a tree of
        thousands of modules that cost more than parsing them. Only the last component is
        looked at per file, with one `lstat` that also answers what the caller asks next.
        `normal`: `path` is already absolute and normalized (`os.path.abspath` would keep it).
        """
        found = self._real.get(path)
        if found is None:
            full = path if normal else os.path.abspath(path)
            # `os.path.split` and `os.path.join`, as text: `full` is absolute and normalized.
            parent, _, name = full.rpartition("/")
            if parent[-1:] == "/" or not parent.strip("/"):
                parent, name = os.path.split(full)
            real = self._real_dirs.get(parent)
            if real is None:
                real = self._real_dirs[parent] = os.path.realpath(parent)
            candidate = f"{real}{name}" if real[-1:] == "/" else f"{real}/{name}"
            mode: int | None = None
            if self._overlay and (candidate in self._overlay or candidate in self._overlay_dirs):
                found = self._real[path] = (candidate, self._overlay_mode(candidate))
                return found
            try:
                mode = os.lstat(candidate).st_mode
            except (OSError, ValueError):  # as `os.path.islink` answers: not a link
                pass
            else:
                if stat.S_ISLNK(mode):
                    candidate, mode = os.path.realpath(candidate), None
            if candidate == path:
                candidate = path  # Why: one string kept, not two alike (thousands of files)
            found = self._real[path] = (candidate, mode)
        return found

    @property
    def planned(self) -> bool:
        """Whether files are read through an overlay (the tree a plan would write)."""
        return bool(self._overlay)

    def planned_at(self, real: str) -> str | None:
        """What the overlay decides at the real path `real`: "file" (it writes one there),
        "gone" (it removes the file), "directory" (it writes a file under it), None: nothing
        (the disk answers)."""
        if real in self._overlay:
            return "gone" if self._overlay[real] is None else "file"
        return "directory" if real in self._overlay_dirs else None

    def _overlay_mode(self, real: str) -> int:
        if real in self._overlay:
            return stat.S_IFREG if self._overlay[real] is not None else 0
        return stat.S_IFDIR

    def is_file(self, path: str) -> bool:
        """`os.path.isfile`, as nix sees it: as the overlay has it; in git, tracked (rule 12)."""
        if self._overlay:
            real, mode = self.real(path)
            if real in self._overlay or real in self._overlay_dirs:
                return mode == stat.S_IFREG
        return os.path.isfile(path) and self.hidden_at(path) is None

    def is_dir(self, path: str) -> bool:
        """`os.path.isdir`, as nix sees it: as the overlay has it; in git, holding a tracked
        file (rule 12)."""
        if self._overlay and self.real(path)[0] in self._overlay_dirs:
            return True
        if self._overlay and self.real(path)[0] in self._overlay:
            return False
        return os.path.isdir(path) and self.hidden_at(path) is None

    def planned_listing(self, directory: Path, listing: dict[str, str]) -> dict[str, str]:
        """`listing`, what `readDir directory` finds on disk (or in git), as the planned tree
        has it: a file the overlay writes there is a regular file (new files are added to git
        with intent), one it removes is gone, a directory it makes is a directory. Why: a host
        that lists a directory reads the module a plan creates there, as nix will."""
        if not self._overlay:
            return listing
        real = self.real(os.fspath(directory))[0]
        found = dict(listing)
        for path, text in self._overlay.items():
            if os.path.dirname(path) == real:
                if text is None:
                    found.pop(os.path.basename(path), None)
                else:
                    found[os.path.basename(path)] = "regular"
        for path in self._overlay_dirs:
            if path != real and os.path.dirname(path) == real:
                found.setdefault(os.path.basename(path), "directory")
        return dict(sorted(found.items())) if found != listing else listing

    def seen_by_nix(self, path: Path) -> str | None:
        """What nix sees at `path` in the work tree, as `builtins.readDir` names it (`regular`,
        `directory`, `symlink`), None when nothing: in git the tracked files (rule 12), the
        planned tree where the overlay has it, else the disk."""
        text = os.path.normpath(path)
        if self._overlay:
            real = self.real(text, normal=True)[0]
            if real in self._overlay:
                return "regular" if self._overlay[real] is not None else None
            if real in self._overlay_dirs:
                return "directory"
        tracked = self.tracked
        if tracked is not None:
            if text == os.fspath(tracked.top):
                return "directory"
            listing = tracked.read_dir(Path(os.path.dirname(text)))
            if listing is not None:
                return listing.get(os.path.basename(text))
        try:
            mode = os.lstat(text).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(mode):
            return "symlink"
        return "directory" if stat.S_ISDIR(mode) else "regular"

    def read_bytes(self, path: Path, limit: int) -> bytes | None:
        """The bytes of the regular file `path` (the overlay's when it has them), None when
        it cannot be read or is larger than `limit`."""
        real = self.real(os.path.normpath(path), normal=True)[0]
        if real in self._overlay:
            return self._overlay[real]
        try:
            with open(real, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            return None
        return data if len(data) <= limit else None

    def share_sources(self, other: Reader) -> None:
        """Take the files `other` has parsed already, except those the overlay replaces."""
        for real, source in other._sources.items():
            if real not in self._overlay:
                self._sources.setdefault(real, source)
        # And what `real` and `shown_real` found on disk (the same root and boundary), except
        # where the overlay decides: a second read of the tree stats nothing it has not changed.
        if self.root != other.root or self.boundary != other.boundary:
            return
        if other._tracked and not self._tracked:
            self._tracked.append(other._tracked[0])  # the same index: read once
        changed = self._overlay.keys() | self._overlay_dirs
        for directory, real in other._real_dirs.items():
            self._real_dirs.setdefault(directory, real)
        for path, found in other._real.items():
            if found[0] not in changed and os.path.abspath(path) not in changed:
                self._real.setdefault(path, found)
        for real, shown in other._shown.items():
            self._shown.setdefault(real, shown)

    def take_parsed(self, parsed: Mapping[str, Source]) -> None:
        """Sources of the overlay's texts parsed and checked already (a plan's validation), by
        repo-relative path: each is taken only where it is what `source_at` would make, the
        overlay's very bytes under the name the file is shown by."""
        for rel, source in parsed.items():
            real = os.path.normpath(os.path.join(self.root, rel))
            text = self._overlay.get(real)
            if text is not None and source.text == text and source.path == self.shown_real(real):
                self._parsed[real] = source

    def shown(self, path: Path) -> Path:
        return self.shown_real(self.real(os.fspath(path))[0], path)

    def shown_real(self, real: str, path: Path | None = None) -> Path:
        """The path users see for the real path `real`: repo-relative when it is in the repo."""
        found = self._shown.get(real)
        if found is None:
            inside = real.startswith(self._prefix)
            if inside:
                found = Path(real[len(self._prefix) :])
            elif real.startswith(self._bound_prefix):
                # In the work tree, beside the flake's directory (`../modules/x.nix`).
                found = Path(os.path.relpath(real, self.root))
                inside = True
            else:
                found = path or Path(real)
            if inside:
                self._shown[real] = found
        return found

    def source(self, path: Path) -> Source:
        real, mode = self.real(os.fspath(path))
        return self.source_at(real, mode)

    def source_as_read(self, path: Path) -> tuple[Source, bool] | None:
        """The file `path` as far as it can be read, for what it names: its source and True
        where it parses (`source`); where it does not (Nix's `|>`, which homeward's parser does
        not know; a name defined twice), its tree with what does not parse in ERROR nodes, and
        False: the rest of the tree is there, its path literals with it. None: it cannot be
        read at all (not text, larger than `MAX_UNPARSED_BYTES`, not there)."""
        try:
            return self.source(path), True
        except HomewardError:
            pass
        text = self.read_bytes(path, MAX_UNPARSED_BYTES)
        if text is None:
            return None
        try:
            return parse_source(text, self.shown(path)), False
        except HomewardError:
            return None

    def source_at(self, real: str, mode: int | None = None) -> Source:
        """The file at the real path `real` (from `real()`, with its mode when known), read once."""
        found = self._sources.get(real)
        if found is None and self._overlay.get(real) is not None:
            text = self._overlay[real]
            assert text is not None
            # The planned tree (`load_planned`): never read with the check deferred.
            found = self._parsed.get(real) or parse_source(text, self.shown_real(real)).check()
            self._sources[real] = found
        if found is None:
            regular = mode is not None and stat.S_ISREG(mode)
            found = read_source(real, self.shown_real(real), regular=regular)
            found.check(duplicates=self.unchecked is None)
            self._sources[real] = found
            if self.unchecked is not None:
                self.unchecked.append(found)
            if self.on_read is not None:
                self.on_read(real)
        return found

    def check_read(self) -> None:
        """Look for a name defined twice in the files read since the last look, in one batch
        (before their trees are let go: `release`)."""
        unchecked = self.unchecked
        if unchecked:
            if not self._twice:
                query = duplicate_query()
                self._twice = any(
                    find_duplicate(s.root, s.text, query) is not None
                    for s in unchecked
                    if not s.no_duplicates
                )
            unchecked.clear()

    def duplicates_found(self) -> bool:
        """Whether a file read since `unchecked` was set defines a name twice; from now on,
        each file is checked as it is read."""
        self.check_read()
        self.unchecked = None
        return self._twice

    def release(self, sources: list[Source]) -> None:
        """Let go the trees of `sources` (files whose modules are read) that no node is held
        of, once checked for names defined twice (`Source.release`)."""
        self.check_read()
        for source in sources:
            source.release()
        sources.clear()

    def release_all(self) -> None:
        """`release` every file read."""
        self.release(list(self._sources.values()))

    def import_target(self, path: Path) -> Path:
        """The file `import path` reads: `path` resolved, a directory meaning its default.nix."""
        path = path.resolve()
        return path / "default.nix" if self.is_dir(os.fspath(path)) else path
