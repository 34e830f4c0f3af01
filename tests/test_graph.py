"""`homeward graph`: every host of every flake shape, System vs User, exact output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.graph import Graph, GraphEdge, GraphNode, NodeKind, Side, build_graph
from homeward.model.repo import load_repo
from homeward.render.graph import GraphFormat, render_graph
from tests.conftest import EXAMPLE, FIXTURES

GRAPH = FIXTURES / "graph"
EXPECTED = GRAPH / "expected"
UPDATE = os.environ.get("HOMEWARD_UPDATE_GOLDENS") == "1"

# case -> (nixosConfigurations names, homeConfigurations names)
CASES: dict[str, tuple[list[str], list[str]]] = {
    "legacy": (["nixos-desk"], []),
    "mkhost": (["desk", "laptop"], []),
    "flake-parts": (["box", "laptop"], []),
    "genattrs": (["a", "b"], []),
    "listtoattrs": (["alpha", "beta", "gamma"], []),
    "letlib": (["desk"], ["ham"]),
    "dotted": (["server", "work-box"], ["ham@work-box"]),
    "readdir": (["one", "two"], []),
    "scaffold": (["desk"], ["ham@desk"]),
}
SUFFIX = {GraphFormat.MERMAID: "mmd", GraphFormat.DOT: "dot", GraphFormat.JSON: "json"}


def case_dir(case: str) -> Path:
    """A fixture repo; `legacy` is the bundled example itself, so the two cannot drift."""
    return EXAMPLE if case == "legacy" else GRAPH / case


def graph_of(case: str) -> Graph:
    repo = load_repo(case_dir(case))
    repo.fatal()
    return build_graph(repo)


def labels(graph: Graph, kind: NodeKind) -> list[str]:
    return [n.label for n in graph.nodes if n.kind is kind]


def edges(graph: Graph) -> set[tuple[str, str]]:
    return {(graph.node(e.source).label, graph.node(e.target).label) for e in graph.edges}


def test_every_case_has_a_fixture() -> None:
    found = {p.name for p in GRAPH.iterdir() if p.is_dir() and p.name != "expected"}
    assert sorted(CASES) == sorted(found | {"legacy"})
    assert all(case_dir(case).is_dir() for case in CASES)


@pytest.mark.parametrize("case", sorted(CASES), ids=str)
def test_graph_finds_every_host(case: str) -> None:
    """Why: real flakes build hosts directly, through helpers, genAttrs, listToAttrs, readDir
    scans, a let-bound `lib // home-manager.lib`, and flake-parts; the graph must show all."""
    graph = graph_of(case)
    hosts, homes = CASES[case]
    assert labels(graph, NodeKind.HOST) == hosts
    assert labels(graph, NodeKind.HOME) == homes
    # every node except the flake is reachable from the flake
    reached = {graph.nodes[0].id}
    changed = True
    while changed:
        changed = False
        for e in graph.edges:
            if e.source in reached and e.target not in reached:
                reached.add(e.target)
                changed = True
    assert reached == {n.id for n in graph.nodes}
    assert len({n.id for n in graph.nodes}) == len(graph.nodes)


def test_graph_of_the_example_finds_its_host() -> None:
    assert labels(build_graph(load_repo(EXAMPLE)), NodeKind.HOST) == ["nixos-desk"]


def test_mkhost_shares_modules_and_hands_over_to_home_manager() -> None:
    graph = graph_of("mkhost")
    assert ("desk", "hosts/desk/default.nix") in edges(graph)
    assert ("laptop", "hosts/laptop/default.nix") in edges(graph)
    assert ("desk", "modules/common.nix") in edges(graph)
    assert ("laptop", "modules/common.nix") in edges(graph)
    common = next(n for n in graph.nodes if n.label == "modules/common.nix")
    assert common.hosts == ("desk", "laptop")
    [handover] = [e for e in graph.edges if e.label]
    assert (graph.node(handover.source).label, graph.node(handover.target).label) == (
        "modules/common.nix",
        "home/ham/default.nix",
    )
    assert handover.label == "home-manager.users.ham"
    # one node for an external module used by both hosts
    assert labels(graph, NodeKind.EXTERNAL) == [
        "home-manager.nixosModules.home-manager",
        "modulesPath/installer/scan/not-detected.nix",
    ]


def test_sides_of_the_scaffold() -> None:
    """Why: the graph's point is to show what is system and what is user configuration."""
    graph = graph_of("scaffold")
    side = {n.label: n.side for n in graph.nodes}
    assert side["flake.nix"] is None
    assert side["nixosConfigurations"] is Side.SYSTEM
    assert side["homeConfigurations"] is Side.USER
    assert side["desk"] is Side.SYSTEM
    assert side["ham@desk"] is Side.USER
    assert side["home-manager.nixosModules.home-manager"] is Side.SYSTEM
    for label in ("home/ham/default.nix", "home/ham/features/cli.nix"):
        assert side[label] is Side.USER
    for label in ("hosts/desk/default.nix", "modules/system/users.nix"):
        assert side[label] is Side.SYSTEM
    [inline] = [n for n in graph.nodes if n.kind is NodeKind.INLINE]
    assert (inline.path, inline.line, inline.side) == ("flake.nix", 20, Side.SYSTEM)


