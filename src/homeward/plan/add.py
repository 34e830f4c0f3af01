"""`homeward add`: grow the layout without hand-editing flake.nix. Repo -> Plan; pure.

- `add feature NAME --user U`: `home/U/features/NAME.nix` and its import in `home/U/default.nix`;
- `add host NAME`: `hosts/NAME/`, its `nixosConfigurations` entry (a new name in a
  `genAttrs [ ... ] mkHost` list, or a new entry written like the others) with home-manager's
  NixOS module for the users, and `homeConfigurations."U@NAME"`; with a darwin `--system`, a
  `darwinConfigurations` entry with home-manager's darwin module (issue 12);
- `add user NAME`: the account, `home/NAME/`, its wiring on each host and its
  `homeConfigurations."NAME@H"`.

Each is idempotent: what exists already is left alone, and a run that has nothing to add says so.
Files are never overwritten.

`Adder` holds the plan being built and what the three share; a host's pieces are in
`plan/addhost.py`, a user's in `plan/adduser.py`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic
from homeward.errors import HomewardError, UsageError
from homeward.model.index import NEWEST_RELEASE, Index, release_text
from homeward.model.repo import Context, SystemConfig
from homeward.plan.addhost import add_host
from homeward.plan.adduser import add_user
from homeward.plan.flake import FlakeEditor, HomeWiring, output_names, outputs_prefix
from homeward.plan.init import (
    feature_problem,
)
from homeward.plan.nixcode import list_binding, relative_import
from homeward.plan.settings import HomeUser, new_host_settings, settings_attrs, user_binding
from homeward.plan.standalone import home_configuration, home_configuration_entry, package_set
from homeward.plan.types import Edit, NewFile, Plan
from homeward.syntax import emit as nix
from homeward.syntax.edit import Span, append_to_list, indent_at, insert_binding
from homeward.syntax.emit import attr_key
from homeward.syntax.find import read_module
from homeward.syntax.nodes import (
    bindings_of,
    named_children,
    node_text,
    unparen,
)

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class AddSpec:
    kind: str  # feature | host | user
    name: str
    user: str | None = None
    hosts: tuple[str, ...] = ()
    system: str | None = None
    mkhost: bool = False  # host: one `mkHost` helper for every host (issue 14 item 17)


class Adder:
    def __init__(self, index: Index, spec: AddSpec) -> None:
        self.index = index
        self.repo = index.repo
        self.spec = spec
        self.edits: list[Edit] = []
        self.files: list[NewFile] = []
        self.flake = FlakeEditor(index)
        self.diagnostics: list[Diagnostic] = []
        # The NixOS hosts (`add` reads Macs as hosts too, as migrate does: issue 12).
        self.nixos = {n: h for n, h in self.repo.hosts.items() if not index.is_mac(n)}

    def plan(self) -> Plan:
        self.repo.fatal()
        if self.spec.kind == "feature":
            self.add_feature()
        elif self.spec.kind == "host":
            add_host(self)
        else:
            add_user(self)
        # Everything the flake editor decided: a host's module list may be written in
        # another file (a helper's), and its warnings are the plan's too.
        wired = self.flake.result()
        self.edits.extend((*wired.flake, *wired.others))
        self.diagnostics.extend(wired.diagnostics)
        return Plan(
            edits=tuple(self.edits),
            new_files=tuple(self.files),
            diagnostics=tuple(self.diagnostics),
        )

    # -- who is there ------------------------------------------------------------------------
    def home_users(self) -> dict[str, PurePosixPath]:
        """Users with a home-manager entry point `home/<u>/default.nix`, by name."""
        found: dict[str, PurePosixPath] = {}
        for info in self.repo.modules.values():
            if info.context is Context.HOME and info.path is not None:
                path = PurePosixPath(info.path)
                if len(path.parts) == 3 and path.parts[0] == "home" and path.name == "default.nix":
                    found[path.parts[1]] = path
        for user in self.index.users.values():
            entry = PurePosixPath("home") / user.name / "default.nix"
            if self.repo.files.has_file(entry):
                found.setdefault(user.name, entry)
        return dict(sorted(found.items()))

    def refuse_unseen(self, path: PurePosixPath, use: str) -> None:
        """Refuse (exit 3) a file or directory that is on disk but that nix does not see
        (rule 12: in git, what git tracks): as migrate, `add` neither takes it for `use` nor
        writes over it."""
        files = self.repo.ev.files
        if not (self.repo.files.taken(path) and files.hidden_at(os.fspath(self.repo.root / path))):
            return
        why, add = "", "git add"
        rule = files.ignored_by(self.repo.root / path)
        if rule is not None:  # plain `git add` refuses an ignored file
            name, line, pattern = rule
            why, add = f"; it is ignored by `{name}:{line}` (`{pattern}`)", "git add -f"
        raise HomewardError(
            f"`{path}` is on disk but git does not track it{why}: nix does not see it, "
            "and homeward does not write over it; nothing was changed",
            hint=f"run `{add} {path}` (`--intent-to-add` is enough) to use it as {use}, "
            "or move it out of the way",
        )

    def splice(self, path: PurePosixPath, span: Span, why: str) -> None:
        self.edit_file(path, span.start_byte, span.end_byte, span.new, why)

    def edit_file(self, path: PurePosixPath, start: int, end: int, new: bytes, why: str) -> None:
        self.edits.append(Edit(Path(path), start, end, new, why))

    # -- feature -------------------------------------------------------------------------------
    def add_feature(self) -> None:
        name = self.spec.name
        problem = feature_problem(name)
        if problem:
            raise UsageError(problem)
        users = self.home_users()
        user = self.spec.user
        if user is None:
            if len(users) != 1:
                raise UsageError(
                    "which user's feature? "
                    + (
                        f"this configuration has {', '.join(users)}"
                        if users
                        else "no user has home/<user>/default.nix yet"
                    ),
                    hint="pass --user USER",
                )
            user = next(iter(users))
        if user not in users:
            raise UsageError(
                f"`{user}` has no home-manager entry point `home/{user}/default.nix`",
                hint=f"run `homeward add user {user}` or `homeward migrate` first",
            )
        entry = users[user]
        self.refuse_unseen(entry, f"`{user}`'s entry point")
        feature = entry.parent / "features" / f"{name}.nix"
        self.refuse_unseen(feature, f"the `{name}` feature")
        if not self.repo.files.taken(feature):
            module = nix.Func(["pkgs"], nix.Attrs([(("home", "packages"), nix.With("pkgs", []))]))
            why = f"# {user}'s {name}: one concern per file, imported by ../default.nix.\n"
            text = why.encode() + nix.emit_file(module)
            self.files.append(NewFile(Path(feature), text, f"the `{name}` feature"))
        self.import_into(entry, relative_import(feature, entry.parent))

    def import_into(self, entry: PurePosixPath, rel: str) -> None:
        """Add `rel` to the imports of the module at `entry` unless it is there."""
        source = self.repo.ev.files.source(self.repo.root / entry)
        module = read_module(source)
        if module.body is None:
            raise HomewardError(
                f"cannot edit `{entry}`: it is not an attribute set", at=source.location(0)
            )
        for d in module.find_exact(("imports",)):
            value = unparen(d.value)
            if value.type != "list_expression":
                continue
            existing = {node_text(e, source.text) for e in named_children(value)}
            if rel in existing or rel.removesuffix(".nix") in existing:
                return
            for span in append_to_list(value, source.text, [rel]):
                self.splice(entry, span, f"import {rel}")
            return
        first = next(iter(bindings_of(module.body)), None)
        code = list_binding("imports", [rel])
        if first is None:
            span = insert_binding(module.body, source.text, code)
            self.splice(entry, span, f"import {rel}")
            return
        indent = indent_at(source.text, first.start_byte)
        self.edit_file(
            entry,
            first.start_byte,
            first.start_byte,
            f"{code}\n\n{indent}".encode(),
            f"import {rel}",
        )

    # -- what a new host or user is written like -----------------------------------------------
    def template_host(self) -> SystemConfig | None:
        """The host a new one is written like (its `specialArgs`): a NixOS host, else a Mac."""
        hosts = [*self.nixos.values(), *self.repo.hosts.values(), *self.repo.others.values()]
        return next(iter(hosts), None)

    def release(self) -> str:
        """The home-manager release new files are written for (the index's; master: the
        newest homeward knows)."""
        return release_text(self.index.release, NEWEST_RELEASE)

    def default_system(self) -> str:
        for host in [*self.nixos.values(), *self.repo.hosts.values()]:
            try:
                return self.flake.host_system(host)
            except HomewardError:
                continue
        return "x86_64-linux"

    def imports_wiring(self) -> bool:
        """The flake wires users as `home-manager.users.ham = import ./home/ham;` (homeward's
        scaffold), rather than with `.imports = [ ]`."""
        for info in self.repo.modules.values():
            if info.path is not None or info.source is not self.repo.flake:
                continue
            for d in info.module.definitions:
                if (
                    d.path[:2] == ("home-manager", "users")
                    and len(d.path) == 3
                    and d.value_text.startswith("import ")
                ):
                    return True
        return False

    def user_wiring(self, name: str, path: str) -> str:
        """How the flake wires a user, in its own style (`imports_wiring`), as one binding."""
        return nix.emit_binding(*user_binding(HomeUser(name, (path,), self.imports_wiring())))

    def host_settings(self, special: str | None, users: dict[str, PurePosixPath]) -> nix.Attrs:
        """The home-manager settings module a new host (NixOS or Mac) gets in its list: the
        one migrate writes (`plan/settings.py`)."""
        settings = new_host_settings(
            users, self.flake.backup_extension, special, as_import=self.imports_wiring()
        )
        return settings_attrs(settings)

    def insert_output(self, group: str, name: str, entry: object) -> None:
        """Add `<group>.<name> = entry;` (a `syntax.emit` value) the way the flake writes that
        group (dotted or a set), under `flake` where a flake-parts module writes its hosts so
        (`outputs_prefix`: flake-parts makes no output of a name beside `flake`)."""
        text = self.repo.flake.text
        container = self.flake.outputs_attrset()
        prefix = outputs_prefix(self.flake)
        anchor: Node | None = None
        for b in bindings_of(container):
            path = b.child_by_field_name("attrpath")
            value = b.child_by_field_name("expression")
            if path is None:
                continue
            names = node_text(path, text).split(".")
            if prefix:
                names = output_names(names)
            if names[0] != group:
                continue
            if len(names) == 1 and value is not None:
                # `<group> = { … };`, or `… // { … }`: the set the update ends with (its
                # attributes win). A dotted `<group>.<name>` beside it would define it twice.
                target = _last_update_operand(value, text)
                if target.type not in ("attrset_expression", "rec_attrset_expression"):
                    raise HomewardError(
                        f"`{group}` is computed here, not written as a set: add cannot put "
                        f"`{name}` into it; nothing was changed",
                        at=self.repo.flake.location(value.start_byte),
                        hint=f"add `{attr_key(name)} = …;` by hand, or write `{group}` as "
                        "`… // { … }`",
                    )
                span = insert_binding(target, text, nix.emit_binding(name, entry))
                self.splice(PurePosixPath(self.repo.flake.path), span, f"add `{group}.{name}`")
                return
            anchor = b
        if anchor is None:
            nixos_anchor, _, _ = self.flake.nixos_configurations_binding()
            anchor = nixos_anchor
        span = insert_binding(
            container,
            text,
            nix.emit_binding((*prefix, group, name), entry),
            after=anchor,
            blank_before=anchor is not None,
        )
        self.splice(PurePosixPath(self.repo.flake.path), span, f"add `{group}.{name}`")

    def home_entries(
        self,
        pairs: list[tuple[str, str]],
        system: str | None = None,
        modules: list[str] | None = None,
        *,
        unfree: bool = False,
    ) -> None:
        """`homeConfigurations."<u>@<h>"` for each pair that is missing; `modules`: the list's
        items (default `./home/<u>`), for `check --fix` of a home wired elsewhere."""
        flake = self.flake
        for user, host in pairs:
            if f"{user}@{host}" in self.repo.homes:
                continue
            hm = flake.home_manager_ref()
            host_config = self.repo.hosts.get(host)
            entry = PurePosixPath("home") / user / "default.nix"
            if host_config is not None:
                # An existing host: the entry migrate writes (its package set, its arguments).
                wiring = HomeWiring(user, (host,), entry)
                code = home_configuration(flake, wiring, host_config, hm, modules)
            else:
                # A new host, written like the others: their arguments, nixpkgs' packages.
                nixpkgs = flake.input_ref(flake.nixpkgs_name())
                template = self.template_host()
                special = flake.special_args_text(template) if template is not None else None
                pkgs = package_set(nixpkgs, system or "x86_64-linux", unfree=unfree)
                code = home_configuration_entry(
                    hm, pkgs, special, modules or [relative_import(entry, PurePosixPath("."))]
                )
            self.insert_output("homeConfigurations", f"{user}@{host}", nix.Raw(code))


def plan_add(index: Index, spec: AddSpec) -> Plan:
    return Adder(index, spec).plan()


def _last_update_operand(value: Node, text: bytes) -> Node:
    """`a // b // { … }` -> the `{ … }` (the right operand, through parentheses); else `value`."""
    node = unparen(value)
    while node.type == "binary_expression":
        operator = node.child_by_field_name("operator")
        right = node.child_by_field_name("right")
        if operator is None or right is None or node_text(operator, text) != "//":
            break
        node = unparen(right)
    return node
