"""A user none of whose hosts can have a standalone configuration (the host's `specialArgs`
is `{ ... } // extra`, which cannot be written where `homeConfigurations` is): migrate warns
that there is no `homeConfigurations."kim@box"`, and adds nothing that only such an entry
needs. It made `self` an argument of the outputs (asked for by the entry before it was
refused), and wrote into the user's existing home `home.username`/`home.homeDirectory` and
the home-manager command, "for `home-manager switch`", which has nothing to switch to.
Reduced from a real configuration (two WSL/laptop hosts built by one helper)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake_of, make_git_repo, write

FILES = {
    "flake.nix": hm_flake_of(
        "{ nixpkgs, home-manager, ... }",
        """    let
      username = "kim";
      mkHost = { name, extra ? { } }: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit username; } // extra;
        modules = [
          ./hosts/${name}.nix
          home-manager.nixosModules.home-manager
        ];
      };
    in
    {
      nixosConfigurations.box = mkHost { name = "box"; };
    };
""",
    ),
    "hosts/box.nix": """{ pkgs, username, ... }:
{
  nixpkgs.overlays = [ (final: prev: { }) ];
  users.users.${username} = {
    isNormalUser = true;
    packages = [ pkgs.jq ];
  };
  home-manager.users.${username} = import ./home.nix;
  system.stateVersion = "25.05";
}
""",
    "hosts/home.nix": """{ ... }:
{
  home.stateVersion = "25.05";
}
""",
}


def test_nothing_only_a_standalone_entry_needs_when_none_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    assert main(["migrate", str(root)]) == 0
    err = capsys.readouterr().err
    assert 'no `homeConfigurations."kim@box"`' in err, err
    flake = (root / "flake.nix").read_text()
    assert flake == FILES["flake.nix"], flake  # no `self`, no entry
    home = (root / "hosts/home.nix").read_text()
    assert "home.username" not in home and "homeDirectory" not in home, home
    assert "../home/kim/features/cli.nix" in home, home  # what moved is there
    cli = (root / "home/kim/features/cli.nix").read_text()
    assert "pkgs.jq" in cli and "home-manager" not in cli, cli
    assert "packages" not in (root / "hosts/box.nix").read_text()
    # a second run changes nothing
    before = {p: p.read_bytes() for p in root.rglob("*.nix")}
    assert main(["migrate", str(root)]) == 0
    assert {p: p.read_bytes() for p in root.rglob("*.nix")} == before
