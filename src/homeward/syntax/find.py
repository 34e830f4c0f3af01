"""Find definitions by attribute path, however they are written.

A NixOS or home-manager module defines `users.users.ham.packages` as a dotted path, as nested
sets, or as a mix; inside `let ... in`, `with`, `lib.mkMerge [ ... ]` and `lib.mkIf cond { ... }`.
`read_module` flattens all of that into `Definition`s: the full attribute path, the value node,
and the chain of `Step`s that lead to it, so that callers can report a byte span and line/col,
see the conditions a definition sits under, and know which binding to edit. Pure: no IO.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from operator import attrgetter, itemgetter
from pathlib import PurePosixPath
from sys import intern
from typing import TYPE_CHECKING, Any, ClassVar

from homeward.compat import override
from homeward.errors import Location
from homeward.syntax.nodes import (
    PRIORITIES,
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
from homeward.syntax.parse import starts_another
from homeward.syntax.slots import slot_setters

if TYPE_CHECKING:
    from tree_sitter import Language, Node

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
    # Names of the written path that `path` leaves out: 1 for `config.x` in a full-form module.
    skipped: int = field(default=0, repr=False, compare=False)

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

    def location_of(self, depth: int) -> Location:
        """Where the binding that writes the first `depth` names of `path` starts.

        `programs.git = { enable = true; }` defines `programs.git.enable` at `enable`, but the
        definition `programs.git` starts at `programs`: the first token, as `check` shows it.
        """
        written = -self.skipped
        for step in self.steps:
            if step.kind is StepKind.BINDING:
                written += len(step.names)
                if written >= depth:
                    return self.source.location(step.node.start_byte)
        return self.location

    def written_attr(self, index: int) -> Node | None:
        """The attrpath element that writes `path[index]` (the `${name}` of
        `users.users.${name}.packages` for 2); None when the path is shorter."""
        attrs: list[Node] = []
        for step in self.steps:
            if step.kind is StepKind.BINDING:
                written = step.node.child_by_field_name("attrpath")
                if written is not None:
                    attrs.extend(written.children_by_field_name("attr"))
        position = index + self.skipped
        return attrs[position] if position < len(attrs) else None

    def under(self, prefix: tuple[str, ...]) -> bool:
        return self.path[: len(prefix)] == prefix

    @property
    def value_span(self) -> tuple[int, int]:
        """Where the value is written: its start and end byte (read without the tree)."""
        value = self.value
        return value.start_byte, value.end_byte

    @property
    def value_text(self) -> str:
        start, end = self.value_span
        return self.source.text[start:end].decode()


def priority_written(d: Definition) -> tuple[int, str, Node] | None:
    """The first function giving `d` a priority, as written: how many names of `d.path` lie
    above it (a priority there ranks them all below), the function's name and its node; None
    when there is none. The one reading of a definition's priority (the home's, the whole
    home's, a moved definition's own)."""
    depth = -d.skipped
    for step in d.steps:
        if step.kind is StepKind.BINDING:
            depth += len(step.names)
        elif step.kind is StepKind.WRAP and step.wrapper in PRIORITIES:
            return depth, step.wrapper, step.node
    function, args = call_parts(d.value)
    leaf = function_leaf(dotted_name(function, d.source.text)) if args else None
    if leaf is None or leaf not in PRIORITIES:
        return None
    return len(d.path), leaf, d.value


_PLAIN_STRING = re.compile(rb'"[^"\\$]*"')
"""A string literal without escapes or interpolation: its value is its text between quotes."""


def string_of(d: Definition) -> str | None:
    """`string_value` of a definition's value, read from the bytes when it is a plain string
    literal (without the tree, which may have been let go: `Source.release`)."""
    start, end = d.value_span
    raw = d.source.text[start:end]
    if _PLAIN_STRING.fullmatch(raw) is not None:
        return raw[1:-1].decode()
    return string_value(d.value, d.source.text)


def walk_definitions(
    source: Source, expr: Node, prefix: tuple[str, ...] = (), steps: tuple[Step, ...] = ()
) -> Iterator[Definition]:
    """Every leaf definition in `expr`, a module value seen at attribute path `prefix`."""
    out: list[Definition] = []
    _Walk(source, out).walk(expr, prefix, [None, None, None, (), None, "", steps])
    return iter(out)


# Why the rest of this section is written the long way: it runs for every binding of every
# module, and `check` reads trees of thousands of files (docs/benchmarks.md, "check"). Frozen
# dataclasses are built through their slots (a third of the cost of `__init__`), node children
# are reached by field id, and plain attribute paths (`a.b.c`) are split as text, not as nodes.
_new = object.__new__
_ATTRSETS = frozenset({"attrset_expression", "rec_attrset_expression"})
_SCOPES = frozenset({"let_expression", "with_expression"})
_INHERITS = frozenset({"inherit", "inherit_from"})
# Values that may hold more definitions; any other value is a leaf without looking further.
_STRUCTURED = _ATTRSETS | _SCOPES | {"apply_expression", "parenthesized_expression"}
_LEAVES = frozenset({"mkIf", "mkMerge", *WRAPPERS})
_ID = rb"[A-Za-z_][A-Za-z0-9_'-]*"
_QUOTED = rb'"[^"\\$]+"'
_PLAIN = re.compile(rb"%s(?:\.%s)*" % (_ID, _ID))
"""An attribute path or a function name of identifiers only: its names are its text split at
the dots (a nix identifier cannot contain a dot, a comment or a space)."""
_SIMPLE = re.compile(rb"(?:%s|%s)(?:\.(?:%s|%s))*" % (_ID, _QUOTED, _ID, _QUOTED))
_SIMPLE_NAME = re.compile(rb"%s|%s" % (_ID, _QUOTED))
"""An attribute path of identifiers and strings without escapes or `${`: `a."b.c".d`."""
_plain_names: dict[bytes, tuple[str, ...]] = {}  # the few hundred paths a tree repeats
_simple_names: dict[bytes, tuple[str, ...]] = {}


def _split_plain(raw: bytes) -> tuple[str, ...] | None:
    """`b"a.b.c"` -> ("a", "b", "c"); None when the text is not identifiers and dots only."""
    names = _plain_names.get(raw)
    if names is None:
        if _PLAIN.fullmatch(raw) is None:
            return None
        if len(_plain_names) > 65_536:  # bounded: a long-running process reads many trees
            _plain_names.clear()
        names = _plain_names[raw] = tuple(raw.decode().split("."))
    return names


def _split_simple(raw: bytes) -> tuple[str, ...] | None:
    """`b'a."b.c".d'` -> ("a", "b.c", "d"): what `_names` answers for an attribute path of
    identifiers and plain strings; None for anything else (escapes, `${`, comments, space)."""
    names = _simple_names.get(raw)
    if names is None:
        names = _split_plain(raw)
        if names is None and _SIMPLE.fullmatch(raw) is not None:
            names = tuple(
                (name[1:-1] if name[:1] == b'"' else name).decode()
                for name in _SIMPLE_NAME.findall(raw)
            )
        if names is not None:
            if len(_simple_names) > 65_536:
                _simple_names.clear()
            _simple_names[raw] = names
    return names


_Link = list[Any]
"""The steps to a place in a walk, built only when asked for: [parent link, kind, node, names,
condition, wrapper, the steps (a tuple, once built)]. A walk makes one per binding; the steps of
most definitions are never read (`check` reads them only where it reports something)."""


def _steps_of(link: _Link) -> tuple[Step, ...]:
    """The steps a link stands for; every definition below one binding shares its Step."""
    steps: tuple[Step, ...] | None = link[6]
    if steps is None:
        todo = []
        while link[6] is None:
            todo.append(link)
            link = link[0]
        steps = link[6]
        for link in reversed(todo):
            _parent, kind, node, names, condition, wrapper, _ = link
            steps = link[6] = (*steps, Step(kind, node, names, condition, wrapper))
    return steps


_SET_STEPS = Definition.__dict__["steps"].__set__
_SET_VALUE = Definition.__dict__["value"].__set__


class _Walked(Definition):
    """A Definition made by a walk: the same fields; `steps` is built when first read.

    A definition of a whole file (`read_module(source)`) holds no node: its value's byte span
    and its place in the walk (`_at`). Its `value` and `steps` come from walking the file's
    tree again (`_walked_again`) when first read, so that the file's tree can be let go once
    the module is read (`Source.release`); most definitions are only ever read by path and
    text.
    """

    __slots__ = ("_at", "_link")
    __qualname__ = "Definition"  # Why: its repr is the Definition's
    _link: _Link | None
    _at: tuple[int, int, int] | None  # detached: value start, value end, index in the walk

    def __getattr__(self, name: str) -> object:
        # Called only for a slot that is not set: `steps` until it is first read, `value` of
        # a detached definition until it is first read, and `_at` and `_link` of a copy made
        # through `__init__` (`dataclasses.replace`), which has its value and steps.
        if name in ("_at", "_link"):
            return None
        if name == "steps":
            link = self._link
            if link is None:
                return _set_again(self, "steps")
            steps = _steps_of(link)
            _SET_STEPS(self, steps)
            return steps
        if name == "value" and self._at is not None:
            return _set_again(self, "value")
        raise AttributeError(f"'Definition' object has no attribute '{name}'")

    @property
    @override
    def value_span(self) -> tuple[int, int]:
        at = self._at
        if at is not None:
            return at[0], at[1]
        value = self.value
        return value.start_byte, value.end_byte


def _set_again(d: _Walked, name: str) -> object:
    """Set `value` and `steps` of a detached definition from a walk of its file's tree again."""
    assert d._at is not None
    again = _walked_again(d.source)[d._at[2]]
    _SET_VALUE(d, again.value)
    _SET_STEPS(d, again.steps)
    found: object = getattr(d, name)
    return found


