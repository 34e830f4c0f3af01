"""Run `check` on a directory: read the Repo once, run the selected rules, drop suppressed ones."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

from homeward.diagnostics import Diagnostic
from homeward.errors import Location, UsageError
from homeward.knowledge.hmdata import load_home_options
from homeward.lint.facts import Facts
from homeward.lint.result import CheckResult, Seen
from homeward.lint.rules import RULES, Fixed, lint
from homeward.model.index import Index, build_index
from homeward.model.repo import ProblemKind, Repo, framework_label, load_repo
from homeward.syntax.suppress import suppressing_line, suppression_comments


def parse_codes(text: str, option: str) -> list[str]:
    codes = [c.strip().upper() for c in text.split(",") if c.strip()]
    unknown = [c for c in codes if c not in RULES]
    if unknown:
        raise UsageError(
            f"{option}: unknown rule `{unknown[0]}`",
            hint=f"the rules are {', '.join(RULES)} (see docs/rules.md)",
        )
    return codes


def selected_codes(select: str, ignore: str) -> frozenset[str]:
    """The rules to run: `--select` (all when empty) minus `--ignore`."""
    chosen = parse_codes(select, "--select") or list(RULES)
    return frozenset(chosen) - frozenset(parse_codes(ignore, "--ignore"))


def feature_files(root: Path) -> tuple[str, ...]:
    """Repo-relative `home/<user>/features/**/*.nix` as posix strings, in a stable order.

    Why strings: the tree can hold thousands of files; pathlib objects cost more than the walk.
    """
    found: list[str] = []
    home = os.path.join(root, "home")
    try:
        users = sorted(e.name for e in os.scandir(home) if e.is_dir(follow_symlinks=False))
    except OSError:
        return ()
    for user in users:
        top = os.path.join(home, user, "features")
        if os.path.islink(top):
            continue
        for current, dirs, files in os.walk(top):
            dirs.sort()
            rel = os.path.relpath(current, root).replace(os.sep, "/")
            found.extend(f"{rel}/{name}" for name in sorted(files) if name.endswith(".nix"))
    return tuple(found)


def check_directory(
    directory: Path,
    codes: frozenset[str],
    *,
    on_read: Callable[[str], None] | None = None,
    fixes: Callable[[Index], Fixed] | None = None,
    strict: bool = False,
) -> CheckResult:
    return lint_directory(directory, codes, on_read=on_read, fixes=fixes, strict=strict)[0]


def lint_directory(
    directory: Path,
    codes: frozenset[str],
    *,
    on_read: Callable[[str], None] | None = None,
    fixes: Callable[[Index], Fixed] | None = None,
    strict: bool = False,
) -> tuple[CheckResult, Facts]:
    """The findings, and the facts they came from (what `check --fix` plans its fixes on).

    `fixes` answers, from the index, which findings `homeward migrate` does not fix (the
    command passes migrate's own answer: lint never imports the planner)."""
    # Macs are hosts, as `migrate` reads them (issue 12): the rules run on their wiring too.
    repo = load_repo(directory, on_read=on_read, darwin=True, reusable=False)
    index = build_index(repo)
    facts = Facts(
        index,
        feature_files(repo.root) if "HW009" in codes else (),
        load_home_options if "HW004" in codes else None,
    )
    found = lint(facts, codes, None if fixes is None else fixes(index), strict=strict)
    used: set[tuple[Path, int, str]] = set()
    kept: list[Diagnostic] = []
    for d in found:
        hit = _suppressed_by(repo, d)
        if hit is None:
            kept.append(d)
        else:
            used.add(hit)
    suppressed = len(found) - len(kept)
    kept.extend(_suppression_findings(repo, codes, used))
    opaque = repo.opaque
    at_modules = {ref.location for ref in opaque}
    unresolved = [p for p in repo.problems if p.kind is ProblemKind.UNRESOLVED]
    seen = Seen(
        hosts=sum(not index.is_mac(h) for h in repo.hosts),
        others=len(index.macs),
        homes=len(repo.homes),
        users=len(index.users),
        files=repo.ev.files.count,
        opaque=len(opaque),
        skipped=len(repo.skipped),
        unresolved=len(unresolved),
        unresolved_outputs=sum(p.at not in at_modules for p in unresolved),
        through=framework_label(repo) if repo.hosts or repo.homes or repo.others else "",
    )
    result = CheckResult(repo.root, tuple(kept), suppressed, repo.ev.files.count, seen)
    return result, facts


def _text(repo: Repo, path: Path) -> bytes | None:
    source = repo.ev.files.source_of(path)
    if source is not None:
        return source.text
    try:
        return path.read_bytes()
    except OSError:
        return None


def _suppressed_by(repo: Repo, d: Diagnostic) -> tuple[Path, int, str] | None:
    """(file, comment line, code) of the comment that silences `d`, or None."""
    if d.at is None:
        return None
    path = repo.root / d.at.path
    text = _text(repo, path)
    if text is None:
        return None
    line = suppressing_line(text, d.at.line, d.code)
    return None if line is None else (path, line, d.code)


def _suppression_findings(
    repo: Repo, codes: frozenset[str], used: set[tuple[Path, int, str]]
) -> Iterator[Diagnostic]:
    """HW017, as ruff's RUF100: a suppression naming an unknown code, or one that silences
    nothing (for a rule that ran: with --select, the others cannot be told)."""
    if "HW017" not in codes:
        return
    used_lines = {(path, line) for path, line, _code in used}
    # Only the files naming homeward can hold one (at 200 hosts, none of 7,412).
    for path, source in sorted(repo.ev.files.sources_holding(b"homeward").items()):
        for line, column, names in suppression_comments(source.text):
            # Where the comment's first token is (issue 14: one rule for places).
            at = Location(path.relative_to(repo.root), line, column)
            if names == frozenset({"*"}):
                if (path, line) not in used_lines:
                    yield _hw017(at, "`# homeward: ignore` silences nothing here")
                continue
            for name in sorted(names):
                if name not in RULES:
                    yield _hw017(
                        at, f"`{name}` is not a homeward rule: this suppression silences nothing"
                    )
                elif name in codes and name != "HW017" and (path, line, name) not in used:
                    yield _hw017(at, f"`# homeward: ignore[{name}]` silences nothing here")


def _hw017(at: Location, message: str) -> Diagnostic:
    rule = RULES["HW017"]
    return Diagnostic(rule.severity, message, at, code="HW017", hint=rule.hint)
