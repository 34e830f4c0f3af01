"""`check` never crashes: random bytes and mutated valid Nix end in exit 0, 1 or 3 with a message.

The number of examples is bounded so that the suite stays fast in CI; `HOMEWARD_FUZZ_EXAMPLES`
raises it for a longer local run.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.cli import main
from tests.test_check import CHECK_FIXTURES, Case, make_repo

EXAMPLES = int(os.environ.get("HOMEWARD_FUZZ_EXAMPLES", "150"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # Why: CI runs the same examples every time; failures reproduce
)

FILES = sorted(
    p.relative_to(CHECK_FIXTURES / "clean").as_posix()
    for p in (CHECK_FIXTURES / "clean").rglob("*.nix")
)
TOKENS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b"(",
    b")",
    b";",
    b"=",
    b":",
    b".",
    b",",
    b"@",
    b"?",
    b"...",
    b'"',
    b"''",
    b"${",
    b"#",
    b"/*",
    b"*/",
    b"\n",
    b" ",
    b"\\",
    b"let ",
    b" in ",
    b"with ",
    b"rec ",
    b"inherit ",
    b"import ",
    b"./x.nix",
    b"../..",
    b"/etc/x.nix",
    b"<nixpkgs>",
    b"lib.mkIf true ",
    b"lib.mkMerge [ ",
    b"imports = [ ./. ];",
    b"users.users.ham.packages = [];",
    b"home-manager.users.ham = ",
    b"programs.git.config.x = 1;",
    b"\xff",
    b"\xc3",
    b"\x00",
    b"\xe2\x80\x8b",
    b"\t",
    b"\r\n",
]

SUMMARY = re.compile(r"(no findings|\d+ errors?, \d+ warnings?)( \(\d+ suppressed\))?")
SEEN = re.compile(r"read \d+ hosts?, .*")  # the first line: how much was read


def mutate(draw: st.DrawFn, original: bytes) -> bytes:
    """`original` with a few random edits: deletions, insertions of TOKENS, duplications."""
    text = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["delete", "insert", "duplicate"]))
        if action == "delete":
            end = draw(st.integers(at, min(len(text), at + 40)))
            del text[at:end]
        elif action == "insert":
            text[at:at] = draw(st.sampled_from(TOKENS))
        else:
            end = draw(st.integers(at, min(len(text), at + 60)))
            text[at:at] = text[at:end]
    return bytes(text)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """One fixture file with a few random edits: deletions, insertions, duplications."""
    name = draw(st.sampled_from(FILES))
    return name, mutate(draw, (CHECK_FIXTURES / "clean" / name).read_bytes())


def _check_never_crashes(name: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = make_repo(Case(), Path(tmp))
        (work / name).write_bytes(content)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["check", str(work)])
    assert code in (0, 1, 3), (code, err.getvalue())
    assert "internal error" not in err.getvalue(), err.getvalue()
    if code == 3:
        assert err.getvalue().startswith("homeward: error: "), err.getvalue()
    else:
        lines = out.getvalue().splitlines()
        assert SEEN.fullmatch(lines[0]), out.getvalue()
        assert SUMMARY.fullmatch(lines[-1]), out.getvalue()


@FUZZ
@given(mutated())
def test_mutated_nix_never_crashes(case: tuple[str, bytes]) -> None:
    """Why: check runs in CI and pre-commit on half-edited files; it must answer, not crash."""
    _check_never_crashes(*case)


@FUZZ
@given(st.sampled_from(FILES), st.binary(max_size=400))
def test_random_bytes_never_crash(name: str, content: bytes) -> None:
    """Why: any bytes in a reached file end in a finding or a located error, not a traceback."""
    _check_never_crashes(name, content)
