"""`homeward init --system aarch64-darwin`: a Mac flake (nix-darwin, home-manager's darwin
module, the standalone home), evaluated by the real nix against the stand-in flakes (#12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo
from tests.test_standins_darwin import value


def scaffold(tmp_path: Path, system: str = "aarch64-darwin") -> Path:
    target = tmp_path / "config"
    assert main(["init", str(target), "--user", "ham", "--host", "mac", "--system", system]) == 0
    return target


def test_a_mac_scaffold_has_the_darwin_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): `init --system aarch64-darwin` was refused; a Mac user starts from nix-darwin
    (following nixpkgs' darwin branch), home-manager's darwin module and a standalone home."""
    target = scaffold(tmp_path)
    out = capsys.readouterr().out
    assert "sudo darwin-rebuild switch --flake .#mac" in out
    assert "nixos-generate-config" not in out and "nixos-rebuild" not in out
    files = sorted(str(p.relative_to(target)) for p in target.rglob("*.nix"))
    assert files == [
        "flake.nix",
        "home/ham/default.nix",
        "home/ham/features/cli.nix",
        "home/ham/features/git.nix",
        "hosts/mac/default.nix",
        "modules/system/users.nix",
    ]  # no hardware-configuration.nix on a Mac
    flake = (target / "flake.nix").read_text()
    assert "darwinConfigurations.mac = nix-darwin.lib.darwinSystem" in flake
    assert "home-manager.darwinModules.home-manager" in flake
    assert "nixosConfigurations" not in flake and "nixosModules" not in flake
    assert "nixpkgs.legacyPackages.aarch64-darwin" in flake
    assert 'url = "github:nix-darwin/nix-darwin/nix-darwin-26.05"' in flake
    host = (target / "hosts/mac/default.nix").read_text()
    assert "system.stateVersion = 6;" in host and 'system.primaryUser = "ham";' in host
    users = (target / "modules/system/users.nix").read_text()
    assert 'home = "/Users/ham";' in users
    assert '"/Users/ham"' in (target / "home/ham/default.nix").read_text()


def test_a_mac_scaffold_is_clean_for_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = scaffold(tmp_path)
    capsys.readouterr()
    assert main(["check", str(target)]) == 0, capsys.readouterr().out


@pytest.mark.nix
def test_a_mac_scaffold_evaluates_with_the_stand_ins(tmp_path: Path) -> None:
    """Why: a scaffold that does not evaluate is worse than none: the darwin host's home (through
    home-manager's darwin module) and the standalone home both under /Users, on aarch64-darwin."""
    repo = make_git_repo(scaffold(tmp_path))
    conf = "darwinConfigurations.mac.config"
    assert value(repo, f"{conf}.home-manager.users.ham.home.homeDirectory") == "/Users/ham"
    assert value(repo, f"{conf}.system.stateVersion") == 6
    assert value(repo, f"{conf}.system.primaryUser") == "ham"
    names = "map (p: p.pname or p.name)"
    packages = value(repo, f"{conf}.home-manager.users.ham.home.packages", names)
    assert {"fd", "jq", "ripgrep"} <= set(packages)
    home = 'homeConfigurations."ham@mac"'
    assert value(repo, f"{home}.config.home.homeDirectory") == "/Users/ham"
    assert value(repo, f"{home}.pkgs.stdenv.hostPlatform.system") == "aarch64-darwin"
