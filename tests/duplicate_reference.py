"""The duplicate-name check as it was before it was made faster (issue #9), kept as the
reference its replacement must agree with on every text (tests/test_duplicates.py)."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

from tree_sitter import Node, Query, QueryCursor

from homeward.syntax.parse import SyntaxProblem, nix_language


def find_duplicate(root: Node, text: bytes, query: Query | None = None) -> SyntaxProblem | None:
    """What nix's parser rejects although the grammar accepts it: a formal argument named twice
    (`{ a, a }:`), an attribute defined twice in one set or `let` (`a = 1; a = 2;`, also through
    `inherit` and dotted paths), unless both are attribute sets nix merges.

    Why a query: the places to look (formals, binding sets) and what each binding defines
    (its attribute path, whether its value is a set literal, the names it inherits) are found
    by a tree-sitter query, in C: walking every node of every file in Python cost more than
    parsing them (0.7 s of the 1.5 s that reading 7,412 files took). The places are checked in
    the order a walk of the tree visits them, so the problem reported is the same.

    `query`: `duplicate_query()`, asked for once by a caller that checks many files."""
    captures = QueryCursor(query or duplicate_query()).captures(root)
    sets = captures.get("bindings", [])
    clashes = _clashes(sets, captures, text) if sets else {}
    places = [*captures.get("formals", ()), *sets] if clashes else captures.get("formals", [])
    places.sort(key=lambda n: (n.start_byte, -n.end_byte))
    for node in places:
        problem = (
            _duplicate_formal(node, text)
            if node.type == "formals"
            else clashes.get(node.start_byte)
        )
        if problem is not None:
            return problem
    return None


_DUPLICATE_QUERY = """
(formals) @formals
(binding_set) @bindings
(binding attrpath: (attrpath) @path)
(binding attrpath: (attrpath) @set_path
  expression: [(attrset_expression) (rec_attrset_expression)] @set_value)
(inherit attrs: (inherited_attrs attr: (identifier) @inherited))
(inherit_from attrs: (inherited_attrs attr: (identifier) @inherited))
"""


@functools.cache
def duplicate_query() -> Query:
    return Query(nix_language(), _DUPLICATE_QUERY)


def _duplicate_formal(formals: Node, text: bytes) -> SyntaxProblem | None:
    seen: set[bytes] = set()
    for formal in formals.children:
        name = formal.child_by_field_name("name") if formal.type == "formal" else None
        if name is None:
            continue
        key = text[name.start_byte : name.end_byte]
        if key in seen:
            return SyntaxProblem(
                name.start_byte,
                f"duplicate formal function argument `{key.decode(errors='replace')}`",
            )
        seen.add(key)
    return None


_SETS = ("attrset_expression", "rec_attrset_expression")

# An attribute path written as names and plain strings joined by dots, with nothing between
# them (no space, comment, escape or interpolation): its parts are read from the text, which
# is what its nodes would say (`"s0.conf"` is one part).
_PLAIN_PART = rb'[A-Za-z_][\w\'-]*|"[^"\\$]*"'
_PLAIN_PATH = re.compile(rb"(?:%s)(?:\.(?:%s))*" % (_PLAIN_PART, _PLAIN_PART))
_PART = re.compile(_PLAIN_PART)
_NAMES = re.compile(rb"[A-Za-z_][\w'-]*(?:\.[A-Za-z_][\w'-]*)*")  # no strings: split on dots


def _clashes(
    sets: list[Node], captures: dict[str, list[Node]], text: bytes
) -> dict[int, SyntaxProblem]:
    """The first binding of each set (by where the set starts) that defines again what an
    earlier one of the set defines.

    Each defined path belongs to the innermost set around it (sets nest, never overlap). Why
    counts: a clash needs two paths starting with the same name, and most sets (NixOS modules:
    `services.x.enable`, `environment.etc...`) repeat few names; only the paths whose first
    name repeats are checked, in order, which reports the binding checking them all would."""
    literal = {n.start_byte for n in captures.get("set_path", ())}
    defined: list[Defined] = []  # where, the path, a set literal
    for attrpath in captures.get("path", ()):
        start = attrpath.start_byte
        written = text[start : attrpath.end_byte]
        if _NAMES.fullmatch(written):
            path: tuple[bytes, ...] | None = tuple(written.split(b"."))
        elif _PLAIN_PATH.fullmatch(written):
            path = tuple(
                part[1:-1] if part[:1] == b'"' else part for part in _PART.findall(written)
            )
        else:
            path = _path_of(attrpath, text)
        if path is not None:  # else a computed name: nix decides when it evaluates
            defined.append((start, path, start in literal))
    for attr in captures.get("inherited", ()):
        start = attr.start_byte
        defined.append((start, (text[start : attr.end_byte],), False))
    defined.sort(key=lambda item: item[0])
    spans = sorted((n.start_byte, n.end_byte) for n in sets)
    # Each path, by the set it is defined in (the innermost span around where it starts).
    groups: dict[int, list[Defined]] = {}
    around: list[tuple[int, int]] = []
    next_span = 0
    for item in defined:
        at = item[0]
        while next_span < len(spans) and spans[next_span][0] <= at:
            span = spans[next_span]
            while around and around[-1][1] <= span[0]:
                around.pop()
            around.append(span)
            next_span += 1
        while around and around[-1][1] <= at:
            around.pop()
        if around:
            groups.setdefault(around[-1][0], []).append(item)
    values: dict[int, Node] = {}  # a set literal's binding (where its path starts) -> the set

    def inner(at: int) -> list[Defined]:
        """What the set literal bound at `at` defines at its top level (`{ }`: nothing)."""
        if not values:
            for node in captures.get("set_value", ()):
                attrpath = node.parent.child_by_field_name("attrpath") if node.parent else None
                if attrpath is not None:
                    values[attrpath.start_byte] = node
        value = values[at]
        body = next((c for c in value.named_children if c.type == "binding_set"), None)
        return groups.get(body.start_byte, []) if body is not None else []

    found: dict[int, SyntaxProblem] = {}
    for start, items in groups.items():
        problem = _clash(items, inner) if len(items) > 1 else None
        if problem is not None:
            found[start] = problem
    return found


Defined = tuple[int, tuple[bytes, ...], bool]  # where, the path, its value is a set literal


class _Entry:
    """A name of a set as nix's parser holds it while it adds a set's bindings in order: a set
    it may merge into (`mergeable`: made by a dotted path, or a set literal whose own names are
    read when first needed), or anything else (a value, an inherited name)."""

    __slots__ = ("at", "attrs", "literal", "mergeable")

    def __init__(self, at: int, mergeable: bool, literal: bool = False) -> None:
        self.at = at  # where the binding that made it is
        self.mergeable = mergeable
        self.literal = literal  # a set literal: its names are its bindings'
        self.attrs: dict[bytes, _Entry] | None = None if literal else {}


def _clash(defined: list[Defined], inner: Callable[[int], list[Defined]]) -> SyntaxProblem | None:
    """The first of a set's defined paths (in order) that nix's parser rejects as defined
    again. As nix 2.8 adds a binding: each name before the last goes into a set already
    there (made by a dotted path or written as a literal: `a = { b = 1; }; a.c = 2;`) or
    makes one; a name defined twice is an error unless both are sets and the second is a
    literal, whose names then merge into the set (`_merge`)."""
    counts: dict[bytes, int] = {}  # first name -> paths starting with it
    for _at, path, _literal in defined:
        counts[path[0]] = counts.get(path[0], 0) + 1
    if len(counts) == len(defined):
        return None  # no name starts two paths: nothing is defined twice
    scope: dict[bytes, _Entry] = {}
    for at, path, literal in defined:
        if counts[path[0]] < 2:
            continue  # nothing else starts with its name: it clashes with nothing
        problem = _add(scope, at, path, literal, inner)
        if problem is not None:
            return problem
    return None


def _add(
    scope: dict[bytes, _Entry],
    at: int,
    path: tuple[bytes, ...],
    literal: bool,
    inner: Callable[[int], list[Defined]],
) -> SyntaxProblem | None:
    """Add one binding to `scope` as nix's parser does; the problem if nix rejects it."""
    for name in path[:-1]:
        entry = scope.get(name)
        if entry is None:
            entry = scope[name] = _Entry(at, True)
        elif not entry.mergeable:
            return _defined_again(at, path)
        scope = _names(entry, inner)
    last = path[-1]
    entry = scope.get(last)
    if entry is None:
        scope[last] = _Entry(at, literal, literal)
        return None
    if not (literal and entry.mergeable):
        return _defined_again(at, path)
    return _merge(_names(entry, inner), _Entry(at, True, True), inner)


