"""flake-parts' `flake.modules.<class>.<name>` defined in several files (the "dendritic" pattern):
the module system keeps every definition (a deferred module imports them all), so a host listing
`base` reads each file's `base`. Measured on a real configuration (MatthiasBenaets/nix-config):
homeward read one definition of `base` and dropped the one setting `system.primaryUser`, so
`check` reported HW020 on two Macs before and after `migrate` (a Wrong corpus result)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo
from tests.test_openworld import write

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.darwin.url = "github:nix-darwin/nix-darwin/master";
  outputs =
    inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "aarch64-darwin" ];
      imports = [
        ./parts/brew.nix
        ./parts/owner.nix
        ./parts/mac.nix
      ];
    };
}
"""

FILES: dict[str, str | bytes] = {
    "flake.nix": FLAKE,
    # One name, two files: an attribute set here, a function there.
    "parts/brew.nix": """{
  flake.modules.darwin.base = {
    homebrew.enable = true;
    homebrew.brews = [ "mas" ];
  };
}
""",
    "parts/owner.nix": """{
  flake.modules.darwin.base =
    { config, ... }:
    {
      system.primaryUser = "kim";
      users.users.kim.home = "/Users/kim";
    };
}
""",
    "parts/mac.nix": """{ config, inputs, ... }:
{
  flake.darwinConfigurations.mac = inputs.darwin.lib.darwinSystem {
    system = "aarch64-darwin";
    modules = with config.flake.modules.darwin; [ base ];
  };
}
""",
}


def test_every_definition_of_a_deferred_module_is_read(tmp_path: Path) -> None:
    repo = load_repo(write(tmp_path, FILES))
    mac = repo.others["darwinConfigurations.mac"]
    assert sorted(str(r.source.path) for r in mac.modules if r.source is not None) == [
        "parts/brew.nix",
        "parts/owner.nix",
    ]
    assert not any(r.maybe for r in mac.modules)


def test_hw020_sees_primary_user_set_in_another_definition(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    main(["check", str(root), "--format", "json"])
    codes = [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert "HW020" not in codes
    # Without the definition that sets it, the finding is real.
    (root / "parts/owner.nix").write_text("{ }\n")
    main(["check", str(root), "--format", "json"])
    codes = [f["code"] for f in json.loads(capsys.readouterr().out)["findings"]]
    assert "HW020" in codes
