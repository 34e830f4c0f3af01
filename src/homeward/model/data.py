"""Data files and plain list/set functions of the static evaluator (`model/eval.py`).

Real configurations keep their host registry in data files: `builtins.fromTOML (builtins.readFile
./hosts.toml)` (wimpysworld/nix-config), `builtins.fromJSON (builtins.readFile ./hosts.json)`.
Nix reads such a file from the copy of the repository it evaluates: in git, the files git tracks
(docs/architecture.md, rule 12). `readFile` here reads exactly those, inside the work tree; a file
nix would not see, or one outside, is an Unknown with its reason, never a guess. What the data
holds becomes ordinary values, except what the evaluator does not follow (floats, dates), which
are Unknowns at the call.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from homeward.model.values import (
    Attrs,
    Bool,
    Builtin,
    FileText,
    Impl,
    Int,
    ListValue,
    Maybe,
    Null,
    PathValue,
    Str,
    Thunk,
    Unknown,
    Value,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeward.model.eval import Evaluator


MAX_DATA_BYTES = 4 * 1024 * 1024
"""A data file larger than this is not read (a registry of hosts is a few kilobytes)."""


def _b_read_file(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.readFile path`: the text of a file nix sees in the work tree."""
    path = ev.force(args[0])
    if not isinstance(path, PathValue):
        return Unknown("`readFile` of a path that is not known", me.node, me.source)
    shown = ev.files.shown(path.path)
    if not path.path.is_relative_to(ev.boundary):
        return Unknown(f"`readFile` of `{shown}`, outside the repository", me.node, me.source)
    kind = ev.files.seen_by_nix(path.path)
    if kind is None:
        return Unknown(f"`readFile` of `{shown}`, which nix does not see", me.node, me.source)
    if kind != "regular":
        return Unknown(f"`readFile` of `{shown}`, which is not a regular file", me.node, me.source)
    data = ev.files.read_bytes(path.path, MAX_DATA_BYTES)
    if data is None:
        return Unknown(f"`readFile` of `{shown}`, which cannot be read", me.node, me.source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return Unknown(f"`readFile` of `{shown}`, which is not text", me.node, me.source)
    return FileText(text, me.node, me.source)


def _b_from_toml(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.fromTOML text`."""
    import tomllib  # Why here: rarely called, and its import is 2 ms of every load

    return _from_text(ev.force(args[0]), "TOML", tomllib.loads, tomllib.TOMLDecodeError, me)


def _b_from_json(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.fromJSON text`."""
    return _from_text(ev.force(args[0]), "JSON", json.loads, (ValueError, RecursionError), me)


def _from_text(
    text: Value,
    kind: str,
    loads: Callable[[str], object],
    errors: type[Exception] | tuple[type[Exception], ...],
    me: Builtin,
) -> Value:
    """The value a TOML or JSON text holds, or an Unknown saying why not."""
    if not isinstance(text, Str):
        return _not_known(text, f"`from{kind}` of a text that is not known", me)
    try:
        data = loads(text.value)
    except errors as exc:
        return Unknown(f"`from{kind}` of a text that is not {kind}: {exc}", me.node, me.source)
    return _to_value(data, "", me)


def _b_import_toml(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.importTOML path`: `fromTOML (readFile path)`."""
    return _b_from_toml(ev, [Thunk.of(_b_read_file(ev, args, me))], me)


def _b_import_json(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.importJSON path`: `fromJSON (readFile path)`."""
    return _b_from_json(ev, [Thunk.of(_b_read_file(ev, args, me))], me)


def _not_known(value: Value, reason: str, me: Builtin) -> Unknown:
    """`reason`, and why `value` is not known; at the call, which holds the cause (what an
    Unknown might read is found from its node: model/reach.py)."""
    if isinstance(value, Unknown):
        return Unknown(f"{reason}: {value.reason}", me.node, me.source)
    return Unknown(reason, me.node, me.source)


def _to_value(data: object, where: str, me: Builtin) -> Value:
    """Parsed data as values; what the evaluator does not follow is an Unknown naming the key."""
    if isinstance(data, bool):
        return Bool(data, me.node, me.source)
    if isinstance(data, int):
        return Int(data, me.node, me.source)
    if isinstance(data, str):
        return Str(data, me.node, me.source)
    if data is None:
        return Null(me.node, me.source)
    if isinstance(data, list):
        items = [Thunk.of(_to_value(x, f"{where}[{i}]", me)) for i, x in enumerate(data)]
        return ListValue(items, me.node, me.source)
    if isinstance(data, dict):
        attrs = {
            str(k): Thunk.of(_to_value(v, f"{where}.{k}" if where else str(k), me))
            for k, v in data.items()
        }
        return Attrs(attrs, me.node, me.source)
    what = "a float" if isinstance(data, float) and math.isfinite(data) else type(data).__name__
    return Unknown(f"`{where or 'the value'}` is {what}, not followed", me.node, me.source)


def _b_head(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.head list`: the first element, when it is surely there."""
    lst = ev.force(args[0])
    if not isinstance(lst, ListValue):
        return _not_known(lst, "`head` of a list that is not known", me)
    if not lst.items:
        return Unknown("`head` of an empty list", me.node, me.source)
    first = ev.force(lst.items[0])
    if isinstance(first, Maybe):  # there only under a condition: the head is not known
        return Unknown("`head` of a list whose first element is not known", me.node, me.source)
    return first


def _b_attrs_to_list(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`builtins.attrsToList set`: `[ { name; value; } ]` in name order; what a partly known set
    may hold more is one opaque element."""
    attrs = ev.force(args[0])
    if not isinstance(attrs, Attrs):
        return _not_known(attrs, "`attrsToList` of a set that is not known", me)
    items: list[Thunk] = [
        Thunk.of(
            Attrs({"name": Thunk.of(Str(name)), "value": attrs.attrs[name]}, me.node, me.source)
        )
        for name in sorted(attrs.attrs)
        if name != "__external__"
    ]
    if attrs.more is not None:
        items.append(Thunk.of(attrs.more))
    return ListValue(items, me.node, me.source)


BUILTINS: dict[str, tuple[int, Impl]] = {
    "readFile": (1, _b_read_file),
    "fromTOML": (1, _b_from_toml),
    "fromJSON": (1, _b_from_json),
    "importTOML": (1, _b_import_toml),
    "importJSON": (1, _b_import_json),
    "head": (1, _b_head),
    "attrsToList": (1, _b_attrs_to_list),
}
"""Data files and list/set functions the evaluator implements here (by their last name)."""
