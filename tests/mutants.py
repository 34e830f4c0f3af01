"""Mutation checks: the oracles that guard homeward's promises must catch a broken homeward.

Each mutant is a small text patch that breaks one promise (a package dropped from migrate's
output, a comment skipped, the conservation oracle made a no-op). For each: copy the project to
a temporary directory, apply the patch there, run the tests that guard the promise, and require
them to FAIL with the message that names the loss. A mutant that passes the tests means an
oracle that cannot fail.

The patch's anchor is a short line of code that must occur exactly once in the files it names:
when a refactor moves or rewrites it, this stops with "anchor not found" rather than testing
nothing; update the anchor to the new code (docs/architecture.md, "Mutation checks").

    python -m tests.mutants          # all mutants, a line each; exit 1 if one survives
    python -m tests.mutants NAME...  # some of them

`tests/test_mutants.py` runs them in `make test`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
# What a copy needs to run the tests: the code, the tests with their fixtures, the examples and
# docs some tests read, and the pytest configuration.
COPIED = ("src", "tests", "examples", "docs", "pyproject.toml")
IGNORED = shutil.ignore_patterns(
    "__pycache__", "*.egg-info", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".hypothesis"
)
TIMEOUT = 300.0


@dataclass(frozen=True, slots=True)
class Mutant:
    name: str
    what: str  # the promise it breaks
    where: str  # a glob below the project: the files the anchor is looked for in
    anchor: str  # text that occurs exactly once in those files
    replacement: str
    tests: tuple[str, ...]  # pytest arguments: the tests that guard the promise
    expect: str  # what the failing run must print: the oracle names the loss


MUTANTS = (
    Mutant(
        "drop-package",
        "migrate's output drops the first package of every home.packages it writes",
        "src/homeward/plan/**/*.py",
        "    items = list(dest.items)\n",
        "    items = list(dest.items)[1:]  # mutant: the first package is dropped\n",
        # A case whose plain package lists are split into items (not moved whole).
        ("tests/test_migrate_qa.py::test_qa_case[20-host-on-other-nixpkgs]",),
        " lost [",
    ),
    Mutant(
        "skip-comment",
        "migrate drops the comments inside a package list it moves",
        "src/homeward/plan/**/*.py",
        "            pending.append(child)\n",
        "            pass  # mutant: the comment is skipped\n",
        (
            "tests/test_migrate_qa.py::test_qa_case[25-list-comments-split]",
            "tests/test_migrate_qa.py::test_qa_case[11d-odd-comments]",
        ),
        "comments lost",
    ),
    Mutant(
        "unwired-per-host",
        "migrate leaves a user's per-host file out of home-manager's NixOS module",
        "src/homeward/plan/**/*.py",
        "        if not shared and per_host not in (None, entry):\n",
        "        if False:  # mutant: the per-host file is not wired\n",
        (
            "tests/test_invariants.py::test_per_host_files_are_read_by_their_hosts_through_both_wirings",
        ),
        "home-manager's NixOS module does not read it there",
    ),
    Mutant(
        "shared-entry-taken",
        "migrate imports a user's new files from a module other users' homes start from too",
        "src/homeward/model/*.py",
        "        return not self.home_users.get(key, frozenset()) <= {user}\n",
        "        return False  # mutant: a home other users start from is taken as the user's own\n",
        ("tests/test_invariants.py::test_a_shared_first_module_gains_no_ones_files",),
        "`bob@b` gains `home.packages` (`pkgs.home-manager`)",
    ),
    Mutant(
        "priority-unseen",
        "migrate moves definitions into an option a priority in the user's home ranks",
        "src/homeward/plan/*.py",
        "        return target[:n] == scope[:n]\n",
        "        return False  # mutant: no priority in a home is ever met\n",
        ("tests/test_home_priorities.py::test_a_priority_in_the_home_drops_nothing_migrate_moves",),
        "ann@a lost [",
    ),
    Mutant(
        "standalone-not-extended",
        "migrate wires a user's new per-host file into her NixOS home and not into her existing "
        "standalone configuration (the planner before 966e009)",
        "src/homeward/plan/**/*.py",
        "        extend_kept_lists(flake, decided.kept)\n",
        "        pass  # mutant: the existing standalone list is left as it was\n",
        ("tests/test_invariants.py::test_a_kept_standalone_list_reads_the_new_per_host_file",),
        '`homeConfigurations."ann@a"` does not read `home/ann/a.nix`, which home-manager\'s '
        "NixOS module reads for `ann` on `a`",
    ),
    Mutant(
        "noop-conservation",
        "`assert_conserved`, the conservation oracle, checks nothing",
        "tests/test_conservation.py",
        '    """Every user on every host gets the same packages and settings after as before."""\n',
        '    """Every user on every host gets the same packages and settings after as before."""\n'
        "    return  # mutant: the oracle is a no-op\n",
        ("tests/test_conservation.py", "-k", "catches"),
        "DID NOT RAISE",
    ),
)


class AnchorError(Exception):
    """The anchor of a mutant is not in its files exactly once: the code it patched moved."""


@dataclass(frozen=True, slots=True)
class Outcome:
    mutant: Mutant
    caught: bool
    seconds: float
    output: str  # the tail of the test run
    patched: str  # the file the patch went into, relative to the project


def anchor_hits(mutant: Mutant, root: Path) -> list[tuple[Path, int]]:
    """The files under `root` matching the mutant's glob, with how often each holds the anchor."""
    return [
        (path, path.read_text(encoding="utf-8").count(mutant.anchor))
        for path in sorted(root.glob(mutant.where))
        if path.is_file()
    ]


