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


def dry_run_said(
    tmp_path: Path,
    files: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    """What `homeward migrate --dry-run .` (exit 0) prints, stdout then stderr, in a git
    repository of `files`."""
    monkeypatch.chdir(make_git_repo(write(tmp_path / "repo", files)))
    assert main(["migrate", "--dry-run", "."]) == 0
    captured = capsys.readouterr()
    return captured.out + captured.err


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


def test_other_values_under_home_configurations_are_said_in_words(tmp_path: Path) -> None:
    """Why: what was neither a home nor a module was named by the class homeward keeps it
    in ("is a str", "is a pathvalue"), where the other messages say "a string", "a path"."""
    files = {
        "flake.nix": hm_flake(
            nixos_entry("box", "./host.nix"),
            '      homeConfigurations.name = "kim";\n',
            "      homeConfigurations.file = ./home.nix;\n",
        ),
        "host.nix": HOST,
        "home.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
    }
    said = {p.message for p in load_repo(write(tmp_path, files)).problems}
    assert "`homeConfigurations.name` is a string, not a home configuration: ignored" in said
    assert "`homeConfigurations.file` is a path, not a home configuration: ignored" in said


def test_a_computed_home_manager_users_set_is_not_said_to_be_no_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `home-manager.users = usersHome;` (a `builtins.mapAttrs` over the users, passed in
    `specialArgs`) is a home-manager configuration homeward does not read; migrate said the
    user had "no home-manager configuration" (Hamled/config)."""
    entry = (
        "      nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
        '        system = "x86_64-linux";\n'
        "        specialArgs.usersHome = builtins.mapAttrs (user: c: c.home) {\n"
        "          kim.home = import ./kim-home.nix;\n        };\n"
        "        modules = [ ./host.nix ./hm.nix home-manager.nixosModules.home-manager ];\n"
        "      };\n"
    )
    hm = "{ usersHome, ... }:\n{\n  home-manager.useGlobalPkgs = true;\n  home-manager.users = usersHome;\n}\n"
    files = {
        "flake.nix": hm_flake(entry),
        "host.nix": HOST,
        "hm.nix": hm,
        "kim-home.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
    }
    out = dry_run_said(tmp_path, files, monkeypatch, capsys)
    assert "no home-manager configuration" not in out
    assert (
        "hm.nix:4:3: note: nothing to move for `kim` (no user packages, no user files), and "
        "their home-manager configuration could not be read: `home-manager.users` is set "
        "whole on `box` (homeward reads it written out per user, "
        "`home-manager.users.<name> = …`): no home is written for them"
    ) in out


def test_an_unread_home_is_not_said_to_be_in_the_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: with `home-manager.users` built elsewhere and passed in whole (Hamled/config),
    migrate said what it could not read and then ended with "the configuration is already in
    the home-manager layout": homeward cannot know that; it changed nothing because of it."""
    entry = (
        "      nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
        '        system = "x86_64-linux";\n'
        "        specialArgs.homes = { kim = ./kim-home.nix; };\n"
        "        modules = [ ./host.nix ./hm.nix home-manager.nixosModules.home-manager ];\n"
        "      };\n"
    )
    hm = "{ homes, ... }:\n{\n  home-manager.users = homes;\n}\n"
    files = {
        "flake.nix": hm_flake(entry),
        "host.nix": HOST,
        "hm.nix": hm,
        "kim-home.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
    }
    repo = make_git_repo(write(tmp_path / "repo", files))
    monkeypatch.chdir(repo)
    assert main(["migrate", "--dry-run", "."]) == 0
    captured = capsys.readouterr()
    assert "already in the home-manager layout" not in captured.out, captured.out
    assert (
        "nothing was changed: the home-manager configuration of `kim` could not be read (the "
        "note above says where), and homeward moves and wires nothing it cannot read"
    ) in captured.out, captured.out
    assert main(["migrate", "--check", "."]) == 0


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


def test_home_configurations_not_known_is_not_said_to_be_no_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a `mapAttrs` building `homeConfigurations` over a set homeward cannot compute was
    said (where and why), and then the user was said to have "no home-manager configuration"."""
    homes = (
        "      homeConfigurations = builtins.mapAttrs (name: file:\n"
        "        home-manager.lib.homeManagerConfiguration {\n"
        "          pkgs = nixpkgs.legacyPackages.x86_64-linux;\n"
        "          modules = [ file ];\n        }) self.lib.homes;\n"
    )
    files = {"flake.nix": hm_flake(nixos_entry("box", "./host.nix"), homes), "host.nix": HOST}
    out = dry_run_said(tmp_path, files, monkeypatch, capsys)
    assert "no home-manager configuration" not in out
    assert (
        "flake.nix:14:28: note: nothing to move for `kim` (no user packages, no user files), "
        "and their home-manager configuration could not be read: `homeConfigurations` is not "
        "known (`mapAttrs` over a set that is not known: no attribute `lib`): no home is "
        "written for them"
    ) in out, out
