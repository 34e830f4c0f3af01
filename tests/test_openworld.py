"""The open world (DESIGN rules 9-14): partial knowledge is normal, reading never stops at the
first unknown, and what cannot be read is named with its place."""

from __future__ import annotations

import time
from pathlib import Path

from homeward.syntax.find import read_module
from homeward.syntax.parse import parse_source


def test_formals_with_defaults_are_read_in_linear_time() -> None:
    """Why: a regular expression over formals backtracked exponentially on a default after
    long identifiers (`enableSshConfig ? true` took 1.8 s; longer lists never finished)."""
    formals = ", ".join(f"enableSomethingQuiteLong{i}" for i in range(8))
    text = f"{{ lib, pkgs, config, {formals}, enableSshConfig ? true, ... }}: {{ }}\n".encode()
    start = time.perf_counter()
    module = read_module(parse_source(text, Path("m.nix")))
    elapsed = time.perf_counter() - start
    assert "enableSshConfig" in module.formals
    assert "enableSomethingQuiteLong7" in module.formals
    assert elapsed < 0.5, f"reading the formals took {elapsed:.2f} s"
