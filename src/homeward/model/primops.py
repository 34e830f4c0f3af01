"""The builtins and library functions the evaluator (model/eval.py) implements: `map`,
`genAttrs`, `listToAttrs`, `readDir`, `import`, `nixosSystem`, flake-utils' `eachSystem`, ...,
and the table of them (with model/libfns.py's, model/frameworks.py's and model/data.py's)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.model.data import BUILTINS as DATA_BUILTINS
from homeward.model.frameworks import BUILTINS as FRAMEWORK_BUILTINS
from homeward.model.frameworks import in_repo, npins
from homeward.model.libfns import BUILTINS as LIB_BUILTINS
from homeward.model.ops import binary, maybe, plain, recursive_update, to_string
from homeward.model.values import (
    Attrs,
    Bool,
    Builtin,
    External,
    Impl,
    Lambda,
    ListValue,
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


def _list(ev: Evaluator, value: Value) -> list[Value] | None:
    if isinstance(value, ListValue):
        return [ev.force(t) for t in value.items]
    return None


def _b_map(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    fn, lst = ev.force(args[0]), ev.force(args[1])
    if not isinstance(lst, ListValue):
        return _not_known(lst, "`map` over a list that is not known", me)
    return ListValue(
        [Thunk.of(ev.apply(fn, item, me.node, me.source)) for item in lst.items],
        lst.node,
        lst.source,
    )


def _b_gen_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.genAttrs names f`: partly known when some names are not (rule 9)."""
    lst = ev.force(args[0])
    fn = ev.force(args[1])
    if not isinstance(lst, ListValue):
        return _not_known(lst, "`genAttrs` over names that are not known", me)
    out: dict[str, Thunk] = {}
    more: Unknown | None = None
    for thunk in lst.items:
        name = ev.force(thunk)
        if not isinstance(name, Str):
            if more is None:
                more = _unknown_at(name, "`genAttrs` over a name that is not known", me)
                more.parts = (args[1],)
            more.parts = (*more.parts, thunk)
            continue
        out[name.value] = Thunk.of(ev.apply(fn, Thunk.of(name), me.node, me.source))
    return Attrs(out, me.node, me.source, more=more)


