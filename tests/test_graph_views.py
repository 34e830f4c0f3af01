"""`homeward graph` stays readable as a fleet grows (issue 14, Graph): filters, a summary,
colours with a legend, findings marked, hosts in order, no edge labels on cluster borders, and
a warning above Mermaid's limits. The fleets are made by homeward itself (`init`, `add`)."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from homeward.cli import main
from homeward.commands.graph import mermaid_limit_problem
from homeward.model.graph import Graph, GraphEdge, GraphNode, NodeKind, Side, build_graph
from homeward.model.repo import load_repo
from homeward.render.graph import to_dot, to_mermaid
from tests.conftest import EXAMPLE
from tests.helpers import git

SIZES = {"1x1": (1, 1), "4x2": (4, 2), "6x4": (6, 4)}


def make_fleet(root: Path, hosts: int, users: int) -> Path:
    """hostNN x userNN through `init` and `add` (each user on every host)."""
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    assert main(["init", str(root), "--user", "user01", "--host", "host01"]) == 0
    for i in range(2, hosts + 1):
        assert main(["add", "host", f"host{i:02d}", str(root)]) == 0
    for j in range(2, users + 1):
        assert main(["add", "user", f"user{j:02d}", str(root)]) == 0
    return root


@pytest.fixture(scope="module")
def fleets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    base = tmp_path_factory.mktemp("fleets")
    made = {name: make_fleet(base / name, h, u) for name, (h, u) in SIZES.items()}
    yield made


def graph_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["graph", *args, "--format", "json"]) == 0
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def config_labels(data: dict[str, Any]) -> set[str]:
    return {n["label"] for n in data["nodes"] if n["kind"] in ("host", "home")}


# -- the layout Graphviz computes --------------------------------------------------------------

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in points


def text_boxes(layout: dict[str, Any]) -> list[tuple[str, Box]]:
    """Every piece of text Graphviz draws (node, cluster and edge labels), as a box."""
    boxes: list[tuple[str, Box]] = []
    items = [layout, *layout.get("objects", []), *layout.get("edges", [])]
    for item in items:
        for key in ("_ldraw_", "_hldraw_", "_tldraw_"):
            size = 14.0
            for op in item.get(key, []):
                if op["op"] == "F":
                    size = float(op["size"])
                if op["op"] != "T":
                    continue
                x, y = float(op["pt"][0]), float(op["pt"][1])
                width = float(op["width"])
                x0 = {"l": x, "c": x - width / 2, "r": x - width}[op["align"]]
                boxes.append((op["text"], (x0, y - 0.2 * size, x0 + width, y + 0.75 * size)))
    return boxes


def node_boxes(layout: dict[str, Any]) -> dict[str, Box]:
    boxes: dict[str, Box] = {}
    for item in layout.get("objects", []):
        if "pos" not in item or "width" not in item:
            continue
        x, y = (float(v) for v in item["pos"].split(","))
        w, h = float(item["width"]) * 72 / 2, float(item["height"]) * 72 / 2
        boxes[item["name"]] = (x - w, y - h, x + w, y + h)
    return boxes


def overlap(a: Box, b: Box, slack: float = 0.5) -> bool:
    return (
        a[0] + slack < b[2] and b[0] + slack < a[2] and a[1] + slack < b[3] and b[1] + slack < a[3]
    )


def layout_of(dot_text: str) -> dict[str, Any]:
    dot = shutil.which("dot")
    assert dot is not None
    p = subprocess.run([dot, "-Tjson"], input=dot_text, capture_output=True, text=True, check=True)
    data: dict[str, Any] = json.loads(p.stdout)
    return data


@pytest.mark.graphviz
@pytest.mark.parametrize("size", sorted(SIZES), ids=str)
@pytest.mark.parametrize("summary", [False, True], ids=["files", "summary"])
def test_no_label_overlaps_another_or_a_node(
    fleets: dict[str, Path], size: str, summary: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: at 4 x 2 labels overlapped the cluster titles; at 6 x 4 the stacked
    `home-manager.users.userNN` edge labels were a black band. Checked on the positions
    Graphviz returns (`dot -Tjson`), as the SVG draws them."""
    capsys.readouterr()
    args = ["graph", str(fleets[size]), "--format", "dot"] + (["--summary"] if summary else [])
    assert main(args) == 0
    layout = layout_of(capsys.readouterr().out)
    texts = text_boxes(layout)
    assert len(texts) > 5
    clashes = [
        (a, b)
        for i, (a, box_a) in enumerate(texts)
        for b, box_b in texts[i + 1 :]
        if overlap(box_a, box_b)
    ]
    assert clashes == []
    nodes = node_boxes(layout)
    labels_of_nodes = {item["name"]: item.get("label", "") for item in layout.get("objects", [])}
    for text, box in texts:
        for name, node_box in nodes.items():
            if labels_of_nodes.get(name) == text or name == "legend":
                continue
            assert not overlap(box, node_box), f"`{text}` is drawn over the node `{name}`"


