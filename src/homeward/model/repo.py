"""The Repo model: a flake configuration read statically.

From a directory: its `flake.nix`, the inputs, every `nixosConfigurations.<host>` and
`homeConfigurations.<name>` with their module lists (however the flake computes them, see
`model/eval.py`), the module import graph from each host, the users and every user-level
definition with its origin span. What cannot be resolved statically is recorded as a `Problem`
with its location and why; commands decide whether that stops them. Reads only.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import stat
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import HomewardError, Location
from homeward.model.eval import Env, Evaluator
from homeward.model.files import Snapshot, list_files
from homeward.model.frameworks import (
    PER_SYSTEM,
    assembled_hosts,
    describe,
    per_system_order,
    searched,
    used,
)
from homeward.model.reach import Reach
from homeward.model.values import (
    Attrs,
    Choice,
    External,
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
from homeward.syntax.find import (
    DYNAMIC,
    Definition,
    ImportKind,
    ImportRef,
    Module,
    StepKind,
    import_target,
    read_module,
)
from homeward.syntax.nodes import unparen
from homeward.syntax.parse import NotTextError, Source
from homeward.syntax.slots import slot_setters

if TYPE_CHECKING:
    from tree_sitter import Node


class ProblemKind(StrEnum):
    UNRESOLVED = "unresolved"  # a host, module list or import homeward cannot compute
    MISSING = "missing"  # an import of a file that does not exist
    LOOP = "loop"  # an import of a symlink that leads back to itself
    NO_DEFAULT = "no-default"  # an import of a directory without default.nix
    CYCLE = "cycle"  # files import each other
    OUTSIDE = "outside"  # an import that leaves the repository (absolute path, symlink out)
    UNREADABLE = "unreadable"  # a module file that does not parse or is empty
    NOT_TEXT = "not-text"  # a module file whose bytes are not text (git-crypt): opaque
    IGNORED = "ignored"  # an entry of `nixosConfigurations` that is not a system (`nixpkgs`)


@dataclass(frozen=True, slots=True)
class Problem:
    kind: ProblemKind
    message: str
    at: Location | None
    hint: str = ""
    first: bool = False  # when no host can be read, this says exactly why: said first

    def error(self) -> HomewardError:
        return HomewardError(self.message, at=self.at, hint=self.hint or None)


class ModuleKind(StrEnum):
    FILE = "file"
    INLINE = "inline"
    EXTERNAL = "external"
    UNKNOWN = "unknown"


class Context(StrEnum):
    NIXOS = "nixos"
    HOME = "home"


@dataclass(frozen=True, slots=True)
class ModuleRef:
    """One element of a module list (`modules = [ ... ]`, `imports = [ ... ]`)."""

    kind: ModuleKind
    path: Path | None = None  # FILE: repo-relative, a directory resolved to its default.nix
    node: Node | None = field(default=None, repr=False, compare=False)
    source: Source | None = field(default=None, repr=False, compare=False)
    label: str = ""  # EXTERNAL: what it names; UNKNOWN: why
    maybe: str = ""  # there only under a condition homeward cannot decide: which
    dynamic: bool = False  # UNKNOWN: a computed import, which may be known per host

    @property
    def location(self) -> Location | None:
        if self.node is None or self.source is None:
            return None
        return self.source.location(self.node.start_byte)


_new = object.__new__
_REF_SET, _REF_REST = slot_setters(ModuleRef, ("kind", "path", "node", "source"))

OTHER_KINDS = {"darwinConfigurations": "darwin"}
"""Outputs holding hosts homeward reads (so that the files they share are known to be shared)
but does not migrate yet: the attribute, and the `SystemCall` kind of its entries."""
EXPORTS = ("nixosModules", "darwinModules", "homeManagerModules", "homeModules")
"""Outputs that hand modules to other flakes: whoever imports them is not known."""


@dataclass(frozen=True, slots=True)
class FlakeInput:
    name: str
    url: str | None
    follows: tuple[tuple[str, str], ...] = ()  # (`nixpkgs`, `nixpkgs`) for inputs.nixpkgs.follows


@dataclass(eq=False)
class SystemConfig:
    """A `nixosConfigurations.<name>` or `homeConfigurations.<name>` entry."""

    name: str
    context: Context
    call: SystemCall
    modules: list[ModuleRef]
    modules_value: Value  # the evaluated `modules` list (its node says where it is written)
    system: str | None = None
    special_args: Value | None = None
    kind: str = "nixos"  # the SystemCall kind: "nixos", "home", "darwin"
    # The framework that assembles it from a directory (no `nixosSystem` call is written for
    # it: ez-configs, snowfall-lib, ...); "" when the code calls the builder.
    framework: str = ""

    @property
    def args(self) -> Attrs | None:
        return self.call.args if isinstance(self.call.args, Attrs) else None

    @property
    def location(self) -> Location | None:
        if self.call.node is None or self.call.source is None:
            return None
        return self.call.source.location(self.call.node.start_byte)


@dataclass(eq=False)
class ModuleInfo:
    """A module as used by one or more configurations."""

    key: str  # the repo-relative path, or `flake.nix@<byte>` for inline modules
    module: Module
    path: Path | None  # repo-relative file, None when inline
    context: Context
    imports: list[ModuleRef] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)  # configurations that reach it
    users: set[str] = field(default_factory=set)  # HOME: the users it configures
    # HOME, through home-manager's NixOS module: (host, user) pairs that reach it (a host and
    # a user may each reach it with another partner only).
    pairs: set[tuple[str, str]] = field(default_factory=set)
    # Consumers homeward does not rewire (a nix-darwin host, an exported module, a host it
    # skipped, an import under a condition it cannot decide): who, and why. A module with any
    # is never edited (docs/architecture.md, rule 10).
    frozen: dict[str, str] = field(default_factory=dict)

    @property
    def source(self) -> Source:
        return self.module.source


@dataclass(frozen=True, slots=True)
class User:
    name: str
    hosts: tuple[str, ...]  # hosts whose configuration defines `users.users.<name>`
    definitions: tuple[Definition, ...]  # every `users.users.<name>.*` definition
    normal: bool  # isNormalUser = true somewhere (or packages given)


@dataclass(eq=False)
class Repo:
    root: Path  # the directory holding flake.nix (absolute)
    flake: Source
    inputs: dict[str, FlakeInput]
    outputs: Value
    hosts: dict[str, SystemConfig]
    homes: dict[str, SystemConfig]
    modules: dict[str, ModuleInfo]
    edges: list[tuple[str, str]]  # (parent key, child key): host name or module key
    problems: list[Problem]
    ev: Evaluator = field(repr=False)
    # Hosts of kinds homeward reads but does not migrate (`darwinConfigurations.<name>`), by
    # their output path; hosts it skipped (a file of theirs does not parse), with why.
    others: dict[str, SystemConfig] = field(default_factory=dict)
    skipped: dict[str, Problem] = field(default_factory=dict)
    # Each module file as read (before user names are resolved), by its source's identity:
    # reading the planned tree (`load_planned`) reuses what the plan does not change.
    read: dict[int, tuple[Source, Module, list[ImportRef]]] = field(
        default_factory=dict, repr=False
    )

    @property
    def files_read(self) -> int:
        return self.ev.files_read

    @property
    def opaque(self) -> list[ModuleRef]:
        """Every module homeward could not look into (computed, missing, unreadable), once."""
        seen: set[tuple[str, int]] = set()
        found: list[ModuleRef] = []
        refs = [r for c in (*self.hosts.values(), *self.homes.values()) for r in c.modules]
        refs += [r for m in self.modules.values() for r in m.imports]
        reported = {p.at for p in self.problems}
        for ref in refs:
            if ref.kind is not ModuleKind.UNKNOWN:
                continue
            if ref.dynamic and ref.location not in reported:
                continue  # a computed import expanded on every host that reads it
            key = (
                str(ref.source.path) if ref.source else "",
                ref.node.start_byte if ref.node else 0,
            )
            if key not in seen:
                seen.add(key)
                found.append(ref)
        return found

    @cached_property
    def files(self) -> Snapshot:
        """What is on disk under `root`, listed on first use: planners ask it, not the disk."""
        return list_files(self.root)

    def host_modules(self, host: str, context: Context = Context.NIXOS) -> list[ModuleInfo]:
        return [m for m in self.modules.values() if host in m.hosts and m.context is context]

    def definitions(
        self, host: str, context: Context = Context.NIXOS
    ) -> Iterator[tuple[ModuleInfo, Definition]]:
        for info in self.host_modules(host, context):
            for d in info.module.definitions:
                yield info, d

    @property
    def users(self) -> dict[str, User]:
        hosts: dict[str, set[str]] = {}
        defs: dict[str, list[Definition]] = {}
        normal: set[str] = set()
        # One pass over the modules (not one per host: that was hosts x modules), each met
        # where a walk host by host meets it first, so the definitions keep their order.
        order = {host: i for i, host in enumerate(self.hosts)}
        met: list[tuple[int, list[str], ModuleInfo]] = []
        for info in self.modules.values():
            on = [host for host in info.hosts if host in order]
            if on and info.context is Context.NIXOS:
                met.append((min(order[host] for host in on), on, info))
        met.sort(key=lambda item: item[0])
        for _first, on, info in met:
            for d in info.module.definitions:
                if len(d.path) < 3 or d.path[:2] != ("users", "users") or d.path[2] == DYNAMIC:
                    continue
                name = d.path[2]
                hosts.setdefault(name, set()).update(on)
                if d not in defs.setdefault(name, []):
                    defs[name].append(d)
                if (d.path[3:] == ("isNormalUser",) and d.value_text == "true") or d.path[3:4] == (
                    "packages",
                ):
                    normal.add(name)
        return {
            name: User(name, tuple(sorted(hosts[name])), tuple(defs[name]), name in normal)
            for name in sorted(hosts)
        }

    def fatal(self) -> None:
        """Raise when no host at all could be read (docs/architecture.md, rule 9): the first
        problem says why. Anything less is partial knowledge, which the commands report."""
        if self.hosts or self.homes or self.others:
            return
        for problem in self.problems:
            if problem.first:
                raise problem.error()
        for skipped in self.skipped.values():
            if skipped.kind is ProblemKind.UNRESOLVED:  # not rewired: the list is shared
                raise skipped.error()
        message = no_host_framework(self)
        if message:
            raise HomewardError(message, at=self.flake.location(0), hint=FRAMEWORK_HINT)
        for problem in self.problems:
            if problem.kind is not ProblemKind.IGNORED:
                raise problem.error()
        if self.skipped:
            raise next(iter(self.skipped.values())).error()
        raise HomewardError(
            "no host found: flake.nix has no `nixosConfigurations`, `darwinConfigurations` or "
            "`homeConfigurations` that homeward can read",
            at=self.flake.location(0),
        )

    def rel(self, path: Path) -> Path:
        return path.resolve().relative_to(self.root)


def host_nixpkgs(repo: Repo, host: SystemConfig) -> str | None:
    """The nixpkgs input a host is built with: `nixpkgs-stable.lib.nixosSystem` names it; a
    nix-darwin host (`nix-darwin.lib.darwinSystem`) uses the one its nix-darwin input follows
    (`nixpkgs-darwin`), else `nixpkgs`. None: not an input of the flake."""
    head = host.call.function.split(".", 1)[0]
    found = repo.inputs.get(head)
    if found is None:
        return None
    if host.kind != "darwin" and host.call.kind != "darwin":
        return head
    follows = dict(found.follows).get("nixpkgs")
    if follows in repo.inputs:
        return follows
    return "nixpkgs" if "nixpkgs" in repo.inputs else None


def skip_hosts(repo: Repo, reasons: Mapping[str, Problem]) -> Repo:
    """`repo` without the NixOS hosts in `reasons`: skipped and named (docs/architecture.md,
    rule 9), every module they reach frozen for them, so it keeps its bytes (rule 10). A new
    model; `repo` itself is left as it is."""
    modules: dict[str, ModuleInfo] = {}
    for key, info in repo.modules.items():
        hit = info.hosts & reasons.keys()
        if hit:
            frozen = {h: f"`{h}` is skipped: {reasons[h].message}" for h in sorted(hit)}
            info = replace(info, hosts=info.hosts - hit, frozen={**info.frozen, **frozen})
        modules[key] = info
    hosts = {name: config for name, config in repo.hosts.items() if name not in reasons}
    return replace(repo, hosts=hosts, modules=modules, skipped={**repo.skipped, **reasons})


def hosts_nixpkgs(repo: Repo) -> str | None:
    """The nixpkgs input every host is built with (`nixpkgs-stable.lib.nixosSystem`), when
    they agree; None otherwise. The NixOS hosts decide when there are any (a Mac on its own
    nixpkgs gets a home-manager input of its own: `plan/darwin.py`)."""
    nixos = [h for h in repo.hosts.values() if h.kind != "darwin"]
    heads = {host_nixpkgs(repo, h) for h in (nixos or repo.hosts.values())}
    heads.discard(None)
    return heads.pop() if len(heads) == 1 else None


def framework_label(repo: Repo) -> str:
    """What builds the outputs of `repo` ("flake-parts", "the repository's own `mkFlake`"),
    "" when flake.nix writes them itself (model/frameworks.py)."""
    return describe(
        repo.flake.text.decode(errors="replace"), {n: i.url for n, i in repo.inputs.items()}
    )


def no_host_framework(repo: Repo) -> str | None:
    """`no host found: ...` when a framework builds the outputs and homeward found no host."""
    written = repo.outputs.attrs if isinstance(repo.outputs, Attrs) else {}
    if any(attr in written for attr in ("nixosConfigurations", *OTHER_KINDS)):
        return None  # flake.nix writes them: the problem that hid them says more
    label = framework_label(repo)
    if not label:
        return None
    where = searched(repo.ev, repo.root, used({n: i.url for n, i in repo.inputs.items()}))
    if where:
        return f"no host found: the outputs are built with {label}; {'; '.join(where)}"
    return f"no host found: the outputs are built with {label}, and homeward finds no host there"


_NAMED_USERS = (("users", "users"), ("home-manager", "users"))
"""Where a computed name is a user's: `users.users.${u}`, `home-manager.users.${u}`."""

