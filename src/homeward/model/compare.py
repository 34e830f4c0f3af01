"""`verify`'s comparison: what each user gets, before and after, as data (pure).

For every host and user the package names and user settings are compared, through the NixOS
module wiring and through each standalone `homeConfigurations."<user>@<host>"`. When the
revision has no standalone output for that user and host, the standalone output is compared
with the module wiring of the revision: that is what a migration promises; the other way, a new
module wiring is compared with the user's standalone output of the revision. A package that
appears is a difference (another user's leaking in), except those accounted for: the
home-manager command migrate adds counts as expected only for a user with an account on a host
(one migrate moves).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from homeward.model.extract import Extract

HOME_MANAGER_CLI = "home-manager"


# -- what is compared ------------------------------------------------------------------------
class Kind(StrEnum):
    MODULE = "module"  # nixosConfigurations.<host>: users.users and home-manager.users
    STANDALONE = "standalone"  # homeConfigurations."<user>@<host>" (with the host's NixOS side)


@dataclass(frozen=True, slots=True)
class View:
    """What one user gets on one side, one way."""

    label: str
    kind: Kind
    packages: frozenset[str]
    settings: Mapping[str, str]
    programs: frozenset[str] = frozenset()  # installed system-wide by NixOS programs.<p>
    darwin: bool = False  # on a nix-darwin host (the standalone one: for a Mac)
    # The user has an account on a host of this side: one migrate moves to home-manager.
    account: bool = True


EMPTY = View("nothing", Kind.MODULE, frozenset(), {})


@dataclass(frozen=True, slots=True)
class PackageDiff:
    same: tuple[str, ...]
    added: tuple[str, ...]
    lost: tuple[str, ...]
    # Added or lost on the user's side, yet not a difference, and why.
    accounted: Mapping[str, str] = field(default_factory=dict)
    lost_as_expected: frozenset[str] = frozenset()  # the accounted ones that were lost

    @property
    def differs(self) -> bool:
        return bool(self.added or self.lost)


@dataclass(frozen=True, slots=True)
class SettingsDiff:
    same: tuple[str, ...]
    added: Mapping[str, str]
    lost: Mapping[str, str]
    changed: Mapping[str, tuple[str, str]]  # key -> (before, after)

    @property
    def differs(self) -> bool:
        return bool(self.added or self.lost or self.changed)


@dataclass(frozen=True, slots=True)
class Comparison:
    output: str  # the working tree's side: `desk: ham` or `ham@desk (standalone)`
    baseline: str  # the revision's side it is compared with
    kind: Kind
    host: str | None
    user: str | None
    packages: PackageDiff
    settings: SettingsDiff

    @property
    def differs(self) -> bool:
        return self.packages.differs or self.settings.differs


@dataclass(frozen=True, slots=True)
class Report:
    against: str
    revision: str
    comparisons: tuple[Comparison, ...]
    # Outputs that hold modules but no configuration nix could evaluate here (exported
    # modules, deployment tools' nodes): not compared, and said so.
    uncompared: tuple[str, ...] = ()

    @property
    def equal(self) -> bool:
        return not any(c.differs for c in self.comparisons)

    def to_json(self) -> dict[str, Any]:
        return {
            "against": self.against,
            "revision": self.revision,
            "equal": self.equal,
            "uncompared": list(self.uncompared),
            "comparisons": [
                {
                    "output": c.output,
                    "baseline": c.baseline,
                    "kind": str(c.kind),
                    "host": c.host,
                    "user": c.user,
                    "differs": c.differs,
                    "packages": {
                        "same": list(c.packages.same),
                        "added": list(c.packages.added),
                        "lost": list(c.packages.lost),
                        "accounted": dict(c.packages.accounted),
                    },
                    "settings": {
                        "same": list(c.settings.same),
                        "added": dict(c.settings.added),
                        "lost": dict(c.settings.lost),
                        "changed": {
                            k: {"before": b, "after": a} for k, (b, a) in c.settings.changed.items()
                        },
                    },
                }
                for c in self.comparisons
            ],
        }


# -- comparing (pure) ------------------------------------------------------------------------
def split_home(name: str) -> tuple[str | None, str]:
    """`ham@desk` -> (`desk`, `ham`); `ham` -> (None, `ham`)."""
    user, sep, host = name.rpartition("@")
    return (host, user) if sep and user and host else (None, name)


def standalone_view(extract: Extract, name: str) -> View | None:
    """A standalone home configuration with what the host's NixOS side still gives the user."""
    home = extract.homes.get(name)
    if home is None:
        return None
    host_name, user_name = split_home(name)
    host = extract.hosts.get(host_name) if host_name else None
    user = host.users.get(user_name) if host else None
    return View(
        f"{name} (standalone)",
        Kind.STANDALONE,
        frozenset(home.packages) | frozenset(user.nixos_packages if user else ()),
        {**(user.nixos_settings if user else {}), **home.settings},
        frozenset(host.programs) if host else frozenset(),
        host is not None and host.darwin,
        any(user_name in h.users for h in extract.hosts.values()),
    )


