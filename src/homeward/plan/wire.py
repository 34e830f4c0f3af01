"""The wire phase: per-host files, the entry point's identity and stateVersion, an existing
entry's updates, and the flake (home-manager input, NixOS module, `homeConfigurations`).

`finish_user` returns what it writes into a user's home as a frozen `UserFinish`, and
`wire_flake` what it decided as a frozen `Wiring` (edits, diagnostics); the composer folds
them into the plan with `take_finish` and `take_wiring`, as the earlier phases' records are."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic
from homeward.knowledge.mapping import Feature
from homeward.model.index import release_text
from homeward.model.repo import ModuleInfo, ModuleKind, Repo, User
from homeward.model.values import Attrs
from homeward.plan import darwin
from homeward.plan.accounts import refuse_homes_without_account
from homeward.plan.chunks import Needs, PackageItem
from homeward.plan.entry import home_entry_edits, identity_bindings
from homeward.plan.flake import FlakeEditor, FlakeEdits, HomeWiring
from homeward.plan.homes import own_entry, standalone_companions
from homeward.plan.hostwire import (
    HostFile,
    ListWiring,
    host_file_spans,
    own_host_file,
    plan_lists,
    refuse_priority_homes,
    site_formal,
    wire_host_file,
    wire_lists,
)
from homeward.plan.nixcode import relative_import
from homeward.plan.priority import ranks_packages
from homeward.plan.sources import SourceCut
from homeward.plan.standalone import (
    KeptLists,
    add_home_configurations,
    builds_an_entry,
    extend_kept_lists,
    kept_list_places,
    kept_lists,
)
from homeward.plan.state import Mode, PlanState, UserPlan
from homeward.plan.types import Edit
from homeward.plan.writes import (
    Entry,
    HomeWrites,
    Identity,
    Import,
    Item,
    Pending,
    take_writes,
)
from homeward.syntax import emit as nix
from homeward.syntax.edit import (
    Span,
    append_to_list,
    insert_binding,
    insert_binding_spans,
    is_multiline,
    removal,
)
from homeward.syntax.find import DYNAMIC, read_module
from homeward.syntax.nodes import unparen

if TYPE_CHECKING:
    from homeward.syntax.parse import Source


def place_per_host(
    st: PlanState, up: UserPlan, writes: Pending, per_host: dict[str, PurePosixPath]
) -> None:
    """Per-host files for the files that were filled: a host's own, or its imports (into
    `writes`; each host's file into `per_host`)."""
    base = PurePosixPath("home") / up.user.name
    for path, reach in sorted(up.reaches.items()):
        if not st.filled(path, writes):
            continue
        if len(reach) == 1:
            per_host[reach[0]] = path
            continue
        for host in reach:
            host_file = base / f"{host}.nix"
            per_host[host] = host_file
            writes.writes.append(Import(host_file, relative_import(path, host_file.parent)))


# -- flake.nix --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ListElements:
    """What the cut phase's record asks of the host module lists written in flake.nix: user
    files listed there that are replaced by their system part (the element's span and its
    new text, with why), and the start bytes of elements that are dropped (emptied modules)."""

    replaced: tuple[tuple[Span, str], ...] = ()
    dropped: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class Wiring:
    """The wire phase's result: edits of the users' existing home entry points (user by
    user), what the flake editor decided (flake.nix, the files a host's wiring is written in,
    its diagnostics), and the removal of the emptied modules no rewritten list dropped. None
    of it is in the plan until `take_wiring`."""

    entries: tuple[Edit, ...]
    flake: FlakeEdits
    dropped: tuple[Edit, ...]

    @property
    def edits(self) -> tuple[Edit, ...]:
        """Every edit, in the order the plan lists them."""
        return (*self.entries, *self.flake.flake, *self.flake.others, *self.dropped)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.flake.diagnostics


