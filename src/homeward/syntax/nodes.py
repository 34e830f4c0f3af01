"""Small pure helpers over tree-sitter nodes of the nix grammar."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}

# Functions that wrap a module value without changing which attributes it defines.
WRAPPERS = frozenset(
    {"mkDefault", "mkForce", "mkOverride", "mkBefore", "mkAfter", "mkOrder", "mkOptionDefault"}
)


def node_text(node: Node, text: bytes) -> str:
    return text[node.start_byte : node.end_byte].decode()


def named_children(node: Node) -> list[Node]:
    return [c for c in node.children if c.is_named and c.type != "comment"]


def unparen(node: Node) -> Node:
    """Strip parentheses: `((x))` is `x`."""
    while node.type == "parenthesized_expression":
        inner = node.child_by_field_name("expression")
        if inner is None:
            break
        node = inner
    return node


def string_value(node: Node, text: bytes) -> str | None:
    """The value of a string literal without interpolation, or None when it is dynamic."""
    node = unparen(node)
    if node.type not in ("string_expression", "indented_string_expression"):
        return None
    parts: list[str] = []
    indented = node.type == "indented_string_expression"
    for child in node.children:
        if child.type == "interpolation":
            return None
        if child.type == "string_fragment":
            parts.append(node_text(child, text))
        elif child.type == "escape_sequence":
            parts.append(_unescape(node_text(child, text), indented=indented))
        # A dollar_escape is the `\\` of `\\${` or the `''` of `''${`; its `$` follows as a fragment.
    value = "".join(parts)
    return _strip_indent(value) if indented else value


def _unescape(escape: str, *, indented: bool) -> str:
    """`\\n` -> newline, `\\"` -> `"`; in indented strings `'''` -> `''` and `''\\t` -> tab."""
    if indented and escape == "'''":
        return "''"
    char = escape[-1]
    return _ESCAPES.get(char, char)


def _strip_indent(value: str) -> str:
    lines = value.split("\n")
    if lines and not lines[0].strip():
        lines = lines[1:]
    widths = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(widths, default=0)
    return "\n".join(line[cut:] for line in lines)


def attr_name(node: Node, text: bytes) -> str | None:
    """The name of one attribute in an attrpath: `a`, `"a b"`; None for `${x}` or `"${x}"`."""
    if node.type == "identifier":
        return node_text(node, text)
    if node.type == "string_expression":
        return string_value(node, text)
    return None


def attrpath_names(attrpath: Node, text: bytes) -> list[str | None]:
    return [attr_name(a, text) for a in attrpath.children_by_field_name("attr")]


def call_parts(node: Node) -> tuple[Node, list[Node]]:
    """`f a b` -> (f, [a, b]); anything else -> (node, [])."""
    args: list[Node] = []
    node = unparen(node)
    while node.type == "apply_expression":
        fn = node.child_by_field_name("function")
        arg = node.child_by_field_name("argument")
        if fn is None or arg is None:
            break
        args.append(arg)
        node = unparen(fn)
    args.reverse()
    return node, args


def dotted_name(node: Node, text: bytes) -> str | None:
    """`lib.mkIf` -> "lib.mkIf", `mkIf` -> "mkIf"; None for anything not a plain name."""
    node = unparen(node)
    if node.type == "variable_expression":
        return node_text(node, text)
    if node.type == "select_expression" and node.child_by_field_name("default") is None:
        base = node.child_by_field_name("expression")
        path = node.child_by_field_name("attrpath")
        if base is None or path is None:
            return None
        head = dotted_name(base, text)
        names = attrpath_names(path, text)
        if head is None or any(n is None for n in names):
            return None
        return ".".join([head, *(n for n in names if n is not None)])
    return None


def function_leaf(name: str | None) -> str | None:
    """The last segment of a dotted function name: `lib.mkIf` -> `mkIf`."""
    return name.rsplit(".", 1)[-1] if name else None


def bindings_of(attrset: Node) -> Iterator[Node]:
    """The binding/inherit nodes of an attrset or let expression, in order."""
    for child in attrset.children:
        if child.type == "binding_set":
            yield from (
                b for b in child.children if b.type in ("binding", "inherit", "inherit_from")
            )


def ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent
