"""homeward's own flake (flake.nix, nix/*.nix), evaluated with the real nix against the stand-in
nixpkgs: this machine cannot download nixpkgs, so nothing here is built, only evaluated."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from homeward.nix.run import run_nix

from .conftest import FIXTURES, ROOT
from .helpers import STANDINS

NIXPKGS = f"path:{STANDINS / 'nixpkgs'}"
SYSTEMS = ("aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux")
FLAKE_FILES = ("flake.nix", "nix", "pyproject.toml")

pytestmark = pytest.mark.nix


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The flake's own files, copied: a `path:` flake of the checkout would copy `.venv` too."""
    root = tmp_path_factory.mktemp("homeward")
    for name in FLAKE_FILES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, root / name)
        else:
            shutil.copy2(ROOT / name, root / name)
    return root


def _nix(command: str, *args: str) -> str:
    return run_nix([*command.split(), "--no-write-lock-file", *args])


def _eval(project: Path, attr: str, apply: str = "x: x") -> object:
    out = _nix(
        "eval",
        "--json",
        f"path:{project}#{attr}",
        "--apply",
        apply,
        "--override-input",
        "nixpkgs",
        NIXPKGS,
    )
    return json.loads(out)


def test_flake_show_lists_every_output(project: Path) -> None:
    """Why: `nix run`, `nix flake check`, the overlay and the dev shell are what users reach
    for; each must exist for the four systems nixpkgs supports."""
    show = json.loads(
        _nix("flake show", "--json", f"path:{project}", "--override-input", "nixpkgs", NIXPKGS)
    )
    for output in ("packages", "apps", "checks", "devShells"):
        assert sorted(show[output]) == list(SYSTEMS), output
    for system in SYSTEMS:
        assert show["packages"][system]["default"]["name"] == "homeward-0.1.0"
        assert show["apps"][system]["default"]["type"] == "app"
        assert show["checks"][system]["tests"]["type"] == "derivation"
        assert show["devShells"][system]["default"]["type"] == "derivation"
    assert show["overlays"]["default"]["type"] == "nixpkgs-overlay"
    assert "lib" in show


def test_package_uses_nixpkgs_tree_sitter_and_grammar(project: Path) -> None:
    """Why: the Nix package must not carry the 184 MB language pack; the grammar comes from
    tree-sitter-grammars and reaches the parser through $HOMEWARD_NIX_GRAMMAR."""
    # Derivations in the arguments are shown by name (as JSON they would be store paths).
    args = _eval(
        project,
        "packages.x86_64-linux.default.args",
        "a: a // { dependencies = map (d: d.name) a.dependencies; }",
    )
    assert isinstance(args, dict)
    assert args["pyproject"] is True
    assert args["dependencies"] == ["python3-tree-sitter-1.0", "python3-rich-1.0"]
    assert args["pythonRemoveDeps"] == ["tree-sitter-language-pack"]
    wrapper = args["makeWrapperArgs"]
    assert wrapper[:2] == ["--set-default", "HOMEWARD_NIX_GRAMMAR"]
    assert wrapper[2].endswith("-tree-sitter-nix-grammar-0.0.0/parser")
    assert "language-pack" not in json.dumps(args["dependencies"])
    for shell in (
        "completions/homeward.bash",
        "completions/_homeward",
        "completions/homeward.fish",
    ):
        assert shell in args["postInstall"]
        assert (ROOT / shell).is_file(), shell
    assert "docs/homeward.1" in args["postInstall"] and (ROOT / "docs/homeward.1").is_file()
    assert args["doCheck"] is False
    checks = _eval(project, "checks.x86_64-linux.tests.args.doCheck")
    assert checks is True
    program = _eval(project, "apps.aarch64-darwin.default.program")
    assert isinstance(program, str) and program.endswith("-homeward-0.1.0/bin/homeward")


def test_overlay_adds_homeward(project: Path) -> None:
    """Why: `overlays.default` is how a NixOS configuration puts homeward in its own pkgs."""
    expr = (
        f"let flake = builtins.getFlake (toString {project}); "
        f'pkgs = import {STANDINS / "nixpkgs"} {{ system = "aarch64-linux"; '
        "overlays = [ flake.overlays.default ]; }; in pkgs.homeward.name"
    )
    # getFlake on a path without a lock would fetch nixpkgs: evaluate the overlay directly.
    overlay = (
        f"let outputs = (import {project}/flake.nix).outputs {{ self = outputs; "
        f"nixpkgs = (import {STANDINS / 'nixpkgs'}/flake.nix).outputs {{ self = null; }}; }}; "
        f'pkgs = import {STANDINS / "nixpkgs"} {{ system = "aarch64-linux"; '
        "overlays = [ outputs.overlays.default ]; }; in pkgs.homeward.name"
    )
    del expr
    assert json.loads(_nix("eval", "--json", "--impure", "--expr", overlay)) == "homeward-0.1.0"