_again: weakref.WeakKeyDictionary[Source, list[Definition]] = weakref.WeakKeyDictionary()
"""The definitions of a whole file walked again, with nodes (while the file is read)."""


def _walked_again(source: Source, *, keep: bool = True) -> list[Definition]:
    """Every definition `read_module(source)` walked (before full-form modules drop
    `config.`), with nodes: from the file's tree, parsed again if it was let go. Kept for
    the next question unless told not to (which keeps the tree too)."""
    found = _again.get(source)
    if found is None:
        body, _formals, _function = module_body(source)
        walked = body if body is not None else _structural_body(source, None)
        found = []
        if walked is not None:
            _Walk(source, found).walk(walked, (), [None, None, None, (), None, "", ()])
        if keep:
            _again[source] = found
    return found


def forget_nodes(definitions: Iterable[Definition]) -> None:
    """Detached definitions (a whole file's, `_Walked`) forget the value and steps read since
    (`_set_again`), and the walks with nodes kept for that (`_again`) go: nothing of theirs
    holds a node, and the files' trees can be let go (`Source.release`). Asked again, they
    walk their file again."""
    for d in definitions:
        if type(d) is _Walked and d._at is not None:
            try:
                _DEL_VALUE(d)
            except AttributeError:  # never read
                continue
            try:
                _DEL_STEPS(d)
            except AttributeError:
                pass
    _again.clear()


