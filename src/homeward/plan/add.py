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
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError, UsageError
from homeward.model.index import NEWEST_RELEASE, Index, release_text
from homeward.model.repo import Context, ModuleKind, SystemConfig
from homeward.plan.flake import FlakeEditor, HomeWiring
from homeward.plan.init import (
    DARWIN_SYSTEMS,
    InitSpec,
    cli_nix,
    feature_problem,
    git_nix,
    hardware_placeholder,
    home_nix,
    host_nix,
    host_problem,
    user_problem,
)
from homeward.plan.nixcode import indent, list_binding, relative_import
from homeward.plan.settings import HomeManagerSettings, HomeUser, settings_module
from homeward.plan.standalone import home_configuration, home_configuration_entry, package_set
from homeward.plan.types import Edit, NewFile, Plan
from homeward.syntax.edit import Span, add_formal, append_to_list, indent_at, insert_binding
from homeward.syntax.emit import attr_key, quote_string
from homeward.syntax.find import StepKind, read_module
from homeward.syntax.nodes import (
    bindings_of,
    call_parts,
    dotted_name,
    function_leaf,
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
            self.add_host()
        else:
            self.add_user()
        self.edits.extend(self.flake.edits)
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
        feature = entry.parent / "features" / f"{name}.nix"
        if not self.repo.files.taken(feature):
            text = (
                f"# {user}'s {name}: one concern per file, imported by ../default.nix.\n"
                "{ pkgs, ... }:\n{\n  home.packages = with pkgs; [ ];\n}\n"
            )
            self.files.append(NewFile(Path(feature), text.encode(), f"the `{name}` feature"))
        self.import_into(entry, relative_import(feature, entry.parent))

    def import_into(self, entry: PurePosixPath, rel: str) -> None:
        """Add `rel` to the imports of the module at `entry` unless it is there."""
        source = self.repo.ev.source(self.repo.root / entry)
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
        code = f"imports = [ {rel} ];"
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

    # -- host ----------------------------------------------------------------------------------
    def add_host(self) -> None:
        name = self.spec.name
        problem = host_problem(name)
        if problem:
            raise UsageError(problem)
        users = self.home_users()
        chosen = self.spec.hosts or ()
        if self.spec.user:
            wanted = tuple(u.strip() for u in self.spec.user.split(",") if u.strip())
            missing = [u for u in wanted if u not in users]
            if missing:
                raise UsageError(
                    f"`{missing[0]}` has no home/{missing[0]}/default.nix",
                    hint="run `homeward add user` first",
                )
            users = {u: users[u] for u in wanted}
        del chosen
        system = self.spec.system or self.default_system()
        if system in DARWIN_SYSTEMS:
            self.add_mac(name, system, users)
            return
        host_dir = PurePosixPath("hosts") / name
        release = self.release()
        spec = InitSpec(user=next(iter(users), "nobody"), host=name, system=system, release=release)
        new_host_file = not self.repo.files.taken(host_dir)
        if new_host_file:
            host_text = host_nix(spec)
            shared = self.shared_accounts()
            others = sorted(set(shared) - set(users))
            if not self.repo.files.has_file("modules/system/users.nix") or others:
                host_text = host_text.replace(b"    ../../modules/system/users.nix\n", b"")
            if others:
                # Why (issue 14): the shared users.nix holds accounts of users who get no home
                # here; the new host gets its own users' accounts in its own file (DESIGN: an
                # account on some hosts only lives in those hosts' own files).
                accounts = "".join(shared.get(u, _minimal_account(u)) for u in users)
                end = host_text.rstrip().rfind(b"}")
                host_text = host_text[:end] + accounts.encode() + host_text[end:]
            self.files.append(
                NewFile(
                    Path(host_dir / "default.nix"), host_text, f"`{name}`'s system configuration"
                )
            )
            self.files.append(
                NewFile(
                    Path(host_dir / "hardware-configuration.nix"),
                    hardware_placeholder(spec),
                    "a placeholder",
                )
            )
        if name in self.repo.hosts:
            return
        if self.append_to_host_list(name):
            # A helper builds every host the same way: it already wires home-manager, and the
            # standalone entries follow.
            pass
        else:
            call = self.flake_host_entry(name, system, users, platform_in_file=new_host_file)
            if not self.helper(name, call):
                self.insert_output("nixosConfigurations", name, call)
        self.home_entries([(u, name) for u in users], system)

    def add_mac(self, name: str, system: str, users: dict[str, PurePosixPath]) -> None:
        """A nix-darwin host (issue 12): `hosts/NAME/` as `init --system aarch64-darwin`
        writes it (accounts under /Users, `system.primaryUser`), its `darwinConfigurations`
        entry with home-manager's darwin module, `homeConfigurations."U@NAME"` on the Mac's
        platform, and a home written for Linux made to choose its directory per platform."""
        from homeward.plan import darwin
        from homeward.plan.init import darwin_host_nix

        if name in self.repo.hosts or f"darwinConfigurations.{name}" in self.repo.others:
            return  # there already: nothing to do
        first = next(iter(users), None)
        if first is None:
            raise UsageError(
                "a Mac needs a user with a home (home/<user>/default.nix)",
                hint="run `homeward add user NAME` first, or pass --user",
            )
        host_dir = PurePosixPath("hosts") / name
        spec = InitSpec(user=first, host=name, system=system, release=self.release())
        # Why: the users' homes are shared with the other hosts; a package they allow as
        # unfree must build on the Mac too (both wirings).
        unfree = any(facts.allows_unfree for facts in self.index.hosts.values())
        if not self.repo.files.taken(host_dir):
            text = darwin.mac_host_file(darwin_host_nix(spec), list(users), unfree=unfree)
            self.files.append(
                NewFile(Path(host_dir / "default.nix"), text, f"the Mac `{name}`'s configuration")
            )
        flake = self.flake
        nix_darwin = darwin.darwin_input(flake, self.release())
        hm = flake.home_manager_ref()
        template = self.template_host()
        special = flake.special_args_text(template) if template is not None else None
        modules = [f"./{host_dir}", f"{hm}.darwinModules.home-manager"]
        modules.append(self.settings_module(special, users))
        lines = [] if special is None else [f"specialArgs = {special};"]
        lines.append(list_binding("modules", modules))
        call = f"{nix_darwin}.lib.darwinSystem {{\n" + indent("\n".join(lines)) + "\n}"
        self.insert_output("darwinConfigurations", name, call)
        self.home_entries([(u, name) for u in users], system, unfree=unfree)
        for user, entry in users.items():
            source = self.repo.ev.source(self.repo.root / entry)
            found = darwin.mac_home_directory_edit(source.text, user)
            if found is None:
                continue
            start, end, new = found
            self.edit_file(entry, start, end, new, f"`{user}`'s home under /Users on a Mac")
            module = read_module(source)
            formals = module.function.child_by_field_name("formals") if module.function else None
            if "pkgs" not in module.formals and formals is not None:
                self.splice(entry, add_formal(formals, source.text, "pkgs"), "`pkgs` for isDarwin")

    def template_host(self) -> SystemConfig | None:
        """The host a new one is written like (its `specialArgs`): a NixOS host, else a Mac."""
        hosts = [*self.nixos.values(), *self.repo.hosts.values(), *self.repo.others.values()]
        return next(iter(hosts), None)

    def shared_accounts(self) -> dict[str, str]:
        """The accounts `modules/system/users.nix` writes, user -> its bindings as host-file
        text (`\n  users.users.ham = { ... };\n`), copied as written."""
        info = self.repo.modules.get("modules/system/users.nix")
        if info is None:
            return {}
        text = info.source.text
        found: dict[str, list[Node]] = {}
        for d in info.module.definitions:
            if d.path[:2] != ("users", "users") or len(d.path) < 3:
                continue
            outer = next((st.node for st in d.steps if st.kind is StepKind.BINDING), None)
            if outer is None:
                continue
            path = outer.child_by_field_name("attrpath")
            if path is None or not node_text(path, text).startswith(f"users.users.{d.path[2]}"):
                found.setdefault(d.path[2], [])  # written with others: a minimal account
                continue
            nodes = found.setdefault(d.path[2], [])
            if all(n.start_byte != outer.start_byte for n in nodes):
                nodes.append(outer)
        accounts: dict[str, str] = {}
        for user, nodes in found.items():
            if not nodes:
                accounts[user] = _minimal_account(user)
                continue
            accounts[user] = "\n" + "".join(f"  {node_text(n, text)}\n" for n in nodes)
        return accounts

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

    def append_to_host_list(self, name: str) -> bool:
        """`nixosConfigurations = lib.genAttrs [ "a" "b" ] mkHost;`: add the name to the list."""
        container = self.flake.outputs_attrset()
        text = self.repo.flake.text
        for b in bindings_of(container):
            path = b.child_by_field_name("attrpath")
            value = b.child_by_field_name("expression")
            if path is None or value is None or node_text(path, text) != "nixosConfigurations":
                continue
            fn, args = call_parts(value)
            if (
                function_leaf(dotted_name(fn, text)) == "genAttrs"
                and args
                and unparen(args[0]).type == "list_expression"
            ):
                for span in append_to_list(unparen(args[0]), text, [quote_string(name)]):
                    self.splice(PurePosixPath(self.repo.flake.path), span, f"add host `{name}`")
                return True
        return False

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
        if self.imports_wiring():
            return f"home-manager.users.{attr_key(name)} = import {path};"
        return list_binding(f"home-manager.users.{attr_key(name)}.imports", [path])

    def settings_module(self, special: str | None, users: dict[str, PurePosixPath]) -> str:
        """The home-manager settings module a new host (NixOS or Mac) gets in its list: the
        one migrate writes (`plan/settings.py`)."""
        style = self.imports_wiring()
        home_users = tuple(
            HomeUser(u, (relative_import(p, PurePosixPath(".")),), as_import=style)
            for u, p in users.items()
        )
        return settings_module(
            HomeManagerSettings(home_users, self.flake.backup_extension, special_args=special)
        )

    def flake_host_entry(
        self,
        name: str,
        system: str,
        users: dict[str, PurePosixPath],
        *,
        platform_in_file: bool = False,
    ) -> str:
        """The `nixosSystem` call `add host` writes for `name`, as text."""
        flake = self.flake
        hm = flake.home_manager_ref()
        nixpkgs = flake.input_ref(flake.nixpkgs_name())
        template = self.template_host()
        special = flake.special_args_text(template) if template is not None else None
        modules = [f"./hosts/{name}"]
        if users:
            modules.append(f"{hm}.nixosModules.home-manager")
            modules.append(self.settings_module(special, users))
        # Why (issue 14): the host file homeward writes sets `nixpkgs.hostPlatform`; a second
        # `system = ...` in the flake said the same thing twice (and could disagree).
        lines = [] if platform_in_file else [f"system = {quote_string(system)};"]
        if special is not None:
            lines.append(f"specialArgs = {special};")
        lines.append(
            "modules = [\n" + "\n".join("  " + m.replace("\n", "\n  ") for m in modules) + "\n];"
        )
        call = (
            f"{nixpkgs}.lib.nixosSystem {{\n"
            + "\n".join("  " + line.replace("\n", "\n  ") for line in lines)
            + "\n}"
        )
        return call

    def helper(self, name: str, call: str) -> bool:
        """With --mkhost, replace the hosts' repeated calls (and this one) by one `mkHost`
        helper; without, offer it when the calls are alike. Whether the helper was written."""
        from homeward.plan.mkhost import alike, helper_spans, host_entries

        flake = self.repo.flake
        hosts = list(self.nixos.values())
        if not hosts:
            return False
        container = self.flake.outputs_attrset()
        entries = host_entries(flake, container, hosts)
        why = entries if isinstance(entries, str) else alike(flake, entries, name, call)
        if not self.spec.mkhost:
            if not why:
                count = len(hosts) + 1
                self.diagnostics.append(
                    Diagnostic(
                        Severity.NOTE,
                        f"flake.nix now repeats one `nixosSystem` call for {count} hosts",
                        hint=f"`add host {name} --mkhost` writes one `mkHost` helper instead "
                        "(after this run: `homeward undo` first)",
                    )
                )
            return False
        if isinstance(entries, str) or why:
            raise UsageError(
                f"--mkhost: {why}",
                hint="add the host without --mkhost, or write the helper by hand",
            )
        for span in helper_spans(flake, container, entries, name, self.flake.lib_ref()):
            self.splice(PurePosixPath(flake.path), span, "one `mkHost` helper for every host")
        return True

    def insert_output(self, group: str, name: str, code: str) -> None:
        """Add `<group>.<name> = code;` the way the flake writes that group (dotted or a set)."""
        text = self.repo.flake.text
        container = self.flake.outputs_attrset()
        anchor: Node | None = None
        for b in bindings_of(container):
            path = b.child_by_field_name("attrpath")
            value = b.child_by_field_name("expression")
            if path is None:
                continue
            names = node_text(path, text).split(".")
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
                span = insert_binding(target, text, f"{attr_key(name)} = {code};")
                self.splice(PurePosixPath(self.repo.flake.path), span, f"add `{group}.{name}`")
                return
            anchor = b
        key = attr_key(name)
        if anchor is None:
            nixos_anchor, _, _ = self.flake.nixos_configurations_binding()
            anchor = nixos_anchor
        span = insert_binding(
            container,
            text,
            f"{group}.{key} = {code};",
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
            self.insert_output("homeConfigurations", f"{user}@{host}", code)

    # -- user ----------------------------------------------------------------------------------
    def add_user(self) -> None:
        from homeward.plan import darwin

        name = self.spec.name
        problem = user_problem(name)
        if problem:
            raise UsageError(problem)
        hosts = list(self.spec.hosts) or sorted(self.repo.hosts)
        unknown = [h for h in hosts if h not in self.repo.hosts]
        if unknown:
            raise UsageError(
                f"no host `{unknown[0]}` in flake.nix (hosts: {', '.join(sorted(self.repo.hosts))})"
            )
        if not hosts:
            raise HomewardError(
                "this flake has no nixosConfigurations or darwinConfigurations to put a user on",
                hint="run `homeward add host NAME` first",
            )
        macs = [h for h in hosts if self.index.is_mac(h)]
        # A home for Macs only is written for a Mac (`/Users/<u>`, darwin-rebuild); for a
        # user on both platforms, its directory is chosen by `pkgs.stdenv.isDarwin`.
        system = "x86_64-linux"
        if len(macs) == len(hosts):
            system = next((s for s in map(self._system, macs) if s), "aarch64-darwin")
        spec = InitSpec(user=name, host=hosts[0], system=system, release=self.release())
        home = PurePosixPath("home") / name
        if not self.repo.files.taken(home / "default.nix"):
            text = home_nix(spec)
            both = darwin.mac_home_directory_edit(text, name) if macs else None
            if both is not None:
                start, end, new = both
                text = text[:start] + new + text[end:]
            self.files.append(
                NewFile(Path(home / "default.nix"), text, f"`{name}`'s home-manager entry point")
            )
            for feature, make in (("cli", cli_nix), ("git", git_nix)):
                path = home / "features" / f"{feature}.nix"
                if not self.repo.files.taken(path):
                    self.files.append(NewFile(Path(path), make(spec), feature))
        self.add_account(name, [h for h in hosts if h not in macs])
        entry = PurePosixPath("home") / name / "default.nix"
        wired: set[str] = set()  # inline modules wired by this plan (a helper's is shared)
        rest = [h for h in hosts if not self.wire_user(name, self.repo.hosts[h], wired)]
        if rest:
            # Once for all of them: hosts built by one helper share its module list. On a Mac
            # the settings module also gets the account's `/Users/<u>` (plan/darwin.py).
            self.flake.wire_modules(
                {h: [HomeWiring(name, (h,), entry)] for h in rest}, self.flake.home_manager_ref()
            )
        self.home_entries([(name, h) for h in hosts])

    def _system(self, host: str) -> str | None:
        try:
            return self.flake.host_system(self.repo.hosts[host])
        except HomewardError:
            return None

    def add_account(self, name: str, hosts: list[str]) -> None:
        """The NixOS account of `name` on `hosts` (a Mac's is written with its wiring)."""
        user = self.index.users.get(name)
        if not hosts or (user is not None and any(h in self.nixos for h in user.hosts)):
            return
        users_file = PurePosixPath("modules/system/users.nix")
        info = self.repo.modules.get(str(users_file))
        account = f"users.users.{name} = {{\n  isNormalUser = true;\n  extraGroups = [ ];\n}};"
        if info is not None and set(hosts) == info.hosts:
            body = info.module.body
            assert body is not None
            span = insert_binding(body, info.source.text, account, blank_before=True)
            self.splice(users_file, span, f"the account of `{name}`")
            return
        for host in hosts:
            host_file = self.host_file(self.repo.hosts[host])
            source = self.repo.ev.source(self.repo.root / host_file)
            body = read_module(source).body
            if body is None:
                raise HomewardError(
                    f"cannot edit `{host_file}`: it is not an attribute set", at=source.location(0)
                )
            span = insert_binding(body, source.text, account, blank_before=True)
            self.splice(host_file, span, f"the account of `{name}`")

    def host_file(self, host: SystemConfig) -> PurePosixPath:
        for ref in host.modules:
            if ref.kind is ModuleKind.FILE and ref.path is not None:
                return PurePosixPath(ref.path)
        raise HomewardError(
            f"host `{host.name}` has no module file to put the account in", at=host.location
        )

    def wire_user(self, name: str, host: SystemConfig, wired: set[str]) -> bool:
        """`home-manager.users.<name> = ...` next to the other users, written as they are, in
        the host's inline module (`wired`: modules this plan wired already); False when the
        host has no such module (home-manager's module is to be added to its list)."""
        text = self.repo.flake.text
        line = self.user_wiring(name, f"./home/{name}")
        for ref in host.modules:
            if (
                ref.kind is not ModuleKind.INLINE
                or ref.node is None
                or ref.source is not self.repo.flake
            ):
                continue
            info = self.repo.modules.get(f"{ref.source.path}@{ref.node.start_byte}")
            if info is None or info.module.body is None:
                continue
            if info.key in wired:
                return True
            users = [d for d in info.module.definitions if d.path[:2] == ("home-manager", "users")]
            if any(d.path[2] == name for d in users):
                return True
            if users:
                if self.index.is_mac(host.name) and not self._mac_home(name, host.name):
                    # nix-darwin leaves `home` null, and home-manager's darwin module reads it.
                    line += (
                        f"\nusers.users.{attr_key(name)}.home = {quote_string(f'/Users/{name}')};"
                    )
                span = insert_binding(info.module.body, text, line, after=users[-1].binding)
                self.splice(
                    PurePosixPath(self.repo.flake.path), span, f"wire `{name}` on `{host.name}`"
                )
                wired.add(info.key)
                return True
        return False

    def _mac_home(self, user: str, host: str) -> bool:
        """Some module of the Mac `host` sets `users.users.<user>.home`."""
        return any(
            d.path[2:3] == (user,) and d.path[3:4] in ((), ("home",))
            for d in self.index.host_definitions(host, "users")
            if d.path[:2] == ("users", "users")
        )


def plan_add(index: Index, spec: AddSpec) -> Plan:
    return Adder(index, spec).plan()


def _minimal_account(user: str) -> str:
    return f"\n  users.users.{user} = {{\n    isNormalUser = true;\n    extraGroups = [ ];\n  }};\n"


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
