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


def _walk(node: Node, text: bytes, bound: frozenset[str], found: dict[str, list[Node]]) -> None:
    kind = node.type
    if kind == "variable_expression":
        name = node_text(node, text)
        if name not in bound and name not in BUILTIN_NAMES:
            found.setdefault(name, []).append(node)
        return
    if kind == "function_expression":
        names: set[str] = set()
        universal = node.child_by_field_name("universal")
        if universal is not None:
            names.add(node_text(universal, text))
        formals = node.child_by_field_name("formals")
        inner = bound
        if formals is not None:
            for formal in formals.children_by_field_name("formal"):
                formal_name = formal.child_by_field_name("name")
                if formal_name is not None:
                    names.add(node_text(formal_name, text))
            inner = bound | names
            for formal in formals.children_by_field_name("formal"):
                default = formal.child_by_field_name("default")
                if default is not None:
                    _walk(default, text, inner, found)
        body = node.child_by_field_name("body")
        if body is not None:
            _walk(body, text, bound | names, found)
        return
    if kind == "let_expression" or kind == "rec_attrset_expression":
        inner = bound | _bound_by_bindings(node, text)
        for child in node.children:
            _walk_bindings_or(child, text, inner, found)
        return
    if kind == "attrset_expression":
        for child in node.children:
            _walk_bindings_or(child, text, bound, found)
        return
    if kind == "select_expression":
        base = node.child_by_field_name("expression")
        if base is not None:
            _walk(base, text, bound, found)
        attrpath = node.child_by_field_name("attrpath")
        if attrpath is not None:
            _walk_attrpath(attrpath, text, bound, found)
        default = node.child_by_field_name("default")
        if default is not None:
            _walk(default, text, bound, found)
        return
    if kind == "has_attr_expression":
        base = node.child_by_field_name("expression")
        if base is not None:
            _walk(base, text, bound, found)
        return
    for child in node.children:
        if child.is_named:
            _walk(child, text, bound, found)


def _walk_attrpath(
    attrpath: Node, text: bytes, bound: frozenset[str], found: dict[str, list[Node]]
) -> None:
    for attr in attrpath.children_by_field_name("attr"):
        if attr.type != "identifier":
            _walk(attr, text, bound, found)


def _walk_bindings_or(
    node: Node, text: bytes, bound: frozenset[str], found: dict[str, list[Node]]
) -> None:
    if node.type == "binding_set":
        for b in node.children:
            if b.type == "binding":
                attrpath = b.child_by_field_name("attrpath")
                if attrpath is not None:
                    _walk_attrpath(attrpath, text, bound, found)
                value = b.child_by_field_name("expression")
                if value is not None:
                    _walk(value, text, bound, found)
            elif b.type == "inherit":
                attrs = b.child_by_field_name("attrs")
                for a in attrs.children_by_field_name("attr") if attrs else ():
                    name = node_text(a, text)
                    if a.type == "identifier" and name not in bound and name not in BUILTIN_NAMES:
                        found.setdefault(name, []).append(a)
            elif b.type == "inherit_from":
                expr = b.child_by_field_name("expression")
                if expr is not None:
                    _walk(expr, text, bound, found)
        return
    if node.is_named and node.type != "comment":
        _walk(node, text, bound, found)
