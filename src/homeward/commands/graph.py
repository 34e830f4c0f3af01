"""`homeward graph`: the module import graph, System vs User configuration.

Text goes to stdout (Mermaid by default, `--format dot|json`), or to `-o FILE`: `.mmd`/`.dot`/
`.gv`/`.json` choose the text format by extension; `.svg`/`.png` are drawn by Graphviz `dot`.
What homeward cannot follow (a computed import, a missing or unreadable file) is drawn as an
opaque module and named on stderr; exit 3 only when no host at all can be read.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from homeward import proc
from homeward.errors import HomewardError, Location, UsageError
from homeward.model.graph import build_graph
from homeward.model.repo import load_repo
from homeward.render.console import err, out
from homeward.render.graph import GraphFormat, render_graph, to_dot

_TEXT_SUFFIXES = {
    ".mmd": GraphFormat.MERMAID,
    ".mermaid": GraphFormat.MERMAID,
    ".dot": GraphFormat.DOT,
    ".gv": GraphFormat.DOT,
    ".json": GraphFormat.JSON,
}
_IMAGE_SUFFIXES = {".svg": "svg", ".png": "png"}
DOT_TIMEOUT = 120.0


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    format: str | None = None  # None: Mermaid on stdout, or as -o FILE's extension says
    output: Path | None = None


def run(opts: Options) -> int:
    repo = load_repo(opts.dir)
    repo.fatal()
    # What could not be read is drawn as opaque modules, and named here
    # (docs/architecture.md, rule 9).
    for problem in repo.problems:
        where = f"{_shown(opts.dir, problem.at)}: " if problem.at is not None else ""
        err(f"homeward: note: {where}{problem.message}")
    graph = build_graph(repo)
    if opts.output is None:
        out(render_graph(graph, GraphFormat(opts.format or "mermaid")).rstrip("\n"))
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
        data = render_graph(graph, fmt).encode()
    else:
        raise UsageError(
            f"cannot tell what to write to `{opts.output}` from its extension",
            hint="use .svg or .png (drawn by Graphviz), .mmd (Mermaid), .dot or .gv (DOT), "
            "or .json",
        )
    write_output(opts.output, data)
    out(f"wrote {opts.output} ({len(graph.nodes)} nodes, {len(graph.edges)} edges)")
    return 0


def _shown(directory: Path, at: Location) -> Location:
    return at if at.path.is_absolute() else Location(directory / at.path, at.line, at.col)


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
    with tempfile.TemporaryDirectory(prefix="homeward-graph-") as tmp:
        target = Path(tmp) / f"graph.{image_format}"
        p = proc.run(
            [dot, f"-T{image_format}", "-o", str(target)], stdin=dot_text, timeout=DOT_TIMEOUT
        )
        if not p.ok or not target.is_file():
            raise HomewardError(
                f"Graphviz `dot` failed (exit {p.returncode}): {proc.tail(p.stderr, 5)}",
                hint="write the DOT text with `-o graph.dot` and check it with `dot` yourself",
            )
        return target.read_bytes()


def write_output(path: Path, data: bytes) -> None:
    """Write the whole file or nothing (temp file in the same directory, then rename)."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise UsageError(f"cannot write `{path}`: the directory `{directory}` does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".homeward", dir=directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise HomewardError(f"cannot write `{path}`: {exc.strerror or exc}") from None