def list_elements(repo: Repo, cut: SourceCut) -> ListElements:
    """The elements of host module lists in flake.nix that `cut` replaces or drops (a user
    file listed there), and the emptied inline modules it drops. Pure."""
    replaced: list[tuple[Span, str]] = []
    dropped = set(cut.drop_inline)
    done: set[int] = set()
    for config in repo.hosts.values():
        for ref in config.modules:
            if ref.kind is not ModuleKind.FILE or ref.path is None or ref.node is None:
                continue
            if ref.source is not repo.flake or str(ref.path) not in cut.replacements:
                continue
            start = unparen(ref.node).start_byte
            if start in done:
                continue
            done.add(start)
            new = cut.replacements[str(ref.path)]
            if new is None:
                dropped.add(start)
            else:
                text = relative_import(PurePosixPath(new), PurePosixPath(".")).encode()
                span = Span(ref.node.start_byte, ref.node.end_byte, text)
                replaced.append((span, f"system part of `{ref.path}` now in `{new}`"))
    return ListElements(tuple(replaced), frozenset(dropped))


@dataclass(frozen=True, slots=True, eq=False)
class WireDecisions:
    """What the wire phase decided before building any text: the users' wiring, how
    `outputs` names home-manager, the cut's list elements, the module lists home-manager's
    module goes into, the per-host files of hosts wired already (wired from the host's own
    file), and whether standalone `homeConfigurations` are added (`entries`: some entry
    builds). Deciding it is where the phase refuses (`decide_wiring` raises)."""

    users: tuple[HomeWiring, ...]
    hm: str
    named: tuple[Edit, ...]  # what naming home-manager in `outputs` takes: its input, a formal
    elements: ListElements
    lists: tuple[ListWiring, ...]
    host_files: tuple[HostFile, ...]
    standalone: bool
    entries: bool
    kept: KeptLists  # existing standalone lists that get a per-host file, or are left


def finish_users(st: PlanState, users: list[UserPlan]) -> tuple[Edit, ...]:
    """Each user's home files finished (`finish_user`, taken user by user), and the edits of
    their existing entry points, in the same order."""
    edits: list[Edit] = []
    for up in users:
        edits.extend(take_finish(st, up, finish_user(st, up)))
    return tuple(edits)


def decide_wiring(st: PlanState, users: list[UserPlan], cut: SourceCut) -> WireDecisions:
    """The wire phase's decisions for `users` (their home files finished), or its refusal,
    raised before any text of flake.nix or of a host is built. Reads only (an editor of its
    own is asked how names are written, then dropped)."""
    probe = FlakeEditor(st.index, st.opts.backup_extension)
    hm = probe.home_manager_ref()
    named = tuple(probe.edits)
    wirings = tuple(up.wiring() for up in users)
    hosts_users: dict[str, list[HomeWiring]] = defaultdict(list)
    for w in wirings:
        for host in w.hosts:
            hosts_users[host].append(w)
    refuse_homes_without_account(st.index, wirings)
    lists: tuple[ListWiring, ...] = ()
    if st.opts.mode is not Mode.STANDALONE:
        for w in wirings:
            refuse_priority_homes(probe, w)
        lists = plan_lists(probe, hosts_users, st.sites)
    # A host wired already, whose entry others read too: its own file is imported from a
    # module of that host alone (issue 11: it was imported by nothing).
    host_files = tuple(
        own_host_file(probe, st.repo.hosts[host], w)
        for w in wirings
        for host in sorted(w.wired & set(w.per_host))
    )
    standalone = st.standalone_wanted()
    entries = False
    if standalone:
        entries = builds_an_entry(probe, wirings, hm)
        if entries:
            # What `add_home_configurations` would refuse, before any entry is written:
            # flake.nix's outputs not found (raises).
            probe.nixos_configurations_binding()
    # An existing standalone list reads what the NixOS home gets beside a file that stays,
    # or the run is refused here (a helper's list), not by the invariants.
    kept = KeptLists() if standalone else kept_lists(probe, wirings, lambda: moved_pairs(st))
    elements = list_elements(st.repo, cut)
    return WireDecisions(wirings, hm, named, elements, lists, host_files, standalone, entries, kept)


def moved_pairs(st: PlanState) -> set[tuple[str, str]]:
    """The (host, user) pairs whose definitions the plan moves into home-manager files, as
    the invariants count them (`expected_readers`); (host, "") when the origin names no user."""
    from homeward.plan.invariants import expected_readers

    found: set[tuple[str, str]] = set()
    for expected in expected_readers(st.repo, st.user_hosts, st.ledger).values():
        if expected.home:
            found.update(expected.pairs)
    return found


