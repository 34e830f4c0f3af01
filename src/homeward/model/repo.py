"""The Repo model: a flake configuration read statically.

From a directory: its `flake.nix`, the inputs, every `nixosConfigurations.<host>` and
`homeConfigurations.<name>` with their module lists (however the flake computes them, see
`model/eval.py`), the module import graph from each host, the users and every user-level
definition with its origin span. What cannot be resolved statically is recorded as a `Problem`
with its location and why; commands decide whether that stops them. Reads only.
"""

from __future__ import annotations

import gc
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cached_property
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from homeward.compat import override
from homeward.errors import HomewardError, Location
from homeward.model.eval import Evaluator
from homeward.model.files import Snapshot, list_files, work_tree_top
from homeward.model.frameworks import (
    DEN,
    describe,
    per_system_hosts,
    searched,
    unread_modules,
    used,
)
from homeward.model.values import (
    Attrs,
    SystemCall,
    Unknown,
    Value,
)
from homeward.syntax.find import (
    Definition,
    ImportRef,
    Module,
    forget_nodes,
)
from homeward.syntax.parse import Source
from homeward.syntax.slots import slot_setters

if TYPE_CHECKING:
    from tree_sitter import Node


class ProblemKind(StrEnum):
    UNRESOLVED = "unresolved"  # a host, module list or import homeward cannot compute
    MISSING = "missing"  # an import of a file that does not exist
    UNTRACKED = "untracked"  # an import of a file git does not track: nix does not see it
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


UNTRACKED = "not tracked by git"
"""The label of an opaque module that is a file on disk git does not track (rule 12)."""


class ModuleKind(StrEnum):
    FILE = "file"
    INLINE = "inline"
    EXTERNAL = "external"
    UNKNOWN = "unknown"


# The consumer a file listed in a host's `home-manager.sharedModules` is frozen for (its name
# begins so): every user's home on that host reads it (model/load/freeze.py).
SHARED_MODULES = "`home-manager.sharedModules`"


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


class _PlacedRef(ModuleRef):
    """A ModuleRef made from an import (`ImportRef`) that keeps the import, not its node: the
    import of a whole file's module holds a byte span (`syntax/find.py`, `_PlacedImport`), so
    that the importing file's tree can be let go once it is read."""

    __slots__ = ("_import",)
    __qualname__ = "ModuleRef"  # Why: its repr is the ModuleRef's
    _import: ImportRef | None

    def __getattr__(self, name: str) -> object:
        # Called only for a slot that is not set: `node` (from the import, when asked), and
        # `_import` of a copy made through `__init__` (`dataclasses.replace`), which has it.
        if name == "_import":
            return None
        if name == "node":
            via = self._import
            return None if via is None else via.node
        raise AttributeError(f"'ModuleRef' object has no attribute '{name}'")

    @property
    @override
    def location(self) -> Location | None:
        via = self._import
        return super().location if via is None else via.location

    @override
    def __eq__(self, other: object) -> bool:
        # As ModuleRef's, across the two classes: the fields it compares.
        if not isinstance(other, ModuleRef):
            return NotImplemented
        return _compared(self) == _compared(other)

    @override
    def __hash__(self) -> int:
        return hash(_compared(self))


def _compared(ref: ModuleRef) -> tuple[object, ...]:
    return (ref.kind, ref.path, ref.label, ref.maybe, ref.dynamic)


_PLACED_SET, _PLACED_REST = slot_setters(ModuleRef, ("kind", "path", "source"), later=("node",))
_SET_IMPORT = _PlacedRef.__dict__["_import"].__set__
_REF_LABEL = ModuleRef.__dict__["label"].__set__
_REF_DYNAMIC = ModuleRef.__dict__["dynamic"].__set__


def under_home(path: Path | None) -> bool:
    """Whether a repo-relative path is under `home/`. Why its text and not `path.parts`:
    `parts` keeps a tuple on the path object, one for each of thousands of modules."""
    if path is None:
        return False
    shown = str(path)
    return shown.startswith("home/") or shown == "home"


