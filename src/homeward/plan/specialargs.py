"""The host's `specialArgs` where another configuration needs them: as written when every
name in them means the same beside `outputs`, else rebuilt from what each value is for the host
(`hostname = "box"`); and a standalone home's `extraSpecialArgs` for the NixOS module."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError
from homeward.model.repo import SystemConfig
from homeward.model.values import (
    Attrs,
    External,
    FileText,
    Str,
    Thunk,
    Unknown,
    Value,
    describe_value,
    explain_unknown,
)
from homeward.plan.nixcode import copied_text
from homeward.plan.wiring import flake_outputs, standalone_home, transplant
from homeward.syntax import emit as nix
from homeward.syntax.edit import indent_at, reindent
from homeward.syntax.emit import attr_key as _key
from homeward.syntax.emit import quote_string
from homeward.syntax.nodes import bindings_of, node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.index import Index
    from homeward.model.scope import Env
    from homeward.plan.flake import FlakeEditor
    from homeward.syntax.parse import Source


def standalone_special_args(
    ed: FlakeEditor, user: str, host: str, source: Source, others: Sequence[str] = ()
) -> str | None:
    """The `extraSpecialArgs` of the user's standalone configuration (`"<user>@<host>"`,
    else `"<user>"`) as written in flake.nix, when they pass names the host's
    `specialArgs` do not and mean the same beside the host's module list (written in
    `source`), else rebuilt from their values (the same for the `others` hosts that read
    that list too); None otherwise (a warning when they cannot be written there: migrate
    leaves such a host unwired before, `unwritable_home_args`)."""
    args = home_args(ed, user, host, source, others)
    if args.why is not None:
        assert args.config is not None
        words = "nix-darwin" if ed.index.is_mac(host) else "NixOS"
        ed.diagnostics.append(
            Diagnostic(
                Severity.WARNING,
                f'the `extraSpecialArgs` of `homeConfigurations."{args.name}"` cannot be '
                f"written for home-manager's {words} module on `{host}`: the home may "
                f"read arguments the {words} module does not pass",
                args.config.location,
                hint="set `home-manager.extraSpecialArgs` on the host to the same names",
            )
        )
    return args.code


@dataclass(frozen=True, slots=True)
class HomeArgs:
    """What home-manager's module on a host passes a user's standalone home for it to read
    the same arguments: `code` (None: nothing to add), or why that cannot be written there
    (`why`: the name, where its value comes from and what it is), of the configuration
    `name` (`config`)."""

    code: str | None = None
    why: str | None = None
    name: str = ""
    config: SystemConfig | None = None


def home_args(
    ed: FlakeEditor,
    user: str,
    host: str,
    source: Source,
    others: Sequence[str] = (),
    *,
    explain: bool = False,
) -> HomeArgs:
    """`standalone_special_args`, said as `HomeArgs`. `explain`: say which argument cannot be
    written even where the list is outside flake.nix (asks `ed` for names: an editor of its
    own)."""
    found = standalone_home(ed.repo, user, host)
    if found is None:
        return HomeArgs()
    name, config, thunk = found
    if thunk is None or thunk.expr is None:
        return HomeArgs()
    theirs = ed.repo.ev.force(thunk)
    ours = ed.repo.hosts[host].special_args
    if (
        isinstance(theirs, Attrs)
        and isinstance(ours, Attrs)
        and not theirs.dynamic_keys
        and theirs.more is None
        and set(theirs.attrs) <= set(ours.attrs)
    ):
        return HomeArgs()  # the host passes those names already (a helper's own arguments)
    node = unparen(thunk.expr)
    if thunk.source is not ed.src or source is not ed.src or not portable(ed, node):
        here = source is ed.src
        rebuilt = rebuilt_home_args(ed, theirs, ours) if here or explain else None
        differ = [o for o in others if o != host and _rebuilt_for(ed, user, o) != rebuilt]
        if here and rebuilt is not None and not differ:
            return HomeArgs(rebuilt or None)  # "": the host passes every one already
        if rebuilt is None and (here or explain):
            why = _unwritten(ed, thunk, theirs, ours)
        elif not here:
            why = (
                f"homeward writes them beside a module list in flake.nix only, and `{host}`'s "
                f"is in `{source.path}`"
            )
        else:
            why = f"`{differ[0]}` reads the same module list, and its home's values differ"
        return HomeArgs(why=why, name=name, config=config)
    text = node_text(node, ed.src.text)
    return HomeArgs(reindent(text, indent_at(ed.src.text, node.start_byte), ""))


def unwritable_home_args(
    index: Index, source: Source, hosts: Sequence[str], users: Collection[str]
) -> str | None:
    """Why home-manager's module cannot be wired into the module list in `source` that
    `hosts` read, for `users`: the standalone home of one of them reads an argument
    (`extraSpecialArgs`) that cannot be written there (a value homeward does not know, or
    cannot write as code there). None: nothing stands in the way.
    Why: wired without it, a home module taking it (`{ vars, ... }:`) does not evaluate, and
    the host no longer builds."""
    from homeward.plan.flake import FlakeEditor

    ed: FlakeEditor | None = None
    for user in sorted(users):
        if standalone_home(index.repo, user, hosts[0]) is None:
            continue
        if _host_passes_home_args(index, hosts[0]):
            return None
        ed = ed or FlakeEditor(index)
        args = home_args(ed, user, hosts[0], source, hosts, explain=True)
        if args.why is not None:
            return (
                f'the home of `homeConfigurations."{args.name}"` reads arguments '
                f"(`extraSpecialArgs`) that cannot be written for home-manager's module there: "
                f"{args.why}; wired without them, a home module taking one would not evaluate"
            )
    return None


def _host_passes_home_args(index: Index, host: str) -> bool:
    """The host sets `home-manager.extraSpecialArgs` itself."""
    return any(
        d.path[1:2] == ("extraSpecialArgs",) for d in index.host_definitions(host, "home-manager")
    )


def _unwritten(ed: FlakeEditor, thunk: Thunk, theirs: Value, ours: object) -> str:
    """Which of a standalone home's `extraSpecialArgs` (`theirs`, written at `thunk`)
    `rebuilt_home_args` cannot write, where its value comes from, and what it is."""
    assert thunk.source is not None and thunk.expr is not None
    at = thunk.source.location(thunk.expr.start_byte)
    if not isinstance(theirs, Attrs) or theirs.more is not None or theirs.dynamic_keys:
        return f"they ({at}) are not known statically{explain_unknown(theirs, at)}"
    passed = ours.attrs if isinstance(ours, Attrs) else {}
    for name, item in theirs.attrs.items():
        value = ed.repo.ev.force(item)
        if name in passed and ed.repo.ev.force(passed[name]) is value:
            continue
        if value_code(ed, value) is not None:
            continue
        given = (
            item.source.location(item.expr.start_byte)
            if item.source is not None and item.expr is not None
            else at
        )
        if isinstance(value, Unknown):
            why = explain_unknown(value, given)
            return f"`{name}`, given at {given}, is not known statically{why}"
        what = describe_value(value)
        if value.source is not None and value.node is not None:
            what += f" written at {value.source.location(value.node.start_byte)}"
        return f"`{name}`, given at {given}, is {what}, which homeward does not write as code"
    return f"they ({at}) are not known statically"


def _rebuilt_for(ed: FlakeEditor, user: str, host: str) -> str | None:
    """`rebuilt_home_args` of the user's standalone configuration for `host`."""
    found = standalone_home(ed.repo, user, host)
    if found is None or found[2] is None:
        return ""
    theirs = ed.repo.ev.force(found[2])
    return rebuilt_home_args(ed, theirs, ed.repo.hosts[host].special_args)


