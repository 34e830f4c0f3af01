"""Small pure helpers over tree-sitter nodes of the nix grammar."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Node

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}

# Functions that give a definition a priority (not an order: `mkBefore` merges).
PRIORITIES = frozenset({"mkDefault", "mkForce", "mkOverride", "mkOptionDefault"})

# Functions that wrap a module value without changing which attributes it defines.
WRAPPERS = PRIORITIES | {"mkBefore", "mkAfter", "mkOrder"}


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
    children = node.children
    indented = node.type == "indented_string_expression"
    if not indented and len(children) == 3 and children[1].type == "string_fragment":
        return node_text(children[1], text)  # `"plain"`: most strings
    if any(child.type == "interpolation" for child in children):
        return None
    return "".join(part for part in _parts(children, text, indented) if isinstance(part, str))


def string_parts(node: Node, text: bytes) -> list[str | Node]:
    """A string or path literal as nix reads it: its text (escapes read, the indentation of a
    `''` string stripped) and, in order between the texts, its interpolations' nodes."""
    return _parts(node.children, text, node.type == "indented_string_expression")


def _parts(children: list[Node], text: bytes, indented: bool) -> list[str | Node]:
    parts: list[str | Node] = []
    piece: list[str] = []
    for child in children:
        if child.type in ("string_fragment", "path_fragment"):
            piece.append(node_text(child, text))
        elif child.type == "escape_sequence":
            piece.append(_unescape(node_text(child, text), indented=indented))
        elif child.type == "interpolation":
            if piece:
                parts.append("".join(piece))
                piece = []
            parts.append(child)
        # A dollar_escape is the `\\` of `\\${` or the `''` of `''${`; its `$` follows as a fragment.
    if piece:
        parts.append("".join(piece))
    return _strip_indent(parts) if indented else parts


def _unescape(escape: str, *, indented: bool) -> str:
    """`\\n` -> newline, `\\"` -> `"`; in indented strings `'''` -> `''` and `''\\t` -> tab."""
    if indented and escape == "'''":
        return "''"
    char = escape[-1]
    return _ESCAPES.get(char, char)


def _strip_indent(parts: list[str | Node]) -> list[str | Node]:
    """Nix's rule for `''` strings: a first line of spaces goes; every line loses the smallest
    indentation (in spaces) of the lines with something on them, an interpolation counting as
    something; a last line of spaces goes. Escaped characters count as the text they stand for
    (nix 2.8 reads `''\\n` as a line break here)."""
    if parts and isinstance(parts[0], str):
        first = parts[0]
        end = first.find("\n")
        if end >= 0 and not first[:end].strip(" "):
            parts = [first[end + 1 :], *parts[1:]]
    least: int | None = None
    at_start, indent = True, 0
    for part in parts:
        if not isinstance(part, str):
            if at_start:
                at_start, least = False, indent if least is None else min(least, indent)
            continue
        for n, line in enumerate(part.split("\n")):
            if n:
                at_start, indent = True, 0
            if at_start:
                rest = line.lstrip(" ")
                indent += len(line) - len(rest)
                if rest:
                    at_start, least = False, indent if least is None else min(least, indent)
    cut = least if least is not None else len("".join(p for p in parts if isinstance(p, str)))
    out: list[str | Node] = []
    at_start, dropped = True, 0
    for n, part in enumerate(parts):
        if not isinstance(part, str):
            at_start, dropped = False, 0
            out.append(part)
            continue
        lines = part.split("\n")
        for i, line in enumerate(lines):
            if i:
                at_start, dropped = True, 0
            if at_start:
                rest = line.lstrip(" ")
                spaces = len(line) - len(rest)
                lines[i] = line[max(0, min(spaces, cut - dropped)) :]
                dropped += spaces
                at_start = not rest
        if n == len(parts) - 1 and len(lines) > 1 and not lines[-1].strip(" "):
            lines[-1] = ""
        out.append("\n".join(lines))
    return out


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


def let_binding(let: Node, name: str, text: bytes) -> tuple[Node, bool] | None:
    """What `let` binds `name` to: the value written (`name = v;`), or the set it is inherited
    from (`inherit (x) name;`), and whether it is inherited; None: this `let` does not bind it
    that way."""
    for binding in bindings_of(let):
        if binding.type == "binding":
            path = binding.child_by_field_name("attrpath")
            names = path.children_by_field_name("attr") if path is not None else []
            value = binding.child_by_field_name("expression")
            if len(names) == 1 and value is not None and node_text(names[0], text) == name:
                return value, False
        elif binding.type == "inherit_from":
            attrs = binding.child_by_field_name("attrs")
            origin = binding.child_by_field_name("expression")
            inherited = named_children(attrs) if attrs is not None else []
            if origin is not None and any(node_text(n, text) == name for n in inherited):
                return origin, True
    return None


def ancestors(node: Node) -> Iterator[Node]:
    parent = node.parent
    while parent is not None:
        yield parent
        parent = parent.parent