def wire_flake(st: PlanState, decided: WireDecisions, entries: tuple[Edit, ...] = ()) -> Wiring:
    """The wire phase's text, as `decided`: flake.nix and the hosts' module lists and files;
    `entries`: the edits of the users' existing entry points (`finish_users`), first."""
    flake = FlakeEditor(st.index, st.opts.backup_extension)
    flake.drop = set(decided.elements.dropped)
    for span, why in decided.elements.replaced:
        flake.edit(span, why)
    hm = flake.home_manager_ref()
    wire_lists(flake, decided.lists, hm)
    for hf in decided.host_files:
        wire_host_file(flake, hf)
    if decided.standalone:
        add_home_configurations(flake, list(decided.users), hm)
    else:
        extend_kept_lists(flake, decided.kept)
    flake.drop_unused_hm_formal()  # a formal only where the new text names it
    return Wiring(entries, flake.result(), dropped_elements(st.repo.flake, flake.drop))


def wire_places(st: PlanState, decided: WireDecisions) -> tuple[Edit, ...]:
    """Where the wiring `decided` writes, without its text: an edit with no new bytes at
    each span `wire_flake` edits (home-manager's input and formal, and the cut's list elements,
    with their text). What `check` asks of migrate's plan (the files and lines it edits) costs
    no rendering. Left out: the input a Mac of another nixpkgs gets and a `self` formal (in
    `inputs` and the head of `outputs`, where no module is listed); the formal home-manager gets
    is in, though the plan takes it back when no new text names the input."""
    src = st.repo.flake
    flake_path = Path(src.path)
    places: list[Edit] = [
        *decided.named,
        *(
            Edit(flake_path, span.start_byte, span.end_byte, span.new, why)
            for span, why in decided.elements.replaced
        ),
    ]
    drop = set(decided.elements.dropped)
    formals: set[tuple[Path, int]] = set()  # a function given a formal, once
    for planned in decided.lists:
        site = planned.site
        path = Path(site.source.path)
        for hf in planned.host_files:
            places.extend(host_file_places(hf))
        ref = planned.ref
        if ref is not None and ref.formal is not None and (path, ref.formals_byte) not in formals:
            formals.add((path, ref.formals_byte))
            span = site_formal(site, ref)
            places.append(Edit(path, span.start_byte, span.end_byte, b"", ""))
        inner: set[int] = set()
        if site.source is src:
            starts = {unparen(e).start_byte: e.start_byte for e in site.node.named_children}
            inner = {starts[start] for start in drop if start in starts}
            drop -= {start for start in drop if start in starts}
        for span in append_to_list(site.node, site.source.text, [""], drop=inner):
            places.append(Edit(path, span.start_byte, span.end_byte, b"", ""))
    for hf in decided.host_files:
        places.extend(host_file_places(hf))
    if decided.standalone and decided.entries:
        places.extend(home_configurations_places(st))
    places.extend(kept_list_places(decided.kept))
    return (*places, *dropped_elements(src, drop))


def host_file_places(hf: HostFile) -> list[Edit]:
    assert hf.module.path is not None
    path = Path(hf.module.path)
    return [Edit(path, s.start_byte, s.end_byte, b"", "") for s in host_file_spans(hf)]


def home_configurations_places(st: PlanState) -> list[Edit]:
    """Where `add_home_configurations` writes the entries (none where it only says why)."""
    probe = FlakeEditor(st.index)
    anchor, container, _ = probe.nixos_configurations_binding()
    src = st.repo.flake
    if anchor is None and any(h.call.source is not src for h in st.repo.hosts.values()):
        return []
    code = "homeConfigurations = {\n};"  # where, not what: a binding of several lines
    if is_multiline(container, src.text):
        spans = [insert_binding(container, src.text, code, after=anchor, blank_before=True)]
    else:
        spans = insert_binding_spans(container, src.text, code, blank_before=True)
    return [Edit(Path(src.path), s.start_byte, s.end_byte, b"", "") for s in spans]