def placed_ref(
    kind: ModuleKind,
    via: ImportRef,
    path: Path | None = None,
    label: str = "",
    *,
    dynamic: bool = False,
) -> ModuleRef:
    """`ModuleRef(kind, path, via.node, via.source, label, dynamic=dynamic)`, keeping `via`
    rather than its node (`_PlacedRef`)."""
    ref = object.__new__(_PlacedRef)
    set_kind, set_path, set_source = _PLACED_SET
    set_kind(ref, kind)
    set_path(ref, path)
    set_source(ref, via.source)
    for setter, default in _PLACED_REST:
        setter(ref, default)
    if label:
        _REF_LABEL(ref, label)
    if dynamic:
        _REF_DYNAMIC(ref, True)
    _SET_IMPORT(ref, via)
    return ref


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


@dataclass(eq=False, slots=True)
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


@dataclass(eq=False, slots=True)
class ModuleInfo:
    """A module as used by one or more configurations."""

    key: str  # the repo-relative path, or `flake.nix@<byte>` for inline modules
    module: Module
    path: Path | None  # repo-relative file, None when inline
    context: Context
    # Shared with a later read of the planned tree where the plan leaves them as they are
    # (`load_planned`): replaced, never changed in place.
    imports: list[ModuleRef] = field(default_factory=list)
    # The configurations that reach it; once the model is read, one set shared by the modules
    # the same configurations reach (`Walk._share_hosts`): never changed in place after it.
    hosts: set[str] = field(default_factory=set)
    # Why frozen sets: most modules have no users (a new set is made when one is added; an
    # empty set per module was 3 MiB at 200 hosts).
    users: frozenset[str] = frozenset()  # HOME: the users it configures
    # HOME, through home-manager's NixOS module: (host, user) pairs that reach it (a host and
    # a user may each reach it with another partner only).
    pairs: frozenset[tuple[str, str]] = frozenset()
    # Consumers homeward does not rewire (a nix-darwin host, an exported module, a host it
    # skipped, an import under a condition it cannot decide): who, and why. A module with any
    # is never edited (docs/architecture.md, rule 10). Why one shared empty mapping until the
    # first (`freeze`): most modules have none, and an empty dict each was 64 B per module.
    frozen: Mapping[str, str] = field(default_factory=lambda: NOT_FROZEN)

    @property
    def source(self) -> Source:
        return self.module.source

    @property
    def under_home(self) -> bool:
        """A file under the repository's `home/` (a user file by where it is)."""
        return under_home(self.path)

    def freeze(self, consumer: str, why: str) -> None:
        """`consumer` reads it and is not rewired, for the reason `why`."""
        if isinstance(self.frozen, dict):
            self.frozen[consumer] = why
        else:
            self.frozen = {**self.frozen, consumer: why}


NOT_FROZEN: Mapping[str, str] = MappingProxyType({})
"""The `frozen` of every module no consumer freezes: read only, shared."""


@dataclass(frozen=True, slots=True)
class User:
    name: str
    hosts: tuple[str, ...]  # hosts whose configuration defines `users.users.<name>`
    definitions: tuple[Definition, ...]  # every `users.users.<name>.*` definition
    normal: bool  # isNormalUser = true somewhere (or packages given)


FileRead = tuple[Source, Module, list[ImportRef], list[ModuleRef] | None]
"""A module file as a load of the disk read it: its source, its module (before user names are
resolved), its imports as written, and those imports resolved (what `ModuleInfo.imports`
holds; None: not yet). A planned read (`load_planned`) takes them where the plan changes
nothing they name, and offers none of its own: they are the overlay's, not the disk's."""


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
    read: dict[int, FileRead] = field(default_factory=dict, repr=False)

    @property
    def files_read(self) -> int:
        return self.ev.files.count

    def release_trees(self) -> None:
        """Let go the trees parsed again since the read (a plan looks at the nodes of the
        files it edits), where nothing but the model's definitions and the caches of where
        nodes are holds a node of them: 5 MiB at 200 hosts, every host's file."""
        from homeward.syntax.edit import forget_trees

        forget_trees()
        held = (info.module for info in self.modules.values() if info.path is not None)
        forget_nodes(d for m in held if m.source.has_tree for d in m.definitions)
        self.ev.files.release_all()

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
    def children(self) -> dict[str, list[str]]:
        """`edges` by parent (a host name or a module key): the module keys it imports, in
        order; made once, on first use."""
        found: dict[str, list[str]] = {}
        for parent, child in self.edges:
            found.setdefault(parent, []).append(child)
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
        said = no_host_framework(self)
        if said is not None:
            message, at = said
            raise HomewardError(message, at=at or self.flake.location(0), hint=FRAMEWORK_HINT)
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


