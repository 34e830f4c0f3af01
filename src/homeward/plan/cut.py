"""The cut phase: what leaves the files definitions moved out of. Pure functions over the
model and the plan's decisions, returning edits: moved bindings and the sets they leave empty,
`let` bindings only moved code read, imports of removed files, and comments' places.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.model.repo import Context, ModuleInfo, ModuleKind
from homeward.plan.nixcode import relative_import, splice
from homeward.plan.types import Edit
from homeward.syntax.edit import removal_keeping_comments
from homeward.syntax.nodes import bindings_of, named_children, node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source


def dead_let_edits(info: ModuleInfo, gone: list[Node], carried: set[int]) -> list[Edit]:
    """Remove `let` bindings only moved code read; a `let` left with nothing goes whole."""
    edits: list[Edit] = []
    by_let: dict[int, list[Node]] = defaultdict(list)
    lets: dict[int, Node] = {}
    for binding in dead_lets(info, gone, carried):
        let = binding.parent.parent if binding.parent is not None else None
        if let is not None:
            by_let[let.start_byte].append(binding)
            lets[let.start_byte] = let
    why = "used only by moved code"
    for start, bindings in by_let.items():
        let = lets[start]
        body = let.child_by_field_name("body")
        whole = len(bindings) == len(list(bindings_of(let)))
        if (
            whole
            and body is not None
            and not comments_between(let.start_byte, body.start_byte, info.source)
        ):
            edits.append(Edit(Path(info.source.path), let.start_byte, body.start_byte, b"", why))
            continue
        for binding in bindings:
            span = removal_keeping_comments(binding, info.source.text)
            edits.append(splice(Path(info.source.path), span, why))
    return edits


def dead_lets(info: ModuleInfo, gone: list[Node], carried: set[int]) -> list[Node]:
    """`let` bindings that moved code took along (`carried`) and nothing left in the file
    reads."""
    from homeward.plan.chunks import _binder

    src = info.source
    dead = []
    for start in sorted(carried):
        node = src.root.descendant_for_byte_range(start, start + 1)
        while node is not None and node.type != "binding":
            node = node.parent
        if node is None or node.start_byte != start or node.parent is None:
            continue
        scope = node.parent.parent  # binding_set -> let_expression
        if scope is None or scope.type != "let_expression":
            continue
        path = node.child_by_field_name("attrpath")
        name = node_text(path, src.text) if path is not None else ""
        used = False
        stack = [scope]
        while stack and not used:
            current = stack.pop()
            if (
                current.type == "variable_expression"
                and node_text(current, src.text) == name
                and not within(current, node)
                and not any(within(current, g) for g in gone)
            ):
                kind, binder = _binder(name, current, current, src.text)
                used = kind == "let" and binder == node
            stack.extend(current.children)
        if not used:
            dead.append(node)
    return dead


def import_edits(
    modules: Iterable[ModuleInfo], emptied: AbstractSet[str], replacements: Mapping[str, str | None]
) -> list[Edit]:
    """Imports of the files the plan removed or split, in every NixOS module that stays: an
    import of a removed file goes (the `imports` binding too when nothing is left in it), an
    import of a user file points at what it left behind (`replacements`: path -> new path)."""
    edits: list[Edit] = []
    # Why each import's path looked up once and the new imports' text kept: this reads every
    # import of every module (8,600 at 200 hosts) for the few files the plan removed or split.
    written: dict[tuple[str, Path], str] = {}
    for info in modules:
        if info.key in emptied or info.context is not Context.NIXOS:
            continue
        hits = [
            (ref, key)
            for ref in info.imports
            if ref.kind is ModuleKind.FILE
            and ref.path is not None
            and (key := str(ref.path)) in replacements
        ]
        if not hits:
            continue
        dropped = [ref for ref, key in hits if replacements[key] is None and ref.node is not None]
        if dropped and len(dropped) == len(info.imports):
            # Every import goes: the `imports` binding goes too (not `imports = [ ];`).
            whole = [
                d
                for d in info.module.find_exact(("imports",))
                if unparen(d.value).type == "list_expression"
            ]
            if len(whole) == 1 and len(named_children(unparen(whole[0].value))) == len(dropped):
                span = removal_keeping_comments(whole[0].binding, info.source.text)
                edits.append(splice(Path(info.source.path), span, "no imports left"))
                continue
        for ref, key in hits:
            if ref.node is None or ref.source is None:
                continue
            new = replacements[key]
            src = ref.source
            if new is None:
                span = removal_keeping_comments(ref.node, src.text)
                edits.append(splice(Path(src.path), span, f"`{ref.path}` moved to home-manager"))
            else:
                rel = written.get((new, src.path))
                if rel is None:
                    here = PurePosixPath(src.path).parent
                    rel = written[(new, src.path)] = relative_import(PurePosixPath(new), here)
                edits.append(
                    Edit(
                        Path(src.path),
                        ref.node.start_byte,
                        ref.node.end_byte,
                        rel.encode(),
                        f"system part of `{ref.path}` now in `{new}`",
                    )
                )
    return edits


def within(node: Node, outer: Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def outermost_only(nodes: list[Node]) -> list[Node]:
    return [
        n
        for n in nodes
        if not any(
            o is not n and within(n, o) and (o.start_byte, o.end_byte) != (n.start_byte, n.end_byte)
            for o in nodes
        )
    ]


def comments_between(start: int, end: int, source: Source) -> bool:
    return any(start <= c.start_byte < end for c in comment_nodes(source.root))


def gone_binding(binding: Node, removed: list[Node]) -> bool:
    """A binding that is removed, or whose attrset value would be left with nothing."""
    if any(within(binding, r) for r in removed):
        return True
    value = binding.child_by_field_name("expression") if binding.type == "binding" else None
    if value is None or unparen(value).type not in ("attrset_expression", "rec_attrset_expression"):
        return False
    inner = list(bindings_of(unparen(value)))
    return bool(inner) and all(gone_binding(b, removed) for b in inner)


def outermost_empty(node: Node, removed: list[Node]) -> Node:
    """Climb from a removed binding to the outermost binding it would leave empty."""
    current = node
    while True:
        parent_set = (
            current.parent.parent if current.parent is not None else None
        )  # binding_set -> attrset
        if parent_set is None or parent_set.type not in (
            "attrset_expression",
            "rec_attrset_expression",
        ):
            return current
        siblings = list(bindings_of(parent_set))
        if not all(gone_binding(s, [*removed, current]) for s in siblings):
            return current
        holder = parent_set.parent
        while holder is not None and holder.type == "parenthesized_expression":
            holder = holder.parent
        if holder is not None and holder.type == "apply_expression":
            # `lib.mkIf cond { ... }` as an element of `lib.mkMerge [ ... ]`: the element goes.
            element = holder
            while element.parent is not None and element.parent.type == "parenthesized_expression":
                element = element.parent
            if element.parent is not None and element.parent.type == "list_expression":
                return element
        if holder is None or holder.type != "binding":
            return current
        current = holder


def comment_nodes(root: Node) -> list[Node]:
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            found.append(node)
        stack.extend(reversed(node.children))
    return found
