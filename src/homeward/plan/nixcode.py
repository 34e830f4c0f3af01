"""Small pieces of Nix code the planners write: import paths and one-line-or-expanded lists."""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.plan.types import Edit
from homeward.syntax import emit as nix
from homeward.syntax.edit import Span, from_unit, indent_at, indent_unit, reindent
from homeward.syntax.nodes import node_text

if TYPE_CHECKING:
    from tree_sitter import Node


def relative_import(path: PurePosixPath, directory: PurePosixPath) -> str:
    """`path` as a Nix path literal written in a file of `directory`; a directory's
    default.nix is named by the directory (`./home/ham`)."""
    rel = _relative(str(path), str(directory))
    if rel.endswith("/default.nix"):
        rel = rel.removesuffix("/default.nix")
    elif rel == "default.nix":
        rel = "."
    return rel if rel.startswith("../") else f"./{rel}"


def _relative(path: str, directory: str) -> str:
    """`posixpath.relpath` for repo-relative paths, without its `os.getcwd()` per call (this
    runs for every import the wiring writes: thousands in a fleet)."""
    if ".." in path or ".." in directory:
        return posixpath.relpath(path, directory)
    to = [p for p in path.split("/") if p and p != "."]
    here = [p for p in directory.split("/") if p and p != "."]
    same = 0
    while same < len(to) and same < len(here) and to[same] == here[same]:
        same += 1
    return "/".join([".."] * (len(here) - same) + to[same:]) or "."


def list_binding(key: nix.Key, items: list[str]) -> str:
    """`key = [ item ];`, or one item per line when there are several (as nixfmt writes);
    `items` are Nix code."""
    return nix.emit_binding(key, nix.List([nix.Raw(i) for i in items], expand=len(items) > 1))


def splice(path: Path, span: Span, why: str) -> Edit:
    """An edit of `path` that replaces a span with its new text."""
    return Edit(path, span.start_byte, span.end_byte, span.new, why)


def copied_text(node: Node, text: bytes) -> str:
    """Code copied to be written again elsewhere: its lines relative to its first, two spaces
    a level (the inserting edit gives them the file's indentation, issue 11)."""
    copied = reindent(node_text(node, text), indent_at(text, node.start_byte), "")
    return from_unit(copied, indent_unit(text))
