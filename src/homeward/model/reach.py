"""What an unknown might read: the files an expression homeward cannot compute could reach.

Rule 10 (docs/architecture.md): a file that anything unknown might consume stays
byte-identical. homeward cannot know which files an unknown output imports, so it takes every
file the expression could name: the path literals in its syntactic closure — the expression,
the values its names are bound to (let-bound helpers, function arguments where the evaluator
knows them, files they import), and everything under a directory it names (`readDir ./hosts`,
`./hosts/${name}`). That over-approximates, which is the safe side: a frozen file only means
that nothing in it moves.

`self` is not followed (it is every output; what an output reads through `self.x.y` is found
by selecting `x.y`). Pure, except for listing directories under the repository.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.model.values import (
    Attrs,
    Builtin,
    Choice,
    Lambda,
    ListValue,
    Maybe,
    PathValue,
    Str,
    SystemCall,
    Thunk,
    Unknown,
    Value,
)
from homeward.syntax.nodes import attr_name, bindings_of, node_text

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.eval import Evaluator
    from homeward.model.scope import Env
    from homeward.syntax.parse import Source

MAX_NODES = 200_000
"""Past this many syntax nodes the closure is "everything": cheaper than exact, and safe."""


@dataclass
class Reach:
    """Repo-relative files and directories (a directory: everything under it), and the spans
    of syntax walked (an inline module written there is reached too)."""

    paths: set[str] = field(default_factory=set)
    spans: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    everything: bool = False
    # `./hm-${kind}.nix`: the files whose repo-relative path starts with `hm-` (in its directory)
    prefixes: set[str] = field(default_factory=set)

    def has_file(self, rel: str) -> bool:
        if self.everything or rel in self.paths:
            return True
        if any(rel.startswith(p) for p in self.prefixes):
            return True
        parts = rel.split("/")
        return any("/".join(parts[:i]) in self.paths for i in range(1, len(parts)))

    def has_inline(self, path: str, start_byte: int) -> bool:
        if self.everything or self.has_file(path):
            return True
        return any(a <= start_byte < b for a, b in self.spans.get(path, ()))


class _Walker:
    def __init__(self, ev: Evaluator, skip: tuple[Thunk, ...]) -> None:
        self.ev = ev
        self.skip = {id(t) for t in skip}  # thunks never followed (`self`), nor their values
        self.skip_thunks = skip
        self.reach = Reach()
        # Keyed by id() and holding the object: a value the walk computed (`ev.eval`,
        # `ev.select`) and then dropped would free its id for the next one, which would be
        # taken for seen and skipped, so what is frozen varied from run to run.
        self.seen_thunks: dict[int, Thunk] = {}
        self.seen_values: dict[int, Value] = {}
        self.seen_nodes: dict[tuple[str, int, int, int], Env | None] = {}
        self.files_done: set[str] = set()
        self.nodes = 0
        # What is left to walk, as a stack: a thunk, a value or a piece of syntax refers to
        # the next through the values of a whole configuration (a module list, the helpers
        # of a `lib/` it calls, their files): walked by recursion, that chain ran past
        # Python's frames on real repositories and the read ended as exit 3.
        self.todo: list[tuple[str, object, object, object]] = []

    def drain(self) -> None:
        """Walk everything pushed, in the order the calls were made (depth first)."""
        todo = self.todo
        while todo:
            if self.reach.everything:
                todo.clear()
                return
            kind, a, b, c = todo.pop()
            mark = len(todo)
            if kind == "thunk":
                self._walk_thunk(a)  # type: ignore[arg-type]
            elif kind == "value":
                self._walk_value(a)  # type: ignore[arg-type]
            else:
                self._walk_syntax(a, b, c)  # type: ignore[arg-type]
            # What that step pushed is walked next, first pushed first (as calls would).
            todo[mark:] = todo[mark:][::-1]

    # -- paths -----------------------------------------------------------------------------
    def add_path(self, path: Path | str) -> None:
        real = os.path.realpath(path)
        root = os.fspath(self.ev.root)
        if real != root and not real.startswith(os.path.join(root, "")):
            return
        rel = os.path.relpath(real, root)
        if rel == ".":
            self.reach.everything = True
            return
        self.reach.paths.add(rel)
        if os.path.isdir(real):
            for directory, dirs, files in os.walk(real):
                dirs[:] = sorted(d for d in dirs if d != ".git")
                for name in sorted(files):
                    if name.endswith(".nix"):
                        self.walk_file(os.path.join(directory, name))
        elif real.endswith(".nix"):
            self.walk_file(real)

    def add_prefix(self, literal: str) -> None:
        """The files of the directory of `literal` whose names start with its last part."""
        directory, start = os.path.split(literal)
        real = os.path.realpath(directory)
        root = os.fspath(self.ev.root)
        if real != root and not real.startswith(os.path.join(root, "")):
            return
        rel = os.path.relpath(real, root)
        self.reach.prefixes.add(start if rel == "." else f"{rel}/{start}")
        if not os.path.isdir(real):
            return
        for name in sorted(os.listdir(real)):
            if name.startswith(start):
                self.add_path(os.path.join(real, name))

    def walk_file(self, real: str) -> None:
        if real in self.files_done or not self.ev.files.is_file(real):  # the planned tree's, too
            return
        self.files_done.add(real)
        # A file that does not parse (Nix's `|>`) still names what its tree holds: walked
        # without a scope, as a flake-parts module that does not parse is (`UnreadModule`).
        # One that cannot be read at all (not text) names nothing more.
        found = self.ev.files.source_as_read(Path(real))
        if found is None:
            return
        src, parsed = found
        if not parsed:
            self.walk_syntax(src.root, None, src)
            return
        expr = src.root.child_by_field_name("expression")
        if expr is not None:
            self.walk_syntax(expr, self.ev.globals, src)

    # -- values ----------------------------------------------------------------------------
    def walk_thunk(self, thunk: Thunk) -> None:
        self.todo.append(("thunk", thunk, None, None))

    def walk_value(self, value: Value) -> None:
        self.todo.append(("value", value, None, None))

    def walk_syntax(self, node: Node, env: Env | None, src: Source) -> None:
        self.todo.append(("syntax", node, env, src))

    def _walk_thunk(self, thunk: Thunk) -> None:
        if id(thunk) in self.seen_thunks or id(thunk) in self.skip or self.reach.everything:
            return
        self.seen_thunks[id(thunk)] = thunk
        if thunk.expr is not None and thunk.env is not None and thunk.source is not None:
            self.walk_syntax(thunk.expr, thunk.env, thunk.source)
        else:
            self.walk_value(thunk.force(self.ev))

    def _walk_value(self, value: Value) -> None:
        if id(value) in self.seen_values or self.reach.everything:
            return
        self.seen_values[id(value)] = value
        if any(t.force(self.ev) is value for t in self.skip_thunks):
            return
        if isinstance(value, PathValue):
            self.add_path(value.path)
        elif isinstance(value, Str):
            if value.value.startswith(os.fspath(self.ev.root)):
                self.add_path(value.value)
        elif isinstance(value, Attrs):
            for thunk in value.attrs.values():
                self.walk_thunk(thunk)
            if value.more is not None:
                self.walk_value(value.more)
        elif isinstance(value, ListValue):
            for thunk in value.items:
                self.walk_thunk(thunk)
        elif isinstance(value, Lambda):
            if value.node is not None and value.source is not None:
                self.walk_syntax(value.node, value.env, value.source)
        elif isinstance(value, Builtin):
            for thunk in value.args:
                self.walk_thunk(thunk)
        elif isinstance(value, SystemCall):
            self.walk_value(value.args)
        elif isinstance(value, Maybe):
            self.walk_thunk(value.item)
        elif isinstance(value, Choice):
            for thunk in value.options:
                self.walk_thunk(thunk)
        elif isinstance(value, Unknown):
            # Without its scope, the syntax is walked only when nothing better says what it
            # was computed from (the scope-less walk over-approximates `./hosts/${h}`).
            bare = value.env is None and (value.parts or value.call is not None)
            if value.node is not None and value.source is not None and not bare:
                self.walk_syntax(value.node, value.env, value.source)
            if value.call is not None:
                self.walk_thunk(value.call)
            for part in value.parts:
                self.walk_thunk(part)

    # -- syntax ----------------------------------------------------------------------------
    def _walk_syntax(self, node: Node, env: Env | None, src: Source) -> None:
        key = (os.fspath(src.path), node.start_byte, node.end_byte, id(env))
        if key in self.seen_nodes or self.reach.everything:
            return
        self.seen_nodes[key] = env
        self.reach.spans.setdefault(os.fspath(src.path), []).append(
            (node.start_byte, node.end_byte)
        )
        todo = [node]
        while todo:
            current = todo.pop()
            self.nodes += 1
            if self.nodes > MAX_NODES:
                self.reach.everything = True
                return
            kind = current.type
            if kind == "path_expression":
                self.path_literal(current, env, src)
                continue
            if kind == "variable_expression":
                self.variable(current, env, src)
                continue
            if kind == "apply_expression" and env is not None:
                # `mkHost h` where `h` is known here: the value says which files, exactly
                # (walking `mkHost`'s body alone would take all of `./hosts/${name}`'s dir).
                value = self.ev.eval(current, env, src)
                if not isinstance(value, Unknown):
                    self.walk_value(value)
                    continue
            if kind == "select_expression" and self.select(current, env, src):
                default = current.child_by_field_name("default")
                if default is not None:
                    todo.append(default)
                continue
            todo.extend(c for c in current.children if c.is_named)

    def path_literal(self, node: Node, env: Env | None, src: Source) -> None:
        value = self.ev.eval(node, env or self.ev.globals, src)
        if isinstance(value, PathValue):
            self.add_path(value.path)
            return
        # `./hosts/${name}`: everything under the literal part's directory; `./hm-${kind}.nix`:
        # the names there that start with `hm-` (a name cannot hold a `/` in practice).
        text = node_text(node, src.text).split("${", 1)[0]
        if text.startswith(("/", "~")) or "/" not in text:
            return
        base = Path(src.path) if src.path.is_absolute() else self.ev.root / src.path
        literal = os.path.normpath(os.path.join(base.parent, text))
        if text.endswith(("/", "/.", "/..")):
            self.add_path(literal)
        else:
            self.add_prefix(literal)

    def variable(self, node: Node, env: Env | None, src: Source) -> None:
        name = node_text(node, src.text)
        if env is not None:
            thunk = env.lookup(name, self.ev)
            if thunk is not None:
                self.walk_thunk(thunk)
            return
        bound = _lexical_binding(node, name)
        if bound is not None:
            self.walk_syntax(bound, None, src)

    def select(self, node: Node, env: Env | None, src: Source) -> bool:
        """`a.b.c` with `a` known: walk the deepest part that is known (`self.x.y` is `x.y`,
        not every output). False: walk the syntax instead."""
        if env is None:
            return False
        base_node = node.child_by_field_name("expression")
        attrpath = node.child_by_field_name("attrpath")
        if base_node is None or attrpath is None or base_node.type != "variable_expression":
            return False
        thunk = env.lookup(node_text(base_node, src.text), self.ev)
        if thunk is None:
            return False
        value = thunk.force(self.ev)
        if isinstance(value, Unknown):
            return False
        for attr in attrpath.children_by_field_name("attr"):
            name = attr_name(attr, src.text)
            if name is None or not isinstance(value, Attrs):
                break
            nxt = self.ev.select(value, name, attr, src)
            if isinstance(nxt, Unknown):
                break
            value = nxt
        self.walk_value(value)
        return True


def _lexical_binding(node: Node, name: str) -> Node | None:
    """The expression `name` is bound to by a `let` or `rec { }` around `node`, if any."""
    up = node.parent
    while up is not None:
        if up.type in ("let_expression", "rec_attrset_expression"):
            for binding in bindings_of(up):
                if binding.type != "binding":
                    continue
                attrpath = binding.child_by_field_name("attrpath")
                attrs = attrpath.children_by_field_name("attr") if attrpath is not None else []
                if attrs and attrs[0].text is not None and attrs[0].text.decode() == name:
                    return binding.child_by_field_name("expression")
        up = up.parent
    return None


def reach_of(ev: Evaluator, value: Value | Thunk, skip: tuple[Thunk, ...] = ()) -> Reach:
    """The files `value` might read (see the module's docstring)."""
    walker = _Walker(ev, skip)
    if isinstance(value, Thunk):
        walker.walk_thunk(value)
    else:
        walker.walk_value(value)
    walker.drain()
    return walker.reach
