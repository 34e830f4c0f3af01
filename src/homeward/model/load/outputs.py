"""Phase 4 of a load: the flake's outputs, and the configurations in them."""

from __future__ import annotations

from homeward.errors import HomewardError
from homeward.model.eval import Evaluator
from homeward.model.frameworks import (
    PER_SYSTEM,
    UnreadModule,
    assembled_hosts,
    per_system_order,
    unread_modules,
    used,
)
from homeward.model.load.homes import HomeUsers
from homeward.model.repo import EXPORTS, Context, FlakeInput, ProblemKind, SystemConfig
from homeward.model.values import (
    Attrs,
    External,
    Lambda,
    ListValue,
    PathValue,
    Str,
    SystemCall,
    Thunk,
    Unknown,
    Value,
    describe_value,
)
from homeward.syntax.parse import Source


class Outputs(HomeUsers):
    """The flake's inputs and outputs, and the configurations they hold (written, assembled
    by a framework, per system), each walked; exported modules walked as their own consumers."""

    def _inputs(self, top: Attrs) -> dict[str, FlakeInput]:
        found: dict[str, FlakeInput] = {}
        raw = self.ev.force(top.attrs["inputs"]) if "inputs" in top.attrs else None
        if not isinstance(raw, Attrs):
            return found
        for name, thunk in raw.attrs.items():
            value = self.ev.force(thunk)
            url: str | None = None
            follows: list[tuple[str, str]] = []
            if isinstance(value, Str):
                url = value.value
            elif isinstance(value, Attrs):
                url_value = self.ev.force(value.attrs["url"]) if "url" in value.attrs else None
                url = url_value.value if isinstance(url_value, Str) else None
                nested = self.ev.force(value.attrs["inputs"]) if "inputs" in value.attrs else None
                if isinstance(nested, Attrs):
                    for sub, sub_thunk in nested.attrs.items():
                        sub_value = self.ev.force(sub_thunk)
                        target = (
                            self.ev.force(sub_value.attrs["follows"])
                            if isinstance(sub_value, Attrs) and "follows" in sub_value.attrs
                            else None
                        )
                        if isinstance(target, Str):
                            follows.append((sub, target.value))
            found[name] = FlakeInput(name, url, tuple(follows))
        return found

    def _outputs(self, top: Attrs, inputs: dict[str, FlakeInput]) -> Value:
        if "outputs" not in top.attrs:
            raise HomewardError("flake.nix has no `outputs`", at=self.flake.location(0))
        fn = self.ev.force(top.attrs["outputs"])
        if not isinstance(fn, Lambda):
            return Unknown("`outputs` is not a function homeward can read", fn.node, fn.source)
        arg = Attrs({})
        names = set(inputs) | set(_formal_names(fn, self.flake))
        names.discard("self")
        for name in sorted(names):
            arg.attrs[name] = Thunk.of(External(name))
        outputs_thunk = Thunk(compute=lambda ev: ev.apply(fn, Thunk.of(arg), None, None))
        root = self.ev.root

        def self_value(ev: Evaluator) -> Value:
            # `self`: the outputs, plus what nix adds (`self.outputs`, `self.inputs`).
            outputs = ev.force(outputs_thunk)
            if not isinstance(outputs, Attrs):
                return outputs
            # `outPath`: the flake's directory, as `"${self}/hosts/x.nix"` names a file in it.
            extra = {
                "outputs": outputs_thunk,
                "inputs": Thunk.of(arg),
                "outPath": Thunk.of(PathValue(root)),
            }
            return Attrs(
                {**extra, **outputs.attrs}, outputs.node, outputs.source, more=outputs.more
            )

        arg.attrs["self"] = Thunk(compute=self_value)
        self._self = (arg.attrs["self"], outputs_thunk)
        self.ev.flake_inputs = arg
        return self.ev.force(outputs_thunk)

    def _assembled(
        self,
        inputs: dict[str, FlakeInput],
        hosts: dict[str, SystemConfig],
        homes: dict[str, SystemConfig],
        others: dict[str, SystemConfig],
    ) -> None:
        """Hosts and homes a framework builds from a directory (model/frameworks.py), each
        read from the module file the framework starts it from."""
        names = used({name: i.url for name, i in inputs.items()})
        for found in assembled_hosts(self.ev, self.root, names):
            kind = {"darwinConfigurations": "darwin", "homeConfigurations": "home"}.get(
                found.output, "nixos"
            )
            context = Context.HOME if kind == "home" else Context.NIXOS
            target = {"nixosConfigurations": hosts, "homeConfigurations": homes}.get(found.output)
            if kind == "darwin" and self.darwin and found.name not in hosts:
                target = hosts  # nix-darwin hosts are hosts for migrate (see `load_repo`)
            if found.unnamed is not None:
                # Read, as the flake has it under a name homeward cannot tell: frozen.
                self._unresolved(
                    found.unnamed,
                    f"the `{found.output}` name {found.framework} gives `{found.name}`",
                )
                target = None
            key = found.name if target is not None else f"{found.output}.{found.name}"
            if key in (target if target is not None else others):
                continue  # the code builds it too: read as written
            try:
                source = self.ev.files.source(found.entry)
            except HomewardError:
                source = None
            node = source.root if source is not None else None
            entry = Thunk.of(PathValue(found.entry, node, source))
            items = [entry, *found.modules]
            if found.adds:
                items.append(Thunk.of(Unknown(found.adds, node, source)))
            modules = Thunk.of(ListValue(items, node, source))
            args = {"modules": modules}
            if found.special is not None:
                args["extraSpecialArgs" if kind == "home" else "specialArgs"] = Thunk.of(
                    found.special
                )
            call = found.call or SystemCall(kind, found.framework, Attrs(args), node, source)
            config = self._config(found.name, context, call)
            config.kind = kind
            config.framework = found.framework
            if found.users:
                self._framework_homes[key] = found.users
            if target is not None:
                target[key] = config
            else:
                config.name = key
                others[key] = config
                self._frozen_by[key] = (
                    f"the name {found.framework} gives `{key}` is not known"
                    if found.unnamed is not None
                    else f"`{key}` is a {kind} host, which homeward does not migrate yet"
                )

    def _follow_framework_homes(self) -> None:
        """The homes a framework wires into the hosts it assembles (ez-configs'
        `userHomeModules`: `home-manager.users.<user>` imports the user's entry file), read
        for that user on that host, as a written `home-manager.users.<user>` would be."""
        for host, users in self._framework_homes.items():
            config = self._all_configs.get(host)
            if config is None or not config.modules:
                continue
            # Drawn from the host's entry file, as a `home-manager.users.<user>` written there.
            first = self._info(config.modules[0], config.context)
            parent = first.key if first is not None else host
            for user, entry in users:
                ref = self._file_ref(entry, config.call.node, config.call.source)
                self._visit(ref, host, Context.HOME, parent, (), users=(user,))

    def _per_system(
        self,
        outputs: Value,
        hosts: dict[str, SystemConfig],
        homes: dict[str, SystemConfig],
        others: dict[str, SystemConfig],
    ) -> None:
        """Configurations under `packages.<system>` (built in flake-utils' `eachDefaultSystem`,
        used with `nix build .#packages.<system>.nixosConfigurations.<h>...`): read as hosts
        of a kind homeward does not rewire (`framework` PER_SYSTEM, `plan/assembled.py`).
        nixos-rebuild does not read them there. One system is read for each kind (the same
        code gives every system's copy); a name the top level also has is the top level's."""
        packages = (
            self.ev.force(outputs.attrs["packages"])
            if isinstance(outputs, Attrs) and "packages" in outputs.attrs
            else None
        )
        if not isinstance(packages, Attrs):
            return
        for attr, context, kind in (
            ("nixosConfigurations", Context.NIXOS, "nixos"),
            ("darwinConfigurations", Context.NIXOS, "darwin"),
            ("homeConfigurations", Context.HOME, "home"),
        ):
            for system in per_system_order(list(packages.attrs), kind):
                per_system = self.ev.force(packages.attrs[system])
                if not isinstance(per_system, Attrs) or attr not in per_system.attrs:
                    continue
                for name, config in self._configs(per_system, attr, context, kind).items():
                    config.framework = PER_SYSTEM
                    target = homes if kind == "home" else hosts
                    if (kind != "darwin" or self.darwin) and name not in target:
                        target[name] = config
                        continue
                    # A Mac while checking, or a name the top level has too: read, frozen.
                    key = f"{attr}.{name}"
                    if name in target or key in others:
                        key = f"packages.{system}.{attr}.{name}"
                    config.name = key
                    others[key] = config
                    self._frozen_by[key] = (
                        f"`{key}` is under `packages.{system}`, which homeward does not migrate"
                    )
                break

    def _configs(
        self, outputs: Value, attr: str, context: Context, kind: str = ""
    ) -> dict[str, SystemConfig]:
        found: dict[str, SystemConfig] = {}
        if isinstance(outputs, Unknown):
            if context is Context.NIXOS and not kind:
                self._unresolved(outputs, "the flake's outputs")
            return found
        if not isinstance(outputs, Attrs) or attr not in outputs.attrs:
            return found
        configs = self.ev.force(outputs.attrs[attr])
        if not isinstance(configs, Attrs):
            self._unresolved(configs, f"`{attr}`")
            self._unknown.append((f"`{attr}`", _why(configs), configs))
            return found
        if configs.more is not None and not isinstance(configs.more, UnreadModule):
            # (A flake-parts module not read is said once, with what it may read: `_unread`.)
            self._unresolved(configs.more, f"every entry of `{attr}`")
            self._unknown.append((f"an entry of `{attr}`", configs.more.reason, configs.more))
        for key in configs.dynamic_keys:
            self.problem(
                ProblemKind.UNRESOLVED,
                f"cannot tell the name of an entry of `{attr}`: it is computed",
                self.flake.location(key.start_byte),
                "write the names out, or build them with `lib.genAttrs` over a literal list",
            )
        kind = kind or ("nixos" if context is Context.NIXOS else "home")
        for name, thunk in configs.attrs.items():
            value = self.ev.force(thunk)
            if isinstance(value, Unknown) and value.call is not None:
                # `inputs.x.lib.mkSystem { modules = [ ... ]; }`: a host built by a function
                # homeward does not know. What it lists is read, and frozen.
                args = self.ev.force(value.call)
                if isinstance(args, Attrs) and "modules" in args.attrs:
                    self._unresolved(value, f"`{attr}.{name}`")
                    call = SystemCall(kind, "", args, value.node, value.source)
                    other = self._config(name, context, call)
                    consumer = f"{attr}.{name}"
                    self._frozen_by[consumer] = (
                        f"`{consumer}` is built by a function homeward does not know"
                    )
                    for ref in other.modules:
                        self._visit(ref, consumer, context, consumer, (), users=())
                    continue
            if isinstance(value, SystemCall) and value.kind == kind:
                found[name] = self._config(name, context, value)
                found[name].kind = kind
                self._framework_opaque(found[name])
            elif isinstance(value, SystemCall | Unknown):
                self._unresolved(value, f"`{attr}.{name}`")
                self._unknown.append((f"`{attr}.{name}`", _why(value), thunk))
            else:
                at = (
                    value.source.location(value.node.start_byte)
                    if value.node and value.source
                    else None
                )
                self.problem(
                    ProblemKind.IGNORED,
                    _home_words(self.ev, f"{attr}.{name}", value)
                    if context is Context.HOME
                    else f"`{attr}.{name}` is not a system configuration: ignored",
                    at,
                )
        return found

    def _unread(self, found: bool) -> None:
        """The flake-parts modules homeward cannot read (rule 10): each may define more
        outputs, or add to what the others define, so the files it may read stay as they
        are, and each is said where it cannot be read. Where no host is `found`, nothing
        migrates, and the refusal says them (`no_host_framework`)."""
        if not found:
            return
        for unread in unread_modules(self.ev):
            at = unread.at
            why = unread.reason.split(" cannot be read: ", 1)[-1]
            source, node = unread.source, unread.node
            whose = (  # (a whole file: one that does not parse, `_unread_file`)
                f"the flake-parts module `{source.path}`"
                if source is not None and node is not None and node.type == "source_code"
                else "a flake-parts module"
            )
            self._unknown.append((whose, why, unread))
            self.problem(
                ProblemKind.UNRESOLVED,
                f"homeward cannot read this flake-parts module ({why}): the outputs it may "
                "define, and what it may add to the other modules' definitions, are not "
                "known; the files it may read are left as they are",
                at,
                "write it in a form homeward reads (`f x` for Nix's experimental `x |> f`) "
                "for homeward to migrate what it reads",
            )

    def _framework_opaque(self, config: SystemConfig) -> None:
        """What a framework adds to its hosts that homeward cannot see (clan-core's inventory
        services) may read files of the repository: they are frozen, as what an unknown output
        might read is (rule 10, `model/reach.py`)."""
        if not config.framework or not isinstance(config.modules_value, ListValue):
            return
        for item in config.modules_value.items:
            value = self.ev.force(item)
            if not isinstance(value, Unknown) or not value.parts:
                continue
            if any(value is known for _who, _why, known in self._unknown):
                continue
            self._unknown.append(
                (f"what {config.framework} adds to its machines", value.reason, value)
            )

    def _config(self, name: str, context: Context, call: SystemCall) -> SystemConfig:
        args = call.args
        modules_value: Value = Unknown("no `modules`", call.node, call.source)
        system: str | None = None
        special: Value | None = None
        if isinstance(args, Attrs):
            if "modules" in args.attrs:
                modules_value = self.ev.force(args.attrs["modules"])
            system_value = self.ev.force(args.attrs["system"]) if "system" in args.attrs else None
            if isinstance(system_value, Str):
                system = system_value.value
            key = "specialArgs" if context is Context.NIXOS else "extraSpecialArgs"
            special = self.ev.force(args.attrs[key]) if key in args.attrs else None
            if context is Context.HOME and "pkgs" in args.attrs:
                pkgs = self.ev.force(args.attrs["pkgs"])
                if isinstance(pkgs, External) and ".legacyPackages." in pkgs.name:
                    system = pkgs.name.split(".legacyPackages.", 1)[1].split(".")[0]
        else:
            self._unresolved(args, f"the arguments of `{name}`")
        modules = self._module_list(modules_value, f"the modules of `{name}`")
        if isinstance(modules_value, ListValue):
            for item, value in self._definitions(modules_value.items):
                if isinstance(value, Attrs) and value.node is not None and value.source is not None:
                    key = f"{value.source.path}@{value.node.start_byte}"
                    self.inline_values[(name, key)] = value
                    if item.env is not None and item.expr is value.node:
                        self.inline_envs[(name, key)] = item.env
        return SystemConfig(
            name, context, call, modules, modules_value, system, special, framework=call.framework
        )

    def _follow_exports(self, outputs: Value) -> None:
        """`nixosModules.<name> = ./x.nix`: whoever imports it is not known, so what it reaches
        is frozen."""
        if not isinstance(outputs, Attrs):
            return
        for attr in EXPORTS:
            if attr not in outputs.attrs:
                continue
            exported = self.ev.force(outputs.attrs[attr])
            if not isinstance(exported, Attrs):
                continue
            context = Context.HOME if attr.startswith("home") else Context.NIXOS
            for name, exported_thunk in exported.attrs.items():
                consumer = f"{attr}.{name}"
                self._frozen_by[consumer] = f"`{consumer}` is exported: other flakes may import it"
                for thunk, value in self._definitions([exported_thunk]):
                    ref = self._module_ref(value, thunk, quiet=True)
                    self._visit(ref, consumer, context, consumer, (), users=())


