"""Run homeward on a corpus of real configurations and classify each result (a script, not a test).

    python bench/corpus.py [CORPUS] [--only NAME ...] [--json] [--out FILE] [--timeout S]

CORPUS (default `$HOMEWARD_CORPUS`, else `../corpus` beside the repository) holds one directory
per snapshot, each its own git repository, and a `MANIFEST.tsv` with the columns
`name repo commit shape flake_dir notes`. Snapshots named in the manifest but absent are
skipped; nothing is ever downloaded. It uses the homeward installed in the running Python.

For each snapshot, on a fresh temporary copy: `check`, `graph --format json`,
`migrate --dry-run`, `migrate`, `check` again and `migrate` a second time, each timed (a run
over 10 s is flagged). A package ledger (per host x user, the package names of
`users.users.<u>.packages` and of `home.packages` reachable from that host and user, read by
homeward's own model) is taken before and after. The result is one of:

- Handled: migrated, or "nothing to do" on a configuration whose hosts were read.
- Wrong: a package of the before-ledger is missing after; a configuration (host x user, or a
  standalone one) has after migrate a package its user had in none of theirs before, which
  another user's was (or which migrate adds, when the user is not one it migrates: no
  NixOS or nix-darwin host configures them after); `check` reports errors after
  `migrate`; the second run changes something; a new file is reachable from no host; packages
  of a system account were moved.
- Silent: exit 0 with nothing to do although homeward read no host at all, nor any standalone
  home (a flake of `homeConfigurations` only has nothing to migrate: its homes are what it has).
- Refused: `migrate` exits 3 (the message is kept).
- Crash: a traceback, exit 4 or 5, or a run that does not finish within the timeout.

A table is printed (rich on a terminal, plain otherwise); every detail goes to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

SLOW = 10.0  # seconds: a run slower than this is flagged
HOMEWARD = [sys.executable, "-m", "homeward"]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "corpus",
    "GIT_AUTHOR_EMAIL": "corpus@localhost",
    "GIT_COMMITTER_NAME": "corpus",
    "GIT_COMMITTER_EMAIL": "corpus@localhost",
}
CHECK_AFTER = "check after migrate: "
STATUSES = ("Handled", "Wrong", "Silent", "Refused", "Crash")


@dataclass(frozen=True, slots=True)
class Snapshot:
    name: str
    repo: str
    commit: str
    shape: str
    flake_dir: str
    notes: str


@dataclass
class Run:
    step: str
    argv: list[str]
    code: int
    seconds: float
    out: str
    err: str

    @property
    def crashed(self) -> bool:
        return self.code in (4, 5, -1) or "Traceback (most recent call last)" in self.err

    @property
    def message(self) -> str:
        """The last lines of what it said: the refusal or the crash."""
        text = (self.err.strip() or self.out.strip()).splitlines()
        return "\n".join(text[-6:])


@dataclass
class Result:
    name: str
    repo: str
    commit: str
    shape: str
    status: str = "Handled"
    reasons: list[str] = field(default_factory=list)
    runs: list[dict[str, object]] = field(default_factory=list)
    hosts: int = 0
    users: int = 0
    ledger_before: int = 0
    ledger_after: int = 0
    changed_files: int = 0
    check_errors: list[str] = field(default_factory=list)  # `check` before migrate
    fixable_left: list[str] = field(default_factory=list)  # "fixable" findings after migrate
    notes: list[str] = field(default_factory=list)  # what `migrate` said it could not read
    max_seconds: float = 0.0
    slow: list[str] = field(default_factory=list)


def read_manifest(corpus: Path) -> list[Snapshot]:
    manifest = corpus / "MANIFEST.tsv"
    snapshots = []
    for line in manifest.read_text().splitlines():
        if not line.strip() or line.startswith(("#", "name\t")):
            continue
        cols = [*line.split("\t"), "", "", "", "", "", ""][:6]
        snapshots.append(Snapshot(*(c.strip() for c in cols)))
    return snapshots


def run(step: str, args: list[str], cwd: Path, timeout: float) -> Run:
    argv = [*HOMEWARD, *args]
    env = dict(os.environ, NO_COLOR="1", TERM="dumb", COLUMNS="200")
    start = time.perf_counter()
    try:
        proc = subprocess.run(
            argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env, check=False
        )
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        code, out, err = -1, _text(exc.stdout), _text(exc.stderr) + f"\ntimeout after {timeout} s"
    return Run(step, args, code, time.perf_counter() - start, out, err)


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode(errors="replace")


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ, **GIT_ENV),
        check=True,
    )
    return proc.stdout


def ledger(directory: Path, timeout: float) -> dict[str, object]:
    """The package ledger of `directory`, read in a child process (a hang or crash is its own)."""
    argv = [sys.executable, __file__, "--ledger", str(directory)]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"ledger: timeout after {timeout} s"}
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        return {"error": "ledger: " + " | ".join(lines[-3:])}
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def read_ledger(directory: Path) -> dict[str, object]:
    """Per host x user, the package names homeward's reader sees; also the files hosts reach."""
    from homeward.lint.facts import Facts, HomeKind, is_user_packages
    from homeward.lint.packages import package_refs
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo

    repo = load_repo(directory, darwin=True)  # Macs are hosts migrate rewires: count them
    index = build_index(repo)
    packages: dict[str, set[str]] = {}

    def add(key: str, names: list[str]) -> None:
        packages.setdefault(key, set()).update(names)

    hosts = dict(index.hosts)  # NixOS and nix-darwin configurations
    system: dict[str, set[str]] = {}  # packages of system accounts, which never move
    for host in hosts:
        for _info, d in index.definitions(host):
            if is_user_packages(d.path) and len(d.path) == 4:
                add(f"{host}/{d.path[2]}", [r.name for r in package_refs(d.value, d.source.text)])
        for _info, d in index.definitions(host):
            key = f"{host}/{d.path[2]}" if len(d.path) == 4 else ""
            if d.path[3:] == ("isSystemUser",) and d.source.text_of(d.value) == "true":
                system[key] = set(packages.get(key, ()))  # the NixOS side only
    for home in Facts(index).homes:
        if home.kind is HomeKind.MODULE:
            key = f"{home.host}/{home.user}"
        else:
            key = f"home:{home.name}"
        for _key, d in home.definitions():
            if d.path == ("home", "packages"):
                add(key, [r.name for r in package_refs(d.value, d.source.text)])
    reached = sorted(
        str((repo.root / info.path).resolve())
        for info in repo.modules.values()
        if info.path is not None and info.hosts
    )
    users = {key.split("/", 1)[1] for key in packages if "/" in key and not key.startswith("home:")}
    return {
        "hosts": sorted(hosts),
        "homes": sorted(repo.homes),
        "users": sorted(users),
        "packages": {key: sorted(names) for key, names in sorted(packages.items())},
        "system_accounts": {key: sorted(names) for key, names in sorted(system.items())},
        "reached": reached,
        "problems": len(repo.problems),
    }


