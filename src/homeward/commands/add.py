"""`homeward add feature|host|user NAME`: grow the layout through the same plan/apply path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import Exit

if TYPE_CHECKING:
    from homeward.apply.transaction import Session


@dataclass(frozen=True, slots=True)
class Options:
    kind: str
    name: str
    dir: Path = Path(".")
    user: str | None = None
    host: str | None = None
    system: str | None = None
    mkhost: bool = False
    dry_run: bool = False
    allow_dirty: bool = False
    json: bool = False


def run(opts: Options) -> int:
    from homeward.apply.transaction import session

    with session(opts.dir, "add", writes=not opts.dry_run, allow_dirty=opts.allow_dirty) as s:
        return _run(opts, s)


def _run(opts: Options, s: Session) -> int:
    from homeward.apply.write import unified_diff
    from homeward.model.files import shown_root
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.add import AddSpec, plan_add
    from homeward.render import console
    from homeward.render.plan import files_json, render_diagnostic

    def report(applied: bool) -> None:
        console.print_json(
            "add",
            {
                "what": opts.kind,
                "name": opts.name,
                "applied": applied,
                "files": files_json(changes),
                "diagnostics": [d.render() for d in plan.diagnostics],
            },
        )

    repo = load_repo(opts.dir, darwin=True)  # Macs are hosts, as migrate reads them (issue 12)
    hosts = tuple(h.strip() for h in (opts.host or "").split(",") if h.strip())
    index = build_index(repo)
    plan = plan_add(
        index,
        AddSpec(
            opts.kind,
            opts.name,
            user=opts.user,
            hosts=hosts,
            system=opts.system,
            mkhost=opts.mkhost,
        ),
    )
    changes = s.prepare(plan, repo=repo, users=frozenset(index.users))
    if opts.json and (plan.empty or opts.dry_run):
        report(False)
        return int(Exit.OK)
    if plan.empty:
        console.out(f"nothing to do: {opts.kind} `{opts.name}` is already there")
        return int(Exit.OK)
    shown = shown_root(opts.dir, repo.root)
    rows = [
        ["new" if c.old is None else "edited", str(shown / c.path)]
        for c in sorted(changes, key=lambda c: str(c.path))
    ]
    if not opts.json:
        console.table(["change", "file"], rows, title=f"add {opts.kind} {opts.name}")
        for d in plan.diagnostics:
            console.err(render_diagnostic(d, shown))
    if opts.dry_run:
        console.out("")
        console.diff(unified_diff(changes))
        console.out("dry run: nothing was written")
        return int(Exit.OK)
    s.apply(changes)
    if opts.json:
        report(True)
        return int(Exit.OK)
    console.out(
        f"added {opts.kind} `{opts.name}`: {len(changes)} file{'s' if len(changes) != 1 else ''} changed"
    )
    if opts.kind == "host" and any(
        str(c.path).endswith("hardware-configuration.nix") for c in changes
    ):
        console.out(
            f"next: replace {shown_root(opts.dir, repo.root) / 'hosts' / opts.name}"
            "/hardware-configuration.nix with the machine's own"
        )
    return int(Exit.OK)
