"""Bad input: exit 3, one clear message naming file:line:col, never a traceback."""

from __future__ import annotations

import builtins
import os
import re
from pathlib import Path
from typing import Any

import pytest

from homeward.cli import main

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { nixpkgs, ... }:
    {
      nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/desk ];
      };
    };
}
"""
HOST = '{\n  imports = [ ./hardware.nix ];\n  networking.hostName = "desk";\n}\n'
HARDWARE = '{\n  fileSystems."/".device = "/dev/sda1";\n}\n'


def repo(tmp_path: Path, files: dict[str, str | bytes] | None = None) -> Path:
    """A small working flake, with `files` written over it."""
    root = tmp_path / "repo"
    contents: dict[str, str | bytes] = {
        "flake.nix": FLAKE,
        "hosts/desk/default.nix": HOST,
        "hosts/desk/hardware.nix": HARDWARE,
        **(files or {}),
    }
    for name, text in contents.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
    return root


def run_graph(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["graph", str(root)])
    captured = capsys.readouterr()
    assert captured.out == ""
    return code, captured.err


def run_graph_open(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["graph", str(root)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_noted(err: str, where: str, *phrases: str) -> None:
    """Open world (docs/architecture.md, rule 9): what cannot be followed is named, and the run
    goes on."""
    assert "Traceback" not in err and "error:" not in err
    lines = [line for line in err.splitlines() if line.startswith("homeward: note: ")]
    assert any(line.startswith(f"homeward: note: {where}: ") for line in lines), err
    for phrase in phrases:
        assert phrase in err


def assert_one_error(err: str, where: str | None, *phrases: str) -> None:
    assert "Traceback" not in err
    lines = err.rstrip("\n").splitlines()
    assert lines[0].startswith("homeward: error: ")
    assert sum(line.startswith("homeward: error:") for line in lines) == 1
    if where is not None:
        assert lines[0].startswith(f"homeward: error: {where}: "), lines[0]
    for phrase in phrases:
        assert phrase in err


def test_the_base_repo_works(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["graph", str(repo(tmp_path))]) == 0
    assert "hosts/desk/hardware.nix" in capsys.readouterr().out


def test_syntax_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = repo(tmp_path, {"hosts/desk/hardware.nix": "{\n  fileSystems = {\n    a = 1\n  };\n}\n"})
    code, err = run_graph(root, capsys)
    assert code == 3
    assert_one_error(err, "hosts/desk/hardware.nix:3:10", "syntax error", "hint:")


def test_syntax_error_in_flake_nix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_graph(
        repo(tmp_path, {"flake.nix": FLAKE.replace("};\n    };", "}\n    };")}), capsys
    )
    assert code == 3
    assert_one_error(err, "flake.nix:8:8", "syntax error")


def test_missing_flake_nix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: there is no file to point at; the message says what is missing and what to do."""
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = run_graph(empty, capsys)
    assert code == 3
    assert_one_error(err, None, "no flake.nix", "homeward init")


def test_missing_flake_nix_points_at_a_nested_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outer = tmp_path / "outer"
    repo(outer)
    code, err = run_graph(outer, capsys)
    assert code == 3
    assert_one_error(err, None, "no flake.nix", "found repo/flake.nix")


