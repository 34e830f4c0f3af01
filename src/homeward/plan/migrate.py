"""Repo -> Plan: move user-level configuration into home-manager. Pure (reads the model only).

What "correct" means is in docs/architecture.md (rules 1-8). The plan:
1. finds each user's user-level definitions: `users.users.<u>.packages` anywhere, and in the
   user's own files (`home/<u>.nix`, `home/<u>/...`) every option, classified by the mapping
   table (`knowledge/mapping.py`): home-manager counterpart, system-level, or user-level without a
   counterpart (stays NixOS, reported);
2. decides where each goes: `home/<u>/features/<feature>.nix` when it reaches every host of the
   user, `home/<u>/<host>.nix` when only some, a system module for what stays NixOS;
3. cuts them out of their files (comments with them), deletes files left empty and their
   imports, and writes the new files and the flake wiring (home-manager input, NixOS module,
   `homeConfigurations."<u>@<h>"`).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError
from homeward.knowledge.mapping import (
    Fate,
    Feature,
    Row,
    Verdict,
    classify,
    package_feature,
    renames_for,
    unsupported,
)
from homeward.model.index import Index, build_index, inline_home_config, release_text
from homeward.model.repo import (
    Context,
    ModuleInfo,
    ModuleKind,
    User,
    stays_system,
    system_users,
)
from homeward.model.values import Attrs
from homeward.plan import darwin
from homeward.plan.assembled import without_assembled
from homeward.plan.checks import dynamic_users, mismatches, partial, unread_accounts
from homeward.plan.chunks import (
    CannotMove,
    Chunk,
    Needs,
    PackageItem,
    Renderer,
    binding_chunk,
    binding_comments,
    covering_step,
    names_before,
    package_items,
)
from homeward.plan.cut import (
    comment_nodes,
    dead_let_edits,
    import_edits,
    outermost_empty,
    outermost_only,
    within,
)
from homeward.plan.dotfiles import Link, copy_rule, link_code
from homeward.plan.entry import home_entry_edits
from homeward.plan.files import DestFile, render_files
from homeward.plan.flake import FlakeEditor, HomeWiring
from homeward.plan.nixcode import list_binding, relative_import, splice
from homeward.plan.split import (
    completion_line,
    moved_bindings,
    odd_oh_my_zsh,
    prompt_kept,
    split_group,
    split_row,
)
from homeward.plan.types import Delete, Edit, Move, Moved, Plan
from homeward.plan.wiring import Sites, skip_unwireable, wired_hosts
from homeward.syntax.edit import (
    Span,
    indent_at,
    item_extent,
    leading_comments,
    reindent,
    removal,
)
from homeward.syntax.emit import quote_string
from homeward.syntax.find import Definition, StepKind, read_module
from homeward.syntax.nodes import bindings_of, node_text, unparen
from homeward.syntax.suppress import is_suppressed

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source


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
    home_modules: list[PurePosixPath] = field(default_factory=list)  # the entry imports these too

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
        )


class Planner:
    def __init__(self, index: Index, opts: MigrateOptions, sites: Sites | None = None) -> None:
        repo = index.repo
        self.sites = sites
        self.index = index
        self.repo = repo
        self.opts = opts
        self.edits: list[Edit] = []
        self.new_files: dict[PurePosixPath, DestFile] = {}
        self.by_dir: dict[PurePosixPath, list[DestFile]] = defaultdict(list)  # new files by dir
        self.moves: list[Move] = []
        self.deletes: list[Delete] = []
        self.diagnostics: list[Diagnostic] = []
        self.ledger: list[Moved] = []
        self.copies: dict[PurePosixPath, list[str]] = {}  # systemd.user.tmpfiles rules by file
        self.removed: dict[str, list[Node]] = defaultdict(list)  # module key -> removed bindings
        self.emptied: set[str] = set()  # module keys whose every definition moved
        self.import_replacements: dict[str, str | None] = {}  # module path -> new path (None: drop)
        self.drop_inline: set[int] = set()  # start bytes of emptied inline modules in flake.nix
        self.kept_packages: set[int] = set()  # ids of package definitions that could not move
        self.user_files: dict[
            str, tuple[PurePosixPath, list[Definition]]
        ] = {}  # key -> system file, imports
        self.rewrites: set[PurePosixPath] = set()  # files rewritten in place as an entry point
        self.release = index.release
        self._inline: dict[str, list[Definition]] = {}
        # Which users are normal, and which of them are on each host: asked per module.
        self.normal = [u for u in index.users.values() if u.normal]
        self.user_hosts = {u.name: frozenset(u.hosts) for u in self.normal}
        self.frozen_noted: set[str] = set()  # modules reported as left alone
        self.system_users = system_users(repo)  # `isSystemUser`: never a user's packages
        self.frozen = [
            m for m in repo.modules.values() if m.frozen and m.context is Context.NIXOS
        ]  # NixOS modules that must stay byte-identical

    # -- entry -----------------------------------------------------------------------------------
    def plan(self) -> Plan:
        self.repo.fatal()
        self.diagnostics.extend(partial(self.index))
        self.diagnostics.extend(dynamic_users(self.index))
        self.diagnostics.extend(mismatches(self.index))
        self.diagnostics.extend(unread_accounts(self.index))
        # Hosts it cannot rewire (a Mac named as a NixOS host); plan/assembled.py names those
        # a framework assembles.
        for key in sorted(k for k, c in self.repo.others.items() if not c.framework):
            self.note(f"`{key}` is left as it is: {self.frozen_reason(key)}", Severity.WARNING)
        users = self.normal
        if not users:
            self.note("no users with `isNormalUser = true` or `packages`: nothing to migrate")
            return self.result()
        plans = [self.user_plan(u) for u in users]
        # Packages first, for every user: a user's file may hold another user's list, which
        # must not also be copied into the system module the file leaves behind.
        moved = {id(up): any([self.move_all_packages(up)]) for up in plans}
        for up in plans:
            moved[id(up)] |= self.move_user_files(up)
            moved[id(up)] |= self.adopt_inline(up)
        active = [up for up in plans if self.needs_work(up, moved[id(up)])]
        if not active:
            return self.result()
        for up in active:
            if up.new_entry:
                self.ensure_entry(up)
        self.finish_sources()
        self.plan_flake(active)
        self.keep_orphan_comments()
        return self.result()

    def keep_orphan_comments(self) -> None:
        """Comments of a file that is deleted or rewritten, not carried by any moved binding
        (a header, a note between bindings), go with the first thing moved out of it.

        A comment is carried when it lies inside what was moved (a binding with its own
        comments, a package list, the header of a rewritten file): decided by its position in
        the syntax tree, never by looking for its text (the same `# TODO` can be in both).
        """
        for key in sorted(self.emptied):
            info = self.repo.modules[key]
            src = info.source
            spans: list[tuple[int, int]] = []
            first_chunk: Chunk | None = None
            first_item: PackageItem | None = None
            header = _header_comment(src)
            for dest in self.new_files.values():
                if header and dest.header == header:
                    spans.append((0, _header_end(src)))
                for chunk in dest.chunks:
                    if chunk.origin and chunk.origin[0].source is src:
                        spans.append(item_extent(chunk.removal_node, src.text))
                        first_chunk = first_chunk or chunk
                    # A chunk can collect several definitions (the copies of dotfiles).
                    spans.extend(
                        item_extent(d.binding, src.text) for d in chunk.origin if d.source is src
                    )
                for item in dest.items:
                    if item.origin is not None and item.origin.source is src:
                        spans.append(item_extent(item.origin.binding, src.text))
                        first_item = first_item or item
            carried = _covered(spans)
            # Only what leaves with the module: the whole file, or an inline module's list
            # element with its own comments (never the rest of flake.nix).
            start, end = _removed_region(info)
            orphans = [
                c
                for c in comment_nodes(src.root)
                if start <= c.start_byte < end and not carried(c.start_byte)
            ]
            if not orphans:
                continue
            lines = "\n".join(
                reindent(src.text_of(c), indent_at(src.text, c.start_byte), "") for c in orphans
            )
            if first_item is not None:
                first_item.code = f"{lines}\n{first_item.code}"
            elif first_chunk is not None:
                first_chunk.code = f"{lines}\n{first_chunk.code}"

    def result(self) -> Plan:
        # What a new file replaces: a user file rewritten in place, or one moved to its path.
        replaced: dict[PurePosixPath, int] = {}
        for move in self.moves:
            dst = PurePosixPath(move.dst)
            if dst not in replaced:
                replaced[dst] = len(self.repo.ev.source(self.repo.root / move.src).text)
        for path in self.rewrites:
            replaced[path] = len(self.repo.ev.source(self.repo.root / path).text)
        edits, files = render_files(list(self.new_files.values()), replaced)
        return Plan(
            edits=(*self.edits, *edits),
            new_files=tuple(files),
            moves=tuple(self.moves),
            deletes=tuple(self.deletes),
            diagnostics=tuple(self.diagnostics),
            ledger=tuple(self.ledger),
        )

    def note(
        self,
        message: str,
        severity: Severity = Severity.NOTE,
        node: Node | None = None,
        source: Source | None = None,
        hint: str = "",
    ) -> None:
        at = source.location(node.start_byte) if node is not None and source is not None else None
        self.diagnostics.append(Diagnostic(severity, message, at, hint=hint))

    # -- one user --------------------------------------------------------------------------------
    def user_plan(self, user: User) -> UserPlan:
        name = user.name
        entry = self.existing_entry(name)
        up = UserPlan(user, user.hosts, entry or PurePosixPath("home") / name / "default.nix")
        up.new_entry = entry is None
        # Hosts whose home-manager already uses the entry point; with a new entry point, none
        # (a configuration written inside flake.nix stays, and the entry is wired beside it).
        up.wired = wired_hosts(self.index, name)
        up.inline = self.inline_home_config(name)
        return up

    def inline_home_config(self, name: str) -> list[Definition]:
        found = self._inline.get(name)
        if found is None:
            found = self._inline[name] = inline_home_config(self.index, name)
        return found

    def move_all_packages(self, up: UserPlan) -> bool:
        moved = False
        name = up.user.name
        hosts = self.user_hosts[name]
        self.note_frozen(up.user)
        for info in self.index.accounts.get(name, ()):
            if info.frozen or hosts.isdisjoint(info.hosts):
                continue
            # Only `users.users.<name>.packages` (and below) is PACKAGES for this user.
            for d in self.index.by_head(info).get("users", ()):
                path = d.path
                if len(path) < 4 or path[1] != "users" or path[2] != name or d.dynamic:
                    continue
                if stays_system(d, self.system_users):
                    continue
                if classify(path, name).fate is Fate.PACKAGES:
                    moved |= self.move_packages(up, info, d)
        return moved

    def move_user_files(self, up: UserPlan) -> bool:
        moved = False
        hosts = self.user_hosts[up.user.name]
        self.note_frozen(up.user)
        for info in self.index.under_home:  # user files are under home/ (`is_user_file`)
            if info.frozen or hosts.isdisjoint(info.hosts):
                continue
            if self.is_user_file(info, up.user.name):
                if self.import_suppressed(info):
                    # Why (issue 14): `# homeward: ignore[HW001]` on its import keeps the file
                    # a NixOS module; what other rules ask (its packages) still moves.
                    self.note(
                        f"`{info.path}` stays a NixOS module: `# homeward: ignore[HW001]` keeps it",
                        Severity.NOTE,
                    )
                    continue
                moved |= self.move_user_file(up, info)
        return moved

    def import_suppressed(self, info: ModuleInfo) -> bool:
        """Some import of the file is marked `# homeward: ignore[HW001]` (where check reports
        a user file imported as a NixOS module)."""
        refs = [r for host in self.repo.hosts.values() for r in host.modules]
        refs += [r for m in self.repo.modules.values() for r in m.imports]
        for ref in refs:
            at = ref.location
            if (
                ref.path == info.path
                and at is not None
                and ref.source is not None
                and is_suppressed(ref.source.text, at.line, "HW001")
            ):
                return True
        return False

    def needs_work(self, up: UserPlan, moved: bool) -> bool:
        if not moved and not self.has_home(up):
            # Why (issue 11): an account with nothing to move and no home-manager configuration
            # (a media or kiosk user) got an empty home wired into its hosts: the layout is the
            # separation of what exists, and an empty home separates nothing.
            self.note(
                f"nothing to move for `{up.user.name}` (no user packages, no user files, no "
                "home-manager configuration): no home is written for them"
            )
            return False
        standalone_missing = (
            self.opts.mode is not Mode.MODULE
            and "homeConfigurations" not in self.output_names()
            and not up.inline
        )
        # With nothing to move, a home written inline in a host's NixOS module is that host's
        # wiring: no second, empty one beside it.
        wired = up.wired if moved else up.wired | self.index.hm_user_hosts(up.user.name)
        module_missing = self.opts.mode is not Mode.STANDALONE and not set(up.hosts) <= wired
        return moved or standalone_missing or module_missing

    # -- a home written inline in a NixOS module ------------------------------------------------
    def adopt_inline(self, up: UserPlan) -> bool:
        """`home-manager.users.<u> = { ... };` written in a NixOS module becomes a file of the
        user's home (imported by the entry) when it reads nothing only the NixOS module has, so
        that `homeConfigurations."<u>@<host>"` can use it too (issue 11); otherwise it stays,
        and one warning says why there is no standalone configuration."""
        if not up.inline:
            return False
        if self.opts.mode is Mode.MODULE or "homeConfigurations" in self.output_names():
            return False  # no standalone configuration is added: nothing to gain
        d = up.inline[0]
        info = self.module_of(d)
        why, binding = self.inline_not_portable(up, d, info)
        renderer = None
        path = self.free_path(PurePosixPath("home") / up.user.name / "home.nix")
        value = binding.child_by_field_name("expression") if binding is not None else None
        if why is None and value is not None:
            assert info is not None
            renderer = Renderer(
                d.source,
                True,
                frozenset(),
                rebase=(PurePosixPath(d.source.path).parent, path.parent),
            )
            try:
                code = renderer.text(value)
            except CannotMove as cannot:
                why = cannot.why
            else:
                if "osConfig" in renderer.needs.args:
                    why = "it reads the NixOS `config`, which a standalone configuration does not have"
        if why is not None:
            self.note(
                f"no `homeConfigurations` for `{up.user.name}`: their home-manager configuration "
                f"is written inside a NixOS module and stays there: {why}",
                Severity.WARNING,
                d.binding,
                d.source,
                hint=f"move `home-manager.users.{up.user.name}` into home/{up.user.name}/ by "
                "hand, then run again",
            )
            return False
        assert info is not None and renderer is not None and binding is not None
        code = reindent(code, indent_at(d.source.text, binding.start_byte), "")
        needs = renderer.needs
        lines = []
        args = sorted(needs.args)
        if len(args) > 2:
            lines.append("{\n" + "".join(f"  {a},\n" for a in args) + "  ...\n}:")
        elif args:
            lines.append("{ " + ", ".join([*args, "..."]) + " }:")
        lets = [text for _start, (_name, text) in sorted(needs.lets.items())]
        if lets:
            lines.append(
                "let\n"
                + "\n".join(
                    f"  {line}" if line else "" for text in lets for line in text.split("\n")
                )
                + "\nin"
            )
        lines.append(needs.with_prefix() + code)
        dest = self.dest(path, home=True)
        dest.verbatim = "\n".join(lines) + "\n"
        dest.chunks.append(Chunk((), "", needs, [d], binding))
        self.remove(info, d, 3)
        what = f"home-manager.users.{up.user.name}"
        at = d.source.location(binding.start_byte)
        self.ledger.append(Moved(what, at, Path(path), "a home-manager module"))
        up.home_modules.append(path)
        up.inline = []
        return True

    def module_of(self, d: Definition) -> ModuleInfo | None:
        """The module whose definition `d` is."""
        for info in self.repo.modules.values():
            if info.source is d.source and any(x is d for x in info.module.definitions):
                return info
        return None

    def inline_not_portable(
        self, up: UserPlan, d: Definition, info: ModuleInfo | None
    ) -> tuple[str | None, Node | None]:
        """Why the inline home of `up` cannot become a file of their home (None: it can), and
        the binding `home-manager.users.<u> = ...;` that holds it."""
        bindings: set[tuple[int, int]] = set()
        found: Node | None = None
        for x in up.inline:
            try:
                k = covering_step(x, 3)
            except CannotMove:
                return "it is not written as one binding", None
            if x.source is not d.source or names_before(x, k) + len(x.steps[k].names) != 3:
                return "it is written as several definitions", None
            if any(s.kind is not StepKind.BINDING for s in x.steps[:k]):
                return "it is written under a condition", None
            found = x.steps[k].node
            bindings.add((id(x.source), found.start_byte))
        if len(bindings) != 1 or found is None:
            return "it is written as several definitions", None
        if info is None or info.source is self.repo.flake:
            return "it is written in flake.nix, where homeward does not move it from yet", None
        if info.frozen:
            return f"`{info.key}` is left as it is ({min(info.frozen.items())[1]})", None
        if info.hosts != set(up.hosts):
            return f"`{info.key}` applies it on some of `{up.user.name}`'s hosts only", None
        if not up.new_entry:
            return "the user has a home-manager entry file as well", None
        value = found.child_by_field_name("expression")
        value = unparen(value) if value is not None else None
        if value is not None and value.type == "function_expression":
            body = value.child_by_field_name("body")
            if body is None or unparen(body).type != "attrset_expression":
                return "it is a function whose body is not an attribute set", None
        elif value is None or value.type != "attrset_expression":
            return "it is not written as an attribute set", None
        return None, found

    def has_home(self, up: UserPlan) -> bool:
        """The user has a home-manager configuration already: wired through a host's module,
        written inline in one, or a `homeConfigurations` entry of theirs."""
        name = up.user.name
        return (
            not up.new_entry
            or bool(up.inline)
            or bool(self.index.hm_user_hosts(name))
            or any(home.split("@", 1)[0] == name for home in self.repo.homes)
        )

    def output_names(self) -> set[str]:
        outputs = self.repo.outputs
        return set(outputs.attrs) if isinstance(outputs, Attrs) else set()

    def note_frozen(self, user: User) -> None:
        """A module some consumer homeward does not rewire also reads (a nix-darwin host, an
        export, a skipped host, an import under an unknown condition) stays byte-identical:
        reported once, when the first user whose hosts read it is planned (docs/architecture.md, rule 10)."""
        hosts = self.user_hosts.get(user.name, frozenset(user.hosts))
        for m in self.frozen:
            if m.key not in self.frozen_noted and not hosts.isdisjoint(m.hosts):
                self.frozen_noted.add(m.key)
                who = min(m.frozen.items())[1]
                self.note(
                    f"`{m.key}` is left as it is: {who}",
                    Severity.WARNING,
                    hint="homeward edits a file only when every output that reads it is one "
                    "it rewires",
                )

    def frozen_reason(self, key: str) -> str:
        for m in self.repo.modules.values():
            if key in m.frozen:
                return m.frozen[key]
        return "homeward does not migrate it"

    def existing_entry(self, name: str) -> PurePosixPath | None:
        return self.index.existing_entry(name)

    def is_user_file(self, info: ModuleInfo, user: str) -> bool:
        """A NixOS module under `home/` that belongs to `user`: `home/<user>.nix`,
        `home/<user>/...`, `home/<user>-shell.nix`, or any file under `home/` that only this
        user's hosts import when nobody else is a user there."""
        if info.path is None or info.context is not Context.NIXOS:
            return False
        parts = info.path.parts
        if len(parts) < 2 or parts[0] != "home":
            return False
        if parts[1] == user:
            return True
        stem = PurePosixPath(parts[1]).stem
        if stem == user or (
            len(stem) > len(user) and stem.startswith(user) and stem[len(user)] in "-_."
        ):
            return True
        others = [
            u.name
            for u in self.normal
            if u.name != user and not self.user_hosts[u.name].isdisjoint(info.hosts)
        ]
        owners = [u.name for u in self.normal if stem == u.name or parts[1] == u.name]
        return not others and not owners

    # -- destinations ------------------------------------------------------------------------------
    def reach(self, up: UserPlan, info: ModuleInfo) -> tuple[str, ...]:
        return tuple(sorted(info.hosts & set(up.hosts)))

    def home_dest(self, up: UserPlan, reach: tuple[str, ...], feature: Feature) -> DestFile:
        """The home-manager file for definitions that reach `reach` of the user's hosts: a
        feature file when they reach all, `home/<u>/<host>.nix` for one host, a shared feature
        file imported by those hosts' files otherwise (wired up in `place_per_host`)."""
        base = PurePosixPath("home") / up.user.name
        if set(reach) == set(up.hosts):
            path = base / "features" / f"{feature}.nix" if self.opts.features else up.entry
        else:
            path = (
                base / f"{reach[0]}.nix"
                if len(reach) == 1
                else base / "features" / f"{feature}-{_hosts_label(reach)}.nix"
            )
            up.reaches[path] = reach
        return self.dest(path, home=True)

    def place_per_host(self, up: UserPlan) -> None:
        """Per-host files for the files that were filled: a host's own, or its imports."""
        base = PurePosixPath("home") / up.user.name
        for path, reach in sorted(up.reaches.items()):
            if self.new_files[path].empty:
                continue
            if len(reach) == 1:
                up.per_host[reach[0]] = path
                continue
            for host in reach:
                host_file = base / f"{host}.nix"
                up.per_host[host] = host_file
                dest = self.dest(host_file, home=True)
                rel = relative_import(path, host_file.parent)
                if rel not in dest.imports:
                    dest.imports.append(rel)

    def dest(self, path: PurePosixPath, *, home: bool) -> DestFile:
        found = self.new_files.get(path)
        if found is None:
            found = self.new_files[path] = DestFile(path, home)
            self.by_dir[path.parent].append(found)
        return found

    def files_in(self, directory: PurePosixPath) -> list[tuple[PurePosixPath, DestFile]]:
        """The new files directly in `directory`, in the order they were planned."""
        return [(dest.path, dest) for dest in self.by_dir.get(directory, ())]

    def ensure_entry(self, up: UserPlan) -> None:
        entry = self.dest(up.entry, home=True)
        entry.entry = up.user
        if self.opts.features:
            features = sorted(
                p
                for p, dest in self.files_in(up.entry.parent / "features")
                if "-" not in p.stem and not dest.empty
            )
            entry.imports = [relative_import(p, up.entry.parent) for p in features]
        for module in up.home_modules:
            rel = relative_import(module, up.entry.parent)
            if rel not in entry.imports:
                entry.imports.append(rel)

    # -- packages ---------------------------------------------------------------------------------
    def move_packages(self, up: UserPlan, info: ModuleInfo, d: Definition) -> bool:
        reach = self.reach(up, info)
        if not reach:
            return False
        if is_suppressed(d.source.text, d.location.line, "HW002"):
            # Why (issue 14): `# homeward: ignore[HW002]` is a decision to keep the list here;
            # moving it carried the comment into home.packages.
            self.kept_packages.add(id(d))
            self.note(
                f"`{d.dotted}` stays where it is: `# homeward: ignore[HW002]` keeps it",
                Severity.NOTE,
                d.binding,
                d.source,
            )
            return False
        renderer = self.renderer(info, home=True)
        target_dir = self.home_dest(up, reach, Feature.PACKAGES).dir
        renderer.rebase = (PurePosixPath(info.source.path).parent, target_dir)
        try:
            items = package_items(d, renderer)
            if items:
                binding = d.steps[covering_step(d, 4)].node
                comments = _leading_comment_text(binding, d.source)
                inside = binding_comments(binding, d.value, d.source).replace(
                    "\n" + indent_at(d.source.text, binding.start_byte), "\n"
                )
                lines = "\n".join(c for c in (comments, inside) if c)
                if lines:
                    items[0].code = f"{lines}\n{items[0].code}"
            targets: list[DestFile] = []
            names_to: dict[PurePosixPath, list[str]] = {}  # the ledger's package -> file
            overrides = dict(self.opts.package_features)
            if items is not None:
                for item in items:
                    feature = (
                        package_feature(item.name, overrides) if item.name else Feature.PACKAGES
                    )
                    dest = self.home_dest(up, reach, feature)
                    dest.items.append(item)
                    if dest not in targets:
                        targets.append(dest)
                    if item.name:
                        names_to.setdefault(dest.path, []).append(item.name)
            else:
                chunk = binding_chunk([d], 4, ("home", "packages"), {}, renderer)
                chunk.packages = True
                names = re.findall(r"[A-Za-z_][\w'-]*", chunk.value_code)
                target = self.home_dest(
                    up,
                    reach,
                    _majority(
                        [
                            package_feature(n, overrides)
                            for n in names
                            if package_feature(n, overrides) is not Feature.PACKAGES
                        ]
                    ),
                )
                target.chunks.append(chunk)
                targets.append(target)
        except CannotMove as why:
            self.kept_packages.add(id(d))
            self.note(
                f"`{d.dotted}` stays a NixOS option: {why.why}",
                Severity.WARNING,
                why.node or d.binding,
                d.source,
                "move it by hand, or make it readable without that name",
            )
            return False
        if "osConfig" in renderer.needs.args:
            up.osconfig_hosts.update(reach)
        self.remove(info, d, 4)
        for target in targets:
            self.ledger.append(
                Moved(
                    d.dotted,
                    d.location,
                    Path(target.path),
                    "home.packages",
                    packages=tuple(names_to.get(target.path, ())),
                )
            )
        return True

    def renderer(self, info: ModuleInfo, *, home: bool) -> Renderer:
        """A renderer for code moved out of `info`; for home-manager, the extra names moved code
        may read are those every host reaching it passes in `specialArgs` (home-manager gets the
        same as `extraSpecialArgs`; what `_module.args` sets is not passed on)."""
        special = frozenset(info.module.formals) - STANDARD_NIXOS_ARGS
        if home:
            for host in info.hosts:
                passed = self.repo.hosts[host].special_args
                if isinstance(passed, Attrs):
                    special &= frozenset(passed.attrs)
                elif passed is None:
                    special = frozenset()
        return Renderer(info.source, home, special)

    # -- a user's own file --------------------------------------------------------------------------
    def move_user_file(self, up: UserPlan, info: ModuleInfo) -> bool:
        name = up.user.name
        reach = self.reach(up, info)
        if not reach:
            return False
        module = info.module
        if not module.definitions and not module.declarations and not _empty_module(info.source):
            self.note(
                f"`{info.path}` is left as it is: it is not an attribute set homeward can follow",
                Severity.WARNING,
                info.source.root,
                info.source,
                "write it as `{ ... }: { ... }`, or move its contents by hand",
            )
            return False
        stem = PurePosixPath(info.source.path).stem
        stem = name if stem == "default" else stem
        sys_path = self.free_path(PurePosixPath("modules") / "system" / f"{stem}.nix")
        normal = set(self.user_hosts)
        groups: dict[tuple[str, ...], list[Definition]] = defaultdict(list)
        verdicts = {}
        imports: list[Definition] = []
        candidates: list[Definition] = []
        for d in module.definitions:
            if not d.path and _empty_set(d.binding):
                continue  # an empty module (`{ }`): nothing to move
            if d.path == ("imports",):
                imports.append(d)
                continue
            if (
                d.path[:2] == ("users", "users")
                and d.path[3:4] == ("packages",)
                and d.path[2] in normal
                and id(d) not in self.kept_packages
            ):
                continue  # moved to its user's home.packages (move_packages)
            candidates.append(d)
        staying: dict[tuple[str, ...], list[Definition]] = defaultdict(list)
        for d in candidates:
            staying[classify(d.path, name).group or d.path].append(d)
        if self.unsplittable(info, staying, sys_path):
            return False
        for d in candidates:
            if self.moves_dotfiles(up, info, d, reach):
                continue
            verdict = classify(d.path, name)
            verdicts[id(d)] = verdict
            groups[verdict.group or d.path].append(d)
        held = self.held_by_comments(info, groups, verdicts)
        system_chunks: list[Chunk] = []
        # NixOS options in a user's file apply to every user of the host (/etc/gitconfig,
        # environment variables): they move to this user only if nobody else would lose them.
        others = sorted(
            u.name
            for u in self.normal
            if u.name != name and not self.user_hosts[u.name].isdisjoint(reach)
        )
        for group, defs in groups.items():
            verdict = verdicts[id(defs[0])]
            extra: list[Chunk] = []  # system code a split group needs
            split = split_row([verdicts[id(d)] for d in defs])
            if split is not None:
                # A login shell: its interactive settings move, the rest stays (issue 13).
                defs, extra = self.move_split_group(up, info, group, defs, split, others, reach)
                if not defs:
                    system_chunks.extend(extra)
                    continue
            elif verdict.fate is Fate.HOME and verdict.row is not None:
                if self.home_group_movable(up, info, group, defs, verdict.row, others, reach):
                    dest = self.home_dest(up, reach, verdict.row.feature)
                    if self.move_home_group(up, info, defs, verdict.row, dest, reach):
                        continue
            elif verdict.fate is Fate.KEEP:
                self.note(
                    f"`{defs[0].dotted}` stays a NixOS option: {verdict.why}",
                    Severity.NOTE,
                    defs[0].binding,
                    info.source,
                )
            # SYSTEM, KEEP, or a group that could not move: into a system module.
            try:
                system_chunks.extend(self.system_chunks(info, defs, group, sys_path))
                system_chunks.extend(extra)
            except CannotMove as why:
                # Half of this file may already be planned away: refuse the whole run
                # (exit 3, nothing written) rather than split it inexactly.
                node = why.node or defs[0].binding
                raise HomewardError(
                    f"cannot split `{info.source.path}`: `{defs[0].dotted}` must stay a NixOS "
                    f"option, and {why.why}; nothing was changed",
                    at=info.source.location(node.start_byte),
                    hint="move that definition by hand (or out of this user's file), then "
                    "run migrate again",
                ) from None
        for group, defs in held.items():
            system_chunks.extend(self.system_chunks(info, defs, group, sys_path))
        if module.declarations:
            declared = self.system_chunks(info, list(module.declarations), ("options",), sys_path)
            for chunk in declared:
                chunk.declaration = True
            system_chunks.extend(declared)
        if system_chunks:
            dest = self.dest(sys_path, home=False)
            dest.chunks.extend(system_chunks)
        self.user_files[info.key] = (sys_path, imports)
        self.emptied.add(info.key)
        here = PurePosixPath(info.source.path)
        if here == up.entry:
            # The user's file is where the entry point goes (`home/<u>/default.nix`): rewritten.
            self.rewrites.add(here)
            self.dest(up.entry, home=True).header = _header_comment(info.source)
        elif (
            here == PurePosixPath("home") / f"{name}.nix"
            and not self.moves_to(up.entry)
            and not self.repo.files.taken(up.entry)
        ):
            self.moves.append(
                Move(
                    Path(here),
                    Path(up.entry),
                    "the user's file becomes their home-manager entry point",
                )
            )
            self.dest(up.entry, home=True).header = _header_comment(info.source)
        else:
            self.deletes.append(Delete(Path(here), "every definition moved"))
        return True

    def held_by_comments(
        self,
        info: ModuleInfo,
        groups: dict[tuple[str, ...], list[Definition]],
        verdicts: dict[int, Verdict],
    ) -> dict[tuple[str, ...], list[Definition]]:
        """Definitions a `# homeward: ignore[HW003]` keeps NixOS options (issue 14: a
        suppressed definition stays where it is, for every rule migrate acts on), taken out of
        `groups`. The comment goes where check reports HW003: above the group's binding, or,
        for rows moved name by name (variables, aliases), above each name's."""
        held: dict[tuple[str, ...], list[Definition]] = {}
        for group, defs in list(groups.items()):
            rows = [v.row for d in defs if (v := verdicts[id(d)]).row is not None]
            if not rows:
                continue
            row = rows[0]
            depth = len(row.nixos) + 1 if row.per_leaf else len(row.nixos)
            kept: list[Definition] = []
            reported = [d for d in defs if not row.stays(d.path)]  # where check puts HW003
            for d in reported if row.per_leaf else reported[:1]:
                try:
                    node = d.steps[covering_step(d, depth)].node
                except CannotMove:
                    continue
                line = info.source.location(node.start_byte).line
                if is_suppressed(info.source.text, line, "HW003"):
                    kept.append(d)
            if not kept:
                continue
            outer = {
                d.steps[covering_step(d, len(row.nixos))].node.start_byte
                for d in kept
                if len(d.path) > len(row.nixos)
            }
            ids = {id(d) for d in kept}
            if not row.per_leaf or any(
                d.steps[covering_step(d, len(row.nixos))].node.start_byte in outer
                for d in defs
                if id(d) not in ids and len(d.path) > len(row.nixos)
            ):
                kept = defs  # one binding holds them: the group stays whole
                ids = {id(d) for d in kept}
            rest = [d for d in defs if id(d) not in ids]
            if rest:
                groups[group] = rest
            else:
                del groups[group]
            held[group] = kept
            what = ".".join(group if not row.per_leaf else kept[0].path[:depth])
            self.note(
                f"`{what}` stays where it is: `# homeward: ignore[HW003]` keeps it",
                Severity.NOTE,
                kept[0].binding,
                info.source,
            )
        return held

    def unsplittable(
        self,
        info: ModuleInfo,
        groups: dict[tuple[str, ...], list[Definition]],
        sys_path: PurePosixPath,
    ) -> bool:
        """A definition of the user's file could not stay a NixOS option in a new system
        module (CannotMove): the file is left as it is, with a note, not the whole run
        (issue 10). Asked before anything of the file is planned, so nothing is half-moved."""
        ledger = len(self.ledger)
        try:
            for group, defs in groups.items():
                self.system_chunks(info, defs, group, sys_path)
            if info.module.declarations:
                self.system_chunks(info, list(info.module.declarations), ("options",), sys_path)
        except CannotMove as why:
            self.note(
                f"`{info.source.path}` is left as it is: part of it must stay a NixOS option, "
                f"and {why.why}",
                Severity.WARNING,
                why.node or info.source.root,
                info.source,
                "move that definition by hand (or out of this user's file), then run migrate again",
            )
            return True
        finally:
            del self.ledger[ledger:]
        return False

    def moves_dotfiles(
        self, up: UserPlan, info: ModuleInfo, d: Definition, reach: tuple[str, ...]
    ) -> bool:
        """Files NixOS puts into the user's home from this user file, moved to home-manager
        (issue 13): tmpfiles rules that link (`L`) or copy (`C`) repository files there, and
        activation scripts that only `ln -s` or `cp` them there. Anything else stays a NixOS
        option, and the note says why."""
        from homeward.plan.dotfiles import script_links, tmpfiles_links

        here = PurePosixPath(info.source.path).parent
        text = info.source.text
        home = _home_dir(up.user)
        if d.path == ("systemd", "tmpfiles", "rules"):
            what = "`systemd.tmpfiles.rules`"
            links = tmpfiles_links(d.value, text, home, here)
        elif d.path[:2] == ("system", "activationScripts") and d.path[3:] in ((), ("text",)):
            what = f"`system.activationScripts.{d.path[2]}`"
            siblings = [
                o for o in info.module.definitions if o.path[:3] == d.path[:3] and o is not d
            ]
            links = (
                "it has more than its text (`deps`)"
                if siblings
                else script_links(d.value, text, home, here)
            )
        else:
            return False
        if not isinstance(links, str) and d.conditions:
            links = "it is conditional"
        if isinstance(links, str):
            self.note(
                f"{what} stays a NixOS option: {links}", Severity.NOTE, d.binding, info.source
            )
            return False
        dest = self.home_dest(up, reach, Feature.DOTFILES)
        # The comments above the definition go with its first entry.
        above = "".join(node_text(c, text) + "\n" for c in leading_comments(d.binding, text))
        for i, link in enumerate(links):
            comment = "" if i else above
            if link.copy:
                self.add_copy(dest, link, comment, d)
                continue
            option, name = link.option
            dest.chunks.append(
                Chunk(
                    (*option.split("."), name, "source"),
                    comment + link_code(link, dest.dir),
                    Needs(),
                    [d],
                    d.binding,
                )
            )
            self.ledger.append(
                Moved(
                    d.dotted,
                    d.location,
                    Path(dest.path),
                    f"{option}.{quote_string(name)}.source",
                    f"~/{link.target}",
                )
            )
        return True

    def add_copy(self, dest: DestFile, link: Link, comment: str, d: Definition) -> None:
        """A copy into $HOME: one rule of home-manager's systemd.user.tmpfiles.rules, whose one
        binding per file collects them all."""
        path = ("systemd", "user", "tmpfiles", "rules")
        chunk = next((c for c in dest.chunks if c.home_path == path), None)
        if chunk is None:
            chunk = Chunk(path, "", Needs(), [], d.binding)
            dest.chunks.append(chunk)
            self.copies[dest.path] = []
        self.copies[dest.path].append(comment + copy_rule(link, dest.dir))
        chunk.origin.append(d)
        chunk.code = list_binding("systemd.user.tmpfiles.rules", self.copies[dest.path])
        self.ledger.append(
            Moved(d.dotted, d.location, Path(dest.path), ".".join(path), f"~/{link.target}")
        )

    def home_group_movable(
        self,
        up: UserPlan,
        info: ModuleInfo,
        group: tuple[str, ...],
        defs: list[Definition],
        row: Row,
        others: list[str],
        reach: tuple[str, ...],
    ) -> bool:
        """Whether an option group of a user file can become the user's home-manager option;
        if not, why, as a warning (it then stays a NixOS option)."""
        name = up.user.name
        bad = unsupported(row, [d.path for d in defs])
        n = len(row.nixos)
        odd = [
            d
            for d in defs
            if (row.scalar_values or (len(d.path) > n + 1 and d.path[n] in row.scalar_below))
            and not _scalar(d)
        ]
        # `shellAliases = someSet;` (not written alias by alias) cannot be checked: it stays.
        odd += [d for d in defs if len(d.path) == n + 1 and d.path[n] in row.scalar_below]
        missing = next(((d, m) for d in defs if (m := row.missing_in(d.path, self.release))), None)
        lists = [d for d in defs if row.attrs_values and unparen(d.value).type == "list_expression"]
        why = ""
        at = defs[0]
        if others:
            why = (
                f"it applies to every user of {', '.join(reach)}, also "
                f"{', '.join(f'`{o}`' for o in others)}, who would lose it"
            )
        elif odd:
            why, at = (
                f"`{odd[0].dotted}` is not a string or number, which `{'.'.join(row.home)}` requires",
                odd[0],
            )
        elif missing is not None:
            release = release_text(self.release)
            why = f"home-manager {release} has no `{'.'.join(row.nixos)}.{missing[1]}` yet"
            at = missing[0]
        elif lists:
            why, at = (
                f"`{lists[0].dotted}` is a list, where home-manager takes an attribute set",
                lists[0],
            )
        elif bad:
            why = f"`{'.'.join(bad[0])}` has no exact home-manager counterpart"
        elif row.nixos[:2] in (("programs", "neovim"), ("programs", "vim")) and self.sets_editor(
            info
        ):
            why = (
                "the file also sets EDITOR, which NixOS lets win over `defaultEditor`; "
                "in home-manager the two would conflict"
            )
        if not why:
            return True
        hint = (
            f"move it to `{name}`'s home configuration by hand if only `{name}` needs it"
            if others
            else ""
        )
        self.note(
            f"`{'.'.join(group)}` stays a NixOS option: {why}",
            Severity.WARNING,
            at.binding,
            info.source,
            hint=hint,
        )
        return False

    def move_split_group(
        self,
        up: UserPlan,
        info: ModuleInfo,
        group: tuple[str, ...],
        defs: list[Definition],
        row: Row,
        others: list[str],
        reach: tuple[str, ...],
    ) -> tuple[list[Definition], list[Chunk]]:
        """A group split between the layers (`plan/split.py`): the moving part to the user's
        home-manager configuration; returns what stays a NixOS option (all of it when nothing
        could move) and the system code the split needs."""
        split = split_group(row, defs)
        if split is None or not self.home_group_movable(
            up, info, group, list(split.moved), row, others, reach
        ):
            return defs, []
        odd = odd_oh_my_zsh(row, split)
        if odd is not None:
            self.note(
                f"`{'.'.join(group)}` stays a NixOS option: `{odd.dotted}` is not a plain "
                "`true`, and NixOS's prompt depends on it",
                Severity.WARNING,
                odd.binding,
                info.source,
            )
            return defs, []
        dest = self.home_dest(up, reach, row.feature)
        if not self.move_home_group(
            up, info, list(split.home), row, dest, reach, left_out=list(split.left_out)
        ):
            return defs, []
        removed = self.removed[info.key]
        for node in moved_bindings(row, split):
            if all((n.start_byte, n.end_byte) != (node.start_byte, node.end_byte) for n in removed):
                removed.append(node)
        shell = row.home[-1]
        if len(split.home) > len(split.moved):  # `enable` went along
            up.enabled_shells.add(shell)
        elif shell not in up.enabled_shells:
            up.enabled_shells.add(shell)
            dest.extra.append(
                f"# the {shell} settings moved here apply in a {shell} home-manager manages.\n"
                f"programs.{shell}.enable = true;"
            )
        completion = completion_line(row)
        if completion is not None and completion not in dest.extra:
            dest.extra.append(completion)
        prompt = prompt_kept(row, split)
        if prompt is None:
            return list(split.stay), []
        self.note(
            '`programs.zsh.promptInit = lib.mkDefault "";` is written on the NixOS side: '
            "NixOS's oh-my-zsh turned NixOS's prompt off, and oh-my-zsh now runs from ~/.zshrc",
            Severity.NOTE,
            prompt.removal_node,
            info.source,
        )
        return list(split.stay), [prompt]

    @staticmethod
    def sets_editor(info: ModuleInfo) -> bool:
        return any(
            d.path[:2] in (("environment", "variables"), ("environment", "sessionVariables"))
            and d.path[2:3] == ("EDITOR",)
            for d in info.module.definitions
        )

    def moves_to(self, path: PurePosixPath) -> bool:
        return any(PurePosixPath(m.dst) == path for m in self.moves)

    def free_path(self, path: PurePosixPath) -> PurePosixPath:
        candidate, n = path, 1
        while self.repo.files.taken(candidate) or (
            candidate in self.new_files and self.new_files[candidate].home
        ):
            n += 1
            candidate = path.with_name(f"{path.stem}-{n}.nix")
        return candidate

    def move_home_group(
        self,
        up: UserPlan,
        info: ModuleInfo,
        defs: list[Definition],
        row: object,
        dest: DestFile,
        reach: tuple[str, ...],
        *,
        left_out: list[Node] | None = None,
    ) -> bool:
        """`left_out`: bindings inside the moved ones that stay behind (a split group)."""
        from homeward.knowledge.mapping import Row

        assert isinstance(row, Row)
        by_binding: dict[int, list[Definition]] = defaultdict(list)
        for d in defs:
            try:
                by_binding[d.steps[covering_step(d, len(row.nixos))].node.start_byte].append(d)
            except CannotMove:
                return False
        chunks: list[Chunk] = []
        for group_defs in by_binding.values():
            renderer = self.renderer(info, home=True)
            renderer.rebase = (PurePosixPath(info.source.path).parent, dest.dir)
            outer = group_defs[0].steps[covering_step(group_defs[0], len(row.nixos))].node
            exclude = [
                removal(n, info.source.text)
                for n in left_out or ()
                if within(n, outer)
                and (n.start_byte, n.end_byte) != (outer.start_byte, outer.end_byte)
            ]
            try:
                chunk = binding_chunk(
                    group_defs,
                    len(row.nixos),
                    row.home,
                    renames_for(row, self.release),
                    renderer,
                    exclude=exclude,
                )
            except CannotMove as why:
                self.note(
                    f"`{'.'.join(row.nixos)}` stays a NixOS option: {why.why}",
                    Severity.WARNING,
                    why.node or group_defs[0].binding,
                    info.source,
                )
                return False
            chunks.append(chunk)
            if "osConfig" in renderer.needs.args:
                up.osconfig_hosts.update(reach)
        renames = renames_for(row, self.release)
        for chunk in chunks:
            dest.chunks.append(chunk)
            first = chunk.origin[0]
            # One ledger line per moved binding: `programs.git` as written, with its renames.
            depth = len(chunk.home_path) - len(row.home) + len(row.nixos)
            what = ".".join(first.path[:depth])
            used = sorted(
                {d.path[len(row.nixos)] for d in chunk.origin if len(d.path) > len(row.nixos)}
                & set(renames)
            )
            note = ", ".join(f"{a} → {renames[a]}" for a in used)
            self.ledger.append(
                Moved(
                    what,
                    first.location_of(depth),
                    Path(dest.path),
                    ".".join(chunk.home_path),
                    note,
                )
            )
        if row.needs_shell:
            up.needs_shell = True
        return True

    def system_chunks(
        self, info: ModuleInfo, defs: list[Definition], group: tuple[str, ...], dest: PurePosixPath
    ) -> list[Chunk]:
        """Definitions that stay NixOS options, as written, for the system module at `dest`;
        package lists moved out of them (`users.users.<u>.packages`) are cut from the text."""
        by_binding: dict[int, tuple[list[Definition], int]] = {}
        for d in defs:
            depth = max(1, min(len(group), len(d.path)))
            k = covering_step(d, depth)
            node = d.steps[k].node
            entry = by_binding.setdefault(node.start_byte, ([], depth))
            entry[0].append(d)
        moved_out = self.removed.get(info.key, [])
        chunks = []
        for group_defs, depth in by_binding.values():
            renderer = self.renderer(info, home=False)
            renderer.rebase = (PurePosixPath(info.source.path).parent, dest.parent)
            first = group_defs[0]
            k = covering_step(first, depth)
            prefix_len = (
                sum(len(s.names) for s in first.steps[: k + 1] if s.kind is StepKind.BINDING)
                - first.skipped
            )
            binding = first.steps[k].node
            cut = [
                removal(n, info.source.text)
                for n in moved_out
                if within(n, binding)
                and (n.start_byte, n.end_byte) != (binding.start_byte, binding.end_byte)
            ]
            chunk = binding_chunk(
                group_defs, prefix_len, first.path[:prefix_len], {}, renderer, exclude=cut
            )
            chunks.append(chunk)
            for d in group_defs:
                self.ledger.append(
                    Moved(d.dotted, d.location, Path(dest), d.dotted, "stays a NixOS option", False)
                )
        return chunks

    # -- cutting from sources -------------------------------------------------------------------------
    def remove(self, info: ModuleInfo, d: Definition, group_len: int) -> None:
        node = d.steps[covering_step(d, group_len)].node
        self.removed[info.key].append(node)

    def resolve_user_file_imports(self) -> None:
        """What a user file left behind imports: its own imports, each user file among them
        replaced by what that file left behind (or dropped), the rest kept, re-pointed."""
        resolved: dict[str, str | None] = {}

        def resolve(key: str, seen: tuple[str, ...] = ()) -> str | None:
            if key in resolved:
                return resolved[key]
            sys_path, _imports = self.user_files[key]
            info = self.repo.modules[key]
            texts: list[str] = []
            for ref in info.imports:
                if ref.kind is ModuleKind.FILE and ref.path is not None:
                    child = str(ref.path)
                    if child in self.user_files and child not in seen:
                        target = resolve(child, (*seen, key))
                        if target is not None:
                            texts.append(relative_import(PurePosixPath(target), sys_path.parent))
                        continue
                    texts.append(relative_import(PurePosixPath(ref.path), sys_path.parent))
                elif ref.node is not None and ref.source is not None:
                    renderer = Renderer(
                        ref.source,
                        False,
                        frozenset(),
                        rebase=(PurePosixPath(ref.source.path).parent, sys_path.parent),
                    )
                    texts.append(renderer.text(ref.node))
            if texts:
                dest = self.dest(sys_path, home=False)
                dest.imports = texts
            has_content = sys_path in self.new_files and not self.new_files[sys_path].empty
            resolved[key] = str(sys_path) if has_content else None
            return resolved[key]

        for key in sorted(self.user_files):
            self.import_replacements[key] = resolve(key)

    def finish_sources(self) -> None:
        """Delete moved bindings (and sets they leave empty) and imports of removed files."""
        self.resolve_user_file_imports()
        # The `let` bindings moved code took along, by the file it came from (once, not per file).
        carried: dict[int, set[int]] = defaultdict(set)
        for dest in self.new_files.values():
            for chunk in dest.chunks:
                if chunk.origin:
                    carried[id(chunk.origin[0].source)].update(chunk.needs.lets)
            for item in dest.items:
                if item.origin is not None:
                    carried[id(item.origin.source)].update(item.needs.lets)
        for key, nodes in self.removed.items():
            if key in self.emptied:
                continue
            info = self.repo.modules[key]
            text = info.source.text
            remaining = [
                d for d in info.module.definitions if not any(within(d.binding, n) for n in nodes)
            ]
            if not remaining and info.path is not None:
                self.emptied.add(key)
                self.deletes.append(Delete(info.path, "every definition moved"))
                self.import_replacements[str(info.path)] = None
                continue
            if not remaining and info.source is self.repo.flake:
                # An inline module in flake.nix left empty: drop it from its module list.
                self.emptied.add(key)
                self.drop_inline.add(int(key.rsplit("@", 1)[1]))
                continue
            targets = {n.start_byte: n for n in (outermost_empty(n, nodes) for n in nodes)}
            gone = outermost_only(list(targets.values()))
            for node in gone:
                span = removal(node, text)
                self.edits.append(splice(Path(info.source.path), span, "moved to home-manager"))
            self.edits.extend(dead_let_edits(info, gone, carried.get(id(info.source), set())))
        self.edits.extend(
            import_edits(self.repo.modules.values(), self.emptied, self.import_replacements)
        )

    # -- flake.nix --------------------------------------------------------------------------------
    def plan_flake(self, users: list[UserPlan]) -> None:
        flake = FlakeEditor(self.index, self.opts.backup_extension)
        flake.drop = set(self.drop_inline)
        # User files listed in a host's module list in flake.nix itself.
        done: set[int] = set()
        for config in self.repo.hosts.values():
            for ref in config.modules:
                if ref.kind is not ModuleKind.FILE or ref.path is None or ref.node is None:
                    continue
                if (
                    ref.source is not self.repo.flake
                    or str(ref.path) not in self.import_replacements
                ):
                    continue
                start = unparen(ref.node).start_byte
                if start in done:
                    continue
                done.add(start)
                new = self.import_replacements[str(ref.path)]
                if new is None:
                    flake.drop.add(start)
                else:
                    flake.edit(
                        Span(
                            ref.node.start_byte,
                            ref.node.end_byte,
                            relative_import(PurePosixPath(new), PurePosixPath(".")).encode(),
                        ),
                        f"system part of `{ref.path}` now in `{new}`",
                    )
        hm = flake.home_manager_ref()
        for up in users:
            self.finish_user(up)
        wirings = [up.wiring() for up in users]
        hosts_users: dict[str, list[HomeWiring]] = defaultdict(list)
        for w in wirings:
            for host in w.hosts:
                hosts_users[host].append(w)
        if self.opts.mode is not Mode.STANDALONE:
            flake.wire_modules(hosts_users, hm, self.sites)
        if self.opts.mode is not Mode.MODULE and "homeConfigurations" not in self.output_names():
            flake.add_home_configurations(wirings, hm)
        self.edits.extend(flake.edits)
        self.edits.extend(flake.other_edits)
        self.diagnostics.extend(flake.diagnostics)
        for start in sorted(flake.drop):  # not in a list the wiring rewrote
            node = self.repo.flake.root.descendant_for_byte_range(start, start + 1)
            while (
                node is not None
                and node.parent is not None
                and (
                    node.parent.start_byte == start
                    or node.parent.type == "parenthesized_expression"
                )
            ):
                node = node.parent
            if node is not None:
                span = removal(node, self.repo.flake.text)
                self.edits.append(
                    Edit(
                        Path(self.repo.flake.path),
                        span.start_byte,
                        span.end_byte,
                        b"",
                        "an empty module",
                    )
                )

    def finish_user(self, up: UserPlan) -> None:
        """Per-host files, the shell home-manager must manage, the entry's imports."""
        self.place_per_host(up)
        if up.needs_shell and self.login_shell(up.user) not in up.enabled_shells:
            shell = self.login_shell(up.user)
            dest = self.home_dest(up, up.hosts, Feature.CLI)
            line = f"programs.{shell}.enable = true;"
            if not any(c.code.startswith(f"programs.{shell}.enable") for c in dest.chunks):
                dest.extra.append(
                    f"# home.sessionVariables and home.shellAliases only apply in shells home-manager manages.\n{line}"
                )
        if up.entry in self.new_files and self.new_files[up.entry].entry is not None:
            self.ensure_entry(up)
            entry = self.new_files[up.entry]
            state = None if self.defines_state_version(up.user.name) else self.state_version()
            home = darwin.home_directory_code(self.index, up.user)
            module = darwin.module_words(self.index, up.user)
            entry.identity, entry.tail = _entry_bindings(up, home, state, self.opts, module)
            entry.hm_package = self.opts.mode is Mode.BOTH
        else:
            standalone = (
                self.opts.mode is not Mode.MODULE
                and "homeConfigurations" not in self.output_names()
                and not up.inline
            )
            if self.opts.mode is Mode.BOTH and not self.has_hm_command(up.user.name):
                # Under the NixOS module programs.home-manager installs nothing (HM-FACTS 3).
                dest = self.home_dest(up, up.hosts, Feature.CLI)
                dest.items.insert(
                    0,
                    PackageItem(
                        "# the home-manager command, for `home-manager switch` next to the NixOS module\n"
                        "pkgs.home-manager",
                        "home-manager",
                        "",
                        Needs(args={"pkgs"}),
                        None,
                    ),
                )
            self.update_existing_entry(up, standalone)

    def update_existing_entry(self, up: UserPlan, standalone: bool) -> None:
        """A user whose home-manager configuration exists: it imports the new feature files, and
        gets what a standalone configuration needs that the NixOS module used to provide."""
        features = (
            sorted(
                p
                for p, dest in self.files_in(PurePosixPath("home") / up.user.name / "features")
                if not dest.empty
            )
            if self.opts.features
            else []
        )
        name = up.user.name
        self.edits.extend(
            home_entry_edits(
                self.repo.ev.source(self.repo.root / up.entry),
                up.entry,
                [relative_import(p, up.entry.parent) for p in features],
                username=name if standalone else None,
                home_directory=darwin.home_directory_code(self.index, up.user)
                if standalone
                else None,
                state_version=None if self.defines_state_version(name) else self.state_version(),
            )
        )

    def has_hm_command(self, name: str) -> bool:
        """The user's home configuration installs the home-manager command already."""
        for info in self.index.user_homes(name):
            for d in self.index.by_head(info).get("home", ()):
                if d.path == ("home", "packages") and "home-manager" in d.value_text:
                    return True
        return False

    def defines_state_version(self, name: str) -> bool:
        """The user's home configuration already sets `home.stateVersion` somewhere (written
        once, never twice: a second value would conflict)."""
        for d in self.inline_home_config(name):
            inner = read_module(d.source, d.value).definitions if len(d.path) == 3 else ()
            if d.path[3:] == ("home", "stateVersion") or any(
                i.path == ("home", "stateVersion") for i in inner
            ):
                return True
        return any(
            d.path == ("home", "stateVersion")
            for info in self.index.user_homes(name)
            for d in self.index.by_head(info).get("home", ())
        )

    def login_shell(self, user: User) -> str:
        for d in user.definitions:
            if d.path[3:] == ("shell",):
                text = d.value_text
                for shell in ("zsh", "fish", "nushell", "bash"):
                    if shell in text:
                        return "nushell" if shell == "nushell" else shell
        return darwin.default_shell(self.index, user)

    def state_version(self) -> str:
        """`home.stateVersion` for a new entry point: the home-manager release the flake
        tracks, when the user first gets home-manager (on master, the newest release homeward
        knows, as `add` writes: one fact, one place). Never a host's `system.stateVersion`:
        that records the NixOS install, which says nothing about the state home-manager keeps
        (DESIGN, rule 8), and on nix-darwin it is an integer."""
        return release_text(self.release)


