"""The standalone `homeConfigurations."<user>@<host>"` entries: one builder on the `syntax/emit`
tree, shared by `migrate` and `add`."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError
from homeward.knowledge.inputs import SharedHome, shared_home
from homeward.model.repo import ModuleKind, ModuleRef, SystemConfig
from homeward.model.values import ListValue
from homeward.plan import darwin
from homeward.plan.flake import outputs_prefix
from homeward.plan.nixcode import relative_import
from homeward.plan.specialargs import portable, portable_special_args
from homeward.plan.types import Edit
from homeward.plan.wiring import ListSite, list_site, named_lists
from homeward.syntax import emit as nix
from homeward.syntax.edit import (
    append_to_list,
    indent_at,
    insert_binding,
    insert_binding_spans,
    is_multiline,
    reindent,
)
from homeward.syntax.emit import attr_key as _key
from homeward.syntax.find import StepKind
from homeward.syntax.nodes import node_text, unparen

if TYPE_CHECKING:
    from homeward.errors import Location
    from homeward.model.index import Index
    from homeward.plan.flake import FlakeEditor, HomeWiring


def add_home_configurations(ed: FlakeEditor, users: list[HomeWiring], hm: str) -> None:
    entries: list[tuple[str, str]] = []
    built: list[tuple[str, SystemConfig]] = []
    for up in users:
        if up.inline or up.entry_args:
            # The planner said why (a home written inside a NixOS module, or one made by
            # calling the entry file with arguments only the NixOS wiring passes).
            continue
        for host_name in up.hosts:
            host = ed.repo.hosts[host_name]
            try:
                with ed.attempt():  # what a refused entry asked for is not written
                    code = home_configuration(ed, up, host, hm)
            except HomewardError as why:
                # One host's standalone entry, not the run (docs/architecture.md, rule 9).
                ed.diagnostics.append(
                    Diagnostic(
                        Severity.WARNING,
                        f'no `homeConfigurations."{up.name}@{host_name}"`: {why.message}',
                        why.at,
                        hint=why.hint or "",
                    )
                )
                continue
            entries.append((f"{up.name}@{host_name}", code))
            built.append((f"{up.name}@{host_name}", host))
    if not entries:
        return
    anchor, container, dotted = ed.nixos_configurations_binding()
    if anchor is None and any(h.call.source is not ed.src for h in ed.repo.hosts.values()):
        # The hosts come from a file flake.nix only imports (a flake-parts module):
        # where flake.nix's own outputs are is not known; never a guess.
        names = ", ".join(f'`homeConfigurations."{n}"`' for n, _ in entries)
        ed.diagnostics.append(
            Diagnostic(
                Severity.WARNING,
                f"no {names}: `nixosConfigurations` is not written in flake.nix, and "
                "homeward does not know where the standalone configurations would go",
                ed.src.location(ed.fn.start_byte if ed.fn is not None else 0),
                hint="add them next to `nixosConfigurations` by hand",
            )
        )
        return
    ed.diagnostics.extend(input_home_warnings(ed.index, built))
    prefix = outputs_prefix(ed)  # `flake.` in a flake-parts module, beside its hosts
    if dotted:
        code = nix.emit_bindings(
            [((*prefix, "homeConfigurations", n), nix.Raw(c)) for n, c in entries]
        )
    else:
        homes = nix.Attrs([(n, nix.Raw(c)) for n, c in entries], expand=True)
        code = nix.emit_binding(
            (*prefix, "homeConfigurations") if prefix else "homeConfigurations", homes
        )
    if is_multiline(container, ed.src.text):
        span = insert_binding(container, ed.src.text, code, after=anchor, blank_before=True)
        ed.edit(span, "add standalone homeConfigurations")
        return
    # A one-line set (`{ nixosConfigurations.box = ...; }`) is expanded around its
    # bindings only: the wiring edits inside them must not overlap (corpus class 9).
    for span in insert_binding_spans(container, ed.src.text, code, blank_before=True):
        ed.edit(span, "add standalone homeConfigurations")


def input_home_warnings(
    index: Index, built: Sequence[tuple[str, SystemConfig]]
) -> list[Diagnostic]:
    """One warning for each import of an input's system module that adds home-manager
    modules to every home of the host (`knowledge/inputs.py`: stylix, niri-flake), naming the
    new standalone entries of the hosts that read it: the entry does not read the host's
    `home-manager.sharedModules`, and homeward does not read inputs (rule 9)."""
    repo = index.repo
    if not any(shared_home(i.name, i.url) for i in repo.inputs.values()):
        return []  # (most flakes: no module is looked at)
    found: dict[tuple[str, str], tuple[ModuleRef, Location, str, SharedHome, list[str]]] = {}
    for entry, host in built:
        refs = [*host.modules]
        for info in index.hosts[host.name].modules:
            refs.extend(info.imports)
        for ref in refs:
            if ref.kind is not ModuleKind.EXTERNAL:
                continue
            written, dot, rest = (
                ref.label.removeprefix("self.").removeprefix("inputs.").partition(".")
            )
            what = rest.split(".", 1)[0]
            flake_input = repo.inputs.get(written)
            if not dot or what not in ("nixosModules", "darwinModules") or flake_input is None:
                continue
            adds = shared_home(flake_input.name, flake_input.url)
            if adds is None:
                continue
            head = ref.label[: ref.label.index(f".{what}.")]
            at = _written_at(ref)
            if at is None:
                continue
            key = (flake_input.name, str(at))
            entries = found.setdefault(key, (ref, at, head, adds, []))[4]
            if entry not in entries:
                entries.append(entry)
    warnings: list[Diagnostic] = []
    for ref, at, head, adds, entries in found.values():
        names = " and ".join(f'`homeConfigurations."{e}"`' for e in entries)
        system = "NixOS" if ".nixosModules." in ref.label else "nix-darwin"
        module = f"`{head}.{adds.home_module}`"
        warnings.append(
            Diagnostic(
                Severity.WARNING,
                f"{names} may lack what `{ref.label}` adds to every home on "
                f"{'its host' if len(entries) == 1 else 'their hosts'}: "
                f"{adds.name}'s {system} module adds home-manager modules through "
                "`home-manager.sharedModules`, which a standalone configuration does not read",
                at,
                hint=f"add {module} to the `modules` of {names} (and what else the input's "
                "documentation says its home module needs), then check that it builds",
            )
        )
    return warnings


def _written_at(ref: ModuleRef) -> Location | None:
    """Where the module `ref` is written: the start of `a.b.c`, whose last name the model
    may hold."""
    node, source = ref.node, ref.source
    if node is None or source is None:
        return ref.location
    while node.parent is not None and node.parent.type in ("attrpath", "select_expression"):
        node = node.parent
    return source.location(node.start_byte)


@dataclass(frozen=True, slots=True)
class KeptList:
    """An existing standalone configuration's module list (`list_site`: in flake.nix or
    another file of the repository) and the imports of the files it gets (the user's new
    entry, the per-host file), written from that file's directory."""

    site: ListSite
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unread:
    """An existing standalone configuration left without the per-host file its NixOS home
    reads, because its list cannot take it (`why`, at `at`); the file holds no definition
    moved for that user on that host, only what migrate adds (the home-manager command)."""

    name: str  # the configuration: `<user>@<host>`
    paths: tuple[PurePosixPath, ...]  # the files it would read: the new entry, the per-host file
    why: str
    at: Location | None
    # The configurations its list builds (a helper's list: itself and the others, as shown);
    # () when it has no list written in the repository. Several left at one list are said once.
    builds: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KeptLists:
    """What the existing standalone configurations get (`kept_lists`)."""

    lists: tuple[KeptList, ...] = ()
    unread: tuple[Unread, ...] = ()


