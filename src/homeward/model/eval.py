"""A small static evaluator for the Nix that builds flake outputs.

`flake.nix` files compute their `nixosConfigurations` in many shapes: a direct
`nixpkgs.lib.nixosSystem { ... }`, a let-bound `mkHost = name: ...` helper, `lib.genAttrs` or
`builtins.listToAttrs (map ...)` over a literal host list, a `builtins.readDir ./hosts` scan,
flake-parts' `mkFlake` with a `flake = { ... }` attribute. This evaluator runs that code lazily
over the syntax tree, with flake inputs as opaque `External` values and the few library
functions those shapes use implemented here. What it cannot compute is an `Unknown` that
remembers where and why, so the model reports it instead of guessing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import HomewardError
from homeward.model.data import BUILTINS as DATA_BUILTINS
from homeward.model.files import Tracked, tracked_files
from homeward.model.frameworks import BUILTINS as FRAMEWORK_BUILTINS
from homeward.model.frameworks import npins
from homeward.model.libfns import BUILTINS as LIB_BUILTINS
from homeward.model.values import (
    Attrs,
    Bool,
    Builtin,
    Choice,
    External,
    Impl,
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
from homeward.syntax.nodes import (
    attr_name,
    bindings_of,
    named_children,
    node_text,
    string_parts,
    string_value,
    unparen,
)
from homeward.syntax.parse import Source, find_duplicate, parse_source, read_source

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_STEPS = 500_000
MAX_CALL_DEPTH = 64
MAX_BRANCHING_DEPTH = 8  # deeper than this, an `if` homeward cannot decide is not expanded
"""Nested calls of functions written in the configuration: a helper that calls itself on a
value homeward cannot decide (`many = n: if n <= 0 then { } else ... // many (n - 1)`) is an
Unknown at this depth, never Python's recursion limit."""


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


