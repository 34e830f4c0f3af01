"""The place phase: a definition that leaves a NixOS module, and where it goes, as data.

A `Placement` names one definition, the module it is in, the user whose home takes it and the
hosts of theirs that read it; or, when it stays where it is, why. Its destination on each of
those hosts follows from the hosts and the definition's feature (`Home.path`): a feature file
when it reaches every host of the user, `home/<u>/<host>.nix` for one host, a shared feature
file for some (imported by those hosts' files, `plan/wire.place_per_host`). The cut and render
phases read placements; nothing here changes the plan. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from homeward.knowledge.mapping import Fate, Feature, classify
from homeward.model.repo import EMPTY_LIST, ModuleInfo, stays_system
from homeward.syntax.find import Definition
from homeward.syntax.suppress import is_suppressed

if TYPE_CHECKING:
    from homeward.model.index import Index
    from homeward.model.repo import User


@dataclass(frozen=True, slots=True)
class Home:
    """Where a user's home-manager files go: the user, their hosts, the entry point, and
    whether definitions are split into feature files (`--no-features`: all in the entry)."""

    user: str
    hosts: tuple[str, ...]
    entry: PurePosixPath
    features: bool = True

    def shared(self, reach: tuple[str, ...]) -> bool:
        """Definitions that reach `reach` go to a file every host of the user imports."""
        return reach == self.hosts or set(reach) == set(self.hosts)

    def path(self, reach: tuple[str, ...], feature: Feature) -> PurePosixPath:
        """The home-manager file for definitions of `feature` that reach `reach` of the
        user's hosts."""
        # Why one path made of its names, not joined name by name: asked for every package
        # list and every file a definition goes to (2,700 times at 200 hosts).
        if self.shared(reach):
            if not self.features:
                return self.entry
            return PurePosixPath("home", self.user, "features", f"{feature}.nix")
        if len(reach) == 1:
            return PurePosixPath("home", self.user, f"{reach[0]}.nix")
        return PurePosixPath("home", self.user, "features", f"{feature}-{hosts_label(reach)}.nix")


@dataclass(frozen=True, slots=True)
class Placement:
    """One definition on its way out of a NixOS module: into `home`'s files on the hosts
    `reach`, or, when `why` says so, nowhere (it stays where it is)."""

    definition: Definition
    module: ModuleInfo
    home: Home
    reach: tuple[str, ...]  # the user's hosts that read the module, sorted
    why: str = ""  # not empty: it stays, and this is the reason
    hint: str = ""  # where it stays: what to do to move it (a warning then, not a note)

    @property
    def moves(self) -> bool:
        return not self.why

    def destination(self, feature: Feature) -> PurePosixPath:
        return self.home.path(self.reach, feature)

    def per_host(self, feature: Feature) -> dict[str, PurePosixPath]:
        """Each host of `reach` -> the file that holds the definition there."""
        path = self.destination(feature)
        return dict.fromkeys(self.reach, path)


def reach_of(home: Home, info: ModuleInfo) -> tuple[str, ...]:
    """The user's hosts that read `info`."""
    return tuple(sorted(info.hosts & set(home.hosts)))


def place_packages(index: Index, home: Home) -> tuple[Placement, ...]:
    """Each `users.users.<u>.packages` of `home`'s user that one of their hosts reads, in
    the modules that define their account, in order; a list marked
    `# homeward: ignore[HW002]` stays (issue 14: a decision to keep it there), and so does
    one that a host where the account is a system one reads (home-manager does not manage
    those: its packages would leave that account)."""
    name = home.user
    hosts = frozenset(home.hosts)
    system_hosts = index.system_hosts.get(name, frozenset())
    placed: list[Placement] = []
    for info in index.accounts.get(name, ()):
        if info.frozen or (hosts | system_hosts).isdisjoint(info.hosts):
            continue
        # Only `users.users.<name>.packages` (and below) is PACKAGES for this user.
        for d in index.by_head(info).get("users", ()):
            path = d.path
            if len(path) < 4 or path[1] != "users" or path[2] != name or d.dynamic:
                continue
            if stays_system(d, frozenset()) or classify(path, name).fate is not Fate.PACKAGES:
                continue
            why, hint = "", ""
            system = sorted(info.hosts & system_hosts)
            if system:
                on = ", ".join(f"`{h}`" for h in system)
                why = (
                    f"`{name}` is a system account (`isSystemUser = true`) on {on}, "
                    "which home-manager does not manage"
                )
                hint = f"if `{name}` is a person's account there, declare it `isNormalUser`"
            elif is_suppressed(d.source.text, d.location.line, "HW002"):
                why = "`# homeward: ignore[HW002]` keeps it"
            elif builds(d) and (own := private_pkgs(index, reach_of(home, info))):
                host, said = own
                why = (
                    f"home-manager on `{host}` builds homes with packages of its own "
                    "(`home-manager.useGlobalPkgs` is not set), without the host's "
                    f"{said}, which these are built with now"
                )
                hint = f"set `home-manager.useGlobalPkgs = true;` on `{host}`, then run again"
            placed.append(Placement(d, info, home, reach_of(home, info), why, hint))
    return tuple(placed)


_COMMENT = re.compile(r"#[^\n]*|/\*.*?\*/", re.DOTALL)


def builds(d: Definition) -> bool:
    """The package list has an item besides comments (commented-out entries build nothing,
    whichever packages a home is built with)."""
    return EMPTY_LIST.match(_COMMENT.sub("", d.value_text).strip()) is None


def private_pkgs(index: Index, hosts: tuple[str, ...]) -> tuple[str, str] | None:
    """The first of `hosts` whose home-manager is set up (its settings homeward keeps) without
    `useGlobalPkgs` while the host sets `nixpkgs.config` or `nixpkgs.overlays`, and that
    definition (`nixpkgs.config` (file:line)): a package list moved into a home there would
    be built without them (an unfree package refused, an overlay's package missing)."""
    for host in hosts:
        settings = [
            d for d in index.host_definitions(host, "home-manager") if d.path[1:2] != ("users",)
        ]
        if not settings or any(
            d.path[1:2] == ("useGlobalPkgs",) and d.value_text.strip() == "true" for d in settings
        ):
            continue
        for d in index.host_definitions(host, "nixpkgs"):
            if d.path[1:2] in (("config",), ("overlays",)):
                return host, f"`nixpkgs.{d.path[1]}` ({d.location})"
    return None


def frozen_packages(index: Index, name: str, hosts: frozenset[str]) -> bool:
    """Some `users.users.<name>.packages` one of `hosts` reads is in a module left as it is
    (`place_packages` skips those: they stay, and a warning names the module)."""
    return any(
        d.path[1:4] == ("users", name, "packages")
        for info in index.accounts.get(name, ())
        if info.frozen and not hosts.isdisjoint(info.hosts)
        for d in index.by_head(info).get("users", ())
    )


def home_of(user: User, entry: PurePosixPath, *, features: bool) -> Home:
    return Home(user.name, user.hosts, entry, features)


def hosts_label(hosts: tuple[str, ...]) -> str:
    """`desk-laptop` for a few hosts; `desk-and-7-more` when a name would get unwieldy."""
    if len(hosts) <= 3:
        return "-".join(hosts)
    return f"{hosts[0]}-and-{len(hosts) - 1}-more"
