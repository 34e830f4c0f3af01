"""Every example in README.md is real output of the current code.

An example is a fenced block between `<!-- example: SETUP -->` and `<!-- /example -->`. Its
`$ homeward ...` (and `$ git ...`) lines run in order, in a fresh directory prepared by SETUP, and
what each prints (stdout and stderr, as a terminal shows them) must be the lines that follow it.
A line `...` stands for any number of lines. HOMEWARD_UPDATE_GOLDENS=1 rewrites the blocks,
keeping each `...` where it was.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import EXAMPLE, ROOT
from tests.helpers import STANDINS

README = ROOT / "README.md"
UPDATE = os.environ.get("HOMEWARD_UPDATE_GOLDENS") == "1"
BLOCK = re.compile(
    r"<!-- example: (?P<setup>[a-z-]+) -->\n(?P<fence>```[a-z]*)\n(?P<body>.*?)```\n"
    r"<!-- /example -->",
    re.DOTALL,
)
FILE_BLOCK = re.compile(
    r"<!-- file: (?P<setup>[a-z-]+) (?P<path>\S+) -->\n(?P<fence>```[a-z]*)\n(?P<body>.*?)```\n"
    r"<!-- /file -->",
    re.DOTALL,
)
OUTPUT_BLOCK = re.compile(
    r"<!-- output: (?P<setup>[a-z-]+) (?P<command>[^>]+?) -->\n(?P<fence>```[a-z]*)\n"
    r"(?P<body>.*?)```\n<!-- /output -->",
    re.DOTALL,
)
ELISION = "..."


def _commit(root: Path) -> None:
    run(["git", "init", "-q", "-b", "main"], root)
    run(["git", "add", "-A"], root)
    run(["git", "commit", "-q", "-m", "before homeward"], root)


def setup_empty(work: Path) -> None:
    """Nothing: the example makes what it needs."""


def setup_example(work: Path) -> None:
    """`config`: the bundled example (examples/legacy), committed in git."""
    shutil.copytree(EXAMPLE, work / "config")
    _commit(work / "config")


def setup_migrated(work: Path) -> None:
    """`config`: the example after `homeward migrate`, committed; the offline stand-ins."""
    setup_example(work)
    run(["homeward", "migrate", "config"], work)
    run(["git", "add", "-A"], work / "config")
    run(["git", "commit", "-q", "-m", "homeward migrate"], work / "config")
    shutil.copytree(STANDINS, work / "standins")


def setup_scaffold(work: Path) -> None:
    """`config`: `homeward init config --user ham --host desk`, committed."""
    (work / "config").mkdir()
    run(["git", "init", "-q", "-b", "main"], work / "config")
    run(["homeward", "init", "config", "--user", "ham", "--host", "desk"], work)
    run(["git", "add", "-A"], work / "config")
    run(["git", "commit", "-q", "-m", "homeward init"], work / "config")


SETUPS: dict[str, Callable[[Path], None]] = {
    "empty": setup_empty,
    "example": setup_example,
    "migrated": setup_migrated,
    "scaffold": setup_scaffold,
}


def environment(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "COLUMNS")}
    env.update(
        NO_COLOR="1",
        PYTHONUNBUFFERED="1",  # stdout and stderr in the order a terminal shows them
        COLUMNS="80",
        USER="ham",
        HOME=str(work / "home"),
        PATH=env.get("PATH", ""),
        # The same commits, hence the same revision hashes, on every run.
        GIT_AUTHOR_DATE="2026-01-01T00:00:00Z",
        GIT_COMMITTER_DATE="2026-01-01T00:00:00Z",
    )
    return env


def run(argv: list[str], work: Path) -> str:
    if argv[0] == "homeward":
        argv = [sys.executable, "-m", "homeward", *argv[1:]]
    p = subprocess.run(
        argv,
        cwd=work,
        env=environment(work),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=600,
    )
    return p.stdout


@dataclass
class Step:
    command: str
    expected: list[str]


def parse(body: str) -> list[Step]:
    steps: list[Step] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            steps.append(Step(line[2:], []))
        elif steps:
            steps[-1].expected.append(line)
    for step in steps:  # the blank line between two commands belongs to neither
        while step.expected and step.expected[-1] == "":
            step.expected.pop()
    return steps


def matches(expected: list[str], got: list[str]) -> bool:
    """`expected` equals `got`, where a line `...` matches any number of lines."""
    if not expected:
        return not got
    if expected[0] == ELISION:
        return any(matches(expected[1:], got[i:]) for i in range(len(got) + 1))
    return bool(got) and expected[0] == got[0] and matches(expected[1:], got[1:])


def elided(expected: list[str], got: list[str]) -> list[str]:
    """`got`, shortened where `expected` has `...` (as many lines kept before and after)."""
    if ELISION not in expected:
        return got
    at = expected.index(ELISION)
    head, tail = at, len(expected) - at - 1
    if head + tail >= len(got):
        return got
    return [*got[:head], ELISION, *(got[len(got) - tail :] if tail else [])]


def examples() -> list[tuple[str, str, str]]:
    text = README.read_text()
    found = []
    for n, m in enumerate(BLOCK.finditer(text), 1):
        first = next((line[2:] for line in m["body"].splitlines() if line.startswith("$ ")), "")
        found.append((f"{n}-{first[:40]}", m["setup"], m["body"]))
    return found


def rewrite_block(header: str, footer: str, body: str) -> None:
    """Put `body` between the fence lines of the block that starts with `header`."""
    text = README.read_text()
    start = text.index(header)
    open_end = text.index("\n", start + len(header)) + 1  # after the opening fence
    close = text.index(f"```\n{footer}", start)
    README.write_text(text[:open_end] + body + text[close:])


def files() -> list[tuple[str, str, str]]:
    return [(m["setup"], m["path"], m["body"]) for m in FILE_BLOCK.finditer(README.read_text())]


EXAMPLES = examples()
FILES = files()
OUTPUTS = [(m["setup"], m["command"], m["body"]) for m in OUTPUT_BLOCK.finditer(README.read_text())]


@pytest.mark.parametrize(("setup", "command", "body"), OUTPUTS, ids=[o[1] for o in OUTPUTS])
def test_readme_output(setup: str, command: str, body: str, tmp_path: Path) -> None:
    """Why (#14): a block shown as rendered (Mermaid) is the command's output, whole."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "home").mkdir()
    SETUPS[setup](work)
    got = run(shlex.split(command), work)
    if UPDATE:
        rewrite_block(f"<!-- output: {setup} {command} -->\n", "<!-- /output -->", got)
        return
    assert got == body


@pytest.mark.parametrize(("setup", "path", "body"), FILES, ids=[f[1] for f in FILES])
def test_readme_file(setup: str, path: str, body: str, tmp_path: Path) -> None:
    """Why (#14): a file the README shows is the file homeward writes, byte for byte."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "home").mkdir()
    SETUPS[setup](work)
    got = (work / path).read_text()
    if UPDATE:
        rewrite_block(f"<!-- file: {setup} {path} -->\n", "<!-- /file -->", got)
        return
    assert got == body


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 10
    assert "(documented in its issue)" not in README.read_text()


@pytest.mark.parametrize(("name", "setup", "body"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_readme_example(name: str, setup: str, body: str, tmp_path: Path) -> None:
    """Why (#14): the README showed output the code no longer printed."""
    if "verify" in body and shutil.which("nix") is None:
        pytest.skip("`nix` is not installed (verify examples)")
    if ".svg" in body and shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` is not installed")
    work = tmp_path / "work"
    work.mkdir()
    (work / "home").mkdir()
    SETUPS[setup](work)
    steps = parse(body)
    assert steps, f"example {name} runs nothing"
    outputs: list[list[str]] = []
    for step in steps:
        argv = shlex.split(step.command)
        assert argv[0] in ("homeward", "git", "cd"), step.command
        outputs.append(run(argv, work).rstrip("\n").splitlines())
    if UPDATE:
        lines: list[str] = []
        for step, got in zip(steps, outputs, strict=True):
            if lines:
                lines.append("")
            lines.append(f"$ {step.command}")
            lines.extend(elided(step.expected, got))
        new_body = "\n".join(lines) + "\n"
        text = README.read_text()
        marker = f"<!-- example: {setup} -->\n"
        start = text.index(f"\n{body}```\n<!-- /example -->")
        assert text.rfind(marker, 0, start) != -1
        README.write_text(text[: start + 1] + new_body + text[start + 1 + len(body) :])
        return
    for step, got in zip(steps, outputs, strict=True):
        assert matches(step.expected, got), (
            f"$ {step.command}\n--- README\n"
            + "\n".join(step.expected)
            + "\n--- actual\n"
            + "\n".join(got)
        )


@pytest.mark.nix
@pytest.mark.graphviz
def test_make_demo_keeps_its_output_in_a_folder_it_names(tmp_path: Path) -> None:
    """Why (#14, README): the demo deleted what it made; its SVG could not be looked at."""
    target = tmp_path / "demo"
    env = {
        **os.environ,
        "DEMO_DIR": str(target),
        "HOMEWARD": str(Path(sys.executable).parent / "homeward"),
    }
    p = subprocess.run(
        ["bash", str(ROOT / "scripts" / "demo.sh")],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.rstrip().endswith(f"is in {target}")
    assert (target / "scaffold.svg").read_text().startswith("<?xml")
    assert (target / "migrated" / "home" / "ham" / "default.nix").is_file()