_BOOTSTRAP = re.compile(r"^(?:with\s+pkgs\s*;\s*)?\[\s*(?:pkgs\.)?home-manager\s*\]$")
# An empty list, comments and all: nothing to move (a commented-out entry is something: it moves).
_EMPTY = re.compile(r"^(?:with\s+pkgs\s*;\s*)?\[\s*\]$")


def stays_system(d: Definition, system_users: frozenset[str]) -> bool:
    """`users.users.<u>.packages` that is not a user's package list to move: the bootstrap
    idiom `[ pkgs.home-manager ]` (the command that manages the standalone home), packages
    of a system account (`isSystemUser = true`), which home-manager does not manage, or an
    empty list (nothing to move, issue 11)."""
    if len(d.path) < 4 or d.path[:2] != ("users", "users") or d.path[3] != "packages":
        return False
    if d.path[2] in system_users:
        return True
    text = " ".join(d.value_text.split())
    return _BOOTSTRAP.match(text) is not None or _EMPTY.match(text) is not None


NO_FLAKE_HINT = "see `homeward init`"
FRAMEWORK_HINT = (
    "homeward reads `nixosConfigurations` written in flake.nix or in files it imports, "
    "flake-parts modules (`flake.nixosConfigurations`, `imports`, import-tree), "
    "`packages.<system>.nixosConfigurations`, the host directories of ez-configs, snowfall-lib, "
    "blueprint and nixos-unified, and digga's `importHosts`"
)


