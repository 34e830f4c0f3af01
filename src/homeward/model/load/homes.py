"""Phase 3 of a load: the homes home-manager's NixOS module gives each user."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

from homeward.model.forms import attr_name_in
from homeward.model.load.walk import Walk
from homeward.model.repo import Context, ModuleInfo, ModuleKind, ModuleRef, SystemConfig
from homeward.model.scope import Env
from homeward.model.values import Attrs, Lambda, ListValue, PathValue, Thunk, Unknown, Value
from homeward.syntax.find import (
    DYNAMIC,
    Definition,
    ImportKind,
    ImportRef,
    function_formals,
    read_module,
)

_NAMED_USERS = (("users", "users"), ("home-manager", "users"))
"""Where a computed name is a user's: `users.users.${u}`, `home-manager.users.${u}`."""


class HomeUsers(Walk):
    """`home-manager.users.<u>` in the hosts' modules: the home-manager modules it brings in,
    walked for that user; computed user names resolved."""

    def _resolve_user_names(self) -> None:
        """`users.users.${username}` (and `home-manager.users.${username}`) with `username`
        from `specialArgs`, a `let`, or the helper that wrote the module: the name every host
        reading the module gives it. Left computed when they disagree."""
        for info in self.modules.values():
            if info.context is not Context.NIXOS or not info.hosts:
                continue
            # Why a copy only from the first renamed definition: most modules have none, and
            # copying every module's definitions was most of this pass at 7,412 modules.
            found = info.module.definitions
            definitions: list[Definition] | None = None
            for at, d in enumerate(found):
                path = d.path
                name = None
                if len(path) > 2 and path[2] == DYNAMIC and path[:2] in _NAMED_USERS:
                    name = self._dynamic_name(d, info, 2)
                if name is None:
                    if definitions is not None:
                        definitions.append(d)
                    continue
                if definitions is None:
                    definitions = list(found[:at])
                definitions.append(replace(d, path=(*path[:2], name, *path[3:])))
            if definitions is not None:
                info.module = replace(info.module, definitions=tuple(definitions))

    def _dynamic_name(
        self, d: Definition, info: ModuleInfo, index: int, hosts: Collection[str] | None = None
    ) -> str | None:
        """The name `d.path[index]` (computed) has on every host of `hosts` (default: every host
        reading the module), None when it is not known or differs."""
        attr = d.written_attr(index)
        if attr is None:
            return None
        # Why only configurations: a module a flake exports is read for its consumer too
        # (`nixosModules.users`), whose arguments are another flake's: not known here.
        configs = self._all_configs
        names = {
            attr_name_in(self.ev, attr, self._scope_on(info, host, attr, d.source), d.source)
            for host in sorted(hosts if hosts is not None else info.hosts)
            if host in configs
        }
        if len(names) != 1:
            return None
        found = names.pop()
        return found if found and found != DYNAMIC else None

    def _follow_home_manager_users(self, hosts: dict[str, SystemConfig]) -> None:
        """`home-manager.users.<u> = ...` in a host's modules: follow into home-manager modules."""
        # Why once per module: scanning every definition again for each host was quadratic.
        wiring = {
            key: found
            for key, m in self.modules.items()
            if m.context is Context.NIXOS
            and (
                found := [
                    d
                    for d in m.module.definitions
                    if len(d.path) >= 3 and d.path[0] == "home-manager" and d.path[1] == "users"
                ]
            )
        }
        for host in hosts:
            nixos = [self.modules[key] for key in wiring if host in self.modules[key].hosts]
            for info in nixos:
                for d in wiring[info.key]:
                    user = d.path[2]
                    if user == DYNAMIC:  # `home-manager.users.${user}`: its name on this host
                        user = self._dynamic_name(d, info, 2, (host,)) or user
                    for ref in self._home_refs(d, host, info):
                        if ref.kind is ModuleKind.EXTERNAL and ref.node is not None:
                            # `outputs.homeConfigurations.desk` (the flake's own output,
                            # passed in `specialArgs`): a module of this repository.
                            own = self._own_home(ref, info, host)
                            if own is not None:
                                for sub in own:
                                    self._visit(
                                        sub, host, Context.HOME, info.key, (), users=(user,)
                                    )
                                continue
                        if ref.kind is ModuleKind.UNKNOWN and ref.dynamic:
                            expanded = self._expand(ref, info, host)
                            if expanded is None:
                                self._dynamic_problem(ref)
                                self._opaque.append((host, ref))
                                continue
                            for sub in expanded:
                                self._visit(sub, host, Context.HOME, info.key, (), users=(user,))
                            continue
                        self._visit(ref, host, Context.HOME, info.key, (), users=(user,))

    def _own_home(self, ref: ModuleRef, info: ModuleInfo, host: str) -> list[ModuleRef] | None:
        """`home-manager.users.kim = outputs.homeConfigurations.desk;` with `outputs` the
        flake's own outputs (passed in `specialArgs`): the module written in this repository
        that it names, read in the scope it was written in (youngker/nix-config). None: not
        one of this repository's modules (an input's, or not known)."""
        if ref.node is None or ref.source is None:
            return None
        scope = self._scope_on(info, host, ref.node, ref.source)
        value = self.ev.eval(ref.node, scope, ref.source)
        if not isinstance(value, Lambda | Attrs) or value.node is None or value.source is None:
            return None
        found = self._module_ref(value, Thunk.of(value), quiet=True)
        if found.kind is ModuleKind.INLINE and isinstance(value, Lambda):
            # What its body reads (`self.homeModules`) is what the flake's scope holds; its
            # own arguments (`pkgs`, `outputs`) are home-manager's, not the flake's names.
            formals = function_formals(value.node, value.source.text)
            unknown = Unknown("an argument of a home-manager module", value.node, value.source)
            env = Env(value.env, {name: Thunk.of(unknown) for name in formals})
            self.inline_envs[(host, f"{value.source.path}@{value.node.start_byte}")] = env
        return [found] if found.kind in (ModuleKind.INLINE, ModuleKind.FILE) else None

    def _home_refs(self, d: Definition, host: str, info: ModuleInfo) -> list[ModuleRef]:
        """The home-manager modules a `home-manager.users.<u>` definition brings in."""
        rest = d.path[3:]
        if rest == ("imports",):
            refs = _refs_of(d)
            if any(r.kind is ImportKind.DYNAMIC for r in refs):
                evaluated = self._evaluated_imports(d, host, info)
                if evaluated is not None:
                    return evaluated
            return [self._import_ref(r) for r in refs]
        if rest:
            return []  # `home-manager.users.ham.home.packages = ...`: defined in place
        from homeward.syntax.find import classify_import

        ref = classify_import(d.source, d.value)
        if ref.kind is ImportKind.INLINE:
            # The definitions are in the host module itself; a function-form module
            # (`{ pkgs, ... }: { imports = [ ... ]; }`) may still import files.
            return [self._import_ref(r) for r in read_module(d.source, d.value).imports()]
        return [self._import_ref(ref)]

    def _evaluated_imports(
        self, d: Definition, host: str, info: ModuleInfo
    ) -> list[ModuleRef] | None:
        """Imports computed in a module written in flake.nix (`./home/kim/${name}.nix` in a
        `mkHost` helper): evaluate them in that host's scope, where `name` is known."""
        found = self.inline_values.get((host, info.key))
        if found is None:
            return None
        value: Value = found
        for name in d.path:
            value = self.ev.select(value, name, None, None)
        if not isinstance(value, ListValue):
            return None
        refs: list[ModuleRef] = []
        for item in value.items:
            forced = self.ev.force(item)
            if not isinstance(forced, PathValue):
                return None
            refs.append(
                self._file_ref(forced.path, forced.node or item.expr, forced.source or item.source)
            )
        return refs


def _refs_of(d: Definition) -> list[ImportRef]:
    from homeward.syntax.find import import_refs

    return import_refs(d.source, d.value, d.conditions)
