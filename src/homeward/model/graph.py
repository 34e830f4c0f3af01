"""The module import graph of a Repo, as data: nodes, edges, and which side each node is on.

`flake.nix` → `nixosConfigurations` / `homeConfigurations` → hosts and homes → the modules they
list → the modules those import. Every node is in one of two subgraphs: "User Configuration"
(home-manager modules, files under `home/`, `homeConfigurations`) or "System Configuration"
(everything else), except the flake itself, which holds both. A file under `home/` that is
still a NixOS module is drawn on the user side, where the layout says it belongs; `check`
reports it. Pure: reads the model only. The order of nodes and edges is stable (sorted, or in
the order the files list them) so that the same repo always draws the same graph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from homeward.model.repo import Context, ModuleInfo, ModuleKind, ModuleRef, Repo, SystemConfig


class NodeKind(StrEnum):
    FLAKE = "flake"
    GROUP = "outputs-group"  # `nixosConfigurations`, `homeConfigurations`
    HOST = "host"  # a `nixosConfigurations.<name>` entry
    HOME = "home"  # a `homeConfigurations.<name>` entry
    FILE = "module-file"
    INLINE = "inline"  # a module written in place (`{ ... }` in a module list)
    EXTERNAL = "external"  # from outside the repo: a flake input's module, `modulesPath + ...`
    OPAQUE = "opaque"  # a module homeward cannot look into: computed, missing, unreadable


class Side(StrEnum):
    SYSTEM = "System Configuration"
    USER = "User Configuration"


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str  # safe as a Mermaid and DOT identifier: letters, digits, `_`
    kind: NodeKind
    label: str
    side: Side | None  # None for the flake
    path: str | None = None  # FILE: the repo-relative file; INLINE/EXTERNAL: where it is written
    line: int | None = None  # INLINE/EXTERNAL: the line where it is written (first use)
    hosts: tuple[str, ...] = ()  # the configurations that reach this node, sorted
    files: int = 1  # a directory node of the summary: how many files it stands for


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str  # node id
    target: str  # node id
    label: str = ""  # `home-manager.users.ham` where a NixOS module hands over to home-manager
    finding: str = ""  # why this import breaks the separation (a host importing a user file)


@dataclass(frozen=True, slots=True)
class Graph:
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]

    def node(self, node_id: str) -> GraphNode:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def on_side(self, side: Side | None) -> tuple[GraphNode, ...]:
        return tuple(n for n in self.nodes if n.side is side)


_GROUPS = {Context.NIXOS: "nixosConfigurations", Context.HOME: "homeConfigurations"}
_OTHER = "other"  # hosts of other kinds (`darwinConfigurations`): grouped by their attribute
_UNSAFE = re.compile(r"[^A-Za-z0-9]+")


def _other_label(repo: Repo, config: SystemConfig) -> str:
    """A host of another kind by its name, with its platform when written (`mac
    (aarch64-darwin)`): `system = ...` on the call, or `nixpkgs.hostPlatform` in its modules."""
    name = config.name.split(".", 1)[1]
    platform = config.system
    if platform is None:
        for info in repo.modules.values():
            if config.name not in info.frozen:
                continue
            for d in info.module.definitions:
                if d.path == ("nixpkgs", "hostPlatform") and d.value_text.startswith('"'):
                    platform = d.value_text.strip('"')
                    break
            if platform is not None:
                break
    return f"{name} ({platform})" if platform else name


def _side_of_context(context: Context) -> Side:
    return Side.USER if context is Context.HOME else Side.SYSTEM


def _side_of_module(info: ModuleInfo) -> Side:
    if info.context is Context.HOME:
        return Side.USER
    if info.under_home:
        return Side.USER
    return Side.SYSTEM


class _Ids:
    """Readable identifiers (`host_nixos_desk`), made unique in the order they are asked for."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def make(self, prefix: str, name: str) -> str:
        slug = _UNSAFE.sub("_", name).strip("_").lower()
        base = f"{prefix}_{slug}" if slug else prefix
        candidate, n = base, 2
        while candidate in self.taken:
            candidate, n = f"{base}_{n}", n + 1
        self.taken.add(candidate)
        return candidate


def _external_key(ref: ModuleRef, context: Context) -> tuple[str, str]:
    return (_side_of_context(context).value, ref.label)


