"""Flake frameworks: the hosts they build, and their names.

Real configurations often do not write `nixosConfigurations` in flake.nix. They hand their
outputs to a framework, which builds hosts in one of two ways:

- from code homeward can read: flake-parts' `mkFlake` merges the `flake` attribute of every
  module it imports (files listed in `imports`, a `readDir` scan, `inputs.import-tree ./modules`,
  `lib.fileset.toList (fileFilter ...)`), and those modules call `nixosSystem` themselves. The
  evaluator runs that (`mk_flake`, registered as a builtin in `model/primops.py`): the hosts are
  ordinary hosts whose call is written outside flake.nix.
- by a directory convention: ez-configs (`nixos-configurations/<host>/`), snowfall-lib
  (`systems/<arch>/<host>/`), blueprint (`hosts/<host>/configuration.nix`), nixos-unified's
  autowiring (`configurations/nixos/<host>.nix`), easy-hosts (`<path>/<arch>-<class>/<host>/`,
  `easy-hosts.hosts.<host>`). No `nixosSystem` call is written anywhere: the
  framework assembles each host from its directory. `assembled_hosts` finds them; the model
  reads them like any host, and `migrate` leaves them as they are, saying so
  (docs/architecture.md, rule 10).

`describe` names what builds a flake's outputs when no host can be found, so that homeward
never answers "nothing to do" on a configuration it did not understand.
"""

from __future__ import annotations

import json
import os
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.compat import override
from homeward.errors import HomewardError, Location
from homeward.model.values import (
    Attrs,
    Bool,
    Builtin,
    External,
    Impl,
    Lambda,
    ListValue,
    Null,
    PathValue,
    Str,
    SystemCall,
    Thunk,
    Unknown,
    Value,
    explain_unknown,
)
from homeward.syntax.nodes import bindings_of

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.eval import Evaluator
    from homeward.syntax.parse import Source


MAX_IMPORT_DEPTH = 20
# Module arguments of a flake-parts module that carry no attribute homeward uses.
_NOT_CONFIG = frozenset({"imports", "options", "_file", "key", "disabledModules", "_class"})

_merged: weakref.WeakKeyDictionary[Evaluator, Thunk] = weakref.WeakKeyDictionary()
"""The merged configuration of the last flake-parts `mkFlake` each evaluator ran (where
`ezConfigs` and other framework settings are read)."""
_given: weakref.WeakKeyDictionary[Evaluator, dict[str, Attrs]] = weakref.WeakKeyDictionary()
"""The argument of the `mkFlake` of snowfall-lib or digga each evaluator ran, by framework:
where their hosts' directories are named (`src`, `snowfall.root`, digga's `importHosts`)."""
_unread: weakref.WeakKeyDictionary[Evaluator, list[UnreadModule]] = weakref.WeakKeyDictionary()
"""The flake-parts modules of the repository each evaluator could not read (a file that does
not parse, an import of an unknown path): each is a part of the merged configuration that may
define anything (`UnreadModule`)."""


@dataclass(eq=False)
class UnreadModule(Unknown):
    """A flake-parts module homeward cannot read, and why. It may define any option: merged
    (`merge_lazily`), it is one more definition of every name, so the flake's outputs may have
    more entries (`nixosConfigurations` among them), a deferred module (`flake.nixosModules.x`,
    `flake.modules.<class>.x`) or a list (a host's `modules` in an option of the repository's
    own) may have one more part, which a host reading it sees as an opaque module. Scalars
    keep their known value: a second definition of one is a conflict in the module system.
    What it may read is its syntax (`model/reach.py`): the whole file, where the file does not
    parse (rule 10)."""