class Evaluator:
    def __init__(
        self,
        root: Path,
        overlay: Mapping[str, bytes | None] | None = None,
        boundary: Path | None = None,
    ) -> None:
        """`overlay`: repo-relative paths whose content is given (None: the file is gone), read
        instead of the disk: the tree a plan would write, seen before it is written.
        `boundary`: what may be read (the git work tree holding `root`; `root` by default)."""
        self.root = root.resolve()
        self.boundary = (boundary or root).resolve()
        self._bound_prefix = os.path.join(self.boundary, "")
        self.steps = 0
        self.depth = 0  # nested calls of functions written in the configuration
        self._files: dict[Path, Value] = {}
        self._sources: dict[str, Source] = {}  # by real path
        self._parsed: dict[str, Source] = {}  # overlay texts parsed already (`take_parsed`)
        self.globals = Env(vars=_global_vars())
        self._prefix = os.path.join(self.root, "")
        self._real_dirs: dict[str, str] = {}
        self._real: dict[str, tuple[str, int | None]] = {}
        self._shown: dict[str, Path] = {}
        self.on_read: Callable[[Path], None] | None = None  # told of each file read
        # Files whose check for names defined twice waits for `duplicates_found` (None: each
        # file is checked as it is read). See `load_repo`.
        self.unchecked: list[Source] | None = None
        self._twice = False  # a file in `unchecked` defined a name twice
        self.flake_inputs: Attrs | None = None  # the attribute set `outputs` is called with
        self._tracked: list[Tracked | None] = []  # what git tracks, read on first `readDir`
        self._overlay = {
            os.path.normpath(os.path.join(self.root, k)): v for k, v in (overlay or {}).items()
        }
        self._overlay_dirs = {
            os.path.dirname(os.path.normpath(os.path.join(self.root, k)))
            for k, v in (overlay or {}).items()
            if v is not None
        }
        for directory in list(self._overlay_dirs):
            while directory.startswith(self._prefix):
                directory = os.path.dirname(directory)
                self._overlay_dirs.add(directory)

    @property
    def tracked(self) -> Tracked | None:
        """The files git tracks around the flake (rule 12: what nix sees), None outside git."""
        if not self._tracked:
            self._tracked.append(tracked_files(self.root))
        return self._tracked[0]

    # -- files ---------------------------------------------------------------------------------
    @property
    def sources(self) -> dict[Path, Source]:
        """The files read so far, by their real path, in the order they were read."""
        return {Path(real): source for real, source in self._sources.items()}

    def sources_holding(self, word: bytes) -> dict[Path, Source]:
        """The files read so far whose text holds `word`, as `sources` has them. Why: a `Path`
        for each of thousands of files cost more than the look for a word in their text."""
        return {Path(real): s for real, s in self._sources.items() if word in s.text}

    @property
    def files_read(self) -> int:
        return len(self._sources)

    def source_of(self, path: Path) -> Source | None:
        """The source of a file already read, if it was."""
        return self._sources.get(self.real(os.fspath(path))[0])

    def resolve(self, path: Path) -> Path:
        """`path.resolve()`, with the directories' real paths cached."""
        return Path(self.real(os.fspath(path))[0])

    def real(self, path: str, *, normal: bool = False) -> tuple[str, int | None]:
        """`path.resolve()` as a string, and the mode of what it names when that is known
        (0: nothing is there; None: not known, stat it).

        Why strings and a cache: resolving stats every component of the path; on a tree of
        thousands of modules that cost more than parsing them. Only the last component is
        looked at per file, with one `lstat` that also answers what the caller asks next.
        `normal`: `path` is already absolute and normalized (`os.path.abspath` would keep it).
        """
        found = self._real.get(path)
        if found is None:
            parent, name = os.path.split(path if normal else os.path.abspath(path))
            real = self._real_dirs.get(parent)
            if real is None:
                real = self._real_dirs[parent] = os.path.realpath(parent)
            candidate = os.path.join(real, name)
            mode: int | None = None
            if self._overlay and (candidate in self._overlay or candidate in self._overlay_dirs):
                found = self._real[path] = (candidate, self._overlay_mode(candidate))
                return found
            try:
                mode = os.lstat(candidate).st_mode
            except (OSError, ValueError):  # as `os.path.islink` answers: not a link
                pass
            else:
                if stat.S_ISLNK(mode):
                    candidate, mode = os.path.realpath(candidate), None
            found = self._real[path] = (candidate, mode)
        return found

    def _overlay_mode(self, real: str) -> int:
        if real in self._overlay:
            return stat.S_IFREG if self._overlay[real] is not None else 0
        return stat.S_IFDIR

    def is_file(self, path: str) -> bool:
        """`os.path.isfile`, as the overlay has it."""
        if self._overlay:
            real, mode = self.real(path)
            if real in self._overlay or real in self._overlay_dirs:
                return mode == stat.S_IFREG
        return os.path.isfile(path)

    def is_dir(self, path: str) -> bool:
        """`os.path.isdir`, as the overlay has it."""
        if self._overlay and self.real(path)[0] in self._overlay_dirs:
            return True
        if self._overlay and self.real(path)[0] in self._overlay:
            return False
        return os.path.isdir(path)

    def planned_listing(self, directory: Path, listing: dict[str, str]) -> dict[str, str]:
        """`listing`, what `readDir directory` finds on disk (or in git), as the planned tree
        has it: a file the overlay writes there is a regular file (new files are added to git
        with intent), one it removes is gone, a directory it makes is a directory. Why: a host
        that lists a directory reads the module a plan creates there, as nix will."""
        if not self._overlay:
            return listing
        real = self.real(os.fspath(directory))[0]
        found = dict(listing)
        for path, text in self._overlay.items():
            if os.path.dirname(path) == real:
                if text is None:
                    found.pop(os.path.basename(path), None)
                else:
                    found[os.path.basename(path)] = "regular"
        for path in self._overlay_dirs:
            if path != real and os.path.dirname(path) == real:
                found.setdefault(os.path.basename(path), "directory")
        return dict(sorted(found.items())) if found != listing else listing

    def seen_by_nix(self, path: Path) -> str | None:
        """What nix sees at `path` in the work tree, as `builtins.readDir` names it (`regular`,
        `directory`, `symlink`), None when nothing: in git the tracked files (rule 12), the
        planned tree where the overlay has it, else the disk."""
        text = os.path.normpath(path)
        if self._overlay:
            real = self.real(text, normal=True)[0]
            if real in self._overlay:
                return "regular" if self._overlay[real] is not None else None
            if real in self._overlay_dirs:
                return "directory"
        tracked = self.tracked
        if tracked is not None:
            if text == os.fspath(tracked.top):
                return "directory"
            listing = tracked.read_dir(Path(os.path.dirname(text)))
            if listing is not None:
                return listing.get(os.path.basename(text))
        try:
            mode = os.lstat(text).st_mode
        except (OSError, ValueError):
            return None
        if stat.S_ISLNK(mode):
            return "symlink"
        return "directory" if stat.S_ISDIR(mode) else "regular"

    def read_bytes(self, path: Path, limit: int) -> bytes | None:
        """The bytes of the regular file `path` (the overlay's when it has them), None when
        it cannot be read or is larger than `limit`."""
        real = self.real(os.path.normpath(path), normal=True)[0]
        if real in self._overlay:
            return self._overlay[real]
        try:
            with open(real, "rb") as handle:
                data = handle.read(limit + 1)
        except OSError:
            return None
        return data if len(data) <= limit else None

    def share_sources(self, other: Evaluator) -> None:
        """Take the files `other` has parsed already, except those the overlay replaces."""
        for real, source in other._sources.items():
            if real not in self._overlay:
                self._sources.setdefault(real, source)
        # And what `real` and `shown_real` found on disk (the same root and boundary), except
        # where the overlay decides: a second read of the tree stats nothing it has not changed.
        if self.root != other.root or self.boundary != other.boundary:
            return
        changed = self._overlay.keys() | self._overlay_dirs
        for directory, real in other._real_dirs.items():
            self._real_dirs.setdefault(directory, real)
        for path, found in other._real.items():
            if found[0] not in changed and os.path.abspath(path) not in changed:
                self._real.setdefault(path, found)
        for real, shown in other._shown.items():
            self._shown.setdefault(real, shown)

    def take_parsed(self, parsed: Mapping[str, Source]) -> None:
        """Sources of the overlay's texts parsed and checked already (a plan's validation), by
        repo-relative path: each is taken only where it is what `source_at` would make, the
        overlay's very bytes under the name the file is shown by."""
        for rel, source in parsed.items():
            real = os.path.normpath(os.path.join(self.root, rel))
            text = self._overlay.get(real)
            if text is not None and source.text == text and source.path == self.shown_real(real):
                self._parsed[real] = source

    def shown(self, path: Path) -> Path:
        return self.shown_real(self.real(os.fspath(path))[0], path)

    def shown_real(self, real: str, path: Path | None = None) -> Path:
        """The path users see for the real path `real`: repo-relative when it is in the repo."""
        found = self._shown.get(real)
        if found is None:
            inside = real.startswith(self._prefix)
            if inside:
                found = Path(real[len(self._prefix) :])
            elif real.startswith(self._bound_prefix):
                # In the work tree, beside the flake's directory (`../modules/x.nix`).
                found = Path(os.path.relpath(real, self.root))
                inside = True
            else:
                found = path or Path(real)
            if inside:
                self._shown[real] = found
        return found

    def source(self, path: Path) -> Source:
        real, mode = self.real(os.fspath(path))
        return self.source_at(real, mode)

    def source_at(self, real: str, mode: int | None = None) -> Source:
        """The file at the real path `real` (from `real()`, with its mode when known), read once."""
        found = self._sources.get(real)
        if found is None and self._overlay.get(real) is not None:
            text = self._overlay[real]
            assert text is not None
            # The planned tree (`load_planned`): never read with the check deferred.
            found = self._parsed.get(real) or parse_source(text, self.shown_real(real)).check()
            self._sources[real] = found
        if found is None:
            regular = mode is not None and stat.S_ISREG(mode)
            found = read_source(real, self.shown_real(real), regular=regular)
            found.check(duplicates=self.unchecked is None)
            self._sources[real] = found
            if self.unchecked is not None:
                self.unchecked.append(found)
            if self.on_read is not None:
                self.on_read(Path(real))
        return found

    def check_read(self) -> None:
        """Look for a name defined twice in the files read since the last look, in one batch
        (before their trees are let go: `release`)."""
        unchecked = self.unchecked
        if unchecked:
            if not self._twice:
                self._twice = any(find_duplicate(s.root, s.text) is not None for s in unchecked)
            unchecked.clear()

    def duplicates_found(self) -> bool:
        """Whether a file read since `unchecked` was set defines a name twice; from now on,
        each file is checked as it is read."""
        self.check_read()
        self.unchecked = None
        return self._twice

    def release(self, sources: list[Source]) -> None:
        """Let go the trees of `sources` (files whose modules are read) that no node is held
        of, once checked for names defined twice (`Source.release`)."""
        self.check_read()
        for source in sources:
            source.release()
        sources.clear()

    def import_target(self, path: Path) -> Path:
        """The file `import path` reads: `path` resolved, a directory meaning its default.nix."""
        path = path.resolve()
        return path / "default.nix" if self.is_dir(os.fspath(path)) else path

    def eval_file(self, path: Path, node: Node | None = None, via: Source | None = None) -> Value:
        """`import path`: the value of a file (a directory means its default.nix)."""
        path = self.import_target(path)
        if not path.is_relative_to(self.boundary):
            return Unknown(f"`{path.name}` is outside the repository", node, via)
        if not self.is_file(os.fspath(path)):
            return Unknown(f"`{self.shown(path)}` does not exist", node, via)
        if path not in self._files:
            try:
                src = self.source(path)
            except HomewardError as exc:
                return Unknown(
                    f"`{self.shown(path)}` cannot be read: {exc.message}", node, via, where=exc.at
                )
            self._files[path] = Unknown("the file imports itself", src.root, src)
            expr = src.root.child_by_field_name("expression")
            value: Value = (
                self.eval(expr, self.globals, src)
                if expr is not None
                else Unknown("the file is empty", src.root, src)
            )
            self._files[path] = value
        return self._files[path]

    # -- evaluation ----------------------------------------------------------------------------
    def force(self, thunk: Thunk) -> Value:
        return thunk.force(self)

    def eval(self, node: Node, env: Env, src: Source) -> Value:
        # Why (issue 10): a body in tail position (`let … in`, `with …;`, `assert …;`, the branch
        # of an `if` whose condition is known) is evaluated in this loop, not by recursion, so
        # that a chain of them as long as nix accepts needs no stack.
        outer: Env | None = None  # the scope of the tail form last entered: as a call's caller
        while True:
            self.steps += 1
            if self.steps > MAX_STEPS:
                return _bound_in(
                    Unknown("the expression is too large to follow statically", node, src),
                    outer,
                    src,
                )
            node = unparen(node)
            kind = node.type
            tail = self._tail(node, kind, env, src) if kind in _TAIL_FORMS else None
            if tail is not None:
                outer = env
                node, env = tail
                continue
            method = getattr(self, "_e_" + kind, None)
            if method is None:
                return _bound_in(
                    Unknown(
                        f"`{kind.replace('_expression', '')}` expressions are not followed",
                        node,
                        src,
                    ),
                    outer,
                    src,
                )
            return _bound(method(node, env, src), env, src)

    def _tail(self, node: Node, kind: str, env: Env, src: Source) -> tuple[Node, Env] | None:
        """The body `node` evaluates to, in the scope it has; None when it is no tail form."""
        body = node.child_by_field_name("body")
        if kind == "let_expression":
            assert body is not None
            scope = Env(env)
            self._bind(node, scope, scope, src)
            return body, scope
        if kind == "with_expression":
            environment = node.child_by_field_name("environment")
            assert environment is not None and body is not None
            return body, Env(env, with_=Thunk(environment, env, src))
        if kind == "assert_expression":
            assert body is not None
            return body, env
        cond = self.eval(node.child_by_field_name("condition"), env, src)  # type: ignore[arg-type]
        if not isinstance(cond, Bool):
            return None  # both branches: `_e_if_expression`
        branch = node.child_by_field_name("consequence" if cond.value else "alternative")
        assert branch is not None
        return branch, env

    def _e_integer_expression(self, node: Node, _env: Env, src: Source) -> Value:
        return Int(int(node_text(node, src.text)), node, src)

    def _e_float_expression(self, node: Node, _env: Env, src: Source) -> Value:
        return Unknown("floats are not followed", node, src)

    def _e_uri_expression(self, node: Node, _env: Env, src: Source) -> Value:
        return Str(node_text(node, src.text), node, src)

    def _e_spath_expression(self, node: Node, _env: Env, src: Source) -> Value:
        return External(node_text(node, src.text), node, src)

    def _e_string_expression(self, node: Node, env: Env, src: Source) -> Value:
        plain = string_value(node, src.text)
        if plain is not None:
            return Str(plain, node, src)
        return self._interpolated(node, env, src)

    _e_indented_string_expression = _e_string_expression

    def _interpolated(self, node: Node, env: Env, src: Source) -> Value:
        parts = string_parts(node, src.text)
        texts: list[str] = []
        external: External | None = None  # `"${nixpkgs}/nixos/modules/x.nix"`: an input's file
        for n, part in enumerate(parts):
            if isinstance(part, str):
                texts.append(part)
                continue
            inner = part.child_by_field_name("expression")
            value = self.eval(inner, env, src) if inner is not None else Null()
            if isinstance(value, External) and not texts and external is None:
                external = value
                continue
            if not texts and isinstance(value, Attrs) and "outPath" in value.attrs:
                # `"${self}/hosts/x.nix"`: a file of the flake (its store copy).
                value = self.force(value.attrs["outPath"])
                if isinstance(value, PathValue):
                    return self._in_directory(value, parts[n + 1 :], node, env, src)
            text = _to_string(value)
            if text is None:
                return Unknown("the string interpolates a value that is not known", part, src)
            texts.append(text)
        if external is not None:
            return External(f"{external.name}{''.join(texts)}", node, src)
        return Str("".join(texts), node, src)

    def _in_directory(
        self, base: PathValue, rest: list[str | Node], node: Node, env: Env, src: Source
    ) -> Value:
        """`"${self}/rest"`: the path `rest` under `base`, when all of `rest` is known."""
        texts: list[str] = []
        for part in rest:
            if isinstance(part, str):
                texts.append(part)
                continue
            inner = part.child_by_field_name("expression")
            text = _to_string(self.eval(inner, env, src)) if inner is not None else None
            if text is None:
                return Unknown("the string interpolates a value that is not known", part, src)
            texts.append(text)
        tail = "".join(texts)
        if tail and not tail.startswith("/"):
            return Str(f"{base.path}{tail}", node, src)
        return PathValue(Path(_normpath(Path(f"{base.path}{tail}"))), node, src)

    def _e_path_expression(self, node: Node, env: Env, src: Source) -> Value:
        value = self._interpolated(node, env, src)
        if not isinstance(value, Str):
            return value
        text = value.value
        if text.startswith(("~", "/")):
            return Unknown(f"the absolute path `{text}` is outside the repository", node, src)
        base = Path(src.path) if src.path.is_absolute() else self.root / src.path
        return PathValue(Path(_normpath(base.parent / text)), node, src)

    def _e_variable_expression(self, node: Node, env: Env, src: Source) -> Value:
        name = node_text(node, src.text)
        thunk = env.lookup(name, self)
        if thunk is None:
            return Unknown(f"`{name}` is not defined here", node, src)
        return self.force(thunk)

    def _e_select_expression(self, node: Node, env: Env, src: Source) -> Value:
        base_node = node.child_by_field_name("expression")
        attrpath = node.child_by_field_name("attrpath")
        default = node.child_by_field_name("default")
        assert base_node is not None and attrpath is not None
        value = self.eval(base_node, env, src)
        for attr in attrpath.children_by_field_name("attr"):
            name = self._attr_name(attr, env, src)
            if name is None:
                return Unknown("the attribute name is computed", attr, src)
            value = self.select(value, name, attr, src)
            if (
                isinstance(value, Unknown)
                and default is not None
                and value.reason.startswith("no attribute")
            ):
                return self.eval(default, env, src)
        return value

    def select(self, value: Value, name: str, node: Node | None, src: Source | None) -> Value:
        if isinstance(value, Attrs):
            if name in value.attrs:
                return self.force(value.attrs[name])
            if "__external__" in value.attrs:
                return self.select(self.force(value.attrs["__external__"]), name, node, src)
            if value.more is not None:
                return Unknown(f"`{name}` may come from {value.more.reason}", node, src)
            return Unknown(f"no attribute `{name}`", node, src)
        if isinstance(value, External):
            alts = tuple(f"{a}.{name}" for a in value.alternatives)
            return External(f"{value.name}.{name}", node, src, alts)
        if isinstance(value, SystemCall) and name == "override" and value.overridable:
            return Builtin("override", 2, _b_override, (Thunk.of(value),), node, src)
        if isinstance(value, SystemCall) and name in ("config", "options", "pkgs"):
            return Unknown(f"`{name}` of an evaluated system is only known to nix", node, src)
        if isinstance(value, Unknown):
            return value
        return Unknown(f"cannot select `{name}` from a {type(value).__name__.lower()}", node, src)

    def _attr_name(self, attr: Node, env: Env, src: Source) -> str | None:
        name = attr_name(attr, src.text)
        if name is not None:
            return name
        inner = attr
        if attr.type == "interpolation":
            expr = attr.child_by_field_name("expression")
            value = self.eval(expr, env, src) if expr is not None else Null()
        else:
            value = self.eval(inner, env, src)
        return _to_string(value)

    def _e_list_expression(self, node: Node, env: Env, src: Source) -> Value:
        return ListValue([Thunk(e, env, src) for e in named_children(node)], node, src)

    def _e_attrset_expression(self, node: Node, env: Env, src: Source) -> Value:
        return self._attrset(node, env, src, rec=False)

    def _e_rec_attrset_expression(self, node: Node, env: Env, src: Source) -> Value:
        return self._attrset(node, env, src, rec=True)

    def _e_if_expression(self, node: Node, env: Env, src: Source) -> Value:
        """An `if` whose condition is not known (a known one is a tail form of `eval`)."""
        # A list either way (`modules = if c then [ a ] else [ b ];`): every element of both,
        # each only maybe there.
        reason = "the condition of an `if` is not known statically"
        if self.depth > MAX_BRANCHING_DEPTH:
            return Unknown(reason, node, src)  # Why: both branches at every depth is exponential
        both: list[Thunk] = []
        branches: list[Thunk] = []
        lists = True
        for field_name in ("consequence", "alternative"):
            branch = node.child_by_field_name(field_name)
            if branch is None:
                return Unknown(reason, node, src)
            branches.append(Thunk(branch, env, src))
            value = branches[-1].force(self)
            if isinstance(value, ListValue):
                both.extend(maybe(item, reason) for item in value.items)
            else:
                lists = False
        if lists:
            return ListValue(both, node, src)
        return Choice(branches, reason, node, src)

    def _e_function_expression(self, node: Node, env: Env, src: Source) -> Value:
        return Lambda(node, env, src)

    def _e_unary_expression(self, node: Node, env: Env, src: Source) -> Value:
        op = node_text(node.child_by_field_name("operator"), src.text)  # type: ignore[arg-type]
        arg = self.eval(node.child_by_field_name("argument"), env, src)  # type: ignore[arg-type]
        if op == "!" and isinstance(arg, Bool):
            return Bool(not arg.value, node, src)
        if op == "-" and isinstance(arg, Int):
            return Int(-arg.value, node, src)
        return Unknown(f"`{op}` of a value that is not known", node, src)

    def _e_has_attr_expression(self, node: Node, env: Env, src: Source) -> Value:
        value = self.eval(node.child_by_field_name("expression"), env, src)  # type: ignore[arg-type]
        attrpath = node.child_by_field_name("attrpath")
        assert attrpath is not None
        for attr in attrpath.children_by_field_name("attr"):
            name = self._attr_name(attr, env, src)
            if not isinstance(value, Attrs) or name is None:
                return Unknown("`?` on a value that is not known", node, src)
            if name not in value.attrs:
                return Bool(False, node, src)
            value = self.force(value.attrs[name])
        return Bool(True, node, src)

    def _e_binary_expression(self, node: Node, env: Env, src: Source) -> Value:
        """Left operand, right operand, operator, over every operator of the expression with an
        explicit stack (issue 10: nix accepts `a + b + …` and `a // b // …` of any length)."""
        values: list[Value] = []
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:
            item, operands_done = stack.pop()
            if operands_done:
                op = node_text(item.child_by_field_name("operator"), src.text)  # type: ignore[arg-type]
                right = values.pop()
                result = binary(op, values.pop(), right, item, src)
                values.append(result if item is node else _bound(result, env, src))
                continue
            if item is not node:
                item = unparen(item)
                if item.type != "binary_expression":
                    values.append(self.eval(item, env, src))
                    continue
                self.steps += 1  # as `eval` counts it
            stack.append((item, True))
            stack.append((item.child_by_field_name("right"), False))  # type: ignore[arg-type]
            stack.append((item.child_by_field_name("left"), False))  # type: ignore[arg-type]
        return values[0]

    def _e_apply_expression(self, node: Node, env: Env, src: Source) -> Value:
        fn = self.eval(node.child_by_field_name("function"), env, src)  # type: ignore[arg-type]
        arg = node.child_by_field_name("argument")
        assert arg is not None
        return self.apply(fn, Thunk(arg, env, src), node, src)

    # -- application ---------------------------------------------------------------------------
    def apply(self, fn: Value, arg: Thunk, node: Node | None, src: Source | None) -> Value:
        if isinstance(fn, Lambda):
            return self._call_lambda(fn, arg)
        if isinstance(fn, Builtin):
            args = (*fn.args, arg)
            if len(args) < fn.arity:
                return Builtin(fn.name, fn.arity, fn.impl, args, node or fn.node, src or fn.source)
            partial = Builtin(fn.name, fn.arity, fn.impl, args, node or fn.node, src or fn.source)
            return fn.impl(self, list(args), partial)
        if isinstance(fn, External) and fn.name.startswith("import ") and not _framework(fn):
            # `import nixpkgs { ... }`: an input's package set, with what its overlays add.
            return _package_set(self, fn, arg, node, src)
        if isinstance(fn, External):
            builtin = _external_builtin(fn)
            if builtin is not None:
                return self.apply(
                    Builtin(builtin[0], builtin[1], builtin[2], (), node, src), arg, node, src
                )
            return Unknown(
                f"`{fn.name}` comes from outside the repository",
                node,
                src,
                call=arg,
                function=fn.name,
            )
        if isinstance(fn, Unknown):
            return Unknown(fn.reason, fn.node, fn.source, fn.where, call=arg, function=fn.function)
        return Unknown(f"cannot call a {type(fn).__name__.lower()}", node, src)

    def _call_lambda(self, fn: Lambda, arg: Thunk) -> Value:
        node, src = fn.node, fn.source
        assert node is not None and src is not None
        if self.depth >= MAX_CALL_DEPTH:
            return Unknown("the function calls itself too deeply to follow statically", node, src)
        self.depth += 1
        try:
            return self._call_lambda_body(fn, arg, node, src)
        finally:
            self.depth -= 1

    def _call_lambda_body(self, fn: Lambda, arg: Thunk, node: Node, src: Source) -> Value:
        scope = Env(fn.env)
        scope.call = (node, src, arg)
        universal = node.child_by_field_name("universal")
        if universal is not None:
            scope.vars[node_text(universal, src.text)] = arg
        formals = node.child_by_field_name("formals")
        if formals is not None:
            value = self.force(arg)
            for formal in formals.children_by_field_name("formal"):
                name_node = formal.child_by_field_name("name")
                if name_node is None:
                    continue
                name = node_text(name_node, src.text)
                default = formal.child_by_field_name("default")
                if isinstance(value, Attrs) and name in value.attrs:
                    scope.vars[name] = value.attrs[name]
                elif default is not None:
                    scope.vars[name] = Thunk(default, scope, src)
                else:
                    scope.vars[name] = Thunk.of(
                        Unknown(f"the argument `{name}` is not known", formal, src)
                    )
        body = node.child_by_field_name("body")
        assert body is not None
        return self.eval(body, scope, src)

    # -- attribute sets --------------------------------------------------------------------------
    def _attrset(self, node: Node, env: Env, src: Source, *, rec: bool) -> Value:
        result = Attrs({}, node, src)
        scope = Env(env) if rec else env
        self._fill(node, result, scope, env, src)
        if rec:
            scope.vars.update(result.attrs)
        return result

    def _bind(self, node: Node, scope: Env, inherit_env: Env, src: Source) -> None:
        holder = Attrs({})
        self._fill(node, holder, scope, inherit_env, src)
        scope.vars.update(holder.attrs)

    def _fill(self, node: Node, into: Attrs, value_env: Env, inherit_env: Env, src: Source) -> None:
        for binding in bindings_of(node):
            if binding.type == "binding":
                attrpath = binding.child_by_field_name("attrpath")
                expr = binding.child_by_field_name("expression")
                assert attrpath is not None and expr is not None
                attrs = attrpath.children_by_field_name("attr")
                names: list[str] = []
                for attr in attrs:
                    name = self._attr_name(attr, inherit_env, src)
                    if name is None:
                        into.dynamic_keys.append(attr)
                        break
                    names.append(name)
                else:
                    _insert(self, into, names, Thunk(expr, value_env, src), binding, src)
            elif binding.type in ("inherit", "inherit_from"):
                source_expr = binding.child_by_field_name("expression")
                attrs_node = binding.child_by_field_name("attrs")
                for attr in attrs_node.children_by_field_name("attr") if attrs_node else ():
                    name = attr_name(attr, src.text)
                    if name is None:
                        continue
                    if source_expr is not None:
                        base = Thunk(source_expr, inherit_env, src)
                        into.attrs[name] = _select_later(base, name, attr, src)
                    else:
                        found = inherit_env.lookup(name, self)
                        into.attrs[name] = found or Thunk.of(
                            Unknown(f"`{name}` is not defined here", attr, src)
                        )


