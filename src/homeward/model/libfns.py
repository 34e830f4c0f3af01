"""Functions of `builtins` and `lib` on functions, sets and lists that helper libraries written
in configurations use to load themselves (hlissner's `lib/default.nix`: `intersectAttrs
(functionArgs f) libs`, `zipAttrsWith` to merge them), implemented here (the evaluator's table
of builtins: `model/primops.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeward.model.values import (
    Attrs,
    Bool,
    Builtin,
    FileText,
    Impl,
    Int,
    Lambda,
    ListValue,
    Maybe,
    Str,
    Thunk,
    Unknown,
    Value,
)
from homeward.syntax.nodes import node_text

if TYPE_CHECKING:
    from homeward.model.eval import Evaluator


def _b_function_args(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.functionArgs f`: the names of `f`'s formals, each true when it has a default."""
    fn = ev.force(args[0])
    if isinstance(fn, Builtin):
        return Attrs({}, me.node, me.source)
    if not isinstance(fn, Lambda) or fn.node is None or fn.source is None:
        return Unknown("`functionArgs` of a function that is not known", me.node, me.source)
    formals = fn.node.child_by_field_name("formals")
    out: dict[str, Thunk] = {}
    if formals is not None:
        for formal in formals.children_by_field_name("formal"):
            name = formal.child_by_field_name("name")
            if name is not None:
                default = formal.child_by_field_name("default") is not None
                out[node_text(name, fn.source.text)] = Thunk.of(Bool(default))
    return Attrs(out, me.node, me.source)


def _b_intersect_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.intersectAttrs e1 e2`: the attributes of `e2` whose names `e1` has."""
    names, values = ev.force(args[0]), ev.force(args[1])
    if not isinstance(names, Attrs) or not isinstance(values, Attrs) or names.more is not None:
        return Unknown("`intersectAttrs` of sets that are not known", me.node, me.source)
    out = {n: t for n, t in values.attrs.items() if n in names.attrs}
    missing = [n for n in names.attrs if n not in values.attrs]
    more = values.more if missing else None
    return Attrs(out, me.node, me.source, more=more)


def _b_zip_attrs_with(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.zipAttrsWith f sets`: for each name, `f name [ values of the sets that have it ]`."""
    fn, sets = args[0], ev.force(args[1])
    if not isinstance(sets, ListValue):
        return Unknown("`zipAttrsWith` of a list that is not known", me.node, me.source)
    names: dict[str, list[Thunk]] = {}
    more: Unknown | None = None
    for item in sets.items:
        value = ev.force(item)
        if not isinstance(value, Attrs):
            more = more or Unknown("`zipAttrsWith` of a set that is not known", me.node, me.source)
            continue
        more = more or value.more
        for name, thunk in value.attrs.items():
            names.setdefault(name, []).append(thunk)

    def entry(name: str, values: list[Thunk]) -> Thunk:
        def compute(ev: Evaluator) -> Value:
            f = ev.apply(ev.force(fn), Thunk.of(Str(name)), me.node, me.source)
            return ev.apply(f, Thunk.of(ListValue(values, me.node, me.source)), me.node, me.source)

        return Thunk(compute=compute)

    return Attrs({n: entry(n, v) for n, v in names.items()}, me.node, me.source, more=more)


def _b_tail(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    value = ev.force(args[0])
    if isinstance(value, ListValue) and value.items:
        return ListValue(value.items[1:], me.node, me.source)
    return Unknown("`tail` of a list that is not known", me.node, me.source)


def _b_last(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    value = ev.force(args[0])
    if isinstance(value, ListValue) and value.items:
        return ev.force(value.items[-1])
    return Unknown("`last` of a list that is not known", me.node, me.source)


def _b_elem_at(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.elemAt list n`: the element, when the list and every element up to it are
    surely there."""
    lst, index = ev.force(args[0]), ev.force(args[1])
    if not isinstance(lst, ListValue) or not isinstance(index, Int):
        return Unknown("`elemAt` of a list or an index that is not known", me.node, me.source)
    if not 0 <= index.value < len(lst.items):
        return Unknown("`elemAt` past the end of the list", me.node, me.source)
    if any(isinstance(ev.force(t), Maybe) for t in lst.items[: index.value + 1]):
        return Unknown("`elemAt` of a list whose elements are not known", me.node, me.source)
    return ev.force(lst.items[index.value])