def missing_packages(before: dict[str, object], after: dict[str, object]) -> list[str]:
    old = before.get("packages")
    new = after.get("packages")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    lost = []
    for key, names in old.items():
        gone = sorted(set(names) - set(new.get(key, [])))
        if gone:
            lost.append(f"{key}: {' '.join(gone)}")
    return lost


def gained_packages(before: dict[str, object], after: dict[str, object]) -> list[str]:
    """Configurations that gain packages not their user's: each a line `<user>@<host>: <pkg>
    (was <other>'s)` (`home:<name>` is a standalone configuration, `<host>/<user>` one of
    home-manager's NixOS module or the account). A user's own packages may move between their
    configurations (`users.users.<u>.packages` of a host into `homeConfigurations."<u>@<host>"`
    and the other way, the wirings homeward adds, shared files placed per host): the same user,
    not a gain. A package no configuration had before is one migrate adds (the home-manager
    command): a gain only for a user it does not migrate (none of their configurations is a
    host's after it)."""
    old = before.get("packages")
    new = after.get("packages")
    if not isinstance(old, dict) or not isinstance(new, dict):
        return []
    had: dict[str, set[str]] = {}  # user -> every package of theirs before
    whose: dict[str, set[str]] = {}  # package -> the configurations that had it before
    for key, names in old.items():
        had.setdefault(_user_of(key), set()).update(names)
        for name in names:
            whose.setdefault(name, set()).add(key)
    migrated = {_user_of(key) for key in new if not key.startswith("home:")}
    found = []
    for key, names in sorted(new.items()):
        user = _user_of(key)
        gains = []
        for name in sorted(set(names) - had.get(user, set())):
            if name in whose:
                gains.append(f"{name} (was {_owners(whose[name])})")
            elif user not in migrated:
                users = sorted({_user_of(k) for k, v in new.items() if name in v} & migrated)
                gains.append(f"{name} (new, added for {', '.join(users) or 'another user'})")
        if gains:
            found.append(f"{_shown(key)}: {', '.join(gains)}")
    return found


