"""`homeward graph`: the module import graph, System vs User configuration.

Text goes to stdout (Mermaid by default, `--format dot|json`), or to `-o FILE`: `.mmd`/`.dot`/
`.gv`/`.json` choose the text format by extension; `.svg`/`.png` are drawn by Graphviz `dot`.
What homeward cannot follow (a computed import, a missing or unreadable file) is drawn as an
opaque module and named on stderr; exit 3 only when no host at all can be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from homeward import proc
from homeward.errors import HomewardError, Location, UsageError
from homeward.model.graph import (
    Graph,
    GraphEdge,
    GraphNode,
    NodeKind,
    Side,
    build_graph,
    filter_graph,
    natural_key,
    summarize,
)
from homeward.model.repo import load_repo
from homeward.render.console import err, out
from homeward.render.graph import GraphFormat, legend_links, render_graph, to_dot

_TEXT_SUFFIXES = {
    ".mmd": GraphFormat.MERMAID,
    ".mermaid": GraphFormat.MERMAID,
    ".dot": GraphFormat.DOT,
    ".gv": GraphFormat.DOT,
    ".json": GraphFormat.JSON,
}
_IMAGE_SUFFIXES = {".svg": "svg", ".png": "png"}
DOT_TIMEOUT = 120.0
MERMAID_MAX_TEXT = 50_000  # Mermaid's default maxTextSize
MERMAID_MAX_EDGES = 500  # Mermaid's default maxEdges


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    format: str | None = None  # None: Mermaid on stdout, or as -o FILE's extension says
    output: Path | None = None
    host: str | None = None  # comma-separated
    user: str | None = None  # comma-separated
    depth: int | None = None
    summary: bool = False
    no_cache: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    """What could not be read, said on stderr beside the graph."""

    message: str
    at: Location | None


@dataclass(frozen=True, slots=True)
class Drawn:
    """What `graph` found: the whole graph (before --host, --user, --depth, --summary) and
    its notes; the result the cache keeps (homeward/apply/cache.py)."""

    notes: tuple[Note, ...]
    graph: Graph


def run(opts: Options) -> int:
    drawn = _drawn(opts)
    # What could not be read is drawn as opaque modules, and named here
    # (docs/architecture.md, rule 9).
    for note in drawn.notes:
        where = f"{_shown(opts.dir, note.at)}: " if note.at is not None else ""
        err(f"homeward: note: {where}{note.message}")
    graph = view(drawn.graph, opts)
    if opts.output is None:
        fmt = GraphFormat(opts.format or "mermaid")
        text = render_graph(graph, fmt)
        if fmt is GraphFormat.MERMAID:
            warn_mermaid_limits(text, graph)
        out(text.rstrip("\n"))
        return 0
    suffix = opts.output.suffix.lower()
    if suffix in _IMAGE_SUFFIXES:
        if opts.format is not None:
            raise _conflict(opts.format, opts.output)
        data = render_image(to_dot(graph), _IMAGE_SUFFIXES[suffix])
    elif suffix in _TEXT_SUFFIXES:
        fmt = _TEXT_SUFFIXES[suffix]
        if opts.format is not None and GraphFormat(opts.format) is not fmt:
            raise _conflict(opts.format, opts.output)
        text = render_graph(graph, fmt)
        if fmt is GraphFormat.MERMAID:
            warn_mermaid_limits(text, graph)
        data = text.encode()
    else:
        raise UsageError(
            f"cannot tell what to write to `{opts.output}` from its extension",
            hint="use .svg or .png (drawn by Graphviz), .mmd (Mermaid), .dot or .gv (DOT), "
            "or .json",
        )
    from homeward.apply.write import write_output  # Why here: drawing to stdout writes no file

    write_output(opts.output, data)
    out(f"wrote {opts.output} ({len(graph.nodes)} nodes, {len(graph.edges)} edges)")
    return 0


def _drawn(opts: Options) -> Drawn:
    """The graph of the configuration; that of the last run when nothing it depends on
    changed (the views and the formats are made from it afresh)."""
    from homeward.apply import cache

    def read() -> Drawn:
        repo = load_repo(opts.dir, reusable=False)
        repo.fatal()
        notes = tuple(Note(p.message, p.at) for p in repo.problems)
        return Drawn(notes, build_graph(repo))

    return cache.cached("graph", opts.dir, {}, read, _to_data, _from_data, no_cache=opts.no_cache)


NODE_FIELDS = ("id", "kind", "label", "side", "path", "line", "hosts", "files")
EDGE_FIELDS = ("source", "target", "label", "finding")


def _to_data(drawn: Drawn) -> object:
    """`Drawn` as JSON data, a row per node and edge (NODE_FIELDS, EDGE_FIELDS). Why not
    `cache.to_data`: at 200 hosts its value per field took 0.045 s of the first run's 1.2 s."""
    from homeward.apply import cache

    return {
        "notes": cache.to_data(drawn.notes),
        "nodes": [
            [n.id, n.kind.value, n.label, n.side and n.side.value, n.path, n.line, n.hosts, n.files]
            for n in drawn.graph.nodes
        ],
        "edges": [[e.source, e.target, e.label, e.finding] for e in drawn.graph.edges],
    }


