"""`check`'s pure pieces: the option data, package names, the rule table and its documentation."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from homeward.diagnostics import Severity
from homeward.knowledge.hmdata import HomeOptions, load_home_options, split_option
from homeward.lint.packages import package_refs
from homeward.lint.rules import RULES
from homeward.syntax.parse import parse_source
from tests.conftest import ROOT


def test_split_option() -> None:
    """Why: option names in the data may quote a name holding dots."""
    assert split_option("services.openssh") == ("services", "openssh")
    assert split_option('xdg.configFile."a.b".text') == ("xdg", "configFile", "a.b", "text")


def test_home_options() -> None:
    """Why: HW004 reports the longest NixOS-only name, and top-level names home-manager lacks."""
    options = HomeOptions.from_json(
        {"namespaces": ["programs", "services", "home"], "nixos_only": ["services.openssh", "boot"]}
    )
    assert options.nixos_only_prefix(("services", "openssh", "enable")) == ("services", "openssh")
    assert options.nixos_only_prefix(("boot", "loader")) == ("boot",)
    assert options.nixos_only_prefix(("services", "gpg-agent", "enable")) is None
    assert options.unknown_prefix(("foo", "bar")) == ("foo",)
    assert options.unknown_prefix(("programs", "anything")) is None


def test_home_option_tree() -> None:
    """Why: HW004 checks full paths (issue 13): a misspelled name at any depth is found, but
    the check stops at an option's value (attrsOf, free-form) and looks into walked submodules,
    whatever the attribute name below an attrsOf-submodule option."""
    options = HomeOptions.from_json(
        {
            "namespaces": ["programs", "home"],
            "nixos_only": [],
            "options": {
                "programs.git.enable": {"type": "bool", "file": "git.nix"},
                "programs.git.settings": {"type": "either", "file": "git.nix"},
                "programs.thefuck": {"type": "unspecified", "file": "d.nix", "removed": True},
                "home.file": {"type": "attrsOf", "file": "files.nix", "subtree": "walked"},
                "home.file.<name>.source": {"type": "path", "file": "files.nix"},
                "home.services": {"type": "attrsOf", "file": "s.nix", "subtree": "open"},
            },
        }
    )
    assert options.unknown_path(("programs", "git", "settings", "user", "name")) is None
    assert options.unknown_path(("programs", "git")) is None
    assert options.unknown_path(("home", "file", ".vimrc", "source")) is None
    assert options.unknown_path(("home", "services", "x", "anything")) is None
    assert options.unknown_path(("programs", "${x}", "y"), "${x}") is None
    typo = options.unknown_path(("programs", "git", "setings", "user"))
    assert typo is not None
    assert (typo.prefix, typo.near, typo.removed) == (
        ("programs", "git", "setings"),
        "settings",
        False,
    )
    missing = options.unknown_path(("home", "file", "a", "sorce"))
    assert missing is not None and missing.prefix == ("home", "file", "a", "sorce")
    removed = options.unknown_path(("programs", "thefuck", "enable"))
    assert removed is not None and removed.removed
    assert removed.prefix == ("programs", "thefuck")
    unknown_top = options.unknown_path(("foo",))
    assert unknown_top is not None and unknown_top.prefix == ("foo",)


def test_shipped_options_data() -> None:
    """Why: the shipped data must load, and hold the names the issue names."""
    options = load_home_options()
    assert options is not None
    assert {"programs", "services", "home", "xdg"} <= options.namespaces
    assert options.nixos_only_prefix(("services", "openssh", "enable")) == ("services", "openssh")
    assert options.nixos_only_prefix(("users", "users", "ham")) is not None
    assert options.unknown_path(("programs", "git", "settings", "user", "name")) is None
    assert options.unknown_path(("home", "file", ".vimrc", "source")) is None
    assert options.unknown_path(("xdg", "configFile", "a/b", "text")) is None
    assert options.unknown_path(("systemd", "user", "tmpfiles", "rules")) is None
    setings = options.unknown_path(("programs", "git", "setings"))
    assert setings is not None and setings.near == "settings"
    assert options.unknown_path(("programs", "gti", "enable")) is not None
    assert options.unknown_path(("programs", "nano", "enable")) is not None


PACKAGE_LISTS = {
    "with pkgs; [ ripgrep fd ]": ["ripgrep", "fd"],
    "[ pkgs.ripgrep pkgs.python3Packages.black ]": ["ripgrep", "python3Packages.black"],
    "[ unstable.foo (pkgs.bar.override { }) ]": ["unstable.foo"],
    "with pkgs; [ a ] ++ [ pkgs.b ]": ["a", "b"],
    "lib.mkIf cond (with pkgs; [ a ])": ["a"],
    "lib.optionals cond [ pkgs.a ]": ["a"],
    "builtins.attrValues { inherit (pkgs) a b; inherit (unstable) c; }": ["a", "b", "unstable.c"],
    "let xs = [ pkgs.a ]; in xs ++ [ pkgs.b ]": ["a", "b"],
    "let xs = xs; in xs": [],
}


@pytest.mark.parametrize("written", list(PACKAGE_LISTS), ids=str)
def test_package_refs(written: str) -> None:
    """Why: HW010 compares package names however a list is written (REAL-CONFIGS.md)."""
    source = parse_source(f"{{ x = {written}; }}".encode(), Path("t.nix"))
    binding = source.root.named_children[0].named_children[0].named_children[0]
    value = binding.child_by_field_name("expression")
    assert value is not None
    assert [r.name for r in package_refs(value, source.text)] == PACKAGE_LISTS[written]


def test_rule_table() -> None:
    """Why: each rule has an ID, a severity, a one-line message and a fix hint."""
    assert list(RULES) == [f"HW{n:03d}" for n in range(1, len(RULES) + 1)]
    for rule in RULES.values():
        assert rule.summary and "\n" not in rule.summary
        assert rule.hint
        assert rule.severity in (Severity.ERROR, Severity.WARNING)
    assert {c for c, r in RULES.items() if r.fixable} == {"HW001", "HW002", "HW003"}


def test_every_rule_is_documented() -> None:
    """Why: each rule has a page in docs/rules.md with a bad and a good example."""
    text = (ROOT / "docs" / "rules.md").read_text()
    sections = re.split(r"^## ", text, flags=re.MULTILINE)
    pages = {s.split("\n", 1)[0].strip(): s for s in sections[1:]}
    for code, rule in RULES.items():
        assert code in pages, f"docs/rules.md has no section for {code}"
        page = pages[code]
        assert f"**{rule.severity}**" in page
        assert "Bad" in page and "Good" in page
        row = re.search(rf"^\| \[{code}\]\(#{code.lower()}\) \| ([^|]+) \|", text, re.MULTILINE)
        assert row is not None and str(rule.severity) in row.group(1)


@pytest.mark.parametrize(
    ("fixture", "read", "found"),
    [("per-host", 0, 0), ("hm-module-only", 1, 2), ("inline-home", 1, 0)],
)
def test_home_options_are_read_only_when_a_home_manager_definition_is_checked(
    tmp_path: Path, fixture: str, read: int, found: int
) -> None:
    """Why: reading home-manager's option tree (HW004) cost 15 ms and 6 MiB of every `check`,
    also of configurations with no home-manager module (a fleet of NixOS hosts); it is read
    when the first definition is checked against it, once, and HW004 finds what it found."""
    import shutil

    from homeward.lint.facts import Facts
    from homeward.lint.rules import lint
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo

    directory = tmp_path / fixture
    shutil.copytree(ROOT / "tests" / "fixtures" / "migrate" / fixture / "before", directory)
    home = directory / "home" / "ham.nix"
    if home.exists():  # two options home-manager does not have
        home.write_text(home.read_text().replace("}\n", "  boot.x = 1;\n  programs.gti = 1;\n}\n"))
    calls: list[None] = []

    def counted() -> HomeOptions | None:
        calls.append(None)
        return load_home_options()

    lazy = lint(Facts(build_index(load_repo(directory, darwin=True)), (), counted), {"HW004"})
    assert len(calls) == read
    assert len(lazy) == found
    eager = Facts(build_index(load_repo(directory, darwin=True)), (), load_home_options)
    assert eager.home_options is not None
    assert lazy == lint(eager, {"HW004"})
    assert lint(Facts(build_index(load_repo(directory, darwin=True))), {"HW004"}) == []
