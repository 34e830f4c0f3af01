"""Operations on values: `//`, `++`, `+`, comparisons, `recursiveUpdate`, strings of values,
and elements only maybe there."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from homeward.model.values import (
    Attrs,
    Bool,
    Builtin,
    Choice,
    External,
    Int,
    Lambda,
    ListValue,
    Maybe,
    Null,
    PathValue,
    Str,
    SystemCall,
    Thunk,
    Unknown,
    Value,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.eval import Evaluator
    from homeward.syntax.parse import Source


def normpath(path: Path) -> str:
    import os.path

    return os.path.normpath(str(path))


def to_string(value: Value) -> str | None:
    if isinstance(value, Str):
        return value.value
    if isinstance(value, Int):
        return str(value.value)
    if isinstance(value, PathValue):
        return str(value.path)
    return None


def _surely_there(item: Thunk) -> bool:
    """A list element that is there whatever homeward cannot decide: written in the list, or
    computed already and not a `Maybe`."""
    if item.expr is not None:
        return True
    value = item.computed
    return value is not None and not isinstance(value, Maybe)


_NOT_NULL = (Lambda, Builtin, Attrs, ListValue, PathValue, Str, Int, Bool, SystemCall)


def binary(op: str, left: Value, right: Value, node: Node | None, src: Source | None) -> Value:
    if isinstance(left, Choice):
        left = Unknown(left.reason, left.node, left.source)
    if isinstance(right, Choice):
        right = Unknown(right.reason, right.node, right.source)
    if op == "//":
        if isinstance(left, Attrs) and isinstance(right, Attrs):
            return Attrs(
                {**left.attrs, **right.attrs},
                node,
                src,
                [*left.dynamic_keys, *right.dynamic_keys],
                right.more or left.more,
            )
        if isinstance(left, External) and isinstance(right, External):
            return External(
                left.name, node, src, (*left.alternatives, right.name, *right.alternatives)
            )
        if isinstance(left, External) and isinstance(right, Attrs):
            return _ExtendedExternal.make(left, right, node, src)
        # Partly known (`flake-utils.lib.eachDefaultSystem (...) // { nixosConfigurations = ...; }`):
        # the known attributes, and others maybe.
        if isinstance(right, External) and isinstance(left, Attrs):  # `{ ... } // inputs.x.hosts`
            where, where_src = (right.node, right.source) if right.node else (node, src)
            right = Unknown(f"`{right.name}` comes from outside the repository", where, where_src)
        if isinstance(left, Unknown) and isinstance(right, Attrs):
            return Attrs(dict(right.attrs), node, src, list(right.dynamic_keys), left)
        if isinstance(left, Attrs) and isinstance(right, Unknown):
            return Attrs(dict(left.attrs), node, src, list(left.dynamic_keys), right)
        return Unknown("`//` of values that are not known", node, src)
    if op == "++":
        if isinstance(left, ListValue) and isinstance(right, ListValue):
            return ListValue([*left.items, *right.items], node, src)
        # Partly known (`[ ./a.nix ] ++ extraModules`): the known elements, and one opaque one.
        if isinstance(left, ListValue) and isinstance(right, Unknown):
            return ListValue([*left.items, Thunk.of(right)], node, src)
        if isinstance(left, Unknown) and isinstance(right, ListValue):
            return ListValue([Thunk.of(left), *right.items], node, src)
        return Unknown("`++` of lists that are not known", node, src)
    if op == "+":
        if isinstance(left, PathValue):
            text = to_string(right)
            if text is not None:
                return PathValue(Path(normpath(Path(str(left.path) + text))), node, src)
        if isinstance(left, Str):
            text = to_string(right)
            if text is not None:
                return Str(left.value + text, node, src)
        if isinstance(left, Int) and isinstance(right, Int):
            return Int(left.value + right.value, node, src)
        if isinstance(left, External):
            return External(f"({left.name} + …)", node, src)
        return Unknown("`+` of values that are not known", node, src)
    if op in ("==", "!="):
        a, b = plain(left), plain(right)
        if a is not None and b is not None:
            return Bool((a == b) == (op == "=="), node, src)
        # `tail values == [ ]`: a list compared with the empty list.
        if isinstance(left, ListValue) and isinstance(right, ListValue):
            empty, other = (left, right) if not left.items else (right, left)
            if not empty.items and (not other.items or any(_surely_there(t) for t in other.items)):
                return Bool((not other.items) == (op == "=="), node, src)
        # `v != null` with `v` a function, a set or a list: surely not null.
        if any(isinstance(x, Null) for x in (left, right)) and all(
            isinstance(x, _NOT_NULL) for x in (left, right) if not isinstance(x, Null)
        ):
            return Bool(op == "!=", node, src)
        return Unknown(f"`{op}` of values that are not known", node, src)
    if isinstance(left, Int) and isinstance(right, Int):
        a, b = left.value, right.value
        if op == "-":
            return Int(a - b, node, src)
        if op == "*":
            return Int(a * b, node, src)
        comparisons = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}
        if op in comparisons:
            return Bool(comparisons[op], node, src)
    if op in ("&&", "||") and isinstance(left, Bool) and isinstance(right, Bool):
        return Bool(
            left.value and right.value if op == "&&" else left.value or right.value, node, src
        )
    # One side decides (`false && x`, `x || true`): the other need not be known.
    if op in ("&&", "||") and (isinstance(left, Bool) or isinstance(right, Bool)):
        decided = op == "||"
        for side in (left, right):
            if isinstance(side, Bool) and side.value is decided:
                return Bool(decided, node, src)
    return Unknown(f"`{op}` is not followed", node, src)


def maybe(item: Thunk, reason: str) -> Thunk:
    """`item`, only there under a condition homeward cannot decide."""
    return Thunk(compute=lambda ev: _maybe_value(ev, item, reason))


def _maybe_value(ev: Evaluator, item: Thunk, reason: str) -> Value:
    value = ev.force(item)
    if isinstance(value, Maybe):
        return value
    return Maybe(Thunk.of(value), reason, value.node, value.source)


def plain(value: Value) -> object:
    if isinstance(value, Str | Int | Bool):
        return value.value
    if isinstance(value, Null):
        return ()
    return None


class _ExtendedExternal:
    """`nixpkgs.lib // { my = ...; }`: own attributes first, the input's otherwise."""

    @staticmethod
    def make(ext: External, extra: Attrs, node: Node | None, src: Source | None) -> Value:
        result = Attrs(dict(extra.attrs), node, src)
        result.attrs.setdefault("__external__", Thunk.of(ext))
        return result


def recursive_update(left: Value, right: Value, node: Node | None, src: Source | None) -> Value:
    if not (isinstance(left, Attrs) and isinstance(right, Attrs)):
        return binary("//", left, right, node, src)
    out = dict(left.attrs)
    for name, thunk in right.attrs.items():
        if name in out:
            out[name] = _updated(out[name], thunk, node, src)
        else:
            out[name] = thunk
    more = right.more or left.more
    return Attrs(out, node, src, [*left.dynamic_keys, *right.dynamic_keys], more)


def _updated(a: Thunk, b: Thunk, node: Node | None, src: Source | None) -> Thunk:
    """`a` updated with `b` (one attribute of `recursiveUpdate`), computed when needed."""

    def compute(ev: Evaluator) -> Value:
        left, right = ev.force(a), ev.force(b)
        if isinstance(left, Attrs) and isinstance(right, Attrs):
            return recursive_update(left, right, node, src)
        return right

    return Thunk(compute=compute)