_DEL_VALUE = Definition.__dict__["value"].__delete__
_DEL_STEPS = Definition.__dict__["steps"].__delete__
_DEF_SET, _DEF_REST = slot_setters(Definition, ("source", "path", "value"), later=("steps",))
_SET_LINK = _Walked.__dict__["_link"].__set__
_SET_AT = _Walked.__dict__["_at"].__set__


def _walked(source: Source, path: tuple[str, ...], value: Node, link: _Link) -> Definition:
    """`Definition(source, path, value, steps)`, the steps from `link` when asked for, without
    the cost of a frozen dataclass's `__init__` (a third of it)."""
    d = _new(_Walked)
    set_source, set_path, set_value = _DEF_SET
    set_source(d, source)
    set_path(d, path)
    set_value(d, value)
    _SET_LINK(d, link)
    _SET_AT(d, None)
    for setter, default in _DEF_REST:
        setter(d, default)
    return d


_SET_SKIPPED = Definition.__dict__["skipped"].__set__


def _detached(
    source: Source, path: tuple[str, ...], at: tuple[int, int, int], skipped: int = 0
) -> Definition:
    """A definition of a whole file without nodes: its value's span and its place in the
    walk (`_Walked`)."""
    d = _new(_Walked)
    set_source, set_path, _set_value = _DEF_SET
    set_source(d, source)
    set_path(d, path)
    _SET_LINK(d, None)
    _SET_AT(d, at)
    _SET_SKIPPED(d, skipped)
    return d


class _Grammar:
    """Field ids and node kind ids of the nix grammar, read from it once.

    Why: `child_by_field_id` skips the name lookup of `child_by_field_name`, and comparing a
    node's `kind_id` skips building its `type` string.
    """

    __slots__ = (
        "apply",
        "argument",
        "attr",
        "attrpath",
        "attrs",
        "attrsets",
        "binding",
        "binding_set",
        "body",
        "expression",
        "formal",
        "formals",
        "function",
        "inherits",
        "let",
        "name",
        "parenthesized",
        "path",
        "scopes",
        "select",
        "structured",
        "universal",
        "variable",
    )
    found: ClassVar[_Grammar | None] = None

    def __init__(self, language: Language) -> None:
        ids: dict[str | None, set[int]] = {}
        for i in range(language.node_kind_count):
            ids.setdefault(language.node_kind_for_id(i), set()).add(i)

        def kinds(*names: str) -> frozenset[int]:
            return frozenset(i for name in names for i in ids.get(name, ()))

        def field_id(name: str) -> int:
            found = language.field_id_for_name(name)
            assert found is not None, name
            return found

        self.attrpath = field_id("attrpath")
        self.expression = field_id("expression")
        self.attrs = field_id("attrs")
        self.attr = field_id("attr")
        self.body = field_id("body")
        self.function = field_id("function")
        self.argument = field_id("argument")
        self.formals = field_id("formals")
        self.formal = field_id("formal")
        self.name = field_id("name")
        self.universal = field_id("universal")
        self.attrsets = kinds(*_ATTRSETS)
        self.scopes = kinds(*_SCOPES)
        self.let = kinds("let_expression")
        self.inherits = kinds(*_INHERITS)
        self.binding = kinds("binding")
        self.binding_set = kinds("binding_set")
        self.parenthesized = kinds("parenthesized_expression")
        self.path = kinds("path_expression")
        self.apply = kinds("apply_expression")
        self.select = kinds("select_expression")
        self.variable = kinds("variable_expression")
        self.structured = kinds(*_STRUCTURED)

    @classmethod
    def of(cls, source: Source) -> _Grammar:
        found = cls.found
        if found is None:
            found = cls.found = _Grammar(source.tree.language)
        return found


# A value to walk further (True) or a leaf definition to record (False).
_Task = tuple["Node", tuple[str, ...], "_Link", bool]