def dropped_elements(src: Source, starts: AbstractSet[int]) -> tuple[Edit, ...]:
    """The removal of each list element starting at one of `starts` (not in a list the wiring
    rewrote), with the parentheses around it."""
    edits: list[Edit] = []
    for start in sorted(starts):
        node = src.root.descendant_for_byte_range(start, start + 1)
        while (
            node is not None
            and node.parent is not None
            and (node.parent.start_byte == start or node.parent.type == "parenthesized_expression")
        ):
            node = node.parent
        if node is not None and (node.parent is None or node.parent.type != "list_expression"):
            # Not an element of a list (`mkHost { extra = ./pkgs.nix; }`, which the helper
            # lists): removed, it would leave `extra = ;`. It becomes the empty module.
            edits.append(
                Edit(Path(src.path), node.start_byte, node.end_byte, b"{ }", "an empty module")
            )
        elif node is not None:
            span = removal(node, src.text)
            edits.append(
                Edit(Path(src.path), span.start_byte, span.end_byte, b"", "an empty module")
            )
    return tuple(edits)


def take_wiring(st: PlanState, wiring: Wiring) -> None:
    """The wire phase's record into the plan, in the order it was decided."""
    st.edits.extend(wiring.edits)
    st.diagnostics.extend(wiring.diagnostics)


@dataclass(frozen=True, slots=True)
class UserFinish:
    """What `finish_user` decided for one user's home before the flake is wired: its writes
    into their home files, in order (per-host files importing the files for some hosts, the
    login shell home-manager must manage, the new entry point, the home-manager command,
    what hosts read beside a frozen entry), each host's own file (`per_host`, what the flake
    wires), and the edits of their existing entry points."""

    home: HomeWrites
    per_host: tuple[tuple[str, PurePosixPath], ...]
    edits: tuple[Edit, ...] = ()
    entries: tuple[tuple[str, PurePosixPath], ...] = ()  # a fresh host's own file: its entry


def take_finish(st: PlanState, up: UserPlan, done: UserFinish) -> tuple[Edit, ...]:
    """Fold one user's finish into the plan (its writes, then their per-host files); the
    edits of their existing entry points, returned."""
    take_writes(st, up, done.home)
    up.per_host = dict(done.per_host)
    up.entries.update(done.entries)
    return done.edits


def finish_user(st: PlanState, up: UserPlan) -> UserFinish:
    """Per-host files, the shell home-manager must manage, the entry's imports and identity
    (writes into the user's new home files), and the edits of an existing entry point, as
    data. Reads the plan state and `up`, changes neither."""
    writes = Pending()
    per_host = dict(up.per_host)
    place_per_host(st, up, writes, per_host)
    cli = st.home_of(up).path(up.hosts, Feature.CLI)  # what reaches every host of the user
    if up.needs_shell and login_shell(st, up.user) not in up.enabled_shells:
        shell = login_shell(st, up.user)
        writes.into(cli, up.hosts)
        taken = st.new_files.get(cli)
        chunks = taken.chunks if taken is not None else []
        if not any(c.code.startswith(f"programs.{shell}.enable") for c in chunks):
            why = "home.sessionVariables and home.shellAliases only apply in shells home-manager manages."
            enable = (("programs", shell, "enable"), True)
            writes.line(cli, nix.emit_bindings([nix.Comment(why), enable]))
    # The user gets no `homeConfigurations` entry on any host (their hosts' `specialArgs` cannot
    # be written there, ...): nothing is added for one (its identity, the home-manager command).
    may_have = st.standalone_wanted() and not up.inline and not up.entry_args
    none_built = may_have and not builds_an_entry(FlakeEditor(st.index), [up.wiring()], st.hm_ref())
    # The home-manager command is offered beside an entry it can switch to, existing or written
    # (a home left inline in a NixOS module gets none).
    switchable = (may_have and not none_built) or has_standalone_entry(st, up.user.name)
    entry = st.new_files.get(up.entry)
    if entry is not None and entry.entry is not None:
        state = entry_state_version(st, up)
        home = darwin.home_directory_code(st.index, up.user)
        module = darwin.module_words(st.index, up.user)
        # No home-manager command beside a priority on `home.packages` (plan/priority.py).
        both = st.opts.mode is Mode.BOTH and ranks_packages(st, up.user.name) is None and switchable
        identity, tail = _entry_bindings(up, home, state, both, module)
        imports = tuple(st.entry_imports(up, writes))
        writes.writes.append(Entry(up.entry, up.user, imports, identity, tail, both))
        return UserFinish(writes.done(), tuple(per_host.items()))
    standalone = may_have and not none_built
    if (
        st.opts.mode is Mode.BOTH
        and not up.entry_args
        and switchable
        and not has_hm_command(st, up.user.name)
        and ranks_packages(st, up.user.name) is None
    ):
        # Under the NixOS module programs.home-manager installs nothing (HM-FACTS 3).
        writes.into(cli, up.hosts)
        command = PackageItem(
            "# the home-manager command, for `home-manager switch` next to the "
            f"{darwin.module_words(st.index, up.user)}\n"
            "pkgs.home-manager",
            "home-manager",
            "",
            Needs(args={"pkgs"}),
            None,
        )
        writes.writes.append(Item(cli, command, first=True))
    edits = update_existing_entry(st, up, standalone, writes, per_host)
    entries = tuple((h, per_host[h]) for h in sorted(up.fresh))
    return UserFinish(writes.done(), tuple(per_host.items()), tuple(edits), entries)