def module_view(extract: Extract, host_name: str, user_name: str) -> View | None:
    """What the NixOS configuration gives a user; None when a standalone output takes its place
    (home-manager not wired into the host for that user, `<user>@<host>` exists)."""
    host = extract.hosts.get(host_name)
    user = host.users.get(user_name) if host else None
    if host is None or user is None:
        return None
    if not user.home_manager and f"{user_name}@{host_name}" in extract.homes:
        return None
    return View(
        f"{host_name}: {user_name}",
        Kind.MODULE,
        user.packages,
        user.settings,
        frozenset(host.programs),
        host.darwin,
    )


def diff_packages(before: View, after: View) -> PackageDiff:
    added = after.packages - before.packages
    lost = before.packages - after.packages
    accounted: dict[str, str] = {}
    system = "a nix-darwin" if after.darwin else "a NixOS"
    for name in sorted(added):
        if name in before.programs:
            accounted[name] = f"installed system-wide by {system} program before"
        elif name == HOME_MANAGER_CLI and after.kind is Kind.STANDALONE:
            # Only for a user migrate moves (an account on a host): another user's
            # configuration gaining it is a leak (a file read by both users' homes).
            if after.account:
                accounted[name] = "the CLI standalone home-manager installs"
        elif name == HOME_MANAGER_CLI:
            accounted[name] = (
                "the home-manager command, installed with home-manager's NixOS or nix-darwin module"
            )
        elif name in ("bash", "bashInteractive"):
            accounted[name] = (
                "bash is part of every nix-darwin system (`programs.bash`, on by default)"
                if after.darwin
                else "bash is part of every NixOS system"
            )
    for name in sorted(lost):
        if name in after.programs:
            accounted[name] = f"installed system-wide by {system} program now"
    return PackageDiff(
        same=tuple(sorted((before.packages & after.packages) | accounted.keys())),
        added=tuple(sorted(added - accounted.keys())),
        lost=tuple(sorted(lost - accounted.keys())),
        accounted=accounted,
        lost_as_expected=frozenset(lost & accounted.keys()),
    )


def diff_settings(before: Mapping[str, str], after: Mapping[str, str]) -> SettingsDiff:
    both = before.keys() & after.keys()
    return SettingsDiff(
        same=tuple(sorted(k for k in both if before[k] == after[k])),
        added={k: after[k] for k in sorted(after.keys() - before.keys())},
        lost={k: before[k] for k in sorted(before.keys() - after.keys())},
        changed={k: (before[k], after[k]) for k in sorted(both) if before[k] != after[k]},
    )


def _compare(
    before: View | None, after: View | None, host: str | None, user: str | None, rev: str
) -> Comparison:
    b = before or EMPTY
    a = after or EMPTY
    return Comparison(
        output=a.label if after else f"{b.label} (gone)",
        baseline=f"{b.label} at {rev}" if before else "nothing (a new output)",
        kind=a.kind if after else b.kind,
        host=host,
        user=user,
        packages=diff_packages(b, a),
        settings=diff_settings(b.settings, a.settings),
    )


def compare(before: Extract, after: Extract, rev: str = "HEAD") -> tuple[Comparison, ...]:
    """Every host/user and every standalone home, the working tree against the revision."""
    found: list[Comparison] = []
    for host in sorted(before.hosts.keys() | after.hosts.keys()):
        users: set[str] = set()
        for side in (before, after):
            if host in side.hosts:
                users |= side.hosts[host].users.keys()
        for user in sorted(users):
            b = module_view(before, host, user)
            a = module_view(after, host, user)
            if b is not None and a is None and f"{user}@{host}" in after.homes:
                continue  # the standalone output took over: compared below
            if b is None and a is None:
                continue
            if b is None and a is not None:
                # A new wiring of home-manager's module: what the user's standalone
                # configuration gave them there at the revision (`u@h`, else `u`).
                b = standalone_view(before, f"{user}@{host}") or standalone_view(before, user)
            found.append(_compare(b, a, host, user, rev))
    for name in sorted(before.homes.keys() | after.homes.keys()):
        host_name, user_name = split_home(name)
        b = standalone_view(before, name)
        a = standalone_view(after, name)
        if b is None and host_name is not None:
            # No such output at the revision: what the NixOS configuration gave the user there.
            b = module_view(before, host_name, user_name)
        found.append(_compare(b, a, host_name, user_name, rev))
    return tuple(found)
