"""Where a host's module list is written, and how code there names a flake input.

A host's `modules = [ ... ]` is often written outside flake.nix: a helper in `hosts/default.nix`
(`mkHost = name: nixpkgs.lib.nixosSystem { modules = [ ./${name} ]; }`), `lib/mksystem.nix`, a
whole file that is one `nixpkgs.lib.nixosSystem rec { ... }`. The wiring goes where the list is
written, with the input named in terms of that file's scope: a name bound there (`inputs`,
`home-manager`, `self`), or a formal added to the file's function when its caller passes the
inputs. Small pure functions over the model, shared by `migrate` and `add` (and the nix-darwin
wiring): `list_site`, `input_ref`, `plan_sites`.

When no safe edit exists, the host is named with the reason (`Blocked`) and `migrate` skips it
(docs/architecture.md, rules 9-10): its files keep their bytes, the other hosts migrate.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from homeward.errors import HomewardError
from homeward.model.repo import Problem, ProblemKind, Repo, SystemConfig
from homeward.model.values import Attrs, External, ListValue, Thunk, Value
from homeward.syntax import emit as nix
from homeward.syntax.emit import attr_key
from homeward.syntax.find import concatenated
from homeward.syntax.nodes import node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.errors import Location
    from homeward.model.eval import Evaluator
    from homeward.model.index import Index
    from homeward.model.scope import Env
    from homeward.syntax.parse import Source


@dataclass(frozen=True, slots=True, eq=False)
class ListSite:
    """The list literal a host's module list ends with, in the file it is written in, and the
    scope its elements are evaluated in (None: not known)."""

    source: Source
    node: Node
    env: Env | None

    @property
    def key(self) -> tuple[str, int, int]:
        return (str(self.source.path), self.node.start_byte, self.node.end_byte)

    @property
    def directory(self) -> PurePosixPath:
        """The directory relative imports written in the list are resolved from."""
        return PurePosixPath(self.source.path).parent

    @property
    def location(self) -> Location:
        return self.source.location(self.node.start_byte)


@dataclass(frozen=True, slots=True)
class InputRef:
    """How code at a list site names a flake input: `code`, after adding `formal` (a name
    added to the function whose `formals` node starts at `formals_byte`) when that is set."""

    code: str
    formal: str | None = None
    formals_byte: int = 0


def concatenated_lists(node: Node, text: bytes) -> list[Node]:
    """The list literals `a ++ [ ... ] ++ ([ ... ])` is made of, in order."""
    return [part for part in concatenated(node, text) if part.type == "list_expression"]


def list_site(host: SystemConfig) -> ListSite | None:
    """Where the wiring of `host` goes: the last list literal its `modules` `++` chain is made
    of (`common ++ [ ... ]`), never a list inside one of its elements
    (`{ boot.kernelModules = [ ... ]; }`), in whatever file of the repository it is written."""
    value = host.modules_value
    if not isinstance(value, ListValue) or value.node is None or value.source is None:
        return None
    path = PurePosixPath(value.source.path)
    if path.is_absolute() or ".." in path.parts:
        return None  # outside the work tree: never edited (rule 12)
    lists = concatenated_lists(value.node, value.source.text)
    if not lists:
        return None
    node = lists[-1]
    env: Env | None = None
    for item in value.items:
        expr = item.expr
        if expr is not None and item.source is value.source and _inside(expr, node):
            env = item.env
            break
    args = host.args
    if env is None and args is not None and "modules" in args.attrs:
        thunk = args.attrs["modules"]
        if thunk.source is value.source and thunk.expr is not None and _inside(node, thunk.expr):
            env = thunk.env
    return ListSite(value.source, node, env)


def named_lists(config: SystemConfig, ev: Evaluator) -> list[ListSite]:
    """The list literals the names in a configuration's `modules` `++` chain stand for, in
    chain order: each name looked up, one step, in the scope the chain is evaluated in
    (`modules ++ [ … ]` in a helper `mkHome = user: modules: …` called with `[ ]`). What
    the list's items cannot show: a literal that is empty holds none to find it by."""
    value = config.modules_value
    args = config.args
    if not isinstance(value, ListValue) or value.node is None or value.source is None:
        return []
    thunk = args.attrs.get("modules") if args is not None else None
    if (
        thunk is None
        or thunk.env is None
        or thunk.expr is None
        or thunk.source is not value.source
        or not _inside(value.node, thunk.expr)
    ):
        return []
    found: list[ListSite] = []
    for part in concatenated(value.node, value.source.text):
        if part.type != "variable_expression":
            continue
        bound = thunk.env.lookup(node_text(part, value.source.text), ev)
        if bound is None or bound.expr is None or bound.source is None:
            continue
        node = unparen(bound.expr)
        if node.type == "list_expression":
            found.append(ListSite(bound.source, node, bound.env))
    return found


