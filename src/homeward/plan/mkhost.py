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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeward.syntax import emit as nix
from homeward.syntax.edit import (
    Span,
    from_unit,
    in_unit,
    indent_at,
    indent_unit,
    reindent,
    removal,
)
from homeward.syntax.nodes import node_text
from homeward.syntax.parse import parse_tree

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.repo import SystemConfig
    from homeward.syntax.parse import Source

HELPER = "mkHost"


@dataclass(frozen=True, slots=True)
class Entry:
    """A host written as its own call in flake.nix: `nixosConfigurations.<h> = <call>;`, or
    `<h> = <call>;` in a `nixosConfigurations = { … };` set (`group`, that binding)."""

    name: str
    binding: Node  # the binding to replace
    call: Node
    group: Node | None = None


def _host_dir(path: str, name: str) -> str:
    """A path literal with the host's directory made `${name}`: `./hosts/desk/x.nix` ->
    `./hosts/${name}/x.nix`; any other path as it is."""
    prefix = f"./hosts/{name}"
    if path == prefix or path.startswith(prefix + "/"):
        return "./hosts/${name}" + path[len(prefix) :]
    return path


def _generalized(call: Node, text: bytes, name: str) -> list[str]:
    """The call's tokens, its host's directory made `${name}`: the call without comments or
    layout, read from the tree (a `#` in a string is no comment)."""
    tokens: list[str] = []
    stack = [call]
    while stack:
        node = stack.pop()
        if node.type == "comment":
            continue
        if node.type == "path_expression" or not node.children:
            tokens.append(_host_dir(node_text(node, text), name))
        else:
            stack.extend(reversed(node.children))
    return tokens


def _with_host_dir(call: Node, text: bytes, name: str) -> str:
    """The call's text with its host's directory made `${name}` in its path literals."""
    spans: list[Span] = []
    stack = [call]
    while stack:
        node = stack.pop()
        if node.type == "path_expression":
            path = node_text(node, text)
            if (general := _host_dir(path, name)) != path:
                spans.append(Span(node.start_byte, node.end_byte, general.encode()))
        else:
            stack.extend(node.children)
    code = text[call.start_byte : call.end_byte]
    for span in sorted(spans, key=lambda s: s.start_byte, reverse=True):
        start, end = span.start_byte - call.start_byte, span.end_byte - call.start_byte
        code = code[:start] + span.new + code[end:]
    return code.decode()


def _outer_binding(call: Node) -> Node | None:
    binding = call.parent
    while binding is not None and binding.type == "parenthesized_expression":
        binding = binding.parent
    return binding if binding is not None and binding.type == "binding" else None


def _attrpath(binding: Node, text: bytes) -> list[str]:
    path = binding.child_by_field_name("attrpath")
    return node_text(path, text).split(".") if path is not None else []


def _entry(flake: Source, container: Node, host: SystemConfig) -> Entry | str:
    text = flake.text
    call = host.call.node
    if host.kind != "nixos" or call is None or host.call.source is not flake:
        return f"`{host.name}` is not written as its own `nixosSystem` call in flake.nix"
    refused = f"`{host.name}` is not written as `nixosConfigurations.{host.name} = ...`"
    binding = _outer_binding(call)
    if binding is None or binding.parent is None:
        return refused
    if binding.parent.parent == container:
        if _attrpath(binding, text) != ["nixosConfigurations", host.name]:
            return refused
        return Entry(host.name, binding, call)
    # `nixosConfigurations = { <h> = …; };`: the set is the value of a binding of the outputs.
    nested = binding.parent.parent
    group = nested.parent if nested is not None else None
    if (
        nested is None
        or nested.type != "attrset_expression"
        or group is None
        or group.type != "binding"
        or group.parent is None
        or group.parent.parent != container
        or _attrpath(group, text) != ["nixosConfigurations"]
        or _attrpath(binding, text) != [host.name]
    ):
        return refused
    return Entry(host.name, binding, call, group)


def host_entries(flake: Source, container: Node, hosts: list[SystemConfig]) -> list[Entry] | str:
    """The hosts' entries in the outputs set, dotted or in one nested set, or why a helper
    cannot replace them."""
    entries: list[Entry] = []
    for host in hosts:
        entry = _entry(flake, container, host)
        if isinstance(entry, str):
            return entry
        entries.append(entry)
    if len({e.call.start_byte for e in entries}) != len(entries):
        return "the hosts already share one call"
    groups = {e.group.start_byte if e.group is not None else None for e in entries}
    if len(groups) != 1:
        return "the hosts are written partly as `nixosConfigurations.<host>`, partly in a set"
    group = entries[0].group
    if group is not None:
        value = group.child_by_field_name("expression")
        held = [
            b
            for b in (value.named_children if value is not None else [])
            if b.type == "binding_set"
        ]
        count = sum(1 for bs in held for b in bs.named_children if b.type in ("binding", "inherit"))
        if count != len(entries):
            return "`nixosConfigurations = { … }` holds more than the hosts' calls"
    return entries


def alike(flake: Source, entries: list[Entry], name: str, call: str) -> str:
    """Why the calls differ (empty when they are one call but for the host's directory)."""
    written = call.encode()
    want = _generalized(parse_tree(written).root_node, written, name)
    for e in entries:
        if _generalized(e.call, flake.text, e.name) != want:
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
    code = _with_host_dir(first.call, text, first.name)
    unit = indent_unit(text)
    code = from_unit(reindent(code, indent_at(text, first.binding.start_byte), ""), unit)
    names = nix.List([*(e.name for e in entries), name], expand=False)
    hosts = nix.Call(f"{lib}.genAttrs", [names, nix.Raw(HELPER)])
    generated = nix.emit_binding("nixosConfigurations", hosts).encode()
    if first.group is not None:  # the whole `nixosConfigurations = { … };` set
        spans = [Span(first.group.start_byte, first.group.end_byte, generated)]
    else:
        spans = [Span(first.binding.start_byte, first.binding.end_byte, generated)]
        spans.extend(removal(e.binding, text) for e in entries[1:])
    outer = container
    while outer.parent is not None and outer.parent.type == "parenthesized_expression":
        outer = outer.parent
    ind = indent_at(text, outer.start_byte)
    # `let mkHost = name: <call>; in` before the outputs set (an empty body: the set's own).
    helper = nix.Let(nix.Attrs([(HELPER, nix.Func("name", nix.Raw(code)))]), nix.Raw(""))
    let = reindent(in_unit(nix.emit(helper), unit), "", ind)  # in the file's own style
    spans.append(Span(outer.start_byte, outer.start_byte, let.encode()))
    return spans
