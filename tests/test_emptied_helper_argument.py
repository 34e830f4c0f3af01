"""A module given to a host's helper as an argument (`mkHost { extra = ./machines/pkgs.nix; }`,
or an inline `extra = { pkgs, ... }: { … };`) that the helper puts in its module list, and
that holds nothing but the user's packages: once they move, the module is empty, and migrate
dropped it as it drops an element of a list, leaving `extra = ;` (not Nix: exit 4). Outside
a list it becomes the empty module `{ }`."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.syntax.parse import parse_tree
from tests.helpers import hm_flake_of, make_git_repo, migrate_stderr, write

FLAKE = hm_flake_of(
    "{ nixpkgs, home-manager, ... }",
    """    let
      mkHost =
        {
          host,
          extra ? { },
        }:
        nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            host
            extra
          ];
        };
    in
    {
      nixosConfigurations.box = mkHost {
        host = ./machines/box.nix;
        extra = EXTRA;
      };
    };
""",
)

HOST = (
    "{ ... }:\n{\n"
    '  fileSystems."/".device = "/dev/disk/by-label/nixos";\n'
    "  boot.loader.systemd-boot.enable = true;\n"
    "  users.users.kim.isNormalUser = true;\n"
    '  system.stateVersion = "25.05";\n}\n'
)


@pytest.mark.parametrize(
    ("extra", "files"),
    [
        ("{ pkgs, ... }: { users.users.kim.packages = [ pkgs.tmux ]; }", {}),
        (
            "./machines/pkgs.nix",
            {
                "machines/pkgs.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.tmux ];\n}\n"
            },
        ),
    ],
    ids=["inline", "file"],
)
def test_an_emptied_module_outside_a_list_becomes_an_empty_module(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: str, files: dict[str, str]
) -> None:
    repo = {"flake.nix": FLAKE.replace("EXTRA", extra), "machines/box.nix": HOST, **files}
    root = make_git_repo(write(tmp_path / "repo", repo))
    migrate_stderr(root, capsys)
    flake = (root / "flake.nix").read_bytes()
    assert not parse_tree(flake).root_node.has_error
    assert b"        extra = { };\n" in flake
    assert "tmux" in (root / "home" / "kim" / "features" / "cli.nix").read_text()
