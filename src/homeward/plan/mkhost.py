"""One `mkHost` helper instead of repeated `nixosSystem` calls (issue 14 item 17). Pure.

`add host` writes each new host as a copy of the whole call, home-manager block included (4
hosts and 2 users made a 125-line flake.nix). When the hosts' calls in flake.nix are the same
call but for the host's directory, they can be one helper:

    let
      mkHost =
        name:
        nixpkgs.lib.nixosSystem { modules = [ ./hosts/${name} ... ]; };
    in
    { nixosConfigurations = nixpkgs.lib.genAttrs [ "desk" "laptop" ] mkHost; ... }

which homeward reads as it reads any helper, and to which a later `add host` only adds the
name. This module says whether the calls are alike (comments and layout aside) and writes the
spans that introduce the helper; `add host --mkhost` applies them, plain `add host` offers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeward.syntax.edit import Span, indent_at, reindent, removal
from homeward.syntax.emit import quote_string
from homeward.syntax.nodes import node_text

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.repo import SystemConfig
    from homeward.syntax.parse import Source

HELPER = "mkHost"


@dataclass(frozen=True, slots=True)
class Entry:
    """A host written as its own call in flake.nix: `nixosConfigurations.<h> = <call>;`."""

    name: str
    binding: Node  # the binding to replace
    call: Node


def _generalized(code: str, name: str) -> str:
    """The call with its host's directory made `${name}`, without comments or layout."""
    code = re.sub(r"#[^\n]*", "", code)
    code = re.sub(r"/\*.*?\*/", "", code, flags=re.DOTALL)
    code = re.sub(rf"\./hosts/{re.escape(name)}(?=[/;\s\]]|$)", "./hosts/${name}", code)
    return " ".join(code.split())


def host_entries(flake: Source, container: Node, hosts: list[SystemConfig]) -> list[Entry] | str:
    """The hosts' dotted entries in the outputs set, or why a helper cannot replace them."""
    text = flake.text
    entries: list[Entry] = []
    for host in hosts:
        call = host.call.node
        if host.kind != "nixos" or call is None or host.call.source is not flake:
            return f"`{host.name}` is not written as its own `nixosSystem` call in flake.nix"
        binding = call.parent
        while binding is not None and binding.type == "parenthesized_expression":
            binding = binding.parent
        path = binding.child_by_field_name("attrpath") if binding is not None else None
        if (
            binding is None
            or binding.type != "binding"
            or binding.parent is None
            or binding.parent.parent != container
            or path is None
            or node_text(path, text).split(".") != ["nixosConfigurations", host.name]
        ):
            return f"`{host.name}` is not written as `nixosConfigurations.{host.name} = ...`"
        entries.append(Entry(host.name, binding, call))
    if len({e.call.start_byte for e in entries}) != len(entries):
        return "the hosts already share one call"
    return entries


def alike(flake: Source, entries: list[Entry], name: str, call: str) -> str:
    """Why the calls differ (empty when they are one call but for the host's directory)."""
    want = _generalized(call, name)
    for e in entries:
        if _generalized(node_text(e.call, flake.text), e.name) != want:
            return f"`{e.name}`'s call differs from the one `add host` writes"
    return ""


def helper_spans(
    flake: Source, container: Node, entries: list[Entry], name: str, lib: str
) -> list[Span]:
    """Replace the entries by `nixosConfigurations = <lib>.genAttrs [ ... ] mkHost;` and bind
    `mkHost` in a `let` around the outputs set; the helper is the first entry's call, comments
    kept, its directory made `./hosts/${name}`."""
    text = flake.text
    first = entries[0]
    code = node_text(first.call, text)
    code = re.sub(rf"\./hosts/{re.escape(first.name)}(?=[/;\s\]]|$)", "./hosts/${name}", code)
    code = reindent(code, indent_at(text, first.binding.start_byte), "")
    names = " ".join(quote_string(n) for n in [*(e.name for e in entries), name])
    spans = [
        Span(
            first.binding.start_byte,
            first.binding.end_byte,
            f"nixosConfigurations = {lib}.genAttrs [ {names} ] {HELPER};".encode(),
        )
    ]
    spans.extend(removal(e.binding, text) for e in entries[1:])
    outer = container
    while outer.parent is not None and outer.parent.type == "parenthesized_expression":
        outer = outer.parent
    ind = indent_at(text, outer.start_byte)
    helper = f"{HELPER} =\n  name:\n  {_indent(code)};"
    body = "\n".join(f"{ind}  {line}" if line else "" for line in helper.split("\n"))
    spans.append(Span(outer.start_byte, outer.start_byte, f"let\n{body}\n{ind}in\n{ind}".encode()))
    return spans


def _indent(code: str) -> str:
    return code.replace("\n", "\n  ")
