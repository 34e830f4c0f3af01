"""The classify phase: which users get a plan, which files under `home/` are a user's own, and
whether a user needs any work at all.

Its notes are data: written into a `Journal` the composer takes (`take_notes`), or, for the
modules left as they are, returned by `frozen_notes`; nothing here appends to the plan."""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from dataclasses import replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.model.index import entry_arguments
from homeward.model.repo import Context, ModuleInfo, User
from homeward.model.values import Attrs, Unknown
from homeward.plan.journal import Journal, kept_file, located
from homeward.plan.state import Mode, PlanState, UserPlan
from homeward.plan.types import Moved
from homeward.plan.userfile import move_user_file, take_user_file
from homeward.plan.wiring import list_site, wired_hosts
from homeward.syntax.find import Definition

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source


# -- one user --------------------------------------------------------------------------------
def take_notes(st: PlanState, notes: Journal) -> None:
    """Fold the classify phase's notes into the plan, in order."""
    st.diagnostics.extend(notes.diagnostics)


def frozen_notes(st: PlanState) -> dict[str, tuple[Diagnostic, ...]]:
    """User -> the modules some consumer homeward does not rewire also reads (a nix-darwin
    host, an export, a skipped host, an import under an unknown condition), which stay
    byte-identical: each reported once, for the first user (in order) whose hosts or
    standalone homes read it (docs/architecture.md, rule 10). Modules left for the same
    reason are named in one warning (an exported module's tree can be 100 files)."""
    noted: set[str] = set()
    notes: dict[str, tuple[Diagnostic, ...]] = {}
    for user in st.normal:
        hosts = st.user_hosts[user.name]
        homes = frozenset(st.index.standalone.get(user.name, ()))
        by_reason: dict[str, list[str]] = {}
        for m in st.frozen:
            if m.key in noted or (hosts.isdisjoint(m.hosts) and homes.isdisjoint(m.hosts)):
                continue
            noted.add(m.key)
            by_reason.setdefault(min(m.frozen.items())[1], []).append(m.key)
        notes[user.name] = tuple(
            located(
                f"{_named(keys)} {'is' if len(keys) == 1 else 'are'} left as "
                f"{'it is' if len(keys) == 1 else 'they are'}: {who}",
                Severity.WARNING,
                hint="homeward edits a file only when every output that reads it is one it rewires",
            )
            for who, keys in by_reason.items()
        )
    return notes


def _named(keys: Sequence[str], shown: int = 3) -> str:
    """`a`, `b` and `c`; or 9 files under `dir/` (`a`, `b`, `c`, ...): a list of files, short."""
    if len(keys) <= shown + 1:
        return ", ".join(f"`{k}`" for k in keys[:-1]) + " and " * (len(keys) > 1) + f"`{keys[-1]}`"
    common = PurePosixPath(posixpath.commonpath([str(PurePosixPath(k).parent) for k in keys]))
    if not common.parts:
        return ", ".join(f"`{k}`" for k in keys[:shown]) + f" and {len(keys) - shown} more files"
    first = ", ".join(f"`{PurePosixPath(k).relative_to(common)}`" for k in keys[:shown])
    return f"{len(keys)} files under `{common}/` ({first}, ...)"


def user_plan(st: PlanState, user: User, notes: Journal) -> UserPlan:
    """What the plan knows of `user` before anything moves; its note (why a standalone
    configuration is not added) goes to `notes`."""
    name = user.name
    entry = st.existing_entry(name)
    up = UserPlan(user, user.hosts, entry or PurePosixPath("home") / name / "default.nix")
    up.new_entry = entry is None
    if entry is not None:
        entries = st.index.host_entries.get(name, {})
        up.entries = {h: e for h, e in entries.items() if h in user.hosts}
    # Hosts whose home-manager already uses the entry point; with a new entry point, none
    # (a configuration written inside flake.nix stays, and the entry is wired beside it).
    up.wired = wired_hosts(st.index, name)
    up.inline = st.inline_home_config(name)
    if entry is not None:
        up.entry_args = entry_arguments(st.index, name)
    if up.entry_args and st.standalone_wanted():
        args = ", ".join(f"`{a}`" for a in up.entry_args)
        notes.note(
            f"no `homeConfigurations` for `{name}`: their home-manager configuration is a "
            f"file that is a function of {args}, which the NixOS wiring passes "
            "(`import … { … }`) and a standalone configuration does not",
            Severity.WARNING,
            hint="add `homeConfigurations` by hand, calling the file with its arguments",
        )
    return up


