"""Phase 2 of a load: the import graph walked from each configuration."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeward.model.forms import bind
from homeward.model.load.refs import Refs
from homeward.model.repo import (
    Context,
    ModuleInfo,
    ModuleKind,
    ModuleRef,
    ProblemKind,
    SystemConfig,
)
from homeward.model.scope import Env
from homeward.model.values import Attrs, External, ListValue, Str, Thunk, Value
from homeward.syntax.parse import Source

if TYPE_CHECKING:
    from tree_sitter import Node


class Walk(Refs):
    """The import graph from each configuration: which hosts and users reach each module,
    computed imports expanded per host where what they read is known."""

    def _follow_config(self, config: SystemConfig) -> None:
        self._all_configs[config.name] = config
        for ref in config.modules:
            self._visit(ref, config.name, config.context, config.name, (), users=())

    def _visit(
        self,
        ref: ModuleRef,
        host: str,
        context: Context,
        parent: str,
        chain: tuple[str, ...],
        users: tuple[str, ...],
        maybe: str = "",
    ) -> None:
        info = self._info(ref, context)
        if info is None:
            self._dead_end(ref, host)
            return
        key = info.key
        maybe = maybe or ref.maybe
        if maybe:
            # Imported only under a condition homeward cannot decide: moving its definitions
            # would make them unconditional. The host reaches it; nothing in it moves.
            info.freeze(host, f"imported under a condition homeward cannot decide: {maybe}")
        if key in chain:
            loop = " → ".join([*chain[chain.index(key) :], key])
            self.problem(
                ProblemKind.CYCLE,
                f"import cycle: {loop}",
                ref.location,
                "remove one of the imports so that the files form a tree",
            )
            self._cycle = True
            return
        edge = (parent, key)
        if edge not in self._edge_set:
            self._edge_set.add(edge)
            self.edges.append(edge)
        new_host = host not in info.hosts
        info.hosts.add(host)
        if new_host and key in self._host_names:
            self._name_host(host, key)
        new_users = not info.users.issuperset(users)
        if new_users:
            info.users = info.users.union(users)
        # Why made once per visit: every module it reaches then holds the same pair objects.
        pairs = tuple((host, user) for user in users) if users else ()
        new_pairs = bool(pairs) and self._add_pairs(key, pairs)
        if not (new_host or new_users or new_pairs) and chain:
            return
        if key in self._done and not self._cycle:
            # Why: each host and user reaches the same shared modules; walking them again per
            # host was most of `check`'s graph time. When this module's imports have all been
            # followed and no cycle was ever seen, walking it again would only add `host` and
            # `users` to every module it reaches: every edge and problem below it is known (a
            # cycle there would have been seen on the first walk through it).
            # What it imports that is no module (an opaque one, a file that cannot be read)
            # says the same of this host as of the first: it is opaque there, or skips it.
            for dead in self._dead_ends(info, context):
                self._dead_end(dead, host)
            for other in self._reached(info, context):
                other.hosts.add(host)
                if other.key in self._host_names:
                    self._name_host(host, other.key)
                if not other.users.issuperset(users):
                    other.users = other.users.union(users)
                if pairs:
                    self._add_pairs(other.key, pairs)
                if maybe:
                    other.freeze(host, info.frozen[host])
            return
        inner = (*chain, key)
        per_host = False
        for child in info.imports:
            if child.kind is ModuleKind.EXTERNAL and self._from_arguments(child, info, host):
                # `imports = [ ezModules.shared ];` with `ezModules` from the host's
                # `specialArgs`: what the host gives, as far as it is known.
                per_host = True
                expanded = self._expand(child, info, host)
                if expanded is not None:
                    for sub in expanded:
                        self._visit(sub, host, context, key, inner, users, maybe)
                    continue
            if child.kind is ModuleKind.UNKNOWN and child.dynamic:
                per_host = True
                expanded = self._expand(child, info, host)
                if expanded is None:
                    self._dynamic_problem(child)
                    self._opaque.append((host, child))
                    continue
                for sub in expanded:
                    self._visit(sub, host, context, key, inner, users, maybe)
                continue
            self._visit(child, host, context, key, inner, users, maybe)
            child_key = str(child.path) if child.kind is ModuleKind.FILE else None
            if child_key is not None and child_key in self._per_host:
                per_host = True
        if per_host:
            # Why: what it imports depends on the host: never reuse one host's walk for another.
            self._per_host.add(key)
            return
        self._done.add(key)

    def _add_pairs(self, key: str, pairs: tuple[tuple[str, str], ...]) -> bool:
        """Add `pairs` (host, user) to those that reach module `key`; whether any was new.
        Why a set per module, frozen once the walk is done (`_freeze_pairs`): a new frozen
        set on each add copied all the pairs so far (the square of hosts x users)."""
        found = self._pairs.get(key)
        if found is None:
            found = self._pairs[key] = set()
        before = len(found)
        found.update(pairs)
        return len(found) != before

    def _freeze_pairs(self) -> None:
        """Each module's pairs, as the frozen set `ModuleInfo.pairs` (modules that no user
        reaches keep the shared empty one). Each set is let go as it is frozen (no pair is
        added after): all of them and all their copies at once were 1.4 MiB more at 200 hosts
        with 20 home modules for each user."""
        while self._pairs:
            key, found = self._pairs.popitem()
            self.modules[key].pairs = frozenset(found)

    def _share_hosts(self) -> None:
        """Modules reached by the same configurations share one set of them (`ModuleInfo.hosts`).
        Why: most modules are reached by one host, and a set each was 1.5 MiB at 200 hosts
        (7,411 sets of 200 different values). Why last: the walk adds to the sets and `_freeze`
        takes from them; nothing changes them once the load is done."""
        shared: dict[frozenset[str], set[str]] = {}
        for info in self.modules.values():
            info.hosts = shared.setdefault(frozenset(info.hosts), info.hosts)

    def _dead_end(self, ref: ModuleRef, host: str) -> None:
        """`host` imports `ref`, which is no module homeward reads: an opaque module of the
        host, or a file that cannot be read, which skips it (rule 9)."""
        if ref.kind is ModuleKind.UNKNOWN:
            self._opaque.append((host, ref))
        if ref.kind is ModuleKind.FILE and str(ref.path) in self._unreadable:
            self._skip.setdefault(host, self._unreadable[str(ref.path)])
            # What it imports is not known either: frozen for `host`, as what an opaque
            # module may import is (`_freeze_opaque`, which reads it as far as it parses).
            self._opaque.append((host, ref))

    def _dead_ends(self, info: ModuleInfo, context: Context) -> list[ModuleRef]:
        """The imports of a fully followed module and of the modules it reaches that are no
        module (`_dead_end`), once each."""
        found = self._dead.get(info.key)
        if found is None:
            found = [
                child
                for module in (info, *self._reached(info, context))
                for child in module.imports
                if self._info(child, context) is None
            ]
            self._dead[info.key] = found
        return found

    def _reached(self, info: ModuleInfo, context: Context) -> list[ModuleInfo]:
        """The modules a fully followed module imports, directly or not (once each)."""
        found = self._reach.get(info.key)
        if found is None:
            found = []
            seen = {info.key}
            todo = [info]
            while todo:
                for child in todo.pop().imports:
                    other = self._info(child, context)
                    if other is not None and other.key not in seen:
                        seen.add(other.key)
                        found.append(other)
                        todo.append(other)
            self._reach[info.key] = found
        return found

    def _dynamic_problem(self, ref: ModuleRef) -> None:
        self.problem(
            ProblemKind.UNRESOLVED,
            f"cannot follow this import: {ref.label}",
            ref.location,
            "homeward reads imports statically; write the path out",
        )

    def _expand(self, ref: ModuleRef, info: ModuleInfo | None, host: str) -> list[ModuleRef] | None:
        """A computed import (`../hosts/${hostname}/x.nix`, `"${config.networking.hostName}"`,
        `builtins.attrValues outputs.nixosModules`) evaluated with what is known for `host`:
        its `specialArgs`, its host name, the `let` bindings around the import. None: still
        not known."""
        if ref.node is None or ref.source is None:
            return None
        scope = self._scope_on(info, host, ref.node, ref.source)
        target = ref.node
        if target.type == "apply_expression":
            fn = target.child_by_field_name("function")
            arg = target.child_by_field_name("argument")
            if (
                fn is not None
                and arg is not None
                and ref.source.text_of(fn)
                in (
                    "import",
                    "builtins.import",
                )
            ):
                target = arg  # `import ../home/${name}.nix`: the file is the module
        value = self.ev.eval(target, scope, ref.source)
        items = value.items if isinstance(value, ListValue) else [Thunk.of(value)]
        found: list[ModuleRef] = []
        for item, forced in self._definitions(items):
            if isinstance(forced, Attrs) and forced.node is not None and forced.source is not None:
                found.append(ModuleRef(ModuleKind.INLINE, node=forced.node, source=forced.source))
                continue
            found.append(self._module_ref(forced, item, quiet=True))
        if any(r.kind is ModuleKind.UNKNOWN for r in found):
            return None
        return found

    def _from_arguments(self, ref: ModuleRef, info: ModuleInfo, host: str) -> bool:
        """Whether the dotted name `ref` (read as an input's module: `inputs.x.nixosModules.y`)
        starts with an argument of the module that the host's `specialArgs` give as a set of
        its own (not an input's)."""
        head = ref.label.partition(".")[0]
        if head not in info.module.formals:
            return False
        config = self._all_configs.get(host)
        special = config.special_args if config is not None else None
        if not isinstance(special, Attrs) or head not in special.attrs:
            return False
        return isinstance(self.ev.force(special.attrs[head]), Attrs)

    def _scope_on(self, info: ModuleInfo | None, host: str, node: Node, source: Source) -> Env:
        """The names `node` sees on `host`: for a module written inline in a module list, the
        scope it was written in for that host (a helper's arguments and `let`s); else what
        `_host_scope` knows."""
        if info is not None and info.path is None:
            env = self.inline_envs.get((host, info.key))
            if env is not None:
                return env
        return self._host_scope(info, host, node, source)

    def _host_scope(self, info: ModuleInfo | None, host: str, node: Node, source: Source) -> Env:
        """The names a module sees on `host`, as far as they are known statically: its
        arguments from the host's `specialArgs` (and `config.networking.hostName`, `lib`,
        `modulesPath`), then the `let` bindings around `node`."""
        config = self._all_configs.get(host)
        scope = Env(self.ev.globals)
        formals = info.module.formals if info is not None else ()
        special = config.special_args if config is not None else None
        known: dict[str, Value] = {
            "lib": External("nixpkgs.lib"),
            "modulesPath": External("modulesPath"),
            "pkgs": External("pkgs"),
            "config": Attrs(
                {"networking": Thunk.of(Attrs({"hostName": Thunk.of(Str(self._host_name(host)))}))}
            ),
        }
        for name in formals:
            if isinstance(special, Attrs) and name in special.attrs:
                scope.vars[name] = special.attrs[name]
            elif name in known:
                scope.vars[name] = Thunk.of(known[name])
        # The `let`s around the node, outermost first.
        lets: list[Node] = []
        up: Node | None = node.parent
        while up is not None:
            if up.type == "let_expression":
                lets.append(up)
            up = up.parent
        for let in reversed(lets):
            scope = Env(scope)
            bind(self.ev, let, scope, scope, source)
        return scope

    def _name_host(self, host: str, key: str) -> None:
        """`host` reaches module `key`, which sets a literal `networking.hostName`: the
        host's name when no module read before it does too."""
        found = self._host_names[key]
        have = self._named.get(host)
        if have is None or found[0] < have[0]:
            self._named[host] = found

    def _host_name(self, host: str) -> str:
        """`networking.hostName` of `host` when a module of it sets a literal (the first
        read), else its name. Why kept as the walk adds hosts (`_name_host`): scanning every
        module's definitions for each host was hosts x modules. (Hosts leave modules only
        once the walk is done, `_freeze`, when no name is asked for any more.)"""
        found = self._named.get(host)
        return found[1] if found is not None else host
