"""The NixOS / home-manager releases homeward knows, newest last (one fact, one place).

A release is supported for about seven months after the next one is out: 25.11 reached its end
of life at the end of June 2026, a month after NixOS 26.05 and home-manager's `release-26.05`
branch appeared. `init` pins the newest; `--release` picks another one of these.
"""

from __future__ import annotations

KNOWN_RELEASES = ("24.05", "24.11", "25.05", "25.11", "26.05")
NEWEST_RELEASE = KNOWN_RELEASES[-1]
NEWEST_VERSION: tuple[int, int] = (int(NEWEST_RELEASE[:2]), int(NEWEST_RELEASE[3:]))
EOL_RELEASES = frozenset(("24.05", "24.11", "25.05", "25.11"))  # as of 2026-11


def release_problem(release: str) -> str | None:
    """Why `release` cannot be pinned, or None."""
    if release not in KNOWN_RELEASES:
        return f"homeward does not know the release `{release}`; it knows " + ", ".join(
            KNOWN_RELEASES
        )
    return None


# nix-darwin's first release with `system.primaryUser` (user activation moved to root).
DARWIN_PRIMARY_USER_SINCE = (25, 5)


# A revision of nix-darwin's master made before this (2025-06-01 UTC, after the 25.05 branch
# was cut with `system.primaryUser`) is not known to have it.
DARWIN_PRIMARY_USER_MASTER_SINCE = 1748736000


def darwin_has_primary_user(url: str | None, locked_modified: int | None = None) -> bool:
    """A nix-darwin input at `url` has `system.primaryUser`: `nix-darwin-25.05` and later, or
    master (unless flake.lock pins it at a revision made before, `locked_modified`) (one fact,
    one place: `check`'s HW020 and `migrate` both ask)."""
    import re

    match = re.search(r"nix-darwin-(\d\d)\.(\d\d)", url or "")
    if match is not None:
        return (int(match[1]), int(match[2])) >= DARWIN_PRIMARY_USER_SINCE
    return locked_modified is None or locked_modified >= DARWIN_PRIMARY_USER_MASTER_SINCE