def test_a_nixos_module_under_home_is_drawn_on_the_user_side() -> None:
    """Why: `home/ham.nix` of the example is still a NixOS module; the layout puts it on the
    user side, which is where the graph shows it (and where `check` finds it misplaced)."""
    graph = graph_of("legacy")
    [ham] = [n for n in graph.nodes if n.label == "home/ham.nix"]
    assert ham.side is Side.USER


def test_flake_parts_module_files_are_followed() -> None:
    graph = graph_of("flake-parts")
    assert ("box", "hosts/box/configuration.nix") in edges(graph)
    assert ("laptop", "hosts/laptop/default.nix") in edges(graph)


def test_output_is_deterministic() -> None:
    first = render_graph(graph_of("mkhost"), GraphFormat.MERMAID)
    assert all(render_graph(graph_of("mkhost"), GraphFormat.MERMAID) == first for _ in range(3))


@pytest.mark.parametrize("case", ["legacy", "scaffold"], ids=str)
@pytest.mark.parametrize("fmt", list(GraphFormat), ids=str)
def test_exact_output(
    case: str, fmt: GraphFormat, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Why: the graph text is an interface (README, CI diagrams); changes must be deliberate.
    HOMEWARD_UPDATE_GOLDENS=1 rewrites the expected files."""
    # A copy elsewhere: the output must not depend on where the repo is.
    work = shutil.copytree(case_dir(case), tmp_path / "somewhere" / case)
    assert main(["graph", str(work), "--format", fmt.value]) == 0
    got = capsys.readouterr().out
    expected_file = EXPECTED / f"{case}.{SUFFIX[fmt]}"
    if UPDATE:
        expected_file.write_text(got)
    assert got == expected_file.read_text()
    if fmt is GraphFormat.JSON:
        data = json.loads(got)
        assert (data["homeward"], data["kind"]) == (1, "graph")


def test_output_files_by_extension(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for suffix in ("mmd", "dot", "json"):
        target = tmp_path / f"out.{suffix}"
        assert main(["graph", str(EXAMPLE), "-o", str(target)]) == 0
        assert target.read_text() == (EXPECTED / f"legacy.{suffix}").read_text()
    assert "wrote" in capsys.readouterr().out


def test_output_into_a_missing_directory_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["graph", str(EXAMPLE), "-o", str(tmp_path / "no" / "g.mmd")]) == 2
    assert "does not exist" in capsys.readouterr().err


@pytest.mark.graphviz
def test_dot_output_renders_with_graphviz(tmp_path: Path) -> None:
    """Why: DOT we cannot draw is useless; run the real `dot` on it."""
    for case in sorted(CASES):
        text = render_graph(graph_of(case), GraphFormat.DOT)
        p = subprocess.run(
            ["dot", "-Tsvg"], input=text, capture_output=True, text=True, check=False, timeout=60
        )
        assert p.returncode == 0, f"{case}: {p.stderr}"
        assert "<svg" in p.stdout
        assert "System Configuration" in p.stdout


@pytest.mark.graphviz
def test_svg_and_png_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    svg = tmp_path / "graph.svg"
    assert main(["graph", str(GRAPH / "scaffold"), "-o", str(svg)]) == 0
    text = svg.read_text()
    assert "<svg" in text and "home/ham/default.nix" in text and "User Configuration" in text
    png = tmp_path / "graph.png"
    assert main(["graph", str(GRAPH / "scaffold"), "-o", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert f"wrote {svg}" in capsys.readouterr().out


def test_svg_without_graphviz_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` on it
    svg = tmp_path / "graph.svg"
    assert main(["graph", str(EXAMPLE), "-o", str(svg)]) == 3
    err = capsys.readouterr().err
    assert "Graphviz `dot` is not installed" in err
    assert "hint:" in err
    assert not svg.exists()


def test_labels_are_escaped() -> None:
    """Why: attribute names may hold any character; a label must never break the syntax."""
    graph = Graph(
        (
            GraphNode("flake", NodeKind.FLAKE, "flake.nix", None),
            GraphNode("host_x", NodeKind.HOST, 'we"ird #1 <x> \\ y', Side.SYSTEM),
        ),
        (GraphEdge("flake", "host_x", 'a"b'),),
    )
    mermaid = render_graph(graph, GraphFormat.MERMAID)
    assert 'host_x(["we#quot;ird #35;1 #lt;x#gt; \\ y"])' in mermaid
    # Edge labels are not drawn (issue 14: they piled up on cluster borders): a dotted arrow in
    # Mermaid, a dashed one with the label as its SVG tooltip in DOT.
    assert "flake -.-> host_x" in mermaid
    dot = render_graph(graph, GraphFormat.DOT)
    assert 'host_x [label="we\\"ird #1 <x> \\\\ y"' in dot
    assert 'tooltip="a\\"b"' in dot
    assert json.loads(render_graph(graph, GraphFormat.JSON))["nodes"][1]["label"] == (
        'we"ird #1 <x> \\ y'
    )
