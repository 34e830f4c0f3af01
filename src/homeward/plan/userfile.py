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
from homeward.plan.journal import FileFate, Journal, UserFileCut, kept_file
from homeward.plan.place import Placement
from homeward.plan.sources import header_comment
from homeward.plan.split import split_row
from homeward.plan.state import PlanState, UserPlan
from homeward.plan.types import Moved
from homeward.plan.writes import Pending, take_writes
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
) -> UserFileCut:
    """What becomes of a user's own file, as data (`take_user_file` folds it into the plan);
    `kept`: the package lists the package phase left where they are (by `id`). Reads the
    plan state and `up`, changes neither."""
    name = up.user.name
    reach = st.reach(up, info)
    home = st.home_of(up)
    journal = Journal()
    writes = Pending()  # what goes into the user's home files, in order
    if not reach:
        return kept_file(info, journal)
    module = info.module
    if not module.definitions and not module.declarations and not _empty_module(info.source):
        journal.note(
            f"`{info.path}` is left as it is: it is not an attribute set homeward can follow",
            Severity.WARNING,
            info.source.root,
            info.source,
            "write it as `{ ... }: { ... }`, or move its contents by hand",
        )
        return kept_file(info, journal)
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
    if unsplittable(st, info, staying, sys_path, journal):
        return kept_file(info, journal)
    for d in candidates:
        if moves_dotfiles(st, up.user, Placement(d, info, home, reach), journal, writes):
            continue
        verdict = classify(d.path, name)
        verdicts[id(d)] = verdict
        groups[verdict.group or d.path].append(d)
    held = held_by_comments(info, groups, verdicts, journal)
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
            placed = Placement(defs[0], info, home, reach)
            g = Group(group, tuple(defs), split, tuple(others), placed)
            defs, extra = move_split_group(st, up, g, journal, writes)
            if not defs:
                system_code.extend(extra)
                continue
        elif verdict.fate is Fate.HOME and verdict.row is not None:
            placed = Placement(defs[0], info, home, reach)
            g = Group(group, tuple(defs), verdict.row, tuple(others), placed)
            if home_group_movable(st, g, journal):
                dest = g.destination()
                writes.into(dest, reach)
                if move_home_group(st, g, dest, journal, writes):
                    continue
        elif verdict.fate is Fate.KEEP:
            journal.note(
                f"`{defs[0].dotted}` {st.stays(info)}: {verdict.why}",
                Severity.NOTE,
                defs[0].binding,
                info.source,
            )
        # SYSTEM, KEEP, or a group that could not move: into a system module.
        try:
            system_code.extend(system_chunks(st, info, defs, group, sys_path, journal))
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
        system_code.extend(system_chunks(st, info, defs, group, sys_path, journal))
    if module.declarations:
        declarations = list(module.declarations)
        declared = system_chunks(st, info, declarations, ("options",), sys_path, journal)
        for chunk in declared:
            chunk.declaration = True
        system_code.extend(declared)
    here = PurePosixPath(info.source.path)
    if here == up.entry:
        # The user's file is where the entry point goes (`home/<u>/default.nix`): rewritten.
        fate = FileFate.REWRITTEN
    elif (
        here == PurePosixPath("home") / f"{name}.nix"
        and not st.moves_to(up.entry)
        and not st.repo.files.taken(up.entry)
    ):
        fate = FileFate.MOVED
    else:
        fate = FileFate.DELETED
    into = fate is not FileFate.DELETED
    # After its home writes: the system module, then the entry point it becomes.
    if system_code:
        writes.system(sys_path, reach, system_code)
    if into:
        writes.header(up.entry, up.hosts, header_comment(info.source))
    return UserFileCut(
        info.key,
        here,
        fate,
        sys_path,
        tuple(imports),
        up.entry if into else None,
        tuple(journal.diagnostics),
        tuple(journal.ledger),
        tuple(journal.removed),
        writes.done(),
        info.source.text if fate is FileFate.MOVED else None,
    )


def take_user_file(st: PlanState, up: UserPlan, cut: UserFileCut) -> bool:
    """Fold what the user-file phase made of one file into the plan (its writes, in order:
    the user's home files, its system module, the entry point it becomes); whether it
    moved."""
    st.diagnostics.extend(cut.diagnostics)
    st.ledger.extend(cut.ledger)
    if cut.removed:
        st.removed[cut.module].extend(cut.removed)
    if cut.fate is FileFate.KEPT:
        return False
    take_writes(st, up, cut.home)
    st.files.append(cut)
    return True


def held_by_comments(
    info: ModuleInfo,
    groups: dict[tuple[str, ...], list[Definition]],
    verdicts: dict[int, Verdict],
    journal: Journal,
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
        journal.note(
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
    journal: Journal,
) -> bool:
    """A definition of the user's file could not stay a NixOS option in a new system
    module (CannotMove): the file is left as it is, with a note, not the whole run
    (issue 10). Asked before anything of the file is planned, so nothing is half-moved."""
    trial = Journal()  # what a trial writes is dropped: nothing is decided yet
    try:
        for group, defs in groups.items():
            system_chunks(st, info, defs, group, sys_path, trial)
        if info.module.declarations:
            declarations = list(info.module.declarations)
            system_chunks(st, info, declarations, ("options",), sys_path, trial)
    except CannotMove as why:
        journal.note(
            f"`{info.source.path}` is left as it is: part of it must "
            f"{st.stays(info, 'stay')}, "
            f"and {why.why}",
            Severity.WARNING,
            why.node or info.source.root,
            info.source,
            "move that definition by hand (or out of this user's file), then run migrate again",
        )
        return True
    return False


def system_chunks(
    st: PlanState,
    info: ModuleInfo,
    defs: list[Definition],
    group: tuple[str, ...],
    dest: PurePosixPath,
    journal: Journal,
) -> list[Chunk]:
    """Definitions that stay NixOS options, as written, for the system module at `dest`;
    package lists moved out of them (`users.users.<u>.packages`, and what `journal` took out
    of the file so far) are cut from the text; their ledger lines go to `journal`."""
    by_binding: dict[int, tuple[list[Definition], int]] = {}
    for d in defs:
        depth = max(1, min(len(group), len(d.path)))
        k = covering_step(d, depth)
        node = d.steps[k].node
        entry = by_binding.setdefault(node.start_byte, ([], depth))
        entry[0].append(d)
    moved_out = [*st.removed.get(info.key, ()), *journal.removed]
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
            journal.ledger.append(
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
