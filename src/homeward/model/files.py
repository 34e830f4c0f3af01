"""What is on disk in the repository, listed once by the loader: the planners ask this read-only
snapshot whether a path is taken instead of asking the disk, so planning stays pure.

The text of a file is the loader's too (`Repo.ev.source`, read once and cached).
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

    files: frozenset[PurePosixPath]
    dirs: frozenset[PurePosixPath]

    def has_file(self, rel: PurePosixPath | str) -> bool:
        return PurePosixPath(rel) in self.files

    def has_dir(self, rel: PurePosixPath | str) -> bool:
        return PurePosixPath(rel) in self.dirs

    def taken(self, rel: PurePosixPath | str) -> bool:
        return self.has_file(rel) or self.has_dir(rel)


def list_files(root: Path) -> Snapshot:
    """Walk `root` (not `.git`; symlinked directories only when they stay inside and do not
    lead back up) into a Snapshot."""
    real_root = os.path.realpath(root)
    files: set[PurePosixPath] = set()
    dirs: set[PurePosixPath] = {PurePosixPath(".")}
    for current, dirnames, filenames in os.walk(root, followlinks=True):
        here = PurePosixPath(Path(current).relative_to(root).as_posix())
        real = os.path.join(os.path.realpath(current), "")
        files.update(here / f for f in filenames)
        kept = []
        for d in dirnames:
            if d in SKIPPED_DIRS:
                continue
            dirs.add(here / d)
            target = os.path.join(os.path.realpath(os.path.join(current, d)), "")
            # Outside the repository: there, never followed. An ancestor: a cycle.
            if target.startswith(os.path.join(real_root, "")) and not real.startswith(target):
                kept.append(d)
        dirnames[:] = kept
    return Snapshot(frozenset(files), frozenset(dirs))
