"""The cut phase's driver: what moved code leaves behind in its sources (bindings, emptied
files and inline modules, imports of removed files), from the decisions in the plan state,
returned as a `SourceCut`, and the orphan comments that go with moved code, returned as
writes (`plan/writes.Comment`); the pure pieces are in `plan/cut.py`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import MappingProxyType
from typing import TYPE_CHECKING

from homeward.model.repo import ModuleInfo, ModuleKind
from homeward.plan.chunks import Renderer
from homeward.plan.cut import (
    comment_nodes,
    dead_let_edits,
    import_edits,
    outermost_empty,
    outermost_only,
    within,
)
from homeward.plan.nixcode import relative_import, splice
from homeward.plan.state import PlanState
from homeward.plan.types import Delete, Edit
from homeward.plan.writes import Comment, SystemImports, take_write
from homeward.syntax.edit import indent_at, item_extent, reindent, removal

if TYPE_CHECKING:
    from homeward.syntax.parse import Source


def orphan_comments(st: PlanState, emptied: AbstractSet[str]) -> tuple[Comment, ...]:
    """Comments of a file that is deleted or rewritten, not carried by any moved binding
    (a header, a note between bindings), go with the first thing moved out of it: as
    writes the composer takes (`take_comments`); reads the plan state, changes nothing.

    A comment is carried when it lies inside what was moved (a binding with its own
    comments, a package list, the header of a rewritten file): decided by its position in
    the syntax tree, never by looking for its text (the same `# TODO` can be in both).
    """
    comments: list[Comment] = []
    for key in sorted(emptied):
        info = st.repo.modules[key]
        src = info.source
        spans: list[tuple[int, int]] = []
        first_chunk: tuple[PurePosixPath, int] | None = None
        first_item: tuple[PurePosixPath, int] | None = None
        header = header_comment(src)
        for dest in st.new_files.values():
            if header and dest.header == header:
                spans.append((0, _header_end(src)))
            for i, chunk in enumerate(dest.chunks):
                if chunk.origin and chunk.origin[0].source is src:
                    spans.append(item_extent(chunk.removal_node, src.text))
                    first_chunk = first_chunk or (dest.path, i)
                # A chunk can collect several definitions (the copies of dotfiles).
                spans.extend(
                    item_extent(d.binding, src.text) for d in chunk.origin if d.source is src
                )
            for i, item in enumerate(dest.items):
                if item.origin is not None and item.origin.source is src:
                    spans.append(item_extent(item.origin.binding, src.text))
                    first_item = first_item or (dest.path, i)
        carried = _covered(spans)
        # Only what leaves with the module: the whole file, or an inline module's list
        # element with its own comments (never the rest of flake.nix).
        start, end = _removed_region(info)
        orphans = [
            c
            for c in comment_nodes(src.root)
            if start <= c.start_byte < end and not carried(c.start_byte)
        ]
        if not orphans:
            continue
        lines = "\n".join(
            reindent(src.text_of(c), indent_at(src.text, c.start_byte), "") for c in orphans
        )
        if first_item is not None:
            comments.append(Comment(first_item[0], lines, first_item[1], item=True))
        elif first_chunk is not None:
            comments.append(Comment(first_chunk[0], lines, first_chunk[1], item=False))
    return tuple(comments)


def take_comments(st: PlanState, comments: tuple[Comment, ...]) -> None:
    """Fold the orphan comments into the plan, in order."""
    for comment in comments:
        take_write(st, comment)


@dataclass(frozen=True, slots=True)
class SourceCut:
    """The cut phase's result: what moved code leaves behind in its sources."""

    edits: tuple[Edit, ...]  # moved bindings, dead `let`s, imports of removed files
    deletes: tuple[Delete, ...]  # files left empty (a user's own files: `UserFileCut`)
    emptied: frozenset[str]  # module keys whose every definition moved, user files too
    replacements: Mapping[str, str | None]  # a file -> what it left behind (None: nothing)
    drop_inline: frozenset[int]  # start bytes of inline modules of flake.nix left empty
    # The system module a user file leaves -> its imports (path texts relative to it).
    imports: tuple[tuple[PurePosixPath, tuple[str, ...]], ...] = ()