class _Walk:
    """One walk over a module value, appending its leaf definitions to `out` in source order."""

    __slots__ = ("clean", "detached", "g", "out", "plain", "sets", "source", "text")

    def __init__(self, source: Source, out: list[Definition], *, detached: bool = False) -> None:
        self.source = source
        self.text = source.text
        self.out = out
        self.detached = detached  # definitions without nodes (`_detached`)
        self.g = _Grammar.of(source)
        # Text is only trusted for names where the tree has no ERROR or MISSING node.
        self.plain = not source.root.has_error
        # For `_no_duplicates`: the sets walked, and whether each defines every name once.
        self.sets = 0
        self.clean = self.plain

    def walk(self, expr: Node, prefix: tuple[str, ...], link: _Link) -> None:
        """Depth first with an explicit stack (issue 10: nix accepts sets nested 2,500 deep), in
        source order: a step's tasks are pushed in reverse."""
        out, source = self.out, self.source
        stack: list[_Task] = [(expr, prefix, link, True)]
        if self.detached:
            while stack:
                node, path, at, deeper = stack.pop()
                if deeper:
                    stack.extend(reversed(self.step(node, path, at)))
                else:
                    out.append(_detached(source, path, (node.start_byte, node.end_byte, len(out))))
            return
        while stack:
            node, path, at, deeper = stack.pop()
            if deeper:
                stack.extend(reversed(self.step(node, path, at)))
            else:
                out.append(_walked(source, path, node, at))

    def step(self, expr: Node, prefix: tuple[str, ...], link: _Link) -> list[_Task]:
        """What one value holds: the values to walk further and the leaves, in source order."""
        g = self.g
        node = expr
        kind = node.kind_id
        while kind in g.parenthesized:
            inner = node.child_by_field_id(g.expression)
            if inner is None:
                break
            node = inner
            kind = node.kind_id
        if kind in g.attrsets:
            return self.attrset(node, prefix, link)
        if kind in g.scopes and self.structural(node):
            body = node.child_by_field_id(g.body)
            if body is not None:
                step_kind = StepKind.LET if kind in g.let else StepKind.WITH
                return [(body, prefix, [link, step_kind, node, (), None, "", None], True)]
        if kind in g.apply:
            leaf, args = self.call(node)
            if leaf is not None and leaf in _LEAVES:
                if leaf == "mkIf" and len(args) == 2:
                    if_link: _Link = [link, StepKind.IF, node, (), args[0], "", None]
                    return [(args[1], prefix, if_link, True)]
                if (
                    leaf == "mkMerge"
                    and len(args) == 1
                    and unparen(args[0]).type == "list_expression"
                ):
                    return [
                        (element, prefix, [link, StepKind.MERGE, element, (), None, "", None], True)
                        for element in named_children(unparen(args[0]))
                    ]
                if leaf in WRAPPERS and args and unparen(args[-1]).type in _ATTRSETS:
                    wrap: _Link = [link, StepKind.WRAP, node, (), None, leaf, None]
                    return [(args[-1], prefix, wrap, True)]
        return [(expr, prefix, link, False)]

    def attrset(self, node: Node, prefix: tuple[str, ...], link: _Link) -> list[_Task]:
        text, plain, g = self.text, self.plain, self.g
        out: list[_Task] = []
        id_attrpath, id_expression, id_attrs, id_attr = g.attrpath, g.expression, g.attrs, g.attr
        binding_set, bindings, inherits, structured = (
            g.binding_set,
            g.binding,
            g.inherits,
            g.structured,
        )
        binding_kind = StepKind.BINDING
        empty = True
        paths: list[tuple[str, ...]] = []  # what each binding defines, for `_no_duplicates`
        for child in node.children:
            if child.kind_id not in binding_set:
                continue
            for binding in child.children:
                kind = binding.kind_id
                if kind in bindings:
                    empty = False
                    attrpath = binding.child_by_field_id(id_attrpath)
                    value = binding.child_by_field_id(id_expression)
                    if attrpath is None or value is None:
                        continue
                    names = (
                        _split_simple(text[attrpath.start_byte : attrpath.end_byte])
                        if plain
                        else None
                    )
                    if names is None:
                        names = _names(attrpath, text, id_attr)
                        self.clean = False  # a name as nix's parser may not read it
                    paths.append(names)
                    inner = [link, binding_kind, binding, names, None, "", None]
                    out.append((value, prefix + names, inner, value.kind_id in structured))
                elif kind in inherits:
                    # Each inherited name is a leaf whose value is the name itself.
                    empty = False
                    attrs = binding.child_by_field_id(id_attrs)
                    for attr in attrs.children_by_field_id(id_attr) if attrs else ():
                        if attr.type == "identifier":
                            name = text[attr.start_byte : attr.end_byte].decode()
                            paths.append((name,))
                        else:
                            name = string_value(attr, text) or DYNAMIC
                            self.clean = False
                        inner = [link, binding_kind, binding, (name,), None, "", None]
                        out.append((attr, (*prefix, name), inner, False))
        if empty:
            out.append((node, prefix, link, False))
        self.sets += 1
        # Without a path that starts another or is written twice (`a = 1; a.b = 2;`), nix's
        # parser finds no name defined twice in the set (`syntax.parse._prefixed`, `_clash`).
        if len(paths) > 1 and self.clean and starts_another(paths):
            self.clean = False
        return out

    def structural(self, node: Node) -> bool:
        """`_structural(node, text)`, by kind and field ids."""
        g = self.g
        kind = node.kind_id
        while kind in g.scopes or kind in g.parenthesized:
            body = node.child_by_field_id(g.body) or node.child_by_field_id(g.expression)
            if body is None:
                return False
            node = body
            kind = node.kind_id
        if kind in g.attrsets:
            return True
        return kind in g.apply and self.call(node)[0] in _LEAVES

    def call(self, node: Node) -> tuple[str | None, list[Node]]:
        """`lib.mkIf c x` -> ("mkIf", [c, x]): the last name of the function, and the arguments
        (what `function_leaf(dotted_name(...))` and `call_parts` answer)."""
        g = self.g
        args: list[Node] = []
        fn = node
        while True:
            function = fn.child_by_field_id(g.function)
            argument = fn.child_by_field_id(g.argument)
            if function is None or argument is None:
                break
            args.append(argument)
            fn = function
            while fn.kind_id in g.parenthesized:
                inner = fn.child_by_field_id(g.expression)
                if inner is None:
                    break
                fn = inner
            if fn.kind_id not in g.apply:
                break
        args.reverse()
        kind = fn.kind_id
        if kind in g.variable:
            return self.text[fn.start_byte : fn.end_byte].decode(), args
        if kind not in g.select:
            return None, args
        names = _split_plain(self.text[fn.start_byte : fn.end_byte]) if self.plain else None
        if names is not None:
            return names[-1], args
        return function_leaf(dotted_name(fn, self.text)), args


