"""`homeward check`: lint the separation of system and user configuration.

Exit 1 when a finding of error severity remains (after `--select`/`--ignore` and suppression
comments), 0 otherwise; 3 when the input cannot be read (a file that does not parse, is not
UTF-8, no flake.nix), with the file:line:col of the problem. Parts of the configuration that
homeward cannot follow statically are findings (HW012), not failures: a linter is most useful
when it reports what it can see of a partially resolvable repository.
"""

from __future__ import annotations

import gc
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import Exit, HomewardError, Location, UsageError

if TYPE_CHECKING:
    from homeward.apply.transaction import Session
    from homeward.lint.facts import Facts
    from homeward.lint.result import CheckResult

PROGRESS_MIN_FILES = 300  # below this, reading is quick enough that a bar would only flicker


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    files: Sequence[Path] = ()  # ignored: see `_flake_dir`
    format: str = "text"
    select: str = ""
    ignore: str = ""
    exit_zero: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    dry_run: bool = False
    allow_dirty: bool = False
    strict: bool = False
    debug: bool = False
    no_cache: bool = False


def _flake_dir(opts: Options) -> Path:
    """The directory to check. pre-commit (and git-hooks.nix) may pass changed files: a change
    to one file can break the separation anywhere, so the flake is checked as a whole, from the
    current directory (where pre-commit runs) when only files were named."""
    if opts.dir.is_file():
        return Path(".")
    return opts.dir


def run(opts: Options) -> int:
    opts = replace(opts, dir=_flake_dir(opts), files=())
    if (opts.unsafe_fixes or opts.dry_run or opts.allow_dirty) and not opts.fix:
        raise UsageError(
            "--unsafe-fixes, --dry-run and --allow-dirty go with --fix",
            hint="`homeward check --fix --dry-run` shows what --fix would change",
        )
    unchanged: CheckResult | None = None
    if opts.fix:
        from homeward.apply.transaction import session

        codes = _codes(opts)
        # The lock is held from reading to writing: what is fixed is what was read.
        with session(
            opts.dir, "check --fix", writes=not opts.dry_run, allow_dirty=opts.allow_dirty
        ) as s:
            unchanged = _fix(opts, codes, s)
        if opts.dry_run:
            return int(Exit.OK)
    # After --fix wrote something, what remains is read again.
    result = unchanged if unchanged is not None else _findings(opts)

    from homeward.model.files import shown_root
    from homeward.render import check as output

    shown = shown_root(opts.dir, result.root)
    if opts.format == "json":
        from homeward.render.console import print_json

        print_json("check", output.json_payload(result, shown))
    elif opts.format == "sarif":
        from homeward.render.console import out

        out(json.dumps(output.sarif_log(result, shown), indent=2))
    else:
        output.print_text(result, shown)
    return int(Exit.FINDINGS if result.errors and not opts.exit_zero else Exit.OK)


def _codes(opts: Options) -> frozenset[str]:
    """The rules to run: the flags', else homeward.toml's (`--select`, `--ignore`)."""
    from homeward.config import load_config
    from homeward.lint.run import selected_codes

    config = load_config(opts.dir)
    # A flag on the command line replaces the file's list, as ruff's --select does.
    return selected_codes(
        opts.select or ",".join(config.select), opts.ignore or ",".join(config.ignore)
    )


def _findings(opts: Options) -> CheckResult:
    """The findings; those of the last run when nothing they depend on changed (homeward/
    cache.py: the key holds the configuration's files, homeward.toml among them, and the flags
    that change findings; the output format and --exit-zero only change how they are shown)."""
    from homeward.apply import cache
    from homeward.lint.result import CLASSES, CheckResult

    return cache.cached(
        "check",
        opts.dir,
        {"select": opts.select, "ignore": opts.ignore, "strict": opts.strict},
        lambda: _lint(opts, _codes(opts))[0],
        cache.to_data,
        cache.decoder(CLASSES, CheckResult),
        no_cache=opts.no_cache,
    )


def _fix(opts: Options, codes: frozenset[str], s: Session) -> CheckResult | None:
    """Plan the fixes of the findings left after suppression comments; show them (`--dry-run`)
    or apply them through the session. The report goes to stderr, so that `--format json|sarif`
    stays one document on stdout. The findings when nothing was written, else None."""
    from homeward.apply.write import unified_diff
    from homeward.fix import describe, plan_fixes
    from homeward.render import console

    result, facts = _lint(opts, codes)
    fix_plan = plan_fixes(
        facts,
        codes,
        unsafe=opts.unsafe_fixes,
        findings=[(d.code, d.at) for d in result.diagnostics],
    )
    for line in describe(fix_plan, dry_run=opts.dry_run):
        console.err(line)
    if fix_plan.plan.empty:
        console.err("nothing to fix")
        return result
    changes = s.prepare(fix_plan.plan)
    if opts.dry_run:
        console.diff(unified_diff(changes))
        console.out("dry run: nothing was written")
        return result
    s.apply(changes)
    return None


def _lint(opts: Options, codes: frozenset[str]) -> tuple[CheckResult, Facts]:
    from homeward.commands.fixable import migrate_fixes
    from homeward.lint.run import lint_directory

    # Why: the Repo keeps everything it allocates until the end, so the cyclic collector only
    # rescans a growing heap; on large trees that cost a tenth of `check`'s time.
    collecting = gc.isenabled()
    gc.disable()
    last: list[str] = []  # the real path of the file read last: where a too deep expression is

    def on_read(path: str) -> None:
        last[:] = [path]
        if tick is not None:
            tick(path)

    try:
        with _progress(opts.dir) as tick:
            return lint_directory(
                opts.dir, codes, on_read=on_read, fixes=migrate_fixes, strict=opts.strict
            )
    except HomewardError as exc:
        if exc.at is not None and not exc.at.path.is_absolute():
            exc.at = Location(opts.dir / exc.at.path, exc.at.line, exc.at.col)
        raise
    except RecursionError:
        if opts.debug:
            raise
        from homeward.syntax.depth import deepest_in

        at = None
        if last:
            shown = Path(os.path.relpath(last[0], opts.dir.resolve()))
            at = Location(opts.dir / shown, 1, 1)
            # Where in it (issue 10: file:line:col), found by an iterative walk.
            deepest = deepest_in(opts.dir.resolve(), [Path(last[0])])
            if deepest is not None:
                at = Location(opts.dir / shown, deepest.at.line, deepest.at.col)
        raise HomewardError(
            "the file nests expressions too deeply for homeward to follow",
            at=at,
            hint="split the deepest expression into let-bound parts",
        ) from None
    finally:
        if collecting:
            # Why freeze first: what was read stays alive until the end, and re-enabling the
            # collector made its first pass walk all of it (0.26 s of `check` at 200 hosts).
            # `cli.main` unfreezes it at the end, for an in-process caller.
            gc.freeze()
            gc.enable()


@contextmanager
def _progress(directory: Path) -> Iterator[Callable[[str], None] | None]:
    """A progress bar on stderr when it is a terminal and there are many files to read."""
    from homeward.render.console import is_tty

    total = _count_nix_files(directory) if is_tty(sys.stderr) else 0
    if total < PROGRESS_MIN_FILES:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(
        TextColumn("reading"),
        BarColumn(),
        MofNCompleteColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("reading", total=total)
        yield lambda _path: bar.advance(task)


def _count_nix_files(directory: Path) -> int:
    """Nix files under `directory`, skipping hidden directories and symlinked ones."""
    count = 0
    for _root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        count += sum(f.endswith(".nix") for f in files)
    return count