def _b_list_to_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.listToAttrs`: partly known when some items or names are not (their entries
    are "maybe more", rule 9); of two equal names the first wins, as in Nix."""
    lst = ev.force(args[0])
    if not isinstance(lst, ListValue):
        return _not_known(lst, "`listToAttrs` of a list that is not known", me)
    out: dict[str, Thunk] = {}
    more: Unknown | None = None
    for thunk in lst.items:
        item = ev.force(thunk)
        name = (
            ev.force(item.attrs["name"])
            if isinstance(item, Attrs) and "name" in item.attrs and "value" in item.attrs
            else None
        )
        if not isinstance(item, Attrs) or not isinstance(name, Str):
            if more is None:
                what = "a name" if name is not None else "an item"
                more = _unknown_at(item, f"`listToAttrs` with {what} that is not known", me)
            more.parts = (*more.parts, thunk)
            continue
        out.setdefault(name.value, item.attrs["value"])
    return Attrs(out, me.node, me.source, more=more)


def _unknown_at(value: Value, reason: str, me: Builtin) -> Unknown:
    """`reason`, at `value`'s own place when it has one (the item that is not known)."""
    if isinstance(value, Unknown):
        return Unknown.of(value, f"{reason}: {value.reason}")
    if value.node is not None and value.source is not None:
        return Unknown(reason, value.node, value.source)
    return Unknown(reason, me.node, me.source)


def _not_known(value: Value, reason: str, me: Builtin) -> Unknown:
    """`reason`, and why `value` is not known when it is an Unknown. At the call, not at the
    cause: what an Unknown might read is found from its node (model/reach.py), and the call
    holds everything the cause does."""
    if isinstance(value, Unknown):
        return Unknown(f"{reason}: {value.reason}", me.node, me.source)
    return Unknown(reason, me.node, me.source)


def _b_name_value_pair(_ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    return Attrs({"name": args[0], "value": args[1]}, me.node, me.source)


def _b_map_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    fn, attrs = ev.force(args[0]), ev.force(args[1])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`mapAttrs` over a set that is not known", me)
    out: dict[str, Thunk] = {}
    for name, thunk in attrs.attrs.items():
        partial = ev.apply(fn, Thunk.of(Str(name)), me.node, me.source)
        out[name] = Thunk.of(ev.apply(partial, thunk, me.node, me.source))
    return Attrs(out, me.node, me.source, more=attrs.more)


def _b_filter_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    fn, attrs = ev.force(args[0]), ev.force(args[1])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`filterAttrs` over a set that is not known", me)
    out: dict[str, Thunk] = {}
    more = attrs.more
    for name, thunk in attrs.attrs.items():
        keep = ev.apply(
            ev.apply(fn, Thunk.of(Str(name)), me.node, me.source), thunk, me.node, me.source
        )
        if not isinstance(keep, Bool):
            # Partly known (rule 9): an entry the predicate cannot decide is "maybe more",
            # the decided ones are read.
            if more is None:
                more = _unknown_at(keep, f"`filterAttrs` cannot decide whether `{name}` stays", me)
            more.parts = (*more.parts, thunk)
            continue
        if keep.value:
            out[name] = thunk
    return Attrs(out, me.node, me.source, list(attrs.dynamic_keys), more)


def _b_map_attrs_to_list(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.mapAttrsToList (name: value: ...) set`, in name order as nix does."""
    fn, attrs = ev.force(args[0]), ev.force(args[1])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`mapAttrsToList` over a set that is not known", me)
    items = [
        Thunk.of(
            ev.apply(
                ev.apply(fn, Thunk.of(Str(name)), me.node, me.source),
                attrs.attrs[name],
                me.node,
                me.source,
            )
        )
        for name in sorted(attrs.attrs)
    ]
    if attrs.more is not None:
        items.append(Thunk.of(attrs.more))
    return ListValue(items, me.node, me.source)


def _b_attr_names(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    attrs = ev.force(args[0])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`attrNames` of a set that is not known", me)
    return ListValue([Thunk.of(Str(n)) for n in sorted(attrs.attrs)], me.node, me.source)


def _b_attr_values(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    attrs = ev.force(args[0])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`attrValues` of a set that is not known", me)
    items = [attrs.attrs[n] for n in sorted(attrs.attrs)]
    if attrs.more is not None:  # `(import ./modules) // inputs.x.homeManagerModules`
        items.append(Thunk.of(attrs.more))
    return ListValue(items, me.node, me.source)


def _b_read_dir(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    path = in_repo(ev, ev.force(args[0]))
    if not isinstance(path, PathValue):
        return Unknown("`readDir` of a path that is not known", me.node, me.source)
    if not path.path.is_relative_to(ev.boundary) or not ev.files.is_dir(os.fspath(path.path)):
        return Unknown(
            f"`readDir` of `{ev.files.shown(path.path)}`, which is not a directory in the repository",
            me.node,
            me.source,
        )
    seen = ev.files.tracked.read_dir(path.path) if ev.files.tracked is not None else None
    if seen is None:  # in git: what git tracks is what nix sees (rule 12)
        seen = {}
        for entry in sorted(path.path.iterdir()) if path.path.is_dir() else ():
            seen[entry.name] = (
                "directory"
                if entry.is_dir() and not entry.is_symlink()
                else "symlink"
                if entry.is_symlink()
                else "regular"
            )
    seen = ev.files.planned_listing(path.path, seen)
    return Attrs({n: Thunk.of(Str(k)) for n, k in seen.items()}, me.node, me.source)


def _b_path_exists(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    path = in_repo(ev, ev.force(args[0]))
    if not isinstance(path, PathValue):
        return Unknown("`pathExists` of a path that is not known", me.node, me.source)
    if not path.path.is_relative_to(ev.boundary):
        return Unknown(
            f"`pathExists` of `{ev.files.shown(path.path)}`, outside the repository",
            me.node,
            me.source,
        )
    # What nix sees (rule 12): in git, a file that is not tracked does not exist for it.
    return Bool(ev.files.seen_by_nix(path.path) is not None, me.node, me.source)


def _b_import(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    path = in_repo(ev, ev.force(args[0]))
    if isinstance(path, PathValue):
        pins = npins(ev, path.path)  # `import ./npins`: sources from outside, as inputs are
        return pins if pins is not None else ev.eval_file(path.path, me.node, me.source)
    if isinstance(path, External):
        return External(f"import {path.name}", me.node, me.source)
    return Unknown("`import` of something that is not a path in the repository", me.node, me.source)


def _b_concat_lists(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    outer = _list(ev, ev.force(args[0]))
    if outer is None or not all(isinstance(x, ListValue) for x in outer):
        return Unknown("`concatLists` of lists that are not known", me.node, me.source)
    return ListValue(
        [t for x in outer if isinstance(x, ListValue) for t in x.items], me.node, me.source
    )


def _b_optionals(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    cond = ev.force(args[0])
    if not isinstance(cond, Bool):
        reason = "`optionals` with a condition that is not known"
        inner = ev.force(args[1])
        if isinstance(inner, ListValue):
            return ListValue([maybe(t, reason) for t in inner.items], me.node, me.source)
        return Unknown(reason, me.node, me.source)
    return ev.force(args[1]) if cond.value else ListValue([], me.node, me.source)


def _b_optional(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    cond = ev.force(args[0])
    if not isinstance(cond, Bool):
        reason = "`optional` with a condition that is not known"
        return ListValue([maybe(args[1], reason)], me.node, me.source)
    return ListValue([args[1]] if cond.value else [], me.node, me.source)


def _b_flatten(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.flatten`: nested lists made flat; other elements kept as they are."""
    out: list[Thunk] = []

    def walk(thunk: Thunk, depth: int) -> None:
        value = ev.force(thunk)
        if isinstance(value, ListValue) and depth < 50:
            for item in value.items:
                walk(item, depth + 1)
        else:
            out.append(thunk)

    top = ev.force(args[0])
    if not isinstance(top, ListValue):
        return Unknown("`flatten` of a list that is not known", me.node, me.source)
    for item in top.items:
        walk(item, 0)
    return ListValue(out, me.node, me.source)


