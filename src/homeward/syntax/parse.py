"""Parsing Nix with tree-sitter: the one module that knows where the grammar comes from.

Two sources, one parser:
- `$HOMEWARD_NIX_GRAMMAR`, a compiled nix grammar: nixpkgs' `tree-sitter-grammars.tree-sitter-nix`
  (its output directory or the `parser` library in it, which exports `tree_sitter_nix`), or a
  grammar built as a Python extension module (what the language pack ships,
  `bindings/nix.abi3.so`). The Nix package sets it, so it needs only `python3Packages.tree-sitter`
  and not the 184 MB language pack.
- otherwise `tree-sitter-language-pack` 0.13.0: its wheel ships a current nix grammar (accepts
  `{ a, b, }:`), while `tree-sitter-nix` 0.1.0 rejects trailing commas and the pack's 1.x releases
  download grammars at run time, which fails offline.
Importing the grammar is deferred to the first parse so that `homeward --help` imports no
third-party module.
"""

from __future__ import annotations

import bisect
import importlib.machinery
import importlib.util
import os
import re
import stat
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from homeward.errors import HomewardError, Location

if TYPE_CHECKING:
    from collections.abc import Callable

    from tree_sitter import Language, Node, Parser, Query, Tree

GRAMMAR_ENV = "HOMEWARD_NIX_GRAMMAR"
"""A compiled nix grammar to use instead of the language pack's (set by the Nix package)."""

_local = threading.local()
_languages: dict[str, Language] = {}  # grammar source -> Language, loaded once per process
_lock = threading.Lock()
_queries: dict[int, Query] = {}  # id(Language) -> find_duplicate's query


def _parser() -> Parser:
    parser: Parser | None = getattr(_local, "parser", None)
    if parser is None:
        from tree_sitter import Parser

        parser = Parser(nix_language())
        _local.parser = parser
    return parser


def nix_language() -> Language:
    """The nix grammar: `$HOMEWARD_NIX_GRAMMAR` when set, else the language pack's."""
    source = os.environ.get(GRAMMAR_ENV, "")
    with _lock:
        language = _languages.get(source)
        if language is None:
            language = load_grammar(Path(source)) if source else _pack_language()
            _languages[source] = language
    return language


def _pack_language() -> Language:
    """The language pack's nix grammar, loaded from its own module file. Why not the pack's
    `get_language`: importing the pack imports three other grammars (C#, YAML, embedded
    templates) with it, 0.02 s of CPU and 3.4 MiB of memory in every run, for nothing."""
    spec = importlib.util.find_spec("tree_sitter_language_pack")  # found, not imported
    for base in (spec.submodule_search_locations or []) if spec is not None else []:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            library = Path(base) / "bindings" / f"nix{suffix}"
            if library.is_file():
                language = _module_language(library, "nix")
                if language is not None:
                    return language
    from tree_sitter_language_pack import get_language

    found: Language = get_language("nix")
    return found


def load_grammar(path: Path) -> Language:
    """Load a compiled nix grammar from a file, or from a directory holding `parser`.

    A plain grammar library (how nixpkgs builds `tree-sitter-grammars.tree-sitter-nix`) exports
    the C function `tree_sitter_nix`; a grammar built as a Python extension module (as in the
    language pack's wheel) hides it and exports `PyInit_<module>`, whose `language()` returns it.
    """
    import ctypes  # Why here: 0.25 MiB that only a grammar named by the environment needs

    from tree_sitter import Language

    library = path / "parser" if path.is_dir() else path
    where = f"{GRAMMAR_ENV}={path}"
    try:
        handle = ctypes.CDLL(str(library))
    except OSError as exc:
        raise HomewardError(
            f"cannot load the nix grammar `{library}`: {exc}",
            hint=f"point {where.split('=')[0]} at a compiled tree-sitter nix grammar, or unset it",
        ) from None
    entry = getattr(handle, "tree_sitter_nix", None)
    if entry is not None:
        entry.restype = ctypes.c_void_p
        return Language(_capsule(entry()))
    module_name = library.name.split(".")[0]
    if getattr(handle, f"PyInit_{module_name}", None) is not None:
        language = _module_language(library, module_name)
        if language is not None:
            return language
    raise HomewardError(
        f"`{library}` ({where}) is not a nix grammar: it exports neither `tree_sitter_nix` "
        f"nor a Python module `{module_name}`",
        hint=f"point {GRAMMAR_ENV} at nixpkgs' tree-sitter-grammars.tree-sitter-nix, or unset it",
    )