def _inside(node: Node, outer: Node) -> bool:
    return outer.start_byte <= node.start_byte and node.end_byte <= outer.end_byte


def _is_input(value: object, name: str) -> bool:
    return isinstance(value, External) and value.name == name


def _names(env: Env, ev: Evaluator) -> list[str]:
    """The names `env` binds lexically, innermost first, without the global scope."""
    found: list[str] = []
    current: Env | None = env
    while current is not None and current is not ev.globals:
        found.extend(n for n in current.vars if n not in found)
        current = current.parent
    return found


def flake_outputs(ev: Evaluator) -> object:
    """The flake's outputs as the model evaluated them (`self.outputs`), if it did."""
    inputs = ev.flake_inputs
    flake = (
        ev.force(inputs.attrs["self"]) if inputs is not None and "self" in inputs.attrs else None
    )
    if isinstance(flake, Attrs) and "outputs" in flake.attrs:
        return ev.force(flake.attrs["outputs"])
    return None


def _holds_input(value: object, name: str, ev: Evaluator) -> bool:
    """`value` is the flake's inputs (the set `outputs` is called with, which holds every
    input, the one about to be added too), or a set whose `name` is that input."""
    if not isinstance(value, Attrs):
        return False
    if value is ev.flake_inputs:
        return True
    return name in value.attrs and _is_input(ev.force(value.attrs[name]), name)


def input_ref(
    ev: Evaluator, envs: Iterable[Env | None], source: Source, name: str
) -> InputRef | None:
    """How code written in `source`, evaluated in each of `envs` (one per host that shares
    the list), names the flake input `name` the same way in all of them: a name in scope
    bound to it (`home-manager`), a set holding it (`inputs.home-manager`,
    `self.inputs.home-manager`), or a formal added to the file's function when every caller
    passes the inputs (`{ nixpkgs, ... }:` called with the flake's inputs). None: no way."""
    scopes = list(envs)
    if not scopes or any(env is None for env in scopes):
        return None
    found: set[tuple[str, str | None, int]] = set()
    for env in scopes:
        assert env is not None
        ref = _ref_in(ev, env, source, name)
        if ref is None:
            return None
        found.add((ref.code, ref.formal, ref.formals_byte))
    if len(found) != 1:
        return None
    code, formal, start = found.pop()
    return InputRef(code, formal, start)


def _ref_in(ev: Evaluator, env: Env, source: Source, name: str) -> InputRef | None:
    key = attr_key(name)
    direct = env.lookup(name, ev)
    if direct is not None and _is_input(ev.force(direct), name) and key == name:
        return InputRef(name)
    values = [(var, ev.force(t)) for var in _names(env, ev) if (t := env.lookup(var, ev))]
    for var, value in values:  # `inputs.home-manager` before `self.inputs.home-manager`
        if _holds_input(value, name, ev):
            return InputRef(f"{var}.{key}")
    for var, value in values:
        inner = value.attrs.get("inputs") if isinstance(value, Attrs) else None
        if inner is not None and _holds_input(ev.force(inner), name, ev):
            return InputRef(f"{var}.inputs.{key}")
    if direct is not None or key != name:
        return None  # the name means something else here: adding it would shadow that
    # A function of this file whose caller passes the inputs, and takes `...`: add a formal.
    current: Env | None = env
    while current is not None:
        call = current.call
        if call is not None and call[1] is source:
            formals = call[0].child_by_field_name("formals")
            if (
                formals is not None
                and any(c.type == "ellipses" for c in formals.children)
                and _holds_input(ev.force(call[2]), name, ev)
            ):
                return InputRef(name, name, formals.start_byte)
        current = current.parent
    return None