def _symlink_loop(path: str) -> bool:
    """`path` is a symlink that leads back to itself (not one whose target is missing)."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def find_flake(directory: Path) -> Path:
    """`directory`'s flake.nix, or, as nix does, the nearest one above it in the same git work
    tree (run from `hosts/desk/`, the flake is the repository's)."""
    given = directory
    directory = directory.resolve()
    if not directory.is_dir():
        raise HomewardError(
            f"`{given}` is not a directory", hint="give the directory that holds flake.nix"
        )
    flake = directory / "flake.nix"
    if flake.is_file():
        return flake
    above = _between(directory, _work_tree_top(directory))
    for parent in above:
        if (parent / "flake.nix").is_file():
            return parent / "flake.nix"
    nested = sorted(p.parent.relative_to(directory) for p in directory.glob("*/flake.nix"))
    hint = NO_FLAKE_HINT
    if nested:
        hint = f"found {nested[0]}/flake.nix: run homeward on `{nested[0]}`, or {NO_FLAKE_HINT}"
    raise HomewardError(
        f"no flake.nix in {_shown_dir(directory)}; homeward works on flake-based configurations",
        hint=hint,
    )


def shown_root(given: Path, root: Path) -> Path:
    """The flake's directory as paths under it open from the cwd: as the user named it, or
    relative to the cwd when homeward found the flake above the directory given."""
    if given.resolve() == root.resolve():
        return given
    return Path(os.path.relpath(root))


def _work_tree_top(directory: Path) -> Path | None:
    """The top of the git work tree holding `directory` (where `.git` is), None outside git."""
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def _between(directory: Path, top: Path | None) -> list[Path]:
    """The directories above `directory` up to `top` inclusive; none outside git."""
    if top is None or top == directory:
        return []
    return [p for p in directory.parents if p == top or top in p.parents]


def _shown_dir(directory: Path) -> str:
    try:
        rel = directory.relative_to(Path.cwd())
        return str(rel) if str(rel) != "." else "this directory"
    except ValueError:
        return str(directory)


def load_repo(
    directory: Path, *, on_read: Callable[[Path], None] | None = None, darwin: bool = False
) -> Repo:
    """Read the configuration in `directory`; `on_read` is told of each file read (progress).

    With `darwin` (what `migrate` asks for), nix-darwin hosts are hosts like NixOS ones, under
    their own name, kind "darwin"; otherwise they are `others`, read and frozen."""
    flake_file = find_flake(directory)
    root = flake_file.parent
    # What Nix sees: the whole git work tree (a flake in `nixos/` may import `../modules`);
    # outside git, the flake's directory (docs/architecture.md, rule 12).
    boundary = _work_tree_top(root) or root
    # Why twice, rarely: checking each file for names defined twice as it is read cost 0.5 s
    # of 1.3 s on 7,412 files (tree-sitter's parser and query cursor, interleaved with the
    # rest, are slower than the same work in one batch). The files are checked in one batch
    # after the load; when one defines a name twice (nix rejects it: the hosts that import it
    # are skipped), the configuration is read again, checking each file as it is read.
    # Why the young generation is collected rarely while the model is read: reading allocates
    # millions of objects and frees few (trees, definitions, refs); at Python's default
    # threshold (700) it was collected 331 times while 200 hosts loaded, 0.27 s of `graph`'s
    # 2 s, for 400 objects found. Within a command (`cli.main` froze what was alive before
    # it), the model is frozen too once read: it lives until the command ends, and the
    # collections that follow (while a plan is made) scanned all of it again (0.3 s of
    # `migrate --dry-run`'s 2.8 s). Called on its own (the tests), nothing is frozen.
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], LOAD_GC_THRESHOLD), *thresholds[1:])
    try:
        try:
            return _read(flake_file, boundary, on_read, darwin, defer=True)
        except _DefinedTwiceError as exc:
            told = exc.read

        def tell_new(path: Path) -> None:
            if on_read is not None and path not in told:
                on_read(path)

        return _read(flake_file, boundary, tell_new if on_read else None, darwin, defer=False)
    finally:
        gc.set_threshold(*thresholds)
        if gc.get_freeze_count():  # inside `cli.main`, which unfreezes for in-process callers
            gc.freeze()


LOAD_GC_THRESHOLD = 200_000
"""Allocations between two collections of the young generation while a model is read."""


class _DefinedTwiceError(Exception):
    """A file read with the check deferred defines a name twice: read again (`load_repo`)."""

    def __init__(self, read: set[Path]) -> None:
        super().__init__()
        self.read = read  # the files `on_read` was told of


def _read(
    flake_file: Path,
    boundary: Path,
    on_read: Callable[[Path], None] | None,
    darwin: bool,
    *,
    defer: bool,
) -> Repo:
    root = flake_file.parent
    ev = Evaluator(root, boundary=boundary)
    ev.on_read = on_read
    if defer:
        ev.unchecked = []
    try:
        flake = ev.source(flake_file)
        loader = _Loader(ev, root, flake)
        loader.darwin = darwin
        repo = loader.load()
    except Exception:
        if defer and ev.duplicates_found():
            # Read as it would have been: checking each file.
            raise _DefinedTwiceError(set(ev.sources)) from None
        raise
    if defer and ev.duplicates_found():
        raise _DefinedTwiceError(set(ev.sources))
    return repo


def load_planned(
    repo: Repo, files: Mapping[str, bytes | None], parsed: Mapping[str, Source] | None = None
) -> Repo:
    """`repo` as it would be read once `files` (repo-relative path -> new content, None: gone)
    are written: nothing is written; files the plan does not touch are not parsed again, nor
    new texts given `parsed` (by the same path) already."""
    root = repo.root
    ev = Evaluator(root, files, repo.ev.boundary)
    ev.share_sources(repo.ev)
    ev.take_parsed(parsed or {})
    flake_file = root / "flake.nix"
    flake = ev.source(flake_file)
    loader = _Loader(ev, root, flake)
    # Read as `repo` was: nix-darwin hosts are hosts when they were (`load_repo(darwin=True)`).
    loader.darwin = any(h.kind == "darwin" for h in repo.hosts.values())
    loader.reuse = repo.read
    return loader.load()