def _home_words(ev: Evaluator, name: str, value: Value) -> str:
    """What an entry of `homeConfigurations` that is no home configuration is: a home-manager
    module kept there (hosts import it as `home-manager.users.<u> = self.homeConfigurations.x`),
    or a set of configurations one level down (by system), which `home-manager switch` does
    not look under."""
    if isinstance(value, Attrs):
        inner = [
            n
            for n, t in value.attrs.items()
            if isinstance(v := ev.force(t), SystemCall) and v.kind == "home"
        ]
        if inner:
            shown = ", ".join(f"`{name}.{n}`" for n in inner)
            return (
                f"`{name}` holds home configurations one level down ({shown}), where "
                "`home-manager switch --flake .#<name>` does not look: not read as homes"
            )
    what = describe_value(value)
    if not isinstance(value, Lambda | Attrs):
        return f"`{name}` is {what}, not a home configuration: ignored"
    return (
        f"`{name}` is a home-manager module ({what}), not a configuration "
        "`home-manager switch` can build: not read as a home"
    )


def _why(value: Value) -> str:
    return value.reason if isinstance(value, Unknown) else f"a {type(value).__name__.lower()}"


def _formal_names(fn: Lambda, src: Source) -> list[str]:
    from homeward.syntax.find import function_formals

    return function_formals(fn.node, src.text) if fn.node is not None else []