def rebuilt_home_args(ed: FlakeEditor, theirs: object, ours: object) -> str | None:
    """A standalone home's `extraSpecialArgs` written in another scope (a helper's, `mkHome
    user isServer`) as what each name is for that home (`isServer = true;`), for the host's
    module in flake.nix; names the host passes already are left out ("": all of them).
    None: one is not known.
    Why: without them, a home module taking `{ isServer, ... }` no longer evaluates there."""
    if not isinstance(theirs, Attrs) or theirs.more is not None or theirs.dynamic_keys:
        return None
    passed = ours.attrs if isinstance(ours, Attrs) else {}
    items: list[nix.Item] = []
    for name, thunk in theirs.attrs.items():
        value = ed.repo.ev.force(thunk)
        if name in passed and ed.repo.ev.force(passed[name]) is value:
            continue
        code = value_code(ed, value)
        if code is None:
            return None
        items.append((name, nix.Raw(code)))
    return nix.emit(nix.Attrs(items)) if items else ""


def portable_special_args(ed: FlakeEditor, host: SystemConfig) -> str | None:
    """The host's `specialArgs` as written where `homeConfigurations` is: the text itself
    when every name in it means the same there; otherwise rebuilt from what the names are
    for this host (`hostname = "alpha"`, `unstable = nixpkgs-unstable.legacyPackages...`)."""
    args = host.call.args
    thunk = args.attrs.get("specialArgs") if isinstance(args, Attrs) else None
    if thunk is None or thunk.expr is None or thunk.source is None:
        return None
    if thunk.source is not ed.src:
        return rebuilt_special_args(ed, host, thunk)
    node = unparen(thunk.expr)
    if portable(ed, node):
        return copied_text(node, ed.src.text)
    values = host.special_args
    if node.type != "attrset_expression" or not isinstance(values, Attrs):
        raise HomewardError(
            f"the `specialArgs` of host `{host.name}` cannot be written for its standalone configuration",
            at=ed.src.location(node.start_byte),
            hint="use --mode module, or make `specialArgs` an attribute set of names defined in `outputs`",
        )
    items: list[nix.Item] = []
    for b in bindings_of(node):
        path = b.child_by_field_name("attrpath")
        attrs = b.child_by_field_name("attrs")
        if b.type == "binding":
            names = [node_text(path, ed.src.text)] if path is not None else []
        else:
            names = (
                [node_text(a, ed.src.text) for a in attrs.children_by_field_name("attr")]
                if attrs
                else []
            )
        if b.type == "binding" and portable(ed, b):
            items.append(nix.Raw(copied_text(b, ed.src.text)))
            continue
        for name in names:
            if b.type == "inherit" and portable_name(ed, name, b):
                items.append(nix.Inherit((name,)))
                continue
            code = (
                value_code(ed, ed.repo.ev.force(values.attrs[name]))
                if name in values.attrs
                else None
            )
            value_node = b.child_by_field_name("expression")
            if code is None and b.type == "binding" and value_node is not None:
                code = helper_bound(ed, value_node, thunk.env)
            if code is None:
                raise HomewardError(
                    f"`specialArgs.{name}` of host `{host.name}` cannot be written outside its helper",
                    at=ed.src.location(b.start_byte),
                    hint="use --mode module, or define it in `outputs` so that both configurations can use it",
                )
            items.append(((nix.Raw(name),), nix.Raw(code)))  # the name as written
    return nix.emit(nix.Attrs(items))