def _names(attrpath: Node, text: bytes, id_attr: int) -> tuple[str, ...]:
    names: list[str] = []
    for attr in attrpath.children_by_field_id(id_attr):
        if attr.type == "identifier":
            names.append(text[attr.start_byte : attr.end_byte].decode())
        else:
            name = attr_name(attr, text) or _let_bound_string(attr, text)
            names.append(DYNAMIC if name is None else name)
    return tuple(names)


def interpolated(attr: Node) -> Node | None:
    """The expression of an attribute name written `${e}` or `"${e}"`; None for any other."""
    expr = attr.child_by_field_name("expression") if attr.type == "interpolation" else None
    if expr is None and attr.type == "string_expression":
        parts = [c for c in attr.named_children if c.type != "comment"]
        if len(parts) == 1 and parts[0].type == "interpolation":
            expr = parts[0].child_by_field_name("expression")
    return expr


def _let_bound_string(attr: Node, text: bytes) -> str | None:
    """`${username}` where an enclosing `let username = "ham";` binds a string literal: "ham".

    Nix's lexical scoping: the nearest binder of the name decides; a function argument of the
    same name in between means the value is not known here.
    """
    expr = interpolated(attr)
    if expr is None or unparen(expr).type != "variable_expression":
        return None
    wanted = node_text(unparen(expr), text)
    node = attr.parent
    while node is not None:
        if node.type in ("let_expression", "rec_attrset_expression"):
            for binding in bindings_of(node):
                path = (
                    binding.child_by_field_name("attrpath") if binding.type == "binding" else None
                )
                if path is not None and node_text(path, text) == wanted:
                    value = binding.child_by_field_name("expression")
                    return string_value(value, text) if value is not None else None
        elif node.type == "function_expression" and wanted in function_formals(node, text):
            return None
        node = node.parent
    return None


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

    @property
    def whole_file(self) -> bool:
        """Read from a whole file: its definitions and imports hold byte spans, not nodes."""
        return False


class _FileModule(Module):
    """A Module of a whole file (`read_module(source)`) that holds no node: `body` and
    `function` are found again in the file's tree when first read (`Source.release`)."""

    __slots__ = ("_shape",)
    __qualname__ = "Module"  # Why: its repr is the Module's
    _shape: tuple[bool, bool]  # whether it has a body, a function

    def __getattr__(self, name: str) -> object:
        # Called only for a slot that is not set: `body` and `function`, until first read
        # (a copy made through `__init__`, `dataclasses.replace`, has them).
        if name not in ("body", "function"):
            raise AttributeError(f"'Module' object has no attribute '{name}'")
        has_body, has_function = self._shape
        if has_body or has_function:
            body, _formals, function = module_body(self.source)
        else:
            body = function = None
        _SET_BODY(self, body)
        _SET_FUNCTION(self, function)
        found: object = body if name == "body" else function
        return found

    @override
    def imports(self) -> list[ImportRef]:
        # Read from the definitions of a walk of the tree made for this (kept by nothing), and
        # kept as byte spans (`_PlacedImport`): the tree can be let go once the file is read.
        wanted = self.find_exact(("imports",))
        if not wanted:
            return []
        again: list[Definition] | None = None
        source = self.source
        text = source.text
        if b"mkIf" not in text and b"\\" not in text:
            # No import is under a condition (`lib.mkIf`): a list written as the value is
            # found by its span, without walking the tree again for the steps.
            found = [_written_list(source, d) for d in wanted]
            if all(node is not None for node in found):
                refs: list[ImportRef] = []
                for node in found:
                    assert node is not None
                    _list_imports(source, node, False, refs)
                return refs
        refs = []
        for definition in wanted:
            at = definition._at if isinstance(definition, _Walked) else None
            if at is not None:
                if again is None:
                    again = _walked_again(source, keep=False)
                definition = again[at[2]]
            conditions = definition.conditions
            value = definition.value
            if value.type == "list_expression":
                _list_imports(source, value, bool(conditions), refs)
                continue
            refs.extend(map(_placed_import, import_refs(source, value, conditions)))
        return refs

    @property
    @override
    def whole_file(self) -> bool:
        return True


_SET_BODY = Module.__dict__["body"].__set__
_SET_FUNCTION = Module.__dict__["function"].__set__
_MODULE_SET, _MODULE_REST = slot_setters(
    Module, ("source", "formals", "definitions", "declarations"), later=("body", "function")
)
_SET_SHAPE = _FileModule.__dict__["_shape"].__set__
_SHAPES = ((False, False), (False, True)), ((True, False), (True, True))
"""Each `_FileModule._shape`, made once (a tuple per module was 0.4 MiB at 200 hosts)."""


