"""The command line as a NixOS user meets it: truthful flags, one rule for paths and colour.

Each test names the item of issue 14 it pins down.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import pytest

from homeward.cli import main
from tests.conftest import EXAMPLE, FIXTURES
from tests.helpers import copy_tree, git, make_git_repo, run_in_tty, tree_files

MIGRATED = FIXTURES / "migrate" / "example" / "after"


@pytest.fixture
def legacy(tmp_path: Path) -> Path:
    return make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))


@pytest.fixture
def migrated(tmp_path: Path) -> Path:
    return make_git_repo(copy_tree(MIGRATED, tmp_path / "repo"))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def tty_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update(COLUMNS="100", TERM="xterm-256color", **extra)
    return env


# -- item 1: --json changes the output format only ------------------------------------------


def test_migrate_json_applies_like_migrate_and_says_so(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.1): `--json` only changes the format; the JSON says what really happened."""
    snapshot = tree_files(legacy)
    code, out, _ = run_cli(capsys, "migrate", "--dry-run", "--json", str(legacy))
    assert code == 0 and tree_files(legacy) == snapshot
    data = json.loads(out)
    assert data["pending"] is True and data["applied"] is False
    code, out, _ = run_cli(capsys, "migrate", "--json", str(legacy))
    assert code == 0
    data = json.loads(out)
    assert data["applied"] is True and data["pending"] is False
    assert tree_files(legacy) != snapshot
    code, out, _ = run_cli(capsys, "migrate", "--check", "--json", str(legacy))
    assert code == 0 and json.loads(out)["pending"] is False


