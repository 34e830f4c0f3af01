"""An account set as a whole by a value homeward cannot read
(`users.users.kim = cfg.account;`) in a module every host imports: migrate says its packages
are not moved, once for the place it is written, not once per host reading it (a nix-darwin
configuration of the corpus printed each such warning twice, for its two Macs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo, write

FILES = {
    "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { nixpkgs, ... }:
    {
      nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a.nix ./common.nix ]; };
      nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b.nix ./common.nix ]; };
    };
}
""",
    "common.nix": "{ config, ... }:\n{\n  users.users.kim = config.my.account;\n}\n",
    "hosts/a.nix": "{ pkgs, ... }:\n{\n  users.users.ann.isNormalUser = true;\n}\n",
    "hosts/b.nix": "{ pkgs, ... }:\n{\n  users.users.ann.isNormalUser = true;\n}\n",
}


def test_the_warning_is_said_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    capsys.readouterr()
    main(["migrate", "--dry-run", str(root)])
    err = capsys.readouterr().err
    said = [line for line in err.splitlines() if "packages in it are not moved" in line]
    assert len(said) == 1, err
    assert "common.nix:3:3:" in said[0]
