"""Find definitions by attribute path, however they are written.

A NixOS or home-manager module defines `users.users.ham.packages` as a dotted path, as nested
sets, or as a mix; inside `let ... in`, `with`, `lib.mkMerge [ ... ]` and `lib.mkIf cond { ... }`.
`read_module` flattens all of that into `Definition`s: the full attribute path, the value node,
and the chain of `Step`s that lead to it, so that callers can report a byte span and line/col,
see the conditions a definition sits under, and know which binding to edit. Pure: no IO.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from homeward.errors import Location
from homeward.syntax.nodes import (
    WRAPPERS,
    attr_name,
    bindings_of,
    call_parts,
    dotted_name,
    function_leaf,
    named_children,
    node_text,
    string_value,
    unparen,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source

DYNAMIC = "${…}"
"""The name shown for an attribute whose name is computed (`${name}`, `"${x}-y"`)."""


class StepKind(StrEnum):
    BINDING = "binding"  # `a.b = ...;` or `inherit ...;`: contributes attribute names
    IF = "if"  # `lib.mkIf cond ...`
    MERGE = "merge"  # one element of `lib.mkMerge [ ... ]`
    WRAP = "wrap"  # `lib.mkDefault ...` and friends
    LET = "let"  # `let ... in ...`
    WITH = "with"  # `with x; ...`


@dataclass(frozen=True, slots=True)
class Step:
    kind: StepKind
    node: Node
    names: tuple[str, ...] = ()  # BINDING: the names of its attrpath
    condition: Node | None = None  # IF: the condition expression
    wrapper: str = ""  # WRAP: the function name (`mkDefault`)


@dataclass(frozen=True, slots=True, eq=False)
class Definition:
    """One leaf definition of a module: `path = value`, reached through `steps`."""

    source: Source = field(repr=False, compare=False)
    path: tuple[str, ...]
    value: Node = field(repr=False, compare=False)
    steps: tuple[Step, ...] = field(repr=False, compare=False)

    @property
    def dynamic(self) -> bool:
        return DYNAMIC in self.path

    @property
    def dotted(self) -> str:
        return ".".join(self.path)

    @property
    def conditions(self) -> tuple[Node, ...]:
        return tuple(s.condition for s in self.steps if s.condition is not None)

    @property
    def binding(self) -> Node:
        """The innermost binding (`a.b = v;`) that defines this; the value itself if none."""
        for step in reversed(self.steps):
            if step.kind is StepKind.BINDING:
                return step.node
        return self.value

    @property
    def location(self) -> Location:
        return self.source.location(self.binding.start_byte)

    def under(self, prefix: tuple[str, ...]) -> bool:
        return self.path[: len(prefix)] == prefix

    @property
    def value_text(self) -> str:
        return node_text(self.value, self.source.text)


def _names(attrpath: Node, text: bytes) -> tuple[str, ...]:
    # Why inlined: this runs for every binding of every module (`check` on large trees).
    names: list[str] = []
    for attr in attrpath.children_by_field_name("attr"):
        if attr.type == "identifier":
            names.append(text[attr.start_byte : attr.end_byte].decode())
        else:
            name = attr_name(attr, text)
            names.append(DYNAMIC if name is None else name)
    return tuple(names)


def walk_definitions(
    source: Source, expr: Node, prefix: tuple[str, ...] = (), steps: tuple[Step, ...] = ()
) -> Iterator[Definition]:
    """Every leaf definition in `expr`, a module value seen at attribute path `prefix`."""
    text = source.text
    node = unparen(expr)
    kind = node.type
    if kind in ("attrset_expression", "rec_attrset_expression"):
        empty = True
        for binding in bindings_of(node):
            empty = False
            if binding.type == "binding":
                attrpath = binding.child_by_field_name("attrpath")
                value = binding.child_by_field_name("expression")
                if attrpath is None or value is None:
                    continue
                names = _names(attrpath, text)
                step = Step(StepKind.BINDING, binding, names=names)
                yield from walk_definitions(source, value, prefix + names, (*steps, step))
            else:  # inherit / inherit_from: each name is a leaf whose value is the binding
                attrs = binding.child_by_field_name("attrs")
                for attr in attrs.children_by_field_name("attr") if attrs else ():
                    name = (
                        node_text(attr, text)
                        if attr.type == "identifier"
                        else string_value(attr, text)
                    )
                    step = Step(StepKind.BINDING, binding, names=(name or DYNAMIC,))
                    yield Definition(source, (*prefix, name or DYNAMIC), attr, (*steps, step))
        if empty:
            yield Definition(source, prefix, node, steps)
        return
    if kind in ("let_expression", "with_expression") and _structural(node, text):
        body = node.child_by_field_name("body")
        step_kind = StepKind.LET if kind == "let_expression" else StepKind.WITH
        if body is not None:
            yield from walk_definitions(source, body, prefix, (*steps, Step(step_kind, node)))
            return
    if kind == "apply_expression":
        fn, args = call_parts(node)
        leaf = function_leaf(dotted_name(fn, text))
        if leaf == "mkIf" and len(args) == 2:
            step = Step(StepKind.IF, node, condition=args[0])
            yield from walk_definitions(source, args[1], prefix, (*steps, step))
            return
        if leaf == "mkMerge" and len(args) == 1 and unparen(args[0]).type == "list_expression":
            for element in named_children(unparen(args[0])):
                step = Step(StepKind.MERGE, element)
                yield from walk_definitions(source, element, prefix, (*steps, step))
            return
        if (
            leaf in WRAPPERS
            and args
            and unparen(args[-1]).type
            in (
                "attrset_expression",
                "rec_attrset_expression",
            )
        ):
            step = Step(StepKind.WRAP, node, wrapper=leaf or "")
            yield from walk_definitions(source, args[-1], prefix, (*steps, step))
            return
    yield Definition(source, prefix, expr, steps)


def _structural(node: Node, text: bytes) -> bool:
    """Whether a `let`/`with` wraps module structure (an attrset, mkIf, mkMerge) rather than a
    value such as a package list: `with pkgs; [ ... ]` is one definition, not a scope."""
    while node.type in ("let_expression", "with_expression", "parenthesized_expression"):
        body = node.child_by_field_name("body") or node.child_by_field_name("expression")
        if body is None:
            return False
        node = body
    if node.type in ("attrset_expression", "rec_attrset_expression"):
        return True
    if node.type == "apply_expression":
        fn, _args = call_parts(node)
        return function_leaf(dotted_name(fn, text)) in ("mkIf", "mkMerge", *WRAPPERS)
    return False


@dataclass(frozen=True, slots=True)
class Module:
    """A module file seen statically: its argument names, its definitions, its imports."""

    source: Source = field(repr=False)
    body: Node | None = field(repr=False)
    formals: tuple[str, ...]
    definitions: tuple[Definition, ...]
    declarations: tuple[Definition, ...]
    function: Node | None = field(default=None, repr=False)

    def find(self, path: tuple[str, ...]) -> list[Definition]:
        """Definitions at `path` or below it."""
        return [d for d in self.definitions if d.under(path)]

    def find_exact(self, path: tuple[str, ...]) -> list[Definition]:
        return [d for d in self.definitions if d.path == path]

    def imports(self) -> list[ImportRef]:
        refs: list[ImportRef] = []
        for definition in self.find_exact(("imports",)):
            refs.extend(import_refs(self.source, definition.value, definition.conditions))
        return refs


def module_body(
    source: Source, expr: Node | None = None
) -> tuple[Node | None, tuple[str, ...], Node | None]:
    """The module's attrset after `{ pkgs, ... }:`, `let ... in` and `with ...;`.

    `expr` is the module expression (the whole file when None). Returns (body, formal names,
    outermost function node); body is None when it is not an attrset-shaped module (a list, a
    string, a call we cannot see into).
    """
    node = expr
    if node is None and source.root.type == "source_code":
        node = source.root.child_by_field_name("expression")
    formals: list[str] = []
    function: Node | None = None
    text = source.text
    while node is not None:
        node = unparen(node)
        if node.type == "function_expression":
            function = function or node
            formals.extend(function_formals(node, text))
            node = node.child_by_field_name("body")
        elif node.type in ("let_expression", "with_expression"):
            node = node.child_by_field_name("body")
        elif node.type in ("attrset_expression", "rec_attrset_expression"):
            return node, tuple(formals), function
        else:
            return None, tuple(formals), function
    return None, tuple(formals), function


def function_formals(function: Node, text: bytes) -> list[str]:
    names: list[str] = []
    universal = function.child_by_field_name("universal")
    if universal is not None:
        names.append(node_text(universal, text))
    formals = function.child_by_field_name("formals")
    if formals is not None:
        for formal in formals.children_by_field_name("formal"):
            name = formal.child_by_field_name("name")
            if name is not None:
                names.append(node_text(name, text))
    return names


def read_module(source: Source, expr: Node | None = None) -> Module:
    """Flatten a module into definitions; `config.x` in full-form modules becomes `x`.

    `expr` is a module written inside another file (an inline module in flake.nix); the whole
    file when None.
    """
    body, formals, function = module_body(source, expr)
    if body is None:
        return Module(source, None, formals, (), (), function)
    everything = list(walk_definitions(source, body))
    full_form = any(d.path[:1] in (("config",), ("options",)) for d in everything)
    definitions: list[Definition] = []
    declarations: list[Definition] = []
    for d in everything:
        if full_form and d.path[:1] == ("config",):
            definitions.append(Definition(d.source, d.path[1:], d.value, d.steps))
        elif full_form and d.path[:1] == ("options",):
            declarations.append(d)
        else:
            definitions.append(d)
    return Module(source, body, formals, tuple(definitions), tuple(declarations), function)


class ImportKind(StrEnum):
    FILE = "file"  # a path in the repo: `./a.nix`, `../b` (a directory means its default.nix)
    EXTERNAL = "external"  # `(modulesPath + "/...")`, `inputs.x.nixosModules.y`, `<nixpkgs/...>`
    INLINE = "inline"  # `{ ... }` or `({ pkgs, ... }: { ... })` written in place
    DYNAMIC = "dynamic"  # computed: `./hosts/${name}`, a variable, a call


@dataclass(frozen=True, slots=True)
class ImportRef:
    kind: ImportKind
    node: Node = field(repr=False, compare=False)
    source: Source = field(repr=False, compare=False)
    target: PurePosixPath | None = None  # FILE: relative to the importing file's directory
    label: str = ""  # EXTERNAL: what it names; DYNAMIC: why it cannot be followed
    conditional: bool = False

    @property
    def location(self) -> Location:
        return self.source.location(self.node.start_byte)


def path_literal(node: Node, text: bytes) -> str | None:
    """`./a/b.nix` -> "./a/b.nix"; None for interpolated or non-path nodes."""
    node = unparen(node)
    if node.type != "path_expression":
        return None
    if any(c.type == "interpolation" for c in node.children):
        return None
    return node_text(node, text)


def import_refs(source: Source, expr: Node, conditions: tuple[Node, ...] = ()) -> list[ImportRef]:
    """Classify the elements of an `imports` value: `[ ... ]`, `a ++ b`, `lib.optionals c [ ... ]`."""
    text = source.text
    node = unparen(expr)
    conditional = bool(conditions)
    if node.type == "list_expression":
        return [classify_import(source, e, conditional) for e in named_children(node)]
    operator = node.child_by_field_name("operator") if node.type == "binary_expression" else None
    if operator is not None and node_text(operator, text) == "++":
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if left is not None and right is not None:
            return import_refs(source, left, conditions) + import_refs(source, right, conditions)
    fn, args = call_parts(node)
    leaf = function_leaf(dotted_name(fn, text))
    if leaf in ("optionals", "optional") and len(args) == 2:
        inner = args[1]
        if leaf == "optional":
            return [classify_import(source, inner, True)]
        return [
            ImportRef(r.kind, r.node, r.source, r.target, r.label, True)
            for r in import_refs(source, inner, (args[0],))
        ]
    return [ImportRef(ImportKind.DYNAMIC, node, source, label="the import list is computed")]


def classify_import(source: Source, element: Node, conditional: bool = False) -> ImportRef:
    text = source.text
    node = unparen(element)
    literal = path_literal(node, text)
    if literal is not None:
        if literal.startswith(("/", "~")):
            return ImportRef(
                ImportKind.EXTERNAL,
                node,
                source,
                label=f"absolute path {literal}",
                conditional=conditional,
            )
        return ImportRef(
            ImportKind.FILE, node, source, target=PurePosixPath(literal), conditional=conditional
        )
    if node.type == "path_expression":
        return ImportRef(
            ImportKind.DYNAMIC,
            node,
            source,
            label="the path is interpolated",
            conditional=conditional,
        )
    if node.type == "spath_expression":
        return ImportRef(
            ImportKind.EXTERNAL, node, source, label=node_text(node, text), conditional=conditional
        )
    if node.type in ("attrset_expression", "rec_attrset_expression", "function_expression"):
        return ImportRef(ImportKind.INLINE, node, source, conditional=conditional)
    if node.type == "binary_expression":
        left = node.child_by_field_name("left")
        if left is not None and node_text(unparen(left), text) == "modulesPath":
            return ImportRef(
                ImportKind.EXTERNAL,
                node,
                source,
                label=node_text(node, text),
                conditional=conditional,
            )
    fn, args = call_parts(node)
    if dotted_name(fn, text) in ("import", "builtins.import") and args:
        inner = classify_import(source, args[0], conditional)
        if inner.kind is not ImportKind.DYNAMIC:
            return ImportRef(inner.kind, node, source, inner.target, inner.label, conditional)
    name = dotted_name(node, text)
    if name is not None and "." in name:
        return ImportRef(ImportKind.EXTERNAL, node, source, label=name, conditional=conditional)
    return ImportRef(
        ImportKind.DYNAMIC,
        node,
        source,
        label=f"`{node_text(node, text)[:60]}` is not a path homeward can follow",
        conditional=conditional,
    )