@dataclass(frozen=True, slots=True)
class Sites:
    """The wiring plan of the NixOS module lists: where each host's list is, how each site
    outside flake.nix names home-manager, and the hosts that cannot be wired (with why)."""

    of_host: Mapping[str, ListSite]
    refs: Mapping[tuple[str, int, int], InputRef]
    blocked: Mapping[str, Problem]


def wired_hosts(index: Index, user: str) -> set[str]:
    """Hosts where `user`'s existing home-manager entry is already wired through the NixOS
    module (none when the user has no entry yet: the new one is wired beside what is there)."""
    return index.hm_user_hosts(user) if index.existing_entry(user) is not None else set()


def hosts_to_wire(index: Index) -> dict[str, tuple[str, ...]]:
    """host -> the users home-manager's NixOS module must be wired for there."""
    todo: dict[str, list[str]] = {}
    for user in index.users.values():
        if not user.normal:
            continue
        wired = wired_hosts(index, user.name)
        for host in user.hosts:
            if host in index.hosts and host not in wired:
                todo.setdefault(host, []).append(user.name)
    return {host: tuple(sorted(users)) for host, users in todo.items()}


def plan_sites(index: Index, todo: Mapping[str, Collection[str]], hm_name: str) -> Sites:
    """Where each host of `todo` gets home-manager's NixOS module, or why it cannot."""
    repo = index.repo
    ev = repo.ev
    of_host: dict[str, ListSite] = {}
    blocked: dict[str, Problem] = {}
    consumers: dict[tuple[str, int, int], list[str]] = {}
    for name, config in (*repo.hosts.items(), *repo.others.items()):
        site = list_site(config)
        if site is None:
            continue
        consumers.setdefault(site.key, []).append(name)
        if name in todo:
            of_host[name] = site
    for name in todo:
        if name not in of_host:
            config = repo.hosts[name]
            at = (
                config.modules_value.source.location(config.modules_value.node.start_byte)
                if (
                    config.modules_value.node is not None
                    and config.modules_value.source is not None
                )
                else config.location
            )
            blocked[name] = Problem(
                ProblemKind.UNRESOLVED,
                f"homeward cannot find a module list of host `{name}` to add home-manager's "
                f"{'nix-darwin' if index.is_mac(name) else 'NixOS'} module to",
                at,
                "write the host's `modules` as a list (`modules = [ ... ];`), or wire "
                "home-manager by hand",
            )
    refs: dict[tuple[str, int, int], InputRef] = {}
    by_site: dict[tuple[str, int, int], list[str]] = {}
    for name, site in of_host.items():
        by_site.setdefault(site.key, []).append(name)
    for key, names in by_site.items():
        site = of_host[names[0]]
        others = [c for c in consumers[key] if c not in repo.hosts]
        users = {tuple(sorted(todo.get(c, ()))) for c in consumers[key] if c in repo.hosts}
        reason: str | None = None
        hint = "wire home-manager by hand in that list, then run again"
        if others:
            reason = (
                f"its module list in `{site.source.path}` is also the list of `{others[0]}`, "
                "which homeward does not wire"
            )
        elif len({repo.hosts[c].kind for c in consumers[key] if c in repo.hosts}) > 1:
            reason = (
                f"its module list in `{site.source.path}` is shared by NixOS and nix-darwin "
                "hosts, which take different home-manager modules"
            )
        elif len(users) > 1:
            reason = (
                f"its module list in `{site.source.path}` is shared by hosts with different "
                "users to wire"
            )
        elif (differ := differing_home_arg(index, names, todo[names[0]])) is not None:
            # Why: one wiring in a shared list passes every host the same arguments; wired
            # without one its homes read (`{ server, ... }:`), each host failed to evaluate.
            user, arg = differ
            reason = (
                f"its module list in `{site.source.path}` is shared by hosts whose standalone "
                f"homes of `{user}` pass different values of `{arg}` (`extraSpecialArgs`), "
                "which one home-manager wiring there cannot give each"
            )
        elif (unwritable := _unwritable_home_args(index, site, names, todo)) is not None:
            # Why: wired without an argument its home reads (`{ vars, ... }:`), the host
            # no longer evaluated; the home's value of it cannot be written there.
            reason = unwritable
            hint = (
                "set `home-manager.extraSpecialArgs` on the host to those values by hand "
                "(or wire home-manager there by hand), then run again"
            )
        elif site.source is not repo.flake:
            envs = [of_host[n].env for n in names]
            ref = input_ref(ev, envs, site.source, hm_name)
            if ref is None:
                reason = (
                    f"no name for the `{hm_name}` input is in scope where its module list is "
                    f"written (`{site.source.path}`), and its function cannot be given one"
                )
            else:
                refs[key] = ref
        if reason is not None:
            for name in names:
                blocked[name] = Problem(
                    ProblemKind.UNRESOLVED,
                    f"home-manager cannot be wired into host `{name}`: {reason}",
                    site.location,
                    hint,
                )
    return Sites(of_host, refs, blocked)