def build_graph(repo: Repo) -> Graph:
    """The import graph of every configuration in `repo` (call `repo.fatal()` first)."""
    configs: list[SystemConfig] = [
        *(repo.hosts[name] for name in sorted(repo.hosts, key=natural_key)),
        *(repo.homes[name] for name in sorted(repo.homes, key=natural_key)),
    ]
    others = [repo.others[name] for name in sorted(repo.others)]
    ids = _Ids()
    nodes: list[GraphNode] = [GraphNode(ids.make("flake", ""), NodeKind.FLAKE, "flake.nix", None)]
    flake_id = nodes[0].id

    group_ids: dict[Context, str] = {}
    for context in (Context.NIXOS, Context.HOME):
        if any(c.context is context for c in configs):
            name = _GROUPS[context]
            group_ids[context] = ids.make("group", name)
            nodes.append(
                GraphNode(group_ids[context], NodeKind.GROUP, name, _side_of_context(context))
            )

    other_groups: dict[str, str] = {}
    for config in others:
        attr = config.name.split(".", 1)[0]
        if attr not in other_groups:
            other_groups[attr] = ids.make("group", attr)
            nodes.append(GraphNode(other_groups[attr], NodeKind.GROUP, attr, Side.SYSTEM))

    config_ids: dict[tuple[Context, str], str] = {}
    for config in others:
        node_id = ids.make("host", config.name)
        config_ids[(Context.NIXOS, config.name)] = node_id
        nodes.append(
            GraphNode(
                node_id,
                NodeKind.HOST,
                _other_label(repo, config),
                Side.SYSTEM,
                hosts=(config.name,),
            )
        )
    for config in configs:
        kind = NodeKind.HOST if config.context is Context.NIXOS else NodeKind.HOME
        node_id = ids.make("host" if kind is NodeKind.HOST else "home", config.name)
        config_ids[(config.context, config.name)] = node_id
        nodes.append(
            GraphNode(
                node_id,
                kind,
                config.name,
                _side_of_context(config.context),
                hosts=(config.name,),
            )
        )

    # Modules: files by path, then inline modules by where they are written.
    infos = sorted(repo.modules.values(), key=_module_order)
    module_ids: dict[str, str] = {}
    for info in infos:
        if info.path is not None:
            node_id = ids.make("file", str(info.path))
            nodes.append(
                GraphNode(
                    node_id,
                    NodeKind.FILE,
                    str(info.path),
                    _side_of_module(info),
                    path=str(info.path),
                    hosts=tuple(sorted(info.hosts | info.frozen.keys())),
                )
            )
        else:
            location = _inline_location(info)
            node_id = ids.make("inline", f"{location[0]}_{location[1]}")
            nodes.append(
                GraphNode(
                    node_id,
                    NodeKind.INLINE,
                    f"inline module, {location[0]}:{location[1]}",
                    _side_of_module(info),
                    path=location[0],
                    line=location[1],
                    hosts=tuple(sorted(info.hosts | info.frozen.keys())),
                )
            )
        module_ids[info.key] = node_id

    # External modules: one node per name and side, in name order.
    externals: dict[tuple[str, str], tuple[ModuleRef, set[str]]] = {}

    def note_external(ref: ModuleRef, context: Context, hosts: set[str]) -> tuple[str, str]:
        key = _external_key(ref, context)
        if key not in externals:
            externals[key] = (ref, set())
        externals[key][1].update(hosts)
        return key

    for config in [*configs, *others]:
        for ref in config.modules:
            if ref.kind is ModuleKind.EXTERNAL:
                note_external(ref, config.context, {config.name})
    for info in infos:
        for ref in info.imports:
            if ref.kind is ModuleKind.EXTERNAL:
                note_external(ref, info.context, info.hosts)
    external_ids: dict[tuple[str, str], str] = {}
    for key in sorted(externals):
        ref, hosts = externals[key]
        where = ref.location
        label = _external_label(ref.label)
        node_id = ids.make("ext", label)
        external_ids[key] = node_id
        nodes.append(
            GraphNode(
                node_id,
                NodeKind.EXTERNAL,
                label,
                Side(key[0]),
                path=str(where.path) if where is not None else None,
                line=where.line if where is not None else None,
                hosts=tuple(sorted(hosts)),
            )
        )

    # Opaque modules: one node per place where one is listed, in the order of those places.
    opaque: dict[tuple[str, int], str] = {}

    def opaque_key(ref: ModuleRef) -> tuple[str, int]:
        where = ref.location
        return (str(where.path), where.line) if where is not None else ("", 0)

    opaque_refs = [r for c in [*configs, *others] for r in c.modules]
    opaque_refs += [r for info in infos for r in info.imports]
    for ref in sorted((r for r in opaque_refs if r.kind is ModuleKind.UNKNOWN), key=opaque_key):
        place = opaque_key(ref)
        if place in opaque:
            continue
        opaque[place] = ids.make("opaque", f"{place[0]}_{place[1]}")
        label = ref.label if len(ref.label) <= 60 else ref.label[:57] + "..."
        nodes.append(
            GraphNode(
                opaque[place],
                NodeKind.OPAQUE,
                f"opaque: {label}",
                Side.SYSTEM,
                path=place[0] or None,
                line=place[1] or None,
            )
        )

    def target(ref: ModuleRef, context: Context) -> str | None:
        if ref.kind is ModuleKind.FILE and ref.path is not None:
            return module_ids.get(str(ref.path))
        if ref.kind is ModuleKind.INLINE and ref.node is not None and ref.source is not None:
            return module_ids.get(f"{ref.source.path}@{ref.node.start_byte}")
        if ref.kind is ModuleKind.EXTERNAL:
            return external_ids.get(_external_key(ref, context))
        if ref.kind is ModuleKind.UNKNOWN:
            return opaque.get(opaque_key(ref))
        return None

    edges: list[GraphEdge] = []
    seen: set[tuple[str, str]] = set()

    def add(source: str, dest: str | None, label: str = "") -> None:
        if dest is not None and (source, dest) not in seen:
            seen.add((source, dest))
            edges.append(GraphEdge(source, dest, label))

    for context, group_id in group_ids.items():
        add(flake_id, group_id)
        for config in configs:
            if config.context is context:
                add(group_id, config_ids[(context, config.name)])
    for attr, group_id in other_groups.items():
        add(flake_id, group_id)
        for config in others:
            if config.name.split(".", 1)[0] == attr:
                add(group_id, config_ids[(Context.NIXOS, config.name)])
    for config in [*configs, *others]:
        config_id = config_ids[(config.context, config.name)]
        for ref in config.modules:
            add(config_id, target(ref, config.context))
    children = repo.children
    for info in infos:
        parent_id = module_ids[info.key]
        for ref in info.imports:
            add(parent_id, target(ref, info.context))
        for child in children.get(info.key, ()):
            child_info = repo.modules.get(child)
            if child_info is None:
                continue
            label = ""
            if child_info.context is Context.HOME and info.context is Context.NIXOS:
                users = sorted(child_info.users)
                label = "home-manager.users" + (f".{users[0]}" if len(users) == 1 else "")
            add(parent_id, module_ids.get(child), label)
    return Graph(tuple(nodes), tuple(_mark_findings(nodes, edges)))


