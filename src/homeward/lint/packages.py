"""Package names in a package list, as written: `with pkgs; [ a b ]`, `[ pkgs.a ]`, `++`, ...

Statically, two lists name the same package when they name the same attribute of `pkgs`
(a let-bound list is followed to its value):
`ripgrep` inside `with pkgs;` and `pkgs.ripgrep` are the same, `unstable.ripgrep` is not, and a
call (`(foo.override { ... })`) names no package that can be compared. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeward.syntax.nodes import (
    WRAPPERS,
    ancestors,
    bindings_of,
    call_parts,
    dotted_name,
    function_leaf,
    let_binding,
    named_children,
    node_text,
    unparen,
)

if TYPE_CHECKING:
    from tree_sitter import Node

# Functions whose last argument is the list itself (`lib.mkIf cond [ ... ]`).
_LIST_WRAPPERS = WRAPPERS | {"mkIf", "optionals", "mkBefore", "mkAfter"}
_MAX_DEPTH = 50


@dataclass(frozen=True, slots=True)
class PackageRef:
    name: str  # `ripgrep`, `python3Packages.black`, `unstable.foo`
    node: Node  # the list element (or inherited name) that names it


def package_refs(value: Node, text: bytes) -> list[PackageRef]:
    """The packages a package-list expression names, in order."""
    found: list[PackageRef] = []
    _collect(value, text, found, 0)
    return found


def _collect(node: Node, text: bytes, found: list[PackageRef], depth: int) -> None:
    if depth > _MAX_DEPTH:
        return
    node = unparen(node)
    kind = node.type
    if kind == "list_expression":
        for element in named_children(node):
            ref = _element(element, text)
            if ref is not None:
                found.append(ref)
        return
    if kind == "with_expression":
        body = node.child_by_field_name("body")
        if body is not None:
            _collect(body, text, found, depth + 1)
        return
    if kind == "let_expression":
        body = node.child_by_field_name("body")
        if body is not None:
            _collect(body, text, found, depth + 1)
        return
    if kind == "variable_expression":  # a let-bound list: `common ++ [ ... ]`
        bound = _let_bound(node, node_text(node, text), text)
        if bound is not None:
            _collect(bound, text, found, depth + 1)
        return
    if kind == "binary_expression":
        operator = node.child_by_field_name("operator")
        if operator is not None and node_text(operator, text) == "++":
            for side in ("left", "right"):
                child = node.child_by_field_name(side)
                if child is not None:
                    _collect(child, text, found, depth + 1)
        return
    if kind == "apply_expression":
        fn, args = call_parts(node)
        name = dotted_name(fn, text)
        leaf = function_leaf(name)
        if leaf in _LIST_WRAPPERS and args:
            _collect(args[-1], text, found, depth + 1)
        elif leaf == "attrValues" and len(args) == 1:
            _inherited(unparen(args[0]), text, found)
        elif leaf == "concatLists" and len(args) == 1:
            inner = unparen(args[0])
            if inner.type == "list_expression":
                for element in named_children(inner):
                    _collect(element, text, found, depth + 1)


def _let_bound(variable: Node, name: str, text: bytes) -> Node | None:
    """The value `name` is bound to by the nearest enclosing `let` that binds it."""
    for scope in ancestors(variable):
        if scope.type != "let_expression":
            continue
        found = let_binding(scope, name, text)
        if found is not None and not found[1]:
            return found[0]
    return None


def _element(element: Node, text: bytes) -> PackageRef | None:
    name = dotted_name(element, text)
    if name is None:
        return None
    name = name.removeprefix("pkgs.")
    return PackageRef(name, element)


def _inherited(attrset: Node, text: bytes, found: list[PackageRef]) -> None:
    """`builtins.attrValues { inherit (pkgs) a b; }`."""
    if attrset.type != "attrset_expression":
        return
    for binding in bindings_of(attrset):
        if binding.type != "inherit_from":
            continue
        source = binding.child_by_field_name("expression")
        prefix = dotted_name(source, text) if source is not None else None
        attrs = binding.child_by_field_name("attrs")
        if prefix is None or attrs is None:
            continue  # `inherit (f x) a;`: which set it comes from is not known
        for attr in attrs.children_by_field_name("attr"):
            if attr.type == "identifier":
                name = node_text(attr, text)
                found.append(PackageRef(name if prefix == "pkgs" else f"{prefix}.{name}", attr))