def helper_bound(ed: FlakeEditor, expr: Node, env: Env | None) -> str | None:
    """`expr`, written in flake.nix inside a helper, with the helper's names it reads bound
    to what they are for one host: `let host = "box"; in import ./overlays { inherit host; }`
    (None: one of them is not known)."""
    from homeward.syntax.scope import free_variables

    if env is None:
        return None
    text = ed.src.text
    bound: list[nix.Item] = []
    for name, uses in sorted(free_variables(expr, text).items()):
        if all(portable_name(ed, name, use) for use in uses):
            continue
        thunk = env.lookup(name, ed.repo.ev)
        code = value_code(ed, ed.repo.ev.force(thunk)) if thunk is not None else None
        if code is None or _key(name) != name:
            return None
        bound.append((name, nix.Raw(code)))
    body = reindent(node_text(expr, text), indent_at(text, expr.start_byte), "")
    return nix.emit(nix.Let(nix.Attrs(bound), nix.Raw(body), inline=True)) if bound else body


def rebuilt_special_args(ed: FlakeEditor, host: SystemConfig, thunk: Thunk) -> str:
    """The `specialArgs` of a host built in another file, rebuilt from what each value is
    for this host (`hostname = "box"` when the helper was called with `"box"`), or its
    code moved to flake.nix with the names it reads bound (plan/wiring.py, `transplant`)."""
    assert thunk.source is not None and thunk.expr is not None
    source, at = thunk.source, thunk.source.location(thunk.expr.start_byte)
    values = host.special_args
    if not isinstance(values, Attrs) or values.more is not None or values.dynamic_keys:
        raise HomewardError(
            f"the `specialArgs` of host `{host.name}` are not known statically",
            at=at,
            hint="use --mode module, or write `specialArgs` as an attribute set",
        )
    written: dict[str, Node] = {}
    node = unparen(thunk.expr)
    if node.type == "attrset_expression":
        for b in bindings_of(node):
            path, value = b.child_by_field_name("attrpath"), b.child_by_field_name("expression")
            if b.type == "binding" and path is not None and value is not None:
                written[node_text(path, source.text)] = value
    items: list[nix.Item] = []
    for name, item in values.attrs.items():
        code = value_code(ed, ed.repo.ev.force(item))
        if code is None and name in written:
            code = transplant(written[name], source, thunk.env, ed.repo.ev, partial(value_code, ed))
        if code is None:
            raise HomewardError(
                f"`specialArgs.{name}` of host `{host.name}` is computed in "
                f"`{source.path}` and cannot be written outside it",
                at=at,
                hint="use --mode module, or make the value one both configurations can name",
            )
        items.append((name, nix.Raw(code)))
    return nix.emit(nix.Attrs(items))


