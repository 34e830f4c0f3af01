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

    def lookup(self, name: str, ev: Evaluator) -> Thunk | None:
        env: Env | None = self
        while env is not None:
            if name in env.vars:
                return env.vars[name]
            env = env.parent
        env = self
        while env is not None:
            if env.with_ is not None:
                scope = env.with_.force(ev)
                if isinstance(scope, Attrs) and name in scope.attrs:
                    return scope.attrs[name]
                if isinstance(scope, External):
                    return Thunk.of(External(f"{scope.name}.{name}"))
            env = env.parent
        return None


def bound(result: Value, env: Env, src: Source) -> Value:
    """An unknown made here records the scope its names are bound in: what it might read
    (model/reach.py)."""
    if type(result) is Unknown and result.env is None and result.source is src:
        result.env = env
    return result


def bound_in(result: Value, env: Env | None, src: Source) -> Value:
    return result if env is None else bound(result, env, src)