def _file_module(
    source: Source,
    body: Node | None,
    formals: tuple[str, ...],
    definitions: tuple[Definition, ...],
    declarations: tuple[Definition, ...],
    function: Node | None,
) -> Module:
    """`Module(...)` of a whole file, without its nodes (`_FileModule`)."""
    module = _new(_FileModule)
    for setter, value in zip(
        _MODULE_SET, (source, formals, definitions, declarations), strict=True
    ):
        setter(module, value)
    _SET_SHAPE(module, _SHAPES[body is not None][function is not None])
    return module


def module_body(
    source: Source, expr: Node | None = None
) -> tuple[Node | None, tuple[str, ...], Node | None]:
    """The module's attrset after `{ pkgs, ... }:`, `let ... in` and `with ...;`.

    `expr` is the module expression (the whole file when None). Returns (body, formal names,
    outermost function node); body is None when it is not an attrset-shaped module (a list, a
    string, a call we cannot see into).
    """
    return _module_head(source, expr)[:3]


def _module_head(
    source: Source, expr: Node | None = None
) -> tuple[Node | None, tuple[str, ...], Node | None, int]:
    """`module_body`, and how many formals its functions write, each naming every argument
    once (-1 when one names one twice, or `let` binds names: see `_no_other_sets`)."""
    g = _Grammar.of(source)
    node = expr
    if node is None:
        root = source.root
        if root.type == "source_code":
            node = root.child_by_field_id(g.expression)
    formals: list[str] = []
    written = 0
    function: Node | None = None
    text = source.text
    while node is not None:
        kind = node.type
        while kind == "parenthesized_expression":
            inner = node.child_by_field_id(g.expression)
            if inner is None:
                break
            node = inner
            kind = node.type
        if kind == "function_expression":
            function = function or node
            found = _formals_into(node, text, formals, g)
            written = -1 if found < 0 or written < 0 else written + found
            node = node.child_by_field_id(g.body)
        elif kind in _SCOPES:
            written = -1 if kind == "let_expression" else written
            node = node.child_by_field_id(g.body)
        elif kind in _ATTRSETS:
            return node, _formals_of(formals), function, written
        else:
            return None, _formals_of(formals), function, written
    return None, _formals_of(formals), function, written


_formal_lists: dict[tuple[str, ...], tuple[str, ...]] = {}


def _formals_of(names: list[str]) -> tuple[str, ...]:
    """`tuple(names)`, one tuple for each list of names. Why: every module keeps its formals,
    and most modules name the same few (`{ pkgs, lib, ... }`)."""
    found = tuple(names)
    kept = _formal_lists.get(found)
    if kept is None:
        if len(_formal_lists) > 65_536:  # bounded, as `_plain_names`
            _formal_lists.clear()
        kept = _formal_lists[found] = found
    return kept


def _structural_body(source: Source, expr: Node | None) -> Node | None:
    """A module whose value is `lib.mkIf cond { ... }` or `lib.mkMerge [ ... ]` (which the
    module system accepts): the call, to walk for definitions. None for anything else."""
    node = expr
    if node is None and source.root.type == "source_code":
        node = source.root.child_by_field_name("expression")
    while node is not None:
        node = unparen(node)
        if node.type in ("function_expression", "let_expression", "with_expression"):
            node = node.child_by_field_name("body")
            continue
        if node.type == "apply_expression" and _structural(node, source.text):
            return node
        return None
    return None


def function_formals(function: Node, text: bytes) -> list[str]:
    """The names a function's arguments bind (`{ pkgs, lib, ... }:`, `args@{ ... }:`, `x:`).
    Why interned: every module's `Module.formals` keeps them, and nearly all are `pkgs`,
    `lib`, `config` (a string each was 1.2 MiB of `check` at 200 hosts)."""
    names: list[str] = []
    universal = function.child_by_field_name("universal")
    if universal is not None:
        names.append(intern(node_text(universal, text)))
    formals = function.child_by_field_name("formals")
    if formals is not None:
        for formal in formals.children_by_field_name("formal"):
            name = formal.child_by_field_name("name")
            if name is not None:
                names.append(intern(node_text(name, text)))
    return names


def _formals_into(function: Node, text: bytes, names: list[str], g: _Grammar) -> int:
    """Add `function_formals(function, text)` to `names`: 1 when the function writes formals
    (`{ ... }`) naming each argument once, 0 when it writes none (`x:`), -1 when a name is
    bound twice."""
    start = len(names)
    universal = function.child_by_field_id(g.universal)
    if universal is not None:
        names.append(intern(text[universal.start_byte : universal.end_byte].decode()))
    formals = function.child_by_field_id(g.formals)
    if formals is None:
        return 0
    name_id = g.name
    for formal in formals.children_by_field_id(g.formal):
        name = formal.child_by_field_id(name_id)
        if name is not None:
            names.append(intern(text[name.start_byte : name.end_byte].decode()))
    return 1 if len(set(names[start:])) == len(names) - start else -1


_FULL_FORM = frozenset({("config",), ("options",)})
_PATH = attrgetter("path")
_HEAD = itemgetter(slice(0, 1))