def _user_of(key: str) -> str:
    """`desk/ham`, `home:ham@desk`, `home:ham` -> ham."""
    if key.startswith("home:"):
        return key[len("home:") :].split("@", 1)[0]
    return key.split("/", 1)[-1]


def _shown(key: str) -> str:
    """`desk/ham` -> ham@desk (home-manager's NixOS module); `home:ham@desk` ->
    `homeConfigurations."ham@desk"`."""
    if key.startswith("home:"):
        return f'homeConfigurations."{key[len("home:") :]}"'
    host, _, user = key.partition("/")
    return f"{user}@{host}"


def _owners(keys: set[str]) -> str:
    shown = sorted(_shown(k) for k in keys)
    more = f" and {len(shown) - 3} more" if len(shown) > 3 else ""
    return ", ".join(f"{k}'s" for k in shown[:3]) + more


def check_errors(r: Run, *, fixable: bool = False) -> list[str]:
    """The error findings of a `check --format json` run (with `fixable`: the fixable ones)."""
    try:
        data = json.loads(r.out)
    except json.JSONDecodeError:
        return []
    return [
        f"{f.get('code')} {f.get('path')}:{f.get('line')}: {f.get('message')}"
        for f in data.get("findings", [])
        if (f.get("fixable") is True if fixable else f.get("severity") == "error")
    ]


def evaluate(snap: Snapshot, source: Path, timeout: float) -> Result:
    res = Result(snap.name, snap.repo, snap.commit, snap.shape)
    with tempfile.TemporaryDirectory(prefix="homeward-corpus-") as tmp:
        work = Path(tmp) / snap.name
        shutil.copytree(source, work, symlinks=True)
        target = work / snap.flake_dir if snap.flake_dir not in ("", ".") else work
        runs: list[Run] = []

        def step(name: str, *args: str) -> Run:
            r = run(name, list(args), target, timeout)
            runs.append(r)
            return r

        before = ledger(target, timeout)
        res.check_errors = check_errors(step("check", "check", "--format", "json", "."))
        step("graph", "graph", "--format", "json", ".")
        dry = step("migrate --dry-run", "migrate", "--dry-run", ".")
        first = step("migrate", "migrate", ".")
        said = (first.err + first.out).splitlines()
        res.notes = [line.strip() for line in said if "note:" in line or "warning:" in line][:30]
        changed = [line for line in git(work, "status", "--porcelain").splitlines() if line]
        res.changed_files = len(changed)
        after: dict[str, object] = {}
        if first.code == 0:
            git(work, "add", "-A")
            git(work, "commit", "-q", "--no-verify", "--allow-empty", "-m", "migrate")
            after = ledger(target, timeout)
            recheck = step("check after", "check", "--format", "json", ".")
            res.fixable_left = check_errors(recheck, fixable=True)
            second = step("migrate again", "migrate", ".")
            again = [line for line in git(work, "status", "--porcelain").splitlines() if line]
            res.reasons += _wrong(before, after, recheck, second, again, changed, work)
            res.reasons = _tag_errors(res.reasons, res.check_errors)
        res.runs = [
            {
                "step": r.step,
                "code": r.code,
                "seconds": round(r.seconds, 3),
                "message": r.message if r.code != 0 or r.crashed else "",
            }
            for r in runs
        ]
        res.max_seconds = max(r.seconds for r in runs)
        res.slow = [f"{r.step} {r.seconds:.1f}s" for r in runs if r.seconds > SLOW]
        hosts = before.get("hosts")
        res.hosts = len(hosts) if isinstance(hosts, list) else 0
        users = before.get("users")
        res.users = len(users) if isinstance(users, list) else 0
        res.ledger_before = _count(before)
        res.ledger_after = _count(after)
        for side, data in (("before", before), ("after", after)):
            if "error" in data:
                res.reasons.append(f"{side} {data['error']}")
        crashes = [r for r in runs if r.crashed]
        if crashes:
            res.status = "Crash"
            res.reasons = [f"{r.step}: exit {r.code}: {r.message}" for r in crashes] + res.reasons
        elif dry.code == 3 or first.code == 3:
            res.status = "Refused"
            res.reasons = [(first if first.code == 3 else dry).message, *res.reasons]
        elif first.code != 0:
            res.status = "Wrong"
            res.reasons.insert(0, f"migrate exit {first.code}: {first.message}")
        elif any(not reason.startswith("before ledger") for reason in res.reasons):
            # The after-ledger failing means homeward cannot read its own output: wrong too.
            res.status = "Wrong"
        elif not changed and res.hosts == 0 and not before.get("homes"):
            res.status = "Silent"
            res.reasons.insert(0, f"nothing to do, no host read: {first.message}")
    return res


