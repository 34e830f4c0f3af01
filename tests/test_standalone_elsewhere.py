"""A user's NixOS hosts and a standalone home of a machine that is none of them.

Measured on a public fleet (five NixOS hosts; `homeConfigurations."<u>@<machine>"` for two
machines that run home-manager alone): the user's packages, in an account module every host
imports, were to become a feature file imported from the file the standalone homes start from,
which the other machines read too; the plan's own check caught it and migrate stopped with an
internal error (exit 4). Before that crash, the same shape with the packages in each host's own
file wired that file into every host's home (settings the hosts never had). The files of a
machine that is no host here are no longer where the hosts' homes start: the hosts get a new
entry, and the other machines get nothing new."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.nix.run import run_nix
from tests.helpers import (
    HM_OVERRIDES,
    account,
    git,
    hm_flake_lines,
    make_git_repo,
    tree_files,
    write,
)

FLAKE = hm_flake_lines(
    """  outputs = { self, nixpkgs, home-manager, ... }:
    let
      mk = host: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/${host}.nix home-manager.nixosModules.home-manager ];
      };
    in {
      nixosConfigurations = nixpkgs.lib.genAttrs [ "desk" "lap" ] mk;
      homeConfigurations."kim@pi" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.aarch64-linux;
        modules = [ ./users/base.nix ./users/kim.nix ];
      };
    };
"""
)

HOST = '{ ... }:\n{\n  imports = [ ../accounts.nix ];\n  system.stateVersion = "25.05";\n}\n'

FILES = {
    "flake.nix": FLAKE,
    "hosts/desk.nix": HOST,
    "hosts/lap.nix": HOST,
    "accounts.nix": account("kim", "pkgs.firefox"),
    "users/base.nix": """{ ... }:
{
  home.username = "kim";
  home.homeDirectory = "/home/kim";
  home.stateVersion = "25.05";
}
""",
    "users/kim.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
}

# `pi`'s home forces its packages: a priority only what `pi` reads meets.
FORCED = {
    **FILES,
    "users/kim.nix": "{ pkgs, lib, ... }:\n{\n  home.packages = lib.mkForce [ pkgs.jq ];\n}\n",
}


def test_the_hosts_packages_do_not_reach_the_other_machine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    # What the machine `pi` reads is as it was.
    for name in ("users/base.nix", "users/kim.nix"):
        assert after[name] == before[name], name
    assert b"firefox" not in after["accounts.nix"]
    # firefox reaches the hosts through files only their homes read.
    holders = [n for n, text in after.items() if b"firefox" in text]
    assert holders and all(n.startswith("home/kim/") for n in holders), holders
    # The hosts' homes start from a new entry, not from the files of `pi`'s configuration
    # (what those set, the hosts never had), and that entry sets home.stateVersion.
    assert after["flake.nix"].count(b"users/base.nix") == before["flake.nix"].count(
        b"users/base.nix"
    )
    assert b'home.stateVersion = "25.05";' in after["home/kim/default.nix"]
    assert main(["migrate", "--check", str(root)]) == 0


def test_a_priority_of_the_other_machine_keeps_nothing_on_the_hosts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`lib.mkForce` in a file only `pi`'s standalone home reads meets nothing migrate moves:
    the hosts' homes start from a new entry that never imports it. It used to keep firefox
    in the NixOS account ("`kim`'s home sets `home.packages` with `lib.mkForce`")."""
    root = make_git_repo(write(tmp_path / "repo", FORCED))
    assert main(["migrate", str(root)]) == 0
    err = capsys.readouterr().err
    assert "mkForce" not in err, err
    after = tree_files(root)
    assert b"firefox" not in after["accounts.nix"]
    assert after["users/kim.nix"] == FORCED["users/kim.nix"].encode()
    # The entry's note on the home-manager command stands beside the command (it once
    # stood alone, the command withheld for `pi`'s priority).
    entry = after["home/kim/default.nix"]
    assert (b"the package above" in entry) == (b"pkgs.home-manager" in entry), entry.decode()
    assert main(["migrate", "--check", str(root)]) == 0


@pytest.mark.nix
@pytest.mark.parametrize("files", [FILES, FORCED], ids=["plain", "forced"])
def test_each_machine_keeps_what_it_had(tmp_path: Path, files: dict[str, str]) -> None:
    """Why: proven with nix against the stand-ins: the hosts keep firefox (now through
    home-manager), `pi` keeps jq and nothing of the hosts'."""
    root = make_git_repo(write(tmp_path / "repo", files))
    assert main(["migrate", str(root)]) == 0
    git(root, "add", "-A")
    names = "ps: map (p: p.pname or p.name) ps"
    overrides = [*HM_OVERRIDES]

    def packages(attr: str) -> list[str]:
        out = run_nix(
            [
                "eval",
                "--json",
                "--no-write-lock-file",
                f"{root}#{attr}",
                "--apply",
                names,
                *overrides,
            ]
        )
        return sorted(json.loads(out))

    assert "firefox" in packages(
        "nixosConfigurations.desk.config.home-manager.users.kim.home.packages"
    )
    assert packages('homeConfigurations."kim@pi".config.home.packages') == ["jq"]
