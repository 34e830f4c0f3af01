"""`homeward migrate [DIR]`: restructure a flake configuration into the home-manager layout."""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from homeward.errors import Exit, UsageError

if TYPE_CHECKING:
    from homeward.apply.transaction import Session
    from homeward.model.index import Index
    from homeward.plan.types import Plan


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path
    dry_run: bool = False
    check: bool = False
    json: bool = False
    allow_dirty: bool = False
    no_git: bool = False
    features: str | None = None  # None: homeward.toml's, else "split"
    mode: str | None = None  # None: homeward.toml's, else "both"
    backup_extension: str | None = None  # None: homeward.toml's, else "hm-backup"
    adopt_dotfiles: Path | None = None  # a stow-style tree to adopt for `user`
    user: str | None = None
    out_of_store: str | None = None  # the checkout's absolute path (mkOutOfStoreSymlink)
    share: bool = False  # identical feature files of several users: once, in home/modules/
    no_cache: bool = False


def run(opts: Options) -> int:
    from homeward.apply.transaction import session

    writes = not (opts.dry_run or opts.check)
    with session(
        opts.dir,
        "migrate",
        writes=writes,
        allow_dirty=opts.allow_dirty,
        need_git=True,
        no_git=opts.no_git,
    ) as s:
        if not writes:
            return _shown(opts, s)
        return _run(opts, s, writes)


@dataclass(frozen=True, slots=True)
class _Printed:
    """What `--dry-run` or `--check` printed (the summary, the diff, the JSON, as data) and its
    exit code: the result the cache keeps (homeward/apply/cache.py)."""

    code: int
    tape: list[list[Any]]
    new: list[str]  # the new files a real migrate adds to git, as git names them


def _shown(opts: Options, s: Session) -> int:
    """`--dry-run` and `--check`: what a real migrate would do, printed; that of the last run
    when nothing it depends on changed (its output is printed afresh from data, as this
    terminal wants it). A real migrate never uses the cache."""
    from homeward.apply import cache
    from homeward.render import console

    def plan() -> _Printed:
        new: list[str] = []
        with console.recording() as tape:
            code = _run(opts, s, writes=False, new=new)
        return _Printed(code, tape, new)

    options = {f.name: getattr(opts, f.name) for f in fields(opts) if f.name != "no_cache"}
    printed = cache.cached(
        "migrate",
        opts.dir,
        options,
        plan,
        lambda p: {"code": p.code, "tape": p.tape, "new": p.new},
        _printed,
        no_cache=opts.no_cache,
        programs=("nix-instantiate", "nix"),  # the new texts' validation (nix-instantiate --parse)
    )
    if opts.dry_run and s.repo is not None and printed.new:
        # What the real migrate refuses (exit 3) the dry run refuses: not a plan that cannot be
        # applied. Outside the cached part: git's answer depends on more than the key holds
        # (`.git/info/exclude`, `core.excludesFile`), so it is asked on every run.
        s.repo.refuse_ignored(printed.new)
    console.replay(printed.tape)
    return printed.code


def _printed(data: object) -> _Printed:
    """A kept `_Printed` back (TypeError or ValueError when it is not one)."""
    from homeward.render import console

    if not isinstance(data, dict) or not isinstance(data.get("code"), int):
        raise TypeError("not a kept migrate output")
    tape = data.get("tape")
    if not isinstance(tape, list) or not all(isinstance(e, list) for e in tape):
        raise TypeError("not a kept migrate output")
    new = data.get("new")
    if not isinstance(new, list) or not all(isinstance(p, str) for p in new):
        raise TypeError("not a kept migrate output")
    console.replay(tape, check=True)
    return _Printed(data["code"], tape, new)