def _b_filter(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    fn, lst = ev.force(args[0]), ev.force(args[1])
    if not isinstance(lst, ListValue):
        return Unknown("`filter` of a list that is not known", me.node, me.source)
    out: list[Thunk] = []
    for item in lst.items:
        keep = ev.apply(fn, item, me.node, me.source)
        if isinstance(keep, Bool):
            if keep.value:
                out.append(item)
        else:
            out.append(maybe(item, "`filter` with a predicate that is not known"))
    return ListValue(out, me.node, me.source)


def _b_make_overridable(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    fn = ev.force(args[0])
    result = ev.apply(fn, args[1], me.node, me.source)
    if isinstance(result, SystemCall):
        return SystemCall(
            result.kind, result.function, result.args, result.node, result.source, (fn, args[1])
        )
    return result


def b_override(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`config.override new` of a `makeOverridable f old`: `f (old // new)`, or
    `f (old // new old)` when `new` is a function."""
    call = ev.force(args[0])
    if not isinstance(call, SystemCall) or call.overridable is None:
        return Unknown("`override` of a value homeward cannot read", me.node, me.source)
    fn, old = call.overridable
    new = ev.force(args[1])
    if isinstance(new, Lambda):
        new = ev.apply(new, old, me.node, me.source)
    merged = Thunk.of(binary("//", ev.force(old), new, me.node, me.source))
    return _b_make_overridable(ev, [Thunk.of(fn), merged], me)


def _b_remove_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    attrs, names = ev.force(args[0]), _list(ev, ev.force(args[1]))
    if not isinstance(attrs, Attrs) or names is None:
        return Unknown("`removeAttrs` of values that are not known", me.node, me.source)
    gone = {n.value for n in names if isinstance(n, Str)}
    kept = {k: v for k, v in attrs.attrs.items() if k not in gone}
    return Attrs(kept, attrs.node, attrs.source, list(attrs.dynamic_keys), attrs.more)


def _b_list_files_recursive(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.filesystem.listFilesRecursive dir`: the files under `dir` in the repository, as Nix
    lists them (symlinks are not followed out of the repository: they are opaque)."""
    path = ev.force(args[0])
    if not isinstance(path, PathValue):
        return Unknown("`listFilesRecursive` of a path that is not known", me.node, me.source)
    if not path.path.is_relative_to(ev.boundary) or not path.path.is_dir():
        return Unknown(
            f"`listFilesRecursive` of `{ev.files.shown(path.path)}`, which is not a directory in the "
            "repository",
            me.node,
            me.source,
        )
    found: list[Thunk] = []
    if ev.files.tracked is not None and ev.files.tracked.read_dir(path.path) is not None:
        tracked = ev.files.tracked

        def walk(directory: Path) -> None:  # as nix lists them: by name, depth first
            for name, kind in (tracked.read_dir(directory) or {}).items():
                if kind == "directory":
                    walk(directory / name)
                else:
                    found.append(Thunk.of(PathValue(directory / name, me.node, me.source)))

        walk(path.path)
        return ListValue(found, me.node, me.source)
    for directory, dirs, files in os.walk(path.path):
        dirs.sort()
        for name in sorted(files):
            found.append(Thunk.of(PathValue(Path(directory) / name, me.node, me.source)))
    return ListValue(found, me.node, me.source)


def _b_to_string(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    text = to_string(ev.force(args[0]))
    return (
        Str(text, me.node, me.source)
        if text is not None
        else Unknown("`toString` of a value that is not known", me.node, me.source)
    )


def _b_remove_suffix(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    suffix, text = ev.force(args[0]), ev.force(args[1])
    if isinstance(suffix, Str) and isinstance(text, Str):
        return Str(text.value.removesuffix(suffix.value), me.node, me.source)
    return Unknown("`removeSuffix` of values that are not known", me.node, me.source)


def _b_remove_prefix(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    prefix, text = ev.force(args[0]), ev.force(args[1])
    if isinstance(prefix, Str) and isinstance(text, Str):
        return Str(text.value.removeprefix(prefix.value), me.node, me.source)
    return Unknown("`removePrefix` of values that are not known", me.node, me.source)


def _b_has_suffix(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    suffix, text = to_string(ev.force(args[0])), to_string(ev.force(args[1]))
    if suffix is not None and text is not None:
        return Bool(text.endswith(suffix), me.node, me.source)
    return Unknown("`hasSuffix` of values that are not known", me.node, me.source)


def _b_recursive_update(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.recursiveUpdate a b`: `//` at every depth where both sides are attribute sets."""
    return recursive_update(ev.force(args[0]), ev.force(args[1]), me.node, me.source)


def _b_merge_attrs_list(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.mergeAttrsList [ a b ]`: `a // b`, partly known when some are."""
    lst = ev.force(args[0])
    if not isinstance(lst, ListValue):
        return Unknown("`mergeAttrsList` of a list that is not known", me.node, me.source)
    result: Value = Attrs({}, me.node, me.source)
    for item in lst.items:
        result = binary("//", result, ev.force(item), me.node, me.source)
    return result


def _b_concat_map_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.concatMapAttrs (name: value: { ... }) set`: the sets each entry gives, merged with
    `//` in name order, as nix does; partly known when the set is."""
    fn, attrs = ev.force(args[0]), ev.force(args[1])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`concatMapAttrs` over a set that is not known", me)
    result: Value = Attrs({}, me.node, me.source)
    for name in sorted(attrs.attrs):
        partial = ev.apply(fn, Thunk.of(Str(name)), me.node, me.source)
        given = ev.apply(partial, attrs.attrs[name], me.node, me.source)
        result = binary("//", result, given, me.node, me.source)
    if attrs.more is not None and isinstance(result, Attrs):
        result = Attrs(result.attrs, me.node, me.source, list(result.dynamic_keys), attrs.more)
    return result


def _b_map_attrs_named(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.mapAttrs' (n: v: nameValuePair ...) set`."""
    fn, attrs = ev.force(args[0]), ev.force(args[1])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`mapAttrs'` over a set that is not known", me)
    out: dict[str, Thunk] = {}
    more = attrs.more
    for name, thunk in attrs.attrs.items():
        pair = ev.apply(ev.apply(fn, Thunk.of(Str(name)), me.node, me.source), thunk, None, None)
        new = (
            ev.force(pair.attrs["name"])
            if isinstance(pair, Attrs) and "name" in pair.attrs
            else None
        )
        if not isinstance(pair, Attrs) or not isinstance(new, Str) or "value" not in pair.attrs:
            # Partly known (rule 9): this entry is "maybe more", the others are read.
            if more is None:
                more = _unknown_at(pair, "`mapAttrs'` with a name that is not known", me)
            more.parts = (*more.parts, Thunk.of(pair))
            continue
        out[new.value] = pair.attrs["value"]
    return Attrs(out, me.node, me.source, more=more)


def _b_merge_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    return binary("//", ev.force(args[0]), ev.force(args[1]), me.node, me.source)


def _b_foldl(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    fn, acc, lst = ev.force(args[0]), args[1], ev.force(args[2])
    if not isinstance(lst, ListValue):
        return Unknown("`foldl'` over a list that is not known", me.node, me.source)
    for item in lst.items:
        acc = Thunk.of(ev.apply(ev.apply(fn, acc, me.node, me.source), item, me.node, me.source))
    return ev.force(acc)


def _b_for_each(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.forEach list f`: `map f list`."""
    return _b_map(ev, [args[1], args[0]], me)


def _b_concat_map(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    mapped = _b_map(ev, args, me)
    return _b_concat_lists(ev, [Thunk.of(mapped)], me) if isinstance(mapped, ListValue) else mapped


def _b_has_prefix(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    prefix, text = to_string(ev.force(args[0])), to_string(ev.force(args[1]))
    if prefix is not None and text is not None:
        return Bool(text.startswith(prefix), me.node, me.source)
    return Unknown("`hasPrefix` of values that are not known", me.node, me.source)


def _b_has_infix(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    infix, text = to_string(ev.force(args[0])), to_string(ev.force(args[1]))
    if infix is not None and text is not None:
        return Bool(infix in text, me.node, me.source)
    return Unknown("`hasInfix` of values that are not known", me.node, me.source)


def _b_optional_attrs(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    cond = ev.force(args[0])
    if isinstance(cond, Bool):
        return ev.force(args[1]) if cond.value else Attrs({}, me.node, me.source)
    return Unknown("`optionalAttrs` with a condition that is not known", me.node, me.source)


def _b_singleton(_ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    return ListValue([args[0]], me.node, me.source)


def _b_pipe(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.pipe x [ f g ]`: `g (f x)`."""
    fns = ev.force(args[1])
    if not isinstance(fns, ListValue):
        return Unknown("`pipe` through functions that are not known", me.node, me.source)
    value = args[0]
    for fn in fns.items:
        value = Thunk.of(ev.apply(ev.force(fn), value, me.node, me.source))
    return ev.force(value)


def _b_elem(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    wanted, items = plain(ev.force(args[0])), _list(ev, ev.force(args[1]))
    if wanted is None or items is None or any(plain(i) is None for i in items):
        return Unknown("`elem` of values that are not known", me.node, me.source)
    return Bool(any(plain(i) == wanted for i in items), me.node, me.source)


def _b_throw(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`throw "msg"`, `abort "msg"`: nix stops with that error where it evaluates this."""
    said = to_string(ev.force(args[0]))
    what = f"{me.name} {json.dumps(said)}" if said is not None and len(said) <= 80 else me.name
    return Unknown(f"`{what}`: nix stops with this error here", me.node, me.source)


def _b_base_name_of(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    text = to_string(ev.force(args[0]))
    if text is None:
        return Unknown("`baseNameOf` of a value that is not known", me.node, me.source)
    return Str(os.path.basename(text.rstrip("/")), me.node, me.source)


def _b_dir_of(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    value = ev.force(args[0])
    if isinstance(value, PathValue):
        return PathValue(value.path.parent, me.node, me.source)
    if isinstance(value, Str):
        return Str(os.path.dirname(value.value), me.node, me.source)
    return Unknown("`dirOf` of a value that is not known", me.node, me.source)


DEFAULT_SYSTEMS = ("x86_64-linux", "aarch64-linux", "x86_64-darwin", "aarch64-darwin")
"""flake-utils' `defaultSystems`."""


def _b_each_default_system(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    systems = ListValue([Thunk.of(Str(s)) for s in DEFAULT_SYSTEMS])
    return _b_each_system(ev, [Thunk.of(systems), args[0]], me)


def _b_each_system(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """flake-utils' `eachSystem systems f`: `{ <output> = { <system> = (f system).<output>; }; }`."""
    systems, fn = _list(ev, ev.force(args[0])), ev.force(args[1])
    if systems is None or not all(isinstance(s, Str) for s in systems):
        return Unknown("`eachSystem` over systems that are not known", me.node, me.source)
    out: dict[str, Attrs] = {}
    more: Unknown | None = None
    for system in systems:
        result = ev.apply(fn, Thunk.of(system), me.node, me.source)
        if not isinstance(result, Attrs):
            found = _unknown_at(result, "`eachSystem` of a function homeward cannot read", me)
            found.parts = (args[1],)
            return found
        more = more or result.more
        for name, thunk in result.attrs.items():
            key = system.value if isinstance(system, Str) else ""
            out.setdefault(name, Attrs({}, me.node, me.source)).attrs[key] = thunk
    return Attrs({n: Thunk.of(v) for n, v in out.items()}, me.node, me.source, more=more)


def _b_extend(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`nixpkgs.lib.extend (final: prev: { ... })`: a custom lib. What the extension writes is
    known; every other name is still the input's (its `nixosSystem` is nixpkgs')."""
    base = External(me.name.rsplit(".", 1)[0] if "." in me.name else "lib", me.node, me.source)
    return overlaid(ev, base, [args[0]], me.node, me.source)


def package_set(
    ev: Evaluator, fn: External, arg: Thunk, node: Node | None, src: Source | None
) -> Value:
    base = External(f"({fn.name} {{ … }})", node, src)
    config = ev.force(arg)
    overlays = (
        ev.force(config.attrs["overlays"])
        if isinstance(config, Attrs) and "overlays" in config.attrs
        else None
    )
    if not isinstance(overlays, ListValue) or not overlays.items:
        return base
    return overlaid(ev, base, overlays.items, node, src)


def overlaid(
    ev: Evaluator, base: External, overlays: list[Thunk], node: Node | None, src: Source | None
) -> Value:
    """`base` with the overlays `final: prev: { ... }` applied, in order: the names they write
    are known, every other one is `base`'s. An overlay homeward cannot read adds nothing it
    knows (the input's names stay the input's)."""
    fixed: list[Value] = []
    final = Thunk(
        compute=lambda _ev: fixed[0] if fixed else Unknown("`final` of an overlay", node, src)
    )
    current: Attrs = Attrs({"__external__": Thunk.of(base)}, node, src)
    for overlay in overlays:
        prev = Thunk.of(current)
        layer = ev.apply(ev.apply(ev.force(overlay), final, node, src), prev, node, src)
        if isinstance(layer, Attrs):
            current = Attrs({**current.attrs, **layer.attrs}, node, src)
            current.attrs["__external__"] = Thunk.of(base)
    fixed.append(current)
    return current


def _b_system(kind: str) -> Impl:
    def impl(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
        return SystemCall(kind, me.name, ev.force(args[0]), me.node, me.source)

    return impl


BUILTINS: dict[str, tuple[int, Impl]] = {
    "map": (2, _b_map),
    "genAttrs": (2, _b_gen_attrs),
    "listToAttrs": (1, _b_list_to_attrs),
    "nameValuePair": (2, _b_name_value_pair),
    "mapAttrs": (2, _b_map_attrs),
    "filterAttrs": (2, _b_filter_attrs),
    "attrNames": (1, _b_attr_names),
    "attrValues": (1, _b_attr_values),
    "readDir": (1, _b_read_dir),
    "pathExists": (1, _b_path_exists),
    "import": (1, _b_import),
    "concatLists": (1, _b_concat_lists),
    "flatten": (1, _b_flatten),
    "filter": (2, _b_filter),
    "makeOverridable": (2, _b_make_overridable),
    "removeAttrs": (2, _b_remove_attrs),
    "listFilesRecursive": (1, _b_list_files_recursive),
    "darwinSystem": (1, _b_system("darwin")),
    "optionals": (2, _b_optionals),
    "optional": (2, _b_optional),
    "toString": (1, _b_to_string),
    "removeSuffix": (2, _b_remove_suffix),
    "removePrefix": (2, _b_remove_prefix),
    "hasSuffix": (2, _b_has_suffix),
    "recursiveUpdate": (2, _b_recursive_update),
    "foldl'": (3, _b_foldl),
    "foldl": (3, _b_foldl),
    "mergeAttrsList": (1, _b_merge_attrs_list),
    "mapAttrs'": (2, _b_map_attrs_named),
    "concatMapAttrs": (2, _b_concat_map_attrs),
    "mapAttrsToList": (2, _b_map_attrs_to_list),
    "mergeAttrs": (2, _b_merge_attrs),
    "nixosSystem": (1, _b_system("nixos")),
    "homeManagerConfiguration": (1, _b_system("home")),
    "forEach": (2, _b_for_each),
    "concatMap": (2, _b_concat_map),
    "hasPrefix": (2, _b_has_prefix),
    "hasInfix": (2, _b_has_infix),
    "optionalAttrs": (2, _b_optional_attrs),
    "extend": (1, _b_extend),
    "eachDefaultSystem": (1, _b_each_default_system),
    "eachSystem": (2, _b_each_system),
    "pipe": (2, _b_pipe),
    "singleton": (1, _b_singleton),
    "elem": (2, _b_elem),
    "baseNameOf": (1, _b_base_name_of),
    "dirOf": (1, _b_dir_of),
    "throw": (1, _b_throw),
    "abort": (1, _b_throw),
}
BUILTINS.update(LIB_BUILTINS)  # functionArgs, zipAttrsWith, ...: model/libfns.py
BUILTINS.update(FRAMEWORK_BUILTINS)  # flake-parts, import-tree, lib.fileset: model/frameworks.py
BUILTINS.update(DATA_BUILTINS)  # readFile, fromTOML, head, attrsToList: model/data.py


def is_framework(ext: External) -> bool:
    """`(import pins.nilla).create`: a framework's function in an imported source, not the
    package set `import nixpkgs { ... }` gives."""
    head, _, leaf = ext.name.rpartition(".")
    return bool(head) and leaf in FRAMEWORK_BUILTINS


def external_builtin(ext: External) -> tuple[str, int, Impl] | None:
    for name in (ext.name, *ext.alternatives):
        leaf = name.rsplit(".", 1)[-1]
        if leaf in BUILTINS:
            arity, impl = BUILTINS[leaf]
            return name, arity, impl
    return None


GLOBAL_BUILTINS = (
    "map", "import", "toString", "removeAttrs", "baseNameOf", "dirOf", "fromTOML", "throw",
    "abort",
)  # fmt: skip


def global_vars() -> dict[str, Thunk]:
    # Frameworks' functions are found by their name in an input (`inputs.x.lib.mkFlake`),
    # never in `builtins` (`with builtins; mkFlake` is the repository's own).
    builtins_set = Attrs(
        {
            name: Thunk.of(Builtin(name, a, f))
            for name, (a, f) in BUILTINS.items()
            if name not in FRAMEWORK_BUILTINS
        }
    )
    return {
        "true": Thunk.of(Bool(True)),
        "false": Thunk.of(Bool(False)),
        "null": Thunk.of(Null()),
        "builtins": Thunk.of(builtins_set),
        # the names of nix's global scope homeward knows besides `builtins.*`
        **{n: builtins_set.attrs[n] for n in GLOBAL_BUILTINS},
    }
