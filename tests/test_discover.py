"""Finding one's way: `rule`, `rules`, shell completions and the man page (generated from the
argparse parser), SARIF `helpUri`, `check --exit-zero`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from homeward.cli import EXIT_CODES, build_parser, main
from homeward.lint.explain import help_uri
from homeward.lint.rules import RULES
from homeward.render.shell import Shell, completion_script, man_page

from .conftest import EXAMPLE, REQUIRE_NIX, ROOT, need

UPDATE = os.environ.get("HOMEWARD_UPDATE_GOLDENS") == "1"
GENERATED = {
    "completions/homeward.bash": lambda: completion_script(build_parser(), Shell.BASH),
    "completions/_homeward": lambda: completion_script(build_parser(), Shell.ZSH),
    "completions/homeward.fish": lambda: completion_script(build_parser(), Shell.FISH),
    "docs/homeward.1": lambda: man_page(build_parser(), EXIT_CODES),
}
PARSE = {
    "completions/homeward.bash": ["bash", "-n"],
    "completions/_homeward": ["zsh", "-n"],
    "completions/homeward.fish": ["fish", "--no-execute"],
}


@pytest.mark.parametrize("path", sorted(GENERATED))
def test_generated_files_are_current(path: str) -> None:
    """Why: the Nix package installs these files; a flag added to the parser must reach them
    (HOMEWARD_UPDATE_GOLDENS=1 rewrites them)."""
    text = GENERATED[path]()
    if UPDATE:
        (ROOT / path).write_text(text)
    assert (ROOT / path).read_text() == text, f"{path} is stale: HOMEWARD_UPDATE_GOLDENS=1"


@pytest.mark.parametrize("shell", list(Shell))
def test_completions_command_prints_the_script(
    shell: Shell, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["completions", str(shell)]) == 0
    assert capsys.readouterr().out == completion_script(build_parser(), shell) + (
        "" if completion_script(build_parser(), shell).endswith("\n") else "\n"
    )


@pytest.mark.parametrize("path", sorted(PARSE))
def test_each_shell_parses_its_completions(path: str) -> None:
    """Why: a completion script that does not parse breaks the user's shell start-up."""
    argv = PARSE[path]
    if shutil.which(argv[0]) is None:
        if REQUIRE_NIX:
            pytest.fail(f"`{argv[0]}` is required in CI (.ci/run installs it)")
        pytest.skip(f"`{argv[0]}` is not installed")
    p = subprocess.run([*argv, str(ROOT / path)], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""


def _bash_complete(words: list[str]) -> list[str]:
    script = (
        f"source {ROOT / 'completions/homeward.bash'}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_homeward\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    p = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    return p.stdout.split()


def test_bash_completes_commands_flags_and_choices() -> None:
    """Why: completions must know each command's own flags and the values of its choices."""
    assert {"check", "migrate", "rule", "completions"} <= set(_bash_complete(["homeward", ""]))
    assert _bash_complete(["homeward", "check", "--format", ""]) == ["text", "json", "sarif"]
    assert "--exit-zero" in _bash_complete(["homeward", "check", "--"])
    assert "--exit-zero" not in _bash_complete(["homeward", "migrate", "--"])
    assert _bash_complete(["homeward", "rule", "HW01"]) == [
        c for c in RULES if c.startswith("HW01")
    ]
    assert _bash_complete(["homeward", "completions", "z"]) == ["zsh"]


def test_fish_completes_choices() -> None:
    need("fish", "its completions are run")
    script = f"source {ROOT / 'completions/homeward.fish'}; complete -C 'homeward check --format '"
    p = subprocess.run(["fish", "-c", script], capture_output=True, text=True, check=True)
    # Each line is a candidate, then a tab and the option's help as its description.
    assert sorted(line.split("\t")[0] for line in p.stdout.splitlines()) == [
        "json",
        "sarif",
        "text",
    ]


def test_man_page_renders_without_warnings() -> None:
    """Why: the man page is roff; groff warns about bad escapes and unknown requests."""
    page = (ROOT / "docs/homeward.1").read_text()
    assert page.startswith(".TH HOMEWARD 1 ")
    for command in ("check", "migrate", "rule", "completions"):
        assert f".SS {command}\n" in page
    assert "\\fB\\-\\-exit\\-zero\\fR" in page
    need("groff", "it renders the man page")
    p = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(ROOT / "docs/homeward.1")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_rule_explains_from_the_docs(capsys: pytest.CaptureFixture[str]) -> None:
    """Why: `homeward rule HW003` shows what docs/rules.md says, as `ruff rule` does."""
    assert main(["rule", "hw003"]) == 0
    out = capsys.readouterr().out
    docs = (ROOT / "docs/rules.md").read_text()
    section = docs.split("## HW003\n", 1)[1].split("\n## ", 1)[0].strip()
    assert out.startswith("# HW003 (")
    assert section in out
    assert out.rstrip().endswith(help_uri("HW003"))


def test_rule_json_and_unknown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rule", "HW007", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["kind"] == "rule" and data["code"] == "HW007" and data["severity"] == "error"
    assert "home.stateVersion" in data["text"]
    assert main(["rule", "HW999"]) == 2
    assert "unknown rule `HW999`" in capsys.readouterr().err


def test_rules_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rules"]
    assert [r["code"] for r in rows] == list(RULES)
    assert all(r["url"] == help_uri(r["code"]) for r in rows)
    assert main(["rules"]) == 0
    out = capsys.readouterr().out
    assert all(code in out for code in RULES)


def test_every_rule_has_a_docs_section() -> None:
    """Why: `helpUri` and `homeward rule` point at `docs/rules.md#hwnnn`: the heading must exist
    (GitHub's anchor for `## HW003` is `#hw003`)."""
    headings = set(
        re.findall(r"^## (HW\d{3})$", (ROOT / "docs/rules.md").read_text(), re.MULTILINE)
    )
    assert headings == set(RULES)


def test_sarif_rules_carry_help_uri(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: code scanning links each finding to its rule's documentation through `helpUri`."""
    monkeypatch.chdir(EXAMPLE.parent)
    assert main(["check", EXAMPLE.name, "--format", "sarif"]) == 1
    log = json.loads(capsys.readouterr().out)
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == list(RULES)
    for r in rules:
        assert r["helpUri"] == help_uri(r["id"])
        assert r["helpUri"].endswith(f"docs/rules.md#{r['id'].lower()}")


def test_exit_zero_reports_but_passes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a CI job that uploads SARIF must not fail before the upload step."""
    monkeypatch.chdir(EXAMPLE.parent)
    assert main(["check", EXAMPLE.name]) == 1
    with_errors = capsys.readouterr().out
    assert main(["check", EXAMPLE.name, "--exit-zero"]) == 0
    assert capsys.readouterr().out == with_errors
    assert "error" in with_errors