def differing_home_arg(
    index: Index, hosts: Sequence[str], users: Collection[str]
) -> tuple[str, str] | None:
    """(user, name) of an `extraSpecialArgs` name whose value differs between the standalone
    homes of `user` on `hosts` (`homeConfigurations."<user>@<host>"`, built by a helper per
    host), which the hosts do not pass themselves with that value; None: none differs, or
    the arguments are not known (said when they are written: plan/specialargs.py)."""
    ev = index.repo.ev
    for user in sorted(users):
        per_host: list[dict[str, object]] = []
        for host in hosts:
            theirs = _home_args(index, user, host)
            if theirs is None:
                break
            ours = index.repo.hosts[host].special_args
            passed = ours.attrs if isinstance(ours, Attrs) and ours.more is None else {}
            tokens: dict[str, object] = {}
            for name, thunk in theirs.attrs.items():
                key = _value_key(ev.force(thunk))
                given = passed.get(name)
                tokens[name] = (
                    "passed" if given is not None and _value_key(ev.force(given)) == key else key
                )
            per_host.append(tokens)
        else:
            names = sorted({n for tokens in per_host for n in tokens})
            for name in names:
                if len({repr(tokens.get(name, "absent")) for tokens in per_host}) > 1:
                    return user, name
    return None


def _unwritable_home_args(
    index: Index, site: ListSite, hosts: Sequence[str], todo: Mapping[str, Collection[str]]
) -> str | None:
    from homeward.plan.specialargs import unwritable_home_args

    return unwritable_home_args(index, site.source, hosts, todo[hosts[0]])


def standalone_home(
    repo: Repo, user: str, host: str
) -> tuple[str, SystemConfig, Thunk | None] | None:
    """The user's standalone configuration for `host` (`"<user>@<host>"`, else `"<user>"`):
    its name, itself and its `extraSpecialArgs` (None: it passes none); None: there is none."""
    for name in (f"{user}@{host}", user):
        config = repo.homes.get(name)
        if config is not None:
            args = config.call.args
            thunk = args.attrs.get("extraSpecialArgs") if isinstance(args, Attrs) else None
            return name, config, thunk
    return None


