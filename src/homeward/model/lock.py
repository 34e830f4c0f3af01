"""What flake.lock pins: read only, never written (`nix flake lock` owns it)."""

from __future__ import annotations

import json
from pathlib import Path


def locked_modified(root: Path, name: str) -> int | None:
    """When the revision flake.lock pins for the root input `name` was made (its
    `lastModified`, seconds since the epoch); None without a lock, or an entry for it."""
    try:
        data = json.loads((root / "flake.lock").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    nodes = data.get("nodes")
    if not isinstance(nodes, dict):
        return None
    top = nodes.get(data.get("root", "root"))
    inputs = top.get("inputs") if isinstance(top, dict) else None
    key = inputs.get(name) if isinstance(inputs, dict) else None
    node = nodes.get(key) if isinstance(key, str) else None  # a list: it follows another
    locked = node.get("locked") if isinstance(node, dict) else None
    modified = locked.get("lastModified") if isinstance(locked, dict) else None
    return modified if isinstance(modified, int) else None