def portable(ed: FlakeEditor, node: Node) -> bool:
    """Every free name of `node` is bound by `outputs` itself (or unbound: a builtin)."""
    from homeward.syntax.scope import free_variables

    return all(
        portable_name(ed, name, use)
        for name, uses in free_variables(node, ed.src.text).items()
        for use in uses
    )


def portable_name(ed: FlakeEditor, name: str, use: Node) -> bool:
    from homeward.plan.chunks import _binder

    kind, binder = _binder(name, use, use, ed.src.text)
    if kind == "let" and binder is not None:
        # A `let` directly around the outputs attribute set is visible there too.
        container = ed.outputs_attrset()
        let = binder.parent.parent if binder.parent is not None else None
        return let is not None and let.start_byte <= container.start_byte < let.end_byte
    if kind == "formal":
        return binder is not None and binder == ed.fn
    return kind == "none"


def value_code(ed: FlakeEditor, value: object) -> str | None:
    """Nix code for a statically known value, valid inside `outputs`."""
    from homeward.model.values import Bool, Int

    if isinstance(value, Str) and not isinstance(value, FileText):
        return quote_string(value.value)
    if isinstance(value, Int):
        return str(value.value)
    if isinstance(value, Bool):
        return "true" if value.value else "false"
    if isinstance(value, External):
        head, _, rest = value.name.partition(".")
        if head in ed.repo.inputs or head in ed.formals:
            return ed.input_ref(head) + (f".{rest}" if rest else "")
    inputs = ed.repo.ev.flake_inputs
    if inputs is not None and value is inputs:
        universal = ed.fn.child_by_field_name("universal") if ed.fn is not None else None
        if universal is not None:
            return node_text(universal, ed.src.text)
        return f"{ed.self_ref()}.inputs"
    flake_self = (
        inputs is not None
        and isinstance(value, Attrs)
        and "outputs" in value.attrs
        and "inputs" in value.attrs
        and ed.repo.ev.force(value.attrs["inputs"]) is inputs
    )
    if flake_self:
        return ed.self_ref()  # the flake itself (`flake = self;`)
    if inputs is not None and value is flake_outputs(ed.repo.ev):
        return f"{ed.self_ref()}.outputs"  # `inherit (self) outputs;`
    return None