def entry_imports_per_host(
    st: PlanState, up: UserPlan, per_host: dict[str, PurePosixPath]
) -> dict[PurePosixPath, list[PurePosixPath]]:
    """Per-host files that the host's own entry imports (plan/homes.py): taken out of
    `per_host`, whose files the flake wires beside the entry."""
    entries = {h: up.entry_of(h) for h in up.hosts}
    found: dict[PurePosixPath, list[PurePosixPath]] = defaultdict(list)
    for host, path in sorted(per_host.items()):
        if host in up.fresh:
            continue  # its own file is its entry (`fresh_entry`)
        entry = entries[host]
        # A file of the host's standalone configuration beside the shared entry may be that
        # host's own (`"kim@desk"` reads `./home/shared` and `./home/linux`).
        companions, _ = standalone_companions(st.repo, up.user.name, host, entry)
        for candidate in (entry, *companions):
            if not st.index.entry_stays(candidate, up.user.name) and own_entry(
                st.repo, candidate, host, up.user.name, entries
            ):
                found[candidate].append(path)
                del per_host[host]
                break
    return found


def update_existing_entry(
    st: PlanState,
    up: UserPlan,
    standalone: bool,
    writes: Pending,
    per_host: dict[str, PurePosixPath],
) -> list[Edit]:
    """A user whose home-manager configuration exists: each file it starts from (one per
    host where hosts have their own) imports the new feature files and the host's own file,
    and gets what a standalone configuration needs that the NixOS module used to provide
    (beside a frozen entry: into `writes` and `per_host`)."""
    features = (
        sorted(
            p
            for p in st.filled_in(PurePosixPath("home") / up.user.name / "features", writes)
            if p not in up.reaches  # not one for some hosts only
        )
        if st.opts.features
        else []
    )
    name = up.user.name
    own = entry_imports_per_host(st, up, per_host)
    # A host where they had no home starts from its own file (`fresh_entry`), not these;
    # where every host is such a one, their existing entry is none of their hosts' homes.
    kept = [h for h in up.hosts if h not in up.fresh]
    first = [up.entry] if kept or not up.fresh else []
    starts = dict.fromkeys([*first, *(up.entry_of(h) for h in kept)])
    edits: list[Edit] = []
    for file in own.keys() - starts.keys():
        # A host's own file of its standalone configuration: only the per-host file goes there.
        edits.extend(
            home_entry_edits(
                st.repo.ev.files.source(st.repo.root / file),
                file,
                [relative_import(p, file.parent) for p in own[file]],
            )
        )
    # The same for every file the user's home starts from: computed once.
    home_directory = darwin.home_directory_code(st.index, up.user) if standalone else None
    state = entry_state_version(st, up)
    for entry in starts:
        if st.index.entry_stays(entry, name):
            beside_entry(st, up, entry, features, standalone, writes, per_host)
            continue
        edits.extend(
            home_entry_edits(
                st.repo.ev.files.source(st.repo.root / entry),
                entry,
                [relative_import(p, entry.parent) for p in [*features, *own.get(entry, ())]],
                username=name if standalone else None,
                home_directory=home_directory,
                state_version=state,
            )
        )
    for host in sorted(up.fresh):
        fresh_entry(st, up, host, features, standalone, writes, per_host)
    return edits


