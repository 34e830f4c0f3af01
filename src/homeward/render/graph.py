"""The import graph as text: Mermaid (the default), Graphviz DOT, or JSON. Pure.

Each format draws the same `Graph` (see `model/graph.py`): the flake on its own, then one
subgraph for "System Configuration" and one for "User Configuration", then the edges. Output
depends only on the graph, so the same repo always gives byte-identical text.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Any, assert_never

from homeward.model.graph import Graph, GraphNode, NodeKind, Side
from homeward.render.console import JSON_VERSION


class GraphFormat(StrEnum):
    MERMAID = "mermaid"
    DOT = "dot"
    JSON = "json"


_SIDES = (Side.SYSTEM, Side.USER)
_COLOURS = {Side.SYSTEM: ("#e3ecfa", "#3b5b92"), Side.USER: ("#e3f4e8", "#2f7d4a")}
FINDING_COLOUR = "#d62728"
LEGEND_SYSTEM = "System: NixOS modules"


def legend_system(graph: Graph) -> str:
    """The System side's legend: nix-darwin's modules where the flake has Macs (issue 12)."""
    groups = {n.label for n in graph.nodes if n.kind is NodeKind.GROUP}
    if "darwinConfigurations" not in groups:
        return LEGEND_SYSTEM
    if "nixosConfigurations" in groups:
        return "System: NixOS and nix-darwin modules"
    return "System: nix-darwin modules"


LEGEND_USER = "User: home-manager modules"
LEGEND_HANDOVER = "home-manager.users.USER"
LEGEND_FINDING = "finding: a host imports a user file"
_SUBGRAPH_IDS = {Side.SYSTEM: "system_configuration", Side.USER: "user_configuration"}

# -- Mermaid ------------------------------------------------------------------------------------

_MERMAID_SHAPES: dict[NodeKind, tuple[str, str]] = {
    NodeKind.FLAKE: ("[[", "]]"),  # subroutine
    NodeKind.GROUP: ("{{", "}}"),  # hexagon
    NodeKind.HOST: ("([", "])"),  # stadium
    NodeKind.HOME: ("([", "])"),
    NodeKind.FILE: ("[", "]"),
    NodeKind.INLINE: ("(", ")"),  # rounded
    NodeKind.EXTERNAL: ("[/", "/]"),  # parallelogram
    NodeKind.OPAQUE: ("[\\", "\\]"),  # a parallelogram leaning the other way
}


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: `#`, `"`, `<`, `>` as entity codes."""
    return (
        text.replace("#", "#35;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")
    )


def _mermaid_node(node: GraphNode) -> str:
    start, end = _MERMAID_SHAPES[node.kind]
    return f'{node.id}{start}"{_mermaid_text(node.label)}"{end}'


