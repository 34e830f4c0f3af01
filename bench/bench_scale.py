"""How `check`, `graph` and `migrate --dry-run` scale with the fleet (a script, not a test).

    python bench/bench_scale.py                        # 10, 25, 50, 100, 200 hosts x 10 users
    python bench/bench_scale.py --hosts 50 200 --runs 3
    python bench/bench_scale.py --markdown             # the table for docs/benchmarks.md

The configurations are bench_migrate.py's (accounts in a shared module, per-host package lists,
`home/<user>.nix` files imported by half of the hosts) with 36 more small system modules per
host, the shape issue #9 measured (1,862 files at 50 hosts). Each command runs as its own
process; the figure is its whole-process CPU time (user + system, of it and what it waited for)
and its peak memory (max RSS), medians over `--runs` runs after one untimed warm-up. The floor
is one Python process that imports the grammar and parses the same files with tree-sitter, and
nothing else. All processes run with Python's bytecode cache, as an installed homeward does
(the environment may set `PYTHONDONTWRITEBYTECODE`; it is dropped for them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_migrate import generate

FLOOR = """
import sys
from tree_sitter_language_pack import get_parser
parser = get_parser("nix")
for name in open(sys.argv[1]).read().splitlines():
    with open(name, "rb") as f:
        parser.parse(f.read())
"""

COMMANDS: dict[str, list[str]] = {
    "check": ["check"],
    "graph": ["graph"],
    "migrate": ["migrate", "--dry-run"],
}


@dataclass(frozen=True)
class Sample:
    cpu_s: float
    rss_mib: float


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(HERE / "out" / "pycache")
    return env


def _run(argv: list[str], env: dict[str, str]) -> Sample:
    """One process: its CPU time and peak memory, from the kernel's accounting at exit."""
    with open(os.devnull, "wb") as null:
        p = subprocess.Popen(argv, stdout=null, stderr=subprocess.PIPE, env=env)
        assert p.stderr is not None
        err = p.stderr.read()
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(argv)} exited {p.returncode}:\n{err.decode()[-2000:]}")
    return Sample(usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def _median(argv: list[str], runs: int, env: dict[str, str]) -> Sample:
    _run(argv, env)  # warm-up: page cache, bytecode
    samples = [_run(argv, env) for _ in range(runs)]
    return Sample(
        statistics.median(s.cpu_s for s in samples), statistics.median(s.rss_mib for s in samples)
    )


def measure(hosts: int, users: int, modules: int, runs: int) -> dict[str, object]:
    env = _env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "config"
        root.mkdir()
        generate(root, hosts, users, modules)
        files = sorted(str(p) for p in root.rglob("*.nix"))
        listing = Path(tmp) / "files.txt"
        listing.write_text("\n".join(files))
        row: dict[str, object] = {"hosts": hosts, "files": len(files)}
        row["floor"] = _median([sys.executable, "-c", FLOOR, str(listing)], runs, env)
        for name, args in COMMANDS.items():
            row[name] = _median([sys.executable, "-m", "homeward", *args, str(root)], runs, env)
    return row


def _ratio(row: dict[str, object], name: str) -> str:
    s, floor = row[name], row["floor"]
    assert isinstance(s, Sample) and isinstance(floor, Sample)
    return f"{s.cpu_s:.2f} s ({s.cpu_s / floor.cpu_s:.1f}x)"


def table(rows: list[dict[str, object]]) -> str:
    lines = [
        "| hosts | files | floor | check | graph | migrate --dry-run | peak memory: floor / check / migrate |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        floor = row["floor"]
        check, migrate = row["check"], row["migrate"]
        assert isinstance(floor, Sample) and isinstance(check, Sample)
        assert isinstance(migrate, Sample)
        lines.append(
            f"| {row['hosts']} | {row['files']:,} | {floor.cpu_s:.2f} s | {_ratio(row, 'check')} "
            f"| {_ratio(row, 'graph')} | {_ratio(row, 'migrate')} "
            f"| {floor.rss_mib:.0f} / {check.rss_mib:.0f} / {migrate.rss_mib:.0f} MiB |"
        )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[10, 25, 50, 100, 200])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--modules", type=int, default=36, help="extra system modules per host")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="only print the table")
    args = parser.parse_args()
    rows = []
    for hosts in args.hosts:
        row = measure(hosts, args.users, args.modules, args.runs)
        rows.append(row)
        if not args.markdown:
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
