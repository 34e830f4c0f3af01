"""A lexical scope of the evaluator (model/eval.py), and the scope an Unknown made in it records."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeward.model.values import Attrs, External, Thunk, Unknown, Value

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.eval import Evaluator
    from homeward.syntax.parse import Source


class Env:
    """A lexical scope; `with_` scopes are searched only after all lexical ones, as in Nix."""

    __slots__ = ("call", "parent", "vars", "with_")

    def __init__(
        self,
        parent: Env | None = None,
        vars: dict[str, Thunk] | None = None,
        with_: Thunk | None = None,
    ) -> None:
        self.parent = parent
        self.vars = vars if vars is not None else {}
        self.with_ = with_
        # The scope of a function's body: the function and the argument it was called with, so
        # that a planner can tell what the caller passes (plan/wiring.py adds a formal).
        self.call: tuple[Node, Source, Thunk] | None = None

    def lookup(
        self, name: str, ev: Evaluator, node: Node | None = None, src: Source | None = None
    ) -> Thunk | None:
        """The value `name` has here, None when it has none. Nix looks it up in the innermost
        `with` first: a `with` whose set homeward cannot read in full may hold it, so the name
        is then unknown, whatever an outer `with` holds (`node`, `src`: where it is used)."""
        env: Env | None = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            env = env.parent
        env = self
        while env is not None:
            with_ = env.with_
            env = env.parent
            if with_ is None:
                continue
            scope = with_.force(ev)
            if isinstance(scope, Attrs) and name in scope.attrs:
                return scope.attrs[name]
            if isinstance(scope, Attrs) and "__external__" in scope.attrs:
                # An input's set with names written over it (`nixpkgs.lib.extend (…)`, an
                # overlaid package set): every other name is the input's.
                return Thunk.of(ev.select(scope, name, node, src))
            if isinstance(scope, External):
                return Thunk.of(External(f"{scope.name}.{name}"))
            why = _with_unknown(name, with_, ev)
            if why is not None:
                # what it may be: the set's, or what a `with` further out holds (model/reach.py
                # walks both)
                outer = env.lookup(name, ev) if env is not None else None
                parts = (with_,) if outer is None else (with_, outer)
                return Thunk.of(Unknown(why, node, src, parts=parts))
        return None

    def undefined(self, name: str, ev: Evaluator) -> str:
        """Why `name`, which `lookup` did not find, has no value: it is not defined, or it may
        be a name of a `with` around it whose set homeward cannot read (the innermost such),
        named with its place (rule 9: the real cause, not "not defined")."""
        env: Env | None = self
        while env is not None:
            with_ = env.with_
            env = env.parent
            why = None if with_ is None else _with_unknown(name, with_, ev)
            if why is not None:
                return why
        return f"`{name}` is not defined here"


def _with_unknown(name: str, with_: Thunk, ev: Evaluator) -> str | None:
    """Why `name` may be a name of the set of `with_`, which homeward cannot read in full, with
    the `with`'s place; None when its names are known."""
    why = _unread_set(with_.force(ev))
    if why is None or with_.expr is None or with_.source is None:
        return None
    src, node = with_.source, with_.expr
    text = src.text[node.start_byte : node.end_byte].decode(errors="replace")
    said = f"`with {text};`" if len(text) <= 40 and "\n" not in text else "a `with`"
    at = src.location(node.parent.start_byte if node.parent is not None else 0)
    return f"`{name}` may come from {said} at {at}, whose set is not known: {why}"


def _unread_set(scope: Value) -> str | None:
    """Why the names of a `with`'s set `scope` are not known; None when they are (an attribute
    set read in full, or an input's, whose names are the input's)."""
    if isinstance(scope, External):
        return None
    if isinstance(scope, Unknown):
        return scope.reason
    if not isinstance(scope, Attrs):
        return f"it is a {type(scope).__name__.lower()}"
    if scope.more is not None:
        return scope.more.reason
    if scope.dynamic_keys:
        return "some of its attribute names are computed"
    return None


def bound(result: Value, env: Env, src: Source) -> Value:
    """An unknown made here records the scope its names are bound in: what it might read
    (model/reach.py)."""
    if type(result) is Unknown and result.env is None and result.source is src:
        result.env = env
    return result


def bound_in(result: Value, env: Env | None, src: Source) -> Value:
    return result if env is None else bound(result, env, src)
