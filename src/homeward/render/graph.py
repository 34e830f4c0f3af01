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
    for edge in graph.edges:
        label = f'|"{_mermaid_text(edge.label)}"|' if edge.label else ""
        lines.append(f"  {edge.source} -->{label} {edge.target}")
    for kind in (NodeKind.INLINE, NodeKind.EXTERNAL, NodeKind.OPAQUE):
        ids = [n.id for n in graph.nodes if n.kind is kind]
        if ids:
            lines.append(f"  classDef {kind.value} stroke-dasharray: 5 5")
            lines.append(f"  class {','.join(ids)} {kind.value}")
    return "\n".join(lines) + "\n"


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


def _dot_node(node: GraphNode) -> str:
    return f"{node.id} [label={_dot_string(node.label)}, {_DOT_ATTRS[node.kind]}];"


def to_dot(graph: Graph) -> str:
    lines = [
        "digraph homeward {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica"];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    lines.extend(f"  {_dot_node(n)}" for n in graph.on_side(None))
    for side in _SIDES:
        members = graph.on_side(side)
        if not members:
            continue
        lines.append(f"  subgraph cluster_{_SUBGRAPH_IDS[side]} {{")
        lines.append(f"    label={_dot_string(side.value)};")
        lines.extend(f"    {_dot_node(n)}" for n in members)
        lines.append("  }")
    for edge in graph.edges:
        label = f" [label={_dot_string(edge.label)}]" if edge.label else ""
        lines.append(f"  {edge.source} -> {edge.target}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


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
            {"from": e.source, "to": e.target, **({"label": e.label} if e.label else {})}
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
