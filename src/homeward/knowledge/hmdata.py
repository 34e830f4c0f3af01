"""home-manager's option names, kept as data: what HW004 checks home-manager modules against.

`knowledge/data/hm_options.json` is derived from home-manager's module tree: `namespaces` are the
top-level option names (`programs`, `home`, `xdg`, ...), `nixos_only` the names NixOS has and
home-manager does not (`boot`, `users`, `services.openssh`, ...). Its `options` are a selection
(the ones the mapping table uses), not every option: so below the top level only the NixOS-only
names are checked, and a name that is merely unlisted is never reported.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = "hm_options.json"


def split_option(dotted: str) -> tuple[str, ...]:
    """`programs.foo."a.b".enable` -> ("programs", "foo", "a.b", "enable")."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in dotted:
        if char == '"':
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return tuple(parts)


@dataclass(frozen=True, slots=True)
class HomeOptions:
    namespaces: frozenset[str]
    nixos_only: tuple[tuple[str, ...], ...]  # longest first
    _by_length: tuple[tuple[int, frozenset[tuple[str, ...]]], ...] = ()
    # The first names of `nixos_only`: most paths are answered by their first name alone.
    _heads: frozenset[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lengths = sorted({len(p) for p in self.nixos_only}, reverse=True)
        by_length = tuple(
            (n, frozenset(p for p in self.nixos_only if len(p) == n)) for n in lengths
        )
        object.__setattr__(self, "_by_length", by_length)
        if all(self.nixos_only):
            object.__setattr__(self, "_heads", frozenset(p[0] for p in self.nixos_only))

    @staticmethod
    def from_json(data: dict[str, Any]) -> HomeOptions:
        namespaces = frozenset(str(n) for n in data.get("namespaces", ()))
        nixos_only = sorted(
            (split_option(str(n)) for n in data.get("nixos_only", ())), key=len, reverse=True
        )
        return HomeOptions(namespaces, tuple(nixos_only))

    def nixos_only_prefix(self, path: Sequence[str]) -> tuple[str, ...] | None:
        """The NixOS-only name `path` is under (`services.openssh`), if any."""
        key = tuple(path)
        heads = self._heads
        if heads is not None and (not key or key[0] not in heads):
            return None
        for length, prefixes in self._by_length:
            if key[:length] in prefixes:
                return key[:length]
        return None

    def unknown_prefix(self, path: Sequence[str]) -> tuple[str, ...] | None:
        """`(name,)` when home-manager has no top-level option `name`."""
        if path and self.namespaces and path[0] not in self.namespaces:
            return (path[0],)
        return None


def load_home_options() -> HomeOptions | None:
    """The shipped data, or None when this installation has none (HW004 is then skipped)."""
    path = Path(__file__).resolve().parent / "data" / DATA
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return None
    data = json.loads(text)
    return HomeOptions.from_json(data) if isinstance(data, dict) else None
