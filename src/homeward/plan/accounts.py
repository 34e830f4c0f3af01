"""A home wired on a host where its user has no account: refused before the wiring is built, or
said, where the account may be in a module homeward cannot read."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError
from homeward.model.repo import ModuleKind, ModuleRef
from homeward.syntax import emit as nix

if TYPE_CHECKING:
    from homeward.model.index import HostFacts, Index
    from homeward.plan.flake import HomeWiring


def refuse_homes_without_account(index: Index, users: Sequence[HomeWiring]) -> None:
    """Refuses (raises) when a host wires `home-manager.users.<u>` where `u` has no account
    (`users.users.<u>`), from the file `u`'s home on their other hosts starts from:
    home-manager's module needs the account (its home directory), so the configuration does
    not evaluate as it is. (What migrate moves from those hosts does not reach this one
    either way: the file stays, `Index.entry_stays`.) A host with a module homeward cannot
    read may have the account there: not refused. Reads only."""
    for up, host, facts, read in _without_account(index, users):
        if _unread_module(facts) is not None:
            continue  # the account may be in what is not read
        written = facts.hm_users.get(up.name, ())
        mac = index.is_mac(host)
        key = ("users", "users", up.name)
        account = nix.emit_binding(
            (*key, "home") if mac else (*key, "isNormalUser"),
            f"/Users/{up.name}" if mac else True,
        )
        raise HomewardError(
            f"`{up.name}` has no account on `{host}` (`users.users.{up.name}`), which wires "
            f"`home-manager.users.{up.name}` from `{read}` (`{up.name}`'s home on their "
            f"other hosts): home-manager's {'nix-darwin' if mac else 'NixOS'} module needs "
            "the account, so the configuration does not evaluate as it is",
            at=written[0].location if written else facts.config.location,
            hint=f"add `{account}` to `{host}` (or remove its "
            f"`home-manager.users.{up.name}`), then run again",
        )


def unseen_accounts(index: Index, users: Sequence[HomeWiring]) -> list[Diagnostic]:
    """A warning for each host that wires `home-manager.users.<u>` from `u`'s home file
    without an account homeward can see, where a module it cannot read may hold the account
    (not refused: rule 9): that file is left as it is (`Index.entry_stays`), what migrate
    moves from `u`'s other hosts goes beside it. Named at the module not read."""
    found: list[Diagnostic] = []
    for up, host, facts, read in _wiring_homes(index, users, system=True):
        # Why: an account that is a system one there (`isSystemUser = true`) is not the
        # person's of their other hosts, and what moves from those must not reach it.
        at = next(
            (
                d.location
                for info in facts.modules
                for d in index.by_head(info).get("users", ())
                if d.path == ("users", "users", up.name, "isSystemUser")
            ),
            None,
        )
        found.append(
            Diagnostic(
                Severity.WARNING,
                f"`{host}` wires `home-manager.users.{up.name}` from `{read}`, where "
                f"`{up.name}` is a system account (`isSystemUser = true`): `{read}` is left as "
                f"it is, and what migrate moves from `{up.name}`'s other hosts goes beside it",
                at,
            )
        )
    for up, host, facts, read in _without_account(index, users):
        unread = _unread_module(facts)
        if unread is None:
            continue
        found.append(
            Diagnostic(
                Severity.WARNING,
                f"`{host}` wires `home-manager.users.{up.name}` from `{read}` with no "
                f"`users.users.{up.name}` homeward can see; this module, which homeward "
                f"cannot read, may hold it: `{read}` is left as it is, and what migrate "
                f"moves from `{up.name}`'s other hosts goes beside it",
                unread.location,
                hint=f"write the module's path out (or `users.users.{up.name}` in a file "
                f"`{host}` imports by name) for homeward to read it",
            )
        )
    return found


def _without_account(
    index: Index, users: Sequence[HomeWiring]
) -> Iterator[tuple[HomeWiring, str, HostFacts, str]]:
    """Each host (with its facts) that wires `home-manager.users.<u>` where `u` has no
    account homeward rewires, from a file `u`'s home starts from on their other hosts: the
    first such file, by path. Hosts homeward does not rewire are left out, and so are those
    where `u` is a system account (an account: `_wiring_homes` with `system`)."""
    return _wiring_homes(index, users, system=False)


def _wiring_homes(
    index: Index, users: Sequence[HomeWiring], *, system: bool
) -> Iterator[tuple[HomeWiring, str, HostFacts, str]]:
    """`_without_account`'s hosts (`system` False), or the hosts where `u` is a system
    account that wire their home so (`system` True)."""
    repo = index.repo
    for up in users:
        entries = {str(up.entry_of(h)) for h in up.hosts}
        on = index.system_hosts.get(up.name, frozenset())
        wiring = index.hm_user_hosts(up.name) - set(up.hosts)
        for host in sorted(wiring & on if system else wiring - on):
            facts = index.hosts.get(host)
            if facts is None:
                continue
            read = sorted(
                path
                for path in entries
                if (info := repo.modules.get(path)) is not None and (host, up.name) in info.pairs
            )
            if read:
                yield up, host, facts, read[0]


def _unread_module(facts: HostFacts) -> ModuleRef | None:
    """The first module of the host homeward cannot read (`"${mod}/core/users.nix"`), where
    an account may be written (rule 9: not knowing is no reason to refuse); None: none."""
    refs = [*facts.config.modules, *(r for m in facts.modules for r in m.imports)]
    return next((ref for ref in refs if ref.kind is ModuleKind.UNKNOWN), None)