def test_fifo_is_not_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: reading a FIFO would hang forever; a file that cannot be read is reported."""
    root = repo(tmp_path)
    (root / "hosts/desk/hardware.nix").unlink()
    os.mkfifo(root / "hosts/desk/hardware.nix")
    code, err = run_graph(root, capsys)
    assert code == 3
    assert_one_error(err, "hosts/desk/hardware.nix:1:1", "not a regular file")


def test_unreadable_file_permission_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: an unreadable module is an exit 3 naming the file. The error is injected at the read
    rather than made with chmod: root reads files whatever their mode, and CI runs as root.
    The model opens module files by their string path (`os.open`), other readers through
    `open` or `Path.read_bytes`: each refuses the file."""
    root = repo(tmp_path)
    denied = (root / "hosts/desk/hardware.nix").resolve()
    real = Path.read_bytes
    real_open = builtins.open
    real_os_open = os.open

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == denied:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    def fake_open(file: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(file, str | os.PathLike) and Path(file).resolve() == denied:
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_open(file, *args, **kwargs)

    def fake_os_open(file: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if isinstance(file, str | os.PathLike) and Path(file).resolve() == denied:
            raise PermissionError(13, "Permission denied", os.fspath(file))
        return real_os_open(file, flags, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    monkeypatch.setattr(builtins, "open", fake_open)
    monkeypatch.setattr(os, "open", fake_os_open)
    code, err = run_graph(root, capsys)
    assert code == 3
    assert_one_error(err, "hosts/desk/hardware.nix:1:1", "Permission denied", "hint:")


def test_dangling_symlink_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = repo(tmp_path)
    (root / "hosts/desk/hardware.nix").unlink()
    (root / "hosts/desk/hardware.nix").symlink_to(root / "gone.nix")
    code, out, err = run_graph_open(root, capsys)
    assert code == 0
    assert "desk" in out and "opaque" in out
    assert_noted(err, f"{root}/hosts/desk/default.nix:2:15", "does not exist")


def test_non_utf8_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: bytes that are not text are an opaque module (issue 11), not the end of the run:
    the host is drawn, and the place of the first bad byte is named."""
    root = repo(tmp_path, {"hosts/desk/hardware.nix": b'{\n  boot.label = "caf\xe9";\n}\n'})
    code, out, err = run_graph_open(root, capsys)
    assert code == 0
    assert "desk" in out and "opaque" in out
    assert_noted(err, f"{root}/hosts/desk/hardware.nix:2:20", "not UTF-8", "0xe9")


def test_directory_import_without_default_nix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(tmp_path, {"hosts/desk/default.nix": HOST.replace("./hardware.nix", "./hw")})
    (root / "hosts/desk/hw").mkdir()
    (root / "hosts/desk/hw/disks.nix").write_text("{ }\n")
    code, out, err = run_graph_open(root, capsys)
    assert code == 0
    assert "desk" in out
    assert_noted(err, f"{root}/hosts/desk/default.nix:2:15", "directory without default.nix")


def test_missing_import(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = repo(tmp_path)
    (root / "hosts/desk/hardware.nix").unlink()
    code, out, err = run_graph_open(root, capsys)
    assert code == 0
    assert "hosts/desk/default.nix" in out and "opaque" in out
    assert_noted(
        err, f"{root}/hosts/desk/default.nix:2:15", "`hosts/desk/hardware.nix` does not exist"
    )


def test_import_cycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = repo(
        tmp_path,
        {
            "hosts/desk/hardware.nix": "{\n  imports = [ ../../modules/a.nix ];\n}\n",
            "modules/a.nix": "{\n  imports = [ ./b.nix ];\n}\n",
            "modules/b.nix": "{\n  imports = [\n    ./a.nix\n  ];\n}\n",
        },
    )
    code, out, err = run_graph_open(root, capsys)
    assert code == 0
    assert "modules/b.nix" in out
    assert_noted(
        err,
        f"{root}/modules/b.nix:3:5",
        "import cycle: modules/a.nix → modules/b.nix → modules/a.nix",
    )


def test_unresolvable_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flake = FLAKE.replace(
        "nixosConfigurations.desk = nixpkgs.lib.nixosSystem {",
        'nixosConfigurations.desk = builtins.getFlake "x" // nixpkgs.lib.nixosSystem {',
    )
    code, err = run_graph(repo(tmp_path, {"flake.nix": flake}), capsys)
    assert code == 3
    assert_one_error(err, "flake.nix:6:34", "cannot resolve `nixosConfigurations.desk`")


def test_unresolvable_module_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A host whose module list is not known is still a host, with one opaque module."""
    flake = FLAKE.replace("modules = [ ./hosts/desk ];", "modules = import ./modules.nix 1;")
    code, out, err = run_graph_open(repo(tmp_path, {"flake.nix": flake}), capsys)
    assert code == 0
    assert "desk" in out and "opaque" in out
    assert "cannot resolve the modules of `desk`" in err


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    """Why: `--debug` is how a maintainer sees where an error came from."""
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(Exception, match=r"no flake\.nix"):
        main(["--debug", "graph", str(empty)])


def test_messages_are_lowercase_and_quote_user_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(tmp_path)
    (root / "hosts/desk/hardware.nix").unlink()
    _code, _out, err = run_graph_open(root, capsys)
    message = err.split(": ", 3)[-1]
    assert re.match(r"[a-z`]", message)