def kept_lists(
    ed: FlakeEditor, users: Sequence[HomeWiring], moved: Callable[[], Collection[tuple[str, str]]]
) -> KeptLists:
    """The module lists of existing `homeConfigurations."<user>@<host>"` that start from the
    file a per-host file goes beside (plan/wire.beside_entry: an entry that stays), each with
    that per-host file's import: both wirings must read it (rule 13), and the NixOS module's
    does. The list is the one its `modules` is written with (the last list literal of a `++`
    chain, one bound by `let`, one in another file of the repository). When there is none,
    or it builds another configuration too (a helper's, `FlakeEditor.list_is_shared`), one
    user's file cannot go there: when definitions of that user on that host moved (`moved`:
    the (host, user) pairs whose definitions go to home files, (host, "") for any user),
    HomewardError (exit 3, before anything is written); else the configuration is left as it
    was (`Unread`, said)."""
    lists: list[KeptList] = []
    unread: list[Unread] = []
    pairs: Collection[tuple[str, str]] | None = None
    for up in users:
        for host in sorted({*up.hosts, *up.per_host}):
            name = f"{up.name}@{host}"
            config = ed.repo.homes.get(name)
            if config is None:
                continue
            wanted = _not_read(ed, up, host, config)
            if not wanted:
                continue
            site = list_site(config)
            if site is not None and ed.list_is_shared(config):
                site = given_list(ed, config, site) or site
            if site is not None and not ed.list_is_shared(config, site):
                items = tuple(relative_import(p, site.directory) for p in wanted)
                lists.append(KeptList(site, items))
                continue
            why, at, builds = _unextended(ed, name, config, site)
            if pairs is None:
                pairs = moved()
            if (host, up.name) in pairs or (host, "") in pairs:
                shown = ", ".join(f"`{p}`" for p in wanted)
                raise HomewardError(
                    f'homeward cannot add {shown} to `homeConfigurations."{name}"`: {why}',
                    at=at,
                    hint=f'build `homeConfigurations."{name}"` from a module list of its own '
                    "(its own `modules = [ ... ];`, or one its helper is given), then run again",
                )
            unread.append(Unread(name, wanted, why, at, builds))
    return KeptLists(tuple(lists), tuple(unread))


