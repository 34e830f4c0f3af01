"""The stand-in nix-darwin flake (tests/standins/nix-darwin) and home-manager's darwin module
behave like the real ones where homeward depends on them: `darwinSystem`, a user's `home` left
null unless set, an integer `system.stateVersion`, `system.primaryUser` for user-level defaults."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from homeward.errors import NixError
from homeward.nix import ops, run
from tests.helpers import STANDINS, standin_overrides

pytestmark = pytest.mark.nix

FLAKE = """{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
    nix-darwin = {
      url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
    home-manager = {
      url = "github:nix-community/home-manager/release-25.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };
  outputs = { self, nixpkgs, nix-darwin, home-manager }: {
    darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
      modules = [
        home-manager.darwinModules.home-manager
        ./mac.nix
      ];
    };
  };
}
"""

MAC = """{ pkgs, ... }: {
  nixpkgs.hostPlatform = "aarch64-darwin";
  system.stateVersion = 6;
  @PRIMARY@
  system.defaults.dock.autohide = true;
  homebrew.enable = true;
  homebrew.casks = [ "firefox" ];
  @HOME@
  users.users.ham.packages = [ pkgs.ripgrep ];
  home-manager.useGlobalPkgs = true;
  home-manager.useUserPackages = true;
  home-manager.users.ham = { pkgs, osClass, ... }: {
    home.stateVersion = "25.05";
    home.packages = [ pkgs.jq ];
    home.sessionVariables.CLASS = osClass;
  };
}
"""


def make_flake(tmp_path: Path, *, primary: bool = True, home: bool = True) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "flake.nix").write_text(FLAKE)
    mac = MAC.replace("@PRIMARY@", 'system.primaryUser = "ham";' if primary else "")
    mac = mac.replace("@HOME@", 'users.users.ham.home = "/Users/ham";' if home else "")
    (repo / "mac.nix").write_text(mac)
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    return repo


def nix_eval(repo: Path, attr: str, apply: str | None = None) -> tuple[bool, str]:
    """(True, stdout) or (False, nix's error output)."""
    args = ["eval", "--json", f"{repo}#{attr}", "--no-write-lock-file"]
    if apply:
        args += ["--apply", apply]
    args += standin_overrides("nixpkgs", "nix-darwin", "home-manager")
    try:
        return True, run.run_nix(args, cwd=repo)
    except NixError as e:
        return False, e.stderr or ""


def value(repo: Path, attr: str, apply: str | None = None) -> Any:
    ok, out = nix_eval(repo, attr, apply)
    assert ok, out
    return json.loads(out)


def test_darwin_system_with_home_manager(tmp_path: Path) -> None:
    """Why: migrate wires home-manager into Macs through `darwinModules.home-manager`; the user's
    home packages, directory and `osClass` must come out as on a real Mac."""
    repo = make_flake(tmp_path)
    conf = "darwinConfigurations.mac.config"
    names = "map (p: p.pname or p.name)"
    assert value(repo, f"{conf}.home-manager.users.ham.home.packages", names) == ["jq"]
    assert value(repo, f"{conf}.users.users.ham.packages", names) == [
        "ripgrep",
        "home-manager-path",
    ]
    home = value(repo, f"{conf}.home-manager.users.ham.home", "h: [h.homeDirectory h.username]")
    assert home == ["/Users/ham", "ham"]
    assert value(repo, f"{conf}.home-manager.users.ham.home.sessionVariables.CLASS") == "darwin"
    assert value(repo, f"{conf}.system.stateVersion") == 6
    assert value(repo, "darwinConfigurations.mac.system.name") == "darwin-system-"


def test_darwin_user_without_home_cannot_evaluate_its_home(tmp_path: Path) -> None:
    """Why: nix-darwin leaves `users.users.<u>.home` null; home-manager then has no home
    directory, the trap `check` reports and migrate avoids by writing `/Users/<u>`."""
    repo = make_flake(tmp_path, home=False)
    ok, err = nix_eval(
        repo, "darwinConfigurations.mac.config.home-manager.users.ham.home.homeDirectory"
    )
    assert not ok
    assert "homeDirectory" in err


def test_darwin_user_defaults_need_primary_user(tmp_path: Path) -> None:
    """Why: current nix-darwin refuses `system.defaults`/`homebrew` without `system.primaryUser`."""
    repo = make_flake(tmp_path, primary=False)
    ok, err = nix_eval(repo, "darwinConfigurations.mac.system.name")
    assert not ok
    assert "system.primaryUser" in err


def record(repo: Path) -> Any:
    """What each system call of `repo`'s outputs received, through `standins.nix`."""
    args = ["--eval", "--strict", "--json", str(ops.STANDINS_NIX), "--argstr", "repo", str(repo)]
    args += ["--argstr", "standins", str(STANDINS), "--argstr", "mode", "record"]
    p = run.run_instantiate(args, cwd=repo)
    assert p.ok, p.stderr
    return json.loads(p.stdout)


def test_darwin_hosts_without_flakes(tmp_path: Path) -> None:
    """Why: tests evaluate flakes without the flake machinery (`standins.nix`); an input named
    `nix-darwin` or `darwin` is the stand-in, following the stand-in nixpkgs."""
    repo = make_flake(tmp_path)
    mac = record(repo)["darwin_hosts"]["mac"]
    assert mac["system"] == "aarch64-darwin"
    assert mac["modules"][0]["key"] == "home-manager#darwin-module"
    (repo / "flake.nix").write_text(FLAKE.replace("nix-darwin", "darwin"))
    assert "mac" in record(repo)["darwin_hosts"]
