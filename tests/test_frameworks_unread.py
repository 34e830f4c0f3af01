"""flake-parts modules homeward cannot read, where hosts are found in the others (rule 10).

A module that does not parse (Nix's experimental pipe operator `|>`, which homeward's parser
does not know) or whose value cannot be computed may define more outputs, or add to what the
other modules define (a deferred module such as `flake.nixosModules.base`). Its outputs are not
known, so the files it may read stay byte-identical, and it is said where it cannot be read;
what it cannot reach still migrates, and a host that imports a definition it may add to reads
it as an opaque module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import ModuleKind, load_repo
from tests.helpers import make_git_repo, tree_files, write

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" ];
      imports = [
        ./parts/box.nix
        ./parts/lab.nix
      ];
    };
}
"""
BOX = """{ inputs, ... }:
{
  flake.nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {
    system = "x86_64-linux";
    modules = [ ../hosts/box.nix ];
  };
}
"""
# A second host, built in a module homeward cannot parse, from the file `box` imports too.
LAB = """{ inputs, ... }:
{
  flake.nixosConfigurations =
    [ "lab" ]
    |> map (name: {
      inherit name;
      value = inputs.nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ../hosts/common.nix ];
      };
    })
    |> builtins.listToAttrs;
}
"""
COMMON = """{ pkgs, ... }:
{
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.htop ];
  system.stateVersion = "25.05";
}
"""
TREE = {
    "flake.nix": FLAKE,
    "parts/box.nix": BOX,
    "parts/lab.nix": LAB,
    "hosts/box.nix": '{\n  imports = [ ./common.nix ];\n  networking.hostName = "box";\n}\n',
    "hosts/common.nix": COMMON,
}
PIPE_AT = "parts/lab.nix:5:5"  # the first `|>`


def _findings(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    """What `homeward check --format json` finds in the current directory."""
    capsys.readouterr()
    main(["check", "--format", "json"])
    found: list[dict[str, object]] = json.loads(capsys.readouterr().out)["findings"]
    return found


def test_files_an_unread_flake_parts_module_may_read_stay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: `parts/lab.nix` (which homeward cannot parse) builds `lab` from
    `hosts/common.nix`, which `box` imports too. The module was said only when no host was
    found: here `box` was found, so migrate moved kim's packages out of `hosts/common.nix` and
    wired home-manager into `box` alone: `lab` lost them. The file stays byte-identical, and
    `check` and `migrate` name the module where it cannot be read, and why."""
    root = make_git_repo(write(tmp_path / "repo", TREE))
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box"]
    common = repo.modules["hosts/common.nix"]
    assert list(common.frozen) == ["the flake-parts module `parts/lab.nix`"]
    assert "pipe operator" in common.frozen["the flake-parts module `parts/lab.nix`"]
    monkeypatch.chdir(root)
    said = [f for f in _findings(capsys) if f["code"] == "HW012"]
    assert [(f"{f['path']}:{f['line']}:{f['col']}", f["severity"]) for f in said] == [
        (PIPE_AT, "warning")
    ]
    assert "pipe operator" in str(said[0]["message"])
    assert "flake-parts module" in str(said[0]["message"])

    before = tree_files(root)
    assert main(["migrate"]) == 0
    _out, err = capsys.readouterr()
    assert tree_files(root)["hosts/common.nix"] == before["hosts/common.nix"]
    assert tree_files(root) == before  # nothing else of kim's can move
    assert PIPE_AT in err and "`hosts/common.nix` is left as it is" in err


def test_what_an_unread_module_cannot_name_still_migrates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Precision: a module homeward cannot parse that names only its own packages (an
    overlay of `./pkgs`) may define more outputs, but none of them can read `box`'s files
    (only `self`, which is every output, and `inputs`): `box` migrates, and the module is
    still said."""
    overlay = (
        "{\n  flake.overlays.default =\n    final: prev:\n"
        "    builtins.readDir ./pkgs\n    |> builtins.attrNames\n"
        "    |> map (name: { inherit name; value = final.callPackage ./pkgs/${name} { }; })\n"
        "    |> builtins.listToAttrs;\n}\n"
    )
    files = {
        **TREE,
        "parts/lab.nix": overlay,
        "parts/pkgs/hello/default.nix": "{ hello }: hello\n",
    }
    root = make_git_repo(write(tmp_path / "repo", files))
    repo = load_repo(root)
    assert not repo.modules["hosts/common.nix"].frozen
    monkeypatch.chdir(root)
    said = [f for f in _findings(capsys) if f["code"] == "HW012"]
    assert [f"{f['path']}:{f['line']}:{f['col']}" for f in said] == ["parts/lab.nix:5:5"]
    assert main(["migrate"]) == 0
    _out, err = capsys.readouterr()
    after = tree_files(root)
    assert b"packages" not in after["hosts/common.nix"]
    assert b"home-manager.users.kim" in after["parts/box.nix"]
    assert after["parts/lab.nix"] == overlay.encode()
    assert "parts/lab.nix:5:5" in err


def test_a_deferred_module_an_unread_module_may_add_to_is_opaque_to_its_host(
    tmp_path: Path,
) -> None:
    """Why: `flake.nixosModules.base` is a deferred module: every flake-parts module may add
    a definition to it, `parts/lab.nix` too, which homeward cannot read. `box` imports it:
    what `box` gets from it is the known definition and one opaque module, whose files (the
    `../hosts/extra.nix` it names) are left as they are for `box`."""
    box = (
        "{ inputs, config, ... }:\n{\n"
        "  flake.nixosModules.base = ../hosts/base.nix;\n"
        "  flake.nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {\n"
        '    system = "x86_64-linux";\n'
        "    modules = [\n      ../hosts/box.nix\n      config.flake.nixosModules.base\n    ];\n"
        "  };\n}\n"
    )
    lab = (
        "{\n  flake.nixosModules.base = {\n    imports = [ ../hosts/extra.nix ];\n"
        '    environment.etc = [ "a" ] |> map (x: x);\n  };\n}\n'
    )
    files = {
        **TREE,
        "parts/box.nix": box,
        "parts/lab.nix": lab,
        "hosts/base.nix": "{ pkgs, ... }:\n{\n  environment.systemPackages = [ pkgs.git ];\n}\n",
        "hosts/box.nix": '{\n  imports = [ ./common.nix ./extra.nix ];\n  networking.hostName = "box";\n}\n',
        "hosts/extra.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.jq ];\n}\n",
    }
    root = make_git_repo(write(tmp_path / "repo", files))
    repo = load_repo(root)
    box_refs = repo.hosts["box"].modules
    opaque = [r for r in box_refs if r.kind is ModuleKind.UNKNOWN]
    assert [str(r.location) for r in opaque] == ["parts/lab.nix:1:1"]
    assert "pipe operator" in opaque[0].label
    assert [str(r.path) for r in box_refs if r.kind is ModuleKind.FILE] == [
        "hosts/box.nix",
        "hosts/base.nix",
    ]
    # What the module names is left as it is for `box`; what it cannot name migrates.
    assert "box" in repo.modules["hosts/extra.nix"].frozen
    assert not repo.modules["hosts/common.nix"].frozen
