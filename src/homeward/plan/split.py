"""Option groups split between the layers (a login shell, issue 13). Pure.

NixOS `programs.zsh` is the login shell (`users.users.<u>.shell = pkgs.zsh` asserts its
`enable`) and writes /etc/zshrc for every user; its interactive settings (aliases, oh-my-zsh,
plugins, init, history size) have exact home-manager counterparts in ~/.zshrc. Such a group is
split: the names the row `split`s stay NixOS options, `copied` ones (`enable`) are written on
both sides, and the rest moves. These helpers say which definitions go where and which text
each side leaves out; the planner places them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeward.knowledge.mapping import Row, Verdict
from homeward.plan.chunks import CannotMove, Chunk, Needs, covering_step
from homeward.syntax.nodes import unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.find import Definition


def split_row(verdicts: list[Verdict]) -> Row | None:
    """The split row a group of definitions falls under, if any."""
    for verdict in verdicts:
        if verdict.row is not None and verdict.row.split:
            return verdict.row
    return None


@dataclass(frozen=True, slots=True)
class Split:
    """Where each definition of a split group goes."""

    home: tuple[Definition, ...]  # to home-manager, in source order (copied ones included)
    moved: tuple[Definition, ...]  # leave the NixOS side (not copied)
    stay: tuple[Definition, ...]  # stay NixOS options (copied ones included)
    left_out: tuple[Node, ...]  # bindings of names that stay, to leave out of the moved text


def split_group(row: Row, defs: list[Definition]) -> Split | None:
    """The split of a group; None when nothing of it moves, or when it is not written as
    bindings below the group's names (`programs.zsh = import ./zsh.nix;`)."""
    n = len(row.nixos)
    if any(len(d.path) <= n for d in defs):
        return None
    moved = tuple(d for d in defs if not row.stays(d.path))
    if not moved:
        return None
    stay = tuple(d for d in defs if row.stays(d.path))
    try:
        left_out = tuple(
            _unique(d.steps[covering_step(d, n + 1)].node for d in stay if d.path[n] in row.split)
        )
    except CannotMove:
        return None
    home = tuple(d for d in defs if d.path[n] not in row.split)
    return Split(home, moved, stay, left_out)


def moved_bindings(row: Row, split: Split) -> list[Node]:
    """The bindings the NixOS side loses: one per name below the group that moved."""
    n = len(row.nixos)
    return _unique(d.steps[covering_step(d, n + 1)].node for d in split.moved)


def prompt_kept(row: Row, split: Split) -> Chunk | None:
    """NixOS's oh-my-zsh turns NixOS's own prompt off (`promptInit = mkDefault ""`); once
    oh-my-zsh runs from ~/.zshrc the system side must still do that, or /etc/zshrc would set its
    default prompt first. None when nothing is needed (no oh-my-zsh moved, or the group sets
    `promptInit` itself, which then stays)."""
    n = len(row.nixos)
    if row.nixos != ("programs", "zsh"):
        return None
    if any(d.path[n] == "promptInit" for d in split.stay):
        return None
    enables = [d for d in split.moved if d.path[n:] == ("ohMyZsh", "enable")]
    if not enables:
        return None
    enable = enables[0]
    code = (
        "# NixOS's oh-my-zsh turned NixOS's own prompt off; it runs from home-manager now.\n"
        'programs.zsh.promptInit = lib.mkDefault "";'
    )
    return Chunk(("programs", "zsh", "promptInit"), code, Needs(args={"lib"}), [], enable.binding)


# Completion stays NixOS's: /etc/zshrc runs compinit (or not: `enableCompletion`,
# `enableGlobalCompInit` stay NixOS options) over every profile's completions, the user's
# included; home-manager's own default (on) would run it again from ~/.zshrc (HM-FACTS
# pitfall 9), or turn it on where NixOS had it off.
COMPLETION = (
    "# completion stays NixOS's (/etc/zshrc runs compinit, or not, as it did).\n"
    "programs.zsh.enableCompletion = false;"
)


def completion_line(row: Row) -> str | None:
    """What home-manager's side of a split zsh group adds (None for other shells)."""
    return COMPLETION if row.nixos == ("programs", "zsh") else None


def odd_oh_my_zsh(row: Row, split: Split) -> Definition | None:
    """An `ohMyZsh.enable` that is not a plain `true`: the prompt the system side keeps off
    would depend on it (issue 13 keeps such a group NixOS rather than guess)."""
    n = len(row.nixos)
    for d in split.moved:
        if d.path[n:] == ("ohMyZsh", "enable"):
            value = unparen(d.value)
            if d.conditions or d.source.text[value.start_byte : value.end_byte] != b"true":
                return d
    return None


def _unique(nodes: Iterable[Node]) -> list[Node]:
    seen: set[tuple[int, int]] = set()
    out: list[Node] = []
    for node in nodes:
        key = (node.start_byte, node.end_byte)
        if key not in seen:
            seen.add(key)
            out.append(node)
    return out
