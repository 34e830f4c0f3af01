"""`home.stateVersion` when the user also has a standalone home that names no host
(`homeConfigurations.<u>`), which sets it in a module written in its own module list. Measured
on two public configurations of the corpus (a flake-parts helper that builds every standalone
home with an inline module setting `home.stateVersion`, and a darwin fleet): migrate gave the
user a new entry on their NixOS host and wrote no `home.stateVersion` (one was "already set"),
but only the standalone home reads that inline module, and migrate does not add the new entry
to a standalone home that names no host. The host's home had none: home-manager refuses to
evaluate it, and `check` called it an error after migrate (Wrong). A module of such a home
counts only when the host's home can read it too: a file (the entry they may share)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import (
    account,
    check_findings,
    git,
    hm_flake_lines,
    home_entry,
    make_git_repo,
    nixos_entry,
    write,
)

FILES = {
    "flake.nix": hm_flake_lines(
        "  outputs = { self, nixpkgs, home-manager, ... }: {\n"
        + nixos_entry("box", "./configuration.nix", "    ")
        + """    homeConfigurations.ida = home-manager.lib.homeManagerConfiguration {
      pkgs = nixpkgs.legacyPackages.x86_64-linux;
      modules = [
        {
          home.username = "ida";
          home.homeDirectory = "/home/ida";
          home.stateVersion = "24.11";
        }
      ];
    };
  };
"""
    ),
    "configuration.nix": account("ida", "pkgs.jq"),
}


def _migrated(tmp_path: Path, files: dict[str, str]) -> tuple[Path, str]:
    """`files` migrated, the new files added to git: the repository and ida's new entry."""
    root = make_git_repo(write(tmp_path / "config", files))
    assert main(["migrate", str(root)]) == 0
    git(root, "add", "-A")
    return root, (root / "home" / "ida" / "default.nix").read_text()


def test_the_hosts_home_sets_state_version_the_hostless_home_does_not_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, entry = _migrated(tmp_path, FILES)
    assert 'home.stateVersion = "25.05";' in entry, entry
    # The standalone home keeps its own value, and reads no second one.
    assert 'home.stateVersion = "24.11";' in (root / "flake.nix").read_text()
    assert check_findings(root, capsys, "--select", "HW007") == []


OTHER_HOST = {
    "flake.nix": hm_flake_lines(
        "  outputs = { self, nixpkgs, home-manager, ... }: {\n"
        + nixos_entry("desk", "./desk.nix", "    ")
        + nixos_entry("box", "./box.nix", "    ")
        + home_entry('"ida@desk"', "./desk-home.nix", "    ")
        + "  };\n"
    ),
    "desk.nix": '{ ... }:\n{\n  networking.hostName = "desk";\n}\n',
    "desk-home.nix": """{ ... }:
{
  home.username = "ida";
  home.homeDirectory = "/home/ida";
  home.stateVersion = "24.11";
}
""",
    "box.nix": account("ida", "pkgs.jq"),
}


def test_a_home_of_another_host_does_not_set_state_version_for_this_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same on a darwin fleet of the corpus: the user's standalone homes name other hosts
    (`"<u>@<other>"`), whose files set `home.stateVersion`; the host migrate wires had none."""
    root, entry = _migrated(tmp_path, OTHER_HOST)
    assert "home.stateVersion" in entry, entry
    assert check_findings(root, capsys, "--select", "HW007") == []
