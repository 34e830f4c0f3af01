"""Where a configuration nests deepest: the place to name when a walk gives up (issue 10).

The walks that see deep input keep an explicit stack; the others recurse (a frame or two per
level, cheap since Python 3.11) up to the raised recursion limit, and input nested deeper than
they follow ends as exit 3. This finds the place to name in that
message, with a tree-sitter cursor (iterative: it cannot itself run out of stack), only on that
error path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from homeward.errors import Location

MAX_FILE_BYTES = 64 * 1024 * 1024  # larger files are not parsed again on the error path


@dataclass(frozen=True, slots=True)
class Deepest:
    at: Location  # repo-relative
    depth: int  # syntax-tree levels below the file's root


def deepest_node(text: bytes) -> tuple[int, int]:
    """(depth, start byte) of the most deeply nested node of a Nix text (the first of them)."""
    from homeward.syntax.parse import parse_tree

    cursor = parse_tree(text).walk()
    depth = best = where = 0
    while True:
        if depth > best:
            best, where = depth, cursor.node.start_byte if cursor.node is not None else 0
        if cursor.goto_first_child():
            depth += 1
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return best, where
            depth -= 1


def deepest_in(root: Path, files: list[Path] | None = None) -> Deepest | None:
    """The most deeply nested place among `files` (default: the `.nix` files under `root`, not
    in hidden directories); None when none can be read."""
    if files is None:
        files = []
        for top, dirs, names in os.walk(root):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            files.extend(Path(top) / n for n in sorted(names) if n.endswith(".nix"))
    found: Deepest | None = None
    for path in files:
        try:
            if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
                continue
            text = path.read_bytes()
        except OSError:
            continue
        depth, byte = deepest_node(text)
        if found is None or depth > found.depth:
            rel = Path(os.path.relpath(path, root)) if path.is_absolute() else path
            start = text.rfind(b"\n", 0, byte) + 1
            line = text.count(b"\n", 0, byte) + 1
            col = len(text[start:byte].decode(errors="replace")) + 1
            found = Deepest(Location(rel, line, col), depth)
    return found
