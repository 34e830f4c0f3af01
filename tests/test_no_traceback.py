"""No crash reaches the user as a traceback (issue 10): each input or situation that once ended
in one, and the exit codes of the design's table (3 nothing changed, 4 a homeward bug)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from homeward.cli import main
from tests.conftest import EXAMPLE
from tests.helpers import copy_tree, make_git_repo, tree_files

HAM = (EXAMPLE / "home" / "ham.nix").read_text()
EDITOR = 'environment.variables.EDITOR = "nvim";'

CASES = {
    "empty-user-module": HAM.replace(HAM, "{ }\n"),
    "undefined-variable": HAM.replace('"nvim"', "undefinedVar"),
    "interpolated-path": HAM.replace(EDITOR, 'environment.etc."x".source = ./files/${name}.conf;'),
    "top-level-inherit": HAM.replace(
        "{ pkgs, ... }:\n{\n", "{ pkgs, lib, ... }:\n{\n  inherit (lib) mkIf;\n"
    ),
    "500-nested-sets": HAM.replace(
        EDITOR, "environment.variables.X = " + "{ a = " * 500 + "1;" + " };" * 500
    ),
    "1000-nested-lists": HAM.replace(
        EDITOR, "environment.variables.X = " + "[ " * 1000 + "1" + " ]" * 1000 + ";"
    ),
    # Deeper than the walks follow: exit 3 at the place, not just "too deep" (issue 10).
    "10000-nested-lists": HAM.replace(
        EDITOR, "environment.variables.X = " + "[ " * 10000 + "1" + " ]" * 10000 + ";"
    ),
}


def repo_with_ham(tmp_path: Path, text: str) -> Path:
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    (work / "home" / "ham.nix").write_text(text)
    return make_git_repo(work)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", sorted(CASES))
def test_inputs_that_crashed_end_cleanly(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: uncaught CannotMove and RecursionError ended as tracebacks with exit 1 (the
    "findings" code, so scripts read a crash as a result)."""
    work = repo_with_ham(tmp_path, CASES[case])
    before = tree_files(work)
    for args in (("graph",), ("migrate", "--dry-run"), ("migrate",)):
        code, err = run(capsys, *args, str(work))
        assert "Traceback" not in err and "internal error" not in err, (args, err)
        assert code in (0, 3), (args, code, err)
        if code == 3:
            assert tree_files(work) == before
            assert err.startswith("homeward: error: home/ham.nix:"), err


def test_home_user_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: FileExistsError when `home/<u>` is a file, not a directory."""
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    (work / "home" / "ham").write_text("a note\n")
    make_git_repo(work)
    before = tree_files(work)
    code, err = run(capsys, "migrate", str(work))
    assert code == 3, err
    assert "`home/ham` exists and is not a directory" in err and "Traceback" not in err
    assert tree_files(work) == before


def path_without_git(tmp_path: Path) -> str:
    """A PATH with nix but without git."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("nix", "nix-instantiate", "dot"):
        found = shutil.which(tool)
        if found:
            (bin_dir / tool).symlink_to(found)
    return str(bin_dir)


def test_missing_git_refuses_before_anything_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    before = tree_files(work)
    monkeypatch.setenv("PATH", path_without_git(tmp_path))
    code, err = run(capsys, "migrate", str(work))
    assert code == 3, err
    assert "`git` is not installed" in err and "nothing was changed" in err
    assert tree_files(work) == before
    code, err = run(capsys, "graph", str(work))
    assert code == 0, err  # reading needs no git


def hw(
    *args: str, env: dict[str, str] | None = None, stdout: IO[bytes] | int = subprocess.PIPE
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "homeward", *args],
        env={**os.environ, **(env or {})},
        stdout=stdout,
        stderr=subprocess.PIPE,
        check=False,
        timeout=120,
    )


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_stdout_on_a_full_device(tmp_path: Path) -> None:
    with open("/dev/full", "wb") as full:
        p = hw("graph", str(EXAMPLE), stdout=full)
    err = p.stderr.decode()
    assert p.returncode == 3, err
    assert "cannot write the output: No space left on device" in err
    assert "Traceback" not in err and "Exception ignored" not in err


