"""Comments attach by position in the syntax tree, never by searching for their text (issue 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homeward.cli import main
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