def _empty_set(node: Node) -> bool:
    """`{ }` (comments allowed): a module that defines nothing."""
    return node.type == "attrset_expression" and not any(
        c.is_named for c in node.children if c.type != "comment"
    )


def _empty_module(source: Source) -> bool:
    """`{ }`, `{ ... }: { }`: a module with nothing in it."""
    body = read_module(source).body
    return body is not None and next(iter(bindings_of(body)), None) is None


def _hosts_label(hosts: tuple[str, ...]) -> str:
    """`desk-laptop` for a few hosts; `desk-and-7-more` when a name would get unwieldy."""
    if len(hosts) <= 3:
        return "-".join(hosts)
    return f"{hosts[0]}-and-{len(hosts) - 1}-more"


def _scalar(d: Definition) -> bool:
    """A string or number value (what home.sessionVariables and home.shellAliases accept)."""
    return unparen(d.value).type in (
        "string_expression",
        "indented_string_expression",
        "integer_expression",
    )


def _leading_comment_text(node: Node, source: Source) -> str:
    """The comment lines directly above a binding, at indentation 0."""
    comments = leading_comments(node, source.text)
    return "\n".join(
        reindent(node_text(c, source.text), indent_at(source.text, c.start_byte), "")
        for c in comments
    )


def _majority(features: list[Feature]) -> Feature:
    """The feature most of the packages belong to; `packages` when no feature has most."""
    counts: dict[Feature, int] = defaultdict(int)
    for f in features:
        counts[f] += 1
    for feature, count in counts.items():
        if count * 2 > len(features):
            return feature
    return Feature.PACKAGES


