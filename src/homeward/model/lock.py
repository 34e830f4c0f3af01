"""What flake.lock pins: read only, never written (`nix flake lock` owns it)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.knowledge.releases import darwin_has_primary_user

if TYPE_CHECKING:
    from homeward.model.repo import FlakeInput


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


def darwin_input(inputs: Mapping[str, FlakeInput], function: str) -> FlakeInput | None:
    """The nix-darwin input a host is built with (`function`: its `darwinSystem`, as called):
    the input it is called from, else the flake's one nix-darwin input; None when unknown."""
    head = function.split(".", 1)[0]
    if head in inputs:
        return inputs[head]
    found = [i for i in inputs.values() if "nix-darwin" in (i.url or "")]
    return found[0] if len(found) == 1 else None


def darwin_primary_user(root: Path, inputs: Mapping[str, FlakeInput], function: str) -> bool | None:
    """Whether the nix-darwin a host is built with has `system.primaryUser` (and so requires it
    for user-level defaults), by its branch or the revision flake.lock pins; None when which
    nix-darwin builds it is not known (one fact, one place: `check`'s HW020 and `migrate`)."""
    found = darwin_input(inputs, function)
    if found is None:
        return None
    return darwin_has_primary_user(found.url, locked_modified(root, found.name))
