"""A host whose platform is set with a name bound in flake.nix's `let`
(`targetSystem = "aarch64-darwin";` … `nixpkgs.hostPlatform = targetSystem;` in a module written
in the same file, as nix-darwin's own template does). homeward read only a string written out
there, so the host got no standalone configuration, and the warning's hint asked for the
`nixpkgs.hostPlatform` that was set (a nix-darwin configuration of the corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import hm_flake_of, make_git_repo, migrate_stderr, standalone_entry, write

FILES = {
    "flake.nix": hm_flake_of(
        "{ nixpkgs, home-manager, ... }",
        """    let
      targetSystem = "x86_64-linux";
      platform = {
        nixpkgs.hostPlatform = targetSystem;
      };
    in
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        modules = [
          platform
          ./hosts/box.nix
        ];
      };
    };
""",
    ),
    "hosts/box.nix": "{ pkgs, ... }:\n{\n"
    '  fileSystems."/".device = "/dev/disk/by-label/nixos";\n'
    "  boot.loader.systemd-boot.enable = true;\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n"
    '  system.stateVersion = "25.05";\n}\n',
}


def test_the_platform_bound_in_let_makes_the_standalone_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    err = migrate_stderr(root, capsys)
    assert "cannot tell the platform" not in err
    standalone = standalone_entry(root, "kim@box")
    assert "nixpkgs.legacyPackages.x86_64-linux" in standalone
