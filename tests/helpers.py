"""Helpers for tests: copy fixture trees, make real git repos, compare trees byte for byte."""

from __future__ import annotations

import difflib
import importlib.util
import json
import os
import pty
import select
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from homeward.cli import main

TESTS = Path(__file__).resolve().parent
# The offline stand-ins of the flake inputs (nixpkgs, home-manager, nix-darwin).
STANDINS = TESTS / "standins"
# The stand-in of a flake input, by the names flakes give their inputs.
STANDIN_OF = {
    "nixpkgs": "nixpkgs",
    "nixpkgs-darwin": "nixpkgs",
    "nix-darwin": "nix-darwin",
    "darwin": "nix-darwin",
    "home-manager": "home-manager",
    "home-manager-darwin": "home-manager",
}


def standin_overrides(*inputs: str) -> list[str]:
    """nix's arguments that give a flake the stand-ins of `inputs` (names of STANDIN_OF, or of a
    stand-in itself: `flake-parts`) as those inputs."""
    return [
        arg
        for name in inputs
        for arg in ("--override-input", name, f"path:{STANDINS / STANDIN_OF.get(name, name)}")
    ]


def flake_overrides(repo: Path) -> list[str]:
    """`standin_overrides` of each input of STANDIN_OF that `repo`'s flake.nix names."""
    text = (repo / "flake.nix").read_text()
    return standin_overrides(
        *(name for name in STANDIN_OF if f"{name}.url" in text or f"{name} = {{" in text)
    )


# nix's arguments that give a flake the stand-ins of nixpkgs and home-manager as its inputs.
HM_OVERRIDES = tuple(standin_overrides("nixpkgs", "home-manager"))


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True, dirs_exist_ok=True)
    return dst


def git(repo: Path, *args: str) -> str:
    p = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return p.stdout


def make_git_repo(path: Path) -> Path:
    """Turn a directory into a git repo with everything committed (as users have it)."""
    git(path, "init", "-q", "-b", "main")
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "before", "--allow-empty")
    return path


