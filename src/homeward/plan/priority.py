"""Priorities inside a user's home that what migrate moves there would meet.

The module system keeps, for each option, only the definitions of the highest priority
(`mkForce` 50 < plain 100 < `mkDefault` 1000 < `mkOptionDefault` 1500). A plain definition
migrate moves into an option of a user's home that some module of that home defines with a
priority is dropped (`home.packages = lib.mkForce [ … ];`), or drops it (`lib.mkDefault`). A
priority on a set is pushed down to the options the set defines (`home = lib.mkForce {
packages = …; }` ranks `home.packages`), and stops at an option: in `home.sessionVariables =
lib.mkForce { … }` it ranks the whole option, in `home.sessionVariables.EDITOR = lib.mkForce …`
that variable alone. `mkBefore`/`mkAfter`/`mkOrder` order and drop nothing.

What would meet one stays where it is (docs/architecture.md, rules 3 and 10: not proven the
same, so not moved), and the report says where the priority is. Pure; reads the index."""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import HomewardError
from homeward.knowledge.hmdata import split_option
from homeward.syntax.find import priority_written
from homeward.syntax.nodes import call_parts, node_text

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.errors import Location
    from homeward.knowledge.hmdata import HomeOptions
    from homeward.model.index import Index
    from homeward.plan.state import PlanState
    from homeward.plan.types import Moved
    from homeward.syntax.find import Definition

# `home-manager.users.<u>`: the names before a home's own option in a NixOS module.
_HM_USER = 3


@dataclass(frozen=True, slots=True)
class HomePriority:
    """One definition of a user's home with a priority: the home-manager path it ranks (an
    option, or every option below it), the function, and where it is written."""

    scope: tuple[str, ...]
    wrapper: str  # `mkForce`, `mkDefault`, `mkOverride 900`, `mkOptionDefault`
    at: Location

    def meets(self, target: tuple[str, ...]) -> bool:
        """A definition of `target` (a home-manager path) is ranked against this one."""
        scope, target = canonical(self.scope), canonical(target)
        n = min(len(target), len(scope))
        return target[:n] == scope[:n]

    def why(self, target: tuple[str, ...], user: str) -> str:
        """Why a definition of `target` stays where it is, for the report."""
        moved = f"a plain `{'.'.join(target)}` moved there"
        if target == HOME_PACKAGES:
            moved = "a package moved there (or the package of a program it enables)"
        if self.wrapper == "mkForce":
            outcome = f"{moved} would be dropped"
        elif self.wrapper.startswith("mkOverride"):
            outcome = f"{moved} would be dropped or would drop it"
        else:
            outcome = f"{moved} would drop it"
        return (
            f"`{user}`'s home sets `{'.'.join(self.scope)}` with `lib.{self.wrapper}` "
            f"({self.at}) and the module system keeps only the definitions of the highest "
            f"priority: {outcome}"
        )


OWN_HINT = "move it by hand, or drop the priority, then run migrate again"


# Names home-manager reads as another's (renamed options, which pass priorities through):
# the older name, the one it feeds.
_ALIASES = (
    (("programs", "git", "extraConfig"), ("programs", "git", "settings")),
    (("programs", "git", "userName"), ("programs", "git", "settings", "user", "name")),
    (("programs", "git", "userEmail"), ("programs", "git", "settings", "user", "email")),
    (("programs", "git", "aliases"), ("programs", "git", "settings", "alias")),
    (("programs", "zsh", "initExtra"), ("programs", "zsh", "initContent")),
)


def canonical(path: tuple[str, ...]) -> tuple[str, ...]:
    """`path` under the name home-manager's renamed options feed (`programs.git.extraConfig`
    is `programs.git.settings`)."""
    for old, new in _ALIASES:
        if path[: len(old)] == old:
            return (*new, *path[len(old) :])
    return path


HINT = (
    "to move it, set the priority on what it is meant to win over (or drop it) in the "
    "home, then run migrate again"
)


def home_priorities(index: Index, user: str, hosts: tuple[str, ...]) -> tuple[HomePriority, ...]:
    """The definitions with a priority in `user`'s home, through both wirings:
    `home-manager.users.<user>.…` in the NixOS modules of `hosts`, and every home-manager
    module configuring the user (their standalone configurations' too, which the NixOS
    wiring migrate adds reads; not those of machines that are no host here). A priority on
    the home as a whole is not here: the wiring refuses it
    (`plan/hostwire.refuse_priority_homes`)."""
    found: list[HomePriority] = []
    for host in hosts:
        facts = index.hosts.get(host)
        for d in facts.hm_users.get(user, ()) if facts is not None else ():
            p = _priority(d, _HM_USER)
            if p is not None:
                found.append(p)
        for d in index.host_definitions(host, "home-manager"):
            if d.path[:2] == ("home-manager", "sharedModules"):
                found.extend(_shared_priorities(index, d))
    homes = (*index.user_homes(user), *index.standalone_here(user))
    for info in {m.key: m for m in homes}.values():
        for d in info.module.definitions:
            p = _priority(d, 0)
            if p is not None:
                found.append(p)
    return tuple(found)


HOME_PACKAGES = ("home", "packages")


def installing(targets: list[tuple[str, ...]], shell: bool = False) -> list[tuple[str, ...]]:
    """`targets`, and `home.packages` where one enables a program, or where they need the
    shell home-manager manages (`shell`, which migrate enables): home-manager's
    `programs.<p>.enable` installs its package through `home.packages` (a plain definition,
    which a priority there ranks as any other)."""
    if shell or any(len(t) == 3 and t[0] == "programs" and t[2] == "enable" for t in targets):
        return [*targets, HOME_PACKAGES]
    return targets