def _not_read(
    ed: FlakeEditor, up: HomeWiring, host: str, config: SystemConfig
) -> tuple[PurePosixPath, ...]:
    """What the NixOS home of `up` on `host` will read that the existing standalone
    configuration does not: the per-host file beside an entry it reads, or a new entry (one
    no configuration reads yet: `mkHome "ann" [ ]`, `modules = [ ]`, a list of modules
    written in place) with its per-host file. An existing entry it does not read is not
    this function's (left as it is)."""
    files = {PurePosixPath(ref.path) for ref in config.modules if ref.path is not None}
    entry = up.entry_of(host)
    wanted: list[PurePosixPath] = []
    if entry not in files:
        if str(entry) in ed.repo.modules:
            return ()
        wanted.append(entry)
    path = up.per_host.get(host)
    if path is not None and path not in files and path != entry:
        wanted.append(path)
    return tuple(wanted)


def given_list(ed: FlakeEditor, config: SystemConfig, shared: ListSite) -> ListSite | None:
    """The list literal a helper is given for this configuration alone, when the list its
    `modules` ends with is the helper's (`mkHome = user: modules: … { modules = [ … ] ++
    modules; }` called with `[ ./home/shared ]`): the last literal its modules come from
    that no other configuration's do, written in the repository. None: there is none (an
    empty list given holds no module to find it by)."""
    value = config.modules_value
    if not isinstance(value, ListValue):
        return None
    found: ListSite | None = None
    for thunk in value.items:
        parent = thunk.expr.parent if thunk.expr is not None else None
        source = thunk.source
        if parent is None or source is None or parent.type != "list_expression":
            continue
        site = ListSite(source, parent, None)
        if site.key != shared.key and _in_repository(site):
            found = site
    if found is None:
        # An empty list given holds no module to find it by: the one the helper's argument
        # stands for (`mkHome "ann" [ ]`), the last of its chain.
        named = [s for s in named_lists(config, ed.repo.ev) if s.key != shared.key]
        found = next((s for s in reversed(named) if _in_repository(s)), None)
    if found is None or ed.list_is_shared(config, found):
        return None
    return found


def _in_repository(site: ListSite) -> bool:
    """The list is written in a file of the repository (never edited elsewhere, rule 12)."""
    where = PurePosixPath(site.source.path)
    return not where.is_absolute() and ".." not in where.parts


def _unextended(
    ed: FlakeEditor, name: str, config: SystemConfig, site: ListSite | None
) -> tuple[str, Location | None, tuple[str, ...]]:
    """Why `homeConfigurations.<name>`'s module list cannot take a per-host file, where, and
    the configurations that list builds, shown (`kept_lists`)."""
    if site is None:
        value = config.modules_value
        at = (
            value.source.location(value.node.start_byte)
            if value.node is not None and value.source is not None
            else config.location
        )
        return "its `modules` is not a list written in the repository", at, ()
    built = sorted(
        other
        for other, config in (*ed.repo.homes.items(), *ed.repo.hosts.items())
        if (found := list_site(config)) is not None and found.key == site.key
    )
    shown = [f'`homeConfigurations."{o}"`' if o in ed.repo.homes else f"host `{o}`" for o in built]
    others = ", ".join(s for o, s in zip(built, shown, strict=True) if o != name)
    why = f"its module list in `{site.source.path}` also builds {others} (a helper's list)"
    return why, site.location, tuple(shown)


