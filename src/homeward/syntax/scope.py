"""Which names an expression reads from outside itself (its free variables). Pure.

Moving code between files is only exact when every name it reads means the same thing in its
new home: `pkgs` and `lib` do, `config` does not (it becomes home-manager's config), and names
bound by a `let` in the old file must come along.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeward.syntax.nodes import bindings_of, node_text

if TYPE_CHECKING:
    from tree_sitter import Node

BUILTIN_NAMES = frozenset(
    {
        "true",
        "false",
        "null",
        "builtins",
        "import",
        "map",
        "toString",
        "throw",
        "abort",
        "baseNameOf",
        "dirOf",
        "derivation",
        "isNull",
        "removeAttrs",
        "fetchTarball",
        "fetchGit",
        "fetchurl",
        "__curPos",
        "placeholder",
        "scopedImport",
    }
)


def free_variables(node: Node, text: bytes) -> dict[str, list[Node]]:
    """Free names of `node` and where each is read; names under `with` are reported too
    (with marks them as maybe-from-the-with-scope via `with_scoped`)."""
    found: dict[str, list[Node]] = {}
    _walk(node, text, frozenset(), found)
    return found


def with_scoped(node: Node) -> bool:
    """True when a variable node sits under a `with` inside the expression it was found in."""
    parent = node.parent
    while parent is not None:
        if parent.type == "with_expression":
            return True
        parent = parent.parent
    return False


def _bound_by_bindings(container: Node, text: bytes) -> set[str]:
    names: set[str] = set()
    for b in bindings_of(container):
        if b.type == "binding":
            attrpath = b.child_by_field_name("attrpath")
            if attrpath is not None:
                first = attrpath.children_by_field_name("attr")
                if first and first[0].type == "identifier":
                    names.add(node_text(first[0], text))
        else:
            attrs = b.child_by_field_name("attrs")
            for a in attrs.children_by_field_name("attr") if attrs else ():
                if a.type == "identifier":
                    names.add(node_text(a, text))
    return names


# What the walk does with a node: read it as an expression, as a set's bindings (or an
# expression), as an attribute path, or as an `inherit` (whose names are read where it stands).
_EXPR, _BINDINGS, _ATTRPATH, _INHERIT = 0, 1, 2, 3
_Work = tuple["Node", frozenset[str], int]


def _walk(root: Node, text: bytes, bound: frozenset[str], found: dict[str, list[Node]]) -> None:
    """Depth first, in source order, with an explicit stack (issue 10: nix accepts a
    `1 + 1 + …` of any length, and its syntax tree is that deep)."""
    stack: list[_Work] = [(root, bound, _EXPR)]
    while stack:
        node, scope, mode = stack.pop()
        later: list[_Work] = []  # in source order; pushed reversed
        if mode == _ATTRPATH:
            later = [(a, scope, _EXPR) for a in _dynamic_attrs(node)]
        elif mode == _INHERIT:
            _inherited(node, text, scope, found)
        elif mode == _BINDINGS:
            later = _binding_work(node, scope)
        else:
            later = _expression_work(node, text, scope, found)
        stack.extend(reversed(later))


def _dynamic_attrs(attrpath: Node) -> list[Node]:
    return [a for a in attrpath.children_by_field_name("attr") if a.type != "identifier"]


def _expression_work(
    node: Node, text: bytes, bound: frozenset[str], found: dict[str, list[Node]]
) -> list[_Work]:
    kind = node.type
    if kind == "variable_expression":
        name = node_text(node, text)
        if name not in bound and name not in BUILTIN_NAMES:
            found.setdefault(name, []).append(node)
        return []
    if kind == "function_expression":
        names: set[str] = set()
        later: list[_Work] = []
        universal = node.child_by_field_name("universal")
        if universal is not None:
            names.add(node_text(universal, text))
        formals = node.child_by_field_name("formals")
        if formals is not None:
            for formal in formals.children_by_field_name("formal"):
                formal_name = formal.child_by_field_name("name")
                if formal_name is not None:
                    names.add(node_text(formal_name, text))
            inner = bound | names
            for formal in formals.children_by_field_name("formal"):
                default = formal.child_by_field_name("default")
                if default is not None:
                    later.append((default, inner, _EXPR))
        body = node.child_by_field_name("body")
        if body is not None:
            later.append((body, bound | names, _EXPR))
        return later
    if kind == "let_expression" or kind == "rec_attrset_expression":
        inner = bound | _bound_by_bindings(node, text)
        return [(child, inner, _BINDINGS) for child in node.children]
    if kind == "attrset_expression":
        return [(child, bound, _BINDINGS) for child in node.children]
    if kind == "select_expression":
        base = node.child_by_field_name("expression")
        attrpath = node.child_by_field_name("attrpath")
        default = node.child_by_field_name("default")
        return [
            *([(base, bound, _EXPR)] if base is not None else []),
            *([(attrpath, bound, _ATTRPATH)] if attrpath is not None else []),
            *([(default, bound, _EXPR)] if default is not None else []),
        ]
    if kind == "has_attr_expression":
        base = node.child_by_field_name("expression")
        return [(base, bound, _EXPR)] if base is not None else []
    return [(child, bound, _EXPR) for child in node.children if child.is_named]


def _inherited(
    node: Node, text: bytes, bound: frozenset[str], found: dict[str, list[Node]]
) -> None:
    attrs = node.child_by_field_name("attrs")
    for a in attrs.children_by_field_name("attr") if attrs else ():
        name = node_text(a, text)
        if a.type == "identifier" and name not in bound and name not in BUILTIN_NAMES:
            found.setdefault(name, []).append(a)


def _binding_work(node: Node, bound: frozenset[str]) -> list[_Work]:
    if node.type != "binding_set":
        return [(node, bound, _EXPR)] if node.is_named and node.type != "comment" else []
    later: list[_Work] = []
    for b in node.children:
        if b.type == "binding":
            attrpath = b.child_by_field_name("attrpath")
            if attrpath is not None:
                later.append((attrpath, bound, _ATTRPATH))
            value = b.child_by_field_name("expression")
            if value is not None:
                later.append((value, bound, _EXPR))
        elif b.type == "inherit":
            later.append((b, bound, _INHERIT))
        elif b.type == "inherit_from":
            expr = b.child_by_field_name("expression")
            if expr is not None:
                later.append((expr, bound, _EXPR))
    return later
