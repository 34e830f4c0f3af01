"""The import graph of `src/homeward` has one-way arrows, and side effects stay in their modules.

Read from the source with `ast` (nothing is imported), so a new import against the arrows, a
process started from a pure layer or a file written outside `apply/` fails here. The arrows
(docs/architecture.md):

    commands -> (render, apply, fix) -> plan -> model (index) -> syntax
    lint beside plan: it reads model, knowledge and diagnostics, never plan
    knowledge, diagnostics: leaves below plan and lint; errors, compat: below everything
    quoting: a leaf below syntax and nix (the one quoting of a Nix string for both)

Imports under `if TYPE_CHECKING:` and inside functions count: a type-only import is still a
dependency of the module that names it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

import homeward

SRC = Path(homeward.__file__).resolve().parent

# What each unit (a subpackage, or a top-level module) may import from homeward besides itself.
# Entries are dotted prefixes below `homeward`: "model" allows every model module,
# "model.extract" that module only. Everyone may import the package (`__version__`),
# `errors` and `compat`.
BASE = frozenset({"", "errors", "compat"})
BELOW_PLAN = frozenset({"model", "syntax", "knowledge", "diagnostics"})
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "compat": frozenset(),
    "diagnostics": frozenset(),
    "knowledge": frozenset(),
    "proc": frozenset(),
    # A Nix string literal, for the code syntax/ emits and the text nix/ gives `nix eval`.
    "quoting": frozenset(),
    "syntax": frozenset({"quoting"}),
    "model": frozenset({"syntax", "knowledge", "diagnostics"}),
    "plan": BELOW_PLAN,
    "lint": BELOW_PLAN,
    # nix/ turns nix's output into the model's data types; it never loads a Repo.
    "nix": frozenset({"proc", "model.extract", "quoting"}),
    "render": BELOW_PLAN | {"plan", "lint"},
    "apply": BELOW_PLAN | {"plan", "nix", "proc"},
    # homeward.toml: a repository's defaults for the commands (it knows the rule codes).
    "config": frozenset({"lint"}),
    # check --fix: plans Edits (plan) from the facts the rules read (lint); beside render.
    "fix": BELOW_PLAN | {"plan", "lint"},
    "commands": BELOW_PLAN | {"plan", "lint", "render", "apply", "nix", "proc", "config", "fix"},
    "cli": frozenset({"commands", "render", "diagnostics"}),
    "__main__": frozenset({"cli"}),
    "__init__": frozenset(),
}

# Imports against the arrows that are there on purpose, and why.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("commands/completions.py", "cli"): "completions describe the parser cli.py builds",
    ("commands/man.py", "cli"): "the manual page describes the parser cli.py builds",
}

# Pure layers: no process, no temp file, no write; `nix` and `proc` are out of reach above.
PURE = ("syntax", "model", "plan", "lint", "render", "fix", "knowledge", "diagnostics")
PROCESS_MODULES = frozenset({"subprocess", "shutil", "tempfile", "multiprocessing", "pty"})
# Functions of `os` that change the file system.
OS_WRITES = frozenset(
    {
        "replace",
        "rename",
        "renames",
        "remove",
        "unlink",
        "rmdir",
        "removedirs",
        "makedirs",
        "mkdir",
        "symlink",
        "link",
        "truncate",
        "write",
        "chmod",
        "chown",
        "utime",
        "mkfifo",
    }
)
# Methods of `Path` that change the file system (`Path.replace` is left out: str.replace).
PATH_WRITES = frozenset(
    {
        "write_text",
        "write_bytes",
        "mkdir",
        "unlink",
        "rmdir",
        "touch",
        "rename",
        "symlink_to",
        "hardlink_to",
        "chmod",
    }
)
# Reading the disk: planners, renderers and rules ask the model (`Repo.files`, `Repo.ev`).
PATH_READS = frozenset(
    {
        "exists",
        "is_file",
        "is_dir",
        "is_symlink",
        "read_bytes",
        "read_text",
        "iterdir",
        "glob",
        "rglob",
        "stat",
        "lstat",
    }
)
OS_READS = frozenset({"scandir", "listdir", "walk", "stat", "lstat", "readlink"})
OS_PATH_READS = frozenset(
    {"exists", "isfile", "isdir", "islink", "realpath", "getsize", "getmtime", "lexists"}
)
NO_DISK_READS = ("plan", "render", "lint")
# Modules of those layers that are loaders, and why they may read.
READERS = {
    # check's driver: loads the Repo and reads suppression comments of files it did not load.
    "lint/run.py",
    # the text of each rule, from the documentation shipped as package data.
    "lint/explain.py",
}


@dataclass(frozen=True, slots=True)
class Module:
    path: Path
    rel: str  # `plan/migrate.py`
    name: str  # `homeward.plan.migrate`
    unit: str  # `plan`
    tree: ast.Module


@cache
def modules() -> tuple[Module, ...]:
    found = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        parts = rel.removesuffix(".py").split("/")
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        name = ".".join(["homeward", *parts]) if parts != ["__init__"] else "homeward"
        unit = rel.split("/")[0].removesuffix(".py")
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found.append(Module(path, rel, name, unit, tree))
    return tuple(found)


def in_unit(unit: str) -> list[Module]:
    return [m for m in modules() if m.unit == unit]


def imports(module: Module) -> Iterator[tuple[str, int]]:
    """Every module name `module` imports (`from a import b` gives `a.b` too), with its line."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.name.split(".")
                if not module.rel.endswith("__init__.py"):
                    package = package[:-1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def homeward_imports(module: Module) -> Iterator[tuple[str, int]]:
    """Imports of homeward's own modules, as dotted names below `homeward` ("" the package)."""
    known = {m.name for m in modules()}
    for name, line in imports(module):
        if name == "homeward":
            yield "", line
        elif name.startswith("homeward.") and name in known:
            yield name.removeprefix("homeward."), line


def allowed(unit: str, target: str) -> bool:
    if target == unit or target.startswith(unit + "."):
        return True
    return any(
        target == prefix or target.startswith(prefix + ".") or (prefix == "" and target == "")
        for prefix in BASE | ALLOWED[unit]
    )


def calls(module: Module) -> Iterator[tuple[ast.Call, int]]:
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            yield node, node.lineno


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return "?"


def opens_for_writing(call: ast.Call) -> bool:
    """`open(x, "w")`, `path.open(mode="a")`, `os.fdopen(fd, "wb")`, ..."""
    func = dotted(call.func)
    if func not in ("open", "io.open", "os.fdopen", "codecs.open") and not func.endswith(".open"):
        return False
    mode: ast.expr | None = None
    if func.endswith(".open") and func not in ("io.open", "codecs.open", "os.open"):
        mode = call.args[0] if call.args else None  # Path.open(mode)
    elif len(call.args) > 1:
        mode = call.args[1]
    for keyword in call.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    if func == "os.open":
        return not _read_only(call)
    if mode is None:
        return False
    if not isinstance(mode, ast.Constant) or not isinstance(mode.value, str):
        return True  # a computed mode: assume the worst
    return any(c in mode.value for c in "wax+")


# The flags of an `os.open` that only reads (`os.O_RDONLY`, maybe with these, joined by `|`).
READ_ONLY_FLAGS = frozenset({"os.O_RDONLY", "os.O_CLOEXEC", "os.O_NOFOLLOW", "os.O_NOCTTY"})


def _read_only(call: ast.Call) -> bool:
    """`os.open(path, os.O_RDONLY | os.O_CLOEXEC)`: its flags, written out, only read."""
    flags = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "flags":
            flags = keyword.value
    names: list[ast.expr] = []
    while isinstance(flags, ast.BinOp) and isinstance(flags.op, ast.BitOr):
        names.append(flags.right)
        flags = flags.left
    if flags is None:
        return False
    names.append(flags)
    return "os.O_RDONLY" in {dotted(n) for n in names} and all(
        dotted(n) in READ_ONLY_FLAGS for n in names
    )


def writes(module: Module) -> list[str]:
    found = []
    for call, line in calls(module):
        func = dotted(call.func)
        head, _, attr = func.rpartition(".")
        if (head == "os" and attr in OS_WRITES) or opens_for_writing(call):
            found.append(f"{module.rel}:{line}: {func}(...)")
        elif head and head != "os" and attr in PATH_WRITES:
            found.append(f"{module.rel}:{line}: .{attr}(...)")
    return found


def disk_reads(module: Module) -> list[str]:
    found = []
    for call, line in calls(module):
        func = dotted(call.func)
        head, _, attr = func.rpartition(".")
        if (
            func == "open"
            or (func == "os.open" and _read_only(call))
            or (head == "os" and attr in OS_READS)
            or (head == "os.path" and attr in OS_PATH_READS)
        ):
            found.append(f"{module.rel}:{line}: {func}(...)")
        elif head and not head.startswith("os") and attr in PATH_READS:
            found.append(f"{module.rel}:{line}: .{attr}(...)")
    return found


# -- the arrows ----------------------------------------------------------------------------------
def test_every_unit_has_its_arrows() -> None:
    """Why: a new package must say where it sits, or the rules below would not cover it."""
    assert {m.unit for m in modules()} <= ALLOWED.keys()


@pytest.mark.parametrize("unit", sorted(ALLOWED))
def test_imports_follow_the_arrows(unit: str) -> None:
    wrong = [
        f"{m.rel}:{line}: imports homeward.{target}"
        for m in in_unit(unit)
        for target, line in homeward_imports(m)
        if not allowed(unit, target) and (m.rel, target.split(".")[0]) not in EXCEPTIONS
    ]
    assert not wrong, "\n".join(wrong)


def test_lint_is_beside_plan_not_below_it() -> None:
    """Why: the linter once imported the planner's types and mapping table (issue 8)."""
    assert not allowed("lint", "plan.types")
    assert not allowed("plan", "lint.rules")
    assert allowed("lint", "knowledge.mapping") and allowed("plan", "knowledge.mapping")
    assert allowed("lint", "diagnostics") and allowed("plan", "diagnostics")


def test_no_cycles_between_units() -> None:
    """Why: the arrows are one way: no unit reaches back up to one that imports it."""
    edges = {unit: {t.split(".")[0] for t in targets - BASE} for unit, targets in ALLOWED.items()}
    for start, targets in edges.items():
        stack, seen = list(targets), set[str]()
        while stack:
            unit = stack.pop()
            assert unit != start, f"{start} reaches itself through {sorted(seen)}"
            if unit not in seen:
                seen.add(unit)
                stack.extend(edges.get(unit, ()))


# -- side effects --------------------------------------------------------------------------------
@pytest.mark.parametrize("unit", PURE)
def test_pure_layers_start_no_process(unit: str) -> None:
    wrong = [
        f"{m.rel}:{line}: imports {name}"
        for m in in_unit(unit)
        for name, line in imports(m)
        if name.split(".")[0] in PROCESS_MODULES
        or name.startswith(("homeward.proc", "homeward.nix"))
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("unit", PURE)
def test_pure_layers_write_nothing(unit: str) -> None:
    wrong = [w for m in in_unit(unit) for w in writes(m)]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("unit", NO_DISK_READS)
def test_planners_renderers_and_rules_do_not_read_the_disk(unit: str) -> None:
    """Why: they read the loader's snapshot (`Repo.files`) and sources (`Repo.ev`), so what they
    decide is a function of the model, and a test can hand them any model."""
    wrong = [r for m in in_unit(unit) if m.rel not in READERS for r in disk_reads(m)]
    assert not wrong, "\n".join(wrong)


def test_only_proc_starts_processes() -> None:
    wrong = [
        f"{m.rel}:{line}: imports {name}"
        for m in modules()
        if m.rel != "proc.py"
        for name, line in imports(m)
        if name.split(".")[0] in ("subprocess", "multiprocessing", "pty")
    ]
    assert not wrong, "\n".join(wrong)


# Outside apply/, nothing creates, writes or removes files; outside apply/git.py nothing runs git.
SCRATCH = {
    # the texts `nix-instantiate --parse` reads, in a temporary directory it removes after
    "nix/run.py": "scratch files of a process",
}
SHUTIL_WRITES = frozenset({"rmtree", "move", "copy", "copy2", "copyfile", "copytree", "chown"})
TEMPFILE_MAKERS = frozenset(
    {"mkdtemp", "mkstemp", "TemporaryDirectory", "NamedTemporaryFile", "TemporaryFile"}
)
# Modules that still break a rule below and whose fix is another issue's work: strict xfails,
# so the test turns red (XPASS) when the fix lands and the entry must go.
PENDING_WRITES: dict[str, str] = {}
PENDING_GIT: dict[str, str] = {}


def file_effects(module: Module) -> list[str]:
    found = writes(module)
    for call, line in calls(module):
        func = dotted(call.func)
        head, _, attr = func.rpartition(".")
        if (head == "shutil" and attr in SHUTIL_WRITES) or (
            head == "tempfile" and attr in TEMPFILE_MAKERS
        ):
            found.append(f"{module.rel}:{line}: {func}(...)")
    return found


def runs_git(module: Module) -> list[str]:
    """`["git", ...]` argv literals and `which("git")`."""
    found = []
    for node in ast.walk(module.tree):
        if isinstance(node, ast.List) and node.elts:
            first = node.elts[0]
            if isinstance(first, ast.Constant) and first.value == "git":
                found.append(f"{module.rel}:{node.lineno}: argv starting with `git`")
        elif (
            isinstance(node, ast.Call)
            and dotted(node.func).endswith("which")
            and any(isinstance(a, ast.Constant) and a.value == "git" for a in node.args)
        ):
            found.append(f"{module.rel}:{node.lineno}: looks for `git`")
    return found


def pending(table: dict[str, str], rel: str) -> list[pytest.MarkDecorator]:
    return [pytest.mark.xfail(strict=True, reason=table[rel])] if rel in table else []


@pytest.mark.parametrize(
    "rel",
    [
        pytest.param(m.rel, marks=pending(PENDING_WRITES, m.rel))
        for m in modules()
        if m.unit != "apply" and m.rel not in SCRATCH
    ],
)
def test_only_apply_touches_files(rel: str) -> None:
    module = next(m for m in modules() if m.rel == rel)
    found = file_effects(module)
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "rel",
    [
        pytest.param(m.rel, marks=pending(PENDING_GIT, m.rel))
        for m in modules()
        if m.rel != "apply/git.py"
    ],
)
def test_only_the_git_module_runs_git(rel: str) -> None:
    module = next(m for m in modules() if m.rel == rel)
    found = runs_git(module)
    assert not found, "\n".join(found)


def test_the_checks_can_fail() -> None:
    """Why: a layer test that finds nothing on a violation would pass forever."""
    bad = ast.parse(
        "import subprocess\n"
        "from homeward.plan.types import Plan\n"
        "import os\n"
        "os.replace('a', 'b')\n"
        "p.write_text('x')\n"
        "open(p, 'w')\n"
        "open(p)\n"
        "os.open(p, os.O_RDONLY | os.O_CLOEXEC)\n"
        "os.open(p, os.O_RDONLY | os.O_CREAT)\n"
        "p.exists()\n"
        "shutil.rmtree(d)\n"
        "proc.run(['git', 'status'])\n"
    )
    module = Module(SRC / "lint/bad.py", "lint/bad.py", "homeward.lint.bad", "lint", bad)
    assert ("subprocess", 1) in list(imports(module))
    assert [t for t, _ in homeward_imports(module) if not allowed("lint", t)] == ["plan.types"]
    assert len(writes(module)) == 4  # with the `os.open` that may create
    assert len(disk_reads(module)) == 4  # both opens, the read-only `os.open` and exists()
    assert len(file_effects(module)) == 5
    assert len(runs_git(module)) == 1


# -- the documentation cited -----------------------------------------------------------------------
def test_cites_only_documents_the_project_has() -> None:
    """Why: code, tests and README cited a design document the project does not have (issue 8);
    the contract is docs/architecture.md."""
    root = SRC.parent.parent
    assert (root / "docs" / "architecture.md").is_file()
    missing = "DESIGN" + ".md"  # spelled in two parts so that this file does not cite it
    texts = [
        *root.joinpath("src").rglob("*.py"),
        *root.joinpath("tests").rglob("*.py"),
        *root.joinpath("docs").glob("*.md"),
        root / "README.md",
    ]
    wrong = [
        f"{path.relative_to(root)}:{n}"
        for path in texts
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if missing in line or "DESIGN" + " rule" in line
    ]
    assert not wrong, f"cite docs/architecture.md instead of {missing}: " + ", ".join(wrong)
