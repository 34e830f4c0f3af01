"""A home wired on a host where its user has no account: refused before the wiring is built."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from homeward.errors import HomewardError
from homeward.syntax import emit as nix

if TYPE_CHECKING:
    from homeward.model.index import Index
    from homeward.plan.flake import HomeWiring


def refuse_homes_without_account(index: Index, users: Sequence[HomeWiring]) -> None:
    """Refuses (raises) when a host wires `home-manager.users.<u>` where `u` has no account
    (`users.users.<u>`), and that home starts from a file migrate writes `u`'s home of another
    host into: what `u` has there (their packages) would reach this host too. Home-manager's
    module needs the account (its home directory), so the configuration does not evaluate as
    it is either. Reads only."""
    repo = index.repo
    for up in users:
        accounts = set(up.hosts)
        entries = {str(up.entry_of(h)) for h in up.hosts}
        for host in sorted(index.hm_user_hosts(up.name) - accounts):
            facts = index.hosts.get(host)
            if facts is None:
                continue  # not a host homeward rewires
            read = sorted(
                path
                for path in entries
                if (info := repo.modules.get(path)) is not None and (host, up.name) in info.pairs
            )
            if not read:
                continue
            written = facts.hm_users.get(up.name, ())
            mac = index.is_mac(host)
            key = ("users", "users", up.name)
            account = nix.emit_binding(
                (*key, "home") if mac else (*key, "isNormalUser"),
                f"/Users/{up.name}" if mac else True,
            )
            raise HomewardError(
                f"`{up.name}` has no account on `{host}` (`users.users.{up.name}`), which wires "
                f"`home-manager.users.{up.name}` from `{read[0]}`: home-manager's "
                f"{'nix-darwin' if mac else 'NixOS'} module needs the account, and what migrate "
                f"moves there from `{up.name}`'s other hosts would reach `{host}` too",
                at=written[0].location if written else facts.config.location,
                hint=f"add `{account}` to `{host}` (or remove its "
                f"`home-manager.users.{up.name}`), then run again",
            )
