"""What the real nix says a flake's outputs give each user, as typed data (`nix/extract.nix`
prints it; `nix/ops.py` runs it). Pure data: `model/compare.py` compares two of them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeward.errors import INTERNAL_HINT, InternalError


# -- results ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class UserExtract:
    """What one user gets on one host through the NixOS configuration."""

    nixos_packages: tuple[str, ...]  # users.users.<u>.packages (sorted, duplicates kept)
    home_packages: tuple[str, ...]  # home-manager.users.<u>.home.packages
    settings: Mapping[str, str]  # effective: the NixOS side with home-manager's over it
    nixos_settings: Mapping[str, str]  # the NixOS side alone
    home_manager: bool = False  # home-manager's NixOS module configures this user
    state_version: str | None = None  # home.stateVersion (`<error>`: it does not evaluate)

    @property
    def packages(self) -> frozenset[str]:
        """Every package name the user gets, wherever it is declared."""
        return frozenset(self.nixos_packages) | frozenset(self.home_packages)


@dataclass(frozen=True, slots=True)
class HostExtract:
    users: Mapping[str, UserExtract]
    # Packages enabled NixOS `programs.<p>` install system-wide (`programs.git` -> git).
    programs: tuple[str, ...] = ()
    darwin: bool = False  # a nix-darwin host (`darwinConfigurations`)


@dataclass(frozen=True, slots=True)
class HomeExtract:
    """A standalone `homeConfigurations.<name>`."""

    packages: tuple[str, ...]
    settings: Mapping[str, str]
    state_version: str | None = None


@dataclass(frozen=True, slots=True)
class Extract:
    hosts: Mapping[str, HostExtract]
    homes: Mapping[str, HomeExtract]

    @classmethod
    def from_json(cls, data: object) -> Extract:
        """Validate what extract.nix printed."""
        top = expect_mapping(data, "the extract")
        hosts = {
            name: HostExtract(
                users={
                    user: UserExtract(
                        nixos_packages=expect_names(u.get("nixos_packages"), f"{name}.{user}"),
                        home_packages=expect_names(u.get("home_packages"), f"{name}.{user}"),
                        settings=expect_settings(u.get("settings"), f"{name}.{user}"),
                        nixos_settings=expect_settings(u.get("nixos_settings"), f"{name}.{user}"),
                        home_manager=u.get("home_manager") is True,
                        state_version=optional_str(u.get("state_version")),
                    )
                    for user, raw_user in expect_mapping(h.get("users"), f"host {name}").items()
                    for u in [expect_mapping(raw_user, f"{name}.{user}")]
                },
                programs=expect_names(h.get("programs", []), f"host {name}"),
                darwin=h.get("darwin") is True,
            )
            for name, raw in expect_mapping(top.get("hosts", {}), "hosts").items()
            for h in [expect_mapping(raw, f"host {name}")]
        }
        homes = {
            name: HomeExtract(
                packages=expect_names(h.get("packages"), f"home {name}"),
                settings=expect_settings(h.get("settings"), f"home {name}"),
                state_version=optional_str(h.get("state_version")),
            )
            for name, raw in expect_mapping(top.get("homes", {}), "homes").items()
            for h in [expect_mapping(raw, f"home {name}")]
        }
        return cls(hosts, homes)

    def merged(self, other: Extract) -> Extract:
        return Extract({**self.hosts, **other.hosts}, {**self.homes, **other.homes})

    def to_json(self) -> dict[str, Any]:
        return {
            "hosts": {
                name: {
                    "users": {
                        user: {
                            "nixos_packages": list(u.nixos_packages),
                            "home_packages": list(u.home_packages),
                            "settings": dict(u.settings),
                            "nixos_settings": dict(u.nixos_settings),
                            "home_manager": u.home_manager,
                        }
                        for user, u in host.users.items()
                    },
                    "programs": list(host.programs),
                }
                for name, host in self.hosts.items()
            },
            "homes": {
                name: {"packages": list(h.packages), "settings": dict(h.settings)}
                for name, h in self.homes.items()
            },
        }


# -- validating what nix printed ---------------------------------------------------------------
# extract.nix is homeward's own: every value it prints goes through `names`, `toStr` or `safe`,
# which make strings of whatever a configuration holds (a throw, a function, a number), so data
# of another shape is homeward's bug (exit 4), never the input's (tests/test_bug_exits.py).
def _unexpected(message: str) -> InternalError:
    return InternalError(message, hint=INTERNAL_HINT)


def optional_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def expect_mapping(value: object, what: str, *, source: str = "extract.nix") -> dict[str, Any]:
    """`value` as a mapping of names; `source` is the file of homeward's that printed it
    (extract.nix, or standins.nix's record), named in the message when it is not one."""
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise _unexpected(f"unexpected data from {source} for {what}: {value!r:.200}")
    return value


def expect_names(value: object, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _unexpected(f"unexpected package list from extract.nix for {what}: {value!r:.200}")
    return tuple(value)


def expect_settings(value: object, what: str) -> dict[str, str]:
    data = expect_mapping(value, what)
    if not all(isinstance(v, str) for v in data.values()):
        raise _unexpected(f"unexpected settings from extract.nix for {what}: {value!r:.200}")
    return data