def _select_later(base: Thunk, name: str, node: Node, src: Source) -> Thunk:
    """`inherit (x) name;`: select only when the value is needed (x may be `self`)."""
    return Thunk(compute=lambda ev: ev.select(ev.force(base), name, node, src))


def _insert(
    ev: Evaluator, into: Attrs, names: list[str], thunk: Thunk, node: Node, src: Source
) -> None:
    """`a.b.c = v;` into an attrset, merging with `a = { ... };` written elsewhere in it."""
    target = into
    for name in names[:-1]:
        existing = target.attrs.get(name)
        sub = ev.force(existing) if existing is not None else None
        if not isinstance(sub, Attrs):
            sub = Attrs({}, node, src)
            target.attrs[name] = Thunk.of(sub)
        target = sub
    last = names[-1]
    if last in target.attrs:
        old = ev.force(target.attrs[last])
        new = ev.force(thunk)
        if isinstance(old, Attrs) and isinstance(new, Attrs):
            merged = Attrs({**old.attrs, **new.attrs}, old.node, old.source)
            target.attrs[last] = Thunk.of(merged)
            return
    target.attrs[last] = thunk


def _normpath(path: Path) -> str:
    import os.path

    return os.path.normpath(str(path))


def _to_string(value: Value) -> str | None:
    if isinstance(value, Str):
        return value.value
    if isinstance(value, Int):
        return str(value.value)
    if isinstance(value, PathValue):
        return str(value.path)
    return None