def _run(opts: Options, s: Session, writes: bool, new: list[str] | None = None) -> int:
    """Plan, show, and (with `writes`) apply. `new`, when given, receives the new files the
    plan adds to git (as git names them), for the dry run's refusal of ignored ones."""
    from homeward.apply.write import unified_diff
    from homeward.config import load_config
    from homeward.knowledge.mapping import Feature
    from homeward.model.files import shown_root
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.assembled import assembled, not_migrated
    from homeward.plan.migrate import MigrateOptions, Mode, plan_migration
    from homeward.render import console
    from homeward.render.plan import plan_json, print_summary, render_diagnostic

    if (opts.user or opts.out_of_store) and opts.adopt_dotfiles is None:
        raise UsageError("--user and --out-of-store go with --adopt-dotfiles")
    ext = opts.backup_extension
    if ext is not None and (not ext or ext.startswith(".") or "/" in ext or ext.strip() != ext):
        # Why: home-manager names the backup `FILE.EXT`: `.bak` gives `FILE..bak`, "" `FILE.`.
        raise UsageError(
            f"--backup-extension `{ext}` is not a file extension",
            hint="give it without the dot, e.g. --backup-extension bak (home-manager adds the dot)",
        )
    config = load_config(opts.dir)
    repo = load_repo(opts.dir, darwin=True)  # Macs are migrated like NixOS hosts (issue 12)
    shown = shown_root(opts.dir, repo.root)
    index = build_index(repo)
    users = frozenset(index.users)  # what the plan's check needs of the index
    # Whether home-manager is in use at all: "already in the home-manager layout" is no answer
    # for a configuration without it.
    uses_hm = index.hm_input is not None or bool(index.hm_hosts) or bool(repo.homes)
    if opts.adopt_dotfiles is not None:
        plan = _adopt_plan(opts, index)
    else:
        plan = plan_migration(
            index,
            MigrateOptions(
                features=(opts.features or config.features or "split") == "split",
                mode=Mode(opts.mode or config.mode or "both"),
                backup_extension=opts.backup_extension or config.backup_extension or "hm-backup",
                package_features=tuple((p, Feature(f)) for p, f in config.package_features),
            ),
        )
    if opts.share:
        from homeward.plan.share import share_features

        plan = share_features(plan, repo.files.taken)
    del index  # not kept through the check, the command's peak of memory
    repo.release_trees()  # nor the trees of the files the plan edits
    changes = s.prepare(plan, repo=repo, users=users)
    if opts.json and (plan.empty or not writes):
        # Why: `--json` only changes the format; the JSON of a write is printed after the write.
        console.print_json("migrate", plan_json(plan, changes, applied=False))
    if plan.empty:
        if not opts.json:
            for d in plan.diagnostics:
                console.err(render_diagnostic(d, shown))
            by_framework = sorted({c.framework for c in assembled(repo).values()})
            if by_framework:
                console.out(not_migrated(by_framework))
            elif plan.left:
                console.out(
                    "nothing migrated: what would move stays where it is (the warnings above "
                    "say why)"
                )
            elif plan.unread_homes:
                # Why: Hamled/config's homes are passed in whole (`home-manager.users =
                # usersHome;`): whether they are in the layout is not known.
                *most, last = [f"`{u}`" for u in plan.unread_homes]
                names = f"{', '.join(most)} and {last}" if most else last
                said = "configurations" if most else "configuration"
                notes = "the notes above say" if most else "the note above says"
                console.out(
                    f"nothing was changed: the home-manager {said} of {names} could not be "
                    f"read ({notes} where), and homeward moves and wires nothing it cannot read"
                )
            elif uses_hm:
                console.out(
                    "nothing to do: the configuration is already in the home-manager layout"
                )
            else:
                console.out(nothing_to_move(len(repo.opaque)))
        return int(Exit.OK)
    if opts.check:
        if not opts.json:
            print_summary(plan, changes, shown)
            console.out("a migration is pending: run `homeward migrate`")
        return int(Exit.FINDINGS)
    if not opts.json:
        print_summary(plan, changes, shown)
    if new is not None and s.repo is not None:
        top = s.root.resolve()
        new.extend(
            s.repo.rel(top / c.path)
            for c in changes
            if c.old is None and c.new is not None and c.moved_from is None
        )
    if opts.dry_run:
        if not opts.json:
            console.out("")
            console.diff(unified_diff(changes))
            console.out("dry run: nothing was written")
        return int(Exit.OK)
    s.apply(changes)
    if opts.json:
        console.print_json("migrate", plan_json(plan, changes, applied=True))
    else:
        moved_away = {c.moved_from for c in changes if c.moved_from is not None}
        count = sum(1 for c in changes if c.path not in moved_away)
        console.out(f"applied: {count} file{'s' if count != 1 else ''} changed")
        if any("home-manager input" in e.why for e in plan.edits):
            if (repo.root / "flake.lock").is_file():
                console.out(
                    "flake.lock is now out of date: run `nix flake lock` (needs the network)"
                )
            else:
                console.out(
                    "pin the new home-manager input: run `nix flake lock` (needs the network)"
                )
        if s.repo is not None:
            console.out(
                "next: review with `git diff`, then `homeward verify` and `homeward switch`"
            )
        else:
            console.out("next: review the files (not in git: there is no `git diff` to undo it)")
    return int(Exit.OK)


def nothing_to_move(opaque: int) -> str:
    """What an empty plan says of a configuration that does not use home-manager: that no user
    has anything homeward can read to move (`opaque`: the modules it cannot look into, which
    may hold some)."""
    said = "nothing to do: no user packages or user settings to move into home-manager"
    if not opaque:
        return said
    return (
        f"{said} in what homeward can read ({opaque} module{'s' * (opaque > 1)} it cannot "
        "look into may hold some)"
    )


def _adopt_plan(opts: Options, index: Index) -> Plan:
    """`--adopt-dotfiles DIR --user U`: DIR (as typed, from the current directory) must be a
    directory of the repository."""
    from homeward.plan.dotfiles import AdoptSpec, plan_adopt_dotfiles

    assert opts.adopt_dotfiles is not None
    if opts.user is None:
        raise UsageError("--adopt-dotfiles needs --user USER: whose home gets the files")
    if opts.out_of_store is not None and not opts.out_of_store.startswith("/"):
        raise UsageError(
            f"--out-of-store `{opts.out_of_store}` is not an absolute path",
            hint="give where this repository is checked out on the machine, e.g. "
            "/home/<user>/nixos-config",
        )
    root = index.repo.root.resolve()
    where = opts.adopt_dotfiles.resolve()
    if not where.exists() and not opts.adopt_dotfiles.is_absolute():
        where = (opts.dir / opts.adopt_dotfiles).resolve()  # relative to the configuration
    if not where.is_relative_to(root):
        raise UsageError(f"`{opts.adopt_dotfiles}` is not inside the repository")
    rel = PurePosixPath(where.relative_to(root).as_posix())
    return plan_adopt_dotfiles(index, AdoptSpec(rel, opts.user, opts.out_of_store))
