"""What homeward itself wrote and nobody has committed or changed since: not "changes to protect".

A clean work tree is required so that the user can review and undo exactly what a run did. The
files an earlier `init`, `add` or `migrate` wrote are that run's own, still uncommitted: refusing
them made `add` right after `init`, or two `add`s in a row, fail. After every apply the SHA-256 of
each path it wrote (or `null` for a path it removed) is recorded in the git dir
(`.git/homeward/written.json`, never in the configuration directory, which a `path:` flake copies
into the store); `ensure_clean` lets a dirty path pass while its bytes are still exactly those.
A path the user edits afterwards is theirs again, and refused.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

RECORD = Path("homeward") / "written.json"


def _digest(path: Path) -> str | None:
    import hashlib  # Why here: it loads OpenSSL (3.5 MiB), which a reading command never needs

    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    except OSError:
        return None


def _load(git_dir: Path) -> dict[str, str | None]:
    try:
        data = json.loads((git_dir / RECORD).read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(k): v if isinstance(v, str) else None for k, v in data.items()}


def record_written(top: Path, git_dir: Path, root: Path, paths: Iterable[Path]) -> None:
    """Remember the bytes now at `paths` (relative to `root`, in the work tree whose top level
    is `top`) as homeward's own writes."""
    record = _load(git_dir)
    base = root.resolve()
    for rel in paths:
        absolute = Path(os.path.normpath(base / rel))
        record[absolute.relative_to(top).as_posix()] = _digest(absolute)
    target = git_dir / RECORD
    try:
        target.parent.mkdir(exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        os.replace(tmp, target)
    except OSError:  # only a convenience: without it the next run asks for a commit
        return


def homewards_own(top: Path, git_dir: Path, dirty: Iterable[str]) -> set[str]:
    """Of the dirty paths (relative to `top`), those still exactly as homeward left them."""
    record = _load(git_dir)
    own: set[str] = set()
    for rel in dirty:
        if rel in record and record[rel] == _digest(top / rel):
            own.add(rel)
    return own
