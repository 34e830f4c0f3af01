"""`home.stateVersion` when a user's home-manager configuration written inside a NixOS module
sets it on some of their hosts only. Measured on a real configuration (a flake in `nixos/`, two
hosts): the desktop host wrote `home-manager.users.<u> = { ...; home.stateVersion = "18.09"; }`
in a module only it imports, the server had no home-manager at all. migrate gave the user a new
entry on both hosts and wrote no `home.stateVersion` (one was "already set"), so the server's home
had none: home-manager refuses to evaluate it, and `check` called it an error after migrate (a
Wrong corpus result). The entry now sets it with `lib.mkDefault`: the existing value stays the
one the desktop uses (rule 8: never changed), the server gets the release the flake tracks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.nix.run import run_nix
from tests.helpers import (
    HM_OVERRIDES,
    account,
    check_findings,
    git,
    hm_flake_lines,
    make_git_repo,
    write,
)

ROOT = Path(__file__).resolve().parent.parent

FLAKE = hm_flake_lines(
    """  outputs = { self, nixpkgs, home-manager, ... }@inputs: {
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./common.nix ./desk-extras.nix home-manager.nixosModules.home-manager ];
    };
    nixosConfigurations.box = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./common.nix ];
    };
  };
"""
)

FILES = {
    "flake.nix": FLAKE,
    "common.nix": account("rue", "pkgs.jq"),
    "desk-extras.nix": """{ pkgs, ... }:
{
  home-manager.users.rue = { pkgs, ... }: {
    home.packages = [ pkgs.ripgrep ];
    home.stateVersion = "18.09";
  };
}
""",
}


def _migrated(tmp_path: Path) -> Path:
    root = make_git_repo(write(tmp_path / "config", FILES))
    assert main(["migrate", str(root)]) == 0
    git(root, "add", "-A")
    return root


def test_the_entry_sets_state_version_below_the_value_some_hosts_have(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _migrated(tmp_path)
    entry = (root / "home" / "rue" / "default.nix").read_text()
    assert 'home.stateVersion = lib.mkDefault "25.05";' in entry, entry
    # The value written in the desktop's module is left as it is.
    assert 'home.stateVersion = "18.09";' in (root / "desk-extras.nix").read_text()
    assert check_findings(root, capsys, "--select", "HW007") == []


def test_state_version_without_an_existing_value_stays_plain(tmp_path: Path) -> None:
    """Why: the same user with no value anywhere gets the plain value, as before."""
    files = dict(FILES)
    files["desk-extras.nix"] = files["desk-extras.nix"].replace(
        '    home.stateVersion = "18.09";\n', ""
    )
    root = make_git_repo(write(tmp_path / "config", files))
    assert main(["migrate", str(root)]) == 0
    entry = (root / "home" / "rue" / "default.nix").read_text()
    assert 'home.stateVersion = "25.05";' in entry, entry


@pytest.mark.nix
def test_each_host_evaluates_with_its_own_state_version(tmp_path: Path) -> None:
    """Why: proven with nix against the stand-ins: the desktop keeps 18.09, the server's new
    home evaluates (the stand-in home-manager requires `home.stateVersion`, as the real one)."""
    root = _migrated(tmp_path)
    got = {}
    for host in ("desk", "box"):
        out = run_nix(
            [
                "eval",
                "--json",
                "--no-write-lock-file",
                f"{root}#nixosConfigurations.{host}.config.home-manager.users.rue.home.stateVersion",
                *HM_OVERRIDES,
            ]
        )
        got[host] = json.loads(out)
    assert got == {"desk": "18.09", "box": "25.05"}


COMPUTED = {
    "flake.nix": hm_flake_lines(
        """  outputs = { self, nixpkgs, home-manager, ... }: {
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./common.nix
        home-manager.nixosModules.home-manager
        { home-manager.users = nixpkgs.lib.genAttrs [ "rue" ] (u: { imports = [ ./users/${u}.nix ]; }); }
      ];
    };
  };
"""
    ),
    "common.nix": FILES["common.nix"],
    "users/rue.nix": '{ pkgs, ... }:\n{\n  home.stateVersion = "23.05";\n}\n',
}


def test_a_home_homeward_cannot_see_gets_state_version_below_its_own(tmp_path: Path) -> None:
    """Why: measured on a public fleet: `home-manager.users = genAttrs users (u: ...)` imports a
    file per user that sets home.stateVersion; homeward cannot see which homes that defines,
    and the new entry's plain value conflicted with it on every host."""
    root = make_git_repo(write(tmp_path / "config", COMPUTED))
    assert main(["migrate", str(root)]) == 0
    entry = (root / "home" / "rue" / "default.nix").read_text()
    assert 'home.stateVersion = lib.mkDefault "25.05";' in entry, entry


@pytest.mark.nix
def test_a_home_homeward_cannot_see_keeps_its_state_version(tmp_path: Path) -> None:
    root = make_git_repo(write(tmp_path / "config", COMPUTED))
    assert main(["migrate", str(root)]) == 0
    git(root, "add", "-A")
    out = run_nix(
        [
            "eval",
            "--json",
            "--no-write-lock-file",
            f"{root}#nixosConfigurations.desk.config.home-manager.users.rue.home.stateVersion",
            *HM_OVERRIDES,
        ]
    )
    assert json.loads(out) == "23.05"
