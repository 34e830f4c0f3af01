"""A host that gives every home of its NixOS wiring extra home-manager modules through
`home-manager.sharedModules` (a flake's home-manager module that adds options, such as a
flatpak manager's `services.flatpak`), and a user's home that sets those options. The
`homeConfigurations."kim@box"` migrate adds listed the user's entry only: the options the
shared module declares did not exist there, so the standalone home no longer evaluated
(a half-way configuration of the corpus, home-manager as a NixOS module)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import (
    BOX_HOST,
    hm_flake_of,
    make_git_repo,
    migrate_stderr,
    standalone_entry,
    write,
)
from tests.test_migrate_darwin import nix_value

FLAKE = hm_flake_of(
    "{ nixpkgs, home-manager, ... }",
    """    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/box.nix
          home-manager.nixosModules.home-manager
          {
            home-manager = {
              useGlobalPkgs = true;
              users.kim = import ./home/kim.nix;
              sharedModules = [ SHARED ];
            };
          }
        ];
      };
    };
""",
)

FILES = {
    "flake.nix": FLAKE.replace("SHARED", "./modules/flag.nix"),
    "modules/flag.nix": "{ lib, ... }:\n{\n"
    "  options.my.flag = lib.mkOption {\n"
    "    type = lib.types.bool;\n"
    "    default = false;\n"
    "  };\n}\n",
    "hosts/box.nix": BOX_HOST,
    "home/kim.nix": '{\n  my.flag = true;\n  home.stateVersion = "25.05";\n}\n',
}


def test_the_standalone_home_reads_the_hosts_shared_modules(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    migrate_stderr(root, capsys)
    standalone = standalone_entry(root, "kim@box")
    assert "./home/kim.nix" in standalone and "./modules/flag.nix" in standalone
    assert (root / "modules/flag.nix").read_text() == FILES["modules/flag.nix"]


def test_shared_modules_written_with_names_of_a_helper_leave_no_standalone_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Where the list cannot be written beside `homeConfigurations` (a name bound inside
    the host's own call), no standalone home is made for the host, and the warning names
    the list at file:line:col; the NixOS wiring is migrated all the same."""
    flake = (
        FILES["flake.nix"]
        .replace(
            "nixosConfigurations.box = nixpkgs.lib.nixosSystem {",
            "nixosConfigurations.box = let flag = ./modules/flag.nix; in nixpkgs.lib.nixosSystem {",
        )
        .replace("sharedModules = [ ./modules/flag.nix ];", "sharedModules = [ flag ];")
    )
    root = make_git_repo(write(tmp_path / "repo", {**FILES, "flake.nix": flake}))
    err = migrate_stderr(root, capsys)
    assert 'no `homeConfigurations."kim@box"`' in err
    line = flake.splitlines().index("              sharedModules = [ flag ];") + 1
    assert f"flake.nix:{line}:31:" in err
    assert "homeConfigurations" not in (root / "flake.nix").read_text()
    assert "htop" in (root / "home" / "kim" / "features" / "cli.nix").read_text()


@pytest.mark.nix
def test_the_standalone_home_evaluates(tmp_path: Path) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    assert main(["migrate", str(root)]) == 0
    for config in (
        'homeConfigurations."kim@box".config',
        "nixosConfigurations.box.config.home-manager.users.kim",
    ):
        assert nix_value(root, f"{config}.my.flag") is True, config
