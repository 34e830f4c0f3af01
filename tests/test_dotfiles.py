"""Dotfiles (issue 13): `migrate --adopt-dotfiles DIR --user U` makes a stow-style tree
home-manager's `home.file`/`xdg.configFile` entries, and `migrate` turns NixOS tmpfiles rules that
link repository files into a user's home into the same; the same content must reach the same path
in $HOME, as the real nix evaluates it through the stand-ins (tests/standins). The golden cases
`dotfiles-tmpfiles` and `dotfiles-tmpfiles-kept` are checked by test_conservation.py: extract.nix
reports tmpfiles links and home.file targets alike (`file.<path>` = the store path linked)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path, PurePosixPath

import pytest

from homeward.cli import main
from homeward.model.extract import Extract
from homeward.nix.ops import extract_outputs_standins
from homeward.plan.dotfiles import Dotfile, Link, find_dotfiles, tmpfiles_links
from tests.helpers import STANDINS, copy_tree
from tests.test_conservation import assert_conserved
from tests.test_migrate import CASES, case_args, prepare

ADOPT = ["adopt-dotfiles", "adopt-dotfiles-stow-out-of-store"]


def store_path(file: Path) -> str:
    """The store path of a file as extract.nix names it (computed, not copied): its own name
    when a store path may hold it, else `hm_` and safe characters."""
    name = file.name
    if not re.fullmatch(r"[A-Za-z0-9+_?=-][A-Za-z0-9+._?=-]*", name):
        name = "hm_" + re.sub(r"[^A-Za-z0-9+._?=-]", "-", name)
    argv = ["nix-instantiate", "--eval", "--readonly-mode", "--json", "--expr"]
    argv += ['{ p, n }: "${builtins.path { path = /. + p; name = n; }}"']
    argv += ["--argstr", "p", str(file), "--argstr", "n", name]
    p = subprocess.run(argv, capture_output=True, text=True, check=True)
    return str(json.loads(p.stdout))


def tree(root: Path, directory: str) -> frozenset[PurePosixPath]:
    return frozenset(
        PurePosixPath(p.relative_to(root).as_posix())
        for p in (root / directory).rglob("*")
        if p.is_file()
    )


def test_find_dotfiles_reads_home_trees_and_stow_packages() -> None:
    """Why: `DIR/.config/x` is `~/.config/x`; stow packages (`DIR/pkg/.config/x`) too."""
    home = frozenset(PurePosixPath(p) for p in ("d/.config/foot/foot.ini", "d/.zshrc"))
    assert find_dotfiles(home, PurePosixPath("d")) == [
        Dotfile(PurePosixPath("d/.config/foot/foot.ini"), PurePosixPath(".config/foot/foot.ini")),
        Dotfile(PurePosixPath("d/.zshrc"), PurePosixPath(".zshrc")),
    ]
    stow = frozenset(PurePosixPath(p) for p in ("d/foot/.config/foot/foot.ini", "d/zsh/.zshrc"))
    found = find_dotfiles(stow, PurePosixPath("d"))
    assert [(str(d.target), d.option) for d in found] == [
        (".config/foot/foot.ini", ("xdg.configFile", "foot/foot.ini")),
        (".zshrc", ("home.file", ".zshrc")),
    ]


@pytest.mark.nix
@pytest.mark.parametrize("case", ADOPT)
def test_adopted_dotfiles_reach_the_same_paths(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: conservation for dotfiles: every file of the tree reaches its $HOME path with its
    content (store copy: the same hash; out of store: a link to the checkout's file), in the
    standalone home and through home-manager's NixOS module."""
    work = prepare(case, tmp_path)
    before = copy_tree(work, tmp_path / "before")
    args = case_args(case)
    dotfiles = find_dotfiles(tree(work, "dotfiles"), PurePosixPath("dotfiles"))
    assert dotfiles
    assert main(["migrate", str(work), *args]) == 0, capsys.readouterr().err
    checkout = args[args.index("--out-of-store") + 1] if "--out-of-store" in args else None
    expected = {
        f"file.{d.target}": f"{checkout}/{d.source}" if checkout else store_path(work / d.source)
        for d in dotfiles
    }
    after = extract_outputs_standins(work, STANDINS)
    # Everything but the adopted files is as it was (rule 1).
    assert_conserved(extract_outputs_standins(before, STANDINS), without_files(after))
    standalone = after.homes["ham@desk"].settings
    module = after.hosts["desk"].users["ham"].settings
    for settings in (standalone, module):
        files = {k: v for k, v in settings.items() if k.startswith("file.")}
        assert files == expected
    # Nobody else got them.
    assert not any(k.startswith("file.") for k in after.homes["eve@desk"].settings)


def without_files(extract: Extract) -> Extract:
    """The extract without `file.*` settings (what adoption adds)."""

    def keep(settings: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in settings.items() if not k.startswith("file.")}

    hosts = {
        name: replace(
            host,
            users={u: replace(x, settings=keep(x.settings)) for u, x in host.users.items()},
        )
        for name, host in extract.hosts.items()
    }
    homes = {name: replace(h, settings=keep(h.settings)) for name, h in extract.homes.items()}
    return Extract(hosts, homes)


def test_adopt_needs_a_user(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: whose $HOME the files go to is not guessed."""
    work = prepare(ADOPT[0], tmp_path)
    assert main(["migrate", str(work), "--adopt-dotfiles", str(work / "dotfiles")]) == 2
    assert "--user" in capsys.readouterr().err


def test_golden_cases_exist() -> None:
    for case in ADOPT:
        assert (CASES / case / "after" / "home" / "ham" / "features" / "dotfiles.nix").exists()


def _links(code: str, home: str = "/home/ham") -> list[Link] | str:
    from homeward.syntax.parse import parse_tree

    text = code.encode()
    return tmpfiles_links(parse_tree(text).root_node.children[0], text, home, PurePosixPath("home"))


def test_tmpfiles_links_are_read_exactly() -> None:
    """Why: only a rule that provably makes the link home.file makes moves (issue 13); anything
    else keeps the whole list on the NixOS side, with the reason."""
    found = _links('[ "L+ /home/ham/.config/foot/foot.ini - - - - ${./ham/foot.ini}" ]')
    assert found == [
        Link(PurePosixPath(".config/foot/foot.ini"), PurePosixPath("home/ham/foot.ini"), True)
    ]
    assert not isinstance(found, str)
    assert found[0].option == ("xdg.configFile", "foot/foot.ini")
    reasons = {
        '[ "d /home/ham/tmp 0700 ham users -" ]': "is not a link to a file of the repository",
        '[ "L+ /home/eve/.x - - - - ${./x}" ]': "is not in `/home/ham`",
        '[ "L+ /home/ham/.x - - - - ${/etc/x}" ]': "is not a path of the repository",
        '[ "L+ /home/ham/.x - - - - ${../../x}" ]': "leaves the repository",
        'rules ++ [ "L+ /home/ham/.x - - - - ${./x}" ]': "not written as a list",
        '[ "L+ /home/ham/.x 0644 ham users - ${./x}" ]': "is not an `L`/`L+` link",
    }
    copy = _links('[ "C /home/ham/.x - - - - ${./x}" ]')
    assert not isinstance(copy, str) and copy[0].copy and not copy[0].replaces
    for code, why in reasons.items():
        result = _links(code)
        assert isinstance(result, str) and why in result, (code, result)
