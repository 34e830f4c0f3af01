"""Standalone entries of a flake-parts flake whose hosts are written in flake.nix's own module
(`flake.nixosConfigurations.<host> = …` inside `mkFlake { inherit inputs; } { … }`): they
go beside the hosts, under `flake`, never into `mkFlake`'s first argument."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, write

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  outputs = inputs: inputs.flake-parts.lib.mkFlake { inherit inputs; } {
    systems = [ "x86_64-linux" ];
    flake.nixosConfigurations.pc = inputs.nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./pc.nix ];
    };
  };
}
"""
PC = """{ pkgs, ... }:
{
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.htop ];
  system.stateVersion = "25.05";
}
"""


def test_standalone_entries_go_under_flake_beside_the_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate wrote `homeConfigurations = { "kim@pc" = …; }` into `mkFlake`'s first
    argument (`{ inherit inputs; }`, the first attribute set it met), where flake-parts
    makes no output of it: `home-manager switch --flake .#kim@pc` found nothing."""
    repo = make_git_repo(write(tmp_path / "repo", {"flake.nix": FLAKE, "pc.nix": PC}))
    monkeypatch.chdir(repo)
    assert main(["migrate", "."]) == 0
    capsys.readouterr()
    text = (repo / "flake.nix").read_text()
    assert "mkFlake { inherit inputs; } {" in text
    assert 'flake.homeConfigurations."kim@pc" = inputs.home-manager.lib' in text
    after = load_repo(repo)
    assert sorted(after.homes) == ["kim@pc"]
    assert [str(r.path) for r in after.homes["kim@pc"].modules] == ["home/kim/default.nix"]


# The same flake with its outputs written in a `flake = { … }` set of the module.
FLAKE_SET = FLAKE.replace(
    "    flake.nixosConfigurations.pc = inputs.nixpkgs.lib.nixosSystem {\n"
    '      system = "x86_64-linux";\n'
    "      modules = [ ./pc.nix ];\n"
    "    };\n",
    "    flake = {\n"
    "      nixosConfigurations.pc = inputs.nixpkgs.lib.nixosSystem {\n"
    '        system = "x86_64-linux";\n'
    "        modules = [ ./pc.nix ];\n"
    "      };\n"
    "    };\n",
)


@pytest.mark.nix
@pytest.mark.parametrize(
    ("flake", "written"),
    [
        (FLAKE, "\n    flake.nixosConfigurations.laptop = inputs.nixpkgs.lib.nixosSystem {"),
        (FLAKE_SET, "\n      nixosConfigurations.laptop = inputs.nixpkgs.lib.nixosSystem {"),
    ],
    ids=["dotted", "set"],
)
def test_add_host_goes_under_flake_beside_the_hosts(
    flake: str,
    written: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why: `add host` wrote `nixosConfigurations.laptop = …` (and kim's standalone entry)
    into `mkFlake`'s module without `flake.`, where flake-parts makes no output of it: the
    plan's check refused it (exit 4). It now writes the host as the flake writes its hosts,
    under `flake`, and the flake (evaluated against the stand-ins, flake-parts' among them)
    has the host, with kim's home, and kim's standalone entry for it."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS, git

    repo = make_git_repo(write(tmp_path / "repo", {"flake.nix": flake, "pc.nix": PC}))
    monkeypatch.chdir(repo)
    assert main(["migrate", "."]) == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "migrated")
    capsys.readouterr()
    assert main(["add", "host", "laptop", "."]) == 0, capsys.readouterr()
    text = (repo / "flake.nix").read_text()
    assert "mkFlake { inherit inputs; } {\n    systems" in text
    assert written in text
    assert '"kim@laptop" = inputs.home-manager.lib.homeManagerConfiguration {' in text
    git(repo, "add", "-A")
    data = extract_outputs_standins(repo, STANDINS)
    assert sorted(data.hosts) == ["laptop", "pc"]
    assert data.hosts["laptop"].users["kim"].packages == data.hosts["pc"].users["kim"].packages
    assert sorted(data.homes) == ["kim@laptop", "kim@pc"]
    after = load_repo(repo)
    assert sorted(after.hosts) == ["laptop", "pc"]
    assert sorted(after.homes) == ["kim@laptop", "kim@pc"]