class _Loader:
    def __init__(self, ev: Evaluator, root: Path, flake: Source) -> None:
        self.ev = ev
        self.root = root
        self.flake = flake
        self.problems: list[Problem] = []
        self.modules: dict[str, ModuleInfo] = {}
        self.edges: list[tuple[str, str]] = []
        self.inline_values: dict[tuple[str, str], Attrs] = {}  # (config, module key) -> value
        # (config, module key) -> the scope an inline module was written in, for that config
        # (a helper's arguments: `home-manager.users.${user}` in `mkSystem = name: { user }: …`)
        self.inline_envs: dict[tuple[str, str], Env] = {}
        self._edge_set: set[tuple[str, str]] = set()  # Why: membership in the list was quadratic
        self._prefix = os.path.join(ev.boundary, "")  # what may be read: the work tree
        self._found: dict[str, tuple[str, int]] = {}  # repo-relative file -> (real path, mode)
        self._dirs: dict[Source, str] = {}  # the directory of each file that imports others
        # The import graph walk (`_visit`): modules whose imports have all been followed, and
        # the modules each of them reaches; whether any import cycle was seen.
        self._done: set[str] = set()
        self._reach: dict[str, list[ModuleInfo]] = {}
        self._cycle = False
        self._unreadable: dict[str, Problem] = {}  # module key -> why it cannot be read
        # Module files whose bytes are not text (git-crypt): opaque modules, not skipped hosts.
        self._not_text: dict[str, str] = {}  # module key -> why (the opaque module's label)
        self._skip: dict[str, Problem] = {}  # configuration -> the first unreadable file it reaches
        self._frozen_by: dict[str, str] = {}  # consumer name -> why it is not rewired
        self._per_host: set[str] = set()  # modules whose imports differ per host (computed)
        self._all_configs: dict[str, SystemConfig] = {}  # every configuration, by name
        self.darwin = False  # nix-darwin hosts are hosts (migrate), not frozen `others`
        # Outputs (or parts of them) homeward cannot compute: who, why, and the value, whose
        # files stay byte-identical (rule 10, `model/reach.py`).
        self._unknown: list[tuple[str, str, Value | Thunk]] = []
        # Opaque modules of known configurations: who reads each, and its value where a
        # module list gave one (by id of its ref); what it might import is frozen for them.
        self._opaque: list[tuple[str, ModuleRef]] = []
        self._opaque_values: dict[int, Value] = {}
        self._self: tuple[Thunk, ...] = ()
        # Module files read, by id(source); from an earlier load of the same files (reuse).
        self.read: dict[int, tuple[Source, Module, list[ImportRef]]] = {}
        self.reuse: Mapping[int, tuple[Source, Module, list[ImportRef]]] = {}

    def problem(
        self,
        kind: ProblemKind,
        message: str,
        at: Location | None,
        hint: str = "",
        *,
        first: bool = False,
    ) -> None:
        item = Problem(kind, message, at, hint, first)
        if item not in self.problems:
            self.problems.append(item)

    def load(self) -> Repo:
        top_expr = self.flake.root.child_by_field_name("expression")
        top = self.ev.eval(top_expr, self.ev.globals, self.flake) if top_expr is not None else None
        if not isinstance(top, Attrs):
            raise HomewardError(
                "flake.nix is not an attribute set with `inputs` and `outputs`",
                at=self.flake.location(top_expr.start_byte if top_expr is not None else 0),
            )
        inputs = self._inputs(top)
        outputs = self._outputs(top, inputs)
        hosts = self._configs(outputs, "nixosConfigurations", Context.NIXOS)
        homes = self._configs(outputs, "homeConfigurations", Context.HOME)
        others: dict[str, SystemConfig] = {}
        for attr, kind in OTHER_KINDS.items():
            for name, config in self._configs(outputs, attr, Context.NIXOS, kind).items():
                if self.darwin and name not in hosts:
                    hosts[name] = config  # a NixOS host of the same name keeps it frozen
                    continue
                config.name = f"{attr}.{name}"
                others[config.name] = config
                self._frozen_by[config.name] = (
                    f"`{config.name}` has the name of a NixOS host, which homeward cannot tell "
                    "apart from it"
                    if self.darwin
                    else f"`{config.name}` is a {kind} host, which homeward does not migrate yet"
                )
        self._assembled(inputs, hosts, homes, others)
        self._per_system(outputs, hosts, homes, others)
        for host in hosts.values():
            self._follow_config(host)
        for home in homes.values():
            self._follow_config(home)
        for other in others.values():
            self._follow_config(other)
        self._follow_exports(outputs)
        self._follow_home_manager_users(hosts)
        self._resolve_user_names()
        reaches = self._unknown_reaches(outputs, (hosts, homes))
        skipped = self._skipped(hosts, homes)
        self._freeze()
        self._freeze_unknown(reaches)
        self._opaque_not_text()
        self._freeze_opaque()
        return Repo(
            self.root,
            self.flake,
            inputs,
            outputs,
            hosts,
            homes,
            self.modules,
            self.edges,
            self.problems,
            self.ev,
            others,
            skipped,
            self.read,
        )

    def _assembled(
        self,
        inputs: dict[str, FlakeInput],
        hosts: dict[str, SystemConfig],
        homes: dict[str, SystemConfig],
        others: dict[str, SystemConfig],
    ) -> None:
        """Hosts and homes a framework builds from a directory (model/frameworks.py), each
        read from the module file the framework starts it from."""
        names = used({name: i.url for name, i in inputs.items()})
        for found in assembled_hosts(self.ev, self.root, names):
            kind = {"darwinConfigurations": "darwin", "homeConfigurations": "home"}.get(
                found.output, "nixos"
            )
            context = Context.HOME if kind == "home" else Context.NIXOS
            target = {"nixosConfigurations": hosts, "homeConfigurations": homes}.get(found.output)
            if kind == "darwin" and self.darwin and found.name not in hosts:
                target = hosts  # nix-darwin hosts are hosts for migrate (see `load_repo`)
            key = found.name if target is not None else f"{found.output}.{found.name}"
            if key in (target if target is not None else others):
                continue  # the code builds it too: read as written
            try:
                source = self.ev.source(found.entry)
            except HomewardError:
                source = None
            node = source.root if source is not None else None
            entry = Thunk.of(PathValue(found.entry, node, source))
            items = [entry]
            if found.adds:
                items.append(Thunk.of(Unknown(found.adds, node, source)))
            modules = Thunk.of(ListValue(items, node, source))
            call = found.call or SystemCall(
                kind, found.framework, Attrs({"modules": modules}), node, source
            )
            config = self._config(found.name, context, call)
            config.kind = kind
            config.framework = found.framework
            if target is not None:
                target[key] = config
            else:
                config.name = key
                others[key] = config
                self._frozen_by[key] = (
                    f"`{key}` is a {kind} host, which homeward does not migrate yet"
                )

    def _skipped(
        self, hosts: dict[str, SystemConfig], homes: dict[str, SystemConfig]
    ) -> dict[str, Problem]:
        """Configurations that reach a file that cannot be read are skipped
        (docs/architecture.md, rule 9): out of `hosts`/`homes`, their files frozen."""
        skipped: dict[str, Problem] = {}
        for configs in (hosts, homes):
            for name in sorted(configs):
                problem = self._skip.get(name)
                if problem is None:
                    continue
                del configs[name]
                skipped[name] = problem
                self._frozen_by[name] = f"`{name}` is skipped: {problem.message}"
        return skipped

    def _freeze(self) -> None:
        """Move consumers that homeward does not rewire out of `hosts` into `frozen`."""
        if not self._frozen_by:
            return
        for info in self.modules.values():
            for name in info.hosts & self._frozen_by.keys():
                info.hosts.discard(name)
                info.frozen[name] = self._frozen_by[name]

    def _unknown_reaches(
        self, outputs: Value, configs: tuple[dict[str, SystemConfig], ...]
    ) -> list[tuple[str, str, Reach]]:
        """What each unknown part of the outputs might read (rule 10, `model/reach.py`). A
        host whose module list is written where an unknown part reads it too (a `mkHost`
        helper both use) is skipped: wiring home-manager there would change that output."""
        from homeward.model.reach import reach_of

        if isinstance(outputs, Attrs) and outputs.more is not None:
            self._unknown.append(
                ("the flake's outputs", f"more of the outputs: {outputs.more.reason}", outputs.more)
            )
        found: list[tuple[str, str, Reach]] = []
        for consumer, why, value in self._unknown:
            reach = reach_of(self.ev, value, self._self)
            at = value.at if isinstance(value, Unknown) else None
            where = f" ({at})" if at is not None else ""
            found.append((consumer, f"{why}{where}", reach))
            for group in configs:
                for name, config in group.items():
                    node, source = config.modules_value.node, config.modules_value.source
                    if node is None or source is None or name in self._skip or config.framework:
                        continue  # a framework's host is not rewired (plan/assembled.py)
                    if reach.has_inline(os.fspath(source.path), node.start_byte):
                        self._skip[name] = Problem(
                            ProblemKind.UNRESOLVED,
                            f"the module list of `{name}` is also read by {consumer}, which homeward "
                            f"cannot read: {why}{where}; wiring home-manager into it would "
                            "change that output too",
                            source.location(node.start_byte),
                        )
        return found

    def _freeze_unknown(self, reaches: list[tuple[str, str, Reach]]) -> None:
        """Freeze every module an unknown part of the outputs might read (rule 10)."""
        for consumer, why, reach in reaches:
            reason = f"{consumer}, which homeward cannot read, may import it: {why}"
            for info in self.modules.values():
                reached = (
                    reach.has_file(str(info.path))
                    if info.path is not None
                    else reach.has_inline(*_inline_place(info.key))
                )
                if reached:
                    info.frozen.setdefault(consumer, reason)

    def _freeze_opaque(self) -> None:
        """Freeze, for the configuration that reads it, every module an opaque module of its
        own list or imports might import (rule 10, `model/reach.py`): it may import it under a
        condition, in another context, or on this host only, so that moving what the file
        defines would change this host's meaning. Its neighbours, which the opaque module
        cannot name, are read by known consumers only and still migrate."""
        from homeward.model.reach import reach_of

        reaches: dict[object, Reach] = {}
        for consumer, ref in self._opaque:
            # A missing file names nothing more (its own path); nor does a directory without
            # default.nix, which Nix cannot import: walking the directory cost seconds.
            if ref.node is None or ref.source is None or ref.label in _NAMES_NOTHING:
                continue
            if all(consumer in m.frozen for m in self.modules.values()):
                continue  # nothing left to freeze for it (an export reads all it reaches)
            value = self._opaque_values.get(id(ref))
            # Walked without a scope, the same import reads the same files for every host.
            key: object = (
                id(value)
                if value is not None
                else (str(ref.source.path), ref.node.start_byte, ref.node.end_byte)
            )
            reach = reaches.get(key)
            if reach is None:
                try:
                    reach = reach_of(
                        self.ev, value or Unknown(ref.label, ref.node, ref.source), self._self
                    )
                except RecursionError:
                    reach = Reach(everything=True)  # past what can be followed: the safe side
                reaches[key] = reach
            if not (reach.paths or reach.spans or reach.everything):
                continue
            reason = (
                f"an opaque module `{consumer}` reads may import it: {ref.label} ({ref.location})"
            )
            for info in self.modules.values():
                if info.key == ref.source.path.as_posix() or consumer in info.frozen:
                    continue  # the file the import is written in: only that element is opaque
                reached = (
                    reach.has_file(str(info.path))
                    if info.path is not None
                    else reach.has_inline(*_inline_place(info.key))
                )
                if reached:
                    info.frozen[consumer] = reason

    def _follow_exports(self, outputs: Value) -> None:
        """`nixosModules.<name> = ./x.nix`: whoever imports it is not known, so what it reaches
        is frozen."""
        if not isinstance(outputs, Attrs):
            return
        for attr in EXPORTS:
            if attr not in outputs.attrs:
                continue
            exported = self.ev.force(outputs.attrs[attr])
            if not isinstance(exported, Attrs):
                continue
            context = Context.HOME if attr.startswith("home") else Context.NIXOS
            for name, exported_thunk in exported.attrs.items():
                consumer = f"{attr}.{name}"
                self._frozen_by[consumer] = f"`{consumer}` is exported: other flakes may import it"
                for thunk, value in self._definitions([exported_thunk]):
                    ref = self._module_ref(value, thunk, quiet=True)
                    self._visit(ref, consumer, context, consumer, (), users=())

    # -- inputs and outputs --------------------------------------------------------------------
    def _inputs(self, top: Attrs) -> dict[str, FlakeInput]:
        found: dict[str, FlakeInput] = {}
        raw = self.ev.force(top.attrs["inputs"]) if "inputs" in top.attrs else None
        if not isinstance(raw, Attrs):
            return found
        for name, thunk in raw.attrs.items():
            value = self.ev.force(thunk)
            url: str | None = None
            follows: list[tuple[str, str]] = []
            if isinstance(value, Str):
                url = value.value
            elif isinstance(value, Attrs):
                url_value = self.ev.force(value.attrs["url"]) if "url" in value.attrs else None
                url = url_value.value if isinstance(url_value, Str) else None
                nested = self.ev.force(value.attrs["inputs"]) if "inputs" in value.attrs else None
                if isinstance(nested, Attrs):
                    for sub, sub_thunk in nested.attrs.items():
                        sub_value = self.ev.force(sub_thunk)
                        target = (
                            self.ev.force(sub_value.attrs["follows"])
                            if isinstance(sub_value, Attrs) and "follows" in sub_value.attrs
                            else None
                        )
                        if isinstance(target, Str):
                            follows.append((sub, target.value))
            found[name] = FlakeInput(name, url, tuple(follows))
        return found

    def _outputs(self, top: Attrs, inputs: dict[str, FlakeInput]) -> Value:
        if "outputs" not in top.attrs:
            raise HomewardError("flake.nix has no `outputs`", at=self.flake.location(0))
        fn = self.ev.force(top.attrs["outputs"])
        if not isinstance(fn, Lambda):
            return Unknown("`outputs` is not a function homeward can read", fn.node, fn.source)
        arg = Attrs({})
        names = set(inputs) | set(_formal_names(fn, self.flake))
        names.discard("self")
        for name in sorted(names):
            arg.attrs[name] = Thunk.of(External(name))
        outputs_thunk = Thunk(compute=lambda ev: ev.apply(fn, Thunk.of(arg), None, None))

        def self_value(ev: Evaluator) -> Value:
            # `self`: the outputs, plus what nix adds (`self.outputs`, `self.inputs`).
            outputs = ev.force(outputs_thunk)
            if not isinstance(outputs, Attrs):
                return outputs
            # `outPath`: the flake's directory, as `"${self}/hosts/x.nix"` names a file in it.
            extra = {
                "outputs": outputs_thunk,
                "inputs": Thunk.of(arg),
                "outPath": Thunk.of(PathValue(self.ev.root)),
            }
            return Attrs(
                {**extra, **outputs.attrs}, outputs.node, outputs.source, more=outputs.more
            )

        arg.attrs["self"] = Thunk(compute=self_value)
        self._self = (arg.attrs["self"], outputs_thunk)
        self.ev.flake_inputs = arg
        return self.ev.force(outputs_thunk)

    def _per_system(
        self,
        outputs: Value,
        hosts: dict[str, SystemConfig],
        homes: dict[str, SystemConfig],
        others: dict[str, SystemConfig],
    ) -> None:
        """Configurations under `packages.<system>` (built in flake-utils' `eachDefaultSystem`,
        used with `nix build .#packages.<system>.nixosConfigurations.<h>...`): read as hosts
        of a kind homeward does not rewire (`framework` PER_SYSTEM, `plan/assembled.py`).
        nixos-rebuild does not read them there. One system is read for each kind (the same
        code gives every system's copy); a name the top level also has is the top level's."""
        packages = (
            self.ev.force(outputs.attrs["packages"])
            if isinstance(outputs, Attrs) and "packages" in outputs.attrs
            else None
        )
        if not isinstance(packages, Attrs):
            return
        for attr, context, kind in (
            ("nixosConfigurations", Context.NIXOS, "nixos"),
            ("darwinConfigurations", Context.NIXOS, "darwin"),
            ("homeConfigurations", Context.HOME, "home"),
        ):
            for system in per_system_order(list(packages.attrs), kind):
                per_system = self.ev.force(packages.attrs[system])
                if not isinstance(per_system, Attrs) or attr not in per_system.attrs:
                    continue
                for name, config in self._configs(per_system, attr, context, kind).items():
                    config.framework = PER_SYSTEM
                    target = homes if kind == "home" else hosts
                    if (kind != "darwin" or self.darwin) and name not in target:
                        target[name] = config
                        continue
                    # A Mac while checking, or a name the top level has too: read, frozen.
                    key = f"{attr}.{name}"
                    if name in target or key in others:
                        key = f"packages.{system}.{attr}.{name}"
                    config.name = key
                    others[key] = config
                    self._frozen_by[key] = (
                        f"`{key}` is under `packages.{system}`, which homeward does not migrate"
                    )
                break

    def _configs(
        self, outputs: Value, attr: str, context: Context, kind: str = ""
    ) -> dict[str, SystemConfig]:
        found: dict[str, SystemConfig] = {}
        if isinstance(outputs, Unknown):
            if context is Context.NIXOS and not kind:
                self._unresolved(outputs, "the flake's outputs")
            return found
        if not isinstance(outputs, Attrs) or attr not in outputs.attrs:
            return found
        configs = self.ev.force(outputs.attrs[attr])
        if not isinstance(configs, Attrs):
            self._unresolved(configs, f"`{attr}`")
            self._unknown.append((f"`{attr}`", _why(configs), configs))
            return found
        if configs.more is not None:
            self._unresolved(configs.more, f"every entry of `{attr}`")
            self._unknown.append((f"an entry of `{attr}`", configs.more.reason, configs.more))
        for key in configs.dynamic_keys:
            self.problem(
                ProblemKind.UNRESOLVED,
                f"cannot tell the name of an entry of `{attr}`: it is computed",
                self.flake.location(key.start_byte),
                "write the names out, or build them with `lib.genAttrs` over a literal list",
            )
        kind = kind or ("nixos" if context is Context.NIXOS else "home")
        for name, thunk in configs.attrs.items():
            value = self.ev.force(thunk)
            if isinstance(value, Unknown) and value.call is not None:
                # `inputs.x.lib.mkSystem { modules = [ ... ]; }`: a host built by a function
                # homeward does not know. What it lists is read, and frozen.
                args = self.ev.force(value.call)
                if isinstance(args, Attrs) and "modules" in args.attrs:
                    self._unresolved(value, f"`{attr}.{name}`")
                    call = SystemCall(kind, "", args, value.node, value.source)
                    other = self._config(name, context, call)
                    consumer = f"{attr}.{name}"
                    self._frozen_by[consumer] = (
                        f"`{consumer}` is built by a function homeward does not know"
                    )
                    for ref in other.modules:
                        self._visit(ref, consumer, context, consumer, (), users=())
                    continue
            if isinstance(value, SystemCall) and value.kind == kind:
                found[name] = self._config(name, context, value)
                found[name].kind = kind
                self._framework_opaque(found[name])
            elif isinstance(value, SystemCall | Unknown):
                self._unresolved(value, f"`{attr}.{name}`")
                self._unknown.append((f"`{attr}.{name}`", _why(value), thunk))
            else:
                at = (
                    value.source.location(value.node.start_byte)
                    if value.node and value.source
                    else None
                )
                self.problem(
                    ProblemKind.IGNORED,
                    f"`{attr}.{name}` is not a system configuration: ignored",
                    at,
                )
        return found

    def _framework_opaque(self, config: SystemConfig) -> None:
        """What a framework adds to its hosts that homeward cannot see (clan-core's inventory
        services) may read files of the repository: they are frozen, as what an unknown output
        might read is (rule 10, `model/reach.py`)."""
        if not config.framework or not isinstance(config.modules_value, ListValue):
            return
        for item in config.modules_value.items:
            value = self.ev.force(item)
            if not isinstance(value, Unknown) or not value.parts:
                continue
            if any(value is known for _who, _why, known in self._unknown):
                continue
            self._unknown.append(
                (f"what {config.framework} adds to its machines", value.reason, value)
            )

    def _config(self, name: str, context: Context, call: SystemCall) -> SystemConfig:
        args = call.args
        modules_value: Value = Unknown("no `modules`", call.node, call.source)
        system: str | None = None
        special: Value | None = None
        if isinstance(args, Attrs):
            if "modules" in args.attrs:
                modules_value = self.ev.force(args.attrs["modules"])
            system_value = self.ev.force(args.attrs["system"]) if "system" in args.attrs else None
            if isinstance(system_value, Str):
                system = system_value.value
            key = "specialArgs" if context is Context.NIXOS else "extraSpecialArgs"
            special = self.ev.force(args.attrs[key]) if key in args.attrs else None
            if context is Context.HOME and "pkgs" in args.attrs:
                pkgs = self.ev.force(args.attrs["pkgs"])
                if isinstance(pkgs, External) and ".legacyPackages." in pkgs.name:
                    system = pkgs.name.split(".legacyPackages.", 1)[1].split(".")[0]
        else:
            self._unresolved(args, f"the arguments of `{name}`")
        modules = self._module_list(modules_value, f"the modules of `{name}`")
        if isinstance(modules_value, ListValue):
            for item, value in self._definitions(modules_value.items):
                if isinstance(value, Attrs) and value.node is not None and value.source is not None:
                    key = f"{value.source.path}@{value.node.start_byte}"
                    self.inline_values[(name, key)] = value
                    if item.env is not None and item.expr is value.node:
                        self.inline_envs[(name, key)] = item.env
        return SystemConfig(
            name, context, call, modules, modules_value, system, special, framework=call.framework
        )

    def _module_list(self, value: Value, what: str) -> list[ModuleRef]:
        if not isinstance(value, ListValue):
            self._unresolved(value, what)
            # One opaque module: the host is still a host (docs/architecture.md, rule 9).
            label = value.reason if isinstance(value, Unknown) else "the module list is not a list"
            ref = ModuleRef(ModuleKind.UNKNOWN, node=value.node, source=value.source, label=label)
            self._opaque_values[id(ref)] = value
            return [ref]
        found: list[ModuleRef] = []
        for item, forced in self._definitions(value.items):
            if isinstance(forced, Choice):  # one of several modules: each, maybe
                for option in forced.options:
                    found.append(self._module_ref(Maybe(option, forced.reason), option))
            else:
                found.append(self._module_ref(forced, item))
                if found[-1].kind is ModuleKind.UNKNOWN:
                    self._opaque_values[id(found[-1])] = forced
        return found

    def _definitions(self, items: list[Thunk]) -> list[tuple[Thunk, Value]]:
        """Each module of a module list, forced: a value the module system merged from several
        definitions (`flake.modules.<class>.<name>` in several files) is each of them."""
        found: list[tuple[Thunk, Value]] = []
        todo = list(reversed(items))
        while todo:
            item = todo.pop()
            forced = self.ev.force(item)
            if isinstance(forced, Attrs) and len(forced.parts) > 1:
                todo.extend(reversed(forced.parts))
                continue
            found.append((item, forced))
        return found

    def _module_ref(self, value: Value, thunk: Thunk, *, quiet: bool = False) -> ModuleRef:
        if isinstance(value, Maybe):
            inner = self._module_ref(self.ev.force(value.item), value.item, quiet=quiet)
            return ModuleRef(
                inner.kind, inner.path, inner.node, inner.source, inner.label, value.reason
            )
        node = value.node if value.node is not None else thunk.expr
        source = value.source if value.source is not None else thunk.source
        if isinstance(value, PathValue):
            return self._file_ref(value.path, node, source)
        if (
            isinstance(value, Lambda | Attrs)
            and value.node is not None
            and value.source is not None
        ):
            if _is_file_module(value.node, value.source) and value.source is not self.flake:
                # `import ./x.nix` evaluated: the module is the file itself; also
                # `import ./x.nix { isWSL = true; }` of a file `{ isWSL }: { pkgs, ... }: { … }`
                # (a module made by a function of the file: its definitions are the file's).
                return self._file_ref(self.root / value.source.path, node, source)
            return ModuleRef(ModuleKind.INLINE, node=value.node, source=value.source)
        if isinstance(value, External):
            return ModuleRef(ModuleKind.EXTERNAL, node=node, source=source, label=value.name)
        reason = value.reason if isinstance(value, Unknown) else f"a {type(value).__name__.lower()}"
        ref = ModuleRef(ModuleKind.UNKNOWN, node=node, source=source, label=reason)
        if quiet:
            return ref
        made_by = value.function if isinstance(value, Unknown) else ""
        self.problem(
            ProblemKind.UNRESOLVED,
            f"cannot tell which module this is: {reason}",
            ref.location,
            f"`{made_by}` makes it, and homeward does not read what an input's function makes"
            if made_by
            else "homeward reads module lists statically; write the path out",
        )
        return ref

    def _file_ref(
        self, path: Path | str, node: Node | None, source: Source | None, *, normal: bool = False
    ) -> ModuleRef:
        # Why strings and one stat: this runs for every import of trees of thousands of files.
        # `normal`: `path` is absolute and normalized already.
        def at() -> Location | None:
            return source.location(node.start_byte) if source and node is not None else None

        resolved, mode = self.ev.real(os.fspath(path), normal=normal)
        prefix = self._prefix
        if not resolved.startswith(prefix) and not os.path.join(resolved, "").startswith(prefix):
            self.problem(
                ProblemKind.OUTSIDE,
                f"the import `{Path(path)}` leads outside the repository",
                at(),
                "homeward reads and edits only files inside the git work tree (outside git, "
                "the flake's directory)",
            )
            return ModuleRef(ModuleKind.EXTERNAL, node=node, source=source, label=str(Path(path)))
        if mode is None:
            try:
                mode = os.stat(resolved).st_mode
            except OSError:
                mode = 0
        if stat.S_ISDIR(mode):
            if not self.ev.is_file(os.path.join(resolved, "default.nix")):
                self.problem(
                    ProblemKind.NO_DEFAULT,
                    f"the import `{self.ev.shown_real(resolved)}/` is a directory without "
                    "default.nix",
                    at(),
                    "add default.nix to that directory or import a file in it",
                )
                return ModuleRef(
                    ModuleKind.UNKNOWN, node=node, source=source, label="no default.nix"
                )
            resolved = os.path.join(resolved, "default.nix")
        elif not mode:
            loop = _symlink_loop(os.fspath(path))
            name = self.ev.shown_real(resolved)
            self.problem(
                ProblemKind.LOOP if loop else ProblemKind.MISSING,
                f"the import `{name}` is a symlink loop"
                if loop
                else f"the import `{name}` does not exist",
                at(),
                "point the symlink at a file, or remove the import"
                if loop
                else "create the file or remove the import",
            )
            return ModuleRef(
                ModuleKind.UNKNOWN,
                path=name,
                node=node,
                source=source,
                label="missing",
            )
        else:
            self._found[str(self.ev.shown_real(resolved))] = (resolved, mode)
        # The path as the source's (`shown_real`), the same object: made once.
        ref = _new(ModuleRef)
        set_kind, set_path, set_node, set_source = _REF_SET
        set_kind(ref, ModuleKind.FILE)
        set_path(ref, self.ev.shown_real(resolved))
        set_node(ref, node)
        set_source(ref, source)
        for setter, default in _REF_REST:
            setter(ref, default)
        return ref  # ModuleRef(FILE, path=..., node=node, source=source), built through its slots

    def _rel(self, path: Path) -> Path:
        return path.relative_to(self.root)

    def _unresolved(self, value: Value, what: str) -> None:
        if isinstance(value, Unknown):
            at = (
                value.source.location(value.node.start_byte)
                if value.node is not None and value.source is not None
                else None
            )
            if value.function and "." in value.function:
                # `clan-core.lib.clan { ... }`: an input's function whose result is the outputs.
                owner = value.function.split(".", 1)[0]
                self.problem(
                    ProblemKind.UNRESOLVED,
                    f"{what} is built by `{value.function}`, a function of the input `{owner}`: "
                    "homeward does not read the hosts it makes",
                    at,
                    "homeward reads hosts built with `nixosSystem` in the repository; hosts "
                    f"that `{owner}` builds stay as they are",
                    first=True,
                )
                return
            self.problem(
                ProblemKind.UNRESOLVED,
                f"cannot resolve {what} statically: {value.reason}",
                at,
                "homeward follows literal attribute sets, let-bound helpers, genAttrs/listToAttrs/mapAttrs over literal lists and flake-parts",
            )
        else:
            at = (
                value.source.location(value.node.start_byte)
                if value.node is not None and value.source is not None
                else None
            )
            self.problem(
                ProblemKind.UNRESOLVED,
                f"cannot resolve {what} statically: it is a {type(value).__name__.lower()}",
                at,
            )

    # -- the import graph ---------------------------------------------------------------------
    def _follow_config(self, config: SystemConfig) -> None:
        self._all_configs[config.name] = config
        for ref in config.modules:
            self._visit(ref, config.name, config.context, config.name, (), users=())

    def _visit(
        self,
        ref: ModuleRef,
        host: str,
        context: Context,
        parent: str,
        chain: tuple[str, ...],
        users: tuple[str, ...],
        maybe: str = "",
    ) -> None:
        info = self._info(ref, context)
        if info is None:
            if ref.kind is ModuleKind.UNKNOWN:
                self._opaque.append((host, ref))
            if ref.kind is ModuleKind.FILE and str(ref.path) in self._unreadable:
                self._skip.setdefault(host, self._unreadable[str(ref.path)])
            return
        key = info.key
        maybe = maybe or ref.maybe
        if maybe:
            # Imported only under a condition homeward cannot decide: moving its definitions
            # would make them unconditional. The host reaches it; nothing in it moves.
            info.frozen[host] = f"imported under a condition homeward cannot decide: {maybe}"
        if key in chain:
            loop = " → ".join([*chain[chain.index(key) :], key])
            self.problem(
                ProblemKind.CYCLE,
                f"import cycle: {loop}",
                ref.location,
                "remove one of the imports so that the files form a tree",
            )
            self._cycle = True
            return
        edge = (parent, key)
        if edge not in self._edge_set:
            self._edge_set.add(edge)
            self.edges.append(edge)
        new_host = host not in info.hosts
        info.hosts.add(host)
        new_users = not set(users) <= info.users
        info.users.update(users)
        pairs = {(host, user) for user in users}
        new_pairs = not pairs <= info.pairs
        info.pairs.update(pairs)
        if not (new_host or new_users or new_pairs) and chain:
            return
        if key in self._done and not self._cycle:
            # Why: each host and user reaches the same shared modules; walking them again per
            # host was most of `check`'s graph time. When this module's imports have all been
            # followed and no cycle was ever seen, walking it again would only add `host` and
            # `users` to every module it reaches: every edge and problem below it is known (a
            # cycle there would have been seen on the first walk through it).
            for other in self._reached(info, context):
                other.hosts.add(host)
                other.users.update(users)
                other.pairs.update(pairs)
                if maybe:
                    other.frozen[host] = info.frozen[host]
            return
        inner = (*chain, key)
        per_host = False
        for child in info.imports:
            if child.kind is ModuleKind.UNKNOWN and child.dynamic:
                per_host = True
                expanded = self._expand(child, info, host)
                if expanded is None:
                    self._dynamic_problem(child)
                    self._opaque.append((host, child))
                    continue
                for sub in expanded:
                    self._visit(sub, host, context, key, inner, users, maybe)
                continue
            self._visit(child, host, context, key, inner, users, maybe)
            child_key = str(child.path) if child.kind is ModuleKind.FILE else None
            if child_key is not None and child_key in self._per_host:
                per_host = True
        if per_host:
            # Why: what it imports depends on the host: never reuse one host's walk for another.
            self._per_host.add(key)
            return
        self._done.add(key)

    def _reached(self, info: ModuleInfo, context: Context) -> list[ModuleInfo]:
        """The modules a fully followed module imports, directly or not (once each)."""
        found = self._reach.get(info.key)
        if found is None:
            found = []
            seen = {info.key}
            todo = [info]
            while todo:
                for child in todo.pop().imports:
                    other = self._info(child, context)
                    if other is not None and other.key not in seen:
                        seen.add(other.key)
                        found.append(other)
                        todo.append(other)
            self._reach[info.key] = found
        return found

    def _info(self, ref: ModuleRef, context: Context) -> ModuleInfo | None:
        if ref.kind is ModuleKind.FILE and ref.path is not None:
            key = str(ref.path)
            info = self.modules.get(key)
            if info is None:
                if key in self._unreadable or key in self._not_text:
                    return None
                # Where `_file_ref` found the file: resolving `root / path` again would stat it.
                real, mode = self._found.get(key) or self.ev.real(os.path.join(self.root, key))
                try:
                    source = self.ev.source_at(real, mode)
                except NotTextError as exc:
                    # An opaque module (issue 11: "bytes that are not text: opaque"): read on
                    # the machine that can decrypt it; never edited, as it is never read.
                    self._not_text[key] = exc.reason
                    self.problem(
                        ProblemKind.NOT_TEXT,
                        f"`{key}` cannot be read: {exc.message}",
                        exc.at,
                        exc.hint or "",
                    )
                    return None
                except HomewardError as exc:
                    self._unreadable[key] = self._unreadable_problem(key, exc.message, exc.at)
                    return None
                if source.root.child_by_field_name("expression") is None:
                    self._unreadable[key] = self._unreadable_problem(
                        key, "the file is empty", source.location(0)
                    )
                    return None
                found = self.reuse.get(id(source))
                if found is None or found[0] is not source:
                    module = read_module(source)
                    found = (source, module, module.imports())
                self.read[id(source)] = found
                info = self.modules[key] = self._make_info(
                    key, found[1], ref.path, context, found[2]
                )
            return info
        if ref.kind is ModuleKind.INLINE and ref.node is not None and ref.source is not None:
            key = f"{ref.source.path}@{ref.node.start_byte}"
            if key not in self.modules:
                module = read_module(ref.source, ref.node)
                self.modules[key] = self._make_info(key, module, None, context)
            return self.modules[key]
        return None

    def _opaque_not_text(self) -> None:
        """Each import of a file whose bytes are not text becomes an opaque module: what
        `check`, `graph` and `migrate` know of a module they cannot see."""
        if not self._not_text:
            return

        def opaque(ref: ModuleRef) -> ModuleRef:
            if ref.kind is not ModuleKind.FILE or str(ref.path) not in self._not_text:
                return ref
            label = self._not_text[str(ref.path)]
            return replace(ref, kind=ModuleKind.UNKNOWN, label=label)

        for config in self._all_configs.values():
            config.modules[:] = [opaque(r) for r in config.modules]
        for info in self.modules.values():
            info.imports[:] = [opaque(r) for r in info.imports]

    def _unreadable_problem(self, key: str, why: str, at: Location | None) -> Problem:
        problem = Problem(
            ProblemKind.UNREADABLE,
            f"`{key}` cannot be read: {why}",
            at,
            "fix the file so that `nix-instantiate --parse` accepts it, then run again (until "
            "then, the hosts that import it are skipped)",
        )
        self.problem(problem.kind, problem.message, problem.at, problem.hint)
        return problem

    def _make_info(
        self,
        key: str,
        module: Module,
        path: Path | None,
        context: Context,
        imports: list[ImportRef] | None = None,
    ) -> ModuleInfo:
        info = ModuleInfo(key, module, path, context)
        refs = module.imports() if imports is None else imports
        info.imports = [self._import_ref(r) for r in refs]
        return info

    def _import_ref(self, ref: ImportRef) -> ModuleRef:
        target = import_target(ref) if ref.kind is ImportKind.FILE else None
        if target is not None:
            base = self._dirs.get(ref.source)
            if base is None:
                base = self._dirs[ref.source] = os.path.dirname(
                    os.path.join(self.root, ref.source.path)
                )
            target = os.path.normpath(os.path.join(base, target))
            return self._file_ref(target, ref.node, ref.source, normal=target[:1] == "/")
        if ref.kind is ImportKind.INLINE:
            return ModuleRef(ModuleKind.INLINE, node=ref.node, source=ref.source)
        if ref.kind is ImportKind.EXTERNAL:
            return ModuleRef(ModuleKind.EXTERNAL, node=ref.node, source=ref.source, label=ref.label)
        # Computed: expanded per host where its values are known (`_visit`), else reported there.
        return ModuleRef(
            ModuleKind.UNKNOWN, node=ref.node, source=ref.source, label=ref.label, dynamic=True
        )

    def _dynamic_problem(self, ref: ModuleRef) -> None:
        self.problem(
            ProblemKind.UNRESOLVED,
            f"cannot follow this import: {ref.label}",
            ref.location,
            "homeward reads imports statically; write the path out",
        )

    def _expand(self, ref: ModuleRef, info: ModuleInfo | None, host: str) -> list[ModuleRef] | None:
        """A computed import (`../hosts/${hostname}/x.nix`, `"${config.networking.hostName}"`,
        `builtins.attrValues outputs.nixosModules`) evaluated with what is known for `host`:
        its `specialArgs`, its host name, the `let` bindings around the import. None: still
        not known."""
        if ref.node is None or ref.source is None:
            return None
        scope = self._scope_on(info, host, ref.node, ref.source)
        target = ref.node
        if target.type == "apply_expression":
            fn = target.child_by_field_name("function")
            arg = target.child_by_field_name("argument")
            if (
                fn is not None
                and arg is not None
                and ref.source.text_of(fn)
                in (
                    "import",
                    "builtins.import",
                )
            ):
                target = arg  # `import ../home/${name}.nix`: the file is the module
        value = self.ev.eval(target, scope, ref.source)
        items = value.items if isinstance(value, ListValue) else [Thunk.of(value)]
        found: list[ModuleRef] = []
        for item, forced in self._definitions(items):
            if isinstance(forced, Attrs) and forced.node is not None and forced.source is not None:
                found.append(ModuleRef(ModuleKind.INLINE, node=forced.node, source=forced.source))
                continue
            found.append(self._module_ref(forced, item, quiet=True))
        if any(r.kind is ModuleKind.UNKNOWN for r in found):
            return None
        return found

    def _scope_on(self, info: ModuleInfo | None, host: str, node: Node, source: Source) -> Env:
        """The names `node` sees on `host`: for a module written inline in a module list, the
        scope it was written in for that host (a helper's arguments and `let`s); else what
        `_host_scope` knows."""
        if info is not None and info.path is None:
            env = self.inline_envs.get((host, info.key))
            if env is not None:
                return env
        return self._host_scope(info, host, node, source)

    def _host_scope(self, info: ModuleInfo | None, host: str, node: Node, source: Source) -> Env:
        """The names a module sees on `host`, as far as they are known statically: its
        arguments from the host's `specialArgs` (and `config.networking.hostName`, `lib`,
        `modulesPath`), then the `let` bindings around `node`."""
        config = self._all_configs.get(host)
        scope = Env(self.ev.globals)
        formals = info.module.formals if info is not None else ()
        special = config.special_args if config is not None else None
        known: dict[str, Value] = {
            "lib": External("nixpkgs.lib"),
            "modulesPath": External("modulesPath"),
            "pkgs": External("pkgs"),
            "config": Attrs(
                {"networking": Thunk.of(Attrs({"hostName": Thunk.of(Str(self._host_name(host)))}))}
            ),
        }
        for name in formals:
            if isinstance(special, Attrs) and name in special.attrs:
                scope.vars[name] = special.attrs[name]
            elif name in known:
                scope.vars[name] = Thunk.of(known[name])
        # The `let`s around the node, outermost first.
        lets: list[Node] = []
        up: Node | None = node.parent
        while up is not None:
            if up.type == "let_expression":
                lets.append(up)
            up = up.parent
        for let in reversed(lets):
            scope = Env(scope)
            self.ev._bind(let, scope, scope, source)
        return scope

    def _resolve_user_names(self) -> None:
        """`users.users.${username}` (and `home-manager.users.${username}`) with `username`
        from `specialArgs`, a `let`, or the helper that wrote the module: the name every host
        reading the module gives it. Left computed when they disagree."""
        for info in self.modules.values():
            if info.context is not Context.NIXOS or not info.hosts:
                continue
            changed = False
            definitions: list[Definition] = []
            for d in info.module.definitions:
                name = None
                if len(d.path) > 2 and d.path[:2] in _NAMED_USERS and d.path[2] == DYNAMIC:
                    name = self._dynamic_name(d, info, 2)
                if name is None:
                    definitions.append(d)
                    continue
                definitions.append(replace(d, path=(*d.path[:2], name, *d.path[3:])))
                changed = True
            if changed:
                info.module = replace(info.module, definitions=tuple(definitions))

    def _dynamic_name(
        self, d: Definition, info: ModuleInfo, index: int, hosts: Collection[str] | None = None
    ) -> str | None:
        """The name `d.path[index]` (computed) has on every host of `hosts` (default: every host
        reading the module), None when it is not known or differs."""
        attrs: list[Node] = []
        for step in d.steps:
            if step.kind is StepKind.BINDING:
                path = step.node.child_by_field_name("attrpath")
                if path is not None:
                    attrs.extend(path.children_by_field_name("attr"))
        position = index + d.skipped
        if position >= len(attrs):
            return None
        attr = attrs[position]
        names = {
            self.ev._attr_name(attr, self._scope_on(info, host, attr, d.source), d.source)
            for host in sorted(hosts if hosts is not None else info.hosts)
        }
        if len(names) != 1:
            return None
        found = names.pop()
        return found if found and found != DYNAMIC else None

    def _host_name(self, host: str) -> str:
        """`networking.hostName` of `host` when a module of it sets a literal, else its name."""
        for info in self.modules.values():
            if host not in info.hosts or info.context is not Context.NIXOS:
                continue
            for d in info.module.definitions:
                if d.path == ("networking", "hostName"):
                    text = d.value_text.strip()
                    if len(text) > 1 and text[0] == text[-1] == '"' and "$" not in text:
                        return text[1:-1]
        return host

    def _follow_home_manager_users(self, hosts: dict[str, SystemConfig]) -> None:
        """`home-manager.users.<u> = ...` in a host's modules: follow into home-manager modules."""
        # Why once per module: scanning every definition again for each host was quadratic.
        wiring = {
            key: found
            for key, m in self.modules.items()
            if m.context is Context.NIXOS
            and (
                found := [
                    d
                    for d in m.module.definitions
                    if len(d.path) >= 3 and d.path[0] == "home-manager" and d.path[1] == "users"
                ]
            )
        }
        for host in hosts:
            nixos = [self.modules[key] for key in wiring if host in self.modules[key].hosts]
            for info in nixos:
                for d in wiring[info.key]:
                    user = d.path[2]
                    if user == DYNAMIC:  # `home-manager.users.${user}`: its name on this host
                        user = self._dynamic_name(d, info, 2, (host,)) or user
                    for ref in self._home_refs(d, host, info):
                        if ref.kind is ModuleKind.UNKNOWN and ref.dynamic:
                            expanded = self._expand(ref, info, host)
                            if expanded is None:
                                self._dynamic_problem(ref)
                                self._opaque.append((host, ref))
                                continue
                            for sub in expanded:
                                self._visit(sub, host, Context.HOME, info.key, (), users=(user,))
                            continue
                        self._visit(ref, host, Context.HOME, info.key, (), users=(user,))

    def _home_refs(self, d: Definition, host: str, info: ModuleInfo) -> list[ModuleRef]:
        """The home-manager modules a `home-manager.users.<u>` definition brings in."""
        rest = d.path[3:]
        if rest == ("imports",):
            refs = _refs_of(d)
            if any(r.kind is ImportKind.DYNAMIC for r in refs):
                evaluated = self._evaluated_imports(d, host, info)
                if evaluated is not None:
                    return evaluated
            return [self._import_ref(r) for r in refs]
        if rest:
            return []  # `home-manager.users.ham.home.packages = ...`: defined in place
        from homeward.syntax.find import classify_import

        ref = classify_import(d.source, d.value)
        if ref.kind is ImportKind.INLINE:
            # The definitions are in the host module itself; a function-form module
            # (`{ pkgs, ... }: { imports = [ ... ]; }`) may still import files.
            return [self._import_ref(r) for r in read_module(d.source, d.value).imports()]
        return [self._import_ref(ref)]

    def _evaluated_imports(
        self, d: Definition, host: str, info: ModuleInfo
    ) -> list[ModuleRef] | None:
        """Imports computed in a module written in flake.nix (`./home/kim/${name}.nix` in a
        `mkHost` helper): evaluate them in that host's scope, where `name` is known."""
        found = self.inline_values.get((host, info.key))
        if found is None:
            return None
        value: Value = found
        for name in d.path:
            value = self.ev.select(value, name, None, None)
        if not isinstance(value, ListValue):
            return None
        refs: list[ModuleRef] = []
        for item in value.items:
            forced = self.ev.force(item)
            if not isinstance(forced, PathValue):
                return None
            refs.append(
                self._file_ref(forced.path, forced.node or item.expr, forced.source or item.source)
            )
        return refs