def no_host_framework(repo: Repo) -> tuple[str, Location | None] | None:
    """`no host found: ...` when a framework builds the outputs and homeward found no host,
    and the place that says why (a flake-parts module that cannot be read), if there is one."""
    written = repo.outputs.attrs if isinstance(repo.outputs, Attrs) else {}
    if any(attr in written for attr in ("nixosConfigurations", *OTHER_KINDS)):
        return None  # flake.nix writes them: the problem that hid them says more
    label = framework_label(repo)
    if not label:
        return None
    where = searched(repo.ev, repo.root, used({n: i.url for n, i in repo.inputs.items()}))
    if label == DEN:
        where.append(
            "den makes its hosts from `den.hosts` and the aspects they include, which homeward "
            "does not read"
        )
    # Where the hosts are written, if homeward sees that, else a module it cannot read.
    at: Location | None = None
    said_at: list[str] = []
    for kind, place in per_system_hosts(repo.ev):
        at = at or place
        said_at.append(f"`perSystem.{kind}`" + (f" ({place})" if place else ""))
    unread = unread_modules(repo.ev)
    if unread:
        at = at or unread[0].at
        where.insert(0, _unread_said(unread))
    if said_at:
        where.insert(
            0,
            f"hosts are written under {' and '.join(said_at)}, "
            + ("options" if len(said_at) > 1 else "an option")
            + " flake-parts does not have: a module declares them and makes hosts of them by "
            "its own option `default`s and `apply`, which homeward does not evaluate",
        )
    if where:
        return f"no host found: the outputs are built with {label}; {'; '.join(where)}", at
    said = f"no host found: the outputs are built with {label}, and homeward finds no host there"
    return said, None


def _unread_said(unread: Sequence[Unknown]) -> str:
    """The flake-parts modules homeward could not read, each where it fails, with why."""
    by_why: dict[str, list[str]] = {}
    for value in unread:
        why = value.reason.split(" cannot be read: ", 1)[-1]
        by_why.setdefault(why, []).append(str(value.at) if value.at else "")
    said = "; ".join(
        f"{', '.join(p for p in places if p)}{': ' if any(places) else ''}{why}"
        for why, places in by_why.items()
    )
    if len(unread) == 1:
        return f"a flake-parts module cannot be read ({said}); what it defines is not known"
    return (
        f"{len(unread)} flake-parts modules cannot be read ({said}); what they define is not known"
    )


_BOOTSTRAP = re.compile(r"^(?:with\s+pkgs\s*;\s*)?\[\s*(?:pkgs\.)?home-manager\s*\]$")
# An empty list, comments and all: nothing to move (a commented-out entry is something: it moves).
EMPTY_LIST = re.compile(r"^(?:with\s+pkgs\s*;\s*)?\[\s*\]$")


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
    return _BOOTSTRAP.match(text) is not None or EMPTY_LIST.match(text) is not None


