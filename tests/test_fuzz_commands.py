"""`graph`, `migrate --dry-run` and `add` never crash on mutated configurations (issue 10): exit
0, 1, 2 or 3 with a message, never a traceback or an internal error (exit 4).

Bounded like the check fuzz test; `HOMEWARD_FUZZ_EXAMPLES` raises the count for a longer run.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.cli import main
from tests.conftest import EXAMPLE
from tests.test_check_fuzz import mutate

EXAMPLES = int(os.environ.get("HOMEWARD_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # Why: CI runs the same examples every time; failures reproduce
)
# `add` grows the layout: it runs on the migrated example and on the legacy one (issue 10: it
# ran on the migrated one only), graph and migrate on the legacy one.
MIGRATED = Path(__file__).parent / "fixtures" / "migrate" / "example" / "after"
# The login shells' groups that migrate splits (issue 13).
SHELLS = Path(__file__).parent / "fixtures" / "migrate" / "shell-zsh" / "before"
COMMANDS = [
    (SHELLS, ("migrate", "--dry-run")),
    (EXAMPLE, ("graph",)),
    (EXAMPLE, ("migrate", "--dry-run")),
    (EXAMPLE, ("add", "user", "eve", "--dry-run", "--dir")),
    (EXAMPLE, ("add", "host", "lab", "--dry-run", "--dir")),
    (MIGRATED, ("graph",)),
    (MIGRATED, ("add", "feature", "extra", "--dry-run", "--dir")),
    (MIGRATED, ("add", "user", "eve", "--dry-run", "--dir")),
    (MIGRATED, ("add", "host", "lab", "--dry-run", "--dir")),
    (MIGRATED, ("add", "host", "lab", "--mkhost", "--dry-run", "--dir")),
]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[Path, tuple[str, ...], str, bytes]:
    """A command, and one file of its tree with a few random edits: deletions, insertions,
    duplications."""
    base, command = draw(st.sampled_from(COMMANDS))
    name = draw(
        st.sampled_from(sorted(p.relative_to(base).as_posix() for p in base.rglob("*.nix")))
    )
    return base, command, name, mutate(draw, (base / name).read_bytes())


def _never_crashes(base: Path, command: tuple[str, ...], name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "repo"
        shutil.copytree(base, work)
        (work / name).write_bytes(content)
        before = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main([*command, str(work)])
        text = err.getvalue()
        assert code in (0, 1, 2, 3), (command, code, text)
        assert "internal error" not in text and "Traceback" not in text, (command, text)
        if code in (2, 3):
            assert "error: " in text, text
        after = {p: p.read_bytes() for p in work.rglob("*") if p.is_file()}
        assert after == before, "a dry run or a read changed a file"


@FUZZ
@given(mutated())
def test_mutated_configurations_never_crash(case: tuple[Path, tuple[str, ...], str, bytes]) -> None:
    """Why: RecursionError and CannotMove reached users as tracebacks from graph and migrate."""
    _never_crashes(*case)
