"""The wire phase: edits of flake.nix, shared by `migrate` and `add`.

The home-manager input and the outputs' arguments, home-manager's NixOS module and its
settings on each host (in the host's module list, a helper's list, or the host's own file),
and the standalone `homeConfigurations."<user>@<host>"` entries. What to wire comes in as data
(`HomeWiring`, one per user); the editor reads the index and returns edits.

The `homeConfigurations` entries are built in `plan/standalone.py`, and the host's
`specialArgs` made portable for them in `plan/specialargs.py`; home-manager's
module is wired into the hosts' lists by `plan/hostwire.py`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic
from homeward.errors import HomewardError
from homeward.model.index import Index
from homeward.model.repo import SystemConfig, host_nixpkgs
from homeward.model.values import Attrs, ListValue
from homeward.plan.nixcode import copied_text, splice
from homeward.plan.types import Edit
from homeward.plan.wiring import ListSite, list_site, named_lists
from homeward.syntax import emit as nix
from homeward.syntax.edit import (
    Span,
    add_formal,
    insert_binding,
)
from homeward.syntax.find import Definition, function_formals
from homeward.syntax.nodes import bindings_of, node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.eval import Evaluator
    from homeward.syntax.parse import Source

BACKUP_EXTENSION = "hm-backup"


HM_URL = "github:nix-community/home-manager"
# Outputs of hosts: `homeConfigurations` goes after the last of them.
SYSTEM_OUTPUTS = ("nixosConfigurations", "darwinConfigurations")
# home-manager's NixOS and nix-darwin options: `home-manager.users` is an option, not the input.
HM_NIXOS_OPTIONS = (
    "backupFileExtension",
    "backupCommand",
    "extraSpecialArgs",
    "minimal",
    "sharedModules",
    "startAsUserService",
    "useGlobalPkgs",
    "useUserPackages",
    "users",
    "verbose",
)


def let_bound(node: Node, text: bytes) -> Node:
    """The value a name is bound to by a `let` of its file around it (`let targetSystem =
    "aarch64-darwin"; in … nixpkgs.hostPlatform = targetSystem;`), or `node` itself."""
    from homeward.plan.chunks import _binder

    if node.type != "variable_expression":
        return node
    kind, binding = _binder(node_text(node, text), node, node, text)
    value = binding.child_by_field_name("expression") if binding is not None else None
    return unparen(value) if kind == "let" and value is not None else node


def hm_branch(nixpkgs_url: str | None) -> str:
    """home-manager tracks the nixpkgs branch: nixos-24.11 (or a Mac's nixpkgs-24.11-darwin,
    or nixpkgs' own release-24.11) -> release-24.11, else master."""
    match = re.search(r"(?:release|nixos|nixpkgs)-(\d\d\.\d\d)", nixpkgs_url or "", re.IGNORECASE)
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
    entries: Mapping[str, PurePosixPath] = field(default_factory=dict)  # host -> its own entry
    entry_args: tuple[str, ...] = ()  # the entry is a function of these before it is a module
    fresh: frozenset[str] = frozenset()  # hosts where they had no home: it is the host's file

    def entry_of(self, host: str) -> PurePosixPath:
        """The file the user's home starts from on `host` (plan/homes.py)."""
        return self.entries.get(host, self.entry)


@dataclass(frozen=True, slots=True)
class FlakeEdits:
    """What a `FlakeEditor` decided, frozen: its edits of flake.nix, of the other files a
    host's wiring is written in (a helper's module list, a host's own file), and its
    diagnostics, each in the order decided."""

    flake: tuple[Edit, ...] = ()
    others: tuple[Edit, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


class FlakeEditor:
    """Edits of flake.nix: the input, the outputs' arguments, the wiring of each host.

    The wire phase's journal: the functions of `plan/hostwire.py`, `plan/standalone.py` and
    `plan/darwin.py` add to it while they work (a later step reads what an earlier one added:
    an input, a formal); `result()` is what it decided, as data."""

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
        # module list (file, start, end) -> configurations using it
        self._list_users: dict[tuple[str, int, int], int] | None = None
        self._item_lists: dict[tuple[str, int, int], int] | None = None  # `list_is_shared`
        self.formals = function_formals(self.fn, self.src.text) if self.fn is not None else []
        self.added_inputs: set[str] = set()  # each input is added once, however often asked
        self.formals_added: set[tuple[str, int]] = set()  # (file, formals) given a name
        self.hm_formal: tuple[str, Edit] | None = None  # home-manager made a formal of outputs

    @contextmanager
    def attempt(self) -> Iterator[None]:
        """A step that may be refused (one host's standalone entry): when it raises, what it
        added on the way (a formal `self`, an input) is taken back, and the error goes on."""
        kept = (
            len(self.edits),
            len(self.other_edits),
            len(self.diagnostics),
            list(self.formals),
            set(self.added_inputs),
            set(self.formals_added),
            set(self.drop),
            self.hm_formal,
        )
        try:
            yield
        except HomewardError:
            edits, others, diagnostics, formals, inputs, named, drop, hm_formal = kept
            del self.edits[edits:], self.other_edits[others:], self.diagnostics[diagnostics:]
            self.formals, self.added_inputs, self.formals_added = formals, inputs, named
            self.drop, self.hm_formal = drop, hm_formal
            raise

    def edit(self, span: Span, why: str) -> None:
        self.edits.append(splice(Path(self.src.path), span, why))

    def result(self) -> FlakeEdits:
        return FlakeEdits(tuple(self.edits), tuple(self.other_edits), tuple(self.diagnostics))

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
        before = len(self.edits)
        ref = self.reachable_input(name)
        if len(self.edits) > before:
            self.hm_formal = (name, self.edits[-1])
        return ref

    def drop_unused_hm_formal(self) -> None:
        """Take back the formal `home_manager_ref` gave a closed `outputs` when nothing in the
        new text of flake.nix names the input (a comment, a string, home-manager's options
        `home-manager.users` and the like do not)."""
        if self.hm_formal is None:
            return
        name, formal = self.hm_formal
        settings = "|".join(HM_NIXOS_OPTIONS)
        use = re.compile(
            rf"(?<![\w'.-]){re.escape(name)}(?![\w'-])(?!\s*\.\s*(?:{settings})\b)(?!\s*=[^=])"
        )
        for e in self.edits:
            if e is formal or (e.why.startswith("add the ") and " input (" in e.why):
                continue
            code = re.sub(r'"(?:[^"\\]|\\.)*"|#[^\n]*', "", e.new.decode(errors="replace"))
            if use.search(code):
                return
        self.edits.remove(formal)
        self.formals.remove(name)
        self.hm_formal = None

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
        used = self.index.nixpkgs
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
        source = nix.Attrs([("url", url), (("inputs", "nixpkgs", "follows"), follows)])
        block = nix.emit_binding(name, source)
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
            code = nix.emit_bindings(
                [
                    (("inputs", name, "url"), url),
                    (("inputs", name, "inputs", "nixpkgs", "follows"), follows),
                ]
            )
            span = insert_binding(top, text, code, after=dotted[-1])
            self.edit(span, f"add the {what} input ({url})")
            return
        inputs = nix.Attrs([(name, source)])
        span = insert_binding(top, text, nix.emit_binding("inputs", inputs))
        self.edit(span, f"add the {what} input ({url})")

    # -- NixOS module wiring -----------------------------------------------------------------------
    def edit_in(self, source: Source, span: Span, why: str) -> None:
        """An edit of flake.nix or of another file of the repository (a helper's)."""
        if source is self.src:
            self.edit(span, why)
        else:
            self.other_edits.append(splice(Path(source.path), span, why))

    def list_is_shared(self, host: SystemConfig, given: ListSite | None = None) -> bool:
        """Another configuration is built from the same module list (a helper's); with
        `given`, a list literal some of `host`'s modules come from (one a helper is given):
        another configuration's modules come from it too."""
        if given is not None:
            if self._item_lists is None:
                self._item_lists = {}
                for other in (
                    *self.repo.hosts.values(),
                    *self.repo.others.values(),
                    *self.repo.homes.values(),
                ):
                    for key in _item_lists(other, self.repo.ev):
                        self._item_lists[key] = self._item_lists.get(key, 0) + 1
            return self._item_lists.get(given.key, 0) > 1
        site = list_site(host)
        if site is None:
            return False
        if self._list_users is None:
            # Why once: asking every other host for every host was quadratic in the fleet.
            self._list_users = {}
            configs = (
                *self.repo.hosts.values(),
                *self.repo.others.values(),
                *self.repo.homes.values(),
            )
            for other in configs:
                found = list_site(other)
                if found is not None:
                    self._list_users[found.key] = self._list_users.get(found.key, 0) + 1
        return self._list_users.get(site.key, 0) > 1

    def special_args_text(self, host: SystemConfig, source: Source | None = None) -> str | None:
        """The host's `specialArgs` as written, when written in `source` (flake.nix)."""
        source = source or self.src
        args = host.call.args
        if isinstance(args, Attrs) and "specialArgs" in args.attrs:
            thunk = args.attrs["specialArgs"]
            if thunk.expr is not None and thunk.source is source:
                # Re-indented from where it was written (its inner lines), to column 0.
                return copied_text(thunk.expr, source.text)
        return None

    def lib_ref(self) -> str:
        return f"{self.input_ref(self.nixpkgs_name())}.lib"

    def helper_param(self, host: SystemConfig) -> str | None:
        site = list_site(host)
        current = site.node if site is not None and site.source is self.src else None
        while current is not None:
            if current.type == "function_expression":
                universal = current.child_by_field_name("universal")
                if universal is not None:
                    return node_text(universal, self.src.text)
            current = current.parent
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
                node = let_bound(node, d.source.text)
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
        writes `nixosConfigurations.<name> = ...` (dotted) or `nixosConfigurations = { ... }`
        (`flake.nixosConfigurations…` in a flake-parts module: see `outputs_prefix`)."""
        container = self.outputs_attrset()
        anchor: Node | None = None
        dotted = False
        for b in bindings_of(container):
            path = b.child_by_field_name("attrpath")
            if path is None:
                continue
            names = output_names(node_text(path, self.src.text).split("."))
            if names[0] in SYSTEM_OUTPUTS:
                anchor = b
                dotted = len(names) > 1
        return anchor, container, dotted

    def outputs_attrset(self) -> Node:
        return outputs_attrset(self.src, self.fn)


def outputs_prefix(ed: FlakeEditor) -> tuple[str, ...]:
    """What the outputs' names are written under in `outputs_attrset`: `("flake",)` in a
    flake-parts module that writes `flake.nixosConfigurations.<host> = …`, else ()."""
    anchor, _, _ = ed.nixos_configurations_binding()
    path = anchor.child_by_field_name("attrpath") if anchor is not None else None
    if path is None:
        return ()
    names = node_text(path, ed.src.text).split(".")
    return ("flake",) if names[0] == "flake" else ()


def output_names(names: list[str]) -> list[str]:
    """The output's names of a binding's path: `flake.nixosConfigurations.pc` (a flake-parts
    module's) is `nixosConfigurations.pc`."""
    return names[1:] if len(names) > 1 and names[0] == "flake" else names


def outputs_attrset(src: Source, fn: Node | None) -> Node:
    """The attribute set flake.nix's `outputs` (`fn`) returns, where its hosts are (or the
    first set it returns, through `let`, `with`, calls, `//` and flake-parts' `flake`)."""
    if fn is None:
        raise HomewardError(
            "flake.nix `outputs` is not a function homeward can edit", at=src.location(0)
        )
    body = fn.child_by_field_name("body")
    candidates: list[Node] = []
    stack = [body] if body is not None else []
    while stack:
        node = unparen(stack.pop())
        if node.type in ("attrset_expression", "rec_attrset_expression"):
            for b in bindings_of(node):
                path = b.child_by_field_name("attrpath")
                if path is None:
                    continue
                names = node_text(path, src.text).split(".")
                if output_names(names)[0] in SYSTEM_OUTPUTS:
                    return node  # `nixosConfigurations…`, or flake-parts' `flake.nixos…`
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
        at=src.location(fn.start_byte),
    )


def _item_lists(config: SystemConfig, ev: Evaluator) -> set[tuple[str, int, int]]:
    """The list literals (as `ListSite.key`) a configuration's modules come from, and those
    its `modules` chain names (`named_lists`: an empty one given to a helper)."""
    value = config.modules_value
    if not isinstance(value, ListValue):
        return set()
    return {
        (str(t.source.path), parent.start_byte, parent.end_byte)
        for t in value.items
        if t.expr is not None
        and t.source is not None
        and (parent := t.expr.parent) is not None
        and parent.type == "list_expression"
    } | {site.key for site in named_lists(config, ev)}
