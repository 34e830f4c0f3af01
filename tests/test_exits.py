"""DESIGN's one exit-code table where homeward strayed: a text homeward generated that nix (or
tree-sitter) rejects is homeward's own bug, exit 4 with nothing written, not exit 3 ("the input
does not allow it"). The bad text is injected through the renderer of new files only: the
validation and nix are the real ones."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from homeward.cli import main
from homeward.plan import files
from tests.conftest import EXAMPLE
from tests.helpers import copy_tree, git, make_git_repo, tree_files

TARGET = PurePosixPath("home/ham/features/cli.nix")


def _inject(monkeypatch: pytest.MonkeyPatch, line: str) -> list[bytes]:
    """Make the renderer write `line` into `TARGET` before its last `}`; the texts it made."""
    real = files.render_dest
    made: list[bytes] = []

    def render_dest(dest: files.DestFile) -> bytes:
        text = real(dest)
        if dest.path == TARGET:
            cut = text.rindex(b"}")
            text = text[:cut] + line.encode() + b"\n" + text[cut:]
            made.append(text)
        return text

    monkeypatch.setattr(files, "render_dest", render_dest)
    return made


def _state(work: Path) -> tuple[dict[str, bytes], bytes, str]:
    """The work tree, the index's bytes, and what git says about them."""
    status = git(work, "status", "--porcelain", "--untracked-files=all", "--ignored")
    return tree_files(work), (work / ".git" / "index").read_bytes(), status


def _where(text: bytes, needle: str) -> tuple[int, int]:
    """1-based line and column of `needle` in `text`."""
    before = text[: text.index(needle.encode())]
    return before.count(b"\n") + 1, len(before) - before.rfind(b"\n")