def _home_args(index: Index, user: str, host: str) -> Attrs | None:
    """The `extraSpecialArgs` of the user's standalone home for `host`, when known whole
    (an empty set: the home passes none)."""
    found = standalone_home(index.repo, user, host)
    if found is None:
        return Attrs({}, None, None)
    _, config, thunk = found
    if thunk is None:
        return Attrs({}, None, None) if isinstance(config.call.args, Attrs) else None
    value = index.repo.ev.force(thunk)
    if not isinstance(value, Attrs) or value.more is not None or value.dynamic_keys:
        return None
    return value


def _value_key(value: Value) -> object:
    """What a value is, for comparing one host's with another's: a string, number, boolean
    or input by what it holds; anything else by identity (the same binding)."""
    from homeward.model.values import Bool, FileText, Int, Str

    if isinstance(value, Str | Int | Bool) and not isinstance(value, FileText):
        return (type(value).__name__, value.value)
    if isinstance(value, External):
        return ("input", value.name)
    return ("same", id(value))


def skip_unwireable(index: Index) -> tuple[Index, Sites]:
    """The index without the hosts home-manager cannot be wired into (skipped and named, their
    files left byte-identical: docs/architecture.md, rules 9-10), and the sites of the rest."""
    from homeward.model.index import build_index
    from homeward.model.repo import skip_hosts

    name = index.hm_input or "home-manager"
    sites = plan_sites(index, hosts_to_wire(index), name)
    if not sites.blocked:
        return index, sites
    if not set(index.repo.hosts) - set(sites.blocked):
        # No host left: said with the first host's reason, as any run with no host (exit 3).
        first = sites.blocked[min(sites.blocked)]
        others = len(sites.blocked) - 1
        raise HomewardError(
            first.message + (f" (and {others} more host{'s' * (others > 1)})" if others else ""),
            at=first.at,
            hint=first.hint,
        )
    index = build_index(skip_hosts(index.repo, sites.blocked))
    return index, plan_sites(index, hosts_to_wire(index), name)


def transplant(
    expr: Node,
    source: Source,
    env: Env | None,
    ev: Evaluator,
    value_code: Callable[[Value], str | None],
) -> str | None:
    """`expr`, written in `source` (another file than flake.nix), as code valid in flake.nix's
    outputs for one host: each name it reads bound to what it is there (`let system =
    "x86_64-linux"; in ...`, through `value_code`), its relative paths rewritten from the
    repository root (`../user` in hosts/ is `./user`). None: a name or a path is not known."""
    from homeward.syntax.scope import free_variables

    if env is None:
        return None
    text = source.text
    bound: list[tuple[str, str]] = []
    for name in sorted(free_variables(expr, text)):
        thunk = env.lookup(name, ev)
        if thunk is None or ev.globals.vars.get(name) is thunk:
            continue  # a builtin (`import`), the same everywhere
        code = value_code(ev.force(thunk))
        if code is None or attr_key(name) != name:
            return None
        if code != name:
            bound.append((name, code))
    heads = {code.split(".", 1)[0] for _, code in bound}
    if heads & {name for name, _ in bound}:
        return None  # `let inputs = inputs.x;` would refer to itself
    spans: list[tuple[int, int, str]] = []
    stack = [expr]
    here = PurePosixPath(source.path).parent
    while stack:
        node = stack.pop()
        if node.type == "path_expression":
            written = node_text(node, text)
            if "${" in written or written.startswith(("/", "~")):
                return None
            target = PurePosixPath(os.path.normpath(here / written))
            if ".." in target.parts:
                return None
            new = f"./{target}" if str(target) != "." else "./."
            spans.append((node.start_byte - expr.start_byte, node.end_byte - expr.start_byte, new))
            continue
        stack.extend(node.children)
    body = node_text(expr, text)
    for start, end, new in sorted(spans, reverse=True):
        body = body[:start] + new + body[end:]
    body = body if "\n" not in body else " ".join(line.strip() for line in body.splitlines())
    if not bound:
        return body
    lets = nix.Attrs([(name, nix.Raw(code)) for name, code in bound])
    return nix.emit(nix.Let(lets, nix.Raw(body), inline=True))