def _wrong(
    before: dict[str, object],
    after: dict[str, object],
    recheck: Run,
    second: Run,
    again: list[str],
    changed: list[str],
    work: Path,
) -> list[str]:
    reasons = [f"lost {line}" for line in missing_packages(before, after)]
    reasons += [f"gained: {line}" for line in gained_packages(before, after)]
    old, new = before.get("system_accounts"), after.get("system_accounts")
    if isinstance(old, dict) and isinstance(new, dict):
        for key, names in old.items():
            moved = sorted(set(names) - set(new.get(key, [])))
            if moved:
                reasons.append(f"moved packages of system account {key}: {' '.join(moved)}")
    reasons += [f"{CHECK_AFTER}{e}" for e in check_errors(recheck)]
    if second.code != 0:
        reasons.append(f"second migrate exit {second.code}: {second.message}")
    if again:
        reasons.append(f"second migrate changed: {' '.join(again[:8])}")
    reached = after.get("reached")
    if isinstance(reached, list):
        known = set(reached)
        for line in changed:
            status, path = line[:2], line[3:].split(" -> ")[-1]
            if "A" in status or "?" in status:
                full = str((work / path).resolve())
                if path.endswith(".nix") and full not in known:
                    reasons.append(f"new file reachable from no host: {path}")
    return reasons


def _tag_errors(reasons: list[str], before: list[str]) -> list[str]:
    """Say which `check` errors after migrate were there before it (line numbers may move)."""
    seen = {_unlined(e) for e in before}
    tagged = []
    for reason in reasons:
        error = reason.removeprefix(CHECK_AFTER)
        if error != reason:
            new = _unlined(error) not in seen
            reason = f"{CHECK_AFTER}{'(new) ' if new else '(already before) '}{error}"
        tagged.append(reason)
    return tagged


def _unlined(error: str) -> str:
    return re.sub(r":\d+:", ":", error)


def _count(data: dict[str, object]) -> int:
    packages = data.get("packages")
    return sum(len(v) for v in packages.values()) if isinstance(packages, dict) else 0


def summary(results: list[Result]) -> dict[str, object]:
    times = [float(str(r["seconds"])) for res in results for r in res.runs]
    shapes: dict[str, dict[str, int]] = {}
    for res in results:
        row = shapes.setdefault(res.shape, dict.fromkeys(STATUSES, 0))
        row[res.status] += 1
    return {
        "snapshots": len(results),
        "counts": {s: sum(1 for r in results if r.status == s) for s in STATUSES},
        "max_seconds": round(max(times), 2) if times else 0.0,
        "median_seconds": round(statistics.median(times), 3) if times else 0.0,
        "slow_runs": sum(len(r.slow) for r in results),
        "fixable_left": sum(1 for r in results if r.fixable_left),
        # Wrong only because `check` errors that were there before remain (migrate added none).
        "wrong_preexisting_only": sum(
            1
            for r in results
            if r.status == "Wrong"
            and all(x.startswith(f"{CHECK_AFTER}(already before)") for x in r.reasons)
        ),
        "shapes": shapes,
    }