def test_migrate_json_help_does_not_promise_a_plan_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why (#14.1): the help said "print the plan as JSON" for a flag that applies."""
    assert main(["migrate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "print the plan as JSON" not in text
    assert "--json print the result as JSON" in text


# -- item 5: severity on every line ---------------------------------------------------------


def test_piped_check_names_the_severity_of_each_finding(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.5): piped output never said which findings fail the run (statix: `Warning:`)."""
    code, out, _ = run_cli(capsys, "check", str(legacy))
    assert code == 1
    findings = [line for line in out.splitlines() if ": HW" in line]
    assert findings
    for line in findings:
        code_part = line.split(": HW", 1)[1]
        assert code_part[3:].startswith((" error: ", " warning: ", " note: ")), line
    assert any(" error: " in line for line in findings)


# -- item 12: colour and flags --------------------------------------------------------------


def test_color_flags_and_environment(
    legacy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (#14.12): FORCE_COLOR and --color always colour a pipe; --color never wins."""
    monkeypatch.delenv("NO_COLOR")
    code, out, _ = run_cli(capsys, "check", str(legacy))
    assert "\x1b[" not in out
    code, out, _ = run_cli(capsys, "--color", "always", "check", str(legacy))
    assert "\x1b[" in out
    code, out, _ = run_cli(capsys, "check", "--color=always", str(legacy))
    assert "\x1b[" in out
    monkeypatch.setenv("FORCE_COLOR", "1")
    code, out, _ = run_cli(capsys, "check", str(legacy))
    assert "\x1b[" in out
    code, out, _ = run_cli(capsys, "--color", "never", "check", str(legacy))
    assert "\x1b[" not in out
    code, out, err = run_cli(capsys, "--color", "sometimes", "check", str(legacy))
    assert code == 2 and "sometimes" in err


def test_empty_no_color_does_not_disable_colour_on_a_terminal(legacy: Path) -> None:
    """Why (#14.12): no-color.org: NO_COLOR disables colour only when set and not empty."""
    code, text = run_in_tty(["check", str(legacy)], tty_env(NO_COLOR=""))
    assert code == 1 and "\x1b[" in text
    code, text = run_in_tty(["check", str(legacy)], tty_env(NO_COLOR="1"))
    assert code == 1 and "\x1b[" not in text


def test_error_prefix_is_coloured_on_a_terminal(tmp_path: Path) -> None:
    """Why (#14.12): `error:` stands out on a terminal, as in nix and cargo."""
    code, text = run_in_tty(["check", str(tmp_path)], tty_env())
    assert code == 3
    assert "\x1b[" in text and "error:" in text


def test_debug_is_accepted_after_the_subcommand(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.12): `homeward check --debug` was a usage error; only `homeward --debug check` ran."""
    code, _, err = run_cli(capsys, "check", str(legacy), "--debug")
    assert code == 1, err


def test_git_status_is_untouched_by_dry_runs(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.1): a dry run in JSON writes nothing, not even the index."""
    before = git(legacy, "status", "--porcelain")
    run_cli(capsys, "migrate", "--dry-run", "--json", str(legacy))
    assert git(legacy, "status", "--porcelain") == before


# -- item 15: wording that tells the truth ---------------------------------------------------


def test_no_flake_lock_is_not_called_out_of_date(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.15): "flake.lock is now out of date" was printed for a flake without a lock."""
    (legacy / "flake.lock").unlink(missing_ok=True)
    git(legacy, "commit", "-qam", "no lock", "--allow-empty")
    code, out, _ = run_cli(capsys, "migrate", str(legacy))
    assert code == 0
    assert "flake.lock" not in out
    assert "nix flake lock" in out


# -- item 2: homeward's own uncommitted writes are not "changes to protect" ------------------


def test_add_right_after_init_and_twice_in_a_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.2): `add` after `init` was refused for init's own intent-to-add files."""
    root = tmp_path / "cfg"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    code, _, err = run_cli(capsys, "init", str(root), "--user", "ham", "--host", "desk")
    assert code == 0, err
    code, _, err = run_cli(capsys, "add", "feature", "media", str(root))
    assert code == 0, err
    code, _, err = run_cli(capsys, "add", "feature", "games", str(root))
    assert code == 0, err
    code, _, err = run_cli(capsys, "add", "user", "eve", str(root))
    assert code == 0, err
    # A change of the user's own, even in a file homeward wrote, is protected again.
    with (root / "home/ham/features/media.nix").open("a") as f:
        f.write("# mine\n")
    code, _out, err = run_cli(capsys, "add", "feature", "mail", str(root))
    assert code == 3 and "uncommitted changes" in err and "media.nix" in err


# -- item 6: one rule for places and paths --------------------------------------------------


def test_a_definition_is_at_its_first_token_everywhere(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.6): check said `home/ham.nix:4:3`, the migrate table `:5`, its JSON `5:5`."""
    _, out, _ = run_cli(capsys, "check", str(legacy))
    assert f"{legacy}/home/ham.nix:4:3: HW003" in out
    _, out, _ = run_cli(capsys, "migrate", "--dry-run", "--json", str(legacy))
    git_moved = next(m for m in json.loads(out)["moved"] if m["definition"] == "programs.git")
    assert (git_moved["from"]["line"], git_moved["from"]["col"]) == (4, 3)
    _, out, _ = run_cli(capsys, "migrate", "--dry-run", str(legacy))
    assert f"{legacy}/home/ham.nix:4:3" in out


def test_paths_open_from_where_the_command_ran(
    legacy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (#14.6): migrate printed paths relative to DIR, which do not open from the cwd."""
    monkeypatch.chdir(legacy.parent)
    _, out, _ = run_cli(capsys, "migrate", "--dry-run", "repo")
    assert "repo/home/ham.nix:4:3" in out
    assert "repo/home/ham/features/git.nix" in out
    assert "repo/modules/system/users.nix" in out
    assert " home/ham.nix:" not in out


def test_migrate_warnings_open_from_where_the_command_ran(
    legacy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (#14.6, re-audit): the migrate table named `repo/home/ham.nix:4:3`, but its warnings
    and notes on stderr still said `hosts/nixos-desk/default.nix:5:5`, relative to DIR."""
    (legacy / "hosts" / "nixos-desk" / "hardware-configuration.nix").unlink()
    git(legacy, "commit", "-qam", "no hardware file")
    monkeypatch.chdir(legacy.parent)
    _, _, err = run_cli(capsys, "migrate", "--dry-run", "repo")
    assert "repo/hosts/nixos-desk/default.nix:5:5: note:" in err, err
    assert not err.startswith("hosts/"), err


def test_a_missing_directory_is_named_as_given(capsys: pytest.CaptureFixture[str]) -> None:
    """Why (#14.6): `check /nonexistent` said "`nonexistent` is not a directory"."""
    code, _, err = run_cli(capsys, "check", "/nonexistent/cfg")
    assert code == 3 and "`/nonexistent/cfg` is not a directory" in err


def test_commands_find_the_flake_above_a_subdirectory(
    legacy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (#14.6): run from `hosts/`, no command looked upward for flake.nix (nix does)."""
    monkeypatch.chdir(legacy / "hosts")
    code, out, _ = run_cli(capsys, "check")
    assert code == 1
    assert "../home/ham.nix:4:3: HW003" in out
    code, out, _ = run_cli(capsys, "switch", "--dry-run", "--host", "nixos-desk", "--system-only")
    assert code == 0 and "--flake '..#nixos-desk'" in out


def test_no_flake_above_outside_git(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why (#14.6): the upward search stays inside the git work tree, as nix's does."""
    (tmp_path / "flake.nix").write_text("{ outputs = _: { }; }\n")
    (tmp_path / "sub").mkdir()
    code, _, err = run_cli(capsys, "check", str(tmp_path / "sub"))
    assert code == 3 and "no flake.nix" in err


# -- item 9: graph -o says what it writes ---------------------------------------------------


@pytest.mark.parametrize("name", ["x.pdf", "graph"])
def test_graph_output_with_an_unknown_extension_is_a_usage_error(
    migrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Why (#14.9): `-o x.pdf` (or no extension) silently wrote Mermaid into the file."""
    target = tmp_path / name
    code, _, err = run_cli(capsys, "graph", str(migrated), "-o", str(target))
    assert code == 2 and not target.exists()
    assert ".svg" in err and ".mmd" in err


def test_graph_format_conflicting_with_the_extension_is_a_usage_error(
    migrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.9): `--format dot -o y.svg` ignored `--format`."""
    target = tmp_path / "y.svg"
    code, _, err = run_cli(capsys, "graph", str(migrated), "--format", "dot", "-o", str(target))
    assert code == 2 and not target.exists() and "--format dot" in err
    code, _, err = run_cli(
        capsys, "graph", str(migrated), "--format", "dot", "-o", str(tmp_path / "y.gv")
    )
    assert code == 0, err


def test_missing_graphviz_hint_offers_nix_shell(
    migrated: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why (#14.9): a NixOS user gets Graphviz with nix, not apt-get."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    code, _, err = run_cli(capsys, "graph", str(migrated), "-o", str(tmp_path / "g.svg"))
    assert code == 3 and "nix shell nixpkgs#graphviz" in err


# -- item 13: consistency -------------------------------------------------------------------


def _actions(parser: argparse.ArgumentParser) -> list[tuple[str, argparse.Action]]:
    found: list[tuple[str, argparse.Action]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += [(f"{name} {a.dest}", a) for a in sub._actions]
        else:
            found.append((action.dest, action))
    return found


def test_every_option_has_help() -> None:
    """Why (#14.13): `check --format` and others had no help text."""
    from homeward.cli import build_parser

    missing = [
        name
        for name, action in _actions(build_parser())
        if not action.help and action.dest not in ("help", "command")
    ]
    assert missing == []


def test_init_dir_help_says_what_init_does_with_it(capsys: pytest.CaptureFixture[str]) -> None:
    """Why (#14.13): init's DIR help said "the directory holding flake.nix"; init creates it."""
    main(["init", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "holding flake.nix" not in text
    assert "DIR the directory to create the layout in" in text


@pytest.mark.parametrize(
    "args",
    [
        ["add", "feature", "x", "--user", "nobody"],
        ["add", "host", "srv", "--user", "nobody"],
        ["add", "user", "bob", "--host", "nowhere"],
        ["switch", "--host", "nowhere", "--dry-run"],
        ["switch", "--host", "nixos-desk", "--user", "nobody", "--dry-run", "--home"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_an_unknown_host_or_user_is_a_usage_error_everywhere(
    migrated: Path, capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    """Why (#14.13): DESIGN's table: unknown host or user is exit 2; `add` said 3."""
    code, _, err = run_cli(capsys, *args[:3], str(migrated), *args[3:])
    assert code == 2, err


def test_json_on_add_init_and_switch(
    migrated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.13): `--json` existed on migrate, check and verify only."""
    code, out, err = run_cli(capsys, "add", "feature", "media", str(migrated), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "add" and data["applied"] is True
    assert {"path": "home/ham/features/media.nix", "change": "new"} in data["files"]
    code, out, err = run_cli(
        capsys, "init", str(tmp_path / "new"), "--user", "u", "--host", "h", "--json", "--dry-run"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "init" and data["applied"] is False
    assert not (tmp_path / "new").exists()
    assert {"path": "flake.nix", "change": "new"} in data["files"]
    code, out, err = run_cli(
        capsys, "switch", str(migrated), "--host", "nixos-desk", "--dry-run", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["kind"] == "switch" and data["ran"] is False
    assert data["steps"][0]["argv"][-2:] == ["--flake", f"{migrated}#nixos-desk"]


def test_verify_says_an_expected_addition_is_an_addition() -> None:
    """Why (#14.15): verify printed "same: home-manager (…)" for a package that was added."""
    from homeward.model.compare import Comparison, Kind, View, diff_packages, diff_settings
    from homeward.render.verify import details

    before = View("desk: ham", Kind.MODULE, frozenset({"git"}), {})
    after = View("desk: ham", Kind.MODULE, frozenset({"git", "home-manager"}), {})
    packages = diff_packages(before, after)
    c = Comparison(
        "desk: ham", "desk: ham", Kind.MODULE, "desk", "ham", packages, diff_settings({}, {})
    )
    lines = details(c)
    assert not any(line.startswith("same:") for line in lines)
    assert any(line.startswith("added, as expected: home-manager (") for line in lines)


@pytest.mark.parametrize("ext", [".bak", "", "a/b"])
def test_backup_extension_is_checked(
    legacy: Path, capsys: pytest.CaptureFixture[str], ext: str
) -> None:
    """Why (#14.15): `.bak` (giving `FILE..bak`) and "" were accepted unchecked."""
    snapshot = tree_files(legacy)
    code, _, err = run_cli(capsys, "migrate", str(legacy), "--backup-extension", ext)
    assert code == 2 and "--backup-extension" in err
    assert tree_files(legacy) == snapshot


# -- item 16: init pins a supported release ---------------------------------------------------


def test_init_pins_the_newest_supported_release_and_release_chooses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.16): init pinned nixos-25.05, past its end of life; --release YY.MM chooses."""
    code, _, err = run_cli(capsys, "init", str(tmp_path / "a"), "--user", "u", "--host", "h")
    assert code == 0, err
    flake = (tmp_path / "a/flake.nix").read_text()
    assert "nixos-26.05" in flake and "release-26.05" in flake and "25.05" not in flake
    code, _, err = run_cli(
        capsys, "init", str(tmp_path / "b"), "--user", "u", "--host", "h", "--release", "25.11"
    )
    assert code == 0 and "past its end of life" in err
    assert "release-25.11" in (tmp_path / "b/flake.nix").read_text()
    code, _, err = run_cli(
        capsys, "init", str(tmp_path / "c"), "--user", "u", "--host", "h", "--release", "27.05"
    )
    assert code == 2 and "27.05" in err and not (tmp_path / "c").exists()


# -- item 7: the migrate summary reads at 80 columns ----------------------------------------


def test_migrate_summary_fits_80_columns_and_cuts_nothing(
    legacy: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (#14.7): table cells were cut on a terminal (`users.users.ham.packa…`) and the piped
    table was ~190 columns wide."""
    monkeypatch.chdir(legacy.parent)
    _, out, _ = run_cli(capsys, "migrate", "--dry-run", "repo")
    summary = out.split("\n--- a/", 1)[0]
    assert "…" not in summary
    assert max(len(line) for line in summary.splitlines()) <= 80
    assert "users.users.ham.packages" in summary
    assert "repo/home/ham/features/git.nix" in summary
    # which package goes to which file (the table never said)
    assert "repo/home/ham/features/cli.nix: ripgrep, fd, bat, htop" in summary
    assert "repo/home/ham/features/desktop.nix: firefox" in summary
    _, out, _ = run_cli(capsys, "migrate", "--dry-run", "--json", "repo")
    moved = json.loads(out)["moved"]
    assert {"desktop.nix": ["firefox"]}.items() <= {
        m["to"].rsplit("/", 1)[1]: m.get("packages")
        for m in moved
        if "users.nix" in m["from"]["path"]
    }.items()


def test_switch_prints_commands_that_run_from_the_cwd(
    migrated: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (#14.6): switch printed the flake's absolute path; the printed commands now name it
    as the user did (`./repo`, `.`), as nix reads a path and not a registry name."""
    monkeypatch.chdir(migrated.parent)
    code, out, err = run_cli(capsys, "switch", "repo", "--dry-run", "--host", "nixos-desk")
    assert code == 0, err
    assert out.rstrip().endswith("--flake './repo#nixos-desk'")
    monkeypatch.chdir(migrated)
    code, out, err = run_cli(capsys, "switch", "--dry-run", "--host", "nixos-desk")
    assert out.rstrip().endswith("--flake '.#nixos-desk'")


def test_a_home_manager_input_on_the_matching_branch_is_not_called_a_mismatch(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.15): after migrate, the next run warned that `release-25.05` does not track
    `nixos-25.05` (the input's own URL was read as a nixpkgs URL)."""
    assert run_cli(capsys, "migrate", str(legacy))[0] == 0
    code, out, err = run_cli(capsys, "migrate", str(legacy))
    assert code == 0 and "nothing to do" in out
    assert "does not track" not in err


# -- item 10: the source line with a caret -----------------------------------------------------


def test_an_error_shows_its_line_with_a_caret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (#14.10): errors named file:line:col but never showed the line, as nix and rustc do."""
    work = make_git_repo(
        copy_tree(FIXTURES / "migrate" / "refuse-syntax-error" / "before", tmp_path / "repo")
    )
    monkeypatch.chdir(tmp_path / "repo" / "hosts")  # the excerpt does not depend on the cwd
    code, _, err = run_cli(capsys, "migrate", str(work), "--dry-run")
    assert code == 3
    lines = err.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(" 5 | "))
    assert lines[at] == " 5 |     packages = [ pkgs.git ]"
    assert lines[at + 1] == "   |                            ^"
    assert lines[at + 2].startswith("  hint: ")


def test_source_excerpt_tabs_and_long_lines() -> None:
    from homeward.errors import Location
    from homeward.render.source import source_excerpt

    assert source_excerpt(Location(Path("f.nix"), 2, 3), "a\n\tx = @;\n") == (
        "   |\n 2 |  x = @;\n   |   ^"
    )
    long = "x" * 500 + "@" + "y" * 500
    excerpt = source_excerpt(Location(Path("f.nix"), 1, 501), long).splitlines()
    assert len(excerpt[1]) < 220 and excerpt[2].index("^") - 5 == excerpt[1][5:].index("@")
    assert source_excerpt(Location(Path("f.nix"), 9, 1), "a\n") == ""
    assert source_excerpt(None, "a") == ""


# -- item 4: suppressions in migrate and check -----------------------------------------------


def test_a_suppressed_packages_list_stays_where_it_is(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.4): `# homeward: ignore[HW002]` on a packages list was ignored by migrate: the
    list moved and the comment landed inside home.packages."""
    users = legacy / "modules" / "system" / "users.nix"
    text = users.read_text()
    assert "    packages = with pkgs; [\n" in text
    users.write_text(
        text.replace(
            "    packages = with pkgs; [\n",
            "    # homeward: ignore[HW002]\n    packages = with pkgs; [\n",
        )
    )
    git(legacy, "commit", "-qam", "keep the system-wide list")
    code, out, err = run_cli(capsys, "migrate", str(legacy))
    assert code == 0, err
    after = users.read_text()
    assert "# homeward: ignore[HW002]\n    packages = with pkgs; [\n      firefox" in after
    assert "stays where it is: `# homeward: ignore[HW002]` keeps it" in err
    moved = [line for line in out.splitlines() if "users.nix:" in line]
    assert moved == []
    for path in (legacy / "home").rglob("*.nix"):
        assert "homeward: ignore" not in path.read_text(), path
    code, out, _ = run_cli(capsys, "check", str(legacy))
    assert "HW017" not in out  # the comment is used: it silences HW002


def test_a_suppressed_option_group_stays_where_it_is(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.4): migrate honoured only HW002; `# homeward: ignore[HW003]` above
    `programs.git` in a user file is a decision to keep it a NixOS option, as for any rule
    migrate acts on."""
    ham = legacy / "home" / "ham.nix"
    text = ham.read_text()
    ham.write_text(
        text.replace("  programs.git = {\n", "  # homeward: ignore[HW003]\n  programs.git = {\n")
    )
    git(legacy, "commit", "-qam", "keep git system-wide")
    code, _out, err = run_cli(capsys, "migrate", str(legacy))
    assert code == 0, err
    assert "`programs.git` stays where it is: `# homeward: ignore[HW003]` keeps it" in " ".join(
        err.split()
    )
    system = (legacy / "modules" / "system" / "ham.nix").read_text()
    assert "# homeward: ignore[HW003]\n  programs.git = {" in system
    for path in (legacy / "home").rglob("*.nix"):
        assert "programs.git" not in path.read_text(), path
    code, out, _ = run_cli(capsys, "check", str(legacy))
    assert "HW017" not in out and "HW003" not in out  # the comment went along, and is used


def test_a_suppressed_user_file_import_stays_a_nixos_module(
    legacy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.4): `# homeward: ignore[HW001]` on the import of a user file keeps that file a
    NixOS module; migrate still moves what other rules ask (its packages, HW002)."""
    host = legacy / "hosts" / "nixos-desk" / "default.nix"
    text = host.read_text()
    host.write_text(
        text.replace(
            "    ../../home/ham.nix\n", "    ../../home/ham.nix # homeward: ignore[HW001]\n"
        )
    )
    git(legacy, "commit", "-qam", "keep ham's file a NixOS module")
    code, _out, err = run_cli(capsys, "migrate", str(legacy))
    assert code == 0, err
    assert "`home/ham.nix` stays a NixOS module: `# homeward: ignore[HW001]` keeps it" in " ".join(
        err.split()
    )
    ham = (legacy / "home" / "ham.nix").read_text()
    assert "programs.git = {" in ham and "environment.variables.EDITOR" in ham
    assert "users.users.ham.packages" not in ham
    assert "../../home/ham.nix # homeward: ignore[HW001]" in host.read_text()
    code, out, _ = run_cli(capsys, "check", str(legacy))
    assert "HW017" not in out and "HW001" not in out


# -- item 17: add host writes what the flake already says, the way it says it -------------------


def test_add_host_follows_the_flakes_style(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.17): add host wrote `system = ...` although the host file sets
    `nixpkgs.hostPlatform`, and `users.eve.imports = [ ... ]` next to `users.ham = import ...`."""
    root = tmp_path / "cfg"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    assert run_cli(capsys, "init", str(root), "--user", "ham", "--host", "desk")[0] == 0
    assert run_cli(capsys, "add", "user", "eve", str(root))[0] == 0
    assert run_cli(capsys, "add", "host", "laptop", str(root))[0] == 0
    flake = (root / "flake.nix").read_text()
    laptop = flake[flake.index("nixosConfigurations.laptop") :]
    laptop = laptop[: laptop.index("};\n\n")]
    assert "system =" not in laptop
    assert (
        'nixpkgs.hostPlatform = "x86_64-linux";' in (root / "hosts/laptop/default.nix").read_text()
    )
    assert "home-manager.users.eve = import ./home/eve;" in flake
    assert ".imports = [" not in flake


def test_the_newest_release_is_one_fact() -> None:
    """Why (#14.16, STYLE 10): init pinned 26.05 while a flake on master got 25.11 as
    home.stateVersion from a second copy of "the newest release homeward knows"."""
    from homeward.knowledge.releases import NEWEST_RELEASE
    from homeward.model.index import release_text
    from homeward.plan.init import RELEASE

    assert release_text(None) == RELEASE == NEWEST_RELEASE


def _init_desk(root: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    assert run_cli(capsys, "init", str(root), "--user", "ham", "--host", "desk")[0] == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "init")
    return root


def test_add_second_host_offers_a_mkhost_helper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.17): each host added was a copy of the whole call, home-manager block
    included (4 hosts, 2 users: a 125-line flake.nix); the second host is where to offer a
    helper."""
    root = _init_desk(tmp_path / "cfg", capsys)
    code, _out, err = run_cli(capsys, "add", "host", "laptop", "--dry-run", str(root))
    assert code == 0
    assert "flake.nix now repeats one `nixosSystem` call for 2 hosts" in err
    assert "`add host laptop --mkhost` writes one `mkHost` helper instead" in err


@pytest.mark.nix
def test_add_host_mkhost_writes_one_helper(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.17): with --mkhost the hosts' calls become one `mkHost` helper over a
    `genAttrs` list, evaluating to exactly what the copies gave; a later host adds its name."""
    from homeward.nix.ops import extract_outputs_standins

    standins = Path(__file__).resolve().parent / "standins"
    copies = _init_desk(tmp_path / "copies", capsys)
    helper = _init_desk(tmp_path / "helper", capsys)
    assert run_cli(capsys, "add", "host", "laptop", str(copies))[0] == 0
    assert run_cli(capsys, "add", "host", "laptop", "--mkhost", str(helper))[0] == 0
    flake = (helper / "flake.nix").read_text()
    assert "      mkHost =\n        name:\n        nixpkgs.lib.nixosSystem {\n" in flake
    assert "            ./hosts/${name}\n" in flake
    assert 'nixosConfigurations = nixpkgs.lib.genAttrs [ "desk" "laptop" ] mkHost;' in flake
    assert flake.count("nixosSystem") == 1
    assert extract_outputs_standins(helper, standins) == extract_outputs_standins(copies, standins)
    code, out, _ = run_cli(capsys, "check", str(helper))
    assert (code, out) == (
        0,
        "read 2 hosts, 2 homes, 1 user, 9 files; nothing opaque\nno findings\n",
    )
    git(helper, "add", "-A")
    git(helper, "commit", "-qm", "laptop")
    assert run_cli(capsys, "add", "host", "third", str(helper))[0] == 0
    flake = (helper / "flake.nix").read_text()
    assert '"third"\n      ] mkHost;' in flake and flake.count("nixosSystem") == 1


def test_add_host_mkhost_refuses_calls_that_differ(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.17): a helper is the hosts' one call; when desk's call has more than the one
    add writes, a helper would change desk, so --mkhost refuses and nothing is written."""
    root = _init_desk(tmp_path / "cfg", capsys)
    flake = root / "flake.nix"
    flake.write_text(
        flake.read_text().replace(
            "          ./hosts/desk\n", "          ./hosts/desk\n          ./extra.nix\n"
        )
    )
    (root / "extra.nix").write_text("{ }\n")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "extra")
    before = flake.read_text()
    code, _out, err = run_cli(capsys, "add", "host", "laptop", "--mkhost", str(root))
    assert code == 2
    assert "--mkhost: `desk`'s call differs from the one `add host` writes" in err
    assert flake.read_text() == before
    assert not (root / "hosts" / "laptop").exists()


def test_add_host_mkhost_sees_a_difference_after_a_hash_in_a_string(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 9): the calls were compared as text with `#…` cut off as a comment, also
    inside a string (`"nixpkgs#hello"`): desk's and laptop's calls, which differ only after
    a `#` in a string, compared equal and the helper gave laptop desk's value."""
    root = _init_desk(tmp_path / "cfg", capsys)
    flake = root / "flake.nix"
    text = flake.read_text()
    for old in ("specialArgs = { inherit inputs; };", "extraSpecialArgs = { inherit inputs; };"):
        assert old in text
        text = text.replace(old, old.replace("; }", '; tag = "x#desk"; }'))
    flake.write_text(text)
    git(root, "commit", "-qam", "tag")
    assert run_cli(capsys, "add", "host", "laptop", str(root))[0] == 0
    text = flake.read_text()
    start = text.index("nixosConfigurations.laptop")
    end = text.index("\n      };\n", start)
    flake.write_text(text[:start] + text[start:end].replace("x#desk", "x#laptop") + text[end:])
    git(root, "add", "-A")
    git(root, "commit", "-qm", "laptop")
    before = flake.read_text()
    code, _out, err = run_cli(capsys, "add", "host", "third", "--mkhost", str(root))
    assert code == 2
    assert "--mkhost: `laptop`'s call differs from the one `add host` writes" in err
    assert flake.read_text() == before


@pytest.mark.parametrize("unit", ["    ", "\t"], ids=["four-spaces", "tabs"])
def test_add_host_mkhost_writes_the_helper_in_the_flakes_indentation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], unit: str
) -> None:
    """Why (docs/architecture.md, rule 6; issue 9): code inserted into a file follows its
    indentation; the `mkHost` helper was written two spaces a level whatever the flake's,
    its first host's call copied in the flake's own steps inside it."""
    from homeward.syntax.edit import in_unit

    root = _init_desk(tmp_path / "cfg", capsys)
    flake = root / "flake.nix"
    flake.write_text(in_unit(flake.read_text(), unit))
    git(root, "commit", "-qam", "indented")
    assert run_cli(capsys, "add", "host", "laptop", "--mkhost", str(root))[0] == 0
    text = flake.read_text()
    helper = (2 * unit) + "let\n" + (3 * unit) + "mkHost =\n" + (4 * unit) + "name:\n"
    assert helper + (4 * unit) + "nixpkgs.lib.nixosSystem {\n" in text
    assert (6 * unit) + "./hosts/${name}\n" in text
    for line in text.splitlines():
        indent = line[: len(line) - len(line.lstrip())]
        assert indent == unit * (len(indent) // len(unit)), line


def _nest_hosts(root: Path) -> None:
    """Rewrite init's `nixosConfigurations.desk = …;` as `nixosConfigurations = { desk = …; };`
    (the other common way to write the hosts), committed."""
    flake = root / "flake.nix"
    lines = flake.read_text().splitlines(keepends=True)
    start = lines.index("      nixosConfigurations.desk = nixpkgs.lib.nixosSystem {\n")
    end = lines.index("      };\n", start)
    body = ["  " + line if line.strip() else line for line in lines[start + 1 : end + 1]]
    nested = [
        "      nixosConfigurations = {\n",
        "        desk = nixpkgs.lib.nixosSystem {\n",
        *body,
        "      };\n",
    ]
    flake.write_text("".join(lines[:start] + nested + lines[end + 1 :]))
    git(root, "commit", "-qam", "nested hosts")


@pytest.mark.nix
def test_add_host_mkhost_reads_a_nested_hosts_set(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.17): --mkhost handled only the dotted `nixosConfigurations.<h> = …` and refused
    `nixosConfigurations = { <h> = …; }`; the nested set of like calls is one helper too."""
    from homeward.nix.ops import extract_outputs_standins

    standins = Path(__file__).resolve().parent / "standins"
    copies = _init_desk(tmp_path / "copies", capsys)
    helper = _init_desk(tmp_path / "helper", capsys)
    _nest_hosts(copies)
    _nest_hosts(helper)
    assert run_cli(capsys, "add", "host", "laptop", str(copies))[0] == 0
    code, _out, err = run_cli(capsys, "add", "host", "laptop", "--mkhost", str(helper))
    assert code == 0, err
    flake = (helper / "flake.nix").read_text()
    assert 'nixosConfigurations = nixpkgs.lib.genAttrs [ "desk" "laptop" ] mkHost;' in flake
    assert flake.count("nixosSystem") == 1 and "desk =" not in flake
    assert extract_outputs_standins(helper, standins) == extract_outputs_standins(copies, standins)
    code, out, _ = run_cli(capsys, "check", str(helper))
    assert code == 0 and "no findings" in out, out
