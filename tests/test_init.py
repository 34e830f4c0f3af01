"""`homeward init`: the scaffold, checked by nix itself; refusal and dry runs write nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from homeward.cli import main
from homeward.plan.init import InitSpec, plan_init
from homeward.syntax.parse import parse_source
from tests.conftest import FIXTURES
from tests.helpers import git, make_git_repo, tree_diff, tree_files

SCAFFOLD = FIXTURES / "graph" / "scaffold"  # `homeward init --user ham --host desk`
UPDATE = os.environ.get("HOMEWARD_UPDATE_GOLDENS") == "1"
FILES = [
    "flake.nix",
    "hosts/desk/default.nix",
    "hosts/desk/hardware-configuration.nix",
    "modules/system/users.nix",
    "home/ham/default.nix",
    "home/ham/features/cli.nix",
    "home/ham/features/git.nix",
]


def init(*args: str) -> int:
    return main(["init", *args])


def scaffold(tmp_path: Path, *args: str, user: str = "ham", host: str = "desk") -> Path:
    target = tmp_path / "config"
    assert init(str(target), "--user", user, "--host", host, *args) == 0
    return target


def test_plan_matches_the_scaffold_fixture() -> None:
    """Why: the scaffold is what users start from; every change to it must be deliberate.
    HOMEWARD_UPDATE_GOLDENS=1 rewrites tests/fixtures/graph/scaffold."""
    plan = plan_init(InitSpec(user="ham", host="desk"))
    assert [str(f.path) for f in plan.new_files] == FILES
    got = {str(f.path): f.text for f in plan.new_files}
    if UPDATE:
        shutil.rmtree(SCAFFOLD, ignore_errors=True)
        for name, text in got.items():
            (SCAFFOLD / name).parent.mkdir(parents=True, exist_ok=True)
            (SCAFFOLD / name).write_bytes(text)
    assert got == tree_files(SCAFFOLD)


def test_init_writes_the_scaffold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = scaffold(tmp_path)
    assert tree_diff(target, SCAFFOLD) == ""
    out = capsys.readouterr().out
    for name in FILES:
        assert name in out
    assert "next steps:" in out
    assert "git init" in out  # not a git repository yet
    assert "nix flake lock" in out
    assert "sudo nixos-rebuild switch --flake .#desk" in out
    assert "home-manager switch --flake .#ham@desk" in out
    assert "nixos-generate-config --show-hardware-config" in out


def test_every_file_is_tree_sitter_clean() -> None:
    for f in plan_init(InitSpec(user="ham", host="desk", system="aarch64-linux")).new_files:
        assert parse_source(f.text, f.path).first_problem() is None, f.path


@pytest.mark.nix
def test_every_file_parses_with_nix(tmp_path: Path) -> None:
    target = scaffold(tmp_path, "--system", "aarch64-linux", user="alice", host="1box")
    written = sorted(p for p in target.rglob("*") if p.is_file())
    assert len(written) == len(FILES)
    for path in written:
        p = subprocess.run(
            ["nix-instantiate", "--parse", str(path)],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert p.returncode == 0, f"{path.relative_to(target)}: {p.stderr}"


# The flake's outputs called with stand-in inputs that record what they are given.
FLAKE_EVAL = """
{ scaffold, system }:
let
  root = /. + scaffold;
  flake = import (root + "/flake.nix");
  record = kind: args: { inherit kind; recorded = args; };
  nixpkgs = {
    lib.nixosSystem = record "nixos";
    legacyPackages.${system} = { marker = "legacyPackages.${system}"; };
  };
  home-manager = {
    lib.homeManagerConfiguration = record "home";
    nixosModules.home-manager = "hm-module";
  };
  self = outputs;
  outputs = flake.outputs { inherit self nixpkgs home-manager; };
  rel = p: builtins.substring (builtins.stringLength (toString root) + 1) (-1) (toString p);
  describe =
    m:
    if builtins.isPath m then
      { path = rel m; }
    else if builtins.isString m then
      { marker = m; }
    else
      {
        attrs = builtins.attrNames m;
        home-manager = builtins.mapAttrs (
          n: v:
          if n == "users" then
            builtins.mapAttrs (_: f: builtins.attrNames (builtins.functionArgs f)) v
          else if n == "extraSpecialArgs" then
            builtins.attrNames v
          else
            v
        ) m.home-manager;
      };
  summary = c: {
    inherit (c) kind;
    args = builtins.attrNames c.recorded;
    modules = map describe c.recorded.modules;
  };