def _b_split_string(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.splitString sep s`: the parts of `s` between the (literal) separators."""
    sep, text = ev.force(args[0]), ev.force(args[1])
    if not isinstance(sep, Str) or not isinstance(text, Str) or not sep.value:
        return Unknown("`splitString` of strings that are not known", me.node, me.source)
    if isinstance(text, FileText):  # its parts are the file's text too (never copied)
        return Unknown("`splitString` of a file's text", me.node, me.source)
    parts = text.value.split(sep.value)
    return ListValue([Thunk.of(Str(p, me.node, me.source)) for p in parts], me.node, me.source)


def _b_attr_by_path(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.attrByPath [ "a" "b" ] default set`: the value at the path in `set`, else
    `default` (a helper's table of builders by system: `attrByPath [ system ] null {
    x86_64-linux = nixpkgs.lib.nixosSystem; … }`). Unknown where a set on the way may hold
    names homeward cannot see."""
    path, value = ev.force(args[0]), ev.force(args[2])
    if not isinstance(path, ListValue):
        return Unknown("`attrByPath` of a path that is not known", me.node, me.source)
    for item in path.items:
        name = ev.force(item)
        if not isinstance(name, Str):
            return Unknown("`attrByPath` of a path that is not known", me.node, me.source)
        if isinstance(value, Attrs) and name.value in value.attrs:
            value = ev.force(value.attrs[name.value])
        elif isinstance(value, Attrs) and value.more is None and not value.dynamic_keys:
            if "__external__" in value.attrs:
                value = ev.select(value, name.value, me.node, me.source)
            else:
                return ev.force(args[1])
        else:
            return Unknown(
                f"`attrByPath` in a set that is not known (`{name.value}`)", me.node, me.source
            )
    return value


def _b_all(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.all pred list` (and `any`): decided only when every answer is known."""
    pred, lst = ev.force(args[0]), ev.force(args[1])
    if not isinstance(lst, ListValue):
        return Unknown(f"`{me.name}` over a list that is not known", me.node, me.source)
    want = not me.name.endswith("any")
    for item in lst.items:
        answer = ev.apply(pred, item, me.node, me.source)
        if not isinstance(answer, Bool):
            return Unknown(f"`{me.name}` with an answer that is not known", me.node, me.source)
        if answer.value is not want:
            return Bool(not want, me.node, me.source)
    return Bool(want, me.node, me.source)


def _is(kind: type[Value] | tuple[type[Value], ...]) -> Impl:
    def impl(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
        value = ev.force(args[0])
        if isinstance(value, Unknown):
            return Unknown(f"`{me.name}` of a value that is not known", me.node, me.source)
        return Bool(isinstance(value, kind), me.node, me.source)

    return impl


BUILTINS: dict[str, tuple[int, Impl]] = {
    "functionArgs": (1, _b_function_args),
    "intersectAttrs": (2, _b_intersect_attrs),
    "zipAttrsWith": (2, _b_zip_attrs_with),
    "tail": (1, _b_tail),
    "last": (1, _b_last),
    "elemAt": (2, _b_elem_at),
    "splitString": (2, _b_split_string),
    "all": (2, _b_all),
    "attrByPath": (3, _b_attr_by_path),
    "any": (2, _b_all),
    "isList": (1, _is(ListValue)),
    "isAttrs": (1, _is(Attrs)),
    "isFunction": (1, _is((Lambda, Builtin))),
}