NO_FLAKE_HINT = "see `homeward init`"
FRAMEWORK_HINT = (
    "homeward reads `nixosConfigurations` written in flake.nix or in files it imports, "
    "flake-parts modules (`flake.nixosConfigurations`, `imports`, import-tree), "
    "`packages.<system>.nixosConfigurations`, the host directories of ez-configs, snowfall-lib, "
    "blueprint and nixos-unified, digga's `importHosts` and easy-hosts' `easy-hosts.hosts`"
)


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
    above = _between(directory, work_tree_top(directory))
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
    directory: Path,
    *,
    on_read: Callable[[str], None] | None = None,
    darwin: bool = False,
    reusable: bool = True,
) -> Repo:
    """Read the configuration in `directory`; `on_read` is told of each file read, by its
    real path (progress).

    With `darwin` (what `migrate` asks for), nix-darwin hosts are hosts like NixOS ones, under
    their own name, kind "darwin"; otherwise they are `others`, read and frozen.
    `reusable`: keep what a read of the planned tree may take (`Repo.read`, `load_planned`);
    a command that checks no plan (`check`, `graph`) does without it (1.4 MiB at 200 hosts)."""
    flake_file = find_flake(directory)
    root = flake_file.parent
    # What Nix sees: the whole git work tree (a flake in `nixos/` may import `../modules`);
    # outside git, the flake's directory (docs/architecture.md, rule 12).
    boundary = work_tree_top(root) or root
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
            return _read(flake_file, boundary, on_read, darwin, defer=True, reusable=reusable)
        except _DefinedTwiceError as exc:
            told = exc.read

        def tell_new(path: str) -> None:
            if on_read is not None and path not in told:
                on_read(path)

        told_new = tell_new if on_read else None
        return _read(flake_file, boundary, told_new, darwin, defer=False, reusable=reusable)
    finally:
        gc.set_threshold(*thresholds)
        if gc.get_freeze_count():  # inside `cli.main`, which unfreezes for in-process callers
            gc.freeze()


LOAD_GC_THRESHOLD = 200_000
"""Allocations between two collections of the young generation while a model is read."""


class _DefinedTwiceError(Exception):
    """A file read with the check deferred defines a name twice: read again (`load_repo`)."""

    def __init__(self, read: set[str]) -> None:
        super().__init__()
        self.read = read  # the files `on_read` was told of


def _read(
    flake_file: Path,
    boundary: Path,
    on_read: Callable[[str], None] | None,
    darwin: bool,
    *,
    defer: bool,
    reusable: bool,
) -> Repo:
    from homeward.model.load.loader import Loader  # Why here: the loader reads this module's types

    root = flake_file.parent
    ev = Evaluator(root, boundary=boundary)
    ev.files.on_read = on_read
    if defer:
        ev.files.unchecked = []
    hidden = ev.files.hidden_at(os.fspath(flake_file))
    if hidden is not None:
        # In git, nix sees what git tracks (rule 12): to it, there is no flake here.
        raise HomewardError(
            f"`{ev.files.shown_real(hidden)}` is not tracked by git: nix does not see this flake",
            hint="`git add` it and the files it imports (`git add --intent-to-add` is enough): "
            "a flake in a git repository sees only the files git tracks",
        )
    try:
        flake = ev.files.source(flake_file)
        loader = Loader(ev, root, flake)
        loader.darwin = darwin
        loader.reusable = reusable
        repo = loader.load()
    except Exception:
        if defer and ev.files.duplicates_found():
            # Read as it would have been: checking each file.
            raise _DefinedTwiceError(set(ev.files.real_paths)) from None
        raise
    if defer and ev.files.duplicates_found():
        raise _DefinedTwiceError(set(ev.files.real_paths))
    return repo


def load_planned(
    repo: Repo, files: Mapping[str, bytes | None], parsed: Mapping[str, Source] | None = None
) -> Repo:
    """`repo` as it would be read once `files` (repo-relative path -> new content, None: gone)
    are written: nothing is written; files the plan does not touch are not parsed again, nor
    new texts given `parsed` (by the same path) already."""
    from homeward.model.load.loader import Loader

    root = repo.root
    ev = Evaluator(root, files, repo.ev.boundary)
    ev.files.share_sources(repo.ev.files)
    ev.files.take_parsed(parsed or {})
    flake_file = root / "flake.nix"
    flake = ev.files.source(flake_file)
    loader = Loader(ev, root, flake)
    # Read as `repo` was: nix-darwin hosts are hosts when they were (`load_repo(darwin=True)`).
    loader.darwin = any(h.kind == "darwin" for h in repo.hosts.values())
    loader.reuse = repo.read
    return loader.load()