# -- flake-parts --------------------------------------------------------------------------------
def _b_mk_flake(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`<framework>.lib.mkFlake`: flake-parts' takes the module next. Frameworks that build
    hosts by their own rules (snowfall-lib, digga, adios-flake) give the outputs written in
    their `flake` argument, if any: their directory conventions are read by `assembled_hosts`."""
    head = me.name.split(".", 1)[0].lower()
    if any(f in head for f in ("snowfall", "digga", "adios", "utils-plus")):
        given = ev.force(args[0])
        _remember(ev, head, given)
        if isinstance(given, Attrs) and "flake" in given.attrs:
            return ev.force(given.attrs["flake"])
        return Attrs({}, me.node, me.source)
    first = args[0]

    def with_module(ev: Evaluator, rest: list[Thunk], me: Builtin) -> Value:
        return mk_flake(ev, first, rest[0], me)

    return Builtin(me.name, 1, with_module, (), me.node, me.source)


def mk_flake(ev: Evaluator, first: Thunk, module: Thunk, me: Builtin) -> Value:
    """flake-parts: the outputs are the `flake` attribute of every module, merged.

    The module arguments are a fixpoint, as in the module system: `config` is the merged
    configuration of all modules, `self` the flake's outputs. Merging is lazy (only the names
    are forced), so a module may define `flake.nixosConfigurations` from `config.x` that
    another module sets."""
    head = ev.force(first)
    inputs: Thunk = (
        head.attrs["inputs"]
        if isinstance(head, Attrs) and "inputs" in head.attrs
        else Thunk.of(Unknown("the flake's inputs", me.node, me.source))
    )
    config = _Late(compute=lambda ev: _merge_all(ev, bodies, me))

    def self_value(ev: Evaluator) -> Value:
        given = ev.force(inputs)
        if isinstance(given, Attrs) and "self" in given.attrs:
            return ev.force(given.attrs["self"])
        merged = ev.force(config)
        if isinstance(merged, Attrs) and "flake" in merged.attrs:
            return ev.force(merged.attrs["flake"])
        return Unknown("`self` of a flake-parts flake", me.node, me.source)

    module_args = Attrs(
        {
            "inputs": inputs,
            "self": Thunk(compute=self_value),
            "lib": Thunk.of(External("nixpkgs.lib")),
            "withSystem": Thunk.of(Builtin("withSystem", 2, _b_with_system)),
            # flake-parts' library, an input's: its functions found by name (`importApply`).
            "flake-parts-lib": Thunk.of(External("flake-parts.lib")),
            "config": config,
        }
    )
    bodies: list[Thunk] = []
    _collect(ev, module, module_args, me, bodies, depth=0, seen=set())
    config.ready = True
    _merged[ev] = config
    merged = ev.force(config)
    if isinstance(merged, Attrs) and "clan" in merged.attrs:
        return _flake_with_clan(ev, merged, inputs, me)
    if isinstance(merged, Attrs) and "flake" in merged.attrs:
        return ev.force(merged.attrs["flake"])
    if isinstance(merged, Attrs):
        # A module homeward cannot read may define the outputs (`flake`) on its own.
        more = merged.more if isinstance(merged.more, UnreadModule) else None
        return Attrs({}, me.node, me.source, more=more)
    return merged


def _flake_with_clan(ev: Evaluator, merged: Attrs, inputs: Thunk, me: Builtin) -> Value:
    """clan-core's flake-parts module: `clan = { machines; inventory; ... }` makes the flake's
    `nixosConfigurations` and `darwinConfigurations` as `clan-core.lib.clan` does (with the
    flake's `self`), beside what the modules' `flake` gives."""
    flake = ev.force(merged.attrs["flake"]) if "flake" in merged.attrs else Attrs({})
    given_inputs = ev.force(inputs)
    settings = ev.force(merged.attrs["clan"])
    names = given_inputs.attrs if isinstance(given_inputs, Attrs) else {}
    if not isinstance(flake, Attrs) or not isinstance(settings, Attrs):
        return flake
    if not any("clan" in name for name in names):
        return flake  # a `clan` setting of something else
    given = dict(settings.attrs)
    if "self" not in given and "self" in names:
        given["self"] = names["self"]
    builder = Builtin(f"{CLAN}.lib.clan", 1, _b_clan, (), me.node, me.source)
    made = _b_clan(ev, [Thunk.of(Attrs(given, settings.node, settings.source))], builder)
    if not isinstance(made, Attrs):
        return flake
    out = dict(flake.attrs)
    for name in ("nixosConfigurations", "darwinConfigurations"):
        if name in made.attrs:
            parts = [made.attrs[name], *([out[name]] if name in out else [])]
            out[name] = parts[0] if len(parts) == 1 else _merge_thunk(parts, me.node, me.source)
    node = flake.node or me.node
    source = flake.source or me.source
    return Attrs(out, node, source, flake.dynamic_keys, flake.more)


class _Late(Thunk):
    """flake-parts' `config`: the merge of every module, so not known (and not remembered as
    unknown) while the modules are still being collected (`imports = [ config.x ]`)."""

    __slots__ = ("ready",)

    def __init__(self, compute: Callable[[Evaluator], Value]) -> None:
        super().__init__(compute=compute)
        self.ready = False

    @override
    def force(self, ev: Evaluator) -> Value:
        if not self.ready:
            return Unknown("flake-parts' `config` while its imports are read")
        return super().force(ev)


def unread_modules(ev: Evaluator) -> list[UnreadModule]:
    """The flake-parts modules `ev` could not read, each as the Unknown that says why."""
    return _unread.get(ev, [])


def merged_config(ev: Evaluator) -> Attrs | None:
    """The merged configuration of the flake-parts flake `ev` read, if it read one."""
    thunk = _merged.get(ev)
    if thunk is None:
        return None
    value = ev.force(thunk)
    return value if isinstance(value, Attrs) else None


def _collect(
    ev: Evaluator,
    module: Thunk,
    module_args: Attrs,
    me: Builtin,
    bodies: list[Thunk],
    depth: int,
    seen: set[Path],
    imports: str = "imports",
) -> None:
    """Every module `module` is or imports, as the thunks of their configuration. `imports`:
    the attribute that lists the modules a module imports (nilla's is `includes`)."""
    value = ev.force(module)
    if isinstance(value, ListValue) and depth < MAX_IMPORT_DEPTH:  # `import-tree`: many modules
        for item in value.items:
            _collect(ev, item, module_args, me, bodies, depth + 1, seen, imports)
        return
    if isinstance(value, PathValue):
        target = ev.files.import_target(value.path)
        if target in seen:
            return
        seen.add(target)
        value = ev.eval_file(value.path, me.node, me.source)
        if isinstance(value, Unknown) and not value.function:
            value = _unread_file(ev, target, value)
    if isinstance(value, Lambda):
        value = ev.apply(value, Thunk.of(module_args), me.node, me.source)
    if isinstance(value, Unknown) and not value.function:  # not an input's function's module
        unread = value if isinstance(value, UnreadModule) else _unread_module(value)
        _unread.setdefault(ev, []).append(unread)  # said where hosts are read, or none found
        bodies.append(Thunk.of(unread))
        return
    if not isinstance(value, Attrs):
        return  # an input's flake module (`inputs.x.flakeModule`) or one homeward cannot read
    full = "config" in value.attrs or "options" in value.attrs
    if full:
        if "config" in value.attrs:
            bodies.append(value.attrs["config"])
    else:
        body = {k: t for k, t in value.attrs.items() if k not in _NOT_CONFIG and k != imports}
        if "flake" in body:
            body["flake"] = _flake_module(body["flake"], module_args, me)
        bodies.append(Thunk.of(Attrs(body, value.node, value.source)))
    listed = ev.force(value.attrs[imports]) if imports in value.attrs else None
    if isinstance(listed, ListValue) and depth < MAX_IMPORT_DEPTH:
        for item in listed.items:
            _collect(ev, item, module_args, me, bodies, depth + 1, seen, imports)


def _unread_module(value: Unknown) -> UnreadModule:
    """`value`, a module's value homeward cannot compute, as a module not read."""
    return UnreadModule.of(value, value.reason)


def _unread_file(ev: Evaluator, path: Path, value: Unknown) -> UnreadModule:
    """The module file `path`, whose value `value` homeward cannot compute, as a module not
    read: said where `value` says; what it may read is all its syntax, even where it does not
    parse (Nix's `|>`, which homeward's parser does not know: the rest of the tree is there,
    its path literals with it). A file that is not in the repository, or not text, names
    nothing homeward could edit: `value` as it is."""
    if not path.is_relative_to(ev.boundary) or not ev.files.is_file(os.fspath(path)):
        return _unread_module(value)
    found = ev.files.source_as_read(path)
    if found is None:
        return _unread_module(value)
    return UnreadModule(value.reason, found[0].root, found[0], where=value.at)


def _b_import_apply(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`importApply ./module.nix staticArgs` (flake-parts' `flake-parts-lib`, nixpkgs'
    `lib.modules`): the module `import ./module.nix staticArgs` is. The location it also
    records (`_file`) names the file in error messages and changes no definition."""
    head = me.name.rsplit(".", 1)[0]
    if not head.endswith((".lib", ".lib.modules")) and head not in (
        "lib",
        "lib.modules",
    ):
        return _outside(me, args)
    imported = ev.apply(ev.force(ev.globals.vars["import"]), args[0], me.node, me.source)
    if isinstance(imported, Unknown):
        return imported
    return ev.apply(imported, args[1], me.node, me.source)


_PER_SYSTEM_ARGS = ("system", "pkgs", "config", "lib", "self'", "inputs'", "final")


def per_system_hosts(ev: Evaluator) -> list[tuple[str, Location | None]]:
    """`perSystem.nixosConfigurations` (or darwin, home) that the flake-parts modules write,
    and where: an option flake-parts does not have. A module declares it and makes hosts of
    it by its own option `default`s and `apply` (under `legacyPackages`), which homeward does
    not evaluate. Said when no host is found."""
    merged = merged_config(ev)
    if merged is None or "perSystem" not in merged.attrs:
        return []
    value = ev.force(merged.attrs["perSystem"])
    parts = (
        value.parts if isinstance(value, Attrs) and value.parts else (merged.attrs["perSystem"],)
    )
    unknown = {n: Thunk.of(Unknown(f"`{n}` of a `perSystem` module")) for n in _PER_SYSTEM_ARGS}
    args = Thunk.of(Attrs(unknown, more=Unknown("an argument of a `perSystem` module")))
    found: list[tuple[str, Location | None]] = []
    for part in parts:
        body = ev.force(part)
        if isinstance(body, Lambda):
            body = ev.apply(body, args, body.node, body.source)
        if not isinstance(body, Attrs):
            continue
        for kind in ("nixosConfigurations", "darwinConfigurations", "homeConfigurations"):
            if kind in body.attrs:
                found.append((kind, _binding_at(body, kind)))
    return found


def _binding_at(attrs: Attrs, name: str) -> Location | None:
    """Where `name = ...` is written in the attribute set `attrs`, if homeward knows."""
    if attrs.node is None or attrs.source is None:
        return None
    for binding in bindings_of(attrs.node):
        path = binding.child_by_field_name("attrpath")
        if path is not None and attrs.source.text_of(path) == name:
            return attrs.source.location(binding.start_byte)
    return attrs.source.location(attrs.node.start_byte)


def _flake_module(flake: Thunk, module_args: Attrs, me: Builtin) -> Thunk:
    """`flake = { config, lib, ... }: { ... }`: `flake` is a submodule, whose `config` is the
    merged `flake` of every module."""

    def compute(ev: Evaluator) -> Value:
        value = ev.force(flake)
        if not isinstance(value, Lambda):
            return value

        def merged_flake(ev: Evaluator) -> Value:
            config = ev.force(module_args.attrs["config"])
            if isinstance(config, Attrs) and "flake" in config.attrs:
                return ev.force(config.attrs["flake"])
            return Unknown("`config` of the flake", me.node, me.source)

        args = Attrs(
            {
                "config": Thunk(compute=merged_flake),
                "lib": module_args.attrs["lib"],
                "inputs": module_args.attrs["inputs"],
            }
        )
        return ev.apply(value, Thunk.of(args), me.node, me.source)

    return Thunk(compute=compute)


def _merge_all(ev: Evaluator, bodies: list[Thunk], me: Builtin) -> Value:
    return merge_lazily(ev, bodies, me.node, me.source)


def merge_lazily(
    ev: Evaluator,
    thunks: list[Thunk],
    node: Node | None,
    source: Source | None,
    path: tuple[str, ...] = (),
) -> Value:
    """The module system's merge of several definitions, forcing only what it must: attribute
    sets by name (each name merged when asked), lists concatenated, otherwise the last.

    Definitions that are modules (a function among attribute sets, or several functions: a
    `deferredModule` such as `flake.modules.<class>.<name>`) are all kept in `parts`: used as
    a module, the result is each of them, as the module system imports every definition.
    `path`: the option's name in the merged configuration; a module homeward cannot read is
    one more definition of every name (`UnreadModule`)."""
    if len(thunks) == 1:
        return ev.force(thunks[0])
    values = [ev.force(t) for t in thunks]
    if any(isinstance(v, UnreadModule) for v in values):
        return _merge_unread(ev, thunks, values, node, source, path)
    sets = [v for v in values if isinstance(v, Attrs)]
    lists = [v for v in values if isinstance(v, ListValue)]
    functions = [v for v in values if isinstance(v, Lambda)]
    modules: tuple[Thunk, ...] = ()
    if functions and len(sets) + len(functions) == len(values):
        modules = tuple(thunks)
        if not sets:
            why = "several functions merged: homeward reads each as a module, not their result"
            last = functions[-1]
            return Attrs({}, last.node, last.source, more=Unknown(why), parts=modules)
    if sets and not lists:
        # A definition homeward cannot read (an Unknown) hides only what it may add.
        names: dict[str, list[Thunk]] = {}
        for value in sets:
            for name, thunk in value.attrs.items():
                names.setdefault(name, []).append(thunk)
        merged: dict[str, Thunk] = {}
        for name, parts in names.items():
            merged[name] = (
                parts[0] if len(parts) == 1 else _merge_thunk(parts, node, source, (*path, name))
            )
        more = next((v.more for v in sets if v.more is not None), None)
        if more is None:
            more = next((v for v in values if isinstance(v, Unknown)), None)
        first = sets[0]
        if not modules and len(sets) == len(values):
            modules = tuple(thunks)
        return Attrs(merged, first.node, first.source, more=more, parts=modules)
    if lists and len(lists) == len(values):
        return ListValue([t for v in lists for t in v.items], lists[0].node, lists[0].source)
    return values[-1]


def _merge_thunk(
    parts: list[Thunk], node: Node | None, source: Source | None, path: tuple[str, ...] = ()
) -> Thunk:
    return Thunk(compute=lambda ev: merge_lazily(ev, parts, node, source, path))


_DEFERRED = frozenset(
    {"nixosModules", "darwinModules", "homeManagerModules", "homeModules", "flakeModules"}
)
"""flake-parts' options under `flake` whose entries are deferred modules: every definition of
one is a part of it."""


def _deferred(path: tuple[str, ...]) -> bool:
    """Whether the option `path` of a flake-parts configuration is a deferred module, whose
    definitions are all kept (`perSystem`, `flake.nixosModules.x`, `flake.modules.nixos.x`)."""
    if path == ("perSystem",):
        return True
    if len(path) == 3 and path[0] == "flake" and path[1] in _DEFERRED:
        return True
    return len(path) == 4 and path[:2] == ("flake", "modules")


def _merge_unread(
    ev: Evaluator,
    thunks: list[Thunk],
    values: list[Value],
    node: Node | None,
    source: Source | None,
    path: tuple[str, ...],
) -> Value:
    """The merge of definitions among which are modules homeward cannot read: what the others
    give, where those may add to it. An attribute set has more names, and each of its names
    has them as one more definition; a list and a deferred module have them as one more part
    (an opaque module, to a host that imports it). Anything else is as the others define it:
    a second definition of it would be a conflict."""
    unread = [t for t, v in zip(thunks, values, strict=True) if isinstance(v, UnreadModule)]
    known = [t for t, v in zip(thunks, values, strict=True) if not isinstance(v, UnreadModule)]
    first = ev.force(unread[0])
    assert isinstance(first, UnreadModule)
    if not known:
        return first
    value = merge_lazily(ev, known, node, source, path)
    if isinstance(value, Attrs):
        attrs = {
            name: _merge_thunk([thunk, *unread], node, source, (*path, name))
            for name, thunk in value.attrs.items()
        }
        parts = (*(value.parts or known), *unread)
        more = value.more if value.more is not None else first
        return Attrs(attrs, value.node, value.source, value.dynamic_keys, more, parts)
    if isinstance(value, ListValue):
        return ListValue([*value.items, *unread], value.node, value.source)
    if isinstance(value, Lambda | PathValue) and _deferred(path):
        return Attrs({}, value.node, value.source, more=first, parts=(*known, *unread))
    return value


def _b_with_system(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    system_args = Attrs(
        {
            "system": args[0],
            "inputs'": Thunk.of(Unknown("`inputs'` of flake-parts")),
            "self'": Thunk.of(Unknown("`self'` of flake-parts")),
            "pkgs": Thunk.of(Unknown("`pkgs` of flake-parts")),
            "config": Thunk.of(Unknown("`config` of flake-parts")),
        }
    )
    return ev.apply(ev.force(args[1]), Thunk.of(system_args), me.node, me.source)


# -- file trees (import-tree, lib.fileset) ------------------------------------------------------
def listing(ev: Evaluator, directory: Path) -> dict[str, str]:
    """`builtins.readDir directory` as nix sees it: in git, what git tracks (docs/architecture.md,
    rule 12); elsewhere, what is on disk; as a plan would leave it, when reading the planned
    tree. Empty when it is not a directory."""
    tracked = ev.files.tracked
    if tracked is not None:
        found = tracked.read_dir(directory)
        if found is not None:
            return ev.files.planned_listing(directory, found)
    out: dict[str, str] = {}
    for entry in sorted(directory.iterdir()) if directory.is_dir() else ():
        link = entry.is_symlink()
        out[entry.name] = "symlink" if link else "directory" if entry.is_dir() else "regular"
    return ev.files.planned_listing(directory, out)


def _tree(ev: Evaluator, path: Path, keep: Callable[[Path], bool]) -> list[Path]:
    """The files under `path` in the repository that `keep` accepts, in Nix's order."""
    found: list[Path] = []
    for name, kind in listing(ev, path).items():
        entry = path / name
        if kind == "directory":
            found += _tree(ev, entry, keep)
        elif keep(entry):
            found.append(entry)
    return found


def _b_import_tree(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`inputs.import-tree ./modules`: every `.nix` file under the directory, except those
    with a path component starting with `_`, each a module."""
    path = ev.force(args[0])
    if isinstance(path, ListValue):
        items: list[Thunk] = []
        for item in path.items:
            sub = _b_import_tree(ev, [item], me)
            if not isinstance(sub, ListValue):
                return sub
            items += sub.items
        return ListValue(items, me.node, me.source)
    if not isinstance(path, PathValue) or not path.path.is_dir():
        return Unknown("`import-tree` of a directory that is not known", me.node, me.source)
    base = path.path

    def keep(file: Path) -> bool:
        parts = file.relative_to(base).parts
        return file.suffix == ".nix" and not any(p.startswith("_") for p in parts)

    files = _tree(ev, base, keep)
    return ListValue(
        [Thunk.of(PathValue(f, me.node, me.source)) for f in files], me.node, me.source
    )


def _b_file_filter(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.fileset.fileFilter pred dir`: the files under `dir` that `pred` accepts (given
    `name`, `type` and `hasExt`), as a list: `toList` of it is the list itself."""
    pred, path = ev.force(args[0]), ev.force(args[1])
    if not isinstance(path, PathValue) or not path.path.is_dir():
        return Unknown("`fileFilter` over a directory that is not known", me.node, me.source)
    undecided: list[str] = []

    def keep(file: Path) -> bool:
        def has_ext(ev: Evaluator, a: list[Thunk], _me: Builtin) -> Value:
            ext = ev.force(a[0])
            return Bool(isinstance(ext, Str) and file.name.endswith(f".{ext.value}"))

        info = Attrs(
            {
                "name": Thunk.of(Str(file.name)),
                "type": Thunk.of(Str("regular")),
                "hasExt": Thunk.of(Builtin("hasExt", 1, has_ext)),
            }
        )
        answer = ev.apply(pred, Thunk.of(info), me.node, me.source)
        if isinstance(answer, Bool):
            return answer.value
        undecided.append(file.name)
        return False

    files = _tree(ev, path.path, keep)
    if undecided:
        return Unknown("`fileFilter` with a condition that is not known", me.node, me.source)
    return ListValue(
        [Thunk.of(PathValue(f, me.node, me.source)) for f in files], me.node, me.source
    )


def _b_to_list(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.fileset.toList` of a file set (a list here; a path: every file under it), or
    `lib.toList x`: `[ x ]`."""
    value = ev.force(args[0])
    if isinstance(value, ListValue | Unknown):
        return value
    if "fileset" in me.name:
        if isinstance(value, PathValue) and value.path.is_dir():
            files = _tree(ev, value.path, lambda _file: True)
            return ListValue([Thunk.of(PathValue(f, me.node, me.source)) for f in files])
        return Unknown("`fileset.toList` of a file set that is not known", me.node, me.source)
    return ListValue([args[0]], me.node, me.source)


def _b_haumea_load(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`haumea.lib.load { src = ./dir; inputs = { ... }; }`: an attribute set with one name per
    file (without `.nix`) or directory (nested), each file's value called with `inputs`."""
    if "haumea" not in me.name:
        return Unknown(f"`{me.name}` comes from outside the repository", me.node, me.source)
    given = ev.force(args[0])
    src = _setting(ev, given, "src")
    if not isinstance(given, Attrs) or not isinstance(src, PathValue) or not src.path.is_dir():
        return Unknown("`haumea.lib.load` of a directory that is not known", me.node, me.source)
    inputs = given.attrs.get("inputs", Thunk.of(Attrs({})))
    return _haumea_dir(ev, src.path, inputs, me)


def _haumea_dir(ev: Evaluator, directory: Path, inputs: Thunk, me: Builtin) -> Attrs:
    out: dict[str, Thunk] = {}
    for name, kind in listing(ev, directory).items():
        entry = directory / name
        if name.startswith("_"):
            continue  # private to the directory
        if kind == "directory":
            out[entry.name] = Thunk.of(_haumea_dir(ev, entry, inputs, me))
        elif entry.suffix == ".nix":
            out[entry.stem] = Thunk(compute=_haumea_file(entry, inputs, me))
    return Attrs(out, me.node, me.source)


def _haumea_file(path: Path, inputs: Thunk, me: Builtin) -> Callable[[Evaluator], Value]:
    def compute(ev: Evaluator) -> Value:
        value = ev.eval_file(path, me.node, me.source)
        if isinstance(value, Lambda):
            return ev.apply(value, inputs, me.node, me.source)
        return value

    return compute


def _remember(ev: Evaluator, head: str, given: Value) -> None:
    """Keep the argument of snowfall-lib's or digga's `mkFlake` for `assembled_hosts`."""
    label = next((f for f in ("snowfall-lib", "digga") if f.split("-")[0] in head), None)
    if label is not None and isinstance(given, Attrs):
        _given.setdefault(ev, {})[label] = given


def _b_mk_lib(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`snowfall-lib.mkLib { src; snowfall.root; ... }`: where its `lib.mkFlake` reads
    systems is given here (kept for `assembled_hosts`). The library itself comes from outside
    the repository, as for any input's function."""
    head = me.name.split(".", 1)[0].lower()
    if "snowfall" in head:
        _remember(ev, head, ev.force(args[0]))
    return _outside(me, args)


def _b_import_hosts(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """digga's `importHosts ./hosts`: `{ hosts.<name>.modules = [ <file> ]; }` for every file
    under the directory (`rakeLeaves`: `x.nix` or `x/default.nix` is host `x`; a directory
    without `default.nix` groups its hosts as `dir.x`)."""
    directory = ev.force(args[0])
    if not isinstance(directory, PathValue):
        return Unknown(f"`{me.name}` of a path homeward cannot compute", me.node, me.source)
    hosts = {
        name: Thunk.of(
            Attrs({"modules": Thunk.of(ListValue([Thunk.of(PathValue(path, me.node, me.source))]))})
        )
        for name, path in _rake(ev, directory.path, "").items()
    }
    return Attrs({"hosts": Thunk.of(Attrs(hosts, me.node, me.source))}, me.node, me.source)


def _rake(ev: Evaluator, directory: Path, prefix: str) -> dict[str, Path]:
    """digga's `flattenTree (rakeLeaves directory)`: host name to the file it starts from."""
    found: dict[str, Path] = {}
    for name, kind in sorted(listing(ev, directory).items()):
        path = directory / name
        if kind == "regular" and name.endswith(".nix"):
            found[prefix + name.removesuffix(".nix")] = path
        elif kind == "directory":
            if listing(ev, path).get("default.nix") == "regular":
                found[prefix + name] = path / "default.nix"
            else:
                found |= _rake(ev, path, f"{prefix}{name}.")
    return found


def _b_path_append(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`lib.path.append ./dir "sub/file.nix"` (haumea-style helpers build host paths so)."""
    base, sub = ev.force(args[0]), ev.force(args[1])
    if me.name.endswith("path.append") and isinstance(base, PathValue) and isinstance(sub, Str):
        return PathValue(Path(os.path.normpath(base.path / sub.value)), me.node, me.source)
    return Unknown(f"`{me.name}` comes from outside the repository", me.node, me.source)


# -- clan-core ------------------------------------------------------------------------------------
CLAN = "clan-core"
CLAN_OPAQUE = (
    "the modules clan-core adds to each machine (its core module and the services its "
    "inventory gives the machine)"
)


def _b_clan(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`clan-core.lib.clan { ... }` (and the older `buildClan`): the machines of a clan, each a
    host clan-core assembles by its conventions.

    A machine is every directory under `<directory>/machines`, every name in
    `inventory.machines` (and `<directory>/inventory.json`) and in the `machines` argument;
    `inventory.machines.<name>.machineClass = "darwin"` makes it a nix-darwin host. Its
    modules: `machines/<name>/configuration.nix` (and, on NixOS, `hardware-configuration.nix`
    and `disko.nix`) where they exist, `machines.<name>`, and what clan-core adds, which
    homeward cannot see (an opaque module). The hosts are `config.nixosConfigurations` and
    `config.darwinConfigurations` of the result (`buildClan` gave them at the top)."""
    if not _is_clan(me.name):
        return _outside(me, args)
    given = ev.force(args[0])
    if not isinstance(given, Attrs):
        return Unknown("the arguments of clan-core's `clan` are not known", me.node, me.source)
    directory = _setting(ev, given, "directory")
    base = directory.path if isinstance(directory, PathValue) else ev.root
    inventory = given.attrs.get("inventory")
    declared = _setting(ev, given, "inventory", "machines")
    extra = _setting(ev, given, "machines")
    machines_dir = base / "machines"
    names: dict[str, str] = {}  # machine -> class
    where: dict[str, tuple[Node, Source]] = {}  # where a machine is declared, if written
    for name, kind in listing(ev, machines_dir).items():
        if kind == "directory":
            names[name] = "nixos"
    more: Unknown | None = None
    for value in (declared, extra):
        if isinstance(value, Attrs):
            for name, thunk in value.attrs.items():
                names.setdefault(name, "nixos")
                if thunk.expr is not None and thunk.source is not None:
                    where.setdefault(name, (thunk.expr, thunk.source))
            more = more or value.more
        elif isinstance(value, Unknown):
            more = more or value
    for name, machine_class in _inventory_json(ev, base).items():
        names.setdefault(name, "nixos")
        if machine_class:
            names[name] = machine_class
    if isinstance(declared, Attrs):
        for name in declared.attrs:
            given_class = _setting(ev, declared, name, "machineClass")
            if isinstance(given_class, Str):
                names[name] = given_class.value
    if not names and more is None:
        more = Unknown(
            "clan-core's `clan` finds no machine: no directory under `machines/`, none in "
            "`inventory.machines` or in `machines`",
            me.node,
            me.source,
        )
    special = _clan_special_args(ev, given)
    parts = tuple(t for t in (inventory, given.attrs.get("modules")) if t is not None)
    opaque = Unknown(CLAN_OPAQUE, me.node, me.source, parts=parts, function=me.name)
    hosts: dict[str, dict[str, Thunk]] = {"nixos": {}, "darwin": {}}
    for name in sorted(names):
        machine_class = names[name] if names[name] in hosts else "nixos"
        folder = machines_dir / name
        inside = listing(ev, folder)
        files = ["configuration.nix"]
        if machine_class == "nixos":
            files += ["hardware-configuration.nix", "disko.nix"]
        modules: list[Thunk] = []
        entry: Source | None = None
        for file in files:
            if inside.get(file) != "regular":
                continue
            try:
                source = ev.files.source(folder / file)
            except HomewardError:
                source = None
            if entry is None:
                entry = source
            node = source.root if source is not None else me.node
            modules.append(Thunk.of(PathValue(folder / file, node, source or me.source)))
        if isinstance(extra, Attrs) and name in extra.attrs:
            modules.append(extra.attrs[name])
        modules.append(Thunk.of(opaque))
        node, source = (entry.root, entry) if entry is not None else (me.node, me.source)
        if entry is None and name in where:
            node, source = where[name]
        call_args = Attrs(
            {
                "modules": Thunk.of(ListValue(modules, node, source)),
                "specialArgs": Thunk.of(special),
            }
        )
        hosts[machine_class][name] = Thunk.of(
            SystemCall(machine_class, me.name, call_args, node, source, framework=CLAN)
        )
    outputs = {
        "nixosConfigurations": Thunk.of(Attrs(hosts["nixos"], me.node, me.source, more=more)),
        "darwinConfigurations": Thunk.of(Attrs(hosts["darwin"], me.node, me.source, more=more)),
    }
    rest = Unknown("the other outputs of clan-core's `clan`", me.node, me.source)
    config = Attrs(dict(outputs), me.node, me.source, more=rest)
    return Attrs({**outputs, "config": Thunk.of(config)}, me.node, me.source, more=rest)


def _is_clan(name: str) -> bool:
    """`clan-core.lib.clan`, `inputs.clan-core.lib.buildClan`: clan-core's, not any `clan`."""
    head, _, last = name.rpartition(".")
    return last in ("clan", "buildClan") and "clan" in head.lower() and head.endswith("lib")


def _inventory_json(ev: Evaluator, base: Path) -> dict[str, str]:
    """The machines `<directory>/inventory.json` declares (what clan's CLI writes), with their
    class where it says one."""
    if listing(ev, base).get("inventory.json") != "regular":
        return {}
    try:
        data = json.loads((base / "inventory.json").read_text())
    except (OSError, ValueError):
        return {}
    machines = data.get("machines") if isinstance(data, dict) else None
    if not isinstance(machines, dict):
        return {}
    found: dict[str, str] = {}
    for name, settings in machines.items():
        machine_class = settings.get("machineClass") if isinstance(settings, dict) else None
        found[str(name)] = machine_class if isinstance(machine_class, str) else ""
    return found


def _clan_special_args(ev: Evaluator, given: Attrs) -> Value:
    """What a machine's modules are called with besides the module arguments: `clan-core`,
    `self`, and the `specialArgs` given."""
    special: dict[str, Thunk] = {"clan-core": Thunk.of(External(CLAN))}
    if "self" in given.attrs:
        special["self"] = given.attrs["self"]
    extra = ev.force(given.attrs["specialArgs"]) if "specialArgs" in given.attrs else None
    if isinstance(extra, Attrs):
        return Attrs({**special, **extra.attrs}, extra.node, extra.source, more=extra.more)
    if extra is not None:
        return extra
    return Attrs(special)


# -- nilla and npins ------------------------------------------------------------------------------
NILLA = "nilla"
_NILLA_KINDS = {"nixos": "nixos", "macos": "darwin"}
"""nilla's `systems.<kind>`, and the kind of host each builds (nilla-nixos: `nixosSystem`;
nilla's own macos systems: nix-darwin's `darwinSystem`)."""


def _b_nilla_create(ev: Evaluator, args: list[Thunk], me: Builtin) -> Value:
    """`(import pins.nilla).create { includes = [ ... ]; }`: a nilla project, the merged
    `config` of every module it includes (nilla's modules list theirs in `includes`, and are
    functions of `{ config }`), where each of `systems.nixos.<name>` and
    `systems.macos.<name>` has the `result` nilla builds from its `modules` (and `args`, the
    host's specialArgs): a host nilla assembles."""
    if not _is_nilla(me.name):
        return _outside(me, args)
    config = _Late(compute=lambda ev: _nilla_config(ev, bodies, me))
    module_args = Attrs(
        {"config": config, "lib": Thunk.of(Unknown("nilla's `lib`", me.node, me.source))}
    )
    bodies: list[Thunk] = []
    _collect(ev, args[0], module_args, me, bodies, depth=0, seen=set(), imports="includes")
    config.ready = True
    return ev.force(config)


def _is_nilla(name: str) -> bool:
    """`nilla.create`, `import nilla.create` (an npins pin or an input named nilla)."""
    head, _, last = name.rpartition(".")
    return last == "create" and head.rsplit(" ", 1)[-1].rsplit(".", 1)[-1] == NILLA


def _nilla_config(ev: Evaluator, bodies: list[Thunk], me: Builtin) -> Value:
    """The merged configuration, with each system's `result`."""
    merged = merge_lazily(ev, bodies, me.node, me.source)
    if not isinstance(merged, Attrs) or "systems" not in merged.attrs:
        return merged
    given = merged.attrs["systems"]
    out = dict(merged.attrs)
    out["systems"] = Thunk(compute=lambda ev: _nilla_systems(ev.force(given)))
    return Attrs(out, merged.node, merged.source, merged.dynamic_keys, merged.more)


def _nilla_systems(systems: Value) -> Value:
    if not isinstance(systems, Attrs):
        return systems
    out = dict(systems.attrs)
    for kind, host_kind in _NILLA_KINDS.items():
        if kind in systems.attrs:
            out[kind] = Thunk(compute=_nilla_hosts(systems.attrs[kind], host_kind))
    return Attrs(out, systems.node, systems.source, systems.dynamic_keys, systems.more)


def _nilla_hosts(thunk: Thunk, kind: str) -> Callable[[Evaluator], Value]:
    def compute(ev: Evaluator) -> Value:
        declared = ev.force(thunk)
        if not isinstance(declared, Attrs):
            return declared
        out = {
            name: Thunk(compute=_nilla_system(spec, kind)) for name, spec in declared.attrs.items()
        }
        return Attrs(out, declared.node, declared.source, declared.dynamic_keys, declared.more)

    return compute


def _nilla_system(spec: Thunk, kind: str) -> Callable[[Evaluator], Value]:
    """A system's settings, and its `result`: the host built from `modules` and `args`."""

    def compute(ev: Evaluator) -> Value:
        value = ev.force(spec)
        if not isinstance(value, Attrs):
            return value
        args: dict[str, Thunk] = {}
        if "modules" in value.attrs:
            args["modules"] = value.attrs["modules"]
        if "args" in value.attrs:
            args["specialArgs"] = value.attrs["args"]
        node, source = value.node, value.source
        if spec.expr is not None and spec.source is not None:
            node, source = spec.expr, spec.source
        result = SystemCall(
            kind, f"nilla.systems.{kind}", Attrs(args), node, source, framework=NILLA
        )
        return Attrs(
            {**value.attrs, "result": Thunk.of(result)}, value.node, value.source, more=value.more
        )

    return compute


def npins(ev: Evaluator, path: Path) -> Value | None:
    """`import ./npins`: the pins npins generated (`npins/sources.json`), each a source from
    outside the repository as a flake input is (`import pins.nilla` is nilla's code). None:
    not npins' generated file."""
    folder = path if path.name != "default.nix" else path.parent
    entry = folder / "default.nix"
    if folder.name != "npins" or listing(ev, folder).get("sources.json") != "regular":
        return None
    source = ev.files.source_of(entry)
    try:
        text = source.text if source is not None else entry.read_bytes()
        data = json.loads((folder / "sources.json").read_text())
    except (OSError, ValueError):
        return None
    pins = data.get("pins") if isinstance(data, dict) else None
    if b"Generated by npins" not in text[:4096] or not isinstance(pins, dict):
        return None
    return Attrs({str(name): Thunk.of(External(str(name))) for name in pins})


BUILTINS: dict[str, tuple[int, Impl]] = {
    "append": (2, _b_path_append),
    "load": (1, _b_haumea_load),
    "mkFlake": (1, _b_mk_flake),
    "import-tree": (1, _b_import_tree),
    "fileFilter": (2, _b_file_filter),
    "toList": (1, _b_to_list),
    "clan": (1, _b_clan),
    "buildClan": (1, _b_clan),
    "create": (1, _b_nilla_create),
    "importHosts": (1, _b_import_hosts),
    "mkLib": (1, _b_mk_lib),
    "importApply": (2, _b_import_apply),
}
"""Functions of frameworks and of `lib` the evaluator implements here (by their last name)."""


def in_repo(ev: Evaluator, value: Value) -> Value:
    """`"${toString ./dir}/${name}"`, `"${self}/hosts"`: a string naming a place in the
    repository is that path (what nix reads there is the repository's copy); so is a flake
    (`self`), whose string is its `outPath`."""
    if isinstance(value, Attrs) and "outPath" in value.attrs:
        value = ev.force(value.attrs["outPath"])
    if isinstance(value, Str):
        text = os.path.normpath(value.value)
        top = os.fspath(ev.boundary)
        if text == top or text.startswith(os.path.join(top, "")):
            return PathValue(Path(text), value.node, value.source)
    return value


# -- hosts assembled from directories ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Assembled:
    """A configuration a framework builds from a directory, with no `nixosSystem` written."""

    framework: str
    output: str  # nixosConfigurations, darwinConfigurations or homeConfigurations
    name: str
    entry: Path  # absolute: the module file the framework starts the host from
    # Homes the framework wires into the host as `home-manager.users.<user>`, with the entry
    # file of each (ez-configs' `userHomeModules`).
    users: tuple[tuple[str, Path], ...] = ()
    # The builder call the framework's file itself makes (blueprint's `hosts/<h>/default.nix`
    # returns `{ class; value = nixosSystem { ... }; }`); None: the host is `entry` alone.
    call: SystemCall | None = None
    # Why the framework adds modules of its own that homeward does not list (snowfall-lib
    # imports every `modules/<kind>/**` into each system and home); "": none.
    adds: str = ""
    # Modules the framework gives the host beside `entry`, as written (easy-hosts' `shared`
    # and the host's own `modules`).
    modules: tuple[Thunk, ...] = ()
    # The setting that names the configuration, when homeward cannot compute it: `name` is
    # then the framework's directory entry, not a name of the flake's outputs.
    unnamed: Value | None = None
    # The arguments the framework calls it with (`specialArgs`, for a home `extraSpecialArgs`).
    special: Value | None = None


def assembled_hosts(ev: Evaluator, root: Path, names: list[str]) -> list[Assembled]:
    """The hosts and homes the frameworks `names` (see `used`) build by directory convention."""
    found: list[Assembled] = []
    if "ez-configs" in names:
        found += _ez_configs(ev, root)
    if "snowfall-lib" in names:
        found += _snowfall(ev, root)
    if "blueprint" in names:
        found += _blueprint(ev, root)
    if "nixos-unified" in names:
        found += _nixos_unified(ev, root)
    if "digga" in names:
        found += _digga(ev)
    if "easy-hosts" in names:
        found += _easy_hosts(ev, root)
    return found


def _entries(
    ev: Evaluator,
    directory: Path,
    files: tuple[str, ...] = ("default.nix",),
    *,
    with_default: bool = False,
    links: bool = False,
) -> dict[str, Path]:
    """`<dir>/<name>.nix` and `<dir>/<name>/<file>` for the first of `files` there;
    `with_default`: `<dir>/default.nix` is an entry `default` too (ez-configs' `readModules`
    takes every regular `.nix` file); `links`: a linked directory counts (ez-configs asks
    `readFileType` of `<name>/default.nix`, which follows the link)."""
    found: dict[str, Path] = {}
    for name, kind in listing(ev, directory).items():
        entry = directory / name
        if kind == "directory":
            inside = listing(ev, entry)
            for file in files:
                if inside.get(file) == "regular":
                    found[name] = entry / file
                    break
        elif links and kind == "symlink" and entry.is_dir() and _inside(ev, entry):
            # Why: a linked directory's `<file>` is a regular file for `readFileType`.
            target = next((entry / f for f in files if (entry / f).is_file()), None)
            if target is not None:
                found[name] = target
        elif name.endswith(".nix") and (with_default or name != "default.nix"):
            found[name.removesuffix(".nix")] = entry
    return found


def _inside(ev: Evaluator, path: Path) -> bool:
    """Whether `path`, links followed, is in the repository (what nix copies of it)."""
    return path.resolve().is_relative_to(ev.boundary.resolve())


def _setting(ev: Evaluator, value: Value | None, *path: str) -> Value | None:
    for name in path:
        if not isinstance(value, Attrs) or name not in value.attrs:
            return None
        value = ev.force(value.attrs[name])
    return value


_EZ_KINDS = (
    ("nixos", "nixosConfigurations", ("nixos-configurations", "configurations/nixos")),
    ("darwin", "darwinConfigurations", ("darwin-configurations", "configurations/darwin")),
    ("home", "homeConfigurations", ("home-configurations", "configurations/home")),
)


def _ez_settings(ev: Evaluator) -> Value | None:
    """`ezConfigs` of the merged flake-parts configuration; None if no module sets it."""
    return _setting(ev, merged_config(ev), "ezConfigs")


def _ez_directories(
    ev: Evaluator, settings: Attrs | None, root: Path, setting: str = "configurationsDirectory"
) -> list[tuple[str, str, list[Path], Value | None]]:
    """For each kind of configuration: its name, its output, the directories ez-configs may
    read it from (the first that exists), and the setting that named them when homeward
    cannot compute it (then no directory). `types.path` settings: a string naming a directory
    of the flake is that directory (`root = "${self}/nix"`); one set to what homeward cannot
    compute hides the defaults, which would be a guess. `setting`: `modulesDirectory` for
    where its modules are (`<root>/<kind>-modules`)."""
    given_root = _setting(ev, settings, "root")
    given_root = in_repo(ev, given_root) if given_root is not None else None
    base = given_root.path if isinstance(given_root, PathValue) else None
    if given_root is None or isinstance(given_root, Null):
        base = root
    found: list[tuple[str, str, list[Path], Value | None]] = []
    for kind, output, configurations in _EZ_KINDS:
        defaults = (f"{kind}-modules",) if setting == "modulesDirectory" else configurations
        directory = _setting(ev, settings, kind, setting)
        directory = in_repo(ev, directory) if directory is not None else None
        if isinstance(directory, PathValue):
            found.append((kind, output, [directory.path], None))
        elif directory is None and base is not None:
            found.append((kind, output, [base / d for d in defaults], None))
        else:
            found.append((kind, output, [], directory if directory is not None else given_root))
    return found


def _ez_configs(ev: Evaluator, root: Path) -> list[Assembled]:
    """ez-configs: `<root>/nixos-configurations/<host>`, `darwin-configurations/<host>`,
    `home-configurations/<user>` (or the `configurationsDirectory` each sets);
    `ezConfigs.<kind>.hosts.<host>.userHomeModules = [ "<user>" ]` wires homes into hosts."""
    settings = _ez_settings(ev)
    if not isinstance(settings, Attrs) and (settings is not None or unread_modules(ev)):
        return []  # not computed, or maybe set in a module homeward cannot read: not known
    entries: dict[str, dict[str, Path]] = {}
    for kind, _output, candidates, _unknown in _ez_directories(ev, settings, root):
        folder = next((c for c in candidates if c.is_dir()), None)
        # Why `with_default`: ez-configs reads every regular `<name>.nix`, `default.nix` too.
        entries[kind] = (
            _entries(ev, folder, with_default=True, links=True) if folder is not None else {}
        )
    homes = entries["home"]
    ez = _EzModules(ev, settings, root)
    found: list[Assembled] = []
    darwin: set[str] = set(entries["darwin"])
    for kind, output, _defaults in _EZ_KINDS[:2]:
        hosts = _setting(ev, settings, kind, "hosts")
        special = ez.arguments(kind)  # every host of the kind is called with the same
        for name, entry in entries[kind].items():
            users = _setting(ev, hosts, name, "userHomeModules")
            wired = (
                tuple(
                    (user, path)
                    for t in users.items
                    if isinstance(u := ev.force(t), Str) and (user := u.value) in homes
                    for path in (homes[user], *ez.home_defaults(user, kind == "darwin"))
                )
                if isinstance(users, ListValue)
                else ()
            )
            modules, adds = ez.defaults(kind, _setting(ev, hosts, name, "importDefault"), name)
            found.append(
                Assembled(
                    "ez-configs",
                    output,
                    name,
                    entry,
                    wired,
                    adds=adds,
                    modules=modules,
                    special=special,
                )
            )
    # The hosts each home is made for: ez-configs' own and those the flake's modules write
    # (its `allHosts` is the merged `flake.nixosConfigurations // flake.darwinConfigurations`).
    every = set(entries["nixos"]) | darwin
    for output in ("nixosConfigurations", "darwinConfigurations"):
        written = _setting(ev, merged_config(ev), "flake", output)
        if isinstance(written, Attrs):
            every |= set(written.attrs)
            if output == "darwinConfigurations":
                darwin |= set(written.attrs)
    home_special = ez.arguments("home")
    for user, entry in homes.items():
        for name, unnamed, host in _ez_home_names(ev, settings, user, sorted(every)):
            paths = ez.home_defaults(user, None if host is None else host in darwin)
            modules = tuple(Thunk.of(PathValue(p, ez.node, ez.source)) for p in paths)
            found.append(
                Assembled(
                    "ez-configs",
                    "homeConfigurations",
                    name,
                    entry,
                    unnamed=unnamed,
                    modules=modules,
                    adds=ez.unknown_home_default(user, host),
                    special=home_special,
                )
            )
    return found


def _true_or_unset(flag: Value | None) -> bool:
    """An `importDefault` (true by default) that is true."""
    return flag is None or (isinstance(flag, Bool) and flag.value)


class _EzModules:
    """What ez-configs gives each configuration beside its entry file (its flake module, read):
    the `default` module of `<kind>-modules` (and a home's `linux` or `darwin` one) unless
    `importDefault` is false, and the arguments: `<kind>.specialArgs` (the home's
    `extraSpecialArgs`; `globalArgs` by default) with `ezModules`, the directory's entries."""

    def __init__(self, ev: Evaluator, settings: Attrs | None, root: Path) -> None:
        self.ev = ev
        self.settings = settings
        self.node, self.source = (
            (settings.node, settings.source) if isinstance(settings, Attrs) else (None, None)
        )
        self.entries: dict[str, dict[str, Path]] = {}
        self.unknown: dict[str, Value] = {}  # kind -> the setting naming its directory
        for kind, _output, candidates, unknown in _ez_directories(
            ev, settings, root, "modulesDirectory"
        ):
            if unknown is not None:
                self.unknown[kind] = unknown
            folder = next((c for c in candidates if c.is_dir()), None)
            found = _entries(ev, folder, with_default=True, links=True) if folder else {}
            self.entries[kind] = found

    def _modules(self, kind: str) -> Value:
        if kind in self.unknown:
            return self.unknown[kind]
        return Attrs(
            {
                name: Thunk.of(PathValue(path, self.node, self.source))
                for name, path in self.entries[kind].items()
            },
            self.node,
            self.source,
        )

    def arguments(self, kind: str) -> Value:
        """`specialArgs` of a `kind` host (`extraSpecialArgs` of a home)."""
        key = "extraSpecialArgs" if kind == "home" else "specialArgs"
        given = _setting(self.ev, self.settings, kind, key)
        if given is None:
            given = _setting(self.ev, self.settings, "globalArgs")
        ez_modules = Thunk.of(self._modules(kind))
        if given is None:
            return Attrs({"ezModules": ez_modules}, self.node, self.source)
        if isinstance(given, Attrs):
            return replace(given, attrs={**given.attrs, "ezModules": ez_modules})
        more = (
            given
            if isinstance(given, Unknown)
            else Unknown(f"ez-configs' `{key}`", given.node, given.source)
        )
        return Attrs({"ezModules": ez_modules}, self.node, self.source, more=more)

    def defaults(
        self, kind: str, import_default: Value | None, name: str
    ) -> tuple[tuple[Thunk, ...], str]:
        """The modules a `kind` host `name` gets beside its entry, and why there may be
        others homeward does not list ("" if none)."""
        if kind in self.unknown:
            return (), f"ez-configs' `{kind}.modulesDirectory` is not known"
        default = self.entries[kind].get("default")
        if default is None or (isinstance(import_default, Bool) and not import_default.value):
            return (), ""
        if import_default is not None and not isinstance(import_default, Bool):
            return (), (
                f"whether `{name}` imports `{default.name}` of `{kind}-modules` is not known: "
                f"ez-configs' `{kind}.hosts.{name}.importDefault` is not computed"
                f"{explain_unknown(import_default)}"
            )
        return (Thunk.of(PathValue(default, self.node, self.source)),), ""

    def _import_default(self, user: str) -> Value | None:
        return _setting(self.ev, self.settings, "home", "users", user, "importDefault")

    def home_defaults(self, user: str, darwin: bool | None) -> list[Path]:
        """The home modules ez-configs gives `user`'s home on a host (`darwin`: whether it is
        a Mac; None: not known, then only `default`)."""
        if not _true_or_unset(self._import_default(user)):
            return []
        found = self.entries["home"]
        names = ["default"] + ([] if darwin is None else ["darwin" if darwin else "linux"])
        return [found[n] for n in names if n in found]

    def unknown_home_default(self, user: str, host: str | None) -> str:
        """Why `user`'s home may import modules homeward does not list ("" if it may not)."""
        if "home" in self.unknown:
            return "ez-configs' `home.modulesDirectory` is not known"
        flag = self._import_default(user)
        found = self.entries["home"]
        if flag is not None and not isinstance(flag, Bool):
            if found.keys() & {"default", "linux", "darwin"}:
                return (
                    f"ez-configs' `home.users.{user}.importDefault` is not computed"
                    f"{explain_unknown(flag)}"
                )
        elif host is None and found.keys() & {"linux", "darwin"} and _true_or_unset(flag):
            return (
                f"ez-configs adds `linux` or `darwin` of `home-modules` to `{user}`'s "
                "standalone home by the system of its `standalone.pkgs`, which homeward "
                "does not compute"
            )
        return ""


def _ez_home_names(
    ev: Evaluator, settings: Attrs | None, user: str, hosts: list[str]
) -> list[tuple[str, Value | None, str | None]]:
    """The `homeConfigurations` names ez-configs gives `user`'s home (its `userConfigs`), each
    with the host whose system it is built with: `<user>` when
    `home.users.<user>.standalone.enable` is set (no host), else one per host,
    `<user>@<host>` or what `nameFunction` returns for it (the last host giving a name wins,
    as in `concatMapAttrs`). A setting homeward cannot compute gives the one entry
    `(user, setting, None)`: the name is not known."""
    given = _setting(ev, settings, "home", "users", user)
    enable = _setting(ev, given, "standalone", "enable")
    if isinstance(enable, Bool) and enable.value:
        return [(user, None, None)]
    if enable is not None and not isinstance(enable, Bool):
        return [(user, enable, None)]
    function = _setting(ev, given, "nameFunction")
    if function is None or isinstance(function, Null):
        return [(f"{user}@{host}", None, host) for host in hosts]
    names: dict[str, str] = {}
    for host in hosts:
        name = ev.apply(function, Thunk.of(Str(host)), None, None)
        if not isinstance(name, Str):
            return [(user, name if isinstance(name, Unknown) else function, None)]
        names[name.value] = host
    return [(name, None, host) for name, host in names.items()]


def _ez_searched(ev: Evaluator, root: Path, rel: Callable[[Path], str]) -> list[str]:
    """Where ez-configs reads hosts, said when homeward finds none there."""
    settings = _ez_settings(ev)
    if settings is None and unread_modules(ev):
        return []  # the modules homeward cannot read are named: `ezConfigs` may be there
    if settings is not None and not isinstance(settings, Attrs):
        return [f"ez-configs' settings (`ezConfigs`) are not known{explain_unknown(settings)}"]
    said: list[str] = []
    for kind, _output, candidates, unknown in _ez_directories(ev, settings, root):
        if kind == "home":
            continue
        if unknown is not None:
            said.append(
                f"ez-configs' `{kind}.configurationsDirectory` (or its `root`) is not a directory "
                f"of the repository homeward can compute{explain_unknown(unknown)}"
            )
            continue
        shown = " or ".join(f"`{rel(c)}`" for c in candidates)
        what = "has no host" if any(c.is_dir() for c in candidates) else "does not exist"
        said.append(f"ez-configs reads {kind} hosts from {shown}, which {what}")
    return said


# The folder under `modules/` whose every module snowfall-lib adds to each configuration.
_SNOWFALL_MODULES = {"homeConfigurations": "home", "darwinConfigurations": "darwin"}


def _snowfall(ev: Evaluator, root: Path) -> list[Assembled]:
    """snowfall-lib: `systems/<arch>/<host>/default.nix` (a `-darwin` arch: nix-darwin) and
    `homes/<arch>/<user>@<host>/default.nix`."""
    found: list[Assembled] = []
    base = _snowfall_root(ev, root)
    for folder, output in (("systems", ""), ("homes", "homeConfigurations")):
        top = base / folder
        archs = [top / n for n, kind in listing(ev, top).items() if kind == "directory"]
        for arch in archs:
            kind = output or (
                "darwinConfigurations" if arch.name.endswith("-darwin") else "nixosConfigurations"
            )
            modules = f"modules/{_SNOWFALL_MODULES.get(kind, 'nixos')}"
            adds = (
                f"snowfall-lib adds every module under `{modules}/` and those its `mkFlake` names"
            )
            for name, entry in _entries(ev, arch).items():
                found.append(Assembled("snowfall-lib", kind, name, entry, adds=adds))
    return found


def _snowfall_root(ev: Evaluator, root: Path) -> Path:
    """snowfall-lib's root: `snowfall.root` of its `mkFlake`, else `src`, else the flake's
    directory."""
    given = _given.get(ev, {}).get("snowfall-lib")
    for path in (("snowfall", "root"), ("src",)):
        value = _setting(ev, given, *path)
        if isinstance(value, PathValue):
            return value.path
    return root


def _blueprint(ev: Evaluator, root: Path) -> list[Assembled]:
    """blueprint: `<prefix>/hosts/<host>/configuration.nix` (NixOS) or
    `darwin-configuration.nix` (nix-darwin), `prefix` as given to `blueprint { ... }`."""
    found: list[Assembled] = []
    for prefix in _blueprint_prefixes(ev, root):
        top = prefix / "hosts"
        hosts = [top / n for n, kind in listing(ev, top).items() if kind == "directory"]
        for host in hosts:
            built = _blueprint_default(ev, host)
            if built is not None:
                found += [built, *_blueprint_homes(ev, host)]
                continue
            for file, output in (
                ("configuration.nix", "nixosConfigurations"),
                ("darwin-configuration.nix", "darwinConfigurations"),
            ):
                if listing(ev, host).get(file) == "regular":
                    found.append(Assembled("blueprint", output, host.name, host / file))
                    break
            found += _blueprint_homes(ev, host)
    return found


def _blueprint_default(ev: Evaluator, host: Path) -> Assembled | None:
    """blueprint's `hosts/<h>/default.nix` (read before the other entry files): a function of
    `{ flake, inputs, hostName }` returning `{ class = "nixos"; value = <builder call>; }`."""
    entry = host / "default.nix"
    if listing(ev, host).get("default.nix") != "regular":
        return None
    try:
        value = ev.eval_file(entry)
    except HomewardError:
        return None
    if isinstance(value, Lambda):
        given = {
            "flake": Thunk.of(Unknown("blueprint's `flake` argument")),
            "inputs": Thunk.of(ev.flake_inputs or Unknown("the flake's inputs")),
            "hostName": Thunk.of(Str(host.name)),
        }
        value = ev.apply(value, Thunk.of(Attrs(given)), None, None)
    kind, built = _setting(ev, value, "class"), _setting(ev, value, "value")
    outputs = {"nixos": "nixosConfigurations", "nix-darwin": "darwinConfigurations"}
    if not isinstance(kind, Str) or kind.value not in outputs or not isinstance(built, SystemCall):
        return None
    call = replace(built, framework="blueprint")
    return Assembled("blueprint", outputs[kind.value], host.name, entry, call=call)


def _blueprint_homes(ev: Evaluator, host: Path) -> list[Assembled]:
    """blueprint's homes of a host: `users/<user>.nix` or `users/<user>/home-configuration.nix`,
    each wired into the host and built as `homeConfigurations."<user>@<host>"`."""
    found: list[Assembled] = []
    for name, kind in sorted(listing(ev, host / "users").items()):
        entry = host / "users" / name
        if kind == "directory":
            if listing(ev, entry).get("home-configuration.nix") != "regular":
                continue
            user, entry = name, entry / "home-configuration.nix"
        elif kind == "regular" and name.endswith(".nix"):
            user = name.removesuffix(".nix")
        else:
            continue
        found.append(Assembled("blueprint", "homeConfigurations", f"{user}@{host.name}", entry))
    return found


def _blueprint_prefixes(ev: Evaluator, root: Path) -> list[Path]:
    """Where blueprint looks: the `prefix` given in flake.nix (a literal string), else the root."""
    flake = ev.files.source_of(root / "flake.nix")
    if flake is not None:
        text = flake.text.decode(errors="replace")
        marker = "prefix"
        at = text.find(marker)
        if at != -1:
            rest = text[at + len(marker) :].lstrip()
            if rest.startswith("="):
                value = rest[1:].lstrip()
                if value[:1] == '"' and '"' in value[1:]:
                    return [root / value[1 : value.index('"', 1)]]
    return [root]


def _nixos_unified(ev: Evaluator, root: Path) -> list[Assembled]:
    """nixos-unified's autowiring: `configurations/{nixos,darwin,home}/<name>(.nix|/default.nix)`."""
    found: list[Assembled] = []
    for folder, output in (
        ("nixos", "nixosConfigurations"),
        ("darwin", "darwinConfigurations"),
        ("home", "homeConfigurations"),
    ):
        for name, entry in _entries(ev, root / "configurations" / folder).items():
            found.append(Assembled("nixos-unified", output, name, entry))
    return found


def _digga(ev: Evaluator) -> list[Assembled]:
    """digga: `nixos.hosts` and `darwin.hosts` of its `mkFlake`, as `importHosts` and the
    `imports` of each section set them (`hosts.<h>.modules`): each host from its first file."""
    given = _given.get(ev, {}).get("digga")
    found: list[Assembled] = []
    for section, output in (("nixos", "nixosConfigurations"), ("darwin", "darwinConfigurations")):
        config = _setting(ev, given, section)
        if not isinstance(config, Attrs):
            continue
        parts = [config]
        imports = _setting(ev, config, "imports")
        if isinstance(imports, ListValue):
            parts += [v for t in imports.items if isinstance(v := ev.force(t), Attrs)]
        entries: dict[str, Path] = {}
        for part in parts:
            hosts = _setting(ev, part, "hosts")
            if not isinstance(hosts, Attrs):
                continue
            for name in hosts.attrs:
                modules = _setting(ev, hosts, name, "modules")
                if name in entries or not isinstance(modules, ListValue):
                    continue
                files = [v.path for t in modules.items if isinstance(v := ev.force(t), PathValue)]
                if files:
                    entries[name] = files[0] / "default.nix" if files[0].is_dir() else files[0]
        found += [Assembled("digga", output, n, entry) for n, entry in sorted(entries.items())]
    return found


def _easy_hosts(ev: Evaluator, root: Path) -> list[Assembled]:
    """easy-hosts (a flake-parts module): with `autoConstruct`, each `<path>/<arch>-<class>/<host>`
    (`<path>/<host>` when `onlySystem` is given); and each host named in `easy-hosts.hosts`,
    from its `path`, else `hosts/<host>` or `systems/<host>`. A `darwin` class is a nix-darwin
    host. Every host also imports the `shared` modules and its own `modules`; the functions
    `perClass`, `perArch` and `perTag` add more, which homeward does not list."""
    config = merged_config(ev)
    settings = _setting(ev, config, "easy-hosts") or _setting(ev, config, "easyHosts")
    if not isinstance(settings, Attrs):
        return []
    given = _setting(ev, settings, "path")
    base = given.path if isinstance(given, PathValue) else None
    only = _setting(ev, settings, "onlySystem")
    found: dict[str, tuple[str, Path]] = {}  # host -> (class, its path)
    auto = _setting(ev, settings, "autoConstruct")
    if isinstance(auto, Bool) and auto.value and base is not None:
        if isinstance(only, Str):
            kind = only.value.rsplit("-", 1)[-1]
            for name, what in listing(ev, base).items():
                found[name.removesuffix(".nix") if what == "regular" else name] = (
                    kind,
                    base / name,
                )
        else:
            for system, what in listing(ev, base).items():
                if what != "directory":
                    continue
                kind = system.split("-", 1)[1] if "-" in system else "nixos"
                for name in listing(ev, base / system):
                    found[name.removesuffix(".nix")] = (kind, base / system / name)
    hosts = _setting(ev, settings, "hosts")
    own: dict[str, tuple[Thunk, ...]] = {}
    for name in hosts.attrs if isinstance(hosts, Attrs) else {}:
        path: Path | None
        kind, path = found.get(name, ("nixos", None))
        written = _setting(ev, hosts, name, "class")
        kind = written.value if isinstance(written, Str) else kind
        where = _setting(ev, hosts, name, "path")
        if isinstance(where, PathValue):
            path = where.path
        if path is None:
            path = next((p for d in ("hosts", "systems") if _kind(ev, p := root / d / name)), None)
        if path is None:
            continue
        found[name] = (kind, path)
        listed = _setting(ev, hosts, name, "modules")
        own[name] = tuple(listed.items) if isinstance(listed, ListValue) else ()
    shared = _setting(ev, settings, "shared", "modules")
    common = tuple(shared.items) if isinstance(shared, ListValue) else ()
    more = sorted(f"`{n}`" for n in ("perClass", "perArch", "perTag") if n in settings.attrs)
    adds = f"easy-hosts adds the modules given by its {', '.join(more)}" if more else ""
    assembled: list[Assembled] = []
    for name, (kind, path) in sorted(found.items()):
        kind_of = _kind(ev, path)
        entry = path / "default.nix" if kind_of == "directory" else path
        if kind_of is None or _kind(ev, entry) != "regular":
            continue
        output = "darwinConfigurations" if kind == "darwin" else "nixosConfigurations"
        modules = (*common, *own.get(name, ()))
        assembled.append(Assembled("easy-hosts", output, name, entry, adds=adds, modules=modules))
    return assembled


def _kind(ev: Evaluator, path: Path) -> str | None:
    """ "directory", "regular" (or another kind) for a path the flake sees, None: none."""
    return listing(ev, path.parent).get(path.name)


def searched(ev: Evaluator, root: Path, names: list[str]) -> list[str]:
    """Where the frameworks `names` look for hosts, and what is there instead: said when
    no host at all is found (a project's devshell flake, a system-manager machine)."""

    def rel(path: Path) -> str:
        inside = os.path.relpath(path, root)
        return "" if inside == "." else f"{inside}/"

    said: list[str] = []
    if "ez-configs" in names:
        said += _ez_searched(ev, root, lambda path: rel(path) or "./")
    if "snowfall-lib" in names:
        base = rel(_snowfall_root(ev, root))
        exist = [d for d in ("systems", "homes") if listing(ev, root / base / d)]
        said.append(
            f"snowfall-lib reads hosts from `{base}systems/<arch>/<host>/` and homes from "
            f"`{base}homes/<arch>/<user>@<host>/`, and "
            + ("neither directory exists" if not exist else "none has a `default.nix` there")
        )
    if "blueprint" in names:
        given = _blueprint_prefixes(ev, root) != [root]
        for prefix in _blueprint_prefixes(ev, root):
            where = f"blueprint reads hosts from `{rel(prefix)}hosts/<host>/`" + (
                " (its `prefix`)" if given else ""
            )
            hosts = listing(ev, prefix / "hosts")
            if not hosts:
                said.append(f"{where}, and `{rel(prefix)}hosts/` does not exist")
                continue
            kinds = {
                "system-configuration.nix": "system-manager, which homeward does not read",
                "default.nix": "a `{ class; value; }` homeward cannot compute",
            }
            seen = []
            for name in sorted(n for n, k in hosts.items() if k == "directory"):
                files = listing(ev, prefix / "hosts" / name)
                what = next((f"{f}: {k}" for f, k in kinds.items() if f in files), "no entry file")
                seen.append(f"`{name}` ({what})")
            said.append(
                f"{where}, and none has a `configuration.nix` or `darwin-configuration.nix`"
                + (f": {', '.join(seen)}" if seen else "")
            )
    if "digga" in names:
        said.append(
            "digga reads hosts from the directories given to `importHosts` and from "
            "`nixos.hosts.<host>.modules`, and homeward finds none there"
        )
    return said


# -- configurations under `packages.<system>` -----------------------------------------------------
PER_SYSTEM = "`packages.<system>`"
"""The `framework` of configurations written under `packages.<system>` (flake-utils'
`eachDefaultSystem`): read as hosts, not rewired (`Loader._per_system`, `plan/assembled.py`)."""

_PREFERRED = {
    "darwin": ("aarch64-darwin", "x86_64-darwin"),
    "nixos": ("x86_64-linux", "aarch64-linux"),
    "home": ("x86_64-linux", "aarch64-linux"),
}


def per_system_order(systems: list[str], kind: str) -> list[str]:
    """The systems of `packages.<system>` in the order to look for configurations of `kind`:
    the platform such a host usually runs on first, then the rest by name."""
    preferred = [s for s in _PREFERRED.get(kind, ()) if s in systems]
    return preferred + sorted(s for s in systems if s not in preferred)


# -- names ---------------------------------------------------------------------------------------
FRAMEWORKS = {
    "flake-parts": "flake-parts",
    "snowfall-lib": "snowfall-lib",
    "ez-configs": "ez-configs",
    "haumea": "haumea",
    "std": "std",
    "hive": "hive",
    "digga": "digga",
    "flake-utils-plus": "flake-utils-plus",
    "nixos-unified": "nixos-unified",
    "easy-hosts": "easy-hosts",
    "blueprint": "blueprint",
    "colmena": "colmena",
    "adios-flake": "adios-flake",
    "clan-core": "clan-core",
}
"""Flake frameworks that build hosts by convention, by the repository name in their input URL."""


def used(inputs: dict[str, str | None]) -> list[str]:
    """The frameworks among the flake's inputs (input name to URL), in a stable order."""
    found: set[str] = set()
    for name, url in inputs.items():
        tail = (url or "").lower().rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
        for key, label in FRAMEWORKS.items():
            if key in (tail, name.lower()):
                found.add(label)
    return sorted(found)


DEN = "den (a flake-parts module)"
"""What builds the hosts of a flake that imports den's flake-parts module: den makes them from
`den.hosts` and the aspects they include, which homeward does not read."""


def _has_den(inputs: dict[str, str | None]) -> bool:
    """An input named `den`, or fetched from a repository named `den`."""
    return any(
        "den" in (name.lower(), (url or "").lower().rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0])
        for name, url in inputs.items()
    )


def describe(flake_text: str, inputs: dict[str, str | None]) -> str:
    """What builds the outputs of a flake whose hosts homeward cannot find: the framework that
    is called (not merely an input), or the shape of the code."""
    text = " ".join(flake_text.split())
    called = [
        (marker, label)
        for marker, label in (
            ("flake-parts.lib.mkFlake", "flake-parts"),
            ("adios-flake.lib.mkFlake", "adios-flake"),
            ("snowfall-lib.mkFlake", "snowfall-lib"),
            ("digga.lib.mkFlake", "digga"),
            ("inputs.blueprint", "blueprint"),
            ("blueprint {", "blueprint"),
            ("haumea", "haumea"),
            ("flake-utils-plus.lib.mkFlake", "flake-utils-plus"),
        )
        if marker in text
    ]
    labels = sorted({label for _marker, label in called})
    frameworks = used(inputs)
    per_system = any(f"packages.{o}Configurations" in text for o in ("nixos", "darwin", "home"))
    if "eachDefaultSystem" in text and per_system and not labels:
        return "flake-utils' `eachDefaultSystem` (configurations under `packages.<system>` are not hosts `nixos-rebuild` reads)"
    direct = re.search(r"outputs\s*=\s*[\w@{}, .?]*:\s*import\s+(\.[^\s;]*)", text)
    if direct and not labels:
        return f"the repository's own code (`outputs` is `import {direct.group(1)}`)"
    if "mkFlake" in text and not labels:
        return "the repository's own `mkFlake`"
    if labels == ["flake-parts"] and _has_den(inputs):
        labels = [DEN]  # Why: flake-parts only runs the modules; den makes the hosts
    if labels:
        extra = [
            f
            for f in frameworks
            if f not in labels and f in ("ez-configs", "nixos-unified", "clan-core")
        ]
        return " and ".join(labels + extra)
    # A framework whose only entry is its `mkFlake` builds nothing here when flake.nix never
    # calls one (an input kept for a module, or left over): not "built with" it.
    called_only = ("flake-parts", "adios-flake", "snowfall-lib", "digga", "flake-utils-plus")
    frameworks = [f for f in frameworks if f not in called_only]
    if frameworks:
        return " and ".join(frameworks)
    return ""


def _outside(me: Builtin, args: list[Thunk]) -> Unknown:
    """What a function of an input that only looks like a framework's gives: an opaque
    result whose argument is still read (the hosts it names may be found)."""
    return Unknown(
        f"`{me.name}` comes from outside the repository",
        me.node,
        me.source,
        call=args[0],
        function=me.name,
    )