FINDING_USER_FILE = "a system module imports a user file (HW001)"


def _mark_findings(nodes: list[GraphNode], edges: list[GraphEdge]) -> list[GraphEdge]:
    """An import from the System side into a user file, not through home-manager's hand-over,
    is the finding the picture must show (HW001)."""
    side = {n.id: n.side for n in nodes}
    kind = {n.id: n.kind for n in nodes}
    marked: list[GraphEdge] = []
    for e in edges:
        if (
            not e.label
            and side[e.source] is Side.SYSTEM
            and kind[e.source] in (NodeKind.HOST, NodeKind.FILE, NodeKind.INLINE)
            and side[e.target] is Side.USER
            and kind[e.target] is NodeKind.FILE
        ):
            e = GraphEdge(e.source, e.target, e.label, FINDING_USER_FILE)
        marked.append(e)
    return marked


_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple[tuple[int, str], ...]:
    """`host2` before `host10`: hosts in the order a person numbers them."""
    return tuple((int(part), "") if part.isdigit() else (0, part) for part in _DIGITS.split(name))


# -- views: filters and the summary (pure) ------------------------------------------------------


def filter_graph(
    graph: Graph,
    *,
    hosts: frozenset[str] | None = None,
    users: frozenset[str] | None = None,
    depth: int | None = None,
) -> Graph:
    """The part of the graph `--host`/`--user`/`--depth` ask for.

    Kept: the configurations named (a host H: `nixosConfigurations.H` and the homes `*@H`; a
    user U: the homes `U@*`, every host, and only U's hand-over edges), what they reach through
    kept edges, at most `depth` imports from a configuration, and the flake and groups above.
    """
    by_id = {n.id: n for n in graph.nodes}

    def wanted_config(node: GraphNode) -> bool:
        if node.kind is NodeKind.HOST:
            return hosts is None or node.label in hosts
        user, _, host = node.label.partition("@")
        return (hosts is None or host in hosts) and (users is None or user in users)

    def edge_kept(e: GraphEdge) -> bool:
        if users is None or not e.label.startswith("home-manager.users"):
            return True
        handed = e.label.removeprefix("home-manager.users").lstrip(".")
        return not handed or handed in users  # several users: kept, it may hold U's

    out: dict[str, list[GraphEdge]] = {}
    for e in graph.edges:
        out.setdefault(e.source, []).append(e)
    roots = [
        n.id for n in graph.nodes if n.kind in (NodeKind.HOST, NodeKind.HOME) and wanted_config(n)
    ]
    level: dict[str, int] = dict.fromkeys(roots, 0)
    queue = list(roots)
    kept_edges: list[GraphEdge] = []
    while queue:
        current = queue.pop(0)
        if depth is not None and level[current] >= depth:
            continue
        for e in out.get(current, ()):
            if not edge_kept(e):
                continue
            kept_edges.append(e)
            if e.target not in level:
                level[e.target] = level[current] + 1
                queue.append(e.target)
    keep = set(level)
    for n in graph.nodes:
        if n.kind is NodeKind.FLAKE:
            keep.add(n.id)
    for e in graph.edges:  # flake -> group -> kept configurations
        if e.target in roots:
            keep.add(e.source)
            kept_edges.append(e)
    for e in graph.edges:
        if by_id[e.source].kind is NodeKind.FLAKE and e.target in keep:
            kept_edges.append(e)
    order = {id(e): i for i, e in enumerate(graph.edges)}
    unique = {id(e): e for e in kept_edges if e.source in keep and e.target in keep}
    return Graph(
        tuple(n for n in graph.nodes if n.id in keep),
        tuple(sorted(unique.values(), key=lambda e: order[id(e)])),
    )


