"""What a cold run of `check` or `migrate` pays per file and per process (issue 9): each test
fails on the cost it guards coming back."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from pathlib import Path

import pytest

from homeward.errors import HomewardError
from homeward.syntax.parse import GRAMMAR_ENV, read_source


def test_a_file_is_read_without_a_buffered_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: `open(file, "rb").read()` builds a buffered reader per file, 60% more than the
    reads themselves (30 ms of the 7,412 files at 200 hosts, in every command)."""
    big = b"{ }" + b" " * (3 << 20) + b"\n"  # more than one read's worth
    (tmp_path / "big.nix").write_bytes(big)
    (tmp_path / "empty.nix").write_bytes(b"")

    def refused(*args: object, **kwargs: object) -> object:
        raise AssertionError("read through `open`")

    monkeypatch.setattr(builtins, "open", refused)
    assert read_source(str(tmp_path / "big.nix")).text == big
    assert read_source(tmp_path / "empty.nix", regular=True).text == b""


def test_a_file_that_cannot_be_read_is_told_as_before(tmp_path: Path) -> None:
    (tmp_path / "dir.nix").mkdir()
    with pytest.raises(HomewardError, match="is a directory, not a Nix file"):
        read_source(tmp_path / "dir.nix")
    with pytest.raises(HomewardError, match="does not exist"):
        read_source(tmp_path / "missing.nix", regular=True)
    os.mkfifo(tmp_path / "fifo.nix")
    with pytest.raises(HomewardError, match="not a regular file"):
        read_source(tmp_path / "fifo.nix")


def test_the_nix_grammar_is_loaded_without_the_rest_of_the_pack() -> None:
    """Why: importing the language pack imports its C#, YAML and embedded-template grammars
    too: 6 ms and 1.3 MiB of every run. The grammar loaded is the pack's own."""
    probe = (
        "import sys\n"
        "from homeward.syntax.parse import nix_language, parse_tree\n"
        "assert parse_tree(b'{ a = 1; }').root_node.type == 'source_code'\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('tree_sitter_'))))\n"
        "from tree_sitter_language_pack import get_language\n"
        "print(nix_language() == get_language('nix'))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != GRAMMAR_ENV}
    p = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, env=env
    )
    assert p.stdout.splitlines() == ["", "True"]


def test_debug_shows_the_programs_run(tmp_path: Path) -> None:
    """`--debug` still shows each program homeward runs (`proc.run`), though logging is only
    imported when asked for."""
    (tmp_path / "flake.nix").write_text("{ outputs = { ... }: { }; }\n")
    p = subprocess.run(
        [sys.executable, "-m", "homeward", "--debug", "check", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 1, p.stderr  # HW016: no host
    assert "$ git rev-parse --show-toplevel" in p.stderr