def bench_module(name: str) -> ModuleType:
    """`bench/NAME.py` (a script, not a package) loaded as the module NAME."""
    spec = importlib.util.spec_from_file_location(name, TESTS.parent / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def tree_files(root: Path) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    for p in sorted(root.rglob("*")):
        if ".git" in p.relative_to(root).parts:
            continue
        if p.is_file() or p.is_symlink():
            out[str(p.relative_to(root))] = (
                p.read_bytes() if p.is_file() else b"-> " + str(p.readlink()).encode()
            )
    return out


def tree_diff(actual: Path, expected: Path) -> str:
    """A unified diff of two trees; empty when they are byte-identical."""
    a, b = tree_files(actual), tree_files(expected)
    lines: list[str] = []
    for name in sorted(set(a) | set(b)):
        if a.get(name) == b.get(name):
            continue
        left = b.get(name, b"").decode(errors="replace").splitlines(keepends=True)
        right = a.get(name, b"").decode(errors="replace").splitlines(keepends=True)
        lines.extend(difflib.unified_diff(left, right, f"expected/{name}", f"actual/{name}"))
        if name not in a:
            lines.append(f"missing in actual: {name}\n")
        if name not in b:
            lines.append(f"unexpected in actual: {name}\n")
    return "".join(lines)


def migrate_keeps_bytes(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
) -> tuple[str, str]:
    """`homeward migrate ARGS` (from the current directory) exits CODE and leaves every file
    under `root` byte-identical; what it printed (stdout, stderr)."""
    before = tree_files(root)
    capsys.readouterr()
    assert main(["migrate", *args]) == code
    out, err = capsys.readouterr()
    assert tree_files(root) == before
    return out, err


def migrate_stderr(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str, code: int = 0
) -> str:
    """`homeward migrate ROOT ARGS` exits CODE (else fails, showing its stderr); what it
    printed on stderr, and that alone (what was captured before is dropped)."""
    capsys.readouterr()
    exit_code = main(["migrate", str(root), *args])
    err = capsys.readouterr().err
    assert exit_code == code, err
    return err


def standalone_entry(root: Path, name: str) -> str:
    """`root`'s flake.nix from its `homeConfigurations."NAME"` on (where migrate adds it)."""
    flake = (root / "flake.nix").read_text()
    return flake[flake.index(f'homeConfigurations."{name}"') :]


def check_findings(
    root: Path, capsys: pytest.CaptureFixture[str], *args: str
) -> list[dict[str, Any]]:
    """The findings `homeward check ROOT ARGS --format json` prints (whatever its exit code)."""
    capsys.readouterr()
    main(["check", str(root), *args, "--format", "json"])
    found: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["findings"]
    return found


def run_in_tty(args: list[str], env: dict[str, str], cwd: Path | None = None) -> tuple[int, str]:
    """Run homeward with stdout and stderr on a pseudo-terminal, as a user at a shell has it."""
    leader, follower = pty.openpty()
    p = subprocess.Popen(
        [sys.executable, "-m", "homeward", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=cwd,
    )
    os.close(follower)
    chunks: list[bytes] = []
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    return p.wait(timeout=60), b"".join(chunks).decode(errors="replace")


def write(root: Path, files: Mapping[str, str]) -> Path:
    """Each of `files` (a path under `root` -> its text) written, directories made; `root`."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


# -- the flakes tests write ------------------------------------------------------------------------


def hm_inputs(owner: str = "nixos") -> str:
    """The inputs most of them have: nixpkgs 25.05 (its GitHub owner spelled `owner`: many
    write `NixOS`) and home-manager's release, following it."""
    return (
        "  inputs = {\n"
        f'    nixpkgs.url = "github:{owner}/nixpkgs/nixos-25.05";\n'
        '    home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
        '    home-manager.inputs.nixpkgs.follows = "nixpkgs";\n'
        "  };\n"
    )


HM_INPUTS = hm_inputs()
# The same, one `inputs.` line each.
HM_INPUT_LINES = """  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
"""


def hm_flake(*outputs: str) -> str:
    """A flake.nix with HM_INPUTS and `outputs`: entries six spaces in, each ending with a
    line break (`nixos_entry`, `home_entry`, or written out)."""
    return hm_flake_of(
        "{ self, nixpkgs, home-manager, ... }",
        "    {\n" + "".join(outputs) + "    };\n",
        owner="nixos",
        gap="",
    )


def nixos_entry(host: str, modules: str, indent: str = "      ") -> str:
    """`nixosConfigurations.HOST`, an x86_64-linux `nixosSystem` of `modules` (the list's
    items, as written between its brackets on one line), as `hm_flake` places it (or
    `indent` in: four spaces in a `hm_flake_lines` flake)."""
    return (
        f"{indent}nixosConfigurations.{host} = nixpkgs.lib.nixosSystem {{\n"
        f'{indent}  system = "x86_64-linux";\n'
        f"{indent}  modules = [ {modules} ];\n"
        f"{indent}}};\n"
    )


def home_entry(name: str, modules: str, indent: str = "      ") -> str:
    """`homeConfigurations.NAME` (quoted by the caller where needed: `"ann@a"`), a standalone
    home of `modules` on x86_64-linux, as `hm_flake` places it (or `indent` in)."""
    return (
        f"{indent}homeConfigurations.{name} = home-manager.lib.homeManagerConfiguration {{\n"
        f"{indent}  pkgs = nixpkgs.legacyPackages.x86_64-linux;\n"
        f"{indent}  modules = [ {modules} ];\n"
        f"{indent}}};\n"
    )


def hm_flake_of(args: str, body: str, *, owner: str = "NixOS", gap: str = "\n") -> str:
    """A flake.nix as written by hand: `hm_inputs(owner)`, `gap` (a blank line, or none), then
    `outputs =` with its argument set `args` on a line of its own, four spaces in
    (`{ nixpkgs, home-manager, ... }`, `@inputs` after it where wanted), and `body`: the
    function's body, four spaces in, up to and with the `};` that ends it."""
    return "{\n" + hm_inputs(owner) + gap + f"  outputs =\n    {args}:\n" + body + "}\n"


def box_home_flake(*imports: str, settings: str = "") -> str:
    """`hm_flake_of` with one host, `box` (`./hosts/box.nix`, as BOX_HOST, and home-manager's
    NixOS module), whose inline module wires kim's home from `imports` (one a line) after
    `useGlobalPkgs` and `settings` (further lines of the module, twelve spaces in)."""
    lines = "".join(f"              {i}\n" for i in imports)
    return hm_flake_of(
        "{ nixpkgs, home-manager, ... }",
        """    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/box.nix
          home-manager.nixosModules.home-manager
          {
            home-manager.useGlobalPkgs = true;
"""
        + settings
        + "            home-manager.users.kim.imports = [\n"
        + lines
        + """            ];
          }
        ];
      };
    };
""",
    )


# The host `box` of `box_home_flake`: a NixOS host, kim's account with a package.
BOX_HOST = (
    "{ pkgs, ... }:\n{\n"
    '  networking.hostName = "box";\n'
    '  fileSystems."/".device = "/dev/disk/by-label/nixos";\n'
    "  boot.loader.systemd-boot.enable = true;\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n"
    '  system.stateVersion = "25.05";\n}\n'
)


def hm_flake_lines(rest: str) -> str:
    """A flake.nix with HM_INPUT_LINES, then `rest` (its further inputs and its outputs, two
    spaces in, up to the closing brace)."""
    return "{\n" + HM_INPUT_LINES + rest + "}\n"


def account(user: str, packages: str) -> str:
    """A NixOS module giving `user` a normal account with `packages` (the list's items, as
    written between its brackets)."""
    return f"""{{ pkgs, ... }}:
{{
  users.users.{user} = {{
    isNormalUser = true;
    packages = [ {packages} ];
  }};
}}
"""
