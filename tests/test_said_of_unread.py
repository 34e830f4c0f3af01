"""What homeward says of what it could not read or does not read, seen on real configurations:
each message says what the thing is, where it is, and why, never a wrong "there is none"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import load_repo
from tests.helpers import hm_flake, home_entry, make_git_repo, nixos_entry, write

HOST = '{ ... }:\n{\n  users.users.kim.isNormalUser = true;\n  system.stateVersion = "25.05";\n}\n'


def test_home_modules_under_home_configurations_are_said_to_be_modules(tmp_path: Path) -> None:
    """Why: a home-manager module kept under `homeConfigurations` (hosts import it as
    `home-manager.users.<u> = self.homeConfigurations.<name>`) was reported "is not a system
    configuration": it is not meant to be one, and it is not a home configuration either."""
    module = (
        "      homeConfigurations.desk = { pkgs, ... }: { imports = [ ./home.nix ]; };\n"
        "      homeConfigurations.plain = { imports = [ ./home.nix ]; };\n"
    )
    per_system = (
        "      homeConfigurations.x86_64-linux.kim = home-manager.lib.homeManagerConfiguration {\n"
        "        pkgs = nixpkgs.legacyPackages.x86_64-linux;\n"
        "        modules = [ ./home.nix ];\n      };\n"
    )
    files = {
        "flake.nix": hm_flake(
            nixos_entry("box", "./host.nix"), module, per_system, home_entry("ann", "./home.nix")
        ),
        "host.nix": HOST,
        "home.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
    }
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.homes) == ["ann"]
    said = {p.message for p in repo.problems}
    assert not [m for m in said if "system configuration" in m]
    assert (
        "`homeConfigurations.desk` is a home-manager module (a function), not a configuration "
        "`home-manager switch` can build: not read as a home"
    ) in said
    assert (
        "`homeConfigurations.plain` is a home-manager module (an attribute set), not a "
        "configuration `home-manager switch` can build: not read as a home"
    ) in said
    assert (
        "`homeConfigurations.x86_64-linux` holds home configurations one level down "
        "(`homeConfigurations.x86_64-linux.kim`), where `home-manager switch --flake .#<name>` "
        "does not look: not read as homes"
    ) in said


def test_a_link_leading_outside_is_named_with_its_target(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `hardware-configuration.nix -> /etc/nixos/hardware-configuration.nix` was named by
    the link alone (as an absolute path of this machine): the user could not tell it is a
    link, nor where it leads (adfitzhu/nix)."""
    files = {
        "flake.nix": hm_flake(nixos_entry("box", "./host.nix ./hardware-configuration.nix")),
        "host.nix": HOST,
    }
    repo = write(tmp_path / "repo", files)
    os.symlink("/etc/nixos/hardware-configuration.nix", repo / "hardware-configuration.nix")
    make_git_repo(repo)
    monkeypatch.chdir(repo)
    main(["check", "."])
    out = capsys.readouterr().out
    assert (
        "the import `hardware-configuration.nix` is a link to "
        "`/etc/nixos/hardware-configuration.nix`, outside the repository"
    ) in out, out
    assert str(tmp_path) not in out
