"""`homeward switch`: the exact rebuild commands, checked with recording executables put first
on PATH (nothing is rebuilt)."""

from __future__ import annotations

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


def test_runs_both_commands(tools: Path, flake: Path) -> None:
    """Why: the two rebuild commands of the layout, host from the hostname (short form), user
    from $USER, sudo for nixos-rebuild, -b with the flake's backupFileExtension."""
    assert main(["switch", str(flake)]) == 0
    assert calls(tools) == [
        ["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"],
        ["home-manager", "switch", "--flake", f"{flake}#ham@desk", "-b", "hm-backup"],
    ]


def test_dry_run_prints_and_runs_nothing(
    tools: Path, flake: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["switch", str(flake), "--host", "laptop", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        shlex.join(["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#laptop"]),
        shlex.join(["home-manager", "switch", "--flake", f"{flake}#ham@laptop", "-b", "hm-backup"]),
    ]
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
    assert main(["switch", str(flake), "--home-only", "--user", "ham", "--host", "laptop"]) == 0
    assert calls(tools) == [
        ["home-manager", "switch", "--flake", f"{flake}#ham@laptop", "-b", "before-hm"],
    ]


def test_nh(tools: Path, flake: Path) -> None:
    assert main(["switch", str(flake), "--nh"]) == 0
    assert calls(tools) == [
        ["nh", "os", "switch", str(flake), "--hostname", "desk"],
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
    """Why: a module-only layout has no `U@H`: refuse, and say --system-only."""
    legacy = copy_tree(FIXTURES / "legacy", tmp_path / "legacy")
    assert main(["switch", str(legacy)]) == 2
    err = capsys.readouterr().err
    assert 'the flake has no `homeConfigurations."ham@desk"`' in err
    assert "--system-only" in err
    assert calls(tools) == []
    assert main(["switch", str(legacy), "--system-only"]) == 0
    assert calls(tools) == [["sudo", "nixos-rebuild", "switch", "--flake", f"{legacy}#desk"]]


def test_failure_stops_before_home_manager(
    tools: Path, flake: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("HOMEWARD_TEST_EXIT_sudo", "4")
    assert main(["switch", str(flake)]) == 3
    assert "failed (exit 4)" in capsys.readouterr().err
    assert calls(tools) == [["sudo", "nixos-rebuild", "switch", "--flake", f"{flake}#desk"]]


def test_missing_program(tools: Path, flake: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tools.parent / "bin" / "home-manager").unlink()
    os.environ["PATH"] = str(tools.parent / "bin")
    assert main(["switch", str(flake)]) == 3
    assert "`home-manager` is not installed" in capsys.readouterr().err
    assert calls(tools) == []  # nothing runs when one of the commands cannot