def ranks_packages(st: PlanState, user: str) -> HomePriority | None:
    """The priority on `home.packages` in `user`'s home, if any: migrate then adds nothing
    there of its own (the home-manager command), which would be dropped or drop it."""
    met = first_met(st.priorities(user), [HOME_PACKAGES])
    return met[0] if met is not None else None


def refuse_met(st: PlanState, user: str, ledger: Sequence[Moved]) -> None:
    """Refuses (raises, exit 3) where a definition the plan moves into `user`'s home meets a
    priority there: what the place phase did not keep where it is (a login shell's
    settings, files in $HOME)."""
    priorities = st.priorities(user)
    if not priorities:
        return
    for line in ledger:
        if not line.to_home:
            continue
        met = first_met(priorities, installing([split_option(line.as_)]))
        if met is None:
            continue
        raise HomewardError(
            f"`{line.what}` would move into `{user}`'s home: {met[0].why(met[1], user)}; "
            "nothing was changed",
            at=line.origin,
            hint=HINT,
        )


def own_priority(d: Definition) -> str | None:
    """The priority `d` itself is written with (`lib.mkDefault [ … ]`, `lib.mkForce { … }`
    around it or a part of it), or None. Moved into a home, it would rank `d` against what the
    home defines there, which it was not ranked against before."""
    found = priority_written(d)
    return found[1] if found is not None else None


def written_priority(d: Definition) -> HomePriority | None:
    """The priority `d` (a NixOS definition) is written with, and the path it ranks, in
    NixOS names."""
    return _priority(d, 0)


def own_why(wrapper: str, target: tuple[str, ...], user: str, beside: str) -> str:
    """Why a definition written with a priority stays where it is."""
    return (
        f"it is written with `lib.{wrapper}`, and in `{user}`'s home the module system would "
        f"rank it against {beside} `{'.'.join(target)}` there: it would be dropped, or drop them"
    )


def home_paths(index: Index, user: str, hosts: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """What `user`'s home defines (home-manager paths), through both wirings."""
    found: list[tuple[str, ...]] = []
    for host in hosts:
        facts = index.hosts.get(host)
        for d in facts.hm_users.get(user, ()) if facts is not None else ():
            if len(d.path) > _HM_USER:
                found.append(d.path[_HM_USER:])
    homes = (*index.user_homes(user), *index.standalone_here(user))
    for info in {m.key: m for m in homes}.values():
        found.extend(d.path for d in info.module.definitions)
    return tuple(found)


def _shared_priorities(index: Index, d: Definition) -> list[HomePriority]:
    """The priorities of the modules `home-manager.sharedModules` lists in `d` (every user's
    home on the host reads them; the model does not follow them): written in the list, or
    files of the repository, and what those import."""
    from homeward.syntax.find import ImportKind, import_refs, read_module

    found: list[HomePriority] = []
    files = index.repo.ev.files  # the loader's view of the disk, not the disk
    root = Path(files.real(os.fspath(index.repo.root))[0])
    todo = [(d.source, ref) for ref in import_refs(d.source, d.value, d.conditions)]
    seen: set[Path] = set()
    while todo:
        source, ref = todo.pop()
        if ref.kind is ImportKind.INLINE:
            module = read_module(source, ref.node)
        elif ref.kind is ImportKind.FILE and ref.target is not None:
            path = files.import_target(root / source.path.parent / ref.target)
            _, mode = files.real(str(path))
            # In git, a file nix does not see is not read (rule 12), as the model does not.
            regular = mode is not None and stat.S_ISREG(mode) and files.hidden_at(str(path)) is None
            if path in seen or not path.is_relative_to(root) or not regular:
                continue
            seen.add(path)
            try:
                module = read_module(files.source(path))
            except HomewardError:
                continue  # not text, or not Nix: the model does not read it either
            todo.extend((module.source, r) for r in module.imports())
        else:
            continue
        found.extend(p for m in module.definitions if (p := _priority(m, 0)) is not None)
    return found


def first_met(
    priorities: tuple[HomePriority, ...], targets: list[tuple[str, ...]]
) -> tuple[HomePriority, tuple[str, ...]] | None:
    """The first priority a definition of one of `targets` would meet, and that target."""
    for target in targets:
        for p in priorities:
            if p.meets(target):
                return p, target
    return None


def _priority(d: Definition, below: int) -> HomePriority | None:
    """The priority `d` is written with, ranking a path below its first `below` names (the
    home's own path), or None: none, or one on the whole home."""
    found = priority_written(d)
    return _ranked(d, below, *found) if found is not None else None


def _ranked(d: Definition, below: int, depth: int, wrapper: str, node: Node) -> HomePriority | None:
    if depth <= below:
        return None
    path = d.path[below:]
    written = depth - below
    options = _options()
    option = options.option_depth(path) if options is not None else None
    scope = path[: max(written, option or 0)]
    if wrapper == "mkOverride":
        _, args = call_parts(node)
        if args:
            wrapper = f"mkOverride {node_text(args[0], d.source.text)}"
    return HomePriority(scope, wrapper, d.source.location(node.start_byte))


@cache
def _options() -> HomeOptions | None:
    """home-manager's option tree, read once and only where a home has a priority."""
    from homeward.knowledge.hmdata import load_home_options

    return load_home_options()
