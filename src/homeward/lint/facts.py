"""What the rules look at, derived once from a `Repo`: home configurations, user files, ...

The Repo says which modules each configuration reaches; the rules need a few views on top of
it that several of them share: the home-manager configurations (one per `home-manager.users.<u>`
of a host, one per `homeConfigurations` entry) with the definitions each one sees, which NixOS
modules are "user files", and where a binding that covers an option group is written. Pure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from homeward.errors import Location
from homeward.knowledge.hmdata import HomeOptions
from homeward.knowledge.mapping import ROWS, Row
from homeward.model.index import Index, OutputKind
from homeward.model.repo import UNTRACKED, Context, ModuleInfo, ModuleKind, ModuleRef, Repo
from homeward.model.values import Attrs, ListValue
from homeward.syntax.find import (
    DYNAMIC,
    Definition,
    ImportKind,
    StepKind,
    classify_import,
    import_refs,
    read_module,
)
from homeward.syntax.nodes import unparen

# Names of a module that are not options: the module system's own keywords.
MODULE_KEYWORDS = frozenset(
    {"imports", "disabledModules", "_module", "_file", "key", "options", "config", "freeformType"}
)

# The mapping table's option groups by length, for a fast "is this user-level?" test that
# answers as `knowledge.mapping.classify` does for Fate.HOME and Fate.PACKAGES.
_ROWS_BY_PREFIX: dict[tuple[str, ...], Row] = {}
for _row in ROWS:
    _ROWS_BY_PREFIX.setdefault(_row.nixos, _row)
_ROW_LENGTHS = tuple(sorted({len(p) for p in _ROWS_BY_PREFIX}))
ROW_HEADS = tuple(sorted({p[0] for p in _ROWS_BY_PREFIX}))  # `programs`, `environment`


def mapped_row(path: tuple[str, ...]) -> Row | None:
    """The mapping row covering `path` (a definition strictly below the row's group)."""
    for length in _ROW_LENGTHS:
        if len(path) > length:
            row = _ROWS_BY_PREFIX.get(path[:length])
            if row is not None:
                # What a split group keeps on the NixOS side (a login shell) is not user-level.
                return None if row.stays(path) else row
    return None


def is_user_packages(path: tuple[str, ...]) -> bool:
    """`users.users.<name>.packages` (and below it)."""
    return len(path) >= 4 and path[0] == "users" and path[1] == "users" and path[3] == "packages"


def is_user_level(path: tuple[str, ...]) -> bool:
    """Fate HOME or PACKAGES in the mapping table (`knowledge.mapping.classify`)."""
    return is_user_packages(path) or mapped_row(path) is not None


# Labels of unknown module references that are missing files (or files nix does not see, as
# git does not track them), not computed modules.
_NOT_MODULES = frozenset({"missing", "no default.nix", UNTRACKED})


def _system_wide(path: tuple[str, ...]) -> bool:
    """A session variable or an alias (`environment.variables.EDITOR`): a row per name."""
    row = mapped_row(path)
    return row is not None and row.per_leaf


def binding_location(d: Definition, depth: int) -> Location:
    """Where the binding that first covers `d.path[:depth]` is written.

    `programs.git = { enable = true; };` and `programs.git.enable = true;` both answer the line
    of `programs.git`; a definition reached through `config = { ... }` (full-form modules) or
    `home-manager.users.ham = { ... }` counts the names its path does not show.
    """
    steps = [s for s in d.steps if s.kind is StepKind.BINDING]
    hidden = sum(len(s.names) for s in steps) - len(d.path)
    seen = 0
    for step in steps:
        seen += len(step.names)
        if seen >= depth + hidden:
            return d.source.location(step.node.start_byte)
    return d.location


class HomeKind(StrEnum):
    MODULE = "module"  # `home-manager.users.<user>` in a host (home-manager's NixOS module)
    STANDALONE = "standalone"  # `homeConfigurations.<name>`


@dataclass(eq=False)
class HomeConfig:
    """One home-manager configuration and what homeward can see of it."""

    kind: HomeKind
    name: str  # the `homeConfigurations` name, or the user for MODULE
    user: str | None
    host: str | None  # MODULE: the host; STANDALONE: the host of `<user>@<host>` if it exists
    at: Location | None
    modules: list[ModuleInfo]
    inline: list[Definition] = field(default_factory=list)  # written in a host module
    opaque: bool = False  # some of its modules cannot be seen: what they define is unknown
    external: bool = False  # modules from outside the repository may declare options
    darwin: bool = False  # MODULE: its host is a Mac (home-manager's nix-darwin module)

    @property
    def module_words(self) -> str:
        """The home-manager module that wires a MODULE home, as messages say it."""
        return "home-manager's nix-darwin module" if self.darwin else "home-manager's NixOS module"

    @property
    def title(self) -> str:
        if self.kind is HomeKind.STANDALONE:
            return f'`homeConfigurations."{self.name}"`'
        return f"`{self.user}` on `{self.host}` ({self.module_words})"

    def definitions(self) -> Iterator[tuple[str, Definition]]:
        """(module key, definition) for everything it defines; inline ones keyed by the host."""
        for info in self.modules:
            for d in info.module.definitions:
                yield info.key, d
        for d in self.inline:
            yield f"{d.source.path}@inline", d


@dataclass(eq=False)
class Facts:
    """The index plus what only the rules need; derived views are computed once, lazily."""

    index: Index
    feature_files: tuple[str, ...] = ()  # repo-relative `home/*/features/**/*.nix` (posix)
    # home-manager's option tree (HW004), read when a rule first asks: why not before, a
    # configuration without home-manager modules never needs it (15 ms and 6 MiB to read).
    home_options_from: Callable[[], HomeOptions | None] | None = field(default=None, repr=False)
    _user_files: dict[str, bool] = field(default_factory=dict, repr=False)
    _opaque: dict[str, tuple[bool, bool]] = field(default_factory=dict, repr=False)

    @property
    def repo(self) -> Repo:
        return self.index.repo

    @cached_property
    def home_options(self) -> HomeOptions | None:
        """home-manager's option tree; None when this installation has none."""
        return None if self.home_options_from is None else self.home_options_from()

    @property
    def release(self) -> tuple[int, int] | None:
        """The home-manager release the flake tracks (the index's); None: master."""
        return self.index.release

    @cached_property
    def nixos_modules(self) -> list[ModuleInfo]:
        """System modules: NixOS and nix-darwin ones (both are `Context.NIXOS`)."""
        return [m for m in self.repo.modules.values() if m.context is Context.NIXOS]

    def system_words(self, info: ModuleInfo) -> str:
        """ "a NixOS module", or "a nix-darwin module" when only Macs read it (issue 12: a
        Mac's module is no NixOS module)."""
        outputs = self.index.consumers.get(info.key, frozenset())
        kinds = {o.kind for o in outputs if o.kind is not OutputKind.HOME}
        return "a nix-darwin module" if kinds == {OutputKind.DARWIN} else "a NixOS module"

    @cached_property
    def home_modules(self) -> list[ModuleInfo]:
        """Modules evaluated by home-manager (also those a host imports by mistake as well)."""
        return [m for m in self.repo.modules.values() if m.context is Context.HOME or m.users]

    @cached_property
    def host_modules(self) -> dict[str, tuple[ModuleInfo, ...]]:
        """Each host's NixOS modules."""
        return {name: host.modules for name, host in self.index.hosts.items()}

    def by_head(self, info: ModuleInfo) -> Mapping[str, Sequence[Definition]]:
        """A module's definitions by their first name (`programs`, `users`, ...), from the
        index: most rules look at a few top-level names in every module of every host."""
        return self.index.by_head(info)

    def host_definitions(self, host: str, head: str) -> Iterator[Definition]:
        """The definitions under `head` in the NixOS modules of `host`."""
        return iter(self.index.host_definitions(host, head))

    def is_user_file(self, info: ModuleInfo) -> bool:
        """Under `home/`, or every definition in it is user-level (and it has some), not only
        session variables or aliases (in a system module those are system-wide on purpose:
        every user and root gets them), and it imports nothing but user files."""
        known = self._user_files.get(info.key)
        if known is None:
            if info.under_home:
                known = True
            else:
                self._user_files[info.key] = False  # an import cycle: not through here
                paths = [
                    d.path
                    for d in info.module.definitions
                    if d.path and d.path[0] not in MODULE_KEYWORDS
                ]
                known = (
                    bool(paths)
                    and all(is_user_level(p) for p in paths)
                    and not all(_system_wide(p) for p in paths)
                    and all(self.imported_user_file(ref) is not None for ref in info.imports)
                )
            self._user_files[info.key] = known
        return known

    def imported_user_file(self, ref: ModuleRef) -> ModuleInfo | None:
        """The file an import names, when it is a user file (HW001 and `is_user_file` ask)."""
        if ref.kind is not ModuleKind.FILE or ref.path is None:
            return None
        child = self.repo.modules.get(str(ref.path))
        return child if child is not None and self.is_user_file(child) else None

    def home_definitions(self, home: HomeConfig, path: tuple[str, ...]) -> Iterator[Definition]:
        """The definitions of `home` at exactly `path`."""
        by_head, head = self.index.by_head, path[0]
        for info in home.modules:
            for d in by_head(info).get(head, ()):
                if d.path == path:
                    yield d
        for d in home.inline:
            if d.path == path:
                yield d

    @cached_property
    def wiring(self) -> dict[str, dict[str, list[Definition]]]:
        """host -> user -> the `home-manager.users.<user>...` definitions in its modules."""
        return {
            name: {user: list(defs) for user, defs in host.hm_users.items()}
            for name, host in self.index.hosts.items()
        }

    @cached_property
    def shared_modules(self) -> dict[str, list[Definition]]:
        """host -> its `home-manager.sharedModules` definitions."""
        found: dict[str, list[Definition]] = {}
        for host in self.repo.hosts:
            found[host] = [
                d
                for d in self.host_definitions(host, "home-manager")
                if d.path[:2] == ("home-manager", "sharedModules")
            ]
        return found

    @cached_property
    def computed_homes(self) -> frozenset[str]:
        """Hosts where some `home-manager.users` entry is computed: the whole set
        (`home-manager.users = lib.genAttrs …`) or a name (`home-manager.users.${user}`)."""
        return frozenset(
            host
            for host in self.repo.hosts
            if DYNAMIC in self.wiring.get(host, {})
            or any(
                d.path == ("home-manager", "users")
                for d in self.host_definitions(host, "home-manager")
            )
        )

    @cached_property
    def hidden(self) -> frozenset[str]:
        """Hosts with a NixOS module homeward cannot see (computed, not a missing file: that
        is the machine's hardware configuration), which may set `home-manager.sharedModules`
        or `home-manager.users.<u>.imports` (nmasur/dotfiles' helper module)."""

        def hidden(ref: ModuleRef) -> bool:
            return ref.kind is ModuleKind.UNKNOWN and ref.label not in _NOT_MODULES

        found: set[str] = set()
        for name, host in self.repo.hosts.items():
            refs = [*host.modules, *(r for m in self.host_modules.get(name, ()) for r in m.imports)]
            if any(hidden(ref) for ref in refs):
                found.add(name)
        return frozenset(found)

    @cached_property
    def opaque_macs(self) -> frozenset[str]:
        """Macs that read a module homeward cannot see (a module list or an import it cannot
        compute): what "nowhere set" rules say of them, that module may set."""
        repo = self.repo
        unseen = {_ref_key(r) for r in repo.opaque}
        found: set[str] = set()
        for host, modules in self.index.macs.items():
            config = self.index.mac_config(host)
            refs = [*config.modules, *(r for info in modules for r in info.imports)]
            # A computed import is opaque unless it was expanded on every host reading it.
            if any(
                r.kind is ModuleKind.UNKNOWN and (not r.dynamic or _ref_key(r) in unseen)
                for r in refs
            ):
                found.add(host)
        return frozenset(found)

    @cached_property
    def homes(self) -> list[HomeConfig]:
        """Every home-manager configuration: module-wired ones first, then standalone ones."""
        configs: list[HomeConfig] = []
        for host, users in self.wiring.items():
            for user, defs in users.items():
                if user == DYNAMIC:
                    continue
                configs.append(self._module_home(host, user, defs))
        for name, config in self.repo.homes.items():
            # A host of the same name reaches its NixOS modules under that name too.
            clash = name in self.repo.hosts
            modules = [
                m
                for m in self.index.reached.get(name, ())
                if m.context is Context.HOME or not clash
            ]
            user, _, host = name.partition("@")
            home = HomeConfig(
                HomeKind.STANDALONE,
                name,
                user or None,
                host if host in self.repo.hosts else None,
                config.location,
                modules,
            )
            home.opaque = not isinstance(config.modules_value, ListValue)
            _mark_refs(home, config.modules)
            self._mark_modules(home)
            configs.append(home)
        return configs

    def _module_home(self, host: str, user: str, defs: list[Definition]) -> HomeConfig:
        modules = [m for m in self.index.reached.get(host, ()) if user in m.users]
        home = HomeConfig(HomeKind.MODULE, user, user, host, defs[0].location, modules)
        home.darwin = self.index.is_mac(host)
        for d in defs:
            rest = d.path[3:]
            if rest == ("imports",):
                _mark_import_refs(home, d)
            elif rest:
                home.inline.append(Definition(d.source, rest, d.value, d.steps))
            elif unparen(d.value).type == "function_expression":
                inline = read_module(d.source, d.value)
                # A function whose body is no module homeward reads (`import ../home { ... }`)
                # may define anything (issue 11: HW007 on ddPn08/dotfiles).
                home.opaque |= inline.body is None
                home.inline.extend(x for x in inline.definitions if x.path != ("imports",))
                for ref in inline.imports():
                    home.opaque |= ref.kind is ImportKind.DYNAMIC
                    home.external |= ref.kind is ImportKind.EXTERNAL
            else:
                ref = classify_import(d.source, d.value)
                home.opaque |= ref.kind is ImportKind.DYNAMIC
                home.external |= ref.kind is ImportKind.EXTERNAL
        if self.shared_modules.get(host) or host in self.computed_homes or host in self.hidden:
            # Shared modules are not followed, nor homes built by a function
            # (`home-manager.users = listToAttrs (map …)`) or under a computed name, nor what a
            # NixOS module homeward cannot see adds to the host's homes: they may define
            # anything, declare any option.
            home.opaque = home.external = True
        self._mark_modules(home)
        return home

    def _mark_modules(self, home: HomeConfig) -> None:
        """Opaque or external: what the imports of the home's modules say (once per module)."""
        for info in home.modules:
            flags = self._opaque.get(info.key)
            if flags is None:
                kinds = {ref.kind for ref in info.imports}
                # A module whose body is no attribute set homeward reads (a call) is unseen.
                unseen = info.module.body is None and not info.module.definitions
                flags = (ModuleKind.UNKNOWN in kinds or unseen, ModuleKind.EXTERNAL in kinds)
                self._opaque[info.key] = flags
            home.opaque |= flags[0]
            home.external |= flags[1]

    @cached_property
    def standalone_declined(self) -> bool:
        """`homeConfigurations = { };` written out: a decision not to have standalone homes
        (REAL-CONFIGS.md: an empty `homeConfigurations` may be deliberate)."""
        outputs = self.repo.outputs
        if not isinstance(outputs, Attrs) or "homeConfigurations" not in outputs.attrs:
            return False
        homes = self.repo.ev.force(outputs.attrs["homeConfigurations"])
        return (
            isinstance(homes, Attrs)
            and not homes.attrs
            and not homes.dynamic_keys
            and homes.more is None
        )

    def standalone_of(self, user: str, host: str) -> str | None:
        """The `homeConfigurations` name `home-manager switch --flake .` picks for `user` on
        `host`: `"<user>@<host>"`, else the bare `"<user>"` (home-manager's own script tries
        `$USER@<hostname>` first, then `$USER`); None without either."""
        for name in (f"{user}@{host}", user):
            if name in self.repo.homes:
                return name
        return None

    @cached_property
    def declared_options(self) -> list[tuple[str, ...]]:
        """Option paths the repository's own home-manager modules declare."""
        return [
            d.path[1:]
            for m in self.home_modules
            for d in m.module.declarations
            if d.path[:1] == ("options",)
        ]


def _ref_key(ref: ModuleRef) -> tuple[str, int]:
    return (str(ref.source.path) if ref.source else "", ref.node.start_byte if ref.node else 0)


def _mark_refs(home: HomeConfig, refs: list[ModuleRef]) -> None:
    for ref in refs:
        home.opaque |= ref.kind is ModuleKind.UNKNOWN
        home.external |= ref.kind is ModuleKind.EXTERNAL


def _mark_import_refs(home: HomeConfig, d: Definition) -> None:
    for ref in import_refs(d.source, d.value, d.conditions):
        home.opaque |= ref.kind is ImportKind.DYNAMIC
        home.external |= ref.kind is ImportKind.EXTERNAL