def read_module(source: Source, expr: Node | None = None) -> Module:
    """Flatten a module into definitions; `config.x` in full-form modules becomes `x`.

    `expr` is a module written inside another file (an inline module in flake.nix); the whole
    file when None.
    """
    body, formals, function, written = _module_head(source, expr)
    walked = body if body is not None else _structural_body(source, expr)
    # A whole file's definitions hold no node (`_Walked`): its tree can be let go once read.
    detached = expr is None
    if walked is None:
        if detached:
            source.no_duplicates = _no_other_sets(source, 0, written)
            return _file_module(source, None, formals, (), (), function)
        return Module(source, None, formals, (), (), function)
    everything: list[Definition] = []
    walk = _Walk(source, everything, detached=detached)
    walk.walk(walked, (), [None, None, None, (), None, "", ()])
    if detached:
        source.no_duplicates = walk.clean and _no_other_sets(source, walk.sets, written)
    # Why `map`: the loop runs in C; most modules are not full-form.
    full_form = not _FULL_FORM.isdisjoint(map(_HEAD, map(_PATH, everything)))
    if not full_form:
        if detached:
            return _file_module(source, body, formals, tuple(everything), (), function)
        return Module(source, body, formals, tuple(everything), (), function)
    definitions: list[Definition] = []
    declarations: list[Definition] = []
    for d in everything:
        if full_form and d.path[:1] == ("config",):
            at = d._at if isinstance(d, _Walked) else None
            definitions.append(
                _detached(d.source, d.path[1:], at, d.skipped + 1)
                if at is not None
                else Definition(d.source, d.path[1:], d.value, d.steps, d.skipped + 1)
            )
        elif full_form and d.path[:1] == ("options",):
            declarations.append(d)
        else:
            definitions.append(d)
    if detached:
        return _file_module(
            source, body, formals, tuple(definitions), tuple(declarations), function
        )
    return Module(source, body, formals, tuple(definitions), tuple(declarations), function)


def _no_other_sets(source: Source, walked: int, formals: int) -> bool:
    """Whether the sets a walk of the whole file went through (`walked`, each of whose paths
    starts no other) and the `formals` of the functions around the module (each naming every
    argument once; -1: not so) are all the file's binding sets and formals: then
    `find_duplicate` finds nothing in it, and the file need not be searched again
    (`Source.no_duplicates`). Counted by the file's `{`: each set and each formals opens one;
    one of an interpolation follows a `$`; any other (in a string or comment, or a set the walk
    did not go into) makes the answer no. A `let` has a binding set without one: a file
    holding the word is searched."""
    text = source.text
    if formals < 0 or b"let" in text or source.root.has_error:
        return False
    return text.count(b"{") - text.count(b"${") == walked + formals


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


class _FileImport(ImportRef):
    """A FILE ImportRef that makes its `target` path object when first read.

    Why: `check` follows one import per module on trees of thousands of modules; the model
    joins the text as written (`import_target`), and a path object costs as much as the rest.
    """

    __slots__ = ("_literal",)
    __qualname__ = "ImportRef"  # Why: its repr is the ImportRef's
    _literal: str

    def __getattr__(self, name: str) -> object:
        # Called only for a slot that is not set: `target`, until it is first read.
        if name == "target":
            target = PurePosixPath(self._literal)
            _SET_TARGET(self, target)
            return target
        raise AttributeError(f"'ImportRef' object has no attribute '{name}'")

    @override
    def __eq__(self, other: object) -> bool:
        # As ImportRef's, across the two classes: the same kind, target, label, conditional.
        if not isinstance(other, ImportRef):
            return NotImplemented
        return (self.kind, self.target, self.label, self.conditional) == (
            other.kind,
            other.target,
            other.label,
            other.conditional,
        )

    @override
    def __hash__(self) -> int:
        return hash((self.kind, self.target, self.label, self.conditional))


_SET_TARGET = ImportRef.__dict__["target"].__set__
_IMPORT_SET, _IMPORT_REST = slot_setters(
    ImportRef, ("kind", "node", "source", "conditional"), later=("target",)
)
_SET_LITERAL = _FileImport.__dict__["_literal"].__set__


def _file_import(node: Node, source: Source, literal: str, conditional: bool) -> ImportRef:
    """`ImportRef(FILE, node, source, target=PurePosixPath(literal), conditional=...)`."""
    ref = _new(_FileImport)
    set_kind, set_node, set_source, set_conditional = _IMPORT_SET
    set_kind(ref, ImportKind.FILE)
    set_node(ref, node)
    set_source(ref, source)
    set_conditional(ref, conditional)
    _SET_LITERAL(ref, literal)
    for setter, default in _IMPORT_REST:
        setter(ref, default)
    return ref


class _PlacedImport(_FileImport):
    """An ImportRef of a whole file's module that holds no node: the byte span and kind of
    its node, found again in the file's tree when asked for (`Source.release`)."""

    __slots__ = ("_span",)
    __qualname__ = "ImportRef"  # Why: its repr is the ImportRef's
    _span: tuple[int, int, int]  # start byte, end byte, kind id

    @override
    def __getattr__(self, name: str) -> object:
        # Called only for a slot that is not set: `node` (never kept: it would keep the
        # tree), `_literal` of an import that is not a written path, and `target`.
        if name == "node":
            return node_at(self.source.root, *self._span)
        if name == "_literal":
            return None
        return super().__getattr__(name)

    @property
    @override
    def location(self) -> Location:
        return self.source.location(self._span[0])