def to_mermaid(graph: Graph) -> str:
    lines = ["flowchart LR"]
    lines.extend(f"  {_mermaid_node(n)}" for n in graph.on_side(None))
    for side in _SIDES:
        members = graph.on_side(side)
        if not members:
            continue
        lines.append(f'  subgraph {_SUBGRAPH_IDS[side]} ["{side.value}"]')
        lines.extend(f"    {_mermaid_node(n)}" for n in members)
        lines.append("  end")
    if graph.nodes:
        lines.append('  subgraph legend ["Legend"]')
        lines.append(f'    legend_system["{legend_system(graph)}"]')
        lines.append(f'    legend_user["{LEGEND_USER}"]')
        lines.append(f'    legend_system -.->|"{LEGEND_HANDOVER}"| legend_user')
        if any(e.finding for e in graph.edges):
            lines.append(f'    legend_system -->|"{LEGEND_FINDING}"| legend_user')
        lines.append("  end")
    for edge in graph.edges:
        # Why: no labels on edges: at 6 hosts x 4 users the `home-manager.users.<u>` labels
        # made a black band; a dotted arrow is the hand-over, the JSON keeps the label.
        arrow = "-.->" if edge.label else "-->"
        lines.append(f"  {edge.source} {arrow} {edge.target}")
    for kind in (NodeKind.INLINE, NodeKind.EXTERNAL, NodeKind.OPAQUE):
        ids = [n.id for n in graph.nodes if n.kind is kind]
        if ids:
            lines.append(f"  classDef {kind.value} stroke-dasharray: 5 5")
            lines.append(f"  class {','.join(ids)} {kind.value}")
    for side in _SIDES:
        if graph.on_side(side):
            fill, stroke = _COLOURS[side]
            lines.append(f"  style {_SUBGRAPH_IDS[side]} fill:{fill},stroke:{stroke}")
    if graph.nodes:
        for name, side in (("legend_system", Side.SYSTEM), ("legend_user", Side.USER)):
            fill, stroke = _COLOURS[side]
            lines.append(f"  style {name} fill:{fill},stroke:{stroke}")
    finding_ids = sorted({e.target for e in graph.edges if e.finding})
    if finding_ids:
        lines.append(f"  classDef finding stroke:{FINDING_COLOUR},stroke-width:3px")
        lines.append(f"  class {','.join(finding_ids)} finding")
    marked = [i for i, e in enumerate(_all_mermaid_edges(graph)) if e]
    if marked:
        lines.append(
            f"  linkStyle {','.join(map(str, marked))} stroke:{FINDING_COLOUR},stroke-width:3px"
        )
    return "\n".join(lines) + "\n"


def legend_links(graph: Graph) -> int:
    """How many links the legend draws (Mermaid numbers links in order, legend first)."""
    return (1 + any(e.finding for e in graph.edges)) if graph.nodes else 0


def _all_mermaid_edges(graph: Graph) -> list[bool]:
    """Whether each link, in Mermaid's numbering (legend links first), is a finding."""
    legend = [False, True][: legend_links(graph)]
    return legend + [bool(e.finding) for e in graph.edges]


# -- DOT ----------------------------------------------------------------------------------------

_DOT_ATTRS: dict[NodeKind, str] = {
    NodeKind.FLAKE: "shape=folder",
    NodeKind.GROUP: "shape=hexagon",
    NodeKind.HOST: 'shape=box, style="rounded,bold"',
    NodeKind.HOME: 'shape=box, style="rounded,bold"',
    NodeKind.FILE: "shape=note",
    NodeKind.INLINE: "shape=box, style=dashed",
    NodeKind.EXTERNAL: "shape=component, style=dashed",
    NodeKind.OPAQUE: "shape=box3d, style=dotted",
}


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _dot_node(node: GraphNode, finding: bool = False) -> str:
    attrs = _DOT_ATTRS[node.kind]
    if node.files > 1:
        attrs = "shape=tab"
    if "style=" in attrs:
        # Why: the node default is `style=filled` (white on the coloured side); a node's own
        # style would replace it, so `filled` is added to it.
        attrs = attrs.replace('style="', 'style="filled,')
        for plain in ("dashed", "dotted"):
            attrs = attrs.replace(f"style={plain}", f'style="filled,{plain}"')
    if finding:
        attrs += f', color="{FINDING_COLOUR}", penwidth=2.5'
    return f"{node.id} [label={_dot_string(node.label)}, {attrs}];"