def extend_kept_lists(ed: FlakeEditor, kept: KeptLists) -> None:
    """Each existing standalone configuration a per-host file belongs to reads it
    (`kept_lists`), in the file its list is written in; one left without it is said."""
    for planned in kept.lists:
        site = planned.site
        for span in append_to_list(site.node, site.source.text, list(planned.items)):
            ed.edit_in(
                site.source, span, "import the per-host file in the standalone configuration"
            )
    groups: dict[object, list[Unread]] = {}
    for left in kept.unread:
        # One warning per helper's list, however many of its configurations are left.
        key = (left.at, left.builds) if left.builds else id(left)
        groups.setdefault(key, []).append(left)
    for group in groups.values():
        ed.diagnostics.append(_unread_warning(group))


def _unread_warning(group: Sequence[Unread]) -> Diagnostic:
    """The warning for standalone configurations left as they were at one list."""
    left = group[0]
    if len(group) == 1:
        shown = ", ".join(f"`{p}`" for p in left.paths)
        return Diagnostic(
            Severity.WARNING,
            f'`homeConfigurations."{left.name}"` is left as it was, without {shown}, '
            f"which its NixOS home reads (no moved definition, what migrate adds): {left.why}",
            left.at,
            hint=f"list {shown} in its modules by hand for the same home both ways",
        )
    names = ", ".join(f'`homeConfigurations."{u.name}"`' for u in group)
    files = ", ".join(f"`{p}`" for u in group for p in u.paths)
    where = f" in `{left.at.path}`" if left.at is not None else ""
    return Diagnostic(
        Severity.WARNING,
        f"{names} are left as they were, without the files their NixOS homes read ({files}; "
        f"no moved definition, what migrate adds): their module list{where} builds "
        f"{', '.join(left.builds)} (a helper's list)",
        left.at,
        hint="list each configuration's file in its modules by hand (a list of its own) for "
        "the same home both ways",
    )


def kept_list_places(kept: KeptLists) -> list[Edit]:
    """Where `extend_kept_lists` writes, without its text (what `check` reads)."""
    return [
        Edit(Path(planned.site.source.path), span.start_byte, span.end_byte, b"", "")
        for planned in kept.lists
        for span in append_to_list(
            planned.site.node, planned.site.source.text, [""] * len(planned.items)
        )
    ]


def builds_an_entry(ed: FlakeEditor, users: Sequence[HomeWiring], hm: str) -> bool:
    """Whether `add_home_configurations` writes any entry (one host's that cannot be built is
    left out, said): tried until one builds, on an editor kept for asking (`ed` may change)."""
    for up in users:
        if up.inline or up.entry_args:
            continue
        for host_name in up.hosts:
            try:
                home_configuration(ed, up, ed.repo.hosts[host_name], hm)
            except HomewardError:
                continue
            return True
    return False


def home_configuration(
    ed: FlakeEditor, up: HomeWiring, host: SystemConfig, hm: str, modules: list[str] | None = None
) -> str:
    """`homeConfigurations."<user>@<host>"`: the host's package set and arguments, the
    user's entry (and per-host file), or `modules` as given."""
    if ed.custom_pkgs(host):
        # Overlays or a nixpkgs config beyond allowUnfree: the host's own package set.
        attr = darwin.configurations_attr(ed.index, host.name)
        pkgs = nix.Raw(f"{ed.self_ref()}.{attr}.{_key(host.name)}.pkgs")
        return home_configuration_with(ed, up, host, hm, pkgs, modules)
    system = ed.host_system(host)
    nixpkgs = ed.input_ref(ed.nixpkgs_name(host))
    unfree = ed.allows_unfree(host)
    return home_configuration_with(
        ed, up, host, hm, package_set(nixpkgs, system, unfree=unfree), modules
    )


