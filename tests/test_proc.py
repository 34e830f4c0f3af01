"""`proc.run` promises to report a failure as data and never raise: callers check `.ok`."""

from __future__ import annotations

import sys
from pathlib import Path

from homeward import proc


def test_missing_program_is_a_failed_result(tmp_path: Path) -> None:
    """Why: a program that vanished between `which` and `run` (or a wrong path) used to raise
    FileNotFoundError through every caller, which ends as an exit 4 "bug"."""
    result = proc.run([str(tmp_path / "no-such-program"), "--version"])
    assert not result.ok
    assert result.returncode == proc.NOT_FOUND
    assert "no-such-program" in result.stderr


def test_program_that_cannot_be_executed_is_a_failed_result(tmp_path: Path) -> None:
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\nexit 0\n")
    script.chmod(0o644)
    result = proc.run([str(script)])
    assert not result.ok
    assert result.returncode == proc.CANNOT_EXECUTE
    assert "not-executable" in result.stderr


def test_missing_working_directory_is_a_failed_result(tmp_path: Path) -> None:
    result = proc.run([sys.executable, "-c", "pass"], cwd=tmp_path / "gone")
    assert not result.ok
    assert "gone" in result.stderr


def test_timeout_is_a_failed_result() -> None:
    result = proc.run([sys.executable, "-c", "import time; time.sleep(10)"], timeout=0.2)
    assert not result.ok
    assert result.returncode == proc.TIMED_OUT
    assert "timed out" in result.stderr


def test_success_and_failure_keep_their_output() -> None:
    ok = proc.run([sys.executable, "-c", "print('out')"])
    assert ok.ok and ok.stdout == "out\n"
    bad = proc.run([sys.executable, "-c", "import sys; sys.exit('err')"])
    assert not bad.ok and bad.returncode == 1 and "err" in bad.stderr
