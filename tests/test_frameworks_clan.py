"""Machines of a clan (clan-core's `lib.clan`), issue 11, "Frameworks": found, drawn, linted, and
left byte-identical by `migrate` with a warning that names clan-core. Reduced from fleets seen in
real configurations: `nixosConfigurations = clan.config.nixosConfigurations`, the call in
flake.nix or in a file of its own that takes `self`, machines from `machines/<name>/`, from
`inventory.machines` (one a Mac by its `machineClass`) and from the `machines` argument.

clan-core makes each machine from `machines/<name>/configuration.nix` (and, on NixOS,
`hardware-configuration.nix` and `disko.nix`), `machines.<name>`, its own core module and the
modules the inventory's services give the machine. homeward cannot see the last two, so it
never rewires these hosts: a service may already import home-manager's module."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, migrate_keeps_bytes, write

HOST = (
    "{ pkgs, ... }:\n{\n"
    "  imports = [ ./services.nix ];\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n"
    '  system.stateVersion = "25.05";\n}\n'
)
# A clan's flake.nix up to the attributes `clan-core.lib.clan` is called with after `inherit self;`
# (eight spaces in; the rest of the flake follows them).
CLAN_HEAD = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.clan-core.url = "git+https://example.org/clan/clan-core";
  outputs = { self, nixpkgs, clan-core, ... }@inputs:
    let
      clan = clan-core.lib.clan {
        inherit self;
"""
FLAKE = (
    CLAN_HEAD
    + """        specialArgs = { inherit inputs; };
        modules."@me/backup" = ./services/backup.nix;
        inventory = import ./inventory.nix;
        machines.lab = { pkgs, ... }: {
          users.users.kim.packages = [ pkgs.jq ];
        };
      };
    in
    {
      inherit (clan.config) nixosConfigurations darwinConfigurations clanInternals;
    };
}
"""
)
INVENTORY = """{
  machines.box.tags = [ "desktop" ];
  machines.mac.machineClass = "darwin";
  instances.backup = {
    module.name = "@me/backup";
    roles.client.machines.box = { };
    roles.client.extraModules = [ ./modules/backup-client.nix ];
  };
}
"""
CLAN = {
    "flake.nix": FLAKE,
    "inventory.nix": INVENTORY,
    "machines/box/configuration.nix": HOST,
    "machines/box/services.nix": "{ ... }:\n{\n  services.openssh.enable = true;\n}\n",
    "machines/box/hardware-configuration.nix": "{ ... }:\n{\n  boot.loader.grub.enable = true;\n}\n",
    "machines/mac/configuration.nix": "{ pkgs, ... }:\n{\n"
    "  users.users.kim.packages = [ pkgs.jq ];\n  system.stateVersion = 6;\n}\n",
    "services/backup.nix": '{ ... }:\n{\n  _class = "clan.service";\n}\n',
    "modules/backup-client.nix": "{ pkgs, ... }:\n{\n"
    "  users.users.kim.packages = [ pkgs.restic ];\n}\n",
}


def test_clan_machines_are_hosts_with_their_files(tmp_path: Path) -> None:
    """Why: pinpox's and Mic92's fleets were refused (exit 3): "`nixosConfigurations` is built
    by `clan-core.lib.clan` ... homeward does not read the hosts it makes"."""
    repo = load_repo(write(tmp_path, CLAN))
    assert sorted(repo.hosts) == ["box", "lab"]
    assert sorted(repo.others) == ["darwinConfigurations.mac"]
    assert {c.framework for c in [*repo.hosts.values(), *repo.others.values()]} == {"clan-core"}
    box = repo.hosts["box"]
    # Where the host comes from: its own configuration.nix.
    assert box.location is not None and str(box.location.path) == "machines/box/configuration.nix"
    assert repo.modules["machines/box/services.nix"].hosts == {"box"}
    assert repo.modules["machines/box/hardware-configuration.nix"].hosts == {"box"}
    # A Mac gets no NixOS-only file; a machine declared only in the call is its module there.
    lab = repo.hosts["lab"]
    assert lab.location is not None and str(lab.location.path) == "flake.nix"
    assert [u.name for u in build_index(repo).users.values()] == ["kim"]
    # What clan-core adds is one opaque module per machine, said once.
    assert len(repo.opaque) == 1
    assert "clan-core adds" in repo.opaque[0].label


def test_clan_in_its_own_file_taking_self(tmp_path: Path) -> None:
    """Why: Mic92's shape: `clan = import ./machines/inventory.nix self` inside the outputs,
    where the file takes `self` and reads `clan-core` from `self.inputs`; `machines/` also
    holds that file (a file, not a machine), and the inventory's JSON names a machine."""
    files = {
        "flake.nix": FLAKE.replace(
            "      clan = clan-core.lib.clan {\n",
            "      clan = import ./machines/clan.nix self {\n",
        ),
        "machines/clan.nix": "self: args:\nlet\n  inherit (self.inputs) clan-core;\nin\n"
        "clan-core.lib.clan ({ inherit self; } // args)\n",
        "inventory.json": json.dumps({"machines": {"edge": {"installedAt": 1}}}),
        **{k: v for k, v in CLAN.items() if k != "flake.nix"},
        "machines/edge/configuration.nix": HOST.replace("./services.nix", "../box/services.nix"),
    }
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == ["box", "edge", "lab"]
    assert repo.modules["machines/box/services.nix"].hosts == {"box", "edge"}