def _merge(
    into: dict[bytes, _Entry], added: _Entry, inner: Callable[[int], list[Defined]]
) -> SyntaxProblem | None:
    """Merge the names of a set literal into a set: a name already there is an error unless
    both are sets, which merge in turn. Nix 2.8 merges one level only (`a.b.c = 1; a = { b.d =
    2; };` is an error there); later versions merge all the way down, and homeward reports
    only what every version rejects."""
    for name, new in sorted(_names(added, inner).items(), key=lambda item: item[1].at):
        old = into.get(name)
        if old is None:
            into[name] = new
        elif old.mergeable and new.mergeable:
            problem = _merge(_names(old, inner), new, inner)
            if problem is not None:
                return problem
        else:
            return _defined_again(new.at, (name,))
    return None


def _defined_again(at: int, path: tuple[bytes, ...]) -> SyntaxProblem:
    shown = ".".join(p.decode(errors="replace") for p in path)
    return SyntaxProblem(at, f"attribute `{shown}` is already defined")


def _names(entry: _Entry, inner: Callable[[int], list[Defined]]) -> dict[bytes, _Entry]:
    """The names of a set entry; a literal's are read from its bindings the first time (a
    clash among them is its own set's problem, reported there: the first definition stays)."""
    if entry.attrs is None:
        entry.attrs = {}
        for at, path, literal in inner(entry.at):
            _add(entry.attrs, at, path, literal, inner)
    return entry.attrs


def _path_of(attrpath: Node, text: bytes) -> tuple[bytes, ...] | None:
    """The static attribute path an `attrpath` node names, None when a part is computed."""
    path: list[bytes] = []
    for attr in attrpath.children_by_field_name("attr"):
        if attr.type == "identifier":
            path.append(text[attr.start_byte : attr.end_byte])
        elif attr.type == "string_expression" and all(
            c.type in ('"', "string_fragment") for c in attr.children
        ):
            path.append(text[attr.start_byte + 1 : attr.end_byte - 1])
        else:
            return None
    return tuple(path)
