"""Flake inputs whose NixOS or nix-darwin module adds home-manager modules to every home of
the host, through `home-manager.sharedModules`, out of homeward's sight (it does not read
inputs). A standalone `homeConfigurations` entry does not read a host's `sharedModules`: it
lacks them unless its `modules` list them too.

Read from the inputs' sources: stylix's `home-manager-integration.nix`
(`stylix.homeManagerIntegration.autoImport`, on by default) adds `homeModules.stylix`;
niri-flake's `nixosModules.niri` adds its home module (`homeModules.config`, and the package
the NixOS module sets) when home-manager's NixOS module is there."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SharedHome:
    """What an input's system module adds to every home of the host."""

    name: str  # the project, as users know it
    home_module: str  # the input's output that holds the home-manager module it adds


_STYLIX = SharedHome("stylix", "homeModules.stylix")
_NIRI = SharedHome("niri-flake", "homeModules.config")

_BY_REPOSITORY = {
    "danth/stylix": _STYLIX,
    "nix-community/stylix": _STYLIX,
    "sodiboo/niri-flake": _NIRI,
}
_BY_NAME = {"stylix": _STYLIX, "niri": _NIRI, "niri-flake": _NIRI}
"""Where the input's URL says nothing (it follows another flake's input): its usual names."""

_GITHUB = re.compile(
    r"^(?:github:|(?:git\+)?https://github\.com/)([\w.-]+)/([\w.-]+?)(?:\.git)?(?:[/?#]|$)"
)


def shared_home(name: str, url: str | None) -> SharedHome | None:
    """What the system modules of the input `name` (fetched from `url`) add to every home,
    None for an input not known to add any."""
    if url is None:
        return _BY_NAME.get(name)
    found = _GITHUB.match(url)
    if found is None:
        return None
    return _BY_REPOSITORY.get(f"{found[1]}/{found[2]}".lower())