def _covered(spans: list[tuple[int, int]]) -> Callable[[int], bool]:
    """Whether a position lies inside one of the (start, end) spans: sorted once, then each
    question is one bisection (the ends' running maximum answers for nested spans too)."""
    import bisect

    ordered = sorted(spans)
    starts = [start for start, _ in ordered]
    reach: list[int] = []
    for _, end in ordered:
        reach.append(max(end, reach[-1]) if reach else end)

    def inside(position: int) -> bool:
        i = bisect.bisect_right(starts, position) - 1
        return i >= 0 and reach[i] > position

    return inside


def _removed_region(info: ModuleInfo) -> tuple[int, int]:
    """The bytes that leave with an emptied module: all of its file, or, for a module written
    inline in a module list, that list element with its own comments."""
    text = info.source.text
    node = info.module.function or info.module.body
    if info.path is not None or node is None:
        return 0, len(text)
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    return item_extent(node, text)


def _header_end(source: Source) -> int:
    """Where the comment lines at the top of a file end (what `_header_comment` keeps)."""
    end = 0
    for line in source.text.splitlines(keepends=True):
        if not line.startswith(b"#"):
            break
        end += len(line)
    return end


def _header_comment(source: Source) -> str:
    """The comment lines at the top of a file (kept when the file is rewritten)."""
    lines = []
    for line in source.text.decode().splitlines():
        if line.startswith("#"):
            lines.append(line)
        else:
            break
    return "\n".join(lines)