def _source_commit() -> str:
    """The commit of the homeward source that ran, when it is a git checkout ("" otherwise)."""
    import homeward

    proc = subprocess.run(
        ["git", "rev-parse", "--short=12", "HEAD"],
        cwd=Path(homeward.__file__).parent,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() if proc.returncode == 0 else ""


def _headline(reason: str) -> str:
    """The line of a reason that says what went wrong (the error, not its hint)."""
    lines = [line.strip() for line in reason.splitlines() if line.strip()]
    for line in lines:
        if "error:" in line or "Error" in line:
            return line.removeprefix("homeward: ")
    return lines[0] if lines else ""


def print_table(results: list[Result], totals: dict[str, object]) -> None:
    headers = ["snapshot", "shape", "status", "hosts", "pkgs", "files", "max s", "why"]
    rows = [
        [
            r.name,
            r.shape,
            r.status,
            str(r.hosts),
            f"{r.ledger_before}->{r.ledger_after}",
            str(r.changed_files),
            f"{r.max_seconds:.1f}",
            _headline(r.reasons[0] if r.reasons else "")[:110],
        ]
        for r in results
    ]
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*headers)
        for row in rows:
            table.add_row(*row)
        Console().print(table)
    else:
        widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]
        for row in [headers, *rows]:
            print("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
    print(json.dumps(totals))


def markdown(document: dict[str, object]) -> str:
    """The results as the Markdown tables of docs/benchmarks.md (repositories, no local paths)."""
    totals = document["summary"]
    results = document["results"]
    assert isinstance(totals, dict) and isinstance(results, list)
    counts = totals["counts"]
    lines = [
        "| snapshots | " + " | ".join(STATUSES) + " | max run | median run | runs > 10 s |",
        "|---|" + "---|" * len(STATUSES) + "---|---|---|",
        f"| {totals['snapshots']} | "
        + " | ".join(str(counts[s]) for s in STATUSES)
        + f" | {totals['max_seconds']} s | {totals['median_seconds']} s | {totals['slow_runs']} |",
        "",
        (
            "Wrong only through `check` errors that were already reported before `migrate`: "
            f"{totals.get('wrong_preexisting_only', '?')}. Snapshots where a finding marked "
            f"fixable by `migrate` survives it: {totals.get('fixable_left', '?')}."
        ),
        "",
        "| shape | " + " | ".join(STATUSES) + " |",
        "|---|" + "---|" * len(STATUSES),
    ]
    for shape, row in totals["shapes"].items():
        lines.append(f"| {shape} | " + " | ".join(str(row[s]) for s in STATUSES) + " |")
    lines += ["", "| repository | commit | shape | status | what |", "|---|---|---|---|---|"]
    for r in results:
        why = _headline(r["reasons"][0]) if r["reasons"] else ""
        why = why.replace("|", "\\|").replace("`", "'")[:140]
        lines.append(
            f"| {r['repo']} | `{r['commit'][:12]}` | {r['shape']} | {r['status']} | {why} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path)
    parser.add_argument("--only", nargs="*", default=[], help="snapshot names to run")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--out", type=Path, help="JSON result file (default CORPUS/results.json)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    parser.add_argument("--markdown", type=Path, help="print a result file as Markdown tables")
    parser.add_argument("--ledger", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.markdown is not None:
        print(markdown(json.loads(args.markdown.read_text())), end="")
        return 0
    if args.ledger is not None:
        from homeward.cli import RECURSION_LIMIT

        # The reader walks as deep as the commands it measures may (cli.py raises the limit).
        sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
        print(json.dumps(read_ledger(args.ledger)))
        return 0
    default = Path(__file__).resolve().parents[2] / "corpus"
    corpus: Path = args.corpus or Path(os.environ.get("HOMEWARD_CORPUS", default))
    if not (corpus / "MANIFEST.tsv").is_file():
        print(f"no MANIFEST.tsv in {corpus}", file=sys.stderr)
        return 2
    results = []
    for snap in read_manifest(corpus):
        if args.only and snap.name not in args.only:
            continue
        source = corpus / snap.name
        if not (source / ".git").exists():
            print(f"skipped (absent): {snap.name}", file=sys.stderr)
            continue
        res = evaluate(snap, source, args.timeout)
        results.append(res)
        if not args.json:
            print(f"{res.name}: {res.status} ({res.max_seconds:.1f} s)", file=sys.stderr)
    totals = summary(results)
    totals["homeward_commit"] = _source_commit()
    out = args.out or corpus / "results.json"
    document = {"summary": totals, "results": [asdict(r) for r in results]}
    out.write_text(json.dumps(document, indent=2) + "\n")
    if args.json:
        print(json.dumps(document, indent=2))
    else:
        print_table(results, totals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
