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

The commands' result cache (homeward/apply/cache.py) is measured apart: the first table is of cold
runs (`--no-cache`); `--warm` adds, per command, a first run that makes and writes an entry
(each in a cache of its own: the cold run's cost plus the cache's) and a warm run (a run after
one that kept its answer, on the configuration unchanged).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_migrate import generate
from homeward.apply import cache

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


def _env(cache: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(HERE / "out" / "pycache")
    env.pop("HOMEWARD_NO_CACHE", None)
    if cache is not None:
        env["HOMEWARD_CACHE_DIR"] = str(cache)
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


def _first(argv: list[str], runs: int, caches: Path) -> Sample:
    """A run that makes and keeps an entry: each in an empty cache of its own."""
    samples = []
    for n in range(runs + 1):
        sample = _run(argv, _env(caches / f"first-{n}"))
        if n:  # the first is the warm-up
            samples.append(sample)
    return Sample(
        statistics.median(s.cpu_s for s in samples), statistics.median(s.rss_mib for s in samples)
    )


def measure(hosts: int, users: int, modules: int, runs: int, warm: bool) -> dict[str, object]:
    env = _env()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "config"
        root.mkdir()
        generate(root, hosts, users, modules)
        generated = time.time()
        files = sorted(str(p) for p in root.rglob("*.nix"))
        listing = Path(tmp) / "files.txt"
        listing.write_text("\n".join(files))
        row: dict[str, object] = {"hosts": hosts, "files": len(files)}
        row["floor"] = _median([sys.executable, "-c", FLOOR, str(listing)], runs, env)
        for name, args in COMMANDS.items():
            argv = [sys.executable, "-m", "homeward", *args, str(root)]
            row[name] = _median([*argv, "--no-cache"], runs, env)
        if warm:
            # No answer is kept while a file is younger than the cache's racy window.
            time.sleep(max(0.0, cache.RACY_NS / 1e9 + 0.5 - (time.time() - generated)))
            caches = Path(tmp) / "caches"
            for name, args in COMMANDS.items():
                argv = [sys.executable, "-m", "homeward", *args, str(root)]
                row[f"{name} first"] = _first(argv, runs, caches)
                # `_median`'s warm-up run keeps the answer the measured runs find.
                row[f"{name} warm"] = _median(argv, runs, _env(caches / "warm"))
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


def warm_table(rows: list[dict[str, object]]) -> str:
    """Per command: cold (`--no-cache`), a first run that keeps its answer (and what the cache
    adds to the cold run), and a warm run; CPU and peak memory, and the floor's ratio."""
    lines = [
        (
            "| hosts | command | cold | first run, kept (cache's cost) | warm | warm / floor "
            "| peak memory: cold / warm (floor) |"
        ),
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        floor = row["floor"]
        assert isinstance(floor, Sample)
        for name, label in (
            ("check", "check"),
            ("graph", "graph"),
            ("migrate", "migrate --dry-run"),
        ):
            cold, first, warm = row[name], row[f"{name} first"], row[f"{name} warm"]
            assert isinstance(cold, Sample) and isinstance(first, Sample)
            assert isinstance(warm, Sample)
            extra = (first.cpu_s - cold.cpu_s) / cold.cpu_s * 100
            lines.append(
                f"| {row['hosts']} | {label} | {cold.cpu_s:.2f} s | {first.cpu_s:.2f} s "
                f"({extra:+.0f}%) | {warm.cpu_s:.2f} s | {warm.cpu_s / floor.cpu_s:.1f}x "
                f"| {cold.rss_mib:.0f} / {warm.rss_mib:.0f} MiB ({floor.rss_mib:.0f}) |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, nargs="+", default=[10, 25, 50, 100, 200])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--modules", type=int, default=36, help="extra system modules per host")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="only print the table")
    parser.add_argument(
        "--warm", action="store_true", help="also a first run that keeps its answer, and a warm run"
    )
    args = parser.parse_args()
    rows = []
    for hosts in args.hosts:
        row = measure(hosts, args.users, args.modules, args.runs, args.warm)
        rows.append(row)
        if not args.markdown:
            print(table(rows[-1:]).splitlines()[-1], flush=True)
    print(table(rows))
    if args.warm:
        print()
        print(warm_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