def fresh_entry(
    st: PlanState,
    up: UserPlan,
    host: str,
    features: list[PurePosixPath],
    standalone: bool,
    writes: Pending,
    per_host: dict[str, PurePosixPath],
) -> None:
    """The home of a host where the user had none (`UserPlan.fresh`): the host's own file,
    which holds what moves from it, imports the feature files every host of theirs reads and
    says what an entry says (`home.stateVersion`: the user first gets home-manager there,
    rule 8), into `writes` and `per_host`."""
    name = up.user.name
    path = per_host.get(host)
    if path is None:
        path = st.free_path(PurePosixPath("home") / name / f"{host}.nix", writes)
    home = darwin.home_directory_code(st.index, up.user) if standalone else None
    state: str | nix.Call = state_version(st)
    if homes_computed(st, host):
        state = nix.Call("lib.mkDefault", [state])  # a value there stays the one it uses
    identity = identity_bindings(name if standalone else None, home, state)
    writes.writes.extend(Import(path, relative_import(f, path.parent)) for f in features)
    writes.writes.append(Identity(path, identity))
    per_host[host] = path


def beside_entry(
    st: PlanState,
    up: UserPlan,
    entry: PurePosixPath,
    features: list[PurePosixPath],
    standalone: bool,
    writes: Pending,
    per_host: dict[str, PurePosixPath],
) -> None:
    """An entry file that stays as it is (`Index.entry_stays`: an output homeward does not
    rewire reads it too, rule 10, or other users' homes start from it too): what it would
    have imported, and what a standalone configuration needs, go to a file of each host
    starting from it (`home/<u>/<host>.nix`, into `writes`), which both wirings read beside
    the entry, as a per-host file."""
    name = up.user.name
    info = st.repo.modules.get(str(entry))
    defined = {d.path[:2] for d in info.module.definitions} if info is not None else set()
    username = name if standalone and ("home", "username") not in defined else None
    home = None
    if standalone and ("home", "homeDirectory") not in defined:
        home = darwin.home_directory_code(st.index, up.user)
    sets_state = ("home", "stateVersion") in defined or ("home",) in defined
    state = None if sets_state else entry_state_version(st, up)
    identity = identity_bindings(username, home, state)
    for host in sorted(h for h in up.hosts if up.entry_of(h) == entry and h not in up.fresh):
        path = per_host.get(host)
        if path is None:
            path = st.free_path(PurePosixPath("home") / name / f"{host}.nix", writes)
        writes.writes.extend(Import(path, relative_import(f, path.parent)) for f in features)
        writes.writes.append(Identity(path, identity))  # opens the file, even with nothing
        if st.filled(path, writes):
            per_host[host] = path


def has_standalone_entry(st: PlanState, name: str) -> bool:
    """A `homeConfigurations` entry of the user is in the flake already (`"<user>@<host>"`
    or `<user>`), or may be: the flake's own `homeConfigurations` is not known whole."""
    if any(home.partition("@")[0] == name for home in st.repo.homes):
        return True
    if "homeConfigurations" not in st.output_names():
        return False
    assert isinstance(st.repo.outputs, Attrs)
    homes = st.repo.ev.force(st.repo.outputs.attrs["homeConfigurations"])
    return not isinstance(homes, Attrs) or homes.more is not None or bool(homes.dynamic_keys)


def has_hm_command(st: PlanState, name: str) -> bool:
    """The user's home configuration installs the home-manager command already."""
    for info in st.index.user_homes(name):
        for d in st.index.by_head(info).get("home", ()):
            if d.path == ("home", "packages") and "home-manager" in d.value_text:
                return True
    return False


