"""Option groups of a user file that move to home-manager: whether they can, the login
shells split between the layers, and dotfiles NixOS links into the home (issue 13).

A group is placed like a package list (`plan/place.Placement`: its module, the user's home,
the hosts that read it); what it writes into the user's home files goes to the phase's own
`Pending` writes (`plan/writes.py`), returned frozen in the user file's cut and taken by the
composer in order. Nothing here changes the plan."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Severity
from homeward.knowledge.mapping import Feature, Row, home_path, renames_for, unsupported
from homeward.model.index import release_text
from homeward.model.repo import ModuleInfo, User
from homeward.plan.chunks import CannotMove, Chunk, Needs, binding_chunk, covering_step
from homeward.plan.cut import within
from homeward.plan.dotfiles import copy_rule, link_code
from homeward.plan.journal import Journal
from homeward.plan.place import Placement
from homeward.plan.priority import (
    HINT,
    OWN_HINT,
    HomePriority,
    first_met,
    installing,
    own_why,
    written_priority,
)
from homeward.plan.split import (
    completion_line,
    moved_bindings,
    odd_oh_my_zsh,
    prompt_kept,
    split_group,
)
from homeward.plan.state import PlanState, UserPlan
from homeward.plan.types import Moved
from homeward.plan.writes import TMPFILES, Pending
from homeward.syntax import emit as nix
from homeward.syntax.edit import leading_comments, removal
from homeward.syntax.emit import quote_string
from homeward.syntax.find import Definition
from homeward.syntax.nodes import node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class Group:
    """One option group of a user's file on its way to home-manager (`programs.git`, a login
    shell's settings): what the place phase decides about, whether it can move and where."""

    path: tuple[str, ...]  # the group, as the mapping table names it
    defs: tuple[Definition, ...]
    row: Row
    others: tuple[str, ...]  # other users of its hosts, who would lose a NixOS option
    # Its first definition as found, the user's file, their home and the hosts that read it.
    placement: Placement

    @property
    def user(self) -> str:
        return self.placement.home.user

    @property
    def info(self) -> ModuleInfo:
        return self.placement.module

    @property
    def reach(self) -> tuple[str, ...]:
        return self.placement.reach

    def destination(self) -> PurePosixPath:
        """The home file the group goes to (`plan/place.Home.path`)."""
        return self.placement.destination(self.row.feature)


def moves_dotfiles(
    st: PlanState, user: User, placement: Placement, journal: Journal, writes: Pending
) -> bool:
    """Files NixOS puts into the user's home from this user file, moved to home-manager
    (issue 13): tmpfiles rules that link (`L`) or copy (`C`) repository files there, and
    activation scripts that only `ln -s` or `cp` them there. Anything else stays a NixOS
    option, and the note says why."""
    from homeward.plan.dotfiles import script_links, tmpfiles_links

    d, info = placement.definition, placement.module
    here = PurePosixPath(info.source.path).parent
    text = info.source.text
    home = home_dir(user)
    if d.path == ("systemd", "tmpfiles", "rules"):
        what = "`systemd.tmpfiles.rules`"
        links = tmpfiles_links(d.value, text, home, here)
    elif d.path[:2] == ("system", "activationScripts") and d.path[3:] in ((), ("text",)):
        what = f"`system.activationScripts.{d.path[2]}`"
        siblings = [o for o in info.module.definitions if o.path[:3] == d.path[:3] and o is not d]
        links = (
            "it has more than its text (`deps`)"
            if siblings
            else script_links(d.value, text, home, here)
        )
    else:
        return False
    if not isinstance(links, str) and d.conditions:
        links = "it is conditional"
    if isinstance(links, str):
        journal.note(f"{what} {st.stays(info)}: {links}", Severity.NOTE, d.binding, info.source)
        return False
    dest = placement.destination(Feature.DOTFILES)
    writes.into(dest, placement.reach)
    # The comments above the definition go with its first entry.
    above = "".join(node_text(c, text) + "\n" for c in leading_comments(d.binding, text))
    for i, link in enumerate(links):
        comment = "" if i else above
        if link.copy:
            # A copy into $HOME: a rule of home-manager's systemd.user.tmpfiles.rules.
            writes.copy(dest, comment + copy_rule(link, dest.parent), d)
            journal.ledger.append(
                Moved(d.dotted, d.location, Path(dest), ".".join(TMPFILES), f"~/{link.target}")
            )
            continue
        option, name = link.option
        chunk = Chunk(
            (*option.split("."), name, "source"),
            comment + link_code(link, dest.parent),
            Needs(),
            [d],
            d.binding,
        )
        writes.put(dest, chunk)
        journal.ledger.append(
            Moved(
                d.dotted,
                d.location,
                Path(dest),
                f"{option}.{quote_string(name)}.source",
                f"~/{link.target}",
            )
        )
    return True


