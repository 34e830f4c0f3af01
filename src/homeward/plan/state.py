"""What migrate's phases share while they plan: the index, the options, the new files by
path, and what has been taken into the plan so far (edits, the ledger, diagnostics, the
bindings cut out of each module, the user files that move).

The phases (`plan/classify.py`, `plan/place.py`, `plan/packages.py`, `plan/userfile.py`,
`plan/groups.py`, `plan/inline.py`, `plan/sources.py`, `plan/wire.py`) read this state. The
classify, place, package, user-file (with its option groups), inline, cut and wire phases
return frozen records (their notes, `Placement`, `PackageCut`, `UserFileCut`, `InlineCut` and
`UserFinish` with their `HomeWrites`, `SourceCut`, `Wiring`) that a `take_*` function folds
into it, in the order they were decided; `plan/migrate.py` composes them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic
from homeward.knowledge.mapping import Feature
from homeward.model.frameworks import PER_SYSTEM
from homeward.model.index import Index, inline_home_config
from homeward.model.repo import ModuleInfo, User
from homeward.model.values import Attrs
from homeward.plan.chunks import Renderer
from homeward.plan.files import DestFile, render_files
from homeward.plan.flake import HomeWiring
from homeward.plan.journal import FileFate, UserFileCut
from homeward.plan.nixcode import relative_import
from homeward.plan.place import Home, home_of
from homeward.plan.types import Edit, Moved, Plan
from homeward.plan.wiring import Sites
from homeward.syntax.find import Definition
from homeward.syntax.suppress import is_suppressed

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.plan.priority import HomePriority
    from homeward.plan.sources import SourceCut
    from homeward.plan.writes import Pending


class Mode(StrEnum):
    BOTH = "both"
    MODULE = "module"
    STANDALONE = "standalone"


@dataclass(frozen=True, slots=True)
class MigrateOptions:
    features: bool = True
    mode: Mode = Mode.BOTH
    backup_extension: str = "hm-backup"
    # homeward.toml's `[features]`: package attribute -> feature file, before the built-in table
    package_features: tuple[tuple[str, Feature], ...] = ()


STANDARD_NIXOS_ARGS = frozenset({"config", "lib", "pkgs", "options", "modulesPath", "utils", "..."})


# -- where things go ----------------------------------------------------------------------------


@dataclass
class UserPlan:
    user: User
    hosts: tuple[str, ...]
    entry: PurePosixPath
    per_host: dict[str, PurePosixPath] = field(default_factory=dict)
    reaches: dict[PurePosixPath, tuple[str, ...]] = field(
        default_factory=dict
    )  # files for some hosts
    needs_shell: bool = False
    enabled_shells: set[str] = field(default_factory=set)  # `programs.<s>.enable` moved code sets
    osconfig_hosts: set[str] = field(default_factory=set)  # standalone needs osConfig
    wired: set[str] = field(default_factory=set)  # hosts already wired through the NixOS module
    new_entry: bool = True  # homeward writes the entry point (else the user's own is used)
    inline: list[Definition] = field(default_factory=list)  # home config written in a NixOS module
    entry_args: tuple[str, ...] = ()  # the entry is a function of these before it is a module
    home_modules: list[PurePosixPath] = field(default_factory=list)  # the entry imports these too
    # host -> the file the user's home starts from there, where the host has its own
    # (`home-manager.users.<u> = import ./hosts/<h>/home.nix;`): the index's `host_entries`
    entries: dict[str, PurePosixPath] = field(default_factory=dict)
    # Hosts where the user had no home and something of theirs moves: their home there starts
    # from the host's own file (`home/<u>/<host>.nix`), never the entry of their other hosts.
    fresh: set[str] = field(default_factory=set)

    def entry_of(self, host: str) -> PurePosixPath:
        return self.entries.get(host, self.entry)

    def wiring(self) -> HomeWiring:
        """What the flake wires for this user (once the plan for them is complete)."""
        return HomeWiring(
            self.user.name,
            self.hosts,
            self.entry,
            dict(self.per_host),
            frozenset(self.wired),
            frozenset(self.osconfig_hosts),
            tuple(self.inline),
            dict(self.entries),
            self.entry_args,
            frozenset(self.fresh),
        )


class PlanState:
    def __init__(self, index: Index, opts: MigrateOptions, sites: Sites | None = None) -> None:
        repo = index.repo
        self.sites = sites
        self.index = index
        self.repo = repo
        self.opts = opts
        self.edits: list[Edit] = []
        self.new_files: dict[PurePosixPath, DestFile] = {}
        self.by_dir: dict[PurePosixPath, list[DestFile]] = defaultdict(list)  # new files by dir
        self.diagnostics: list[Diagnostic] = []
        self._hm_ref: str | None = None
        self.ledger: list[Moved] = []
        self.unread: list[str] = []  # standalone configurations left as they were (Plan.unread)
        self.left: list[str] = []  # users whose packages stay where they are (Plan.left)
        self.unread_homes: list[str] = []  # users whose home could not be read (Plan.unread_homes)
        self.removed: dict[str, list[Node]] = defaultdict(list)  # module key -> removed bindings
        self.files: list[UserFileCut] = []  # the user files that move, as the phase decided
        self.release = index.release
        self._inline: dict[str, list[Definition]] = {}
        self._priorities: dict[str, tuple[HomePriority, ...]] = {}
        self._home_paths: dict[str, tuple[tuple[str, ...], ...]] = {}
        # Which users are normal, and which of them are on each host: asked per module.
        self.normal = [u for u in index.users.values() if u.normal]
        self.user_hosts = {u.name: frozenset(u.hosts) for u in self.normal}
        # (module key, home) -> the extra names code moved out of it may read (`renderer`)
        self._special: dict[tuple[str, bool], frozenset[str]] = {}
        # Modules that must stay byte-identical: NixOS modules, and home-manager modules
        # whatever reads them (a home exported as `homeManagerModules.*`, a Mac left as it is).
        self.frozen = index.frozen

    def result(self, sources: SourceCut | None = None, *, rendered: bool = True) -> Plan:
        """The plan: what was taken into the state, the user files' moves and deletes, and
        the files the cut phase (`sources`) left empty; not `rendered`: the new files' and
        rewritten files' text left empty (where the plan writes, not what)."""
        # What a new file replaces: a user file rewritten in place, or one moved to its path.
        moves = [move for cut in self.files if (move := cut.move()) is not None]
        deletes = [delete for cut in self.files if (delete := cut.delete()) is not None]
        replaced: dict[PurePosixPath, int] = {}
        for move in moves:
            dst = PurePosixPath(move.dst)
            if dst not in replaced:
                replaced[dst] = len(self.repo.ev.files.source(self.repo.root / move.src).text)
        for cut in self.files:
            if cut.fate is FileFate.REWRITTEN:
                replaced[cut.path] = len(self.repo.ev.files.source(self.repo.root / cut.path).text)
        edits, files = render_files(list(self.new_files.values()), replaced, rendered=rendered)
        return Plan(
            edits=(*self.edits, *edits),
            new_files=tuple(files),
            moves=tuple(moves),
            deletes=(*deletes, *(sources.deletes if sources is not None else ())),
            diagnostics=tuple(self.diagnostics),
            ledger=tuple(self.ledger),
            unread=tuple(self.unread),
            left=tuple(self.left),
            unread_homes=tuple(self.unread_homes),
        )

    def import_suppressed(self, path: Path) -> bool:
        """Some import of the file `path` is marked `# homeward: ignore[HW001]` (where check
        reports a user file imported as a NixOS module); who imports it is the index's view."""
        return any(
            ref.source is not None
            and b"homeward" in ref.source.text  # Why first: finding the line costs more
            and ref.location is not None
            and is_suppressed(ref.source.text, ref.location.line, "HW001")
            for ref in self.index.importers(path)
        )

    def stays(self, info: ModuleInfo, verb: str = "stays", what: str = "option") -> str:
        """ "stays a NixOS option", or nix-darwin's where Macs read `info` (issue 12)."""
        from homeward.plan.darwin import system_option

        return f"{verb} {system_option(self.index, info, what)}"

    def priorities(self, user: str) -> tuple[HomePriority, ...]:
        """The definitions with a priority in `user`'s home (`plan/priority.py`)."""
        found = self._priorities.get(user)
        if found is None:
            from homeward.plan.priority import home_priorities

            hosts = tuple(sorted(self.user_hosts.get(user, ())))
            found = self._priorities[user] = home_priorities(self.index, user, hosts)
        return found

    def home_paths(self, user: str) -> tuple[tuple[str, ...], ...]:
        """What `user`'s home defines, as home-manager paths (`plan/priority.py`)."""
        found = self._home_paths.get(user)
        if found is None:
            from homeward.plan.priority import home_paths

            hosts = tuple(sorted(self.user_hosts.get(user, ())))
            found = self._home_paths[user] = home_paths(self.index, user, hosts)
        return found

    def inline_home_config(self, name: str) -> list[Definition]:
        found = self._inline.get(name)
        if found is None:
            found = self._inline[name] = inline_home_config(self.index, name)
        return found

    def hm_ref(self) -> str:
        """How flake.nix's outputs name home-manager (asked of an editor of its own, dropped)."""
        if self._hm_ref is None:
            from homeward.plan.flake import FlakeEditor

            self._hm_ref = FlakeEditor(self.index).home_manager_ref()
        return self._hm_ref

    def standalone_wanted(self) -> bool:
        """migrate adds standalone configurations: the mode asks for them and the flake has
        no `homeConfigurations` of its own, neither written nor made by a framework from its
        directories (ez-configs' `"<user>@<host>"` for every host: one homeward wrote would
        be a second definition of the same name)."""
        return (
            self.opts.mode is not Mode.MODULE
            and "homeConfigurations" not in self.output_names()
            and not any(
                c.kind == "home" and c.framework and c.framework != PER_SYSTEM
                for c in self.repo.others.values()
            )
        )

    def output_names(self) -> set[str]:
        outputs = self.repo.outputs
        return set(outputs.attrs) if isinstance(outputs, Attrs) else set()

    def frozen_reason(self, key: str) -> str:
        return self.index.frozen_why.get(key, "homeward does not migrate it")

    def existing_entry(self, name: str) -> PurePosixPath | None:
        return self.index.existing_entry(name)

    # -- destinations ------------------------------------------------------------------------------
    def reach(self, up: UserPlan, info: ModuleInfo) -> tuple[str, ...]:
        return tuple(sorted(info.hosts & set(up.hosts)))

    def home_of(self, up: UserPlan) -> Home:
        return home_of(up.user, up.entry, features=self.opts.features)

    def home_file(self, up: UserPlan, reach: tuple[str, ...], path: PurePosixPath) -> DestFile:
        """The home-manager file `path` for definitions that reach `reach`; one for some of
        the user's hosts only is wired up in `place_per_host`."""
        if set(reach) != set(up.hosts):
            up.reaches[path] = reach
        return self.dest(path, home=True)

    def dest(self, path: PurePosixPath, *, home: bool) -> DestFile:
        found = self.new_files.get(path)
        if found is None:
            found = self.new_files[path] = DestFile(path, home)
            self.by_dir[path.parent].append(found)
        return found

    def files_in(self, directory: PurePosixPath) -> list[tuple[PurePosixPath, DestFile]]:
        """The new files directly in `directory`, in the order they were planned."""
        return [(dest.path, dest) for dest in self.by_dir.get(directory, ())]

    def filled(self, path: PurePosixPath, pending: Pending | None = None) -> bool:
        """The new file `path` has something to render, or will have once a phase's
        `pending` writes are taken."""
        dest = self.new_files.get(path)
        return (dest is not None and not dest.empty) or (
            pending is not None and pending.fills(path)
        )

    def filled_in(
        self, directory: PurePosixPath, pending: Pending | None = None
    ) -> list[PurePosixPath]:
        """The new files directly in `directory` with something to render (`filled`)."""
        paths = [p for p, _ in self.files_in(directory)]
        if pending is not None:
            opened = pending.opened()
            paths += sorted(p for p in opened if p.parent == directory and p not in self.new_files)
        return [p for p in paths if self.filled(p, pending)]

    def entry_imports(self, up: UserPlan, pending: Pending | None = None) -> list[str]:
        """The imports of `up`'s new entry point: its feature files with something in them
        (once a phase's `pending` writes are taken), then the home modules it adopted."""
        entry = self.new_files.get(up.entry)
        imports = list(entry.imports) if entry is not None else []
        for pending_import in pending.imports(up.entry) if pending is not None else ():
            if pending_import.code not in imports:
                imports.append(pending_import.code)
        if self.opts.features:
            features = sorted(
                p
                for p in self.filled_in(up.entry.parent / "features", pending)
                if "-" not in p.stem
            )
            imports = [relative_import(p, up.entry.parent) for p in features]
        for module in up.home_modules:
            rel = relative_import(module, up.entry.parent)
            if rel not in imports:
                imports.append(rel)
        return imports

    def renderer(self, info: ModuleInfo, *, home: bool) -> Renderer:
        """A renderer for code moved out of `info`; for home-manager, the extra names moved code
        may read are those every host reaching it passes in `specialArgs` (home-manager gets the
        same as `extraSpecialArgs`; what `_module.args` sets is not passed on). Decided once a
        module (it was once per moved definition, over every host reaching the module)."""
        special = self._special.get((info.key, home))
        if special is None:
            special = frozenset(info.module.formals) - STANDARD_NIXOS_ARGS
            if home:
                for host in info.hosts:
                    passed = self.repo.hosts[host].special_args
                    if isinstance(passed, Attrs):
                        special &= frozenset(passed.attrs)
                    elif passed is None:
                        special = frozenset()
            self._special[(info.key, home)] = special
        return Renderer(info.source, home, special)

    def moves_to(self, path: PurePosixPath) -> bool:
        return any(cut.fate is FileFate.MOVED and cut.entry == path for cut in self.files)

    def free_path(self, path: PurePosixPath, pending: Pending | None = None) -> PurePosixPath:
        """`path`, or `<stem>-<n>.nix` beside it: no file of the repository nor a new home
        file (one a phase's `pending` writes open counts)."""
        opened = pending.opened() if pending is not None else frozenset()
        candidate, n = path, 1
        while (
            self.repo.files.taken(candidate)
            or (candidate in self.new_files and self.new_files[candidate].home)
            or candidate in opened
        ):
            n += 1
            candidate = path.with_name(f"{path.stem}-{n}.nix")
        return candidate