def resolve_user_file_imports(
    st: PlanState,
) -> tuple[dict[str, str | None], dict[PurePosixPath, tuple[str, ...]]]:
    """What a user file left behind imports: its own imports, each user file among them
    replaced by what that file left behind (or dropped), the rest kept, re-pointed; returns
    where each user file's system part is (None: nothing is left) and those imports."""
    resolved: dict[str, str | None] = {}
    user_files = {cut.module: cut.system for cut in st.files}
    imports: dict[PurePosixPath, tuple[str, ...]] = {}

    def resolve(key: str, seen: tuple[str, ...] = ()) -> str | None:
        if key in resolved:
            return resolved[key]
        sys_path = user_files[key]
        assert sys_path is not None
        info = st.repo.modules[key]
        texts: list[str] = []
        for ref in info.imports:
            if ref.kind is ModuleKind.FILE and ref.path is not None:
                child = str(ref.path)
                if child in user_files and child not in seen:
                    target = resolve(child, (*seen, key))
                    if target is not None:
                        texts.append(relative_import(PurePosixPath(target), sys_path.parent))
                    continue
                texts.append(relative_import(PurePosixPath(ref.path), sys_path.parent))
            elif ref.node is not None and ref.source is not None:
                renderer = Renderer(
                    ref.source,
                    False,
                    frozenset(),
                    rebase=(PurePosixPath(ref.source.path).parent, sys_path.parent),
                )
                texts.append(renderer.text(ref.node))
        if texts:
            imports[sys_path] = tuple(texts)
        has_content = sys_path in imports or (
            sys_path in st.new_files and not st.new_files[sys_path].empty
        )
        resolved[key] = str(sys_path) if has_content else None
        return resolved[key]

    for key in sorted(user_files):
        resolve(key)
    return resolved, imports


def finish_sources(st: PlanState) -> SourceCut:
    """Delete moved bindings (and sets they leave empty) and imports of removed files: the
    edits and deletes, as data; reads the plan state, changes nothing."""
    replacements, imports = resolve_user_file_imports(st)
    emptied = {cut.module for cut in st.files}
    deletes: list[Delete] = []
    drop_inline: set[int] = set()
    edits: list[Edit] = []
    # The `let` bindings moved code took along, by the file it came from (once, not per file).
    carried: dict[int, set[int]] = defaultdict(set)
    for dest in st.new_files.values():
        for chunk in dest.chunks:
            if chunk.origin:
                carried[id(chunk.origin[0].source)].update(chunk.needs.lets)
        for item in dest.items:
            if item.origin is not None:
                carried[id(item.origin.source)].update(item.needs.lets)
    for key, nodes in st.removed.items():
        if key in emptied:
            continue
        info = st.repo.modules[key]
        text = info.source.text
        remaining = [
            d for d in info.module.definitions if not any(within(d.binding, n) for n in nodes)
        ]
        if not remaining and info.path is not None:
            emptied.add(key)
            deletes.append(Delete(info.path, "every definition moved"))
            replacements[str(info.path)] = None
            continue
        if not remaining and info.source is st.repo.flake:
            # An inline module in flake.nix left empty: drop it from its module list.
            emptied.add(key)
            drop_inline.add(int(key.rsplit("@", 1)[1]))
            continue
        targets = {n.start_byte: n for n in (outermost_empty(n, nodes) for n in nodes)}
        gone = outermost_only(list(targets.values()))
        for node in gone:
            span = removal(node, text)
            edits.append(splice(Path(info.source.path), span, "moved to home-manager"))
        edits.extend(dead_let_edits(info, gone, carried.get(id(info.source), set())))
    edits.extend(import_edits(st.repo.modules.values(), emptied, replacements))
    return SourceCut(
        tuple(edits),
        tuple(deletes),
        frozenset(emptied),
        MappingProxyType(replacements),
        frozenset(drop_inline),
        tuple(imports.items()),
    )


def take_sources(st: PlanState, cut: SourceCut) -> None:
    """Fold the cut phase's result into the plan: the system modules' imports and the edits
    (its deletes go to the plan as they are: `PlanState.result`)."""
    for path, texts in cut.imports:
        take_write(st, SystemImports(path, texts))
    st.edits.extend(cut.edits)


def _covered(spans: list[tuple[int, int]]) -> Callable[[int], bool]:
    """Whether a position lies inside one of the (start, end) spans: sorted once, then each
    question is one bisection (the ends' running maximum answers for nested spans too)."""
    import bisect

    ordered = sorted(spans)
    starts = [start for start, _ in ordered]
    reach: list[int] = []
    for _, end in ordered:
        reach.append(max(end, reach[-1]) if reach else end)

    def inside(position: int) -> bool:
        i = bisect.bisect_right(starts, position) - 1
        return i >= 0 and reach[i] > position

    return inside


def _removed_region(info: ModuleInfo) -> tuple[int, int]:
    """The bytes that leave with an emptied module: all of its file, or, for a module written
    inline in a module list, that list element with its own comments."""
    text = info.source.text
    node = info.module.function or info.module.body
    if info.path is not None or node is None:
        return 0, len(text)
    while node.parent is not None and node.parent.type == "parenthesized_expression":
        node = node.parent
    return item_extent(node, text)


def _header_end(source: Source) -> int:
    """Where the comment lines at the top of a file end (what `header_comment` keeps)."""
    end = 0
    for line in source.text.splitlines(keepends=True):
        if not line.startswith(b"#"):
            break
        end += len(line)
    return end


def header_comment(source: Source) -> str:
    """The comment lines at the top of a file (kept when the file is rewritten)."""
    lines = []
    for line in source.text.decode().splitlines():
        if line.startswith("#"):
            lines.append(line)
        else:
            break
    return "\n".join(lines)