def to_dot(graph: Graph) -> str:
    lines = [
        "digraph homeward {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica", labeljust=l, nodesep=0.3, ranksep=0.6, remincross=false];',
        '  node [fontname="Helvetica", fontsize=11, style=filled, fillcolor=white];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    findings = {e.target for e in graph.edges if e.finding}
    lines.extend(f"  {_dot_node(n, n.id in findings)}" for n in graph.on_side(None))
    for side in _SIDES:
        members = graph.on_side(side)
        if not members:
            continue
        fill, stroke = _COLOURS[side]
        lines.append(f"  subgraph cluster_{_SUBGRAPH_IDS[side]} {{")
        lines.append(f"    label={_dot_string(side.value)};")
        lines.append(f'    style=filled; fillcolor="{fill}"; color="{stroke}";')
        lines.extend(f"    {_dot_node(n, n.id in findings)}" for n in members)
        configs = [n.id for n in members if n.kind in (NodeKind.HOST, NodeKind.HOME)]
        if len(configs) > 1:
            # Why: hosts top to bottom in the graph's order (host01 first); left to itself,
            # Graphviz stacks them in an order of its own. In a left-to-right layout a chain
            # of invisible edges puts its first node lowest, hence the reversed chain.
            chain = " -> ".join(reversed(configs))
            lines.append(f"    {{rank=same; {chain} [style=invis];}}")
        lines.append("  }")
    for edge in graph.edges:
        # Why: no edge labels: Graphviz put `home-manager.users.<u>` on the cluster border and
        # stacked them into a black band at 6 x 4; the hand-over is a dashed arrow (legend), its
        # label a tooltip in the SVG.
        attrs = []
        if edge.label:
            attrs += ["style=dashed", f'color="{_COLOURS[Side.USER][1]}"']
            attrs.append(f"tooltip={_dot_string(edge.label)}")
        if edge.finding:
            attrs += [f'color="{FINDING_COLOUR}"', "penwidth=2.5"]
            attrs.append(f"tooltip={_dot_string(edge.finding)}")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        lines.append(f"  {edge.source} -> {edge.target}{suffix};")
    if graph.nodes:
        lines.append(_dot_legend(bool(findings), legend_system(graph)))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_legend(findings: bool, system: str = LEGEND_SYSTEM) -> str:
    """A legend below the drawing: the two sides, the hand-over, and findings when there are."""
    sys_fill, sys_stroke = _COLOURS[Side.SYSTEM]
    user_fill, user_stroke = _COLOURS[Side.USER]
    rows = [
        f'<TR><TD BGCOLOR="{sys_fill}" COLOR="{sys_stroke}">{system}</TD></TR>',
        f'<TR><TD BGCOLOR="{user_fill}" COLOR="{user_stroke}">{LEGEND_USER}</TD></TR>',
        f'<TR><TD><FONT COLOR="{user_stroke}">- - &gt;</FONT> {LEGEND_HANDOVER}</TD></TR>',
    ]
    if findings:
        rows.append(
            f'<TR><TD><FONT COLOR="{FINDING_COLOUR}">&#8212;&gt;</FONT> {LEGEND_FINDING}</TD></TR>'
        )
    table = "".join(rows)
    return (
        "  subgraph cluster_legend {\n"
        '    label="Legend"; style=dashed; color=gray;\n'
        f'    legend [shape=plaintext, style="", label=<<TABLE BORDER="0" CELLBORDER="1" '
        f'CELLSPACING="2" CELLPADDING="4">{table}</TABLE>>];\n'
        "  }"
    )


# -- JSON ---------------------------------------------------------------------------------------


def graph_payload(graph: Graph) -> dict[str, Any]:
    return {
        "subgraphs": [side.value for side in _SIDES],
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind.value,
                "label": n.label,
                "subgraph": n.side.value if n.side is not None else None,
                "path": n.path,
                "line": n.line,
                "hosts": list(n.hosts),
            }
            for n in graph.nodes
        ],
        "edges": [
            {
                "from": e.source,
                "to": e.target,
                **({"label": e.label} if e.label else {}),
                **({"finding": e.finding} if e.finding else {}),
            }
            for e in graph.edges
        ],
    }


def to_json(graph: Graph) -> str:
    """The versioned envelope `render.console.print_json` prints, as text."""
    envelope = {"homeward": JSON_VERSION, "kind": "graph", **graph_payload(graph)}
    return json.dumps(envelope, indent=2, sort_keys=False) + "\n"


def render_graph(graph: Graph, fmt: GraphFormat) -> str:
    if fmt is GraphFormat.MERMAID:
        return to_mermaid(graph)
    if fmt is GraphFormat.DOT:
        return to_dot(graph)
    if fmt is GraphFormat.JSON:
        return to_json(graph)
    assert_never(fmt)
