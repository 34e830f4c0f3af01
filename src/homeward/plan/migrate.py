"""Repo -> Plan: move user-level configuration into home-manager. Pure (reads the model only).

What "correct" means is in docs/architecture.md (rules 1-8). The plan:
1. finds each user's user-level definitions: `users.users.<u>.packages` anywhere, and in the
   user's own files (`home/<u>.nix`, `home/<u>/...`) every option, classified by the mapping
   table (`knowledge/mapping.py`): home-manager counterpart, system-level, or user-level without a
   counterpart (stays NixOS, reported);
2. decides where each goes: `home/<u>/features/<feature>.nix` when it reaches every host of the
   user, `home/<u>/<host>.nix` when only some, a system module for what stays NixOS;
3. cuts them out of their files (comments with them), deletes files left empty and their
   imports, and writes the new files and the flake wiring (home-manager input, NixOS module,
   `homeConfigurations."<u>@<h>"`).
"""

from __future__ import annotations

from dataclasses import replace

from homeward.diagnostics import Diagnostic, Severity
from homeward.model.index import Index, build_index, entry_arguments
from homeward.plan.accounts import unseen_accounts
from homeward.plan.assembled import without_assembled
from homeward.plan.checks import dynamic_users, mismatches, partial, unread_accounts
from homeward.plan.classify import (
    frozen_notes,
    move_user_files,
    needs_work,
    take_notes,
    trim_homeless_hosts,
    user_plan,
)
from homeward.plan.inline import adopt_inline
from homeward.plan.journal import Journal, located
from homeward.plan.packages import move_all_packages
from homeward.plan.place import frozen_packages
from homeward.plan.priority import refuse_met
from homeward.plan.sources import (
    SourceCut,
    finish_sources,
    orphan_comments,
    take_comments,
    take_sources,
)
from homeward.plan.state import MigrateOptions, Mode, PlanState, UserPlan
from homeward.plan.types import Plan
from homeward.plan.wire import decide_wiring, finish_users, take_wiring, wire_flake, wire_places
from homeward.plan.wiring import skip_unwireable
from homeward.plan.writes import Entry, take_write

__all__ = ["MigrateOptions", "Mode", "plan_decisions", "plan_migration"]


# -- entry -----------------------------------------------------------------------------------
def compose(st: PlanState) -> Plan:
    decided = decide(st)
    if decided is None:
        return st.result()
    active, cut = decided
    entries = finish_users(st, active)
    wiring = decide_wiring(st, active, cut)  # a refusal is raised here, before any text
    st.unread.extend(u.name for u in wiring.kept.unread)
    take_wiring(st, wire_flake(st, wiring, entries))
    take_comments(st, orphan_comments(st, cut.emptied))
    return st.result(cut)