def home_group_movable(st: PlanState, g: Group, journal: Journal) -> bool:
    """Whether an option group of a user file can become the user's home-manager option;
    if not, why, as a warning (it then stays a NixOS option)."""
    name, info, defs, row, others, reach = g.user, g.info, g.defs, g.row, g.others, g.reach
    bad = unsupported(row, [d.path for d in defs])
    n = len(row.nixos)
    odd = [
        d
        for d in defs
        if (row.scalar_values or (len(d.path) > n + 1 and d.path[n] in row.scalar_below))
        and not _scalar(d)
    ]
    # `shellAliases = someSet;` (not written alias by alias) cannot be checked: it stays.
    odd += [d for d in defs if len(d.path) == n + 1 and d.path[n] in row.scalar_below]
    missing = next(((d, m) for d in defs if (m := row.missing_in(d.path, st.release))), None)
    lists = [d for d in defs if row.attrs_values and unparen(d.value).type == "list_expression"]
    why = ""
    at = defs[0]
    met = None
    own = False
    if others:
        why = (
            f"it applies to every user of {_few(reach)}, also "
            f"{', '.join(f'`{o}`' for o in others)}, who would lose it"
        )
    elif odd:
        why, at = (
            f"`{odd[0].dotted}` is not a string or number, which `{'.'.join(row.home)}` requires",
            odd[0],
        )
    elif missing is not None:
        release = release_text(st.release)
        why = f"home-manager {release} has no `{'.'.join(row.nixos)}.{missing[1]}` yet"
        at = missing[0]
    elif lists:
        why, at = (
            f"`{lists[0].dotted}` is a list, where home-manager takes an attribute set",
            lists[0],
        )
    elif bad:
        why = f"`{'.'.join(bad[0])}` has no exact home-manager counterpart"
    elif row.nixos[:2] in (("programs", "neovim"), ("programs", "vim")) and sets_editor(info):
        why = (
            "the file also sets EDITOR, which NixOS lets win over `defaultEditor`; "
            "in home-manager the two would conflict"
        )
    elif met := first_met(
        st.priorities(name),
        installing([home_path(row, d.path, st.release) for d in defs], row.needs_shell),
    ):
        # A priority in the user's home on what the group becomes (plan/priority.py).
        why = met[0].why(met[1], name)
    elif mine := _own_met(st, name, row, defs):
        # A priority of its own, on what the user's home defines too (plan/priority.py).
        why, at = mine
        own = True
    if not why:
        return True
    hint = (
        f"move it to `{name}`'s home configuration by hand if only `{name}` needs it"
        if others
        else HINT
        if met
        else OWN_HINT
        if own
        else ""
    )
    journal.note(
        f"`{'.'.join(g.path)}` {st.stays(info)}: {why}",
        Severity.WARNING,
        at.binding,
        info.source,
        hint=hint,
    )
    return False


def _few(hosts: Sequence[str], shown: int = 3) -> str:
    """`a, b, c` for a few hosts; `a, b, c and 97 more hosts` for many (a line at 200 hosts
    named each of a user's 100)."""
    if len(hosts) <= shown + 1:
        return ", ".join(hosts)
    return f"{', '.join(hosts[:shown])} and {len(hosts) - shown} more hosts"


def move_split_group(
    st: PlanState, up: UserPlan, g: Group, journal: Journal, writes: Pending
) -> tuple[list[Definition], list[Chunk]]:
    """A group split between the layers (`plan/split.py`): the moving part to the user's
    home-manager configuration; returns what stays a NixOS option (all of it when nothing
    could move) and the system code the split needs. `up` is read (the shells its earlier
    files enabled), not changed."""
    info, row, reach = g.info, g.row, g.reach
    split = split_group(row, list(g.defs))
    if split is None or not home_group_movable(st, replace(g, defs=tuple(split.moved)), journal):
        return list(g.defs), []
    odd = odd_oh_my_zsh(row, split)
    if odd is not None:
        journal.note(
            f"`{'.'.join(g.path)}` {st.stays(info)}: `{odd.dotted}` is not a plain "
            "`true`, and NixOS's prompt depends on it",
            Severity.WARNING,
            odd.binding,
            info.source,
        )
        return list(g.defs), []
    dest = g.destination()
    writes.into(dest, reach)
    if not move_home_group(
        st, replace(g, defs=tuple(split.home)), dest, journal, writes, left_out=list(split.left_out)
    ):
        return list(g.defs), []
    removed = [*st.removed.get(info.key, ()), *journal.removed]
    for node in moved_bindings(row, split):
        if all((n.start_byte, n.end_byte) != (node.start_byte, node.end_byte) for n in removed):
            removed.append(node)
            journal.removed.append(node)
    shell = row.home[-1]
    if len(split.home) > len(split.moved):  # `enable` went along
        writes.shells.add(shell)
    elif shell not in up.enabled_shells and shell not in writes.shells:
        writes.shells.add(shell)
        why = nix.Comment(
            f"the {shell} settings moved here apply in a {shell} home-manager manages."
        )
        writes.line(dest, nix.emit_bindings([why, (("programs", shell, "enable"), True)]))
    completion = completion_line(row)
    if completion is not None and not has_line(st, writes, dest, completion):
        writes.line(dest, completion)
    prompt = prompt_kept(row, split)
    if prompt is None:
        return list(split.stay), []
    journal.note(
        '`programs.zsh.promptInit = lib.mkDefault "";` is written on the NixOS side: '
        "NixOS's oh-my-zsh turned NixOS's prompt off, and oh-my-zsh now runs from ~/.zshrc",
        Severity.NOTE,
        prompt.removal_node,
        info.source,
    )
    return list(split.stay), [prompt]