in
{
  inherit (flake) description inputs;
  outputs = builtins.attrNames outputs;
  nixos = builtins.mapAttrs (
    _: c: summary c // { specialArgs = builtins.attrNames c.recorded.specialArgs.inputs; }
  ) outputs.nixosConfigurations;
  homes = builtins.mapAttrs (
    _: c:
    summary c
    // {
      pkgs = c.recorded.pkgs.marker;
      extraSpecialArgs = builtins.attrNames c.recorded.extraSpecialArgs.inputs;
    }
  ) outputs.homeConfigurations;
}
"""


def nix_eval(expr_file: Path, **args: str) -> Any:
    argv = ["nix-instantiate", "--eval", "--strict", "--json", str(expr_file)]
    for name, value in args.items():
        argv += ["--argstr", name, value]
    p = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.nix
@pytest.mark.parametrize(
    ("user", "host", "system"),
    [("ham", "desk", "x86_64-linux"), ("alice", "1box", "aarch64-linux")],
    ids=["ham@desk", "alice@1box"],
)
def test_flake_evaluates_with_stand_in_inputs(
    tmp_path: Path, user: str, host: str, system: str
) -> None:
    """Why: the flake must wire both outputs as designed; the real nix evaluator checks it
    against inputs that record their arguments (no network, no nixpkgs needed)."""
    target = scaffold(tmp_path, "--system", system, user=user, host=host)
    expr = tmp_path / "eval.nix"
    expr.write_text(FLAKE_EVAL)
    got = nix_eval(expr, scaffold=str(target.resolve()), system=system)
    assert got["inputs"] == {
        "nixpkgs": {"url": "github:NixOS/nixpkgs/nixos-26.05"},
        "home-manager": {
            "url": "github:nix-community/home-manager/release-26.05",
            "inputs": {"nixpkgs": {"follows": "nixpkgs"}},
        },
    }
    assert got["outputs"] == ["homeConfigurations", "nixosConfigurations"]
    assert got["nixos"] == {
        host: {
            "kind": "nixos",
            "args": ["modules", "specialArgs"],
            "specialArgs": ["home-manager", "nixpkgs", "self"],
            "modules": [
                {"path": f"hosts/{host}"},
                {"marker": "hm-module"},
                {
                    "attrs": ["home-manager"],
                    "home-manager": {
                        "backupFileExtension": "hm-backup",
                        "extraSpecialArgs": ["inputs"],
                        "useGlobalPkgs": True,
                        "useUserPackages": True,
                        "users": {user: ["lib", "pkgs"]},
                    },
                },
            ],
        }
    }
    assert got["homes"] == {
        f"{user}@{host}": {
            "kind": "home",
            "args": ["extraSpecialArgs", "modules", "pkgs"],
            "extraSpecialArgs": ["home-manager", "nixpkgs", "self"],
            "pkgs": f"legacyPackages.{system}",
            "modules": [{"path": f"home/{user}"}],
        }
    }


# Each module file called with stand-in module arguments; paths shown relative to the scaffold.
MODULES_EVAL = """
{ scaffold, user, host }:
let
  root = /. + scaffold;
  lib.mkDefault = v: { mkDefault = v; };
  pkgs = builtins.listToAttrs (
    map (n: { name = n; value = "pkgs.${n}"; }) [ "home-manager" "fd" "jq" "ripgrep" ]
  );
  call = f: if builtins.isFunction f then f { inherit lib pkgs; } else f;
  rel = p: builtins.substring (builtins.stringLength (toString root) + 1) (-1) (toString p);
  norm =
    v:
    if builtins.isPath v then
      rel v
    else if builtins.isList v then
      map norm v
    else if builtins.isAttrs v then
      builtins.mapAttrs (_: norm) v
    else
      v;
  load = p: norm (call (import (root + "/${p}")));