def _module_language(library: Path, module_name: str) -> Language | None:
    """The grammar of a Python extension module `module_name` (its `language()`) in the file
    `library`, loaded without importing the package around it; None if no spec is made."""
    from tree_sitter import Language

    loader = importlib.machinery.ExtensionFileLoader(module_name, str(library))
    spec = importlib.util.spec_from_file_location(module_name, library, loader=loader)
    if spec is None:
        return None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return Language(module.language())


def _capsule(pointer: int | None) -> object:
    """Wrap a `TSLanguage *` as the capsule py-tree-sitter expects (bare ints are deprecated)."""
    import ctypes

    new = ctypes.pythonapi.PyCapsule_New
    new.restype = ctypes.py_object
    new.argtypes = (ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p)
    capsule: object = new(pointer, b"tree_sitter.Language", None)
    return capsule


def parse_tree(text: bytes) -> Tree:
    """Parse bytes into a tree; syntax errors stay in the tree as ERROR/MISSING nodes.

    A NUL byte ends a comment for tree-sitter but not for nix: it is read as a space (same
    offsets, so every span still points into the real text)."""
    if b"\x00" in text:
        text = text.replace(b"\x00", b" ")
    return _parser().parse(text)


@dataclass(frozen=True, slots=True)
class SyntaxProblem:
    """The first syntax error in a text: where, and what tree-sitter saw there."""

    start_byte: int
    message: str


_TREE_REFS = 3
"""References to a tree while `Source.release` looks at it: the source's, a local name and the
count's own argument."""


@dataclass(eq=False, slots=True, weakref_slot=True)
class Source:
    """One parsed Nix file: its bytes, its tree, and how to name places in it.

    `path` is the path shown to users (relative to the repo when the file is in it).

    The tree is parsed again from the bytes when it was let go (`release`): a tree costs 30
    times its text (7 KB for a 207-byte module), and once a module is read, the model keeps
    byte spans of most files, not nodes (`syntax/find.py`, `Definition`).
    """

    path: Path
    text: bytes
    _tree: Tree | None = field(repr=False)
    _line_starts_: list[int] | None = field(default=None, init=False, repr=False)
    # Known to define no name twice (`syntax/find.py`, `read_module`): `Reader.check_read`
    # need not search it.
    no_duplicates: bool = field(default=False, init=False, repr=False)

    @property
    def tree(self) -> Tree:
        tree = self._tree
        if tree is None:
            tree = self._tree = parse_tree(self.text)
        return tree

    @property
    def has_tree(self) -> bool:
        """Whether the tree is parsed now (not let go, or parsed again since)."""
        return self._tree is not None

    def release(self) -> bool:
        """Let the tree go when no node of it is held anywhere (a node keeps its whole tree
        alive, and comparing nodes of two parses of one text says they differ): True if it
        was let go. The next use of `tree` parses the text again."""
        tree = self._tree
        # Why the count: this attribute and the local name; any node of it holds one more.
        if tree is None or sys.getrefcount(tree) > _TREE_REFS:
            return tree is None
        self._tree = None
        return True

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text_of(self, node: Node) -> str:
        return self.text[node.start_byte : node.end_byte].decode()

    @property
    def _line_starts(self) -> list[int]:
        starts = self._line_starts_
        if starts is not None:
            return starts
        starts = self._line_starts_ = [0]
        find = self.text.find
        i = find(b"\n")
        while i != -1:
            starts.append(i + 1)
            i = find(b"\n", i + 1)
        return starts

    def line_col(self, byte: int) -> tuple[int, int]:
        """1-based line and column (in characters) of a byte offset."""
        row = bisect.bisect_right(self._line_starts, byte) - 1
        start = self._line_starts[row]
        col = len(self.text[start:byte].decode(errors="replace")) + 1
        return row + 1, col

    def location(self, byte: int) -> Location:
        line, col = self.line_col(byte)
        return Location(self.path, line, col)

    def first_problem(self) -> SyntaxProblem | None:
        return self.syntax_problem() or find_duplicate(self.tree.root_node, self.text)

    def syntax_problem(self) -> SyntaxProblem | None:
        """`first_problem` short of a name defined twice (`find_duplicate`)."""
        if self.text.startswith(b"\xef\xbb\xbf"):
            return SyntaxProblem(
                0, "the file starts with a byte order mark (U+FEFF), which nix rejects"
            )
        return find_syntax_problem(self.tree.root_node, self.text)

    def check(self, *, duplicates: bool = True) -> Source:
        """Raise a located HomewardError when the text does not parse (or, unless told not to
        look, when it defines a name twice)."""
        problem = self.first_problem() if duplicates else self.syntax_problem()
        if problem is not None:
            raise HomewardError(
                f"syntax error: {problem.message}",
                at=self.location(problem.start_byte),
                hint="fix the file so that `nix-instantiate --parse` accepts it, then run again",
            )
        return self