_SET_SPAN = _PlacedImport.__dict__["_span"].__set__
_IMPORT_FIELDS = ("kind", "source", "label", "conditional")
_IMPORT_COPY = [(name, ImportRef.__dict__[name].__set__) for name in _IMPORT_FIELDS]


def _placed_import(ref: ImportRef) -> ImportRef:
    """`ref` without its node (`_PlacedImport`)."""
    placed = _new(_PlacedImport)
    for name, setter in _IMPORT_COPY:
        setter(placed, getattr(ref, name))
    if isinstance(ref, _FileImport):
        _SET_LITERAL(placed, ref._literal)
    else:
        _SET_TARGET(placed, ref.target)
    node = ref.node
    _SET_SPAN(placed, (node.start_byte, node.end_byte, node.kind_id))
    return placed


def _written_list(source: Source, d: Definition) -> Node | None:
    """The list a detached definition's value is written as (`[ ... ]`), None when it is
    something else or not detached."""
    at = d._at if isinstance(d, _Walked) else None
    if at is None:
        return None
    start, end = at[0], at[1]
    if source.text[start : start + 1] != b"[":
        return None
    node: Node | None = source.root.descendant_for_byte_range(start, end)
    while node is not None and (node.start_byte, node.end_byte) == (start, end):
        if node.type == "list_expression":
            return node
        node = node.parent
    return None


def _list_imports(source: Source, value: Node, conditional: bool, refs: list[ImportRef]) -> None:
    """Add what `import_refs` makes of the list `value` to `refs`, as `_placed_import` keeps
    them: a path written with a leading dot and no `${` read from its text."""
    g = _Grammar.of(source)
    text = source.text
    for element in named_children(value):
        raw = text[element.start_byte : element.end_byte]
        if element.kind_id in g.path and raw[:1] == b"." and b"${" not in raw:
            refs.append(_placed_path(source, raw, conditional, element))
        else:
            refs.append(_placed_import(classify_import(source, element, conditional)))


_PLACED_SET, _ = slot_setters(
    ImportRef, ("kind", "source", "label", "conditional"), later=("target", "node")
)


def _placed_path(source: Source, raw: bytes, conditional: bool, node: Node) -> ImportRef:
    """`_placed_import(classify_import(source, node, conditional))` of a path written as
    `raw` without `${`, starting with a dot (a FILE import)."""
    placed = _new(_PlacedImport)
    set_kind, set_source, set_label, set_conditional = _PLACED_SET
    set_kind(placed, ImportKind.FILE)
    set_source(placed, source)
    set_label(placed, "")
    set_conditional(placed, conditional)
    _SET_LITERAL(placed, intern(raw.decode()))
    _SET_SPAN(placed, (node.start_byte, node.end_byte, node.kind_id))
    return placed


def node_at(root: Node, start: int, end: int, kind_id: int) -> Node:
    """The node of kind `kind_id` spanning exactly `start`..`end` in the tree at `root`."""
    node: Node | None = root.descendant_for_byte_range(start, end)
    while node is not None and (
        node.kind_id != kind_id or node.start_byte != start or node.end_byte != end
    ):
        node = node.parent
    if node is None:
        raise LookupError(f"no node of kind {kind_id} at bytes {start}..{end}")
    return node


def import_target(ref: ImportRef) -> str | None:
    """A FILE import's target as text, to join to the importing file's directory: as written
    (`./a.nix`), or the target path's text (the same file once joined and normalized)."""
    if isinstance(ref, _FileImport):
        literal: str | None = ref._literal
        if literal is not None:
            return literal
    return None if ref.target is None else str(ref.target)


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
    refs: list[ImportRef] = []
    for part in concatenated(expr, source.text):
        refs.extend(_import_part(source, part, conditions))
    return refs


def concatenated(expr: Node, text: bytes) -> list[Node]:
    """The operands of `a ++ b ++ …` in source order, `expr` itself when it is no `++`; with an
    explicit stack (issue 10: nix accepts a chain of any length)."""
    parts: list[Node] = []
    stack = [expr]
    while stack:
        node = unparen(stack.pop())
        operator = (
            node.child_by_field_name("operator") if node.type == "binary_expression" else None
        )
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if (
            operator is not None
            and node_text(operator, text) == "++"
            and left is not None
            and right is not None
        ):
            stack += (right, left)
        else:
            parts.append(node)
    return parts


def _import_part(source: Source, node: Node, conditions: tuple[Node, ...]) -> list[ImportRef]:
    text = source.text
    conditional = bool(conditions)
    if node.type == "list_expression":
        return [classify_import(source, e, conditional) for e in named_children(node)]
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


_MODULES_PATH_STRING = re.compile(r'^"\$\{\s*(modulesPath|pkgs\.path|inputs\.[\w-]+|nixpkgs)\s*\}/')
"""A string naming a file of nixpkgs (or of an input): `"${modulesPath}/profiles/minimal.nix"`."""


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
        # Why interned: the model keeps each import's text, and hosts import alike (`./a.nix`)
        return _file_import(node, source, intern(literal), conditional)
    if node.type in ("string_expression", "path_expression") and _MODULES_PATH_STRING.match(
        node_text(node, text)
    ):
        # `"${modulesPath}/installer/scan/not-detected.nix"`: a module of nixpkgs.
        return ImportRef(
            ImportKind.EXTERNAL, node, source, label=node_text(node, text), conditional=conditional
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