in
{
  host = load "hosts/${host}/default.nix";
  hardware = load "hosts/${host}/hardware-configuration.nix";
  users = load "modules/system/users.nix";
  home = load "home/${user}/default.nix";
  cli = load "home/${user}/features/cli.nix";
  git = load "home/${user}/features/git.nix";
}
"""


@pytest.mark.nix
def test_module_files_evaluate(tmp_path: Path) -> None:
    """Why: each file must be a module of the right shape, setting exactly the options checked
    against home-manager's and nixpkgs' sources."""
    target = scaffold(tmp_path)
    expr = tmp_path / "modules.nix"
    expr.write_text(MODULES_EVAL)
    got = nix_eval(expr, scaffold=str(target.resolve()), user="ham", host="desk")
    assert got["host"] == {
        "imports": [
            "hosts/desk/hardware-configuration.nix",
            "modules/system/users.nix",
        ],
        "networking": {"hostName": "desk"},
        "nixpkgs": {"hostPlatform": "x86_64-linux"},
        "nix": {"settings": {"experimental-features": ["nix-command", "flakes"]}},
        "system": {"stateVersion": "26.05"},
    }
    assert got["hardware"] == {
        "warnings": ["hosts/desk/hardware-configuration.nix is a placeholder; replace it"],
        "fileSystems": {
            "/": {"mkDefault": {"device": "/dev/disk/by-label/nixos", "fsType": "ext4"}}
        },
        "boot": {"loader": {"grub": {"enable": {"mkDefault": False}}}},
    }
    assert got["users"] == {
        "users": {"users": {"ham": {"isNormalUser": True, "extraGroups": ["wheel"]}}}
    }
    assert got["home"] == {
        "imports": ["home/ham/features/cli.nix", "home/ham/features/git.nix"],
        "home": {
            "username": {"mkDefault": "ham"},
            "homeDirectory": {"mkDefault": "/home/ham"},
            "stateVersion": "26.05",
            "packages": ["pkgs.home-manager"],
        },
        "programs": {"home-manager": {"enable": True}},
    }
    assert got["cli"] == {"home": {"packages": ["pkgs.fd", "pkgs.jq", "pkgs.ripgrep"]}}
    # home-manager 25.11 and later: `programs.git.settings` (release-25.05 has only extraConfig)
    assert got["git"] == {
        "programs": {
            "git": {
                "enable": True,
                "settings": {"init": {"defaultBranch": "main"}, "pull": {"rebase": True}},
            }
        }
    }


def test_git_feature_uses_settings_from_25_11() -> None:
    """Why: home-manager 25.11 renamed the git options to `programs.git.settings`."""
    plan = plan_init(InitSpec(user="ham", host="desk", release="25.11"))
    git_nix = next(f for f in plan.new_files if f.path.name == "git.nix").text.decode()
    assert "    settings = {\n" in git_nix
    assert "extraConfig" not in git_nix
    flake = plan.new_files[0].text.decode()
    assert '"github:nix-community/home-manager/release-25.11"' in flake


def test_refuses_to_overwrite_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: init must never destroy a user's file; the tree stays byte-identical."""
    target = tmp_path / "config"
    (target / "home/ham/features").mkdir(parents=True)
    (target / "flake.nix").write_bytes(b"{ outputs = _: { }; }\n")
    (target / "home/ham/features/git.nix").write_bytes(b"# mine\n{ }\n")
    (target / "notes.txt").write_bytes(b"keep\n")
    before = tree_files(target)
    assert init(str(target), "--user", "ham", "--host", "desk") == 3
    assert tree_files(target) == before
    assert sorted(p.name for p in (target / "home/ham").iterdir()) == ["features"]
    err = capsys.readouterr().err
    assert "`flake.nix`" in err and "`home/ham/features/git.nix`" in err
    assert "does not overwrite" in err and "homeward migrate" in err
    assert "Traceback" not in err


def test_dry_run_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "new"
    assert init(str(missing), "--user", "ham", "--host", "desk", "--dry-run") == 0
    assert not missing.exists()
    out = capsys.readouterr().out
    assert "+++ b/home/ham/default.nix" in out
    assert '+  home.stateVersion = "26.05";' in out
    assert "nothing was written" in out
    empty = tmp_path / "empty"
    empty.mkdir()
    assert init(str(empty), "--user", "ham", "--host", "desk", "--dry-run") == 0
    assert list(empty.iterdir()) == []


