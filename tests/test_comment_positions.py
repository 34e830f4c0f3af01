"""Comments attach by position in the syntax tree, never by searching for their text (issue 10)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.syntax.parse import parse_tree
from tests.conftest import EXAMPLE
from tests.helpers import copy_tree, make_git_repo, tree_files

HEADER = "# ham's own things, still written as a NixOS module."


def migrated(tmp_path: Path, ham: str, capsys: pytest.CaptureFixture[str]) -> dict[str, bytes]:
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    (work / "home" / "ham.nix").write_bytes(ham.encode())
    make_git_repo(work)
    assert main(["migrate", str(work)]) == 0, capsys.readouterr().err
    return tree_files(work)


def test_crlf_header_comment_stays_a_header(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: with CRLF line ends the header comment was also copied into a package list."""
    ham = (EXAMPLE / "home" / "ham.nix").read_text().replace("\n", "\r\n")
    after = migrated(tmp_path, ham, capsys)
    holders = [name for name, text in after.items() if HEADER.encode() in text]
    assert holders == ["home/ham/default.nix"]


def test_a_comment_whose_text_is_also_moved_is_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a `# TODO` between bindings was dropped because another `# TODO` was moved."""
    ham = (
        (EXAMPLE / "home" / "ham.nix")
        .read_text()
        .replace("    # for work\n", "    # TODO\n    # for work\n")
        .replace("  environment.variables.EDITOR", "  # TODO\n\n  environment.variables.EDITOR")
    )
    after = migrated(tmp_path, ham, capsys)
    count = sum(len(re.findall(rb"# TODO\b", text)) for text in after.values())
    assert count == 2


def test_dry_run_on_a_20_mb_user_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: a 20 MB user file did not finish `migrate --dry-run` in 600 s: unattached comments
    were searched by text, and every comment and name lookup climbed the tree through
    tree-sitter's parent and sibling links, each a search from the root (quadratic in the
    bindings: 45 s of CPU where linear work takes 4). Measured as this process's CPU time (nix's
    parse check is not homeward's cost) against a floor the same machine sets at the same
    moment: parsing the file once with tree-sitter. A busy machine slows both alike (a fixed
    limit of 5 s failed at load 4), a quadratic lookup only the dry run: with `ancestors`
    climbing parent links again, the ratio is near 90, where the linear code is near 14."""
    notes = "".join(f"  # note {i}: {'x' * 48}\n" for i in range(330_000))
    packages = "".join(f"    pkg{i} # tool {i}\n" for i in range(2_000))
    ham = (
        f"{HEADER}\n{{ pkgs, ... }}:\n{{\n{notes}\n"
        '  environment.variables.EDITOR = "nvim";\n\n'
        f"  users.users.ham.packages = with pkgs; [\n{packages}  ];\n}}\n"
    )
    assert len(ham) > 20_000_000
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    (work / "home" / "ham.nix").write_text(ham)
    make_git_repo(work)
    floor = _parse_cpu(ham.encode())
    start = time.process_time()
    code = main(["migrate", "--dry-run", str(work)])
    elapsed = time.process_time() - start
    out = capsys.readouterr().out
    assert code == 0
    assert "note 329999" in out and "pkg1999" in out
    assert elapsed < 30 * floor, (
        f"{elapsed:.1f} s, {elapsed / floor:.0f} times a parse ({floor:.2f} s)"
    )


def _parse_cpu(text: bytes) -> float:
    """The CPU time of one tree-sitter parse of `text`, the least of two (the first may pay for
    the grammar's loading)."""
    best = float("inf")
    for _ in range(2):
        start = time.process_time()
        parse_tree(text)
        best = min(best, time.process_time() - start)
    return best
