"""Outputs chosen by a file nix does not see. Measured on a public configuration whose flake
reads a machine-local settings file (`import ./<file>.nix`, gitignored, written on each
machine by a script) and picks its outputs with `if` on what it holds: every output was "a
choice" homeward cannot resolve, and the refusal (exit 3) said only that, not which file made
the choice unknowable. It now names the file, where the flake reads it, and why nix does not
see it: not in the repository, or on disk but not tracked by git, with the `.gitignore` rule
that ignores it (as a new file git would ignore is named: tests/test_ignored_new_files.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.errors import HomewardError
from homeward.model.repo import load_repo
from tests.helpers import account, make_git_repo, write

FILES = {
    "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  outputs = { nixpkgs, home-manager, ... }:
    let
      machine = import ./machine.nix;
    in
    with machine;
    {
      nixosConfigurations = if isLaptop then {
        box = nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [ ./configuration.nix ];
        };
      } else { };
    };
}
""",
    "configuration.nix": account("kim", "pkgs.jq"),
    ".gitignore": "result\nmachine.nix\n",
}


@pytest.mark.parametrize("on_disk", [False, True], ids=["absent", "ignored"])
def test_the_file_that_chooses_the_outputs_is_named(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    on_disk: bool,
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    if on_disk:  # written on the machine, ignored by git: nix does not see it either
        (root / "machine.nix").write_text("{ isLaptop = true; }\n")
    why = "is on disk but not tracked by git" if on_disk else "is not in the repository"
    with pytest.raises(HomewardError) as caught:
        load_repo(root).fatal()
    message = caught.value.message
    assert "`machine.nix`" in message, message
    assert "flake.nix:6:17" in message, message
    assert why in message, message
    monkeypatch.chdir(root)
    capsys.readouterr()
    assert main(["migrate", "--dry-run"]) == 3
    err = capsys.readouterr().err
    assert "`machine.nix`" in err and "`.gitignore:2` (`machine.nix`)" in err, err
    assert main(["check", "--format", "json"]) == 1
    found = json.loads(capsys.readouterr().out)["findings"]
    unresolved = [f["message"] for f in found if f["code"] == "HW012"]
    assert unresolved and "`machine.nix`" in unresolved[0], found


def test_a_file_in_git_that_chooses_nothing_is_not_named(tmp_path: Path) -> None:
    """The same flake with the file tracked: its outputs are read, nothing is refused."""
    files = {**FILES, ".gitignore": "result\n", "machine.nix": "{ isLaptop = true; }\n"}
    repo = load_repo(make_git_repo(write(tmp_path / "repo", files)))
    assert sorted(repo.hosts) == ["box"]
    assert not [p for p in repo.problems if "machine.nix" in p.message]


def test_the_rule_named_is_the_one_git_names(tmp_path: Path) -> None:
    """The model starts no git process (tests/test_layers.py): it reads the ignore files
    itself, for the message only. What it names agrees with `git check-ignore`."""
    from homeward.model.files import ignore_rule
    from tests.helpers import git

    root = write(
        tmp_path / "repo",
        {
            ".gitignore": "# local\nresult\nmachine.nix\nhome/\n*.log\n!keep.log\n/top.nix\n",
            "sub/.gitignore": "x/**/y.nix\n!machine.nix\n",
        },
    )
    git(root, "init", "-q")
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("secret.nix\n")
    paths = [
        "machine.nix",
        "sub/machine.nix",
        "home/a/b.nix",
        "a.log",
        "keep.log",
        "top.nix",
        "sub/top.nix",
        "sub/x/y.nix",
        "sub/x/q/y.nix",
        "secret.nix",
        "other.nix",
        "result",
    ]
    for path in paths:
        p = subprocess.run(
            ["git", "check-ignore", "--verbose", "--no-index", path],
            cwd=root,
            capture_output=True,
            text=True,
            check=False,
        )
        expected = None
        if p.returncode == 0:
            source, line, pattern = p.stdout.split("\t", 1)[0].rsplit(":", 2)
            if not pattern.startswith("!"):
                expected = (source, int(line), pattern)
        assert ignore_rule(root, path) == expected, path
