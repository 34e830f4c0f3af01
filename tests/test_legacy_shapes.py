"""Shapes of the legacy kind (user packages in NixOS modules, home-manager absent or partly
used) met in real configurations, each reduced to a small fixture written for this file."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.model.index import build_index
from homeward.model.repo import load_repo
from homeward.plan.checks import mismatches
from homeward.plan.migrate import MigrateOptions, plan_migration
from tests.helpers import account, nixos_entry, write


def release_branch_flake(hm_url: str | None) -> str:
    """A flake whose nixpkgs is on its `release-25.05` branch (not `nixos-25.05`), with a
    home-manager input at `hm_url` (none: no home-manager at all)."""
    hm = (
        ""
        if hm_url is None
        else f'  inputs.home-manager.url = "{hm_url}";\n'
        '  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";\n'
    )
    return (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/release-25.05";\n'
        + hm
        + "  outputs = { self, nixpkgs, ... }: {\n"
        + nixos_entry("den", "./den.nix", "    ")
        + "  };\n}\n"
    )


def test_nixpkgs_release_branch_is_tracked_by_the_home_manager_release(tmp_path: Path) -> None:
    """Why: a flake on nixpkgs' `release-25.05` branch with home-manager's `release-25.05`
    was told its home-manager input "does not track nixpkgs' branch", with the hint to use
    home-manager master; migrate gave such a flake without home-manager a master input."""
    tracked = write(
        tmp_path / "tracked",
        {
            "flake.nix": release_branch_flake("github:nix-community/home-manager/release-25.05"),
            "den.nix": account("ada", "pkgs.jq"),
        },
    )
    said = [d.message for d in mismatches(build_index(load_repo(tracked)))]
    assert not [m for m in said if "track" in m], said

    behind = write(
        tmp_path / "behind",
        {
            "flake.nix": release_branch_flake("github:nix-community/home-manager/release-24.11"),
            "den.nix": account("ada", "pkgs.jq"),
        },
    )
    said = [d.hint or "" for d in mismatches(build_index(load_repo(behind)))]
    assert any("home-manager/release-25.05" in h for h in said), said

    fresh = write(
        tmp_path / "fresh",
        {"flake.nix": release_branch_flake(None), "den.nix": account("ada", "pkgs.jq")},
    )
    plan = plan_migration(build_index(load_repo(fresh)), MigrateOptions())
    added = b"".join(e.new for e in plan.edits if str(e.path) == "flake.nix").decode()
    assert '"github:nix-community/home-manager/release-25.05"' in added, added


def split_account_repo(tmp_path: Path) -> Path:
    """`ada` is a person's account on `den` (packages in its file) and a system account on
    `vault`, which gives it packages of its own: one name, two kinds of account."""
    return write(
        tmp_path,
        {
            "flake.nix": "{\n"
            '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
            "  outputs = { self, nixpkgs, ... }: {\n"
            + nixos_entry("den", "./den.nix", "    ")
            + nixos_entry("vault", "./vault.nix", "    ")
            + "  };\n}\n",
            "den.nix": account("ada", "pkgs.jq"),
            "vault.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.ada = {\n"
            "    isSystemUser = true;\n"
            '    group = "ada";\n'
            "    packages = [ pkgs.rsync ];\n"
            "  };\n"
            "  users.groups.ada = { };\n}\n",
        },
    )


def test_a_system_account_on_one_host_is_a_person_elsewhere(tmp_path: Path) -> None:
    """Why: an account declared `isSystemUser = true` by one host's module was taken for a
    system account on every host: its packages on the hosts where it is a person's account
    (`isNormalUser`) were neither reported by check (HW002) nor moved by migrate, and no
    word said so (a real fleet declares its users so on one server)."""
    from homeward.lint.facts import Facts
    from homeward.lint.rules import lint

    index = build_index(load_repo(split_account_repo(tmp_path)))
    assert [u.name for u in index.normal_users] == ["ada"]
    found = lint(Facts(index), {"HW002"})
    assert [str(f.at.path) for f in found if f.at] == ["den.nix"], found

    plan = plan_migration(index, MigrateOptions())
    assert [(str(line.origin.path), line.what) for line in plan.ledger] == [
        ("den.nix", "users.users.ada.packages")
    ]
    edited = {str(e.path) for e in plan.edits}
    assert "vault.nix" not in edited and "den.nix" in edited
    kept = [d for d in plan.diagnostics if d.at and str(d.at.path) == "vault.nix"]
    assert kept and "system account" in kept[0].message and "`vault`" in kept[0].message
    assert kept[0].severity.name == "WARNING"
    # Where the name is a system account, home-manager is not wired for it.
    added = b"".join(e.new for e in plan.edits if str(e.path) == "flake.nix")
    assert b"ada@vault" not in added and added.count(b"nixosModules.home-manager") == 1


def test_a_home_wired_for_a_system_account_stays_and_is_said(tmp_path: Path) -> None:
    """Why: where the same name was a system account on one host that wires home-manager for
    it (from the file its home starts from elsewhere), migrate took the host for one without
    the account and refused; the file must stay (what moves from the person's hosts would
    reach the system account) and the warning say why."""
    from homeward.cli import main
    from tests.helpers import make_git_repo

    root = split_account_repo(tmp_path / "repo")
    hm = (
        '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
        '  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";\n'
    )
    wired = (
        "./{h}.nix home-manager.nixosModules.home-manager {{ home-manager.users.ada = ./ada.nix; }}"
    )
    (root / "flake.nix").write_text(
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        + hm
        + "  outputs = { self, nixpkgs, home-manager, ... }: {\n"
        + nixos_entry("den", wired.format(h="den"), "    ")
        + nixos_entry("vault", wired.format(h="vault"), "    ")
        + "  };\n}\n"
    )
    (root / "ada.nix").write_text('{\n  home.stateVersion = "25.05";\n}\n')
    index = build_index(load_repo(root))
    plan = plan_migration(index, MigrateOptions())
    assert "ada.nix" not in {str(e.path) for e in plan.edits}
    assert [line.what for line in plan.ledger] == ["users.users.ada.packages"]
    said = [d for d in plan.diagnostics if "is a system account" in d.message]
    assert [str(d.at.path) for d in said if d.at] == ["vault.nix", "vault.nix"], said
    repo = make_git_repo(root)
    assert main(["migrate", str(repo), "--dry-run"]) == 0


def test_nothing_to_move_without_home_manager_is_not_called_its_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a configuration without home-manager whose users have nothing homeward can read
    to move (an account alone; packages behind an import it cannot follow) was told it is
    "already in the home-manager layout"."""
    from homeward.cli import main
    from tests.helpers import make_git_repo

    def said(name: str, host: str) -> str:
        root = write(
            tmp_path / name,
            {
                "flake.nix": "{\n"
                '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
                "  outputs = { self, nixpkgs, ... }: {\n"
                + nixos_entry("den", "./den.nix", "    ")
                + "  };\n}\n",
                "den.nix": host,
                "more/tools.nix": account("ada", "pkgs.jq"),
            },
        )
        capsys.readouterr()
        assert main(["migrate", str(make_git_repo(root)), "--dry-run"]) == 0
        return capsys.readouterr().out

    alone = said("alone", "{\n  users.users.ada.isNormalUser = true;\n}\n")
    assert "already in the home-manager layout" not in alone
    assert "no user packages or user settings to move" in alone
    assert "cannot look into" not in alone

    hidden = said(
        "hidden",
        "{ helpers, ... }:\n{\n  imports = helpers.modulesIn ./more;\n"
        "  users.users.ada.isNormalUser = true;\n}\n",
    )
    assert "already in the home-manager layout" not in hidden
    assert "1 module it cannot look into may hold some" in hidden


