"""A user with a home on one host (`homeConfigurations."kim@a"`, or home-manager's module on
it) and an account alone on another (`b`: a VM, a server), where nothing of theirs moves.
migrate wired home-manager's NixOS module on `b` too, starting from the same file: the user got
there every package and setting of their home on `a`, which they never had on `b` (rule 1).
Reduced from real configurations (a VM sharing the account module of the laptops; servers
sharing it with the one host that has a standalone home)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake_of, make_git_repo, migrate_stderr, write
from tests.test_migrate_darwin import nix_value

# Hosts `a` and `b`, each with its own file and the shared accounts module.
TWO_HOSTS = """      nixosConfigurations.a = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/a.nix
          ./accounts.nix
        ];
      };
      nixosConfigurations.b = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/b.nix
          ./accounts.nix
        ];
      };
"""

FILES = {
    "flake.nix": hm_flake_of(
        "{ nixpkgs, home-manager, ... }",
        "    {\n"
        + TWO_HOSTS
        + """      homeConfigurations."kim@a" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        modules = [ ./home.nix ];
      };
    };
""",
    ),
    "hosts/a.nix": '{\n  networking.hostName = "a";\n  system.stateVersion = "25.05";\n}\n',
    "hosts/b.nix": '{\n  networking.hostName = "b";\n  system.stateVersion = "25.05";\n}\n',
    "accounts.nix": "{\n  users.users.kim.isNormalUser = true;\n}\n",
    "home.nix": "{ pkgs, ... }:\n{\n"
    '  home.username = "kim";\n'
    '  home.homeDirectory = "/home/kim";\n'
    "  home.packages = [ pkgs.ripgrep ];\n"
    '  home.stateVersion = "25.05";\n}\n',
}


def _host_block(flake: str, host: str) -> str:
    start = flake.index(f"nixosConfigurations.{host} =")
    return flake[start : flake.index("};\n", start)]


def test_the_host_without_a_home_is_not_given_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    err = migrate_stderr(root, capsys)
    assert "`kim` has no home on `b`" in err, err
    flake = (root / "flake.nix").read_text()
    assert "home-manager.users.kim" in _host_block(flake, "a")
    assert _host_block(flake, "b") == _host_block(FILES["flake.nix"], "b")


@pytest.mark.nix
def test_the_account_alone_keeps_its_packages(tmp_path: Path) -> None:
    """Why: what counts is what Nix sees: no package for kim on `b`, before and after."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    assert main(["migrate", str(root)]) == 0
    assert nix_value(root, "nixosConfigurations.b.config.users.users.kim.packages") == []


# kim has no home yet: packages in the desk's own file, the account alone on the server.
NEW_HOME = {
    "flake.nix": hm_flake_of("{ nixpkgs, home-manager, ... }", "    {\n" + TWO_HOSTS + "    };\n"),
    "hosts/a.nix": "{ pkgs, ... }:\n{\n"
    '  networking.hostName = "a";\n'
    "  users.users.kim.packages = [ pkgs.ripgrep ];\n"
    '  system.stateVersion = "25.05";\n}\n',
    "hosts/b.nix": FILES["hosts/b.nix"],
    "accounts.nix": FILES["accounts.nix"],
}


def test_a_new_home_is_not_wired_where_nothing_moves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: wired on `b`, the new home held only kim's identity and `home.stateVersion`: the
    server got home-manager's activation and a generation for nothing, and a standalone
    `kim@b` entry nobody had."""
    root = make_git_repo(write(tmp_path / "repo", NEW_HOME))
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 0
    err = capsys.readouterr().err
    assert "`kim` has no home on `b` and nothing of theirs moves there" in err, err
    flake = (root / "flake.nix").read_text()
    assert "home-manager.users.kim" in _host_block(flake, "a")
    assert _host_block(flake, "b") == _host_block(NEW_HOME["flake.nix"], "b")
    assert '"kim@a"' in flake
    assert '"kim@b"' not in flake


def test_an_inline_home_and_an_account_alone_need_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """kim's home is written inside the desk's NixOS module and nothing of theirs moves: the
    server got an empty new home (and the desk an empty one beside its own)."""
    files = dict(NEW_HOME)
    files["flake.nix"] = NEW_HOME["flake.nix"].replace(
        "          ./hosts/a.nix\n",
        "          ./hosts/a.nix\n          home-manager.nixosModules.home-manager\n",
    )
    files["hosts/a.nix"] = "{ pkgs, ... }:\n{\n" + (
        '  networking.hostName = "a";\n'
        "  home-manager.users.kim = {\n"
        "    home.packages = [ pkgs.ripgrep ];\n"
        '    home.stateVersion = "25.05";\n'
        "  };\n"
        '  system.stateVersion = "25.05";\n}\n'
    )
    root = make_git_repo(write(tmp_path / "repo", files))
    capsys.readouterr()
    assert main(["migrate", "--check", str(root)]) == 0
    err = capsys.readouterr().err
    assert "`kim` has no home on `b`" in err, err


def test_hosts_built_by_one_helper_keep_one_wiring(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: with `b` left out of kim's homes, the helper that builds both hosts from one
    module list would wire different users on each, which homeward refuses (exit 3, found by
    the property tests); such a host keeps the wiring it shares."""
    files = dict(NEW_HOME)
    files["flake.nix"] = hm_flake_of(
        "{ nixpkgs, home-manager, ... }",
        """    let
      mkHost =
        name:
        nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          modules = [
            ./hosts/${name}.nix
            ./accounts.nix
          ];
        };
    in
    {
      nixosConfigurations = nixpkgs.lib.genAttrs [
        "a"
        "b"
      ] mkHost;
    };
""",
    )
    root = make_git_repo(write(tmp_path / "repo", files))
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 0
    err = capsys.readouterr().err
    assert "has no home on" not in err, err
    assert "home-manager.users.kim" in (root / "flake.nix").read_text()
