"""home-manager's settings module on a host, as data and one builder on the `syntax/emit` tree:
what `migrate` wires into an existing host and what `add host` writes for a new one (issue 9:
they were two texts, and drifted).

    {
      home-manager.useGlobalPkgs = true;
      home-manager.useUserPackages = true;
      home-manager.backupFileExtension = "hm-backup";
      home-manager.extraSpecialArgs = { inherit inputs; };
      home-manager.users.ham.imports = [ ./home/ham ];
      users.users.ham.home = "/Users/ham";
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath

from homeward.plan.nixcode import relative_import
from homeward.syntax import emit as nix


@dataclass(frozen=True, slots=True)
class HomeUser:
    """One user's home-manager configuration on the host."""

    name: str
    modules: tuple[str, ...]  # Nix code: the import paths of their configuration
    # `home-manager.users.<u> = import <path>;` (the flake's own style, one module), rather
    # than `home-manager.users.<u>.imports = [ ... ];`
    as_import: bool = False


@dataclass(frozen=True, slots=True)
class HomeManagerSettings:
    """What the settings module holds. `settings=False`: the host sets home-manager's options
    already; only the users (and `system`) are written."""

    users: tuple[HomeUser, ...]
    backup_extension: str
    settings: bool = True
    # False where a home sets `nixpkgs.*`, which home-manager refuses beside useGlobalPkgs
    global_pkgs: bool = True
    special_args: str | None = None  # Nix code for `home-manager.extraSpecialArgs`
    # Options of the host's own the wiring needs (a Mac's `users.users.<u>.home`,
    # `system.primaryUser`): attribute path -> string value
    system: tuple[tuple[tuple[str, ...], str], ...] = ()


def settings_module(s: HomeManagerSettings) -> str:
    """The module, as Nix code at indentation 0 (always expanded, one binding a line)."""
    return nix.emit(settings_attrs(s))


def settings_attrs(s: HomeManagerSettings) -> nix.Attrs:
    """The module as a `syntax.emit` value (always expanded, one binding a line)."""
    items: list[tuple[nix.Key, object]] = []
    if s.settings:
        if s.global_pkgs:
            items.append((("home-manager", "useGlobalPkgs"), True))
        items.append((("home-manager", "useUserPackages"), True))
        items.append((("home-manager", "backupFileExtension"), s.backup_extension))
        if s.special_args is not None:
            items.append((("home-manager", "extraSpecialArgs"), nix.Raw(s.special_args)))
    items.extend(user_binding(user) for user in s.users)
    items.extend(s.system)
    return nix.Attrs(items, expand=True)


def user_binding(user: HomeUser) -> tuple[nix.Key, object]:
    """How home-manager's module on a host reads one user's configuration."""
    if user.as_import and len(user.modules) == 1:
        return ("home-manager", "users", user.name), nix.Call("import", [nix.Raw(user.modules[0])])
    return ("home-manager", "users", user.name, "imports"), [nix.Raw(m) for m in user.modules]


def new_host_settings(
    users: Mapping[str, PurePosixPath],
    backup_extension: str,
    special_args: str | None,
    *,
    as_import: bool,
) -> HomeManagerSettings:
    """The settings a host `add` writes get: each user's entry file (`home/<u>`, imported
    from flake.nix), in the flake's own style (`as_import`)."""
    home_users = tuple(
        HomeUser(u, (relative_import(p, PurePosixPath(".")),), as_import=as_import)
        for u, p in users.items()
    )
    return HomeManagerSettings(home_users, backup_extension, special_args=special_args)