def test_ascii_output_encoding(tmp_path: Path) -> None:
    """Why: PYTHONIOENCODING=ascii and the `→` of a rename crashed the dry run."""
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    p = hw("migrate", "--dry-run", str(work), env={"PYTHONIOENCODING": "ascii"})
    assert p.returncode == 0, p.stderr.decode()
    assert b"rename home/ham.nix \\u2192 home/ham/default.nix" in p.stdout


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/dev/full").exists(), reason="needs root")
def test_graph_output_refuses_device_nodes_and_fifos(tmp_path: Path) -> None:
    """Why: `graph -o` renamed a temp file over its target: as root, over a device node.
    (Names need an extension now; a link to the device, a FIFO and a directory have one.)"""
    fifo = tmp_path / "fifo.mmd"
    os.mkfifo(fifo)
    device = tmp_path / "full.mmd"
    device.symlink_to("/dev/full")
    directory = tmp_path / "dir.mmd"
    directory.mkdir()
    for target in (device, fifo, directory):
        p = hw("graph", str(EXAMPLE), "-o", str(target))
        assert p.returncode == 2, p.stderr
        assert b"homeward writes regular files only" in p.stderr
    assert Path("/dev/full").is_char_device()
    assert fifo.is_fifo() and device.is_symlink() and directory.is_dir()


def test_graph_output_writes_through_a_symlink(tmp_path: Path) -> None:
    """Decided: `-o link` writes the file the link points to; the link stays."""
    real = tmp_path / "real.mmd"
    real.write_text("old\n")
    link = tmp_path / "graph.mmd"
    link.symlink_to(real)
    p = hw("graph", str(EXAMPLE), "-o", str(link))
    assert p.returncode == 0, p.stderr
    assert link.is_symlink() and real.read_text().startswith("flowchart")