def apply_mutant(mutant: Mutant, root: Path) -> Path:
    """Patch the copy at `root`; the file patched."""
    hits = anchor_hits(mutant, root)
    total = sum(n for _, n in hits)
    if total != 1:
        found = ", ".join(f"{p.relative_to(root)} ({n}x)" for p, n in hits if n) or "nowhere"
        raise AnchorError(
            f"mutant `{mutant.name}`: its anchor {mutant.anchor.strip()!r} must occur exactly "
            f"once in {mutant.where}, found {found}: the code it breaks has moved; point the "
            "anchor at the new code in tests/mutants.py"
        )
    path = next(p for p, n in hits if n)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(mutant.anchor, mutant.replacement), encoding="utf-8")
    return path


def copy_project(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in COPIED:
        source = PROJECT / name
        if source.is_dir():
            shutil.copytree(source, dest / name, symlinks=True, ignore=IGNORED)
        elif source.is_file():
            shutil.copy2(source, dest / name)
    return dest


def environment(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The copy's code, not the installed (editable) one; nix tests must run, not skip.
    env["PYTHONPATH"] = os.pathsep.join([str(root / "src"), str(root)])
    env["HOMEWARD_REQUIRE_NIX"] = "1"
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return env


def run_mutant(mutant: Mutant, scratch: Path) -> Outcome:
    start = time.monotonic()
    root = copy_project(scratch / mutant.name)
    patched = apply_mutant(mutant, root)
    env = environment(root)
    probe = subprocess.run(
        [sys.executable, "-c", "import homeward; print(homeward.__file__)"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if not Path(probe.stdout.strip()).is_relative_to(root):
        raise RuntimeError(f"the copy imports homeward from {probe.stdout.strip() or probe.stderr}")
    argv = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *mutant.tests]
    p = subprocess.run(
        argv, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=TIMEOUT
    )
    output = p.stdout + p.stderr
    # Exit 1: tests ran and some failed. 0 (passed), 2-5 (errors, nothing collected) are not a
    # catch, nor is a failure that does not name the loss (a mutant that merely crashes).
    caught = p.returncode == 1 and mutant.expect in output
    tail = "\n".join(output.rstrip().splitlines()[-40:])
    return Outcome(mutant, caught, time.monotonic() - start, tail, str(patched.relative_to(root)))


def run_mutants(names: list[str] | None = None) -> list[Outcome]:
    chosen = [m for m in MUTANTS if not names or m.name in names]
    unknown = set(names or ()) - {m.name for m in MUTANTS}
    if unknown:
        raise SystemExit(f"unknown mutants: {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory(prefix="homeward-mutants-") as tmp:
        return [run_mutant(m, Path(tmp)) for m in chosen]


def main(argv: list[str]) -> int:
    outcomes = run_mutants(argv or None)
    for o in outcomes:
        verdict = "caught" if o.caught else "SURVIVED"
        print(f"{o.mutant.name:<20} {verdict:<9} {o.seconds:5.1f}s  {o.patched}: {o.mutant.what}")
        if not o.caught:
            print(o.output)
    return 0 if all(o.caught for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
