"""Hosts built by one helper over a list of names share one module list; each has a
standalone home built by another helper that passes a value per host in `extraSpecialArgs`
(`mkHome "kim@alpha" true`), and the home's module takes it (`{ server, ... }:`). One
home-manager wiring in that shared list cannot pass each host its own value: wired without it,
every host of the list failed to evaluate (the home asks for an argument nobody passes).
Those hosts are left as they are, named with the reason; a host with a list of its own is
wired with its home's values. Reduced from a real configuration (servers built over a list
of names, their homes per `"<user>@<host>"` with a server flag)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.nix import run
from tests.helpers import HM_OVERRIDES, git, hm_flake_of, make_git_repo, migrate_stderr, write

FLAKE = hm_flake_of(
    "{ nixpkgs, home-manager, ... }@inputs",
    """    let
      machines = [
        "alpha"
        "beta"
      ];
      mkHome =
        name: server:
        home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          extraSpecialArgs = {
            inherit inputs server;
            where = name;
          };
          modules = [ ./home/kim.nix ];
        };
    in
    {
      nixosConfigurations =
        {
          desk = nixpkgs.lib.nixosSystem {
            system = "x86_64-linux";
            specialArgs = { inherit inputs; };
            modules = [ ./hosts/desk.nix ];
          };
        }
        // nixpkgs.lib.genAttrs machines (
          machine:
          nixpkgs.lib.nixosSystem {
            system = "x86_64-linux";
            specialArgs = { inherit inputs machine; };
            modules = [ ./hosts/machine.nix ];
          }
        );
      homeConfigurations = {
        "kim@desk" = mkHome "kim@desk" false;
        "kim@alpha" = mkHome "kim@alpha" true;
        "kim@beta" = mkHome "kim@beta" true;
      };
    };
""",
)


def host(name: str) -> str:
    return (
        "{ pkgs, ... }:\n{\n"
        f"  networking.hostName = {name};\n"
        '  fileSystems."/".device = "/dev/disk/by-label/nixos";\n'
        "  boot.loader.systemd-boot.enable = true;\n"
        "  users.users.kim.isNormalUser = true;\n"
        '  system.stateVersion = "25.05";\n}\n'
    )


FILES = {
    "hosts/desk.nix": host('"desk"'),
    "hosts/machine.nix": host("machine").replace("{ pkgs, ... }", "{ pkgs, machine, ... }"),
    "home/kim.nix": "{ server, where, ... }:\n{\n"
    '  home.sessionVariables.ROLE = if server then "server" else "desk";\n'
    "  home.sessionVariables.WHERE = where;\n"
    '  home.stateVersion = "25.05";\n}\n',
}

# What `home-manager switch` gives kim on each host, before and after.
ROLES = {
    "desk": {"ROLE": "desk", "WHERE": "kim@desk"},
    "alpha": {"ROLE": "server", "WHERE": "kim@alpha"},
    "beta": {"ROLE": "server", "WHERE": "kim@beta"},
}


def repo(tmp_path: Path) -> Path:
    return make_git_repo(write(tmp_path / "repo", {"flake.nix": FLAKE, **FILES}))


def nix_apply(root: Path, attr: str, apply: str) -> object:
    """`nix eval --json ATTR --apply FN`, every input pointed at its stand-in."""
    args = ["eval", "--json", f"{root}#{attr}", "--apply", apply, "--no-write-lock-file"]
    args += HM_OVERRIDES
    return json.loads(run.run_nix(args, cwd=root))


def test_the_shared_list_is_left_as_it_is_and_said_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the shared list was wired without `where`, which differs between its hosts."""
    root = repo(tmp_path)
    err = migrate_stderr(root, capsys)
    for name in ("alpha", "beta"):
        assert f"home-manager cannot be wired into host `{name}`" in err, err
    # Said at the shared list, where one would wire it by hand.
    assert "flake.nix:40:23: warning: host `alpha` is skipped" in err, err
    assert "cannot be written for home-manager's NixOS module" not in err, err
    flake = (root / "flake.nix").read_text()
    assert flake.count("home-manager.nixosModules.home-manager") == 1  # desk's own list
    assert 'where = "kim@desk";' in flake
    assert (root / "hosts/machine.nix").read_text() == FILES["hosts/machine.nix"]
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root)]) == 0
    assert git(root, "status", "--porcelain") == ""  # a second run changes nothing


@pytest.mark.nix
def test_every_host_evaluates_with_its_homes_values(tmp_path: Path) -> None:
    """Why: what counts is what Nix sees. Before, the shared list's hosts did not evaluate
    after migrate; a host wired gives the home what `home-manager switch` gives it."""
    root = repo(tmp_path)
    assert main(["migrate", str(root)]) == 0
    homes = "c: builtins.mapAttrs (u: h: h.home.sessionVariables) (c.home-manager.users or { })"
    for name, expected in ROLES.items():
        standalone = nix_apply(
            root, f'homeConfigurations."kim@{name}".config', "c: c.home.sessionVariables"
        )
        assert standalone == expected
        wired = nix_apply(root, f"nixosConfigurations.{name}.config", homes)
        assert wired in ({}, {"kim": expected}), (name, wired)
    assert nix_apply(root, "nixosConfigurations.desk.config", homes) == {"kim": ROLES["desk"]}