def test_a_homeward_bug_exits_4_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from homeward.model import graph

    def broken(*_: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(graph, "build_graph", broken)
    monkeypatch.setattr("homeward.commands.graph.build_graph", broken)
    code, err = run(capsys, "graph", str(EXAMPLE))
    assert code == 4
    assert err.startswith("homeward: internal error: ZeroDivisionError: boom")
    assert "Traceback" not in err and "--debug" in err
    code, err = run(capsys, "--debug", "graph", str(EXAMPLE))
    assert code == 4 and "Traceback" in err


def test_nix_error_line_is_the_error_not_a_warning() -> None:
    """Why: nix's first stderr line is often the "group 'nixbld'" warning, not the error."""
    from homeward.nix.run import error_line

    stderr = (
        "warning: the group 'nixbld' specified in 'build-users-group' does not exist\n"
        "error: syntax error, unexpected ';'\n\n       at «stdin»:1:5:\n"
    )
    assert error_line(stderr) == "error: syntax error, unexpected ';'"


@pytest.mark.parametrize(
    ("args", "rule"),
    [
        (("add", "user", "eve\n"), "not a valid user name"),
        (("add", "user", "in"), "it is a Nix keyword"),
        (("add", "host", "let"), "it is a Nix keyword"),
        (("add", "host", "desk\n"), "not a valid host name"),
        (("add", "feature", "café"), "ASCII letters"),
        (("add", "feature", "rec"), "it is a Nix keyword"),
        (("add", "feature", "../x"), "ASCII letters"),
    ],
)
def test_names_are_validated_once_with_the_rule(
    args: tuple[str, ...], rule: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a trailing newline passed (`$` matches before it) and ended as an internal error;
    `add user in` failed late; non-ASCII feature names passed `isalnum()`."""
    work = copy_tree(
        Path(__file__).parent / "fixtures" / "migrate" / "example" / "after", tmp_path / "r"
    )
    make_git_repo(work)
    before = tree_files(work)
    code, err = run(capsys, *args, "--dir", str(work))
    assert code == 2, err
    assert rule in err and "Traceback" not in err
    assert tree_files(work) == before


def test_init_refuses_a_keyword_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run(capsys, "init", str(tmp_path / "new"), "--user", "ham", "--host", "if")
    assert code == 2 and "it is a Nix keyword" in err
    assert not (tmp_path / "new").exists()


HARDWARE = "hosts/nixos-desk/hardware-configuration.nix"


def repo_with(tmp_path: Path, name: str, content: bytes) -> Path:
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    (work / name).write_bytes(content)
    return make_git_repo(work)


@pytest.mark.parametrize(
    ("content", "where", "message"),
    [
        (b"{\n  a = @@@;\n}\n", "2:7", "unexpected `@`"),
        (b"{\n  a = 1;\n  /* never closed\n}\n", "3:3", "unexpected `/`"),
        (b"{ a, a }:\n{\n  x = 1;\n}\n", "1:6", "duplicate formal function argument `a`"),
        (b"{\n  a = 1;\n  a = 2;\n}\n", "3:3", "attribute `a` is already defined"),
        (b"\xef\xbb\xbf{\n  a = 1;\n}\n", "1:1", "byte order mark"),
        # Nix's experimental pipe operator, named as what it is (not "unexpected `|`").
        (b"{\n  a = [ 1 ]\n    |> map (x: x);\n}\n", "3:5", "`|>`: the pipe operator"),
    ],
    ids=["at-signs", "unclosed-comment", "duplicate-formal", "duplicate-attribute", "bom", "pipe"],
)
def test_input_errors_are_located_where_nix_puts_them(
    content: bytes, where: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `a = @@@;` pointed at `a`; `{ a, a }:` passed check; a BOM or a duplicate attribute
    ended as "internal error, please report" (nix rejects each of them)."""
    work = repo_with(tmp_path, HARDWARE, content)
    code, err = run(capsys, "migrate", "--dry-run", str(work))
    assert code == 3, err
    assert f"{HARDWARE}:{where}: " in err and message in err, err
    assert "internal error" not in err
    code = main(["check", str(work)])
    out = capsys.readouterr().out
    assert code == 1 and f"{HARDWARE}:{where}: HW015" in out and message in out, out


def test_a_nul_byte_in_a_comment_is_a_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: tree-sitter ended the comment at the NUL and reported a syntax error; nix reads on."""
    work = repo_with(tmp_path, HARDWARE, b"{\n  # a \x00 here\n  a = 1;\n}\n")
    code, err = run(capsys, "graph", str(work))
    assert code == 0, err


def test_a_symlink_loop_is_not_called_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    (work / HARDWARE).unlink()
    (work / HARDWARE).symlink_to("hardware-configuration.nix")
    make_git_repo(work)
    main(["check", str(work)])
    out = capsys.readouterr().out
    assert "the import `hosts/nixos-desk/hardware-configuration.nix` is a symlink loop" in out
    assert "does not exist" not in out


def test_the_deepest_place_is_found_without_recursion() -> None:
    """Why (issue 10): the walk that names the place must not itself run out of stack."""
    from homeward.syntax.depth import deepest_node

    depth = 50_000
    text = b"[ " * depth + b"1" + b" ]" * depth
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        levels, byte = deepest_node(text)
    finally:
        sys.setrecursionlimit(limit)
    assert levels > depth
    assert 2 * depth - 2 <= byte <= 2 * depth  # the innermost list: its `[` or the `1`


def test_a_file_defining_a_name_twice_skips_its_hosts_and_is_told_once(tmp_path: Path) -> None:
    """Why: the load checks its files for names defined twice in one batch at the end; when
    one does, it reads the configuration again, checking each file as it is read. The model is
    the one a check of each file gives, and a progress bar is told of each file once."""
    from homeward.model.repo import load_repo

    work = repo_with(tmp_path, HARDWARE, b"{\n  a = 1;\n  a = { b = 2; };\n}\n")
    told: list[str] = []  # real paths
    repo = load_repo(work, on_read=told.append)
    assert "nixos-desk" in repo.skipped and "nixos-desk" not in repo.hosts
    problem = repo.skipped["nixos-desk"]
    assert problem.at is not None and (str(problem.at.path), problem.at.line) == (HARDWARE, 3)
    assert "attribute `a` is already defined" in problem.message
    assert len(told) == len(set(told)) and any(Path(p).name == "flake.nix" for p in told)
    assert HARDWARE not in repo.modules
