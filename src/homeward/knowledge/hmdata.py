"""home-manager's option names, kept as data: what HW004 checks home-manager modules against.

`knowledge/data/hm_options.json` is home-manager's whole option tree, written by
`scripts/hm_options.py` from an evaluation of home-manager's module list: `options` maps every
option path (`programs.git.settings`, `home.file.<name>.source`) to its type name and file;
`namespaces` are the top-level names, `nixos_only` the names NixOS has and home-manager does
not (`boot`, `users`, `services.openssh`, ...), kept by hand for a clearer message.

A definition path is checked name by name down the tree. Below an option the check stops
(`programs.git.settings.<anything>` is the option's value), except where the option is a
submodule whose options were walked (`subtree: walked`): `programs.zsh.oh-my-zsh.<option>`,
`home.file.<any name>.<option>`. Free-form submodules and anything unreadable stop the check.
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
    if '"' not in dotted:  # most names: split in C (the tree's 5,000 options at each check)
        return tuple(dotted.split("."))
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


ANY_NAME = "<name>"  # the attribute name below an attrsOf-submodule option


class OptionNode:
    """A name in the option tree: a group of options, or an option (maybe walked below)."""

    __slots__ = ("children", "open", "option", "removed")

    def __init__(self) -> None:
        self.children: dict[str, OptionNode] = {}
        self.open = False  # an option whose value is not checked further (not walked)
        self.removed = False  # an option home-manager removed (mkRemovedOptionModule)
        self.option = False  # an option (walked or not), not a group of options


def build_tree(options: dict[str, Any]) -> OptionNode:
    root = OptionNode()
    # Parents first, so that a walked option's sub-options only add to it.
    paths = {dotted: split_option(dotted) for dotted in options}
    for dotted in sorted(options, key=lambda d: len(paths[d])):
        info = options[dotted]
        node = root
        for name in paths[dotted]:
            node = node.children.setdefault(name, OptionNode())
        node.option = True
        if isinstance(info, dict):
            node.open = info.get("subtree") != "walked"
            node.removed = bool(info.get("removed"))
        else:
            node.open = True
    return root


@dataclass(frozen=True, slots=True)
class Unknown:
    """Where a definition path leaves home-manager's option tree."""

    prefix: tuple[str, ...]
    removed: bool = False  # the prefix is an option home-manager removed
    near: str | None = None  # the closest existing name at that place (a misspelling)


@dataclass(frozen=True, slots=True)
class HomeOptions:
    namespaces: frozenset[str]
    nixos_only: tuple[tuple[str, ...], ...]  # longest first
    tree: OptionNode | None = None
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
        options = data.get("options")
        tree = build_tree(options) if isinstance(options, dict) and options else None
        return HomeOptions(namespaces, tuple(nixos_only), tree)

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

    def unknown_path(self, path: Sequence[str], dynamic: str = "") -> Unknown | None:
        """Where `path` leaves the option tree (None: home-manager has it, or it cannot tell).

        `dynamic` is the marker of a computed name: nothing at or below it is checked.
        """
        if self.tree is None:
            top = self.unknown_prefix(path)
            return None if top is None else Unknown(top)
        node = self.tree
        for i, name in enumerate(path):
            if dynamic and name == dynamic:
                return None
            child = node.children.get(name) or node.children.get(ANY_NAME)
            if child is None:
                names = [n for n in node.children if n != ANY_NAME]
                import difflib  # Why here: most runs meet no unknown option (0.2 MiB)

                near = difflib.get_close_matches(name, names, n=1)
                return Unknown(tuple(path[: i + 1]), near=near[0] if near else None)
            if child.removed:
                return Unknown(tuple(path[: i + 1]), removed=True)
            if child.open:
                return None
            node = child
        return None

    def option_depth(self, path: Sequence[str]) -> int | None:
        """How many names of `path` name the option it defines (2 for
        `home.sessionVariables.EDITOR`, 2 for `home.file.x.text`: `home.file` is the option,
        its value a set of submodules); None where the tree does not say."""
        node = self.tree
        for i, name in enumerate(path):
            if node is None:
                return None
            node = node.children.get(name) or node.children.get(ANY_NAME)
            if node is None:
                return None
            if node.option:
                return i + 1
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