def move_user_files(st: PlanState, up: UserPlan, kept: frozenset[int] = frozenset()) -> bool:
    """`kept`: the package lists the package phase left where they are (by `id`)."""
    moved = False
    hosts = st.user_hosts[up.user.name]
    for info in st.index.under_home:  # user files are under home/ (`is_user_file`)
        if info.frozen or hosts.isdisjoint(info.hosts):
            continue
        if is_user_file(st, info, up.user.name):
            if import_suppressed(st, info):
                # Why (issue 14): `# homeward: ignore[HW001]` on its import keeps the file
                # a NixOS module; what other rules ask (its packages) still moves.
                why = Journal()
                why.note(
                    f"`{info.path}` {st.stays(info, what='module')}: "
                    "`# homeward: ignore[HW001]` keeps it",
                    Severity.NOTE,
                )
                take_user_file(st, up, kept_file(info, why))
                continue
            moved |= take_user_file(st, up, move_user_file(st, up, info, kept))
    return moved


def import_suppressed(st: PlanState, info: ModuleInfo) -> bool:
    """Some import of the file is marked `# homeward: ignore[HW001]` (where check reports
    a user file imported as a NixOS module)."""
    return info.path is not None and st.import_suppressed(info.path)


def unread_home_hosts(st: PlanState, hosts: Sequence[str]) -> frozenset[str]:
    """The hosts of `hosts` where a home-manager configuration may be that homeward could
    not read (`unread_homes`)."""
    unread = unread_homes(st, hosts)
    return frozenset() if unread is None else unread[3]


def unread_homes(
    st: PlanState, hosts: Sequence[str]
) -> tuple[str, Node | None, Source | None, frozenset[str]] | None:
    """Where a home-manager configuration of a user of `hosts` may be that homeward could
    not read, said with why and where: the flake's `homeConfigurations` not known (a
    `mapAttrs` over a set homeward cannot compute), or `home-manager.users = <a set>;` in a
    NixOS module of those hosts (Hamled/config's `home-manager.users = usersHome;`, a
    `mapAttrs` passed in `specialArgs`), and on which of `hosts`. None: neither."""
    outputs = st.repo.outputs
    if isinstance(outputs, Attrs) and "homeConfigurations" in outputs.attrs:
        homes = st.repo.ev.force(outputs.attrs["homeConfigurations"])
        unknown = homes if isinstance(homes, Unknown) else None
        if isinstance(homes, Attrs):
            unknown = homes.more
        if unknown is not None:
            said = f"`homeConfigurations` is not known ({unknown.reason})"
            return said, unknown.node, unknown.source, frozenset(hosts)
    wanted = set(hosts)
    found: Definition | None = None
    readers: set[str] = set()
    for info in st.repo.modules.values():
        if info.context is not Context.NIXOS or wanted.isdisjoint(info.hosts):
            continue
        for d in info.module.definitions:
            if d.path == ("home-manager", "users"):
                found = found or d
                readers |= info.hosts & wanted
    if found is None:
        return None
    on = ", ".join(f"`{h}`" for h in sorted(readers))
    said = (
        f"`home-manager.users` is set whole on {on} "
        "(homeward reads it written out per user, `home-manager.users.<name> = …`)"
    )
    return said, found.binding, found.source, frozenset(readers)