def test_a_mac_added_beside_nixpkgs_release_branch_pins_nix_darwin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: nix-darwin's branch was read from `nixos-YY.MM`/`nixpkgs-YY.MM` only: a Mac added
    to a flake on nixpkgs' `release-25.05` got nix-darwin master, which asserts it matches
    nixpkgs' release."""
    from homeward.cli import main
    from tests.helpers import copy_tree, git, make_git_repo
    from tests.test_add import MIGRATED

    repo = make_git_repo(copy_tree(MIGRATED, tmp_path / "repo"))
    flake = repo / "flake.nix"
    text = flake.read_text()
    assert "nixpkgs/nixos-25.05" in text
    flake.write_text(text.replace("nixpkgs/nixos-25.05", "nixpkgs/release-25.05"))
    git(repo, "commit", "-qam", "nixpkgs on its release branch")
    assert main(["add", "host", "mac", str(repo), "--system", "aarch64-darwin"]) == 0
    capsys.readouterr()
    assert 'url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";' in flake.read_text()


def test_packages_stay_where_home_manager_builds_its_own_packages(tmp_path: Path) -> None:
    """Why: a half-way fleet wires home-manager with settings of its own but without
    `useGlobalPkgs`, and its hosts allow unfree packages (`nixpkgs.config`): home-manager
    then builds each home with a nixpkgs of its own, without that config. Package lists moved
    there (an unfree one among them) no longer evaluated; they stay, and a warning says why.
    Where the host sets `useGlobalPkgs = true` they move."""

    def planned(name: str, settings: str) -> tuple[list[str], list[str]]:
        root = write(
            tmp_path / name,
            {
                "flake.nix": "{\n"
                '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
                '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
                '  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";\n'
                "  outputs = { self, nixpkgs, home-manager, ... }: {\n"
                + nixos_entry(
                    "den",
                    "./den.nix home-manager.nixosModules.home-manager "
                    f"{{ {settings} home-manager.users.bo = ./bo.nix; }}",
                    "    ",
                )
                + "  };\n}\n",
                "den.nix": "{ pkgs, ... }:\n{\n  nixpkgs.config.allowUnfree = true;\n"
                "  users.users.ada.isNormalUser = true;\n"
                "  users.users.ada.packages = [ pkgs.unrar ];\n"
                "  users.users.bo.isNormalUser = true;\n"
                "  users.users.cy.isNormalUser = true;\n"
                "  users.users.cy.packages = with pkgs; [\n    # gimp\n  ];\n}\n",
                "bo.nix": '{\n  home.stateVersion = "25.05";\n}\n',
            },
        )
        plan = plan_migration(build_index(load_repo(root)), MigrateOptions())
        return [line.what for line in plan.ledger], [d.message for d in plan.diagnostics]

    moved, said = planned("own", "home-manager.useUserPackages = true;")
    # A list of commented-out entries builds nothing: it moves as anywhere.
    assert moved == ["users.users.cy.packages"], said
    kept = [m for m in said if "`users.users.ada.packages` stays" in m]
    assert kept and "useGlobalPkgs` is not set" in kept[0] and "`nixpkgs.config`" in kept[0]

    moved, said = planned("global", "home-manager.useGlobalPkgs = true;")
    assert moved == ["users.users.ada.packages", "users.users.cy.packages"], said