def find_syntax_problem(root: Node, text: bytes) -> SyntaxProblem | None:
    """The first ERROR or MISSING node in document order, described as the user would say it."""
    if not root.has_error:
        if root.type == "source_code" and root.child_by_field_name("expression") is None:
            # The grammar accepts a file of only comments (or nothing); nix does not.
            return SyntaxProblem(len(text), "unexpected end of file: the file has no expression")
        return None
    cursor = [root]
    while cursor:
        node = cursor.pop()
        if node.is_missing:
            return SyntaxProblem(node.start_byte, f"expected `{node.type}`")
        if node.type == "ERROR":
            leaf = _unexpected_leaf(node)
            if leaf is not None and leaf.start_byte > node.start_byte:
                token = text[leaf.start_byte : leaf.end_byte].decode(errors="replace")
                return _unexpected(leaf.start_byte, token[:40], text)
            token = _first_token(node, text)
            if not token:
                return SyntaxProblem(node.start_byte, "unexpected end of file")
            return _unexpected(node.start_byte, token, text)
        cursor.extend(c for c in reversed(node.children) if c.has_error or c.is_missing)
    # has_error without a visible node: report the start of the file rather than nothing.
    return SyntaxProblem(0, "the parser rejected this file")


PIPE = "the pipe operator, an experimental feature of Nix that homeward's parser does not know"


def _unexpected(at: int, token: str, text: bytes) -> SyntaxProblem:
    """`unexpected x` at `at`; Nix's experimental pipe operators (`a |> f`, `f <| a`, the
    `pipe-operators` feature) named as what they are."""
    pipe = text[at : at + 2]
    if pipe in (b"|>", b"<|"):
        return SyntaxProblem(at, f"`{pipe.decode()}`: {PIPE}")
    return SyntaxProblem(at, f"unexpected `{token}`")


# Tokens that can follow one another in valid Nix: an ERROR node that starts with them (`a = `)
# went wrong further on, at the first token outside this set (`@` in `a = @@@;`), where nix
# reports it too.
_ORDINARY = frozenset({"identifier", "attrpath", "=", ";", ".", ",", ":", "{", "}", "[", "]"})


def _unexpected_leaf(node: Node) -> Node | None:
    """The first direct child of an ERROR node that is not an ordinary token, or None."""
    for child in node.children:
        if child.type not in _ORDINARY:
            return child
    return None


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
    from tree_sitter import QueryCursor

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


def duplicate_query() -> Query:
    """The query for `find_duplicate`, compiled once per grammar."""
    language = nix_language()
    with _lock:
        query = _queries.get(id(language))
        if query is None:
            from tree_sitter import Query

            query = _queries[id(language)] = Query(language, _DUPLICATE_QUERY)
    return query


# Formals written as names, commas and `...` only (no default, comment or string).
_PLAIN_FORMALS = re.compile(rb"[{}\s\w',.-]*")
_NAME = re.compile(rb"[A-Za-z_][\w'-]*")