@pytest.mark.nix
@pytest.mark.parametrize("args", [(), ("--dry-run",)], ids=["migrate", "dry-run"])
def test_nix_rejecting_a_generated_text_is_a_bug_and_nothing_is_written(
    args: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why: `apply/validate.py` raised HomewardError (exit 3, "the input does not allow it")
    with "internal error" when `nix-instantiate --parse` rejected a text homeward generated.
    The input is fine (nix accepts every file of it): DESIGN says a homeward bug is exit 4,
    nothing written. The message names the file, nix's message with the line and column in
    the generated text (not the file on disk), and asks for a report. tree-sitter accepts the
    text: only nix catches it."""
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    made = _inject(monkeypatch, "  home.file.bug.text = homewardForgotThis;")
    before = _state(work)
    code = main(["migrate", *args, str(work)])
    err = capsys.readouterr().err
    assert code == 4, err
    assert _state(work) == before
    line, col = _where(made[0], "homewardForgotThis")
    assert err.startswith("homeward: internal error: "), err
    assert f"`{TARGET}`" in err, err
    assert "undefined variable 'homewardForgotThis'" in err, err
    assert f"at line {line}, column {col} of that text" in err, err
    assert "nothing was written" in err and "please report" in err, err
    # The excerpt is the generated line, not whatever that line is in a file on disk.
    assert f" {line} |   home.file.bug.text = homewardForgotThis;" in err, err


@pytest.mark.parametrize("nix", [pytest.param(True, marks=pytest.mark.nix), False])
def test_tree_sitter_rejecting_a_generated_text_is_a_bug(
    nix: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why: tree-sitter's check of a generated text raised the same exit 3 ("internal error:
    homeward produced invalid Nix"). It is the same bug as nix's rejection: exit 4, nothing
    written, with or without nix installed."""
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    if not nix:
        monkeypatch.setattr("homeward.nix.run.nix_program", lambda _name="nix": None)
    made = _inject(monkeypatch, "  home.file.bug.text = ;")
    before = _state(work)
    code = main(["migrate", str(work)])
    err = capsys.readouterr().err
    assert code == 4, err
    assert _state(work) == before
    line, _col = _where(made[0], "home.file.bug")
    assert err.startswith("homeward: internal error: "), err
    assert f"`{TARGET}`" in err and f"line {line}, column " in err, err
    assert "nothing was written" in err and "please report" in err, err


@pytest.mark.nix
def test_a_generated_text_rejected_because_the_input_was_is_still_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: where a file migrate edits was already rejected as it is, the generated text
    carries the user's problem: that stays exit 3, at the place in the input. An undefined
    variable passes tree-sitter and the reader; nix's parser rejects it, in the file that has
    it and in the feature file it moves to."""
    work = copy_tree(EXAMPLE, tmp_path / "repo")
    ham = work / "home" / "ham.nix"
    ham.write_text(ham.read_text().replace('EDITOR = "nvim"', "EDITOR = undefinedVar"))
    make_git_repo(work)
    before = _state(work)
    code = main(["migrate", str(work)])
    err = capsys.readouterr().err
    assert code == 3, err
    assert _state(work) == before
    line, col = _where(ham.read_bytes(), "undefinedVar")
    assert err.startswith(f"homeward: error: home/ham.nix:{line}:{col}: "), err
    assert "undefined variable 'undefinedVar'" in err and "internal error" not in err, err


def test_without_nix_the_input_is_blamed_by_tree_sitter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why: without nix, only tree-sitter checks the texts; a new text it rejects is the
    input's fault when the file was rejected as it was (exit 3 at the input's place), and
    homeward's otherwise (exit 4)."""
    from homeward.apply.write import validate_changes
    from homeward.errors import Exit, HomewardError
    from homeward.plan.types import FileChange

    monkeypatch.setattr("homeward.nix.run.nix_program", lambda _name="nix": None)
    bad = b"{\n  a = 1;\n  a = 2;\n}\n"
    with pytest.raises(HomewardError) as info:
        validate_changes([FileChange(Path("x.nix"), bad, bad + b"# edited\n")])
    assert info.value.exit_code == Exit.INPUT
    assert "internal error" not in info.value.message
    assert info.value.at is not None and (info.value.at.line, info.value.at.col) == (3, 3)
    with pytest.raises(HomewardError) as info:
        validate_changes([FileChange(Path("x.nix"), b"{ a = 1; }\n", bad)])
    assert info.value.exit_code == Exit.BUG


def test_overlapping_edits_are_a_bug_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: two edits of the same bytes (OverlapError) said "internal error" and exited 3.
    The plan is homeward's: exit 4, nothing written."""
    from dataclasses import replace

    from homeward.plan import migrate
    from homeward.plan.types import Edit

    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    real = migrate.plan_migration

    def plan_migration(*args: object, **kwargs: object) -> object:
        plan = real(*args, **kwargs)  # type: ignore[arg-type]
        first = next(e for e in plan.edits if e.end_byte > e.start_byte)
        twin = Edit(first.path, first.start_byte, first.end_byte, b"x", "a second edit")
        return replace(plan, edits=(*plan.edits, twin))

    monkeypatch.setattr(migrate, "plan_migration", plan_migration)
    before = _state(work)
    code = main(["migrate", str(work)])
    err = capsys.readouterr().err
    assert code == 4, err
    assert _state(work) == before
    assert err.startswith("homeward: internal error: edits overlap in `"), err
    assert "internal error: internal error" not in err
    assert "nothing was written" in err and "please report" in err, err


def test_a_write_outside_the_repository_is_a_bug(tmp_path: Path) -> None:
    """Why: a plan that writes outside the repository is the planner's bug ("internal error",
    exit 3 before): exit 4, refused before anything is written."""
    from homeward.apply.write import compute_changes
    from homeward.errors import Exit, HomewardError
    from homeward.plan.types import NewFile, Plan

    (tmp_path / "repo").mkdir()
    plan = Plan(new_files=(NewFile(Path("/tmp/elsewhere.nix"), b"{ }\n", "t"),))
    with pytest.raises(HomewardError, match="outside the repository") as info:
        compute_changes(tmp_path / "repo", plan)
    assert info.value.exit_code == Exit.BUG
    assert not Path("/tmp/elsewhere.nix").exists()


def test_a_bug_in_check_is_exit_4(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `check` turned any unexpected exception into HomewardError, "internal error", exit
    3 (the input's fault); every other command's bug is exit 4, as DESIGN's table has it."""
    from homeward.lint import run

    def lint_directory(*_args: object, **_kwargs: object) -> object:
        raise RuntimeError("a bug in a rule")

    monkeypatch.setattr(run, "lint_directory", lint_directory)
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    code = main(["check", "--no-cache", str(work)])
    err = capsys.readouterr().err
    assert code == 4, err
    assert err.startswith("homeward: internal error: RuntimeError: a bug in a rule"), err
    assert "please report" in err, err


@pytest.mark.nix
def test_verify_selects_a_host_whose_name_is_no_identifier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `verify --host` wrote the names it keeps into nix's `--apply` text only when they
    matched a strict pattern, and raised ValueError otherwise: a flake's own host
    `nixosConfigurations."desk+1"` ended as an internal error (exit 4) on user input. The
    names are written as Nix strings, quoted and escaped."""
    from tests.test_verify import OVERRIDES, make_repo

    repo = make_repo(tmp_path)
    flake = repo / "flake.nix"
    flake.write_text(
        flake.read_text().replace("nixosConfigurations.desk ", 'nixosConfigurations."desk+1" ')
    )
    git(repo, "commit", "-qam", "a host name that is no identifier")
    code = main(["verify", str(repo), *OVERRIDES, "--host", "desk+1"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "internal error" not in err
    assert "desk+1: ham" in out, out
    assert "not compared: laptop" in out, out


@pytest.mark.nix
@pytest.mark.parametrize("name", ["desk+1", 'a"b', "c\\d", '${builtins.abort "x"}', "$${y}"])
def test_kept_names_reach_nix_as_themselves(name: str) -> None:
    """Why: the names are the flake's, any string nix allows; quoted, each is itself to nix,
    never code (an interpolation or an escape in a name stays text)."""
    import json

    from homeward.nix.ops import keep_expression
    from homeward.nix.run import run_instantiate

    kept = [name, "other"]
    listed = json.dumps([*kept, "left"]).replace("''", "'''").replace("${", "''${")
    value = f"builtins.listToAttrs (map (n: {{ name = n; value = n; }}) (builtins.fromJSON ''{listed}''))"
    expression = f"let value = {value}; in builtins.attrNames {keep_expression(kept)}"
    p = run_instantiate(["--eval", "--strict", "--json", "--expr", expression])
    assert p.ok, p.stderr
    assert sorted(json.loads(p.stdout)) == sorted(kept)
