"""home-manager's NixOS (or nix-darwin) module and its settings, wired into each host's
module list wherever it is written (plan/wiring.py).

In two steps: `plan_lists` decides, reading only, which lists get home-manager's module and
the per-host files wired from a host's own file, as frozen `ListWiring`s, or refuses (raises)
before any text is built; `wire_lists` writes them through the `FlakeEditor`
(`plan/flake.py`), whose edits they add to. `wire_modules` is both, for `add`."""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError
from homeward.model.repo import SHARED_MODULES, ModuleInfo, ModuleKind, SystemConfig
from homeward.plan import darwin
from homeward.plan.homes import standalone_companions
from homeward.plan.nixcode import list_binding, relative_import, splice
from homeward.plan.settings import HomeManagerSettings, HomeUser, settings_module
from homeward.plan.specialargs import standalone_special_args
from homeward.plan.wiring import InputRef, ListSite, Sites, input_ref, list_site
from homeward.syntax.edit import (
    Span,
    add_formal,
    append_to_list,
    insert_binding_spans,
    into_list,
)
from homeward.syntax.find import StepKind, path_literal, priority_written
from homeward.syntax.nodes import (
    node_text,
    unparen,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.plan.flake import FlakeEditor, HomeWiring
    from homeward.syntax.find import Definition


@dataclass(frozen=True, slots=True, eq=False)
class HostFile:
    """A user's per-host file wired from a module only that host imports (its own
    `hosts/<host>/default.nix`): the host, the user, and that module; `whole`: the user's
    home set there as a whole (`home-manager.users.<u> = import ./home.nix;`), which is
    written as the module list it is, the per-host file in it."""

    host: SystemConfig
    user: HomeWiring
    module: ModuleInfo
    whole: Definition | None = None


@dataclass(frozen=True, slots=True, eq=False)
class ListWiring:
    """One module list home-manager's module goes into, as decided before any text is
    written: the list, the hosts built from it (the first one's users are wired there),
    whether other configurations share it (then each user's per-host file is wired from
    `host_files`), whether home-manager's module is there already, and how a list outside
    flake.nix names the input (None: in flake.nix, or not needed)."""

    site: ListSite
    hosts: tuple[str, ...]
    users: tuple[HomeWiring, ...]
    shared: bool
    host_files: tuple[HostFile, ...]
    configured: bool
    ref: InputRef | None


def wire_modules(
    editor: FlakeEditor,
    hosts_users: dict[str, list[HomeWiring]],
    hm: str,
    sites: Sites | None = None,
) -> None:
    """home-manager's NixOS module and its settings, in each host's module list wherever
    it is written (plan/wiring.py); `sites`: computed by the caller already."""
    wire_lists(editor, plan_lists(editor, hosts_users, sites), hm)


def plan_lists(
    editor: FlakeEditor, hosts_users: Mapping[str, Sequence[HomeWiring]], sites: Sites | None
) -> tuple[ListWiring, ...]:
    """Where home-manager's module goes for each host with users to wire, list by list, or
    why it cannot (raised: the refusal, decided before any text). Reads only: `editor` is
    asked, never edited."""
    by_list: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    lists: dict[tuple[str, int, int], tuple[ListSite, SystemConfig]] = {}
    for host_name, ups in hosts_users.items():
        host = editor.repo.hosts[host_name]
        todo = [up for up in ups if host_name not in up.wired]
        if not todo:
            continue
        site = modules_list(host)
        by_list[site.key].append(host_name)
        lists[site.key] = (site, host)
    planned: list[ListWiring] = []
    for key, host_names in by_list.items():
        site, host = lists[key]
        shared = len(host_names) > 1 or editor.list_is_shared(host)
        ups = [up for up in hosts_users[host_names[0]] if host_names[0] not in up.wired]
        host_files: list[HostFile] = []
        if shared:
            names = {
                tuple(sorted(u.name for u in hosts_users[h] if h not in u.wired))
                for h in host_names
            }
            if len(names) > 1:
                raise HomewardError(
                    "hosts built by one helper have different users; homeward cannot wire them in the helper",
                    at=site.location,
                    hint="wire home-manager for these hosts by hand, or give each host its own module list",
                )
            for up in ups:
                # One wiring starts each user's home from one file on every host of the list;
                # a host where they had none starts from its own (`UserPlan.fresh`).
                fresh = sorted(up.fresh & set(host_names))
                wiring = [h for h in host_names if h not in up.wired and up in hosts_users[h]]
                if fresh and len({up.entry_of(h) for h in wiring}) > 1:
                    raise HomewardError(
                        f"hosts built by one helper would start `{up.name}`'s home from "
                        f"different files: they had none on `{fresh[0]}`, where their home is "
                        "that host's own file; homeward cannot wire them in the helper",
                        at=site.location,
                        hint="wire home-manager for these hosts by hand, or give each host "
                        "its own module list",
                    )
            for h in host_names:
                for up in hosts_users[h]:
                    if h in up.per_host and h not in up.wired:
                        other = editor.repo.hosts[h]
                        host_files.append(own_host_file(editor, other, up))
        configured = has_hm_module(editor, host)
        ref = None
        if not configured and site.source is not editor.src:
            # The same input, named in the scope of the file the list is written in.
            own = darwin.own_home_manager(editor, host)
            name = editor.index.hm_input or "home-manager" if own is None else own[0]
            ref = site_ref(editor, site, host_names, sites, name)
        planned.append(
            ListWiring(
                site, tuple(host_names), tuple(ups), shared, tuple(host_files), configured, ref
            )
        )
    return tuple(planned)


def wire_lists(editor: FlakeEditor, lists: Sequence[ListWiring], hm: str) -> None:
    """Each planned list's wiring, written: home-manager's module (unless there already)
    and its settings, and for a shared list each user's per-host file in its host's file."""
    for planned in lists:
        site = planned.site
        host = editor.repo.hosts[planned.hosts[0]]
        for hf in planned.host_files:
            wire_host_file(editor, hf)
        items = []
        if not planned.configured:
            own = darwin.home_manager_ref(editor, host, hm)
            if planned.ref is not None:
                own = site_input_ref(editor, site, planned.ref)
            items.append(f"{own}.{darwin.modules_attr(editor.index, host.name)}.home-manager")
        items.append(
            hm_settings_module(
                editor,
                host,
                list(planned.users),
                planned.shared,
                settings=not has_hm_settings(editor, host),
                site=site,
                hosts=planned.hosts,
            )
        )
        drop: set[int] = set()
        if site.source is editor.src:
            inner = {unparen(e).start_byte: e.start_byte for e in site.node.named_children}
            drop = {inner[start] for start in editor.drop if start in inner}
            editor.drop -= {start for start in editor.drop if start in inner}
        for span in append_to_list(site.node, site.source.text, items, drop=drop):
            editor.edit_in(site.source, span, "wire home-manager's NixOS module")


def site_ref(
    editor: FlakeEditor, site: ListSite, host_names: Sequence[str], sites: Sites | None, name: str
) -> InputRef:
    """How the list at `site` (outside flake.nix) names the input `name`, or why it cannot
    (raised). Reads only."""
    planned = sites is not None and name == (editor.index.hm_input or "home-manager")
    ref = sites.refs.get(site.key) if sites is not None and planned else None
    if ref is None:
        envs = [s.env if (s := list_site(editor.repo.hosts[h])) else None for h in host_names]
        ref = input_ref(editor.repo.ev, envs, site.source, name)
    if ref is None:
        raise HomewardError(
            f"no name for the `{name}` input is in scope in `{site.source.path}`, where the "
            f"module list of host `{host_names[0]}` is written",
            at=site.location,
            hint="make the input reachable there (an `inputs` argument), or wire "
            "home-manager by hand",
        )
    return ref


def site_input_ref(editor: FlakeEditor, site: ListSite, ref: InputRef) -> str:
    """The code that names the input at `site` (`ref`, from `site_ref`); a formal is added
    to the file's function when that is the way (once per function)."""
    if ref.formal is not None:
        where = (str(site.source.path), ref.formals_byte)
        if where not in editor.formals_added:
            editor.formals_added.add(where)
            editor.edit_in(
                site.source, site_formal(site, ref), f"make `{ref.formal}` reachable here"
            )
    return ref.code


def site_formal(site: ListSite, ref: InputRef) -> Span:
    """The formal `ref` adds to the function of the file `site` is written in."""
    assert ref.formal is not None
    formals = site.source.root.descendant_for_byte_range(ref.formals_byte, ref.formals_byte + 1)
    while formals is not None and formals.type != "formals":
        formals = formals.parent
    assert formals is not None
    return add_formal(formals, site.source.text, ref.formal)


def has_hm_settings(editor: FlakeEditor, host: SystemConfig) -> bool:
    """The host already sets home-manager's NixOS options (useGlobalPkgs and so on)."""
    return any(
        d.path[1:2] != ("users",) for d in editor.index.host_definitions(host.name, "home-manager")
    )


def wire_per_host_in_host_file(editor: FlakeEditor, host: SystemConfig, up: HomeWiring) -> None:
    """Hosts built by one helper share their module list: a user's per-host file is wired
    from a module only that host imports (its own `hosts/<host>/default.nix`)."""
    wire_host_file(editor, own_host_file(editor, host, up))


def own_host_file(editor: FlakeEditor, host: SystemConfig, up: HomeWiring) -> HostFile:
    """The module only `host` imports that `up`'s per-host file is wired from (and how), or
    why there is none (raised). Reads only."""
    own = [
        info
        for info in editor.repo.host_modules(host.name)
        if info.path is not None
        and info.hosts == {host.name}
        and info.module.body is not None
        and not info.frozen  # rule 10: left byte-identical
    ]
    if not own:
        raise HomewardError(
            f"`{up.name}`'s configuration differs on `{host.name}`, whose modules are all "
            "shared with other hosts: homeward has no file of that host alone to wire it in",
            at=host.location,
            hint="give the host a file of its own (hosts/<host>/default.nix), then run again",
        )
    # Preferred: a file in a directory named for the host (`host/kara/boot.nix`, not the
    # `host/common/bluetooth.nix` only kara happens to import); last, the hardware file
    # `nixos-generate-config` wrote, which its next run overwrites.
    own.sort(
        key=lambda i: (
            generated_hardware(i),
            host.name not in PurePosixPath(str(i.path)).parts[:-1],
            not str(i.path).startswith("hosts/"),
            str(i.path),
        )
    )
    refused: list[tuple[ModuleInfo, Definition]] = []
    for info in own:
        _, whole = user_imports(info, up.name)
        if whole is None:
            return HostFile(host, up, info)
        # `home-manager.users.<u> = import ./home.nix;`: Nix merges no binding into a value
        # that is not a set written out (`….imports` would be defined twice); another file of
        # the host alone can take it (the module system merges definitions of two files).
        refused.append((info, whole))
    # Else the home is written as the module list it is, where that is the same module.
    reasons = [not_a_module_list(editor, info, whole) for info, whole in refused]
    for (info, whole), reason in zip(refused, reasons, strict=True):
        if reason is None:
            return HostFile(host, up, info, whole)
    found, whole = refused[0]
    raise HomewardError(
        f"`{up.name}`'s home on `{host.name}` is set as a whole in `{found.path}` "
        f"(`{'.'.join(whole.path)} = …`), and {reasons[0]}: homeward cannot add "
        f"`{up.name}`'s own files beside it there, and no other file of `{host.name}` alone "
        "can take them",
        at=whole.source.location(whole.value.start_byte),
        hint=f"write it as `home-manager.users.{up.name}.imports = [ … ];`, then run again",
    )


def generated_hardware(info: ModuleInfo) -> bool:
    """The file is a machine's hardware configuration as `nixos-generate-config` writes it
    (its name, or the header it writes: "Do not modify this file! ... may be overwritten")."""
    if info.path is not None and PurePosixPath(str(info.path)).name == "hardware-configuration.nix":
        return True
    head = info.source.text[:400]
    return b"nixos-generate-config" in head and b"Do not modify" in head


def not_a_module_list(editor: FlakeEditor, info: ModuleInfo, whole: Definition) -> str | None:
    """Why the home that `whole` sets as a whole is not the same written as a module list
    (`home-manager.users.<u>.imports = [ ./home.nix ];`), or None: it is a bare `import` of a
    file, or the file's path (as home-manager's manual writes it), outside any condition,
    merge or priority. `import ./home.nix` is the module the path names: the module system
    imports a path in `imports` and reads the value as it reads that one. What differs is
    its key, the path: a file imported twice by path is read once. So the file must be
    imported by path nowhere else."""
    text = whole.source.text
    binding = whole.binding
    value = binding.child_by_field_name("expression") if binding.type == "binding" else None
    written = node_text(value, text) if value is not None else whole.dotted
    first = written.splitlines()[0] if written else ""
    shown = first if len(first) <= 60 and first == written else f"{first[:57]}…"
    if len(whole.path) != 3:
        return f"`{shown}` sets every user's home at once"
    inner = only_parentheses(value, text) if value is not None else None
    target = bare_import(inner, text) if inner is not None else None
    literal = path_literal(target, text) if target is not None else None
    if value is None or literal is None or whole.value.start_byte != value.start_byte:
        return f"`{shown}` is not a bare `import` of a file"
    if any(s.kind in _NOT_A_MODULE_LIST for s in whole.steps):
        return f"`{shown}` is set under a condition or a priority"
    assert info.path is not None
    path = PurePosixPath(posixpath.normpath(str(PurePosixPath(info.path).parent / literal)))
    for key in (str(path), str(path / "default.nix")):
        module = editor.repo.modules.get(key)
        shared = [c for c in module.frozen if c.startswith(SHARED_MODULES)] if module else []
        if shared:
            return (
                f"`{literal}` is in {shared[0]} too, where the module system would read it "
                "once (its key is the path)"
            )
    if editor.index.importers(path) or editor.index.importers(path / "default.nix"):
        return (
            f"`{literal}` is imported by path elsewhere too, where the module system would "
            "read it once"
        )
    return None


# What a home set as a whole may not sit under to be the same as a module list.
_NOT_A_MODULE_LIST = (StepKind.IF, StepKind.MERGE, StepKind.WRAP)


def only_parentheses(value: Node, text: bytes) -> Node | None:
    """`value` without the parentheses around it (`(import ./home.nix)` is `import
    ./home.nix`), or None where a comment sits inside them (the rewrite would drop it)."""
    inner = unparen(value)
    before = text[value.start_byte : inner.start_byte].decode()
    after = text[inner.end_byte : value.end_byte].decode()
    if before.replace("(", "").strip() or after.replace(")", "").strip():
        return None
    return inner


def bare_import(value: Node, text: bytes) -> Node | None:
    """The path of `import <path>`, or the path itself; None for anything else."""
    if value.type == "path_expression":
        return value
    if value.type != "apply_expression":
        return None
    function = value.child_by_field_name("function")
    argument = value.child_by_field_name("argument")
    if function is None or argument is None or function.type != "variable_expression":
        return None
    if node_text(function, text) != "import" or argument.type != "path_expression":
        return None
    return argument


def user_imports(info: ModuleInfo, user: str) -> tuple[Node | None, Definition | None]:
    """In the module `info`: the list of `home-manager.users.<user>.imports = [ … ];` (the
    per-host file joins it), and a definition of that path or a part of it by a value that
    is not a set or list written out (`home-manager.users.<user> = import ./home.nix;`: no
    binding can go beside it)."""
    line = ("home-manager", "users", user, "imports")
    found = None
    for d in info.module.definitions:
        if not d.path:
            continue  # an empty module (`{ }`) defines nothing, the home least of all
        if d.path == line and unparen(d.value).type == "list_expression":
            found = unparen(d.value)
        elif d.path == line[: len(d.path)]:
            return None, d
    return found, None


def refuse_priority_homes(editor: FlakeEditor, up: HomeWiring) -> None:
    """Refuses (raises) when a host of `up` sets the user's home as a whole with a priority
    (`home-manager.users.<u> = lib.mkForce (import ./home.nix);`): the module system keeps
    only the definitions of the highest priority, so the home migrate wires for the user
    beside it (their packages, their per-host file) would be dropped, or would drop it
    (`lib.mkDefault`). Reads only."""
    for host in up.hosts:
        facts = editor.index.hosts.get(host)
        for d in facts.hm_users.get(up.name, ()) if facts is not None else ():
            update = whole_update(d)
            if update is not None:
                raise HomewardError(
                    f"`{up.name}`'s home on `{host}` is set in `{d.source.path}` as an update "
                    f"of attribute sets (`{update}`): Nix merges `//` shallowly (the right "
                    "set's names replace the left's), not as the module system merges "
                    f"modules, so homeward cannot add `{up.name}`'s own files to it",
                    at=d.source.location(d.value.start_byte),
                    hint=f"write it as `home-manager.users.{up.name}.imports = [ … ];`, each "
                    "side a module of the list, then run again",
                )
            wrapper = whole_priority(d)
            if wrapper is None:
                continue
            raise HomewardError(
                f"`{up.name}`'s home on `{host}` is set with a priority in `{d.source.path}` "
                f"(`{wrapper}`): the module system keeps only the definitions of "
                f"`home-manager.users.{up.name}` with the highest priority, so what migrate "
                f"adds for `{up.name}` beside it would be dropped, or would drop it",
                at=d.source.location(d.value.start_byte),
                hint="set the priority on the options inside the home instead, then run again",
            )


def whole_update(d: Definition) -> str | None:
    """`home-manager.users.<u> = import ./home.nix // { … };` (or `home-manager.users`): the
    text, shortened, where `d` sets it as a whole with `//`; else None."""
    value = unparen(d.value)
    if len(d.path) > 3 or value.type != "binary_expression":
        return None
    operator = value.child_by_field_name("operator")
    if operator is None or node_text(operator, d.source.text) != "//":
        return None
    written = node_text(value, d.source.text)
    first = written.splitlines()[0]
    return first if len(first) <= 60 and first == written else f"{first[:57]}…"


def whole_priority(d: Definition) -> str | None:
    """The function giving `home-manager.users.<u>` (or `home-manager.users`) a priority
    as a whole where `d` is written (`lib.mkForce (import ./home.nix)`, `lib.mkDefault { … }`),
    or None."""
    found = priority_written(d)
    return found[1] if found is not None and found[0] <= 3 else None


def per_host_import(hf: HostFile) -> str:
    """The user's per-host file, as the host's own module imports it."""
    assert hf.module.path is not None
    return relative_import(hf.user.per_host[hf.host.name], PurePosixPath(hf.module.path).parent)


def host_file_line(hf: HostFile) -> str:
    """The binding that imports the user's per-host file from the host's own module."""
    return list_binding(("home-manager", "users", hf.user.name, "imports"), [per_host_import(hf)])


def host_file_spans(hf: HostFile) -> list[Span]:
    """What the per-host file's wiring writes in the host's own module, by span: the home
    set as a whole there written as a module list with the per-host file in it; or it joins
    `home-manager.users.<u>.imports = [ … ];` there, else a binding of its own goes in.
    `check` reads these places (`wire_places`), migrate their text."""
    info = hf.module
    assert info.path is not None and info.module.body is not None
    if hf.whole is not None:
        return module_list_spans(hf.whole, per_host_import(hf))
    imports, _ = user_imports(info, hf.user.name)
    if imports is not None:
        return append_to_list(imports, info.source.text, [per_host_import(hf)])
    line = host_file_line(hf)
    return insert_binding_spans(info.module.body, info.source.text, line, blank_before=True)


def module_list_spans(whole: Definition, item: str) -> list[Span]:
    """`home-manager.users.<u> = import ./home.nix;` (or `= ./home.nix;`) written as
    `home-manager.users.<u>.imports = [ ./home.nix <item> ];`, one element a line, as nixfmt
    writes a list of several, in the file's indentation. Only the name's end, `import` and
    the list's ends are edited: comments around them stay."""
    text = whole.source.text
    binding = whole.binding
    attrpath = binding.child_by_field_name("attrpath")
    written = whole.value
    value = unparen(written)  # parentheses around it (`only_parentheses`) go
    assert attrpath is not None
    opening = (written.start_byte, value.start_byte)  # the path itself
    if value.type == "apply_expression":
        function = value.child_by_field_name("function")
        argument = value.child_by_field_name("argument")
        assert function is not None and argument is not None
        gap = text[function.end_byte : argument.start_byte]
        space = len(gap) - len(gap.lstrip())  # up to a comment, if any
        opening = (written.start_byte, function.end_byte + space)
    closing = (
        [Span(value.end_byte, written.end_byte, b"")] if written.end_byte > value.end_byte else []
    )
    return [
        Span(attrpath.end_byte, attrpath.end_byte, b".imports"),
        *into_list(text, binding.start_byte, opening, written.end_byte, [item]),
        *closing,
    ]


def wire_host_file(editor: FlakeEditor, hf: HostFile) -> None:
    assert hf.module.path is not None
    why = f"{hf.user.name}'s home on {hf.host.name}"
    path = Path(hf.module.path)
    editor.other_edits.extend(splice(path, span, why) for span in host_file_spans(hf))


def has_hm_module(editor: FlakeEditor, host: SystemConfig) -> bool:
    """home-manager's NixOS module is in the host's list or imported by one of its modules."""
    refs = [
        *host.modules,
        *(r for info in editor.index.hosts[host.name].modules for r in info.imports),
    ]
    return any(
        r.kind is ModuleKind.EXTERNAL
        and "home-manager" in r.label
        and darwin.modules_attr(editor.index, host.name) in r.label
        for r in refs
    )


def modules_list(host: SystemConfig) -> ListSite:
    site = list_site(host)
    if site is None:
        raise HomewardError(
            f"cannot find the module list of host `{host.name}`",
            at=host.location,
            hint="homeward adds home-manager's NixOS module to a `modules = [ ... ];` list",
        )
    return site


def hm_settings_module(
    editor: FlakeEditor,
    host: SystemConfig,
    ups: list[HomeWiring],
    shared: bool,
    *,
    settings: bool = True,
    site: ListSite | None = None,
    hosts: Sequence[str] = (),
) -> str:
    """The module that configures home-manager on a host; with `settings=False` (the host
    sets them already) only the users' entry points. `site`: the list it goes in (its
    file's directory is where the imports are written from); `hosts`: every host that
    reads that list."""
    source = site.source if site is not None else editor.src
    here = site.directory if site is not None else PurePosixPath(".")
    own = sorted(up.name for up in ups if editor.index.home_sets_nixpkgs(up.name))
    if settings and own:
        # Why: with useGlobalPkgs, home-manager rejects (or ignores, with a warning) a home
        # configuration that sets `nixpkgs.*` (its modules/misc/nixpkgs-disabled.nix).
        editor.diagnostics.append(
            Diagnostic(
                Severity.WARNING,
                f"`home-manager.useGlobalPkgs` is left off on `{host.name}`: the home "
                f"configuration of {', '.join(f'`{n}`' for n in own)} sets `nixpkgs.*`, "
                "which home-manager does not allow with the host's packages",
                host.location,
                hint="move those settings to the host's `nixpkgs.*`, then set "
                "`home-manager.useGlobalPkgs = true;`",
            )
        )
    special = None
    if settings:
        special = editor.special_args_text(host, source)
        for up in ups:
            # A home reused from a standalone configuration reads its `extraSpecialArgs`
            # (issue 11: `inputs` was missing, and the host no longer evaluated).
            theirs = standalone_special_args(editor, up.name, host.name, source, hosts)
            if theirs is not None and theirs != special:
                special = theirs if special is None else f"{special} // {theirs}"
    users = []
    for up in ups:
        entry = up.entry_of(host.name)
        modules = [relative_import(entry, here)]
        companions, left_out = standalone_companions(editor.repo, up.name, host.name, entry)
        modules += [relative_import(f, here) for f in companions]
        for ref in left_out:
            editor.diagnostics.append(
                Diagnostic(
                    Severity.WARNING,
                    f"home-manager's module on `{host.name}` reads the files of `{up.name}`'s "
                    "standalone configuration there, but not "
                    f"`{ref.label or 'an inline module'}`, which is no file of the repository",
                    ref.location or host.location,
                    hint=f"add it to `home-manager.users.{up.name}.imports` on the host",
                )
            )
        per_host = up.per_host.get(host.name)  # a fresh host's is its entry
        if not shared and per_host not in (None, entry):
            modules.append(relative_import(per_host, here))
        users.append(HomeUser(up.name, tuple(modules)))
    return settings_module(
        HomeManagerSettings(
            tuple(users),
            editor.backup_extension,
            settings=settings,
            global_pkgs=not own,
            special_args=special,
            system=tuple(
                darwin.settings_options(
                    editor.index, host, [up.name for up in ups], editor.diagnostics
                )
            ),
        )
    )