def _is_file_module(node: Node, source: Source) -> bool:
    """`node` is a file's whole expression, or the body of the functions it is (curried)."""
    top = source.root.child_by_field_name("expression")
    while top is not None:
        top = unparen(top)
        if (top.start_byte, top.end_byte) == (node.start_byte, node.end_byte):
            return True
        if top.type != "function_expression":
            return False
        top = top.child_by_field_name("body")
    return False


def _why(value: Value) -> str:
    return value.reason if isinstance(value, Unknown) else f"a {type(value).__name__.lower()}"


_NAMES_NOTHING = frozenset({"missing", "no default.nix"})
"""Labels of opaque modules that are a path Nix does not read any further."""


def _inline_place(key: str) -> tuple[str, int]:
    """`hosts/a.nix@120` -> (`hosts/a.nix`, 120): where an inline module is written."""
    path, _, start = key.rpartition("@")
    return path, int(start) if start.isdigit() else -1


def _refs_of(d: Definition) -> list[ImportRef]:
    from homeward.syntax.find import import_refs

    return import_refs(d.source, d.value, d.conditions)


def _formal_names(fn: Lambda, src: Source) -> list[str]:
    from homeward.syntax.find import function_formals

    return function_formals(fn.node, src.text) if fn.node is not None else []


def _normalize(path: Path) -> str:
    import os.path

    return os.path.normpath(str(path))