def test_defaults_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("USER", "bob")
    monkeypatch.setattr("socket.gethostname", lambda: "studio.example.org")
    assert init(str(tmp_path / "c")) == 0
    assert (tmp_path / "c/home/bob/default.nix").is_file()
    assert (tmp_path / "c/hosts/studio/default.nix").is_file()
    assert 'homeConfigurations."bob@studio"' in (tmp_path / "c/flake.nix").read_text()
    assert "home-manager switch --flake .#bob@studio" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "env_user", "phrase"),
    [
        (["--user", "Ham", "--host", "desk"], "x", "not a valid user name"),
        (["--user", "ham@x", "--host", "desk"], "x", "not a valid user name"),
        (["--user", "root", "--host", "desk"], "x", "not a normal user"),
        (["--host", "desk"], "root", "pass --user"),
        (["--host", "desk"], None, "$USER is not set"),
        (["--user", "ham", "--host", "desk.lan"], "x", "not a valid host name"),
        (["--user", "ham", "--host=-desk"], "x", "not a valid host name"),
        (["--user", "ham", "--host", "a" * 64], "x", "not a valid host name"),
        (["--user", "ham", "--host", "desk", "--system", "x86_64-windows"], "x", "platform"),
    ],
    ids=[
        "uppercase",
        "at-sign",
        "root",
        "root-from-env",
        "no-user",
        "dotted-host",
        "leading-dash",
        "too-long",
        "unknown-platform",
    ],
)
def test_names_that_cannot_be_are_usage_errors(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    env_user: str | None,
    phrase: str,
) -> None:
    if env_user is None:
        monkeypatch.delenv("USER", raising=False)
    else:
        monkeypatch.setenv("USER", env_user)
    assert init(str(tmp_path / "c"), *args) == 2
    err = capsys.readouterr().err
    assert phrase in err and "Traceback" not in err
    assert not (tmp_path / "c").exists()


def test_hardware_config_is_copied_byte_for_byte(tmp_path: Path) -> None:
    hardware = tmp_path / "hw.nix"
    text = (
        b"# generated\n{ config, lib, modulesPath, ... }:\n{\n"
        b'  imports = [ (modulesPath + "/installer/scan/not-detected.nix") ];\n'
        b'  fileSystems."/" = { device = "/dev/nvme0n1p2"; fsType = "ext4"; };\n}\n'
    )
    hardware.write_bytes(text)
    target = scaffold(tmp_path, "--hardware-config", str(hardware))
    assert (target / "hosts/desk/hardware-configuration.nix").read_bytes() == text


def test_hardware_config_missing_or_broken(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "c"
    assert init(str(target), "--user", "ham", "--host", "desk", "--hardware-config", "no.nix") == 2
    assert "is not a file" in capsys.readouterr().err
    broken = tmp_path / "hw.nix"
    broken.write_bytes(b'{\n  fileSystems."/" = {\n    device = "/dev/sda1"\n  };\n}\n')
    assert (
        init(str(target), "--user", "ham", "--host", "desk", "--hardware-config", str(broken)) == 3
    )
    err = capsys.readouterr().err
    assert f"{broken}:3:25: syntax error" in err
    assert not target.exists()


def test_init_in_a_git_repo_adds_files_with_intent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: flakes only see tracked files; init marks its files so nix sees them at once."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README").write_text("mine\n")
    make_git_repo(repo)
    assert init(str(repo), "--user", "ham", "--host", "desk") == 0
    status = git(repo, "status", "--porcelain").splitlines()
    assert " A flake.nix" in status and " A home/ham/features/git.nix" in status
    out = capsys.readouterr().out
    assert "git init" not in out and "git add -A" in out


def test_graph_of_a_fresh_scaffold(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = scaffold(tmp_path)
    capsys.readouterr()
    assert main(["graph", str(target)]) == 0
    expected = (FIXTURES / "graph" / "expected" / "scaffold.mmd").read_text()
    assert capsys.readouterr().out == expected


def test_a_failed_write_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: all or nothing; a full disk halfway through must not leave half a scaffold."""
    monkeypatch.setenv("HOMEWARD_FAULT", "enospc")
    monkeypatch.setenv("HOMEWARD_FAULT_AT", "4")  # the journal, then three files
    target = tmp_path / "config"
    assert init(str(target), "--user", "ham", "--host", "desk") == 3
    err = capsys.readouterr().err
    assert "No space left on device" in err and "nothing was changed" in err
    assert "Traceback" not in err
    assert not target.exists()
