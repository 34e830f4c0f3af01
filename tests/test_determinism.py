"""The same command on the same tree says the same thing, run after run: golden comparisons,
diffs in CI and "a second run changes nothing" depend on it. Each case runs homeward in child
processes under different hash seeds (set order) and compares every byte of what they say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, write
from tests.test_frameworks_clan import CLAN_HEAD

# A clan whose inventory hands its services modules through a helper (`wrap ./modules/m00`), and
# which exports the same modules as `nixosModules` (a fleet seen in the corpus does so). Each
# `wrap` call is a value computed while walking what clan-core's part might read, then dropped.
CLAN_FLAKE = (
    CLAN_HEAD
    + """        specialArgs = { flake-self = self; } // inputs;
        modules."@me/kind" = ./services/kind;
        inventory = import ./inventory.nix { inherit self; lib = nixpkgs.lib; };
      };
    in
    {
      nixosModules = builtins.listToAttrs (
        map (name: {
          inherit name;
          value = import (./modules + "/${name}");
        }) (builtins.attrNames (builtins.readDir ./modules))
      );
      nixosConfigurations = clan.config.nixosConfigurations;
    };
}
"""
)
INVENTORY = """{ self, lib }:
let
  wrap = m: { imports = [ m ]; };
in
{
  machines = %s;
  instances.kind = {
    module.input = "self";
    module.name = "@me/kind";
    roles.desktop.tags.desktop = { };
    roles.desktop.extraModules = [ %s ];
  };
}
"""
MODULE = '{ lib, ... }:\n{\n  options.me.%s.enable = lib.mkEnableOption "%s";\n}\n'
HOST = """{ pkgs, ... }:
{
  networking.hostName = "%s";
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.htop ];
  system.stateVersion = "25.05";
}
"""


def _clan(root: Path) -> Path:
    modules = [f"m{i:02}" for i in range(24)]
    machines = [f"host{i:02}" for i in range(4)]
    tags = " ".join(
        f'{m}.tags = [ "{"server" if i % 2 else "desktop"}" ];' for i, m in enumerate(machines)
    )
    files = {
        "flake.nix": CLAN_FLAKE,
        "inventory.nix": INVENTORY
        % (f"{{ {tags} }}", " ".join(f"(wrap ./modules/{m})" for m in modules)),
        "services/kind/default.nix": '{ ... }:\n{\n  _class = "clan.service";\n}\n',
        **{f"modules/{m}/default.nix": MODULE % (m, m) for m in modules},
        **{f"machines/{h}/configuration.nix": HOST % h for h in machines},
    }
    return make_git_repo(write(root, files))


def _said(cwd: Path, seed: str, *args: str) -> tuple[int, str, str]:
    env = dict(os.environ, PYTHONHASHSEED=seed, NO_COLOR="1", TERM="dumb", COLUMNS="120")
    proc = subprocess.run(
        [sys.executable, "-m", "homeward", *args, "."],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return proc.returncode, proc.stdout, proc.stderr


def test_what_a_clan_service_might_read_is_frozen_for_every_machine(tmp_path: Path) -> None:
    """Why: the walk of what clan-core's part reads kept the id() of the values it had seen,
    not the values: one it computed and dropped freed its id for the next `wrap` call's, which
    was then taken for seen and skipped, so some of the modules it hands over were not frozen
    for the machines (a different few each run)."""
    repo = load_repo(_clan(tmp_path / "clan"))
    machines = sorted(repo.hosts)
    assert len(machines) == 4
    modules = {k: i for k, i in repo.modules.items() if k.startswith("modules/")}
    assert len(modules) == 24
    for key, info in sorted(modules.items()):
        missing = [h for h in machines if h not in info.frozen]
        assert not missing, f"{key} is not frozen for {missing}"


@pytest.mark.parametrize(
    "args",
    [("graph", "--format", "json"), ("check", "--format", "json"), ("migrate", "--dry-run")],
)
def test_a_clan_reads_the_same_under_every_hash_seed(tmp_path: Path, args: tuple[str, ...]) -> None:
    """Why: on a clan fleet (pinpox's), `graph --format json` named different machines on a
    module from run to run (see above), and so did what `check` and `migrate` said of it."""
    repo = _clan(tmp_path / "clan")
    first = _said(repo, "1", *args)
    assert first[0] in (0, 1), first[2]
    assert _said(repo, "2", *args) == first