_TAIL_FORMS = frozenset({"let_expression", "with_expression", "assert_expression", "if_expression"})


def _bound(result: Value, env: Env, src: Source) -> Value:
    """An unknown made here records the scope its names are bound in: what it might read
    (model/reach.py)."""
    if type(result) is Unknown and result.env is None and result.source is src:
        result.env = env
    return result


def _bound_in(result: Value, env: Env | None, src: Source) -> Value:
    return result if env is None else _bound(result, env, src)


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
            text = _to_string(right)
            if text is not None:
                return PathValue(Path(_normpath(Path(str(left.path) + text))), node, src)
        if isinstance(left, Str):
            text = _to_string(right)
            if text is not None:
                return Str(left.value + text, node, src)
        if isinstance(left, Int) and isinstance(right, Int):
            return Int(left.value + right.value, node, src)
        if isinstance(left, External):
            return External(f"({left.name} + …)", node, src)
        return Unknown("`+` of values that are not known", node, src)
    if op in ("==", "!="):
        a, b = _plain(left), _plain(right)
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


def _plain(value: Value) -> object:
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


# -- builtins -----------------------------------------------------------------------------------


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
        return Unknown(
            f"{reason}: {value.reason}",
            value.node,
            value.source,
            value.where,
            value.call,
            value.function,
            value.env,
            value.parts,
        )
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
    path = _path_of(ev, ev.force(args[0]))
    if not isinstance(path, PathValue):
        return Unknown("`readDir` of a path that is not known", me.node, me.source)
    if not path.path.is_relative_to(ev.boundary) or not ev.is_dir(os.fspath(path.path)):
        return Unknown(
            f"`readDir` of `{ev.shown(path.path)}`, which is not a directory in the repository",
            me.node,
            me.source,
        )
    seen = ev.tracked.read_dir(path.path) if ev.tracked is not None else None
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
    seen = ev.planned_listing(path.path, seen)
    return Attrs({n: Thunk.of(Str(k)) for n, k in seen.items()}, me.node, me.source)