def has_line(st: PlanState, writes: Pending, path: PurePosixPath, code: str) -> bool:
    """`code` is among the generated bindings of `path`: taken already, or pending."""
    taken = st.new_files.get(path)
    return (taken is not None and code in taken.extra) or code in writes.lines(path)


def sets_editor(info: ModuleInfo) -> bool:
    return any(
        d.path[:2] in (("environment", "variables"), ("environment", "sessionVariables"))
        and d.path[2:3] == ("EDITOR",)
        for d in info.module.definitions
    )


def move_home_group(
    st: PlanState,
    g: Group,
    dest: PurePosixPath,
    journal: Journal,
    writes: Pending,
    *,
    left_out: list[Node] | None = None,
) -> bool:
    """The group's bindings, renamed for home-manager, into the home file `dest` (into
    `writes`, with their ledger lines into `journal`); False, with a warning, where one
    cannot move. `left_out`: bindings inside the moved ones that stay behind (a split
    group)."""
    info, defs, row, reach = g.info, g.defs, g.row, g.reach
    by_binding: dict[int, list[Definition]] = defaultdict(list)
    for d in defs:
        try:
            by_binding[d.steps[covering_step(d, len(row.nixos))].node.start_byte].append(d)
        except CannotMove:
            return False
    chunks: list[Chunk] = []
    for group_defs in by_binding.values():
        renderer = st.renderer(info, home=True)
        renderer.rebase = (PurePosixPath(info.source.path).parent, dest.parent)
        outer = group_defs[0].steps[covering_step(group_defs[0], len(row.nixos))].node
        exclude = [
            removal(n, info.source.text)
            for n in left_out or ()
            if within(n, outer) and (n.start_byte, n.end_byte) != (outer.start_byte, outer.end_byte)
        ]
        try:
            chunk = binding_chunk(
                group_defs,
                len(row.nixos),
                row.home,
                renames_for(row, st.release),
                renderer,
                exclude=exclude,
            )
        except CannotMove as why:
            journal.note(
                f"`{'.'.join(row.nixos)}` {st.stays(info)}: {why.why}",
                Severity.WARNING,
                why.node or group_defs[0].binding,
                info.source,
            )
            return False
        chunks.append(chunk)
        if "osConfig" in renderer.needs.args:
            writes.osconfig.update(reach)
    renames = renames_for(row, st.release)
    for chunk in chunks:
        writes.put(dest, chunk)
        first = chunk.origin[0]
        # One ledger line per moved binding: `programs.git` as written, with its renames.
        depth = len(chunk.home_path) - len(row.home) + len(row.nixos)
        what = ".".join(first.path[:depth])
        used = sorted(
            {d.path[len(row.nixos)] for d in chunk.origin if len(d.path) > len(row.nixos)}
            & set(renames)
        )
        note = ", ".join(f"{a} → {renames[a]}" for a in used)
        journal.ledger.append(
            Moved(
                what,
                first.location_of(depth),
                Path(dest),
                ".".join(chunk.home_path),
                note,
            )
        )
    if row.needs_shell:
        writes.needs_shell = True
    return True


def _own_met(
    st: PlanState, user: str, row: Row, defs: Sequence[Definition]
) -> tuple[str, Definition] | None:
    """Why a group stays: a definition of it written with a priority, moved to a path the
    user's home defines too (ranked there against what it was not ranked against); and it."""
    for d in defs:
        ranked = written_priority(d)
        if ranked is None:
            continue
        # What it ranks, named as in home-manager (the whole group where it is above it).
        scope = home_path(row, ranked.scope, st.release)
        mine = HomePriority(scope, ranked.wrapper, ranked.at)
        if any(mine.meets(path) for path in st.home_paths(user)):
            return own_why(ranked.wrapper, scope, user, "the definitions of"), d
    return None


def _scalar(d: Definition) -> bool:
    """A string or number value (what home.sessionVariables and home.shellAliases accept)."""
    return unparen(d.value).type in (
        "string_expression",
        "indented_string_expression",
        "integer_expression",
    )


def home_dir(user: User) -> str:
    """`users.users.<u>.home` when written as a string, else /home/<u> (NixOS's default)."""
    from homeward.syntax.nodes import string_value

    for d in user.definitions:
        if d.path[3:] == ("home",):
            value = string_value(d.value, d.source.text)
            if value:
                return value
    return f"/home/{user.name}"