@pytest.mark.graphviz
@pytest.mark.parametrize("size", ["4x2", "6x4"], ids=str)
def test_hosts_and_homes_are_drawn_in_order(
    fleets: dict[str, Path], size: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: hosts appeared in an order of Graphviz's own; host01 first, top to bottom."""
    capsys.readouterr()
    assert main(["graph", str(fleets[size]), "--format", "dot"]) == 0
    layout = layout_of(capsys.readouterr().out)
    for prefix in ("host_", "home_"):
        placed = [
            (o["name"], float(o["pos"].split(",")[1]))
            for o in layout["objects"]
            if o["name"].startswith(prefix)
        ]
        top_down = [name for name, _y in sorted(placed, key=lambda p: -p[1])]
        assert top_down == sorted(top_down)


def test_no_edge_labels_in_the_drawing_but_in_the_json(
    fleets: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a hand-over is a dashed arrow explained by the legend; the JSON keeps its label."""
    graph = build_graph(load_repo(fleets["4x2"]))
    dot = to_dot(graph)
    assert not [line for line in dot.splitlines() if "->" in line and "label=" in line]
    assert "style=dashed" in dot and "Legend" in dot
    mermaid = to_mermaid(graph)
    edge_lines = [line for line in mermaid.splitlines() if "-->" in line or "-.->" in line]
    assert not [line for line in edge_lines if "|" in line and "legend" not in line]
    assert "fill:#e3ecfa" in mermaid and "fill:#e3f4e8" in mermaid
    data = graph_json(capsys, str(fleets["4x2"]))
    assert {"home-manager.users.user01", "home-manager.users.user02"} <= {
        e.get("label") for e in data["edges"]
    }


def test_a_host_importing_a_user_file_is_marked(capsys: pytest.CaptureFixture[str]) -> None:
    """Why: the finding the picture is for (HW001) must stand out."""
    graph = build_graph(load_repo(EXAMPLE))
    [finding] = [e for e in graph.edges if e.finding]
    assert graph.node(finding.target).label == "home/ham.nix"
    dot = to_dot(graph)
    assert 'color="#d62728", penwidth=2.5' in dot
    assert "finding: a host imports a user file" in dot
    mermaid = to_mermaid(graph)
    assert "class file_home_ham_nix finding" in mermaid
    assert "linkStyle 1," in mermaid  # the legend's finding arrow, then the real one
    data = graph_json(capsys, str(EXAMPLE))
    assert any(e.get("finding") for e in data["edges"])


def test_host_user_and_depth_filters(
    fleets: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a fleet's graph is read one host or one user at a time."""
    root = str(fleets["4x2"])
    assert config_labels(graph_json(capsys, root, "--host", "host02")) == {
        "host02",
        "user01@host02",
        "user02@host02",
    }
    data = graph_json(capsys, root, "--user", "user02")
    assert config_labels(data) == {f"host{i:02d}" for i in range(1, 5)} | {
        f"user02@host{i:02d}" for i in range(1, 5)
    }
    files = {n["label"] for n in data["nodes"]}
    assert "home/user02/default.nix" in files and "home/user01/default.nix" not in files
    shallow = graph_json(capsys, root, "--depth", "1")
    labels = {n["label"] for n in shallow["nodes"]}
    assert "hosts/host01/default.nix" in labels
    assert "hosts/host01/hardware-configuration.nix" not in labels
    assert main(["graph", root, "--host", "nowhere"]) == 2
    assert main(["graph", root, "--depth", "0"]) == 2


def test_summary_collapses_module_files_per_directory(
    fleets: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    full = graph_json(capsys, str(fleets["6x4"]))
    short = graph_json(capsys, str(fleets["6x4"]), "--summary")
    assert len(short["nodes"]) < len(full["nodes"])
    labels = {n["label"] for n in short["nodes"]}
    assert "hosts/host01/ (2 files)" in labels
    assert "home/user01/features/ (2 files)" in labels
    assert "hosts/host01/default.nix" not in labels


def test_above_mermaids_limits_it_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: at 2,000 modules the Mermaid text (285 KB, 2,070 edges) was above Mermaid's
    maxTextSize (50,000) and edge limit: GitHub drew nothing, and nothing said why."""
    nodes = tuple(
        GraphNode(f"file_{i}", NodeKind.FILE, f"modules/m{i}.nix", Side.SYSTEM) for i in range(600)
    )
    edges = tuple(GraphEdge(f"file_{i}", f"file_{i + 1}") for i in range(599))
    big = Graph(nodes, edges)
    problem = mermaid_limit_problem(to_mermaid(big), big)
    assert problem is not None and "maxEdges 500" in problem
    small = Graph(nodes[:10], edges[:9])
    assert mermaid_limit_problem(to_mermaid(small), small) is None
    assert "maxTextSize 50,000" in (mermaid_limit_problem("x" * 50_001, small) or "")


def test_one_missing_state_version_is_one_finding_at_the_users_file(
    fleets: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.8): deleting one `home.stateVersion` gave a finding per output (8 on a 4 x 2
    fleet), all on flake.nix lines; one is expected, at the file, with the value to write."""
    root = shutil.copytree(fleets["4x2"], tmp_path / "fleet")
    entry = root / "home" / "user01" / "default.nix"
    text = entry.read_text()
    assert 'home.stateVersion = "26.05";' in text
    entry.write_text(text.replace('  home.stateVersion = "26.05";\n', ""))
    capsys.readouterr()
    assert main(["check", str(root), "--select", "HW007"]) == 1
    lines = [line for line in capsys.readouterr().out.splitlines() if "HW007" in line]
    assert len(lines) == 1
    assert lines[0].startswith(f"{root}/home/user01/default.nix:")
    assert "8 configurations" in lines[0]


# -- issue 14, item 3: per-host accounts in homeward's own layout ------------------------------


def test_add_user_on_some_hosts_writes_the_account_in_their_files(
    fleets: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.3): in the scaffold's layout `modules/system/users.nix` is shared by every host,
    so `add user bob --host host02` was refused; DESIGN: an account on some hosts only lives in
    those hosts' own files."""
    root = shutil.copytree(fleets["4x2"], tmp_path / "fleet")
    assert main(["add", "user", "bob", str(root), "--host", "host02", "--allow-dirty"]) == 0
    assert "users.users.bob" in (root / "hosts/host02/default.nix").read_text()
    assert "users.users.bob" not in (root / "modules/system/users.nix").read_text()
    assert "users.users.bob" not in (root / "hosts/host01/default.nix").read_text()
    capsys.readouterr()
    assert main(["check", str(root)]) == 0, capsys.readouterr().out


def test_add_host_for_some_users_gives_no_one_else_an_account(
    fleets: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.3): `add host server --user user01` imported the shared users.nix, quietly giving
    user02 an account on server without a home there."""
    root = shutil.copytree(fleets["4x2"], tmp_path / "fleet")
    assert main(["add", "host", "server", str(root), "--user", "user01", "--allow-dirty"]) == 0
    host = (root / "hosts/server/default.nix").read_text()
    assert "modules/system/users.nix" not in host
    assert "users.users.user01" in host and "user02" not in host
    capsys.readouterr()
    assert main(["check", str(root)]) == 0, capsys.readouterr().out
