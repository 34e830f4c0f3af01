"""`homeward switch`: the exact rebuild commands, checked with recording executables put first
on PATH (nothing is rebuilt)."""

from __future__ import annotations

import io
import json
import os
import shlex
import sys
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import copy_tree

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "verify"

RECORDER = f"""#!{sys.executable}
import json, os, sys
name = os.path.basename(sys.argv[0])
with open(os.environ["HOMEWARD_TEST_LOG"], "a") as log:
    log.write(json.dumps([name, *sys.argv[1:]]) + "\\n")
sys.exit(int(os.environ.get("HOMEWARD_TEST_EXIT_" + name.replace("-", "_"), "0")))
"""


@pytest.fixture
def tools(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Recording `sudo`, `nixos-rebuild`, `home-manager` and `nh`, first on PATH; the log path."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("sudo", "nixos-rebuild", "home-manager", "nh"):
        tool = bin_dir / name
        tool.write_text(RECORDER)
        tool.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("HOMEWARD_TEST_LOG", str(log))
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("USER", "ham")
    monkeypatch.setattr("homeward.commands.switch.hostname", lambda: "desk.example.org")
    monkeypatch.setattr("homeward.commands.switch.is_root", lambda: False)
    return log


def calls(log: Path) -> list[list[str]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.fixture
def flake(tmp_path: Path) -> Path:
    return copy_tree(FIXTURES / "migrated", tmp_path / "config")


def test_runs_the_hosts_rebuild_only(tools: Path, flake: Path) -> None:
    """Why (#14.14): the host's rebuild activates the homes home-manager's NixOS module wires;
    a standalone `home-manager switch` after it was double work, and its generations fought the
    module's (changes reverting after reboot). Host from the hostname (short form), sudo."""
    assert main(["switch", str(flake)]) == 0
    assert calls(tools) == [["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"]]


def test_dry_run_prints_and_runs_nothing(
    tools: Path, flake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["switch", str(flake), "--host", "laptop", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [shlex.join(["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#laptop"])]
    assert calls(tools) == []


def test_as_root_without_sudo(tools: Path, flake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("homeward.commands.switch.is_root", lambda: True)
    assert main(["switch", str(flake), "--system-only"]) == 0
    assert calls(tools) == [["nixos-rebuild", "switch", "--flake", f"{flake}#desk"]]


def test_home_only_with_backup_extension_from_the_flake(tools: Path, flake: Path) -> None:
    """Why: HM-FACTS pitfall 1: existing dotfiles stop activation unless -b is given; use the
    extension the flake already chose for the NixOS module."""
    text = (flake / "flake.nix").read_text().replace('"hm-backup"', '"before-hm"')
    (flake / "flake.nix").write_text(text)
    assert main(["switch", str(flake), "--home", "--user", "ham", "--host", "laptop"]) == 0
    assert calls(tools) == [
        ["home-manager", "switch", "--flake", f"{flake}#ham@laptop", "-b", "before-hm"],
    ]


def test_nh(tools: Path, flake: Path) -> None:
    assert main(["switch", str(flake), "--nh"]) == 0
    assert calls(tools) == [["nh", "os", "switch", str(flake), "--hostname", "desk"]]
    assert main(["switch", str(flake), "--nh", "--home", "--user", "ham"]) == 0
    assert calls(tools)[1:] == [
        [
            "nh",
            "home",
            "switch",
            str(flake),
            "--configuration",
            "ham@desk",
            "--backup-extension",
            "hm-backup",
        ],
    ]


def test_nh_requested_but_missing(
    tools: Path, flake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tools.parent / "bin" / "nh").unlink()
    assert main(["switch", str(flake), "--nh", "--system-only"]) == 0
    assert "`nh` is not installed" in capsys.readouterr().err
    assert calls(tools) == [["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"]]


def test_missing_host_is_refused(
    tools: Path, flake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["switch", str(flake), "--host", "server"]) == 2
    err = capsys.readouterr().err
    assert "the flake has no `nixosConfigurations.server`" in err
    assert "`desk`, `laptop`" in err
    assert calls(tools) == []


def test_missing_home_output_is_refused(
    tools: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a module-only layout has no `U@H`: --home is refused; the rebuild runs alone."""
    legacy = copy_tree(FIXTURES / "legacy", tmp_path / "legacy")
    assert main(["switch", str(legacy), "--home"]) == 2
    err = capsys.readouterr().err
    assert 'the flake has no `homeConfigurations."ham@desk"`' in err
    assert calls(tools) == []
    assert main(["switch", str(legacy)]) == 0
    assert calls(tools) == [["sudo", "nixos-rebuild", "switch", "--flake", f"{legacy}#desk"]]


def test_failure_stops_before_home_manager(
    tools: Path, flake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOMEWARD_TEST_EXIT_sudo", "4")
    unwire_ham(flake, "desk")
    assert main(["switch", str(flake)]) == 3
    assert "failed (exit 4)" in capsys.readouterr().err
    assert calls(tools) == [["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"]]


def test_missing_program(tools: Path, flake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tools.parent / "bin" / "home-manager").unlink()
    os.environ["PATH"] = str(tools.parent / "bin")
    assert main(["switch", str(flake), "--home"]) == 3
    assert "`home-manager` is not installed" in capsys.readouterr().err
    assert calls(tools) == []  # nothing runs when one of the commands cannot


def unwire_ham(flake: Path, host: str) -> None:
    """Drop `home-manager.users.ham` from `host`'s modules: ham's home there is standalone only."""
    text = (flake / "flake.nix").read_text()
    line = f"            home-manager.users.ham = import ./home/ham/{host}.nix;\n"
    assert line in text
    (flake / "flake.nix").write_text(text.replace(line, ""))


def test_a_user_the_host_does_not_wire_gets_the_standalone_switch(tools: Path, flake: Path) -> None:
    """Why (#14.14): where the NixOS module does not activate the home, the standalone does."""
    unwire_ham(flake, "desk")
    assert main(["switch", str(flake)]) == 0
    assert calls(tools) == [
        ["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"],
        ["home-manager", "switch", "--flake", f"{flake}#ham@desk", "-b", "hm-backup"],
    ]
    assert main(["switch", str(flake), "--system-only"]) == 0
    assert calls(tools)[2:] == [["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"]]


@pytest.mark.parametrize("action", ["boot", "test", "build"])
def test_actions_and_arguments_after_the_double_dash(tools: Path, flake: Path, action: str) -> None:
    """Why (#14.14): nixos-rebuild's boot/test/build, and extra arguments passed through."""
    assert main(["switch", str(flake), "--action", action, "--", "--show-trace"]) == 0
    rebuild = ["nixos-rebuild", action, "--flake", f"{flake}#desk", "--show-trace"]
    assert calls(tools) == [rebuild if action == "build" else ["sudo", *rebuild]]


def test_double_dash_is_for_switch_only(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", ".", "--", "--show-trace"]) == 2
    assert "only for `switch`" in capsys.readouterr().err


@pytest.fixture
def running_system(tmp_path: Path, tools: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in /run/current-system, and a recording `nix` that "builds" a new one."""
    current = tmp_path / "current-system"
    current.mkdir()
    monkeypatch.setattr("homeward.commands.switch.CURRENT_SYSTEM", str(current))
    bin_dir = tools.parent / "bin"
    nix = bin_dir / "nix"
    nix.write_text(RECORDER.replace("sys.exit(", "print('/nix/store/new-system'); sys.exit("))
    nix.chmod(0o755)
    return current


def test_closure_diff_and_ask_before_activating(
    running_system: Path,
    tools: Path,
    flake: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why (#14.14): like nh, show what changes (nvd when installed) and --ask to confirm."""
    nvd = tools.parent / "bin" / "nvd"
    nvd.write_text(RECORDER)
    nvd.chmod(0o755)
    toplevel = f"{flake}#nixosConfigurations.desk.config.system.build.toplevel"
    build = ["nix", "--extra-experimental-features", "nix-command flakes", "build"]
    build += ["--no-link", "--print-out-paths", toplevel]
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert main(["switch", str(flake), "--ask"]) == 0
    assert calls(tools) == [build, ["nvd", "diff", str(running_system), "/nix/store/new-system"]]
    assert "nothing was activated" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert main(["switch", str(flake), "--ask"]) == 0
    assert calls(tools)[-1] == ["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"]
    nvd.unlink()
    assert main(["switch", str(flake)]) == 0
    assert calls(tools)[-2] == [
        "nix",
        "--extra-experimental-features",
        "nix-command flakes",
        "store",
        "diff-closures",
        str(running_system),
        "/nix/store/new-system",
    ]


MAC_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  outputs =
    { self, nixpkgs, nix-darwin, home-manager, ... }:
    {
      darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
        modules = [ home-manager.darwinModules.home-manager ./mac.nix ];
      };
      homeConfigurations."ham@mac" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.aarch64-darwin;
        modules = [ ./home.nix ];
      };
      homeConfigurations."kim@mac" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.aarch64-darwin;
        modules = [ ./home.nix ];
      };
    };
}
"""

MAC = """{ pkgs, ... }: {
  nixpkgs.hostPlatform = "aarch64-darwin";
  system.stateVersion = 6;
  system.primaryUser = "ham";
  users.users.ham.home = "/Users/ham";
  home-manager.users.ham = import ./home.nix;
}
"""


@pytest.fixture
def mac_flake(tmp_path: Path, tools: Path) -> Path:
    """A Mac-only flake, and a recording `darwin-rebuild` first on PATH."""
    from tests.helpers import make_git_repo

    root = tmp_path / "mac-config"
    root.mkdir()
    (root / "flake.nix").write_text(MAC_FLAKE)
    (root / "mac.nix").write_text(MAC)
    (root / "home.nix").write_text('{ home.stateVersion = "25.05"; }\n')
    tool = tools.parent / "bin" / "darwin-rebuild"
    tool.write_text(RECORDER)
    tool.chmod(0o755)
    return make_git_repo(root)


def test_a_darwin_host_gets_darwin_rebuild_with_sudo(tools: Path, mac_flake: Path) -> None:
    """Why (#12): the rebuild is chosen from the host's kind in the flake, not from the machine
    homeward runs on (this one is Linux); current nix-darwin activates as root, so through sudo.
    The home the darwin module wires is activated by it: no standalone switch after it."""
    assert main(["switch", str(mac_flake), "--host", "mac"]) == 0
    assert calls(tools) == [["sudo", "darwin-rebuild", "switch", "--flake", f"{mac_flake}#mac"]]


def test_a_darwin_host_dry_run_prints_darwin_rebuild(
    tools: Path, mac_flake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["switch", str(mac_flake), "--host", "mac", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [shlex.join(["sudo", "darwin-rebuild", "switch", "--flake", f"{mac_flake}#mac"])]
    assert calls(tools) == []


def test_a_darwin_host_as_root_and_build(
    tools: Path, mac_flake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert main(["switch", str(mac_flake), "--host", "mac", "--action", "build"]) == 0
    assert calls(tools) == [["darwin-rebuild", "build", "--flake", f"{mac_flake}#mac"]]
    monkeypatch.setattr("homeward.commands.switch.is_root", lambda: True)
    assert main(["switch", str(mac_flake), "--host", "mac"]) == 0
    assert calls(tools)[1:] == [["darwin-rebuild", "switch", "--flake", f"{mac_flake}#mac"]]


def test_a_user_the_darwin_host_does_not_wire_gets_the_standalone_switch(
    tools: Path, mac_flake: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("USER", "kim")
    assert main(["switch", str(mac_flake), "--host", "mac"]) == 0
    assert calls(tools) == [
        ["sudo", "darwin-rebuild", "switch", "--flake", f"{mac_flake}#mac"],
        ["home-manager", "switch", "--flake", f"{mac_flake}#kim@mac", "-b", "hm-backup"],
    ]


@pytest.mark.parametrize("action", ["boot", "test"])
def test_boot_and_test_are_refused_for_a_darwin_host(
    tools: Path, mac_flake: Path, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): darwin-rebuild has switch, build and check; no boot or test."""
    assert main(["switch", str(mac_flake), "--host", "mac", "--action", action]) == 2
    err = capsys.readouterr().err
    assert f"`--action {action}`" in err and "`mac` is a nix-darwin host" in err
    assert "darwin-rebuild has switch, build and check" in err
    assert calls(tools) == []


def test_nh_on_a_darwin_host(tools: Path, mac_flake: Path) -> None:
    assert main(["switch", str(mac_flake), "--host", "mac", "--nh"]) == 0
    assert calls(tools) == [["nh", "darwin", "switch", str(mac_flake), "--hostname", "mac"]]
