"""`check --fix`: the findings homeward can fix without judgement, as a Plan. Pure.

Beside `render` in the layers: it reads the rules' facts (lint) and writes Edits as the
planners do (plan), which neither of those may import from the other.

Two classes, as ruff has them:
- safe (`--fix`): cannot alter any output that exists. HW005: a user wired through
  home-manager's NixOS module gets `homeConfigurations."<user>@<host>"`, a new output built from
  the same home module.
- unsafe (`--fix --unsafe-fixes`): change what an existing output builds. HW006:
  `inputs.nixpkgs.follows = "nixpkgs";` on the home-manager input (home-manager then builds
  against the flake's nixpkgs). HW007: `home.stateVersion` where none is set, to the release
  docs/architecture.md, rule 8, gives (the home-manager release the flake tracks; for master
  the newest homeward knows); an existing value is never changed: the rule only fires when
  there is none.
Never fixed: HW009 (an import of a missing file is often the machine's own hardware file) and
anything that needs judgement (`homeward migrate`). A finding a fix cannot reach statically
(a computed wiring, a full-form module) is reported as not fixed, with the reason.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.errors import Location
from homeward.lint.facts import Facts, HomeConfig, HomeKind
from homeward.lint.fixable import Safety
from homeward.lint.rules import _input_location, _sets_state_version
from homeward.model.index import release_text
from homeward.model.repo import ModuleInfo
from homeward.plan.nixcode import relative_import
from homeward.plan.types import Edit, Plan
from homeward.syntax import emit as nix
from homeward.syntax.edit import insert_binding
from homeward.syntax.find import (
    Definition,
    ImportKind,
    StepKind,
    classify_import,
    walk_definitions,
)
from homeward.syntax.nodes import bindings_of, node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class Fix:
    code: str
    safety: Safety
    what: str  # `add homeConfigurations."ham@desk"`
    edits: tuple[Edit, ...]
    at: Location | None = None  # the finding it fixes


@dataclass(frozen=True, slots=True)
class Unfixed:
    code: str
    what: str
    why: str


@dataclass(frozen=True, slots=True)
class FixPlan:
    applied: tuple[Fix, ...] = ()  # in `plan`
    held: tuple[Fix, ...] = ()  # unsafe fixes left out (no --unsafe-fixes)
    unfixed: tuple[Unfixed, ...] = ()  # findings of a fixable rule no fix can reach here
    plan: Plan = field(default_factory=Plan)


class _CannotFixError(Exception):
    """This finding cannot be fixed statically; the message says why."""


def plan_fixes(
    facts: Facts,
    codes: Collection[str],
    *,
    unsafe: bool,
    findings: Collection[tuple[str, Location | None]] | None = None,
) -> FixPlan:
    """The fixes for the findings of `codes` in `facts`; unsafe ones only when `unsafe`.

    `findings`: (code, location) of the findings to fix (those left after suppression
    comments); None fixes every finding of a fixable rule.
    """
    fixes: list[Fix] = []
    unfixed: list[Unfixed] = []
    if "HW005" in codes:
        _fix_home_configurations(facts, fixes, unfixed)
    if "HW006" in codes:
        _fix_follows(facts, fixes, unfixed)
    if "HW007" in codes:
        _fix_state_versions(facts, fixes, unfixed)
    if findings is not None:
        wanted = set(findings)
        fixes = [f for f in fixes if (f.code, f.at) in wanted]
    applied = tuple(f for f in fixes if unsafe or f.safety is Safety.SAFE)
    held = tuple(f for f in fixes if f not in applied)
    edits = tuple(e for f in applied for e in f.edits)
    return FixPlan(applied, held, tuple(unfixed), Plan(edits=edits))


# -- HW005: a missing homeConfigurations."<user>@<host>" ----------------------------------------


def _fix_home_configurations(facts: Facts, fixes: list[Fix], unfixed: list[Unfixed]) -> None:
    from homeward.plan.add import Adder, AddSpec

    for home in facts.homes:
        if home.kind is not HomeKind.MODULE or home.user is None or home.host is None:
            continue
        if facts.standalone_declined or facts.standalone_of(home.user, home.host) is not None:
            continue  # what HW005 does not report (a bare entry, or none wanted)
        name = f"{home.user}@{home.host}"
        what = f'add `homeConfigurations."{name}"`'
        try:
            modules = _standalone_modules(facts, home)
        except _CannotFixError as why:
            unfixed.append(Unfixed("HW005", what, str(why)))
            continue
        adder = Adder(facts.index, AddSpec(kind="user", name=home.user))
        adder.home_entries([(home.user, home.host)], modules=modules)
        edits = tuple(adder.edits) + tuple(adder.flake.edits)
        fixes.append(Fix("HW005", Safety.SAFE, what, edits, home.at))


def _standalone_modules(facts: Facts, home: HomeConfig) -> list[str]:
    """The `modules` of a standalone configuration holding what the NixOS wiring holds."""
    if home.opaque or home.external:
        raise _CannotFixError(
            "some of its modules cannot be seen (computed, shared or from outside)"
        )
    if home.inline:
        raise _CannotFixError(
            "part of it is written inline in the host's wiring: run `homeward migrate`"
        )
    wiring = facts.wiring[home.host or ""][home.user or ""]
    flake_dir = PurePosixPath(".")
    items: list[str] = []
    for d in wiring:
        if d.path[3:] not in ((), ("imports",)):
            raise _CannotFixError(f"`{d.dotted}` is set in the wiring: run `homeward migrate`")
        values = _list_items(d) if d.path[3:] == ("imports",) else [d.value]
        for value in values:
            ref = classify_import(d.source, value)
            if ref.kind is not ImportKind.FILE or ref.target is None:
                raise _CannotFixError("the home is not wired from a file in the repository")
            target = PurePosixPath(d.source.path.parent.as_posix()) / ref.target
            items.append(relative_import(PurePosixPath(_normal(target)), flake_dir))
    if not items:
        raise _CannotFixError("the wiring names no module")
    if _uses_os_config(home):
        raise _CannotFixError(
            "its modules read `osConfig`, which a standalone configuration does not have"
        )
    defined = {d.path[:2] for _, d in home.definitions()}
    user = facts.index.users.get(home.user or "")
    if ("home", "username") not in defined or ("home", "homeDirectory") not in defined:
        # The NixOS module sets both from `users.users.<user>`; standalone needs them.
        from homeward.plan.groups import home_dir  # the one place that decides the directory

        directory = home_dir(user) if user is not None else f"/home/{home.user}"
        identity = [(("home", "username"), home.user or ""), (("home", "homeDirectory"), directory)]
        items.append(nix.emit(nix.Attrs(identity, expand=True)))
    return items


def _list_items(d: Definition) -> list[Node]:
    value = unparen(d.value)
    if value.type != "list_expression":
        raise _CannotFixError("its imports are computed")
    return [c for c in value.named_children if c.type != "comment"]


def _normal(path: PurePosixPath) -> str:
    parts: list[str] = []
    for part in path.parts:
        if part == "..":
            if not parts:
                raise _CannotFixError("the home module is outside the repository")
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _uses_os_config(home: HomeConfig) -> bool:
    return any(b"osConfig" in info.module.source.text for info in home.modules)


# -- HW006: the home-manager input follows nixpkgs ------------------------------------------------


def _fix_follows(facts: Facts, fixes: list[Fix], unfixed: list[Unfixed]) -> None:
    repo = facts.repo
    if "nixpkgs" not in repo.inputs:
        return
    flake = repo.flake
    top = flake.root.child_by_field_name("expression")
    for name, flake_input in repo.inputs.items():
        is_home_manager = name == "home-manager" or "home-manager" in (flake_input.url or "")
        if not is_home_manager or any(sub == "nixpkgs" for sub, _ in flake_input.follows):
            continue
        what = f'add `inputs.nixpkgs.follows = "nixpkgs";` to the `{name}` input'
        url = next(
            (
                d
                for d in (walk_definitions(flake, top) if top is not None else ())
                if d.path[:3] == ("inputs", name, "url")
            ),
            None,
        )
        binding = _binding_node(url) if url is not None else None
        if binding is None or binding.parent is None or binding.parent.parent is None:
            unfixed.append(
                Unfixed("HW006", what, "its `url` is not written where homeward can add to it")
            )
            continue
        attrpath = binding.child_by_field_name("attrpath")
        assert attrpath is not None
        names = [node_text(c, flake.text) for c in attrpath.named_children]
        written: list[str | nix.Raw] = [nix.Raw(n) for n in names[:-1]]  # as written
        key = (*written, "inputs", "nixpkgs", "follows")
        container = binding.parent.parent  # binding -> binding_set -> attrset
        follows = nix.emit_binding(key, "nixpkgs")
        span = insert_binding(container, flake.text, follows, after=binding)
        edit = Edit(Path(flake.path), span.start_byte, span.end_byte, span.new, what)
        fixes.append(Fix("HW006", Safety.UNSAFE, what, (edit,), _input_location(facts, name)))


def _binding_node(d: Definition) -> Node | None:
    bindings = [s for s in d.steps if s.kind is StepKind.BINDING]
    if not bindings or bindings[-1].names[-1:] != ("url",):
        return None
    node = bindings[-1].node
    return node if node.type == "binding" else None


# -- HW007: home.stateVersion -----------------------------------------------------------------------


def _fix_state_versions(facts: Facts, fixes: list[Fix], unfixed: list[Unfixed]) -> None:
    release = release_text(facts.release)
    done: set[str] = set()
    for home in facts.homes:
        if home.opaque or _sets_state_version(facts, home):
            continue
        what = f'set `home.stateVersion = "{release}"` for {home.title}'
        if home.external:
            # A module from outside may set it: a second value would break the home.
            unfixed.append(Unfixed("HW007", what, "a module homeward cannot see may set it"))
            continue
        try:
            entry = _entry_module(facts, home)
        except _CannotFixError as why:
            unfixed.append(Unfixed("HW007", what, str(why)))
            continue
        if entry.key in done:
            continue
        done.add(entry.key)
        module = entry.module
        body = module.body
        if body is None or unparen(body).type not in (
            "attrset_expression",
            "rec_attrset_expression",
        ):
            unfixed.append(Unfixed("HW007", what, f"`{entry.path}` is not a plain attribute set"))
            continue
        body = unparen(body)
        if "config" in _heads(body, module.source.text):
            unfixed.append(
                Unfixed("HW007", what, f"`{entry.path}` is a full-form module (`config = ...`)")
            )
            continue
        anchor = _state_anchor(body, module.source.text)
        state = nix.emit_binding(("home", "stateVersion"), release)
        span = insert_binding(body, module.source.text, state, after=anchor)
        edit = Edit(Path(entry.path or ""), span.start_byte, span.end_byte, span.new, what)
        # Where HW007 reports it: the entry file's body (one finding per file, issue 14).
        at = entry.source.location(module.body.start_byte) if module.body is not None else home.at
        fixes.append(
            Fix("HW007", Safety.UNSAFE, what.replace(home.title, f"`{entry.path}`"), (edit,), at)
        )


def _heads(body: Node, text: bytes) -> set[str]:
    heads: set[str] = set()
    for b in bindings_of(body):
        path = b.child_by_field_name("attrpath")
        if path is not None:
            heads.add(node_text(path, text).split(".")[0])
    return heads


def _state_anchor(body: Node, text: bytes) -> Node | None:
    """After the last `home.*` binding (where people keep `home.username`), else at the end."""
    last: Node | None = None
    for b in bindings_of(body):
        path = b.child_by_field_name("attrpath")
        if path is not None and node_text(path, text).split(".")[0] == "home":
            last = b
    return last


def _entry_module(facts: Facts, home: HomeConfig) -> ModuleInfo:
    """The home's own file: the module its wiring or its `modules` list names first."""
    if home.kind is HomeKind.MODULE:
        modules = _standalone_modules_paths(facts, home)
    else:
        modules = []
    by_path = {info.path: info for info in home.modules if info.path is not None}
    for path in modules:
        info = by_path.get(Path(path)) or by_path.get(Path(path) / "default.nix")
        if info is not None:
            return info
    entry = facts.index.entries.get(home.user or "")
    if entry is not None:
        info = by_path.get(Path(entry))
        if info is not None:
            return info
    raise _CannotFixError("homeward cannot tell which file is the home's own")


def _standalone_modules_paths(facts: Facts, home: HomeConfig) -> list[str]:
    wiring = facts.wiring[home.host or ""][home.user or ""]
    found: list[str] = []
    for d in wiring:
        if d.path[3:] != ():
            continue
        ref = classify_import(d.source, d.value)
        if ref.kind is ImportKind.FILE and ref.target is not None:
            target = PurePosixPath(d.source.path.parent.as_posix()) / ref.target
            try:
                found.append(_normal(target))
            except _CannotFixError:
                continue
    return found


def describe(fix_plan: FixPlan, *, dry_run: bool) -> list[str]:
    """Lines for the report: what was fixed, what is held back, what could not be fixed."""
    verb = "would fix" if dry_run else "fixed"
    lines = [f"{verb} {f.code}: {f.what}" for f in fix_plan.applied]
    lines += [
        f"not fixed {f.code}: {f.what}: it changes what is built (pass --unsafe-fixes)"
        for f in fix_plan.held
    ]
    lines += [f"not fixed {u.code}: {u.what}: {u.why}" for u in fix_plan.unfixed]
    return lines
