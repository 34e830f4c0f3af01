"""The wire phase: edits of flake.nix, shared by `migrate` and `add`.

The home-manager input and the outputs' arguments, home-manager's NixOS module and its
settings on each host (in the host's module list, a helper's list, or the host's own file),
and the standalone `homeConfigurations."<user>@<host>"` entries. What to wire comes in as data
(`HomeWiring`, one per user); the editor reads the index and returns edits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError
from homeward.model.index import Index
from homeward.model.repo import Context, ModuleKind, SystemConfig, host_nixpkgs, hosts_nixpkgs
from homeward.model.values import Attrs, External, ListValue, Str
from homeward.plan import darwin
from homeward.plan.nixcode import indent, list_binding, relative_import, splice
from homeward.plan.types import Edit
from homeward.syntax import emit as nix
from homeward.syntax.edit import (
    Span,
    add_formal,
    append_to_list,
    insert_binding,
    insert_binding_spans,
)
from homeward.syntax.emit import quote_string
from homeward.syntax.find import Definition, function_formals
from homeward.syntax.nodes import bindings_of, node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

BACKUP_EXTENSION = "hm-backup"

HM_URL = "github:nix-community/home-manager"
# Outputs of hosts: `homeConfigurations` goes after the last of them.
SYSTEM_OUTPUTS = ("nixosConfigurations", "darwinConfigurations")


def hm_branch(nixpkgs_url: str | None) -> str:
    """home-manager tracks the nixpkgs branch: nixos-24.11 (or a Mac's nixpkgs-24.11-darwin)
    -> release-24.11, else master."""
    match = re.search(r"(?:nixos|nixpkgs)-(\d\d\.\d\d)", nixpkgs_url or "", re.IGNORECASE)
    return f"release-{match[1]}" if match else "master"


def hm_url_branch(url: str | None) -> str:
    """The branch a home-manager input URL names: `release-25.05`, else master."""
    match = re.search(r"release-(\d\d\.\d\d)", url or "", re.IGNORECASE)
    return f"release-{match[1]}" if match else "master"


def hm_url(nixpkgs_url: str | None) -> str:
    branch = hm_branch(nixpkgs_url)
    return HM_URL if branch == "master" else f"{HM_URL}/{branch}"


@dataclass(frozen=True, slots=True)
class HomeWiring:
    """What the flake must wire for one user: the wire phase's input."""

    name: str  # the user
    hosts: tuple[str, ...]  # the hosts that have the account
    entry: PurePosixPath  # the home-manager entry point
    per_host: Mapping[str, PurePosixPath] = field(default_factory=dict)  # host -> its own file
    wired: frozenset[str] = frozenset()  # hosts already wired through the NixOS module
    osconfig_hosts: frozenset[str] = frozenset()  # standalone needs `osConfig` there
    inline: tuple[Definition, ...] = ()  # home configuration written inside a NixOS module


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


class FlakeEditor:
    """Edits of flake.nix: the input, the outputs' arguments, the wiring of each host."""

    def __init__(self, index: Index, backup_extension: str = BACKUP_EXTENSION) -> None:
        repo = index.repo
        self.index = index
        self.repo = repo
        self.backup_extension = backup_extension
        self.src = repo.flake
        self.edits: list[Edit] = []
        self.diagnostics: list[Diagnostic] = []
        self.fn = self._outputs_function()
        self.drop: set[int] = set()  # start bytes of list elements to remove (emptied modules)
        self.other_edits: list[Edit] = []  # edits of files other than flake.nix
        self._list_users: dict[int, int] | None = None  # module list start -> hosts using it
        self.formals = function_formals(self.fn, self.src.text) if self.fn is not None else []
        self.added_inputs: set[str] = set()  # each input is added once, however often asked

    def edit(self, span: Span, why: str) -> None:
        self.edits.append(splice(Path(self.src.path), span, why))

    def _outputs_function(self) -> Node | None:
        top = unparen(self.src.root.child_by_field_name("expression"))  # type: ignore[arg-type]
        for b in bindings_of(top):
            path = b.child_by_field_name("attrpath")
            if path is not None and node_text(path, self.src.text) == "outputs":
                value = b.child_by_field_name("expression")
                if value is not None and unparen(value).type == "function_expression":
                    return unparen(value)
        return None

    # -- names in outputs ---------------------------------------------------------------------
    def input_ref(self, name: str) -> str:
        """How code inside `outputs` refers to an input."""
        if name in self.formals:
            return name
        universal = self.fn.child_by_field_name("universal") if self.fn is not None else None
        if universal is not None:
            return f"{node_text(universal, self.src.text)}.{name}"
        return name

    def home_manager_ref(self) -> str:
        """How `outputs` names home-manager: an existing input is used under its own name
        (`hm`), never duplicated; otherwise the input is added."""
        name = self.index.hm_input
        if name is None:
            name = "home-manager"
            if name not in self.added_inputs:
                nixpkgs = self.repo.inputs.get(self.nixpkgs_name())
                self.add_input(name, hm_url(nixpkgs.url if nixpkgs else None), self.nixpkgs_name())
        return self.reachable_input(name)

    def reachable_input(self, name: str) -> str:
        """How code inside `outputs` names an input, made a formal of a closed `outputs`."""
        formals = self.fn.child_by_field_name("formals") if self.fn is not None else None
        if formals is not None and name not in self.formals:
            self.add_formal(formals, name)
            self.formals.append(name)
        return self.input_ref(name)

    def nixpkgs_name(self, host: SystemConfig | None = None) -> str:
        """The nixpkgs input: the one a host is built with (`nixpkgs-unstable.lib.nixosSystem`),
        else `nixpkgs`, else the first input whose URL names nixpkgs."""
        if host is not None:
            head = host_nixpkgs(self.repo, host)
            if head is not None:
                return head
        used = hosts_nixpkgs(self.repo)
        if used is not None:
            return used
        if "nixpkgs" in self.repo.inputs:
            return "nixpkgs"
        for name, inp in self.repo.inputs.items():
            if inp.url and "nixpkgs" in inp.url:
                return name
        return "nixpkgs"

    def add_formal(self, formals: Node, name: str) -> None:
        self.edit(add_formal(formals, self.src.text, name), f"make `{name}` reachable in outputs")

    def add_input(self, name: str, url: str, follows: str, what: str = "home-manager") -> None:
        """An input `name` at `url` (home-manager's, or `what`'s), its nixpkgs following
        `follows`."""
        self.added_inputs.add(name)
        text = self.src.text
        top = unparen(self.src.root.child_by_field_name("expression"))  # type: ignore[arg-type]
        block = (
            f"{name} = {{\n"
            f"  url = {quote_string(url)};\n"
            f"  inputs.nixpkgs.follows = {quote_string(follows)};\n"
            "};"
        )
        dotted: list[Node] = []
        for b in bindings_of(top):
            path = b.child_by_field_name("attrpath")
            if path is None:
                continue
            names = node_text(path, text).split(".")
            value = b.child_by_field_name("expression")
            if (
                names == ["inputs"]
                and value is not None
                and unparen(value).type == "attrset_expression"
            ):
                span = insert_binding(unparen(value), text, block)
                self.edit(span, f"add the {what} input ({url})")
                return
            if names[0] == "inputs":
                dotted.append(b)
        if dotted:
            code = (
                f"inputs.{name}.url = {quote_string(url)};\n"
                f"inputs.{name}.inputs.nixpkgs.follows = {quote_string(follows)};"
            )
            span = insert_binding(top, text, code, after=dotted[-1])
            self.edit(span, f"add the {what} input ({url})")
            return
        span = insert_binding(top, text, "inputs = {\n" + indent(block) + "\n};")
        self.edit(span, f"add the {what} input ({url})")

    # -- NixOS module wiring -----------------------------------------------------------------------
    def wire_modules(self, hosts_users: dict[str, list[HomeWiring]], hm: str) -> None:
        by_list: dict[tuple[int, int], list[str]] = defaultdict(list)
        lists: dict[tuple[int, int], tuple[Node, SystemConfig]] = {}
        for host_name, ups in hosts_users.items():
            host = self.repo.hosts[host_name]
            todo = [up for up in ups if host_name not in up.wired]
            if not todo:
                continue
            node = self.modules_list(host)
            key = (node.start_byte, node.end_byte)
            by_list[key].append(host_name)
            lists[key] = (node, host)
        for key, host_names in by_list.items():
            node, host = lists[key]
            shared = len(host_names) > 1 or self.list_is_shared(host)
            ups = [up for up in hosts_users[host_names[0]] if host_names[0] not in up.wired]
            if shared:
                names = {
                    tuple(sorted(u.name for u in hosts_users[h] if h not in u.wired))
                    for h in host_names
                }
                if len(names) > 1:
                    raise HomewardError(
                        "hosts built by one helper have different users; homeward cannot wire them in the helper",
                        at=self.src.location(node.start_byte),
                        hint="wire home-manager for these hosts by hand, or give each host its own module list",
                    )
                for h in host_names:
                    for up in hosts_users[h]:
                        if h in up.per_host and h not in up.wired:
                            self.wire_per_host_in_host_file(self.repo.hosts[h], up)
            items = []
            configured = self.has_hm_module(host)
            if not configured:
                own = darwin.home_manager_ref(self, host, hm)
                items.append(f"{own}.{darwin.modules_attr(self.index, host.name)}.home-manager")
            items.append(
                self.settings_module(host, ups, shared, settings=not self.has_hm_settings(host))
            )
            inner = {unparen(e).start_byte: e.start_byte for e in node.named_children}
            drop = {inner[start] for start in self.drop if start in inner}
            self.drop -= {start for start in self.drop if start in inner}
            for span in append_to_list(node, self.src.text, items, drop=drop):
                self.edit(span, "wire home-manager's NixOS module")

    def has_hm_settings(self, host: SystemConfig) -> bool:
        """The host already sets home-manager's NixOS options (useGlobalPkgs and so on)."""
        return any(
            d.path[1:2] != ("users",)
            for d in self.index.host_definitions(host.name, "home-manager")
        )

    def wire_per_host_in_host_file(self, host: SystemConfig, up: HomeWiring) -> None:
        """Hosts built by one helper share their module list: a user's per-host file is wired
        from a module only that host imports (its own `hosts/<host>/default.nix`)."""
        own = [
            info
            for info in self.repo.host_modules(host.name)
            if info.path is not None and info.hosts == {host.name} and info.module.body is not None
        ]
        if not own:
            raise HomewardError(
                f"`{up.name}`'s configuration differs on `{host.name}`, whose modules are all "
                "shared with other hosts: homeward has no file of that host alone to wire it in",
                at=host.location,
                hint="give the host a file of its own (hosts/<host>/default.nix), then run again",
            )
        info = min(own, key=lambda i: (not str(i.path).startswith("hosts/"), str(i.path)))
        assert info.path is not None and info.module.body is not None
        target = relative_import(up.per_host[host.name], PurePosixPath(info.path).parent)
        line = list_binding(f"home-manager.users.{_key(up.name)}.imports", [target])
        for span in insert_binding_spans(
            info.module.body, info.source.text, line, blank_before=True
        ):
            self.other_edits.append(
                splice(Path(info.path), span, f"{up.name}'s home on {host.name}")
            )

    def has_hm_module(self, host: SystemConfig) -> bool:
        """home-manager's NixOS module is in the host's list or imported by one of its modules."""
        refs = [
            *host.modules,
            *(r for info in self.index.hosts[host.name].modules for r in info.imports),
        ]
        return any(
            r.kind is ModuleKind.EXTERNAL
            and "home-manager" in r.label
            and darwin.modules_attr(self.index, host.name) in r.label
            for r in refs
        )

    def list_is_shared(self, host: SystemConfig) -> bool:
        """Another host is built from the same module list (a helper's)."""
        node = self.modules_list(host)
        if self._list_users is None:
            # Why once: asking every other host for every host was quadratic in the fleet.
            self._list_users = {}
            for other in self.repo.hosts.values():
                found = self._list_node(other)
                if found is not None:
                    count = self._list_users.get(found.start_byte, 0)
                    self._list_users[found.start_byte] = count + 1
        return self._list_users.get(node.start_byte, 0) > 1

    def _list_node(self, host: SystemConfig) -> Node | None:
        value = host.modules_value
        if isinstance(value, ListValue) and value.node is not None and value.source is self.src:
            # The last list the `++` chain itself is made of (`common ++ [ ... ]`), never a
            # list inside one of its elements (`{ boot.kernelModules = [ ... ]; }`).
            lists = _concatenated_lists(value.node, self.src.text)
            if lists:
                return lists[-1]
        return None

    def modules_list(self, host: SystemConfig) -> Node:
        node = self._list_node(host)
        if node is None:
            written = host.call.source.path if host.call.source is not None else None
            elsewhere = written is not None and written != self.src.path
            raise HomewardError(
                f"host `{host.name}` is defined in `{written}`, not in flake.nix; homeward wires "
                "home-manager into module lists written in flake.nix"
                if elsewhere
                else f"cannot find the module list of host `{host.name}` in flake.nix",
                at=host.location,
                hint="move the host's `nixosSystem` call into flake.nix, or wire home-manager by hand"
                if elsewhere
                else "homeward adds home-manager's NixOS module to a `modules = [ ... ];` list written in flake.nix",
            )
        return node

    def special_args_text(self, host: SystemConfig) -> str | None:
        args = host.call.args
        if isinstance(args, Attrs) and "specialArgs" in args.attrs:
            thunk = args.attrs["specialArgs"]
            if thunk.expr is not None and thunk.source is self.src:
                return node_text(thunk.expr, self.src.text)
        return None

    def settings_module(
        self, host: SystemConfig, ups: list[HomeWiring], shared: bool, *, settings: bool = True
    ) -> str:
        """The module that configures home-manager on a host; with `settings=False` (the host
        sets them already) only the users' entry points."""
        lines = []
        own = sorted(up.name for up in ups if self.home_sets_nixpkgs(up.name))
        if settings and own:
            # Why: with useGlobalPkgs, home-manager rejects (or ignores, with a warning) a home
            # configuration that sets `nixpkgs.*` (its modules/misc/nixpkgs-disabled.nix).
            self.diagnostics.append(
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
        elif settings:
            lines.append("home-manager.useGlobalPkgs = true;")
        if settings:
            lines += [
                "home-manager.useUserPackages = true;",
                f"home-manager.backupFileExtension = {quote_string(self.backup_extension)};",
            ]
            special = self.special_args_text(host)
            if special is not None:
                lines.append(f"home-manager.extraSpecialArgs = {special};")
        for up in ups:
            modules = [relative_import(up.entry, PurePosixPath("."))]
            if not shared and host.name in up.per_host:
                modules.append(relative_import(up.per_host[host.name], PurePosixPath(".")))
            lines.append(list_binding(f"home-manager.users.{_key(up.name)}.imports", modules))
        lines += darwin.settings_lines(self.index, host, [up.name for up in ups])
        return "{\n" + indent("\n".join(lines)) + "\n}"

    def home_sets_nixpkgs(self, user: str) -> bool:
        """A home-manager module of `user` (through the NixOS module or a standalone
        configuration of theirs) sets `nixpkgs.*`."""
        repo = self.index.repo
        homes = {name for name in repo.homes if name.split("@", 1)[0] == user}
        modules = [
            *self.index.user_homes(user),
            *(m for m in repo.modules.values() if m.context is Context.HOME and m.hosts & homes),
        ]
        return any(d.path[:1] == ("nixpkgs",) for m in modules for d in m.module.definitions)

    def lib_ref(self) -> str:
        return f"{self.input_ref(self.nixpkgs_name())}.lib"

    def helper_param(self, host: SystemConfig) -> str | None:
        node = self._list_node(host)
        current = node
        while current is not None:
            if current.type == "function_expression":
                universal = current.child_by_field_name("universal")
                if universal is not None:
                    return node_text(universal, self.src.text)
            current = current.parent
        return None

    # -- standalone ------------------------------------------------------------------------------
    def add_home_configurations(self, users: list[HomeWiring], hm: str) -> None:
        entries: list[tuple[str, str]] = []
        for up in users:
            if up.inline:
                d = up.inline[0]
                self.diagnostics.append(
                    Diagnostic(
                        Severity.WARNING,
                        f"no `homeConfigurations` for `{up.name}`: part of their home-manager "
                        "configuration is written inside a NixOS module, where a standalone "
                        "configuration cannot reach it",
                        d.location,
                        hint=f"move `home-manager.users.{up.name}` into home/{up.name}/, then run again",
                    )
                )
                continue
            for host_name in up.hosts:
                host = self.repo.hosts[host_name]
                entries.append((f"{up.name}@{host_name}", self.home_configuration(up, host, hm)))
        if not entries:
            return
        anchor, container, dotted = self.nixos_configurations_binding()
        if dotted:
            code = "\n".join(f"homeConfigurations.{quote_string(n)} = {c};" for n, c in entries)
        else:
            inner = "\n".join(f"{quote_string(n)} = {c};" for n, c in entries)
            code = "homeConfigurations = {\n" + indent(inner) + "\n};"
        span = insert_binding(container, self.src.text, code, after=anchor, blank_before=True)
        self.edit(span, "add standalone homeConfigurations")

    def home_configuration(
        self, up: HomeWiring, host: SystemConfig, hm: str, modules: list[str] | None = None
    ) -> str:
        """`homeConfigurations."<user>@<host>"`: the host's package set and arguments, the
        user's entry (and per-host file), or `modules` as given."""
        if self.custom_pkgs(host):
            # Overlays or a nixpkgs config beyond allowUnfree: the host's own package set.
            attr = darwin.configurations_attr(self.index, host.name)
            pkgs = nix.Raw(f"{self.self_ref()}.{attr}.{_key(host.name)}.pkgs")
            return self.home_configuration_with(up, host, hm, pkgs, modules)
        system = self.host_system(host)
        nixpkgs = self.input_ref(self.nixpkgs_name(host))
        unfree = self.allows_unfree(host)
        return self.home_configuration_with(
            up, host, hm, package_set(nixpkgs, system, unfree=unfree), modules
        )

    def home_configuration_with(
        self,
        up: HomeWiring,
        host: SystemConfig,
        hm: str,
        pkgs: object,
        modules: list[str] | None = None,
    ) -> str:
        special = self.portable_special_args(host)
        extra = special
        if host.name in up.osconfig_hosts:
            self_ref = self.self_ref()
            attr = darwin.configurations_attr(self.index, host.name)
            osconfig = f"osConfig = {self_ref}.{attr}.{_key(host.name)}.config;"
            if (
                special is not None
                and special.strip().startswith("{")
                and special.strip().endswith("}")
            ):
                inner = special.strip()[1:-1].strip()
                extra = "{\n" + (f"  {inner}\n" if inner else "") + f"  {osconfig}\n}}"
            elif special is not None:
                extra = f"{special} // {{ {osconfig} }}"
            else:
                extra = f"{{ {osconfig} }}"
        if modules is None:
            modules = [relative_import(up.entry, PurePosixPath("."))]
            if host.name in up.per_host:
                modules.append(relative_import(up.per_host[host.name], PurePosixPath(".")))
        own = darwin.home_manager_ref(self, host, hm)
        return home_configuration_entry(own, pkgs, extra, modules)

    def portable_special_args(self, host: SystemConfig) -> str | None:
        """The host's `specialArgs` as written where `homeConfigurations` is: the text itself
        when every name in it means the same there; otherwise rebuilt from what the names are
        for this host (`hostname = "alpha"`, `unstable = nixpkgs-unstable.legacyPackages...`)."""
        args = host.call.args
        thunk = args.attrs.get("specialArgs") if isinstance(args, Attrs) else None
        if thunk is None or thunk.expr is None or thunk.source is not self.src:
            return None
        node = unparen(thunk.expr)
        if self.portable(node):
            return node_text(node, self.src.text)
        values = host.special_args
        if node.type != "attrset_expression" or not isinstance(values, Attrs):
            raise HomewardError(
                f"the `specialArgs` of host `{host.name}` cannot be written for its standalone configuration",
                at=self.src.location(node.start_byte),
                hint="use --mode module, or make `specialArgs` an attribute set of names defined in `outputs`",
            )
        lines: list[str] = []
        for b in bindings_of(node):
            path = b.child_by_field_name("attrpath")
            attrs = b.child_by_field_name("attrs")
            if b.type == "binding":
                names = [node_text(path, self.src.text)] if path is not None else []
            else:
                names = (
                    [node_text(a, self.src.text) for a in attrs.children_by_field_name("attr")]
                    if attrs
                    else []
                )
            if b.type == "binding" and self.portable(b):
                lines.append(node_text(b, self.src.text))
                continue
            for name in names:
                if b.type == "inherit" and self.portable_name(name, b):
                    lines.append(f"inherit {name};")
                    continue
                code = (
                    self.value_code(self.repo.ev.force(values.attrs[name]))
                    if name in values.attrs
                    else None
                )
                if code is None:
                    raise HomewardError(
                        f"`specialArgs.{name}` of host `{host.name}` cannot be written outside its helper",
                        at=self.src.location(b.start_byte),
                        hint="use --mode module, or define it in `outputs` so that both configurations can use it",
                    )
                lines.append(f"{name} = {code};")
        return (
            "{ " + " ".join(lines) + " }"
            if len(lines) <= 1
            else "{\n" + indent("\n".join(lines)) + "\n}"
        )

    def portable(self, node: Node) -> bool:
        """Every free name of `node` is bound by `outputs` itself (or unbound: a builtin)."""
        from homeward.syntax.scope import free_variables

        return all(
            self.portable_name(name, use)
            for name, uses in free_variables(node, self.src.text).items()
            for use in uses
        )

    def portable_name(self, name: str, use: Node) -> bool:
        from homeward.plan.chunks import _binder

        kind, binder = _binder(name, use, use, self.src.text)
        if kind == "let" and binder is not None:
            # A `let` directly around the outputs attribute set is visible there too.
            container = self.outputs_attrset()
            let = binder.parent.parent if binder.parent is not None else None
            return let is not None and let.start_byte <= container.start_byte < let.end_byte
        if kind == "formal":
            return binder is not None and binder == self.fn
        return kind == "none"

    def value_code(self, value: object) -> str | None:
        """Nix code for a statically known value, valid inside `outputs`."""
        from homeward.model.values import Bool, Int

        if isinstance(value, Str):
            return quote_string(value.value)
        if isinstance(value, Int):
            return str(value.value)
        if isinstance(value, Bool):
            return "true" if value.value else "false"
        if isinstance(value, External):
            head, _, rest = value.name.partition(".")
            if head in self.repo.inputs or head in self.formals:
                return self.input_ref(head) + (f".{rest}" if rest else "")
        return None

    def self_ref(self) -> str:
        if "self" in self.formals:
            return "self"
        formals = self.fn.child_by_field_name("formals") if self.fn is not None else None
        if formals is not None:
            self.add_formal(formals, "self")
            self.formals.append("self")
            return "self"
        return self.input_ref("self")

    def host_system(self, host: SystemConfig) -> str:
        if host.system:
            return host.system
        from homeward.syntax.nodes import string_value

        for d in self.index.host_definitions(host.name, "nixpkgs"):
            if d.path in (("nixpkgs", "hostPlatform"), ("nixpkgs", "system")):
                node = unparen(d.value)
                if node.type == "apply_expression":
                    node = unparen(node.child_by_field_name("argument"))  # type: ignore[arg-type]
                value = string_value(node, d.source.text)
                if value:
                    return value
        raise HomewardError(
            f"cannot tell the platform of host `{host.name}` (for its standalone home configuration)",
            at=host.location,
            hint='set `system = "x86_64-linux";` in its nixosSystem call or `nixpkgs.hostPlatform`, or use --mode module',
        )

    def custom_pkgs(self, host: SystemConfig) -> bool:
        """The host changes its package set beyond allowUnfree (overlays, other config, or a
        `pkgs` of its own): the standalone configuration must use the same set."""
        return self.index.hosts[host.name].custom_pkgs

    def allows_unfree(self, host: SystemConfig) -> bool:
        return self.index.hosts[host.name].allows_unfree

    def nixos_configurations_binding(self) -> tuple[Node | None, Node, bool]:
        """The binding after which homeConfigurations goes, its container, and whether the flake
        writes `nixosConfigurations.<name> = ...` (dotted) or `nixosConfigurations = { ... }`."""
        container = self.outputs_attrset()
        anchor: Node | None = None
        dotted = False
        for b in bindings_of(container):
            path = b.child_by_field_name("attrpath")
            if path is None:
                continue
            names = node_text(path, self.src.text).split(".")
            if names[0] in SYSTEM_OUTPUTS:
                anchor = b
                dotted = len(names) > 1
        return anchor, container, dotted

    def outputs_attrset(self) -> Node:
        if self.fn is None:
            raise HomewardError(
                "flake.nix `outputs` is not a function homeward can edit", at=self.src.location(0)
            )
        body = self.fn.child_by_field_name("body")
        candidates: list[Node] = []
        stack = [body] if body is not None else []
        while stack:
            node = unparen(stack.pop())
            if node.type in ("attrset_expression", "rec_attrset_expression"):
                for b in bindings_of(node):
                    path = b.child_by_field_name("attrpath")
                    if path is None:
                        continue
                    names = node_text(path, self.src.text).split(".")
                    if names[0] in SYSTEM_OUTPUTS:
                        return node
                    if names == ["flake"]:
                        value = b.child_by_field_name("expression")
                        if value is not None:
                            stack.append(value)
                candidates.append(node)
            elif node.type in ("let_expression", "with_expression", "function_expression"):
                inner = node.child_by_field_name("body")
                if inner is not None:
                    stack.append(inner)
            elif node.type == "apply_expression":
                stack.extend(
                    c
                    for c in (
                        node.child_by_field_name("argument"),
                        node.child_by_field_name("function"),
                    )
                    if c is not None
                )
            elif node.type == "binary_expression":
                stack.extend(
                    c
                    for c in (node.child_by_field_name("right"), node.child_by_field_name("left"))
                    if c is not None
                )
        if candidates:
            return candidates[0]
        raise HomewardError(
            "cannot find where flake.nix defines its outputs",
            at=self.src.location(self.fn.start_byte),
        )


def _concatenated_lists(node: Node, text: bytes) -> list[Node]:
    """The list literals `a ++ [ ... ] ++ ([ ... ])` is made of, in order."""
    node = unparen(node)
    if node.type == "list_expression":
        return [node]
    if node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if operator is not None and node_text(operator, text) == "++" and left and right:
            return _concatenated_lists(left, text) + _concatenated_lists(right, text)
    return []


def _key(name: str) -> str:
    from homeward.syntax.emit import attr_key

    return attr_key(name)