def _path_of(ev: Evaluator, value: Value) -> Value:
    """`"${toString ./dir}/${name}"`: a string naming a place in the repository is that path."""
    if isinstance(value, Str):
        text = os.path.normpath(value.value)
        top = os.fspath(ev.boundary)
        if text == top or text.startswith(os.path.join(top, "")):
            return PathValue(Path(text), value.node, value.source)
    return value


def _b_path_exists(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    path = _path_of(ev, ev.force(args[0]))
    if not isinstance(path, PathValue):
        return Unknown("`pathExists` of a path that is not known", me.node, me.source)
    if not path.path.is_relative_to(ev.boundary):
        return Unknown(
            f"`pathExists` of `{ev.shown(path.path)}`, outside the repository", me.node, me.source
        )
    # What nix sees (rule 12): in git, a file that is not tracked does not exist for it.
    return Bool(ev.seen_by_nix(path.path) is not None, me.node, me.source)


def _b_import(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    path = _path_of(ev, ev.force(args[0]))
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


def _b_override(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
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
            f"`listFilesRecursive` of `{ev.shown(path.path)}`, which is not a directory in the "
            "repository",
            me.node,
            me.source,
        )
    found: list[Thunk] = []
    if ev.tracked is not None and ev.tracked.read_dir(path.path) is not None:
        tracked = ev.tracked

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
    text = _to_string(ev.force(args[0]))
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


def _b_has_suffix(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    suffix, text = _to_string(ev.force(args[0])), _to_string(ev.force(args[1]))
    if suffix is not None and text is not None:
        return Bool(text.endswith(suffix), me.node, me.source)
    return Unknown("`hasSuffix` of values that are not known", me.node, me.source)


def _b_recursive_update(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.recursiveUpdate a b`: `//` at every depth where both sides are attribute sets."""
    return recursive_update(ev.force(args[0]), ev.force(args[1]), me.node, me.source)


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


def _b_merge_attrs_list(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.mergeAttrsList [ a b ]`: `a // b`, partly known when some are."""
    lst = ev.force(args[0])
    if not isinstance(lst, ListValue):
        return Unknown("`mergeAttrsList` of a list that is not known", me.node, me.source)
    result: Value = Attrs({}, me.node, me.source)
    for item in lst.items:
        result = binary("//", result, ev.force(item), me.node, me.source)
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
    prefix, text = _to_string(ev.force(args[0])), _to_string(ev.force(args[1]))
    if prefix is not None and text is not None:
        return Bool(text.startswith(prefix), me.node, me.source)
    return Unknown("`hasPrefix` of values that are not known", me.node, me.source)


def _b_has_infix(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    infix, text = _to_string(ev.force(args[0])), _to_string(ev.force(args[1]))
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
    wanted, items = _plain(ev.force(args[0])), _list(ev, ev.force(args[1]))
    if wanted is None or items is None or any(_plain(i) is None for i in items):
        return Unknown("`elem` of values that are not known", me.node, me.source)
    return Bool(any(_plain(i) == wanted for i in items), me.node, me.source)


def _b_base_name_of(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    text = _to_string(ev.force(args[0]))
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


def _package_set(
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


_BUILTINS: dict[str, tuple[int, Impl]] = {
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
    "hasSuffix": (2, _b_has_suffix),
    "recursiveUpdate": (2, _b_recursive_update),
    "foldl'": (3, _b_foldl),
    "foldl": (3, _b_foldl),
    "mergeAttrsList": (1, _b_merge_attrs_list),
    "mapAttrs'": (2, _b_map_attrs_named),
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
}
_BUILTINS.update(LIB_BUILTINS)  # functionArgs, zipAttrsWith, ...: model/libfns.py
_BUILTINS.update(FRAMEWORK_BUILTINS)  # flake-parts, import-tree, lib.fileset: model/frameworks.py
_BUILTINS.update(DATA_BUILTINS)  # readFile, fromTOML, head, attrsToList: model/data.py


def _framework(ext: External) -> bool:
    """`(import pins.nilla).create`: a framework's function in an imported source, not the
    package set `import nixpkgs { ... }` gives."""
    head, _, leaf = ext.name.rpartition(".")
    return bool(head) and leaf in FRAMEWORK_BUILTINS


def _external_builtin(ext: External) -> tuple[str, int, Impl] | None:
    for name in (ext.name, *ext.alternatives):
        leaf = name.rsplit(".", 1)[-1]
        if leaf in _BUILTINS:
            arity, impl = _BUILTINS[leaf]
            return name, arity, impl
    return None


def _global_vars() -> dict[str, Thunk]:
    # Frameworks' functions are found by their name in an input (`inputs.x.lib.mkFlake`),
    # never in `builtins` (`with builtins; mkFlake` is the repository's own).
    builtins_set = Attrs(
        {
            name: Thunk.of(Builtin(name, a, f))
            for name, (a, f) in _BUILTINS.items()
            if name not in FRAMEWORK_BUILTINS
        }
    )
    return {
        "true": Thunk.of(Bool(True)),
        "false": Thunk.of(Bool(False)),
        "null": Thunk.of(Null()),
        "builtins": Thunk.of(builtins_set),
        **{n: builtins_set.attrs[n] for n in ("map", "import", "toString", "removeAttrs")},
    }


def expect_attrs(value: Value, what: str) -> Attrs:
    if isinstance(value, Attrs):
        return value
    raise HomewardError(f"{what} is not an attribute set homeward can read")
