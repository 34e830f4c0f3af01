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

from dataclasses import dataclass

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
    items: list[tuple[nix.Key, object]] = []
    if s.settings:
        if s.global_pkgs:
            items.append((("home-manager", "useGlobalPkgs"), True))
        items.append((("home-manager", "useUserPackages"), True))
        items.append((("home-manager", "backupFileExtension"), s.backup_extension))
        if s.special_args is not None:
            items.append((("home-manager", "extraSpecialArgs"), nix.Raw(s.special_args)))
    for user in s.users:
        if user.as_import and len(user.modules) == 1:
            items.append(
                (("home-manager", "users", user.name), nix.Raw(f"import {user.modules[0]}"))
            )
        else:
            modules = [nix.Raw(m) for m in user.modules]
            items.append((("home-manager", "users", user.name, "imports"), modules))
    items.extend(s.system)
    return nix.emit(nix.Attrs(items), in_binding=True)