def _duplicate_formal(formals: Node, text: bytes) -> SyntaxProblem | None:
    written = text[formals.start_byte : formals.end_byte]
    if _PLAIN_FORMALS.fullmatch(written):
        names = _NAME.findall(written)
        if len(set(names)) == len(names):
            return None  # most functions: `{ config, pkgs, ... }:`, no node visited
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
    name repeats are checked, in order, which reports the binding checking them all would.
    Cheaper still, as most files hold one set and no set literal bound to a name: such a set
    is only checked when a path starts another (`_prefixed`)."""
    set_paths = captures.get("set_path")
    literal = {n.start_byte for n in set_paths} if set_paths else ()
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
    if len(defined) < 2:
        return {}  # one path clashes with nothing
    defined.sort()  # by where (no two start at one byte)
    only = sets[0] if len(sets) == 1 else None
    if only is not None and only.start_byte <= defined[0][0] < defined[-1][0] < only.end_byte:
        groups = {only.start_byte: defined}  # most files: one set, every path in it
    else:
        groups = _by_set(defined, sets)
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
        if len(items) < 2 or not (set_paths or _prefixed(items)):
            continue  # without set literals, only a path that starts another can clash
        problem = _clash(items, inner)
        if problem is not None:
            found[start] = problem
    return found


def _by_set(defined: list[Defined], sets: list[Node]) -> dict[int, list[Defined]]:
    """Each path (in order), by the set it is defined in: the innermost span around where it
    starts."""
    spans = sorted((n.start_byte, n.end_byte) for n in sets)
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
    return groups


def _prefixed(defined: list[Defined]) -> bool:
    """Whether a path of a set starts another, or is defined twice (`a = 1; a.b = 2;`). With
    no set literal among them, nothing else clashes: each path makes or enters the sets its
    names before the last name, and the last one is a value (`_add`)."""
    return starts_another([item[1] for item in defined])


_Name = TypeVar("_Name", str, bytes)


def starts_another(paths: list[tuple[_Name, ...]]) -> bool:
    """Whether one of a set's `paths` (one or more; sorted in place) starts another or is
    written twice. Sorted, a path that starts others comes right before one of them."""
    paths.sort()
    before = paths[0]
    for path in paths[1:]:
        if path[: len(before)] == before:
            return True
        before = path
    return False


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


def _first_token(node: Node, text: bytes) -> str:
    while node.child_count:
        node = node.children[0]
    token = text[node.start_byte : node.end_byte].decode(errors="replace")
    token = token.splitlines()[0] if token else ""
    return token[:40]


GIT_CRYPT_HEADER = b"\x00GITCRYPT\x00"
"""How a file encrypted by git-crypt starts, as a clone without the key holds it."""


class NotTextError(HomewardError):
    """The file's bytes are not text (encrypted by git-crypt, or not UTF-8): the model reads
    such a module file as an opaque module (docs/architecture.md, rule 9)."""

    def __init__(self, reason: str, at: Location, *, git_crypt: bool) -> None:
        hint = (
            "run `git-crypt unlock` to let homeward read it"
            if git_crypt
            else "re-encode the file as UTF-8 to let homeward read it"
        )
        super().__init__(f"the file is {reason}", at=at, hint=hint)
        self.reason = reason  # "encrypted with git-crypt", "not UTF-8 text (byte 0x96)"
        self.git_crypt = git_crypt


def parse_source(text: bytes, path: Path) -> Source:
    """Parse bytes that are meant to be Nix; raise a located `NotTextError` if they are not
    text (git-crypt's encrypted bytes, or bytes that are not UTF-8)."""
    if text.startswith(GIT_CRYPT_HEADER):
        raise NotTextError("encrypted with git-crypt", Location(path, 1, 1), git_crypt=True)
    try:
        if not text.isascii():  # Why: ASCII is UTF-8, and most Nix files are ASCII
            text.decode()
    except UnicodeDecodeError as exc:
        src = Source(path, text, parse_tree(b""))
        line, col = src.line_col(exc.start)
        raise NotTextError(
            f"not UTF-8 text (byte 0x{text[exc.start]:02x})",
            Location(path, line, col),
            git_crypt=False,
        ) from None
    return Source(path, text, parse_tree(text))


def _mode(file: Path | str) -> int:
    """The file's mode, 0 when it does not exist."""
    try:
        return os.stat(file).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return 0


def _read_bytes(file: Path | str) -> bytes:
    """The file's bytes, as `open(file, "rb").read()` has them, and its errors. Why not `open`:
    its buffered reader (and pathlib's) cost 60% more than the reads themselves, 30 ms of the
    7,412 files of a 200-host configuration, read by every command."""
    fd = os.open(file, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, _READ_SIZE):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


_READ_SIZE = 1 << 20


def read_source(file: Path | str, shown_as: Path | None = None, *, regular: bool = False) -> Source:
    """Read and parse a file; unreadable files and bad bytes become located errors.

    `regular`: the caller has just seen (with `os.stat`) that `file` is a regular file.
    """
    shown = shown_as or Path(file)
    try:
        # A FIFO or device would block or never end: only regular files are read.
        # (At most one stat: this runs for every file of trees with thousands of them.)
        mode = stat.S_IFREG if regular else _mode(file)
        if mode and not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
            raise HomewardError(
                f"cannot read `{shown}`: it is not a regular file",
                at=Location(shown, 1, 1),
                hint="replace it with a regular file",
            )
        text = _read_bytes(file)
    except IsADirectoryError:
        raise HomewardError(f"`{shown}` is a directory, not a Nix file") from None
    except FileNotFoundError:
        raise HomewardError(f"`{shown}` does not exist") from None
    except OSError as exc:
        raise HomewardError(
            f"cannot read `{shown}`: {exc.strerror or exc}",
            at=Location(shown, 1, 1),
            hint="check the file's permissions",
        ) from None
    return parse_source(text, shown)