def test_check_and_graph_show_clan_machines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: hosts found must be counted and linted by `check` and drawn by `graph`; the opaque
    module says which function makes it."""
    write(tmp_path / "repo", CLAN)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["check", "repo"])
    out = capsys.readouterr().out
    assert "read 2 hosts, 1 nix-darwin host" in out
    assert "(built with clan-core)" in out
    assert "HW002" in out and "machines/box/configuration.nix" in out  # linted
    assert "`clan-core.lib.clan` makes it" in out
    assert main(["graph", "repo", "--format", "json"]) == 0
    drawn = json.dumps(json.loads(capsys.readouterr().out))
    assert "machines/box/configuration.nix" in drawn and "machines/box/services.nix" in drawn


def test_migrate_leaves_clan_machines_byte_identical_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: clan-core's services may already import home-manager's module into a machine, so
    wiring it again could break the host: exit 0, nothing written, clan-core named."""
    repo = make_git_repo(write(tmp_path / "repo", CLAN))
    monkeypatch.chdir(tmp_path)
    out, err = migrate_keeps_bytes(repo, capsys, "repo")
    said = err + out
    assert "warning: clan-core assembles" in said
    assert "`box` (machines/box/configuration.nix)" in said
    assert "nothing migrated" in out


def test_clan_services_files_stay_frozen_for_other_hosts(tmp_path: Path) -> None:
    """Why: a file the inventory's services give a machine (`extraModules`) is read by clan-core
    where homeward cannot see it; a host built with `nixosSystem` that imports it too must not
    have it edited (rule 10), while its own files still migrate."""
    from homeward.model.index import build_index
    from homeward.plan.migrate import MigrateOptions, plan_migration

    files = dict(CLAN)
    files["flake.nix"] = FLAKE.replace(
        "      inherit (clan.config) nixosConfigurations darwinConfigurations clanInternals;",
        "      inherit (clan.config) darwinConfigurations;\n"
        "      nixosConfigurations = clan.config.nixosConfigurations // {\n"
        "        pc = nixpkgs.lib.nixosSystem {\n"
        '          system = "x86_64-linux";\n'
        "          modules = [ ./pc.nix ./modules/backup-client.nix ];\n"
        "        };\n      };",
    )
    files["pc.nix"] = HOST.replace("imports = [ ./services.nix ];", "imports = [ ];")
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == ["box", "lab", "pc"]
    frozen = repo.modules["modules/backup-client.nix"].frozen
    assert any("clan-core" in why for why in frozen.values())
    plan = plan_migration(build_index(repo), MigrateOptions())
    touched = {str(e.path) for e in plan.edits} | {str(d.path) for d in plan.deletes}
    assert "modules/backup-client.nix" not in touched
    assert not any(p.startswith("machines/") for p in touched)
    assert "pc.nix" in touched  # the host homeward can see still migrates
    assert any("clan-core assembles" in d.message for d in plan.diagnostics)


def test_a_clan_of_another_input_is_not_clan_core(tmp_path: Path) -> None:
    """Why: the builtin goes by the function's last name; `inputs.x.clan` of some other input
    is a function homeward does not know, not clan-core's."""
    files = {
        "flake.nix": FLAKE.replace("clan-core.lib.clan {", "clan-core.packages.clan {"),
        **{k: v for k, v in CLAN.items() if k != "flake.nix"},
    }
    repo = load_repo(write(tmp_path, files))
    assert not repo.hosts


def test_clan_through_its_flake_parts_module(tmp_path: Path) -> None:
    """Why: clan-core's documented flake-parts form: `imports = [ clan-core.flakeModules.default ]`
    and `clan = { ... }` in the flake-parts module; its machines are the flake's hosts, beside
    a host another module writes in `flake.nixosConfigurations`."""
    files = {
        "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.clan-core.url = "git+https://example.org/clan/clan-core";
  outputs = inputs@{ flake-parts, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      imports = [ inputs.clan-core.flakeModules.default ./parts/pc.nix ];
      clan = {
        inventory = import ./inventory.nix;
        machines.lab = { pkgs, ... }: {
          users.users.kim.packages = [ pkgs.jq ];
        };
      };
    };
}
""",
        "parts/pc.nix": "{ inputs, ... }:\n{\n"
        "  flake.nixosConfigurations.pc = inputs.nixpkgs.lib.nixosSystem {\n"
        "    modules = [ ../pc.nix ];\n  };\n}\n",
        "pc.nix": HOST.replace("imports = [ ./services.nix ];", "imports = [ ];"),
        **{k: v for k, v in CLAN.items() if k != "flake.nix"},
    }
    repo = load_repo(write(tmp_path, files))
    assert sorted(repo.hosts) == ["box", "lab", "pc"]
    assert sorted(repo.others) == ["darwinConfigurations.mac"]
    assert repo.hosts["box"].framework == "clan-core"
    assert repo.hosts["pc"].framework == ""
    assert repo.modules["machines/box/services.nix"].hosts == {"box"}