def summarize(graph: Graph) -> Graph:
    """Module files collapsed into one node per directory and side (`hosts/desk/`, 3 files);
    edges between the same two nodes drawn once, edges inside a directory dropped."""
    ids = _Ids()
    for n in graph.nodes:
        ids.taken.add(n.id)
    groups: dict[tuple[str, Side | None], list[GraphNode]] = {}
    for n in graph.nodes:
        if n.kind is NodeKind.FILE and n.path is not None:
            directory = n.path.rsplit("/", 1)[0] + "/" if "/" in n.path else "./"
            groups.setdefault((directory, n.side), []).append(n)
    replace: dict[str, str] = {}
    made: dict[tuple[str, Side | None], GraphNode] = {}
    for (directory, side), members in groups.items():
        if len(members) == 1:
            continue
        node_id = ids.make("dir", directory)
        hosts = tuple(sorted({h for m in members for h in m.hosts}))
        made[(directory, side)] = GraphNode(
            node_id,
            NodeKind.FILE,
            f"{directory} ({len(members)} files)",
            side,
            path=directory,
            hosts=hosts,
            files=len(members),
        )
        for m in members:
            replace[m.id] = node_id
    nodes: list[GraphNode] = []
    placed: set[str] = set()
    for n in graph.nodes:
        new_id = replace.get(n.id)
        if new_id is None:
            nodes.append(n)
        elif new_id not in placed:
            placed.add(new_id)
            nodes.append(next(d for d in made.values() if d.id == new_id))
    edges: dict[tuple[str, str], GraphEdge] = {}
    for e in graph.edges:
        source, target = replace.get(e.source, e.source), replace.get(e.target, e.target)
        if source == target:
            continue
        if (source, target) in edges:
            old = edges[(source, target)]
            label = old.label if old.label == e.label else "home-manager.users"
            edges[(source, target)] = GraphEdge(source, target, label, old.finding or e.finding)
        else:
            edges[(source, target)] = GraphEdge(source, target, e.label, e.finding)
    return Graph(tuple(nodes), tuple(edges.values()))


_MODULES_PATH = re.compile(r'^\(?\s*modulesPath\s*\+\s*"(/[^"$\\]*)"\s*\)?$')


def _external_label(label: str) -> str:
    """`modulesPath + "/installer/x.nix"` reads as `modulesPath/installer/x.nix`."""
    match = _MODULES_PATH.match(label)
    return f"modulesPath{match[1]}" if match else label


def _inline_byte(info: ModuleInfo) -> int:
    """Where an inline module is written: its key is `<file>@<start byte>`."""
    return int(info.key.rsplit("@", 1)[1])


def _module_order(info: ModuleInfo) -> tuple[bool, str, int]:
    if info.path is not None:
        return (False, str(info.path), 0)
    return (True, str(info.source.path), _inline_byte(info))


def _inline_location(info: ModuleInfo) -> tuple[str, int]:
    line, _col = info.source.line_col(_inline_byte(info))
    return str(info.source.path), line