def _home_dir(user: User) -> str:
    """`users.users.<u>.home` when written as a string, else /home/<u> (NixOS's default)."""
    from homeward.syntax.nodes import string_value

    for d in user.definitions:
        if d.path[3:] == ("home",):
            value = string_value(d.value, d.source.text)
            if value:
                return value
    return f"/home/{user.name}"


def _entry_bindings(
    up: UserPlan, home: str, state_version: str | None, opts: MigrateOptions, module: str
) -> tuple[str, str]:
    """The entry's identity (`home` is Nix code) and its last lines (`module`: which of
    home-manager's modules wires the user, as words)."""
    name = up.user.name
    home = home if home.startswith('"') else f"({home})"
    identity = (
        f"home.username = lib.mkDefault {quote_string(name)};\n"
        f"home.homeDirectory = lib.mkDefault {home};"
    )
    if state_version is not None:
        identity += f"\nhome.stateVersion = {quote_string(state_version)};"
    tail = "programs.home-manager.enable = true;"
    if opts.mode is Mode.BOTH:
        tail = (
            f"# Under the {module} programs.home-manager installs nothing: the package above\n"
            "# keeps the command for `home-manager switch --flake .#<user>@<host>`.\n"
            f"{tail}"
        )
    return identity, tail


def plan_migration(index: Index, opts: MigrateOptions) -> Plan:
    repo, warnings = without_assembled(index.repo)
    if repo is not index.repo:
        # Hosts a framework assembles are read, not rewired (plan/assembled.py).
        index = build_index(repo)
    sites = None
    if opts.mode is not Mode.STANDALONE:
        # A host home-manager's module cannot be wired into is skipped, not the whole run.
        index, sites = skip_unwireable(index)
    plan = Planner(index, opts, sites).plan()
    return replace(plan, diagnostics=(*warnings, *plan.diagnostics)) if warnings else plan