def state_version_hosts(st: PlanState, name: str) -> set[str] | None:
    """The hosts on which the user's home configuration sets `home.stateVersion` already
    (written once, never twice: a second value would conflict). None: on every host (a file
    of their home, or one a standalone configuration of theirs that names no host reads,
    sets it)."""
    # The files a standalone configuration of theirs reads count too (issue 11, "managed
    # twice": a second value in the entry they share conflicted with their own), but not
    # those of a machine that is no host here: the hosts' homes never read them. Those of
    # `"<u>@<h>"` count for h alone: another host's home reads none of them. Those of a home
    # that names no host (`homeConfigurations.<u>`): a file may be the entry they share, but
    # a module written in its own list is read by it alone (migrate does not give it the
    # new entry: plan/standalone.py extends `"<u>@<h>"` ones only).
    named: dict[str, str] = {}
    hostless: set[str] = set()
    for home in st.repo.homes:
        user, _, host = home.partition("@")
        if user != name:
            continue
        if not host:
            hostless.add(home)
        elif host in st.repo.hosts:
            named[home] = host

    def sets_it(info: ModuleInfo) -> bool:
        # `home = base;` (a let-bound set, a function's result) may set it: as lint does,
        # a second value written beside it would conflict, and home-manager evaluated
        # that home before, so it has one.
        return any(
            d.path in (("home", "stateVersion"), ("home",))
            for d in st.index.by_head(info).get("home", ())
        )

    if any(sets_it(info) for info in st.index.user_homes(name)):
        return None
    hosts: set[str] = set()
    for info in st.index.standalone_here(name):
        if not sets_it(info):
            continue
        if info.hosts & hostless and info.path is not None:
            return None
        hosts |= {named[home] for home in info.hosts & named.keys()}
    for d in st.inline_home_config(name):
        inner = read_module(d.source, d.value).definitions if len(d.path) == 3 else ()
        if d.path[3:] in (("home", "stateVersion"), ("home",)) or any(
            i.path in (("home", "stateVersion"), ("home",)) for i in inner
        ):
            inline = st.index.inline_modules.get(id(d))
            if inline is None:
                return None
            hosts |= inline.hosts
    return hosts


def entry_state_version(st: PlanState, up: UserPlan) -> str | nix.Call | None:
    """`home.stateVersion` for the user's entry: None where their configuration sets it on
    every host of theirs already; `lib.mkDefault` where it does on some only (a module of
    some hosts writes `home-manager.users.<u>.home.stateVersion`), or where a host defines
    homes homeward cannot see: that value stays the one those hosts use (rule 8: never
    changed), the others get the release the flake tracks."""
    covered = state_version_hosts(st, up.user.name)
    if covered is None or covered >= set(up.hosts):
        return None
    if covered & set(up.hosts) or any(homes_computed(st, h) for h in up.hosts):
        return nix.Call("lib.mkDefault", [state_version(st)])
    return state_version(st)


def homes_computed(st: PlanState, host: str) -> bool:
    """`host` defines homes homeward cannot see: `home-manager.users = <computed>` (a
    `genAttrs` over its users) or under a computed name; what they set is not known, and
    a home.stateVersion there is one homeward's entry must not conflict with."""
    facts = st.index.hosts.get(host)
    if facts is None:
        return False
    # Why the host's `home-manager` definitions, not all of them: asked per user per host, the
    # scan of every definition was quadratic (at 200 hosts, 308,000 steps, 0.2 s of `check`).
    return DYNAMIC in facts.hm_users or any(
        d.path == ("home-manager", "users") for d in st.index.host_definitions(host, "home-manager")
    )


def login_shell(st: PlanState, user: User) -> str:
    for d in user.definitions:
        if d.path[3:] == ("shell",):
            text = d.value_text
            for shell in ("zsh", "fish", "nushell", "bash"):
                if shell in text:
                    return "nushell" if shell == "nushell" else shell
    return darwin.default_shell(st.index, user)


def state_version(st: PlanState) -> str:
    """`home.stateVersion` for a new entry point: the home-manager release the flake
    tracks, when the user first gets home-manager (on master, the newest release homeward
    knows, as `add` writes: one fact, one place). Never a host's `system.stateVersion`:
    that records the NixOS install, which says nothing about the state home-manager keeps
    (DESIGN, rule 8), and on nix-darwin it is an integer."""
    return release_text(st.release)


def _entry_bindings(
    up: UserPlan, home: str, state_version: str | nix.Call | None, hm_package: bool, module: str
) -> tuple[str, str]:
    """The entry's identity (`home` is Nix code) and its last lines (`module`: which of
    home-manager's modules wires the user, as words; `hm_package`: the entry installs the
    home-manager command, which the comment there is about)."""
    identity = identity_bindings(up.user.name, home, state_version)
    tail = nix.emit_binding(("programs", "home-manager", "enable"), True)
    if hm_package:
        tail = nix.emit_bindings(
            [
                nix.Comment(
                    f"Under the {module} programs.home-manager installs nothing: the package above"
                ),
                nix.Comment("keeps the command for `home-manager switch --flake .#<user>@<host>`."),
                (("programs", "home-manager", "enable"), True),
            ]
        )
    return identity, tail