def decide(st: PlanState, *, report: bool = True) -> tuple[list[UserPlan], SourceCut] | None:
    """Every phase before the wiring, taken into `st`: the users with work to do and what
    the cut phase left; None when no user has any (the plan is what `st` holds). `report`
    False: without the warnings about the configuration that decide nothing (`check` asks
    for the decisions only: which findings migrate fixes)."""
    st.repo.fatal()
    if report:
        st.diagnostics.extend(partial(st.index))
        st.diagnostics.extend(dynamic_users(st.index))
        st.diagnostics.extend(mismatches(st.index, standalone_hosts(st)))
        st.diagnostics.extend(unread_accounts(st.index))
    # Hosts it cannot rewire (a Mac named as a NixOS host); plan/assembled.py names those
    # a framework assembles.
    for key in sorted(k for k, c in st.repo.others.items() if not c.framework):
        st.diagnostics.append(
            located(f"`{key}` is left as it is: {st.frozen_reason(key)}", Severity.WARNING)
        )
    users = st.normal
    if not users:
        st.diagnostics.append(
            located("no users with `isNormalUser = true` or `packages`: nothing to migrate")
        )
        return None
    notes = Journal()
    plans = [user_plan(st, u, notes) for u in users]
    take_notes(st, notes)
    # Packages first, for every user: a user's file may hold another user's list, which
    # must not also be copied into the system module the file leaves behind.
    frozen = frozen_notes(st)
    cuts = {}
    for up in plans:
        st.diagnostics.extend(frozen[up.user.name])
        cuts[id(up)] = move_all_packages(st, up)
    moved = {id(up): any(not cut.kept for cut in cuts[id(up)]) for up in plans}
    st.left.extend(
        up.user.name
        for up in plans
        if any(c.kept and not c.ledger for c in cuts[id(up)])
        or frozen_packages(st.index, up.user.name, frozenset(up.hosts))
    )
    kept = frozenset(id(c.placement.definition) for cs in cuts.values() for c in cs if c.kept)
    lines = {}
    for up in plans:
        start = len(st.ledger)
        moved[id(up)] |= move_user_files(st, up, kept)
        # What moves into a home with a priority the place phase did not keep: refused.
        said = [*st.ledger[start:], *(line for c in cuts[id(up)] for line in c.ledger)]
        refuse_met(st, up.user.name, said)
        moved[id(up)] |= adopt_inline(st, up)
        lines[id(up)] = [*st.ledger[start:], *(line for c in cuts[id(up)] for line in c.ledger)]
    # Once every user's files are taken: whose a file under home/ is depends on the other
    # users of its hosts (`is_user_file`), accounts on hosts they get no home on included.
    trimmed = Journal()
    for up in plans:
        trim_homeless_hosts(st, up, lines[id(up)], trimmed)
    take_notes(st, trimmed)
    notes = Journal()
    left = frozenset(st.left)
    active = [
        up
        for up in plans
        if needs_work(st, up, moved[id(up)], notes, up.user.name in left, st.unread_homes)
    ]
    take_notes(st, notes)
    if not active:
        return None
    st.diagnostics.extend(unseen_accounts(st.index, [up.wiring() for up in active]))
    for up in active:
        if up.new_entry:
            # The new entry point, its identity written when the user's home is finished.
            entry = Entry(up.entry, up.user, tuple(st.entry_imports(up)), "", "", False)
            take_write(st, entry)
    cut = finish_sources(st)
    take_sources(st, cut)
    return active, cut


def standalone_hosts(st: PlanState) -> set[str]:
    """The hosts some user gets a standalone `<user>@<host>` entry on: none when the mode or an
    existing `homeConfigurations` says so, nor for a user whose home file takes arguments."""
    if not st.standalone_wanted():
        return set()
    return {
        host
        for u in st.normal
        if st.existing_entry(u.name) is None or not entry_arguments(st.index, u.name)
        for host in u.hosts
    }


def plan_migration(index: Index, opts: MigrateOptions) -> Plan:
    st, warnings = prepared(index, opts)
    plan = compose(st)
    return replace(plan, diagnostics=(*warnings, *plan.diagnostics)) if warnings else plan


def plan_decisions(index: Index, opts: MigrateOptions) -> Plan:
    """migrate's plan as far as its decisions go, for `check` (commands/fixable.py): what
    every phase moves (the ledger), the files it creates, moves and deletes, and its edits, but
    the wiring's only as places (`wire_places`: where it writes, not what); its refusal is
    raised as `plan_migration` raises it. No text is built: neither the wiring's nor the new
    files' (their paths are there, their bytes empty), nor the warnings that decide nothing
    (`decide`'s `report`)."""
    st, _ = prepared(index, opts)
    decided = decide(st, report=False)
    if decided is None:
        return st.result(rendered=False)
    active, cut = decided
    entries = finish_users(st, active)
    wiring = decide_wiring(st, active, cut)
    st.unread.extend(u.name for u in wiring.kept.unread)
    st.edits.extend((*entries, *wire_places(st, wiring)))
    return st.result(cut, rendered=False)


def prepared(index: Index, opts: MigrateOptions) -> tuple[PlanState, tuple[Diagnostic, ...]]:
    """The planner's state over the hosts migrate rewires, and what it says of the rest."""
    repo, warnings = without_assembled(index.repo)
    if repo is not index.repo:
        # Hosts a framework assembles are read, not rewired (plan/assembled.py).
        index = build_index(repo)
    sites = None
    if opts.mode is not Mode.STANDALONE:
        # A host home-manager's module cannot be wired into is skipped, not the whole run.
        index, sites = skip_unwireable(index)
    return PlanState(index, opts, sites), tuple(warnings)