def _from_data(data: object) -> Drawn:
    """`_to_data`'s data back (TypeError, ValueError or KeyError when it is not that)."""
    from homeward.apply import cache

    if not isinstance(data, dict):
        raise TypeError("not a kept graph")
    notes = cache.from_data(data["notes"], {"Note": Note, "Location": Location})
    hosts: dict[tuple[str, ...], tuple[str, ...]] = {}  # the same few, made once
    kinds = {k.value: k for k in NodeKind}
    sides: dict[str | None, Side | None] = {s.value: s for s in Side}
    sides[None] = None
    nodes = []
    for id_, kind, label, side, path, line, names, files in data["nodes"]:
        found = tuple(names)
        if not (
            type(id_) is str
            and type(label) is str
            and (path is None or type(path) is str)
            and (line is None or type(line) is int)
            and type(files) is int
            and all(type(name) is str for name in found)
        ):
            raise TypeError("not a kept graph")
        found = hosts.setdefault(found, found)
        nodes.append(GraphNode(id_, kinds[kind], label, sides[side], path, line, found, files))
    edges = tuple(GraphEdge(*edge) for edge in data["edges"])
    if not all(
        isinstance(part, str) for e in edges for part in (e.source, e.target, e.label, e.finding)
    ):
        raise TypeError("not a kept graph")
    if not isinstance(notes, tuple) or not all(isinstance(n, Note) for n in notes):
        raise TypeError("not a kept graph")
    return Drawn(notes, Graph(tuple(nodes), edges))


def _shown(directory: Path, at: Location) -> Location:
    return at if at.path.is_absolute() else Location(directory / at.path, at.line, at.col)


def _names(value: str | None) -> frozenset[str] | None:
    if value is None:
        return None
    return frozenset(v.strip() for v in value.split(",") if v.strip())


def view(graph: Graph, opts: Options) -> Graph:
    """The graph as --host/--user/--depth/--summary ask; unknown names are usage errors."""
    hosts, users = _names(opts.host), _names(opts.user)
    configs = {n.label for n in graph.nodes if n.kind in (NodeKind.HOST, NodeKind.HOME)}
    known_hosts = {n.label for n in graph.nodes if n.kind is NodeKind.HOST}
    known_hosts |= {c.split("@", 1)[1] for c in configs if "@" in c}
    known_users = {c.split("@", 1)[0] for c in configs if "@" in c}
    known_users |= {
        e.label.removeprefix("home-manager.users.")
        for e in graph.edges
        if e.label.startswith("home-manager.users.")
    }
    for wanted, known, what in ((hosts, known_hosts, "host"), (users, known_users, "user")):
        unknown = sorted((wanted or frozenset()) - known)
        if unknown:
            raise UsageError(
                f"the flake has no {what} `{unknown[0]}`",
                hint=f"{what}s in this flake: "
                + (", ".join(f"`{k}`" for k in sorted(known, key=natural_key)) or "none"),
            )
    if opts.depth is not None and opts.depth < 1:
        raise UsageError("--depth must be 1 or more (1: the modules each output lists)")
    if hosts is not None or users is not None or opts.depth is not None:
        graph = filter_graph(graph, hosts=hosts, users=users, depth=opts.depth)
    if opts.summary:
        graph = summarize(graph)
    return graph


def warn_mermaid_limits(text: str, graph: Graph) -> None:
    """Say so when Mermaid (and so GitHub) would refuse to draw the text."""
    problem = mermaid_limit_problem(text, graph)
    if problem:
        err(
            f"homeward: warning: {problem}; GitHub and Mermaid's defaults will not draw it\n"
            "  hint: draw a part (--host, --user, --depth N), collapse directories with "
            "--summary, or draw an SVG with `-o graph.svg`"
        )


def mermaid_limit_problem(text: str, graph: Graph) -> str | None:
    size, edges = len(text), len(graph.edges) + legend_links(graph)
    if size > MERMAID_MAX_TEXT:
        return f"the Mermaid text is {size:,} characters, above Mermaid's maxTextSize {MERMAID_MAX_TEXT:,}"
    if edges > MERMAID_MAX_EDGES:
        return f"the graph has {edges:,} edges, above Mermaid's maxEdges {MERMAID_MAX_EDGES}"
    return None


def _conflict(fmt: str, output: Path) -> UsageError:
    return UsageError(
        f"--format {fmt} does not match the extension of `{output}`",
        hint="leave out --format: the extension of -o chooses what is written",
    )


def render_image(dot_text: str, image_format: str) -> bytes:
    """Draw DOT text with Graphviz; a clear error when `dot` is missing or fails."""
    dot = proc.which("dot")
    if dot is None:
        raise HomewardError(
            f"Graphviz `dot` is not installed; it is needed to draw a .{image_format}",
            hint="run it with Graphviz at hand: `nix shell nixpkgs#graphviz -c homeward graph "
            f"-o graph.{image_format}`, or write text with `-o graph.dot` or `-o graph.mmd`",
        )
    # The image comes back on stdout: no scratch file (writing is apply's alone).
    p = proc.run([dot, f"-T{image_format}"], stdin=dot_text, timeout=DOT_TIMEOUT)
    if not p.ok or not p.raw:
        raise HomewardError(
            f"Graphviz `dot` failed (exit {p.returncode}): {proc.tail(p.stderr, 5)}",
            hint="write the DOT text with `-o graph.dot` and check it with `dot` yourself",
        )
    return p.raw