def test_every_nix_file_parses() -> None:
    """Why: the flake, its package expressions, the shipped helpers, the stand-ins and the
    examples are all read by the real nix; `nix-instantiate --parse` must accept each."""
    files = [ROOT / "flake.nix"]
    for top in ("nix", "src/homeward/nix", "tests/standins", "examples"):
        files += sorted((ROOT / top).rglob("*.nix"))
    assert len(files) > 20
    p = subprocess.run(
        ["nix-instantiate", "--parse", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 0, p.stderr


def _user_flake(repo: Path) -> None:
    """Add homeward's check to a user's flake, as the snippet in docs/integrations.md does."""
    flake = repo / "flake.nix"
    text = flake.read_text()
    text = text.replace(
        "  inputs = {\n",
        '  inputs = {\n    homeward.url = "github:OWNER/homeward";\n',
        1,
    )
    text = text.replace(
        "      home-manager,\n      ...\n", "      home-manager,\n      homeward,\n      ...\n", 1
    )
    text = text.replace(
        "    {\n      nixosConfigurations",
        "    {\n      checks.x86_64-linux.homeward = homeward.lib.check {\n"
        "        pkgs = nixpkgs.legacyPackages.x86_64-linux;\n"
        "        src = ./.;\n"
        "      };\n\n"
        "      nixosConfigurations",
        1,
    )
    assert "homeward.lib.check" in text and "homeward,\n" in text
    flake.write_text(text)


def _check_derivation(repo: Path, project: Path) -> dict[str, object]:
    out = _nix(
        "eval",
        "--json",
        f"path:{repo}#checks.x86_64-linux.homeward",
        "--apply",
        "d: { inherit (d) name buildCommand; inputs = map (p: p.name) d.env.nativeBuildInputs; }",
        "--override-input",
        "nixpkgs",
        NIXPKGS,
        "--override-input",
        "home-manager",
        f"path:{STANDINS / 'home-manager'}",
        "--override-input",
        "homeward",
        f"path:{project}",
        "--override-input",
        "homeward/nixpkgs",
        NIXPKGS,
    )
    result: dict[str, object] = json.loads(out)
    return result


def _run_build(command: str, out: Path) -> subprocess.CompletedProcess[str]:
    """The derivation's build script, with this checkout's homeward on PATH."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", out=str(out))
    return subprocess.run(
        ["bash", "-euc", command], capture_output=True, text=True, env=env, check=False
    )


@pytest.mark.parametrize(("case", "code"), [("clean", 0), ("user-packages", 1)])
def test_lib_check_in_a_users_flake(case: str, code: int, project: Path, tmp_path: Path) -> None:
    """Why: a user's `nix flake check` runs `homeward check` through `homeward.lib.check`; the
    derivation's script, run here with this checkout's homeward, passes a clean configuration
    and fails one with errors (HW002: user packages in a system module)."""
    repo = tmp_path / case
    shutil.copytree(FIXTURES / "check" / "clean", repo)
    if case == "user-packages":
        users = repo / "modules/system/users.nix"
        users.write_text(
            users.read_text().replace(
                "shell = pkgs.zsh;", "shell = pkgs.zsh;\n    packages = [ pkgs.jq ];"
            )
        )
    _user_flake(repo)
    drv = _check_derivation(repo, project)
    assert drv["name"] == "homeward-check"
    assert drv["inputs"] == ["homeward-0.1.0"]
    command = drv["buildCommand"]
    assert isinstance(command, str) and "homeward check ." in command
    store_copy = command.split("cd ", 1)[1].split("\n", 1)[0]
    assert Path(store_copy, "flake.nix").read_text() == (repo / "flake.nix").read_text()
    p = _run_build(command, tmp_path / "out")
    assert p.returncode == code, p.stdout + p.stderr
    assert (tmp_path / "out").exists() == (code == 0)