def home_configuration_with(
    ed: FlakeEditor,
    up: HomeWiring,
    host: SystemConfig,
    hm: str,
    pkgs: object,
    modules: list[str] | None = None,
) -> str:
    special = portable_special_args(ed, host)
    extra = special
    if host.name in up.osconfig_hosts:
        self_ref = ed.self_ref()
        attr = darwin.configurations_attr(ed.index, host.name)
        config = nix.Raw(f"{self_ref}.{attr}.{_key(host.name)}.config")
        osconfig: nix.Item = ("osConfig", config)
        written = special.strip() if special is not None else ""
        if written.startswith("{") and written.endswith("}"):
            # The host's set as written, with `osConfig` added (its bindings copied).
            inner = reindent(written[1:-1].strip(), "  ", "")
            copied: list[nix.Item] = [nix.Raw(inner)] if inner else []
            extra = nix.emit(nix.Attrs([*copied, osconfig], expand=True))
        elif special is not None:
            extra = nix.emit(nix.Update([nix.Raw(special), nix.Attrs([osconfig])]))
        else:
            extra = nix.emit(nix.Attrs([osconfig]))
    if modules is None:
        starts = [up.entry_of(host.name)]
        if up.per_host.get(host.name, starts[0]) != starts[0]:
            starts.append(up.per_host[host.name])
        starts += wired_beside(ed, up.name, host.name, starts)
        modules = [relative_import(path, PurePosixPath(".")) for path in starts]
    modules = [*modules, *shared_modules(ed, host)]
    own = darwin.home_manager_ref(ed, host, hm)
    return home_configuration_entry(own, pkgs, extra, modules)


def shared_modules(ed: FlakeEditor, host: SystemConfig) -> list[str]:
    """The modules the host's `home-manager.sharedModules` adds to every home of its NixOS
    wiring (a flake's home-manager module declaring options the home sets): the standalone
    configuration lists them too, or the home no longer evaluates there. Each as written in
    flake.nix, where every name it reads means the same beside `homeConfigurations`; else
    the host gets no standalone configuration (raised: the caller warns)."""
    found: list[str] = []
    for d in ed.index.host_definitions(host.name, "home-manager"):
        if d.path[:2] != ("home-manager", "sharedModules"):
            continue
        value = unparen(d.value)
        if (
            d.path != ("home-manager", "sharedModules")
            or d.source is not ed.src
            or value.type != "list_expression"
            or any(s.kind in (StepKind.IF, StepKind.MERGE, StepKind.WRAP) for s in d.steps)
            or not portable(ed, value)
        ):
            raise HomewardError(
                f"the `home-manager.sharedModules` of host `{host.name}` cannot be written "
                "beside `homeConfigurations`, and the home may need what they declare",
                at=d.source.location(d.value.start_byte),
                hint="write the list in flake.nix with names `outputs` binds, or add the "
                "standalone configuration by hand with the same modules",
            )
        text = d.source.text
        for item in value.named_children:
            if item.type != "comment":
                found.append(reindent(node_text(item, text), indent_at(text, item.start_byte), ""))
    return found


def wired_beside(
    ed: FlakeEditor, user: str, host: str, starts: Sequence[PurePosixPath]
) -> list[PurePosixPath]:
    """The home files a NixOS module of `host` wires for `user` beside the ones the new
    standalone configuration starts from (`home-manager.users.kim.imports = [ ./home.nix
    ./identity.nix ]`), that those do not import: the standalone one reads them too (rule
    13: both wirings of a host read the same files; the plan's check refused it, exit 4)."""
    roots = [
        PurePosixPath(info.path)
        for info in ed.index.wired_homes.get(user, ())
        if info.path is not None and (host, user) in info.pairs
    ]
    if not roots:
        return []
    children = ed.repo.children
    seen = {str(path) for path in starts}
    todo = list(seen)
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return [path for path in roots if str(path) not in seen]


def package_set(nixpkgs: str, system: str, *, unfree: bool) -> object:
    """The `pkgs` of a standalone configuration: nixpkgs' packages for `system` (imported with
    allowUnfree when the host allows unfree packages)."""
    if unfree:
        config = nix.Attrs([("system", system), (("config", "allowUnfree"), True)])
        return nix.Call(f"import {nixpkgs}", [config])
    return nix.Raw(f"{nixpkgs}.legacyPackages.{system}")


def home_configuration_entry(
    hm: str, pkgs: object, special_args: str | None, modules: Sequence[str]
) -> str:
    """`<hm>.lib.homeManagerConfiguration { ... }`: the one builder of a `homeConfigurations`
    entry, for `migrate` and `add` alike. `pkgs` is a `syntax.emit` value; `special_args`
    and `modules` are Nix code (import paths)."""
    items: list[tuple[nix.Key, object]] = [("pkgs", pkgs)]
    if special_args is not None:
        items.append(("extraSpecialArgs", nix.Raw(special_args)))
    items.append(("modules", [nix.Raw(m) for m in modules]))
    return nix.emit(nix.Call(f"{hm}.lib.homeManagerConfiguration", [nix.Attrs(items)]))