def needs_work(
    st: PlanState,
    up: UserPlan,
    moved: bool,
    notes: Journal,
    left: bool = False,
    unread_users: list[str] | None = None,
) -> bool:
    """Whether `up` gets a home at all; where not, `notes` says why (`left`: packages of
    theirs stay where they are, each said in a warning; `unread_users`: the user's name is appended
    where their home-manager configuration could not be read)."""
    if not moved and not has_home(st, up):
        # Why (issue 11): an account with nothing to move and no home-manager configuration
        # (a media or kiosk user) got an empty home wired into its hosts: the layout is the
        # separation of what exists, and an empty home separates nothing.
        name = up.user.name
        if left:
            notes.note(
                f"nothing moves for `{name}`: their packages stay where they are (the "
                "warnings above say why): no home is written for them"
            )
            return False
        if name in st.index.standalone:  # `homes_elsewhere`
            homes = ", ".join(f'`homeConfigurations."{h}"`' for h in st.index.standalone[name])
            notes.note(
                f"nothing to move for `{name}` (no user packages, no user files), and their "
                f"home-manager configuration ({homes}) is of no host migrate rewires: no home "
                "is written for them"
            )
            return False
        unread = unread_homes(st, up.hosts)
        if unread is not None:
            # Not "no home-manager configuration": one may be in what homeward cannot read.
            why, node, source, _ = unread
            notes.note(
                f"nothing to move for `{name}` (no user packages, no user files), "
                f"and their home-manager configuration could not be read: {why}: "
                "no home is written for them",
                node=node,
                source=source,
            )
            if unread_users is not None:
                unread_users.append(name)
            return False
        notes.note(
            f"nothing to move for `{name}` (no user packages, no user files, no "
            "home-manager configuration): no home is written for them"
        )
        return False
    standalone_missing = st.standalone_wanted() and not up.inline and not up.entry_args
    # With nothing to move, a home written inline in a host's NixOS module is that host's
    # wiring: no second, empty one beside it.
    wired = up.wired if moved else up.wired | st.index.hm_user_hosts(up.user.name)
    module_missing = st.opts.mode is not Mode.STANDALONE and not set(up.hosts) <= wired
    return moved or standalone_missing or module_missing


def trim_homeless_hosts(
    st: PlanState, up: UserPlan, lines: Sequence[Moved], notes: Journal
) -> None:
    """Leave out of `up.hosts` each host where the user has an account but no home, nothing
    of theirs moves, and the home they would get there is an existing one of other hosts
    (`home-manager.users.kim = import ./home.nix;` on the desk, kim's account alone on a VM):
    wired there, it would give them what they never had on that host (rule 1: the packages
    and settings a user gets on a host stay the same). Where something of theirs moves from
    such a host, their home there starts from that host's own file instead (`up.fresh`).
    `lines`: what moves for them.

    With a new entry (the user had no home file to start from), a host where they had no
    home and nothing of theirs moves is left too: wired there, the new home would hold
    nothing but its identity and `home.stateVersion`, and the host would get home-manager's
    activation, a generation and its files for nothing (rule 1: it stays as it is)."""
    name = up.user.name
    if name in st.repo.homes:
        return  # `homeConfigurations.<user>`: a home that names no host
    had = st.index.hm_user_hosts(name) | {
        home.partition("@")[2] for home in st.repo.homes if home.partition("@")[0] == name
    }
    moved_to: set[str] = set()
    for line in lines:
        info = st.repo.modules.get(line.origin.path.as_posix())
        if info is None:
            return  # where it came from is not known: every host may get it
        moved_to |= info.hosts
    # A new entry holds only what moves, per host where it is for some only: no home of
    # other hosts to keep a host from.
    fresh = [] if up.new_entry else sorted(h for h in up.hosts if h not in had and h in moved_to)
    if fresh:
        # Why: wired with the entry of their other hosts, the user got there every package
        # and setting of those (rule 1); the host's own file holds what moves from it.
        up.fresh = set(fresh)
        names = ", ".join(f"`{h}`" for h in fresh)
        notes.note(
            f"`{name}` has no home on {names}: their home there is a file of that host's own "
            f"(`home/{name}/<host>.nix`), which holds what moves from it, not their home of "
            "other hosts"
        )
    homeless = [h for h in up.hosts if h not in had and h not in moved_to]
    if homeless and up.new_entry:
        # A host whose home-manager configuration homeward could not read may hold a home
        # of theirs: not said to have none (`needs_work` says what was not read).
        unread = unread_home_hosts(st, up.hosts)
        # A host built by a helper another host is built by keeps its wiring: the helper's
        # one module list wires the same users on each (plan/hostwire.py refuses otherwise).
        shared = shared_lists(st)
        homeless = [h for h in homeless if h not in unread and h not in shared]
        if len(homeless) == len(up.hosts):
            return  # no home anywhere: `needs_work` says nothing moves for them
    if not homeless:
        return
    up.hosts = tuple(h for h in up.hosts if h not in homeless)
    up.user = replace(up.user, hosts=up.hosts)
    st.user_hosts[name] = frozenset(up.hosts)
    names = ", ".join(f"`{h}`" for h in homeless)
    why = (
        "a new home there would hold nothing of theirs, and wiring it would change the host "
        "for nothing"
        if up.new_entry
        else "their home of other hosts would give them what they never had there"
    )
    notes.note(
        f"`{name}` has no home on {names} and nothing of theirs moves there: home-manager "
        f"is not wired for them there ({why})"
    )


