"""Hosts that all import one shared module tree in which a file cannot be read (a module
written with the pipe operator `|>`, which homeward's parser does not know; a fleet of the
corpus, ten hosts importing `../nixos`). The walk follows a shared module once and reuses it
for the next host: only the first host was skipped, the others were read and migrated
although a module they import was not read (rule 9: a host that cannot be read is skipped,
and named)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, tree_files, write

FILES = {
    "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { nixpkgs, ... }:
    {
      nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a.nix ./common ]; };
      nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b.nix ./common ]; };
    };
}
""",
    "common/default.nix": "{ imports = [ ./virt ]; }\n",
    "common/virt/default.nix": "{ lib, ... }:\n{\n  x = [ 1 2 ] |> lib.head;\n}\n",
    "hosts/a.nix": "{ pkgs, ... }:\n{\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n}\n",
}
FILES["hosts/b.nix"] = FILES["hosts/a.nix"]


def test_every_host_that_reaches_the_unreadable_file_is_skipped(tmp_path: Path) -> None:
    repo = load_repo(write(tmp_path / "repo", FILES))
    assert sorted(repo.skipped) == ["a", "b"]
    assert not repo.hosts


def test_migrate_refuses_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    before = tree_files(root)
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 3
    assert "common/virt/default.nix:3:15" in capsys.readouterr().err
    assert tree_files(root) == before


def test_with_another_host_left_the_skip_says_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a host skipped for a file that cannot be read was named without the hint of
    that file's problem (the problem itself is said with the hosts it skips, not alone)."""
    flake = FILES["flake.nix"].replace(
        "    };\n}",
        "      nixosConfigurations.c = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b.nix ]; };\n"
        "    };\n}",
    )
    root = make_git_repo(write(tmp_path / "repo", {**FILES, "flake.nix": flake}))
    capsys.readouterr()
    assert main(["migrate", "--dry-run", str(root)]) == 0
    lines = capsys.readouterr().err.splitlines()
    for host in ("a", "b"):
        at = next(i for i, line in enumerate(lines) if f"host `{host}` is skipped" in line)
        assert lines[at + 1].startswith("  hint: fix the file so that `nix-instantiate"), lines
