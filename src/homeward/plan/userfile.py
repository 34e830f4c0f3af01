"""A user's own NixOS file: each definition to home-manager, to a new system module, or left
as it is, decided per option group (`knowledge/mapping.py`)."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Severity
from homeward.errors import HomewardError
from homeward.knowledge.mapping import Fate, Verdict, classify
from homeward.model.repo import ModuleInfo
from homeward.plan.chunks import CannotMove, Chunk, binding_chunk, covering_step
from homeward.plan.cut import within
from homeward.plan.groups import (
    Group,
    home_group_movable,
    move_home_group,
    move_split_group,
    moves_dotfiles,
)
from homeward.plan.sources import header_comment
from homeward.plan.split import split_row
from homeward.plan.state import PlanState, UserPlan
from homeward.plan.types import Delete, Move, Moved
from homeward.syntax.edit import removal
from homeward.syntax.find import Definition, StepKind, read_module
from homeward.syntax.nodes import bindings_of
from homeward.syntax.suppress import is_suppressed

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source


# -- a user's own file --------------------------------------------------------------------------
def move_user_file(
    st: PlanState, up: UserPlan, info: ModuleInfo, kept: frozenset[int] = frozenset()
) -> bool:
    name = up.user.name
    reach = st.reach(up, info)
    if not reach:
        return False
    module = info.module
    if not module.definitions and not module.declarations and not _empty_module(info.source):
        st.note(
            f"`{info.path}` is left as it is: it is not an attribute set homeward can follow",
            Severity.WARNING,
            info.source.root,
            info.source,
            "write it as `{ ... }: { ... }`, or move its contents by hand",
        )
        return False
    stem = PurePosixPath(info.source.path).stem
    stem = name if stem == "default" else stem
    sys_path = st.free_path(PurePosixPath("modules") / "system" / f"{stem}.nix")
    normal = set(st.user_hosts)
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
            and id(d) not in kept
        ):
            continue  # moved to its user's home.packages (move_packages)
        candidates.append(d)
    staying: dict[tuple[str, ...], list[Definition]] = defaultdict(list)
    for d in candidates:
        staying[classify(d.path, name).group or d.path].append(d)
    if unsplittable(st, info, staying, sys_path):
        return False
    for d in candidates:
        if moves_dotfiles(st, up, info, d, reach):
            continue
        verdict = classify(d.path, name)
        verdicts[id(d)] = verdict
        groups[verdict.group or d.path].append(d)
    held = held_by_comments(st, info, groups, verdicts)
    system_code: list[Chunk] = []
    # NixOS options in a user's file apply to every user of the host (/etc/gitconfig,
    # environment variables): they move to this user only if nobody else would lose them.
    others = sorted(
        u.name for u in st.normal if u.name != name and not st.user_hosts[u.name].isdisjoint(reach)
    )
    for group, defs in groups.items():
        verdict = verdicts[id(defs[0])]
        extra: list[Chunk] = []  # system code a split group needs
        split = split_row([verdicts[id(d)] for d in defs])
        if split is not None:
            # A login shell: its interactive settings move, the rest stays (issue 13).
            g = Group(name, info, group, tuple(defs), split, tuple(others), reach)
            defs, extra = move_split_group(st, up, g)
            if not defs:
                system_code.extend(extra)
                continue
        elif verdict.fate is Fate.HOME and verdict.row is not None:
            g = Group(name, info, group, tuple(defs), verdict.row, tuple(others), reach)
            if home_group_movable(st, g):
                dest = st.home_dest(up, reach, verdict.row.feature)
                if move_home_group(st, up, g, dest):
                    continue
        elif verdict.fate is Fate.KEEP:
            st.note(
                f"`{defs[0].dotted}` {st.stays(info)}: {verdict.why}",
                Severity.NOTE,
                defs[0].binding,
                info.source,
            )
        # SYSTEM, KEEP, or a group that could not move: into a system module.
        try:
            system_code.extend(system_chunks(st, info, defs, group, sys_path))
            system_code.extend(extra)
        except CannotMove as why:
            # Half of this file may already be planned away: refuse the whole run
            # (exit 3, nothing written) rather than split it inexactly.
            node = why.node or defs[0].binding
            raise HomewardError(
                f"cannot split `{info.source.path}`: `{defs[0].dotted}` must "
                f"{st.stays(info, 'stay')}, and {why.why}; nothing was changed",
                at=info.source.location(node.start_byte),
                hint="move that definition by hand (or out of this user's file), then "
                "run migrate again",
            ) from None
    for group, defs in held.items():
        system_code.extend(system_chunks(st, info, defs, group, sys_path))
    if module.declarations:
        declared = system_chunks(st, info, list(module.declarations), ("options",), sys_path)
        for chunk in declared:
            chunk.declaration = True
        system_code.extend(declared)
    if system_code:
        dest = st.dest(sys_path, home=False)
        dest.chunks.extend(system_code)
    st.user_files[info.key] = (sys_path, imports)
    st.emptied.add(info.key)
    here = PurePosixPath(info.source.path)
    if here == up.entry:
        # The user's file is where the entry point goes (`home/<u>/default.nix`): rewritten.
        st.rewrites.add(here)
        st.dest(up.entry, home=True).header = header_comment(info.source)
    elif (
        here == PurePosixPath("home") / f"{name}.nix"
        and not st.moves_to(up.entry)
        and not st.repo.files.taken(up.entry)
    ):
        st.moves.append(
            Move(
                Path(here),
                Path(up.entry),
                "the user's file becomes their home-manager entry point",
            )
        )
        st.dest(up.entry, home=True).header = header_comment(info.source)
    else:
        st.deletes.append(Delete(Path(here), "every definition moved"))
    return True


def held_by_comments(
    st: PlanState,
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
        st.note(
            f"`{what}` stays where it is: `# homeward: ignore[HW003]` keeps it",
            Severity.NOTE,
            kept[0].binding,
            info.source,
        )
    return held


def unsplittable(
    st: PlanState,
    info: ModuleInfo,
    groups: dict[tuple[str, ...], list[Definition]],
    sys_path: PurePosixPath,
) -> bool:
    """A definition of the user's file could not stay a NixOS option in a new system
    module (CannotMove): the file is left as it is, with a note, not the whole run
    (issue 10). Asked before anything of the file is planned, so nothing is half-moved."""
    ledger = len(st.ledger)
    try:
        for group, defs in groups.items():
            system_chunks(st, info, defs, group, sys_path)
        if info.module.declarations:
            system_chunks(st, info, list(info.module.declarations), ("options",), sys_path)
    except CannotMove as why:
        st.note(
            f"`{info.source.path}` is left as it is: part of it must "
            f"{st.stays(info, 'stay')}, "
            f"and {why.why}",
            Severity.WARNING,
            why.node or info.source.root,
            info.source,
            "move that definition by hand (or out of this user's file), then run migrate again",
        )
        return True
    finally:
        del st.ledger[ledger:]
    return False


def system_chunks(
    st: PlanState,
    info: ModuleInfo,
    defs: list[Definition],
    group: tuple[str, ...],
    dest: PurePosixPath,
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
    moved_out = st.removed.get(info.key, [])
    chunks = []
    for group_defs, depth in by_binding.values():
        renderer = st.renderer(info, home=False)
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
            st.ledger.append(
                Moved(d.dotted, d.location, Path(dest), d.dotted, st.stays(info), False)
            )
    return chunks


def _empty_set(node: Node) -> bool:
    """`{ }` (comments allowed): a module that defines nothing."""
    return node.type == "attrset_expression" and not any(
        c.is_named for c in node.children if c.type != "comment"
    )


def _empty_module(source: Source) -> bool:
    """`{ }`, `{ ... }: { }`: a module with nothing in it."""
    body = read_module(source).body
    return body is not None and next(iter(bindings_of(body)), None) is None