def shared_lists(st: PlanState) -> frozenset[str]:
    """The hosts whose module list another configuration is built from too (a helper's)."""
    count: dict[tuple[str, int, int], list[str]] = {}
    for config in (*st.repo.hosts.values(), *st.repo.others.values()):
        site = list_site(config)
        if site is not None:
            count.setdefault(site.key, []).append(config.name)
    return frozenset(h for names in count.values() if len(names) > 1 for h in names)


def has_home(st: PlanState, up: UserPlan) -> bool:
    """The user has a home-manager configuration already: wired through a host's module,
    written inline in one, or a `homeConfigurations` entry of theirs."""
    name = up.user.name
    return (
        not up.new_entry
        or bool(up.inline)
        or bool(st.index.hm_user_hosts(name))
        or (name in st.index.standalone and not homes_elsewhere(st, name))
    )


def homes_elsewhere(st: PlanState, name: str) -> bool:
    """Every standalone configuration of the user is of a machine none of their hosts is
    (`"kim@box"`, box no host here, or skipped: plan/wiring.py): the hosts' homes do not
    start from its file (`Index.existing_entry`), so it is no home of theirs to wire there.
    Why: with nothing to move, their hosts got an empty new home (the home-manager command)
    they never had."""
    return st.index.entries.get(name) is not None and st.existing_entry(name) is None


def is_user_file(st: PlanState, info: ModuleInfo, user: str) -> bool:
    """A NixOS module under `home/` that belongs to `user`: `home/<user>.nix`,
    `home/<user>/...`, `home/<user>-shell.nix`, or any file under `home/` that only this
    user's hosts import when nobody else is a user there."""
    if info.path is None or info.context is not Context.NIXOS:
        return False
    parts = info.path.parts
    if len(parts) < 2 or parts[0] != "home":
        return False
    if parts[1] == user:
        return True
    stem = PurePosixPath(parts[1]).stem
    if stem == user or (
        len(stem) > len(user) and stem.startswith(user) and stem[len(user)] in "-_."
    ):
        return True
    others = [
        u.name
        for u in st.normal
        if u.name != user and not st.user_hosts[u.name].isdisjoint(info.hosts)
    ]
    owners = [u.name for u in st.normal if stem == u.name or parts[1] == u.name]
    return not others and not owners
