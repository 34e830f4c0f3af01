"""The open world (docs/architecture.md, rules 9-14): partial knowledge is normal, reading never
stops at the first unknown, and what cannot be read is named with its place."""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.errors import HomewardError
from homeward.model.repo import ProblemKind, Repo, load_repo
from homeward.syntax.find import read_module
from homeward.syntax.parse import parse_source
from tests.helpers import hm_flake_of, nixos_entry, standin_overrides


def test_formals_with_defaults_are_read_in_linear_time() -> None:
    """Why: a regular expression over formals backtracked exponentially on a default after
    long identifiers (`enableSshConfig ? true` took 1.8 s; longer lists never finished)."""
    formals = ", ".join(f"enableSomethingQuiteLong{i}" for i in range(8))
    text = f"{{ lib, pkgs, config, {formals}, enableSshConfig ? true, ... }}: {{ }}\n".encode()
    start = time.perf_counter()
    module = read_module(parse_source(text, Path("m.nix")))
    elapsed = time.perf_counter() - start
    assert "enableSshConfig" in module.formals
    assert "enableSomethingQuiteLong7" in module.formals
    assert elapsed < 0.5, f"reading the formals took {elapsed:.2f} s"


def write(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
    return root


def flake(outputs: str, inputs: str = "") -> str:
    return (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        f"{inputs}"
        f"  outputs = {{ self, nixpkgs, ... }}@inputs: {outputs};\n"
        "}\n"
    )


HOST = '{ networking.hostName = "x"; }\n'


def refs(repo: Repo, host: str) -> list[tuple[str, str, str]]:
    return [
        (r.kind.value, str(r.path) if r.path else r.label[:40], r.maybe[:9])
        for r in repo.hosts[host].modules
    ]


def test_partly_known_module_list_is_still_a_host(tmp_path: Path) -> None:
    """Why: one computed entry (`++ extraModules` from a helper argument) made the whole flake
    unreadable; its literal entries are known, the rest is one opaque module."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    mkHost = { name, extraModules }: nixpkgs.lib.nixosSystem {
      modules = [ ./hosts/${name} ] ++ extraModules;
    };
  in {
    nixosConfigurations.a = mkHost { name = "a"; extraModules = inputs.foo.modules; };
    nixosConfigurations.b = mkHost { name = "b"; };
  }"""
            ),
            "hosts/a/default.nix": HOST,
            "hosts/b/default.nix": HOST,
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.hosts) == ["a", "b"]
    assert [r[:2] for r in refs(repo, "a")] == [
        ("file", "hosts/a/default.nix"),
        ("unknown", "no attribute `foo`"),
    ]
    assert refs(repo, "b")[0] == ("file", "hosts/b/default.nix", "")
    assert refs(repo, "b")[1][0] == "unknown"


def test_computed_lists_keep_every_possible_module(tmp_path: Path) -> None:
    """Why: `lib.optional c ./x.nix`, both branches of an `if`, `map` over names, `flatten`,
    `listFilesRecursive` and a let-bound `if` are common in real module lists."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    lib = nixpkgs.lib;
    gpu = if self.isLaptop then ./modules/intel.nix else ./modules/nvidia.nix;
  in {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem {
      modules = lib.flatten [
        [ ./hosts/a ]
        (lib.optional self.wantsDocker ./modules/docker.nix)
        (if self.server then [ ./modules/server.nix ] else [ ./modules/desktop.nix ])
        (map (n: ./modules/${n}.nix) [ "base" ])
        gpu
        (lib.filesystem.listFilesRecursive ./auto)
      ];
    };
  }"""
            ),
            "hosts/a/default.nix": HOST,
            **{
                f"modules/{n}.nix": "{ }\n"
                for n in ("docker", "server", "desktop", "base", "intel", "nvidia")
            },
            "auto/one.nix": "{ }\n",
            "auto/sub/two.nix": "{ }\n",
        },
    )
    repo = load_repo(root)
    found = refs(repo, "a")
    assert ("file", "hosts/a/default.nix", "") in found
    assert ("file", "modules/docker.nix", "`optional") in found
    assert ("file", "modules/server.nix", "the condi") in found
    assert ("file", "modules/desktop.nix", "the condi") in found
    assert ("file", "modules/base.nix", "") in found
    assert ("file", "auto/one.nix", "") in found
    assert ("file", "auto/sub/two.nix", "") in found
    assert ("file", "modules/intel.nix", "the condi") in found
    assert ("file", "modules/nvidia.nix", "the condi") in found
    assert not [f for f in found if f[0] == "unknown"]
    # Maybe-imported modules are reached, and frozen for that host.
    assert repo.modules["modules/docker.nix"].frozen.keys() == {"a"}
    assert not repo.modules["modules/base.nix"].frozen


def test_outputs_built_with_update_operators(tmp_path: Path) -> None:
    """Why: `eachDefaultSystem (...) // { nixosConfigurations = ...; }`, `recursiveUpdate`,
    `makeOverridable` and `removeAttrs` hid every host."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """inputs.flake-utils.lib.eachDefaultSystem (system: { packages = { }; })
    // nixpkgs.lib.recursiveUpdate { } {
      nixosConfigurations = removeAttrs {
        a = nixpkgs.lib.makeOverridable nixpkgs.lib.nixosSystem { modules = [ ./hosts/a ]; };
        gone = nixpkgs.lib.nixosSystem { modules = [ ]; };
        nixpkgs = nixpkgs;
      } [ "gone" ];
    }"""
            ),
            "hosts/a/default.nix": HOST,
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["a"]
    ignored = [p for p in repo.problems if p.kind is ProblemKind.IGNORED]
    assert [p.message for p in ignored] == [
        "`nixosConfigurations.nixpkgs` is not a system configuration: ignored"
    ]


def test_unreadable_host_is_skipped_and_named(tmp_path: Path) -> None:
    """Why: one host's broken file stopped every host; a file no host reaches never blocks
    anything. An encrypted file is no reason to skip its host: it is an opaque module
    (issue 11; tests/test_not_text.py)."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a ./common.nix ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b ./common.nix ]; };
    nixosConfigurations.c = nixpkgs.lib.nixosSystem { modules = [ ./hosts/c ./common.nix ]; };
  }"""
            ),
            "hosts/a/default.nix": HOST,
            "hosts/b/default.nix": '{ imports = [ ./secret.nix ]; networking.hostName = "b"; }\n',
            "hosts/b/secret.nix": b"\x00GITCRYPT\x00\xff\xfe binary",
            "hosts/c/default.nix": "",
            "common.nix": "{ }\n",
            "unused/broken.nix": "{ this is not nix",
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.hosts) == ["a", "b"]
    assert sorted(repo.skipped) == ["c"]
    assert repo.skipped["c"].message.startswith("`hosts/c/default.nix` cannot be read")
    assert [(str(r.path), r.label) for r in repo.opaque] == [
        ("hosts/b/secret.nix", "encrypted with git-crypt")
    ]
    # Files the skipped host reads are frozen: it is not rewired.
    assert repo.modules["common.nix"].hosts == {"a", "b"}
    assert set(repo.modules["common.nix"].frozen) == {"c"}


def test_no_host_at_all_is_exit_3(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; }; }"
            ),
            "a.nix": "{ broken",
        },
    )
    repo = load_repo(root)
    with pytest.raises(HomewardError, match="cannot be read"):
        repo.fatal()


def test_darwin_hosts_and_exports_are_recorded_and_freeze_what_they_read(tmp_path: Path) -> None:
    """Why: a module shared by a nix-darwin host and a NixOS host had its packages moved for
    the NixOS host only; the Mac silently lost them."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.pc = nixpkgs.lib.nixosSystem { modules = [ ./hosts/pc ./shared.nix ]; };
    darwinConfigurations.mac = inputs.nix-darwin.lib.darwinSystem {
      modules = [ ./hosts/mac.nix ./shared.nix ];
    };
    nixosModules.tools = ./modules/tools.nix;
  }""",
                '  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin";\n',
            ),
            "hosts/pc/default.nix": HOST,
            "hosts/mac.nix": "{ }\n",
            "shared.nix": "{ imports = [ ./modules/tools.nix ]; }\n",
            "modules/tools.nix": "{ }\n",
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["pc"]
    assert sorted(repo.others) == ["darwinConfigurations.mac"]
    assert repo.others["darwinConfigurations.mac"].kind == "darwin"
    assert repo.modules["shared.nix"].hosts == {"pc"}
    assert set(repo.modules["shared.nix"].frozen) == {"darwinConfigurations.mac"}
    assert set(repo.modules["modules/tools.nix"].frozen) == {
        "darwinConfigurations.mac",
        "nixosModules.tools",
    }
    assert not repo.modules["hosts/pc/default.nix"].frozen


def test_migrate_leaves_a_module_shared_with_a_darwin_host_byte_identical(tmp_path: Path) -> None:
    """Why: measured on a real configuration: `users.users.<u>.packages` in a module shared by a
    nix-darwin host and a NixOS host was moved for the NixOS host only; the Mac lost them."""
    from homeward.model.index import build_index
    from homeward.plan.migrate import MigrateOptions, plan_migration

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.pc = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/pc ./shared.nix ];
    };
    darwinConfigurations.mac = inputs.nix-darwin.lib.darwinSystem {
      modules = [ ./shared.nix ];
    };
  }""",
                '  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin";\n',
            ),
            "hosts/pc/default.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.htop ];\n}\n",
            "shared.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n",
        },
    )
    plan = plan_migration(build_index(load_repo(root)), MigrateOptions())
    touched = {str(e.path) for e in plan.edits} | {str(d.path) for d in plan.deletes}
    assert "shared.nix" not in touched
    assert "hosts/pc/default.nix" in touched  # the NixOS host's own file still migrates
    assert any(
        "`shared.nix` is left as it is" in d.message and "darwin" in d.message
        for d in plan.diagnostics
    )


def test_check_strict_makes_opaque_parts_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `check` in CI may want a configuration homeward reads completely; what it cannot
    read is then an error, and the text says how much was read."""
    from tests.test_check import CASES, run_check

    case = CASES["hw012-import-not-followed"][0]
    loose = run_check(case, tmp_path / "a", monkeypatch, capsys)
    strict = run_check(case, tmp_path / "b", monkeypatch, capsys, "--strict")
    assert loose.code == 0
    assert strict.code == 1
    lines = strict.out.splitlines()
    assert lines[0] == "read 1 host, 1 home, 1 user, 7 files; 1 opaque module"
    assert lines[-1] == "1 error, 0 warnings"


def test_a_missing_import_is_an_error_only_with_strict(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a gitignored `hardware-configuration.nix` is an opaque module, read on the machine
    (issue 11: "opaque, with a note; the rest migrates"); `--strict` makes it an error. A
    feature file nothing imports is no opaque part: it stays a warning under `--strict`."""
    from tests.test_check import CASES, run_check

    case = CASES["hw009-missing-import"][0]
    loose = run_check(case, tmp_path / "a", monkeypatch, capsys)
    strict = run_check(case, tmp_path / "b", monkeypatch, capsys, "--strict")
    assert loose.code == 0 and "HW009 warning: the import `hosts/desk/disks.nix`" in loose.out
    assert strict.code == 1 and "HW009 error: the import `hosts/desk/disks.nix`" in strict.out
    unused = run_check(CASES["hw009-unused-feature"][0], tmp_path / "c", monkeypatch, capsys)
    unused_strict = run_check(
        CASES["hw009-unused-feature"][0], tmp_path / "d", monkeypatch, capsys, "--strict"
    )
    assert unused.code == unused_strict.code == 0
    assert "HW009 warning" in unused_strict.out


def test_a_symlink_loop_stays_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a symlink that points at itself is in the repository and fails on every machine:
    it is not a file the machine provides."""
    from tests.test_check import Case, run_check

    case = Case({"hosts/desk/hardware-configuration.nix": None})
    repo = tmp_path / "repo"
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert ran.code == 0
    (repo / "hosts/desk/hardware-configuration.nix").symlink_to("hardware-configuration.nix")
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    from homeward.cli import main

    assert main(["check", "repo"]) == 1
    assert "HW009 error: the import `hosts/desk/hardware-configuration.nix` is a symlink loop" in (
        capsys.readouterr().out
    )


def misterio_user(settings: str = "") -> str:
    """Misterio77/nix-config's `hosts/common/users/kim`: kim's account (fish, the bootstrap
    `packages = [ pkgs.home-manager ]`, and `settings`: lines of it, four spaces in), and
    kim's home chosen per host with `${config.networking.hostName}`."""
    return (
        """{ pkgs, config, ... }:
{
  users.users.kim = {
    isNormalUser = true;
    shell = pkgs.fish;
"""
        + settings
        + """    packages = [ pkgs.home-manager ];
  };
  programs.fish.enable = true;
  home-manager.users.kim = import ../../../../home/kim/${config.networking.hostName}.nix;
}
"""
    )


def misterio_home(settings: str = "") -> str:
    """Misterio77/nix-config's `home/kim/global`: kim's home, with `settings` (lines, two spaces
    in) at its end."""
    return (
        """{ pkgs, ... }:
{
  home.username = "kim";
  home.homeDirectory = "/home/kim";
  home.stateVersion = "25.05";
  home.packages = [ pkgs.ripgrep ];
  programs.home-manager.enable = true;
"""
        + settings
        + "}\n"
    )


MISTERIO_STYLE = {
    "flake.nix": hm_flake_of(
        "{ self, nixpkgs, home-manager, ... }@inputs",
        """    let
      inherit (self) outputs;
      lib = nixpkgs.lib // home-manager.lib;
    in
    {
      nixosModules = import ./modules/nixos;
      nixosConfigurations = {
        box = lib.nixosSystem {
          modules = [ ./hosts/box ];
          specialArgs = { inherit inputs outputs; };
        };
      };
      homeConfigurations = {
        "kim@box" = lib.homeManagerConfiguration {
          modules = [ ./home/kim/box.nix ];
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          extraSpecialArgs = { inherit inputs outputs; };
        };
      };
    };
""",
        gap="",
    ),
    "modules/nixos/default.nix": "{ backup = import ./backup.nix; }\n",
    "modules/nixos/backup.nix": '{ lib, ... }:\n{\n  options.backup.enable = lib.mkEnableOption "backup";\n}\n',
    "hosts/box/default.nix": """{ inputs, ... }:
{
  imports = [
    inputs.home-manager.nixosModules.home-manager
    ./hardware-configuration.nix
    ../common/global
    ../common/users/kim
  ];
  networking.hostName = "box";
  system.stateVersion = "25.05";
}
""",
    "hosts/box/hardware-configuration.nix": """{ modulesPath, ... }:
{
  imports = [ "${modulesPath}/installer/scan/not-detected.nix" ];
  fileSystems."/".device = "/dev/sda1";
}
""",
    "hosts/common/global/default.nix": """{ inputs, outputs, ... }:
{
  imports = [ ./locale.nix ] ++ (builtins.attrValues outputs.nixosModules);
  home-manager.useGlobalPkgs = true;
  home-manager.extraSpecialArgs = { inherit inputs outputs; };
}
""",
    "hosts/common/global/locale.nix": '{ time.timeZone = "Europe/Paris"; }\n',
    "hosts/common/users/kim/default.nix": misterio_user(),
    "home/kim/box.nix": "{\n  imports = [ ./global ];\n}\n",
    "home/kim/global/default.nix": misterio_home(),
}


def test_misterio_style_layout_is_read_whole_and_checks_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the layout homeward aims for refused (exit 3) on its computed imports:
    `attrValues outputs.nixosModules`, `${config.networking.hostName}` and `${modulesPath}`.
    Reduced from the shape of Misterio77/nix-config (written here, not copied)."""
    from homeward.cli import main

    root = write(tmp_path / "repo", MISTERIO_STYLE)
    repo = load_repo(root)
    repo.fatal()
    assert "home/kim/box.nix" in repo.modules
    assert repo.modules["home/kim/global/default.nix"].users == {"kim"}
    assert "modules/nixos/backup.nix" in repo.modules
    assert repo.modules["modules/nixos/backup.nix"].hosts == {"box"}
    assert not repo.opaque, [r.label for r in repo.opaque]
    assert not [p for p in repo.problems if p.kind is not ProblemKind.IGNORED]
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    code = main(["check", "repo"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "error" not in out.split("\n")[-2] if out.count("\n") > 1 else True


def test_paths_interpolated_with_special_args_are_expanded_per_host(tmp_path: Path) -> None:
    """Why: `../hosts/${hostname}/configuration.nix` with `hostname` from `specialArgs` names a
    different file on each host."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    mk = hostname: nixpkgs.lib.nixosSystem {
      specialArgs = { inherit hostname; vars = { desktop = "sway"; }; };
      modules = [ ./modules/base.nix ];
    };
  in { nixosConfigurations = { a = mk "a"; b = mk "b"; }; }"""
            ),
            "modules/base.nix": "{ hostname, vars, ... }:\n{\n  imports = [\n"
            "    ../hosts/${hostname}/configuration.nix\n"
            '    (./. + "/desktop/${vars.desktop}.nix")\n  ];\n}\n',
            "hosts/a/configuration.nix": HOST,
            "hosts/b/configuration.nix": HOST,
            "modules/desktop/sway.nix": "{ }\n",
        },
    )
    repo = load_repo(root)
    assert repo.modules["hosts/a/configuration.nix"].hosts == {"a"}
    assert repo.modules["hosts/b/configuration.nix"].hosts == {"b"}
    assert repo.modules["modules/desktop/sway.nix"].hosts == {"a", "b"}
    assert not repo.problems


def test_a_module_named_by_a_set_of_special_args_is_followed_per_host(tmp_path: Path) -> None:
    """Why: `imports = [ mods.desk ];` with `mods` a set the host's `specialArgs` give (as
    ez-configs gives `ezModules`) was read as an input's module and not followed: the file
    it names was not known to be the host's. An input's module (`inputs.x.nixosModules.y`)
    stays one."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    mk = mods: nixpkgs.lib.nixosSystem {
      specialArgs = { inherit mods inputs; };
      modules = [ ./modules/base.nix ];
    };
  in {
    nixosConfigurations = {
      a = mk { desk = ./modules/desk.nix; };
      b = mk { desk = ./modules/laptop.nix; };
    };
  }"""
            ),
            "modules/base.nix": "{ mods, inputs, ... }:\n{\n  imports = [\n"
            "    mods.desk\n    inputs.nixpkgs.nixosModules.notDetected\n  ];\n}\n",
            "modules/desk.nix": HOST,
            "modules/laptop.nix": HOST,
        },
    )
    repo = load_repo(root)
    assert repo.modules["modules/desk.nix"].hosts == {"a"}
    assert repo.modules["modules/laptop.nix"].hosts == {"b"}
    assert not repo.problems, [p.message for p in repo.problems]


def test_bootstrap_and_system_account_packages_are_not_user_packages(tmp_path: Path) -> None:
    """Why: `packages = [ pkgs.home-manager ]` (the bootstrap idiom) and packages of a system
    account (`isSystemUser = true`) were reported by check and moved by migrate; home-manager
    does not manage system accounts."""
    from homeward.lint.facts import Facts
    from homeward.lint.rules import lint
    from homeward.model.index import build_index
    from homeward.plan.migrate import MigrateOptions, plan_migration

    root = write(
        tmp_path,
        {
            "flake.nix": flake("{\n" + nixos_entry("a", "./host.nix", "    ") + "  }"),
            "host.nix": """{ pkgs, ... }:
{
  users.users.kim = {
    isNormalUser = true;
    packages = [ pkgs.home-manager ];
  };
  users.users.git = {
    isSystemUser = true;
    group = "git";
    packages = [ pkgs.git ];
  };
}
""",
        },
    )
    index = build_index(load_repo(root))
    assert not lint(Facts(index), {"HW002"})
    assert [u.name for u in index.normal_users] == ["kim"]
    plan = plan_migration(index, MigrateOptions())
    assert "host.nix" not in {str(e.path) for e in plan.edits}


STARTER_STANDARD = {
    "flake.nix": hm_flake_of(
        "{ self, nixpkgs, home-manager, ... }@inputs",
        """    let
      inherit (self) outputs;
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = nixpkgs.lib.genAttrs systems;
    in
    {
      packages = forAllSystems (system: import ./pkgs nixpkgs.legacyPackages.${system});
      overlays = import ./overlays { inherit inputs; };
      nixosModules = import ./modules/nixos;
      homeManagerModules = import ./modules/home-manager;
      nixosConfigurations = {
        box = nixpkgs.lib.nixosSystem {
          specialArgs = { inherit inputs outputs; };
          modules = [ ./nixos/configuration.nix ];
        };
      };
      homeConfigurations = {
        "kim@box" = home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          extraSpecialArgs = { inherit inputs outputs; };
          modules = [ ./home-manager/home.nix ];
        };
      };
    };
""",
        owner="nixos",
        gap="",
    ),
    "pkgs/default.nix": "pkgs: { }\n",
    "overlays/default.nix": "{ inputs, ... }:\n{\n  additions = final: _prev: { };\n}\n",
    "modules/nixos/default.nix": "{ }\n",
    "modules/home-manager/default.nix": "{ }\n",
    "nixos/configuration.nix": """{ inputs, outputs, lib, config, pkgs, ... }:
{
  imports = [ ./hardware-configuration.nix ];
  nixpkgs.overlays = [ outputs.overlays.additions ];
  nixpkgs.config.allowUnfree = true;
  networking.hostName = "box";
  users.users.kim = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
  };
  system.stateVersion = "25.05";
}
""",
    "nixos/hardware-configuration.nix": '{ fileSystems."/".device = "/dev/sda1"; }\n',
    "home-manager/home.nix": """{ inputs, outputs, lib, config, pkgs, ... }:
{
  nixpkgs = {
    overlays = [ outputs.overlays.additions ];
    config.allowUnfree = true;
  };
  home.username = "kim";
  home.homeDirectory = "/home/kim";
  programs.home-manager.enable = true;
  programs.git.enable = true;
  home.stateVersion = "25.05";
}
""",
}


def test_starter_standard_layout_checks_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the most copied template (standalone home-manager whose home.nix sets `nixpkgs.*`)
    is already in the target shape; check must not report errors on it. Written here after the
    shape of nix-starter-configs "standard"."""
    from homeward.cli import main

    write(tmp_path / "repo", STARTER_STANDARD)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    code = main(["check", "repo"])
    out = capsys.readouterr().out
    assert code == 0, out


DARWIN_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
  inputs.nix-darwin.inputs.nixpkgs.follows = "nixpkgs";
  outputs =
    { self, nixpkgs, nix-darwin, ... }:
    {
      nixosConfigurations.pc = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./shared.nix { users.users.kim.isNormalUser = true; } ];
      };
      darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
        system = "aarch64-darwin";
        modules = [ ./shared.nix ];
      };
      nixosModules.shared = ./shared.nix;
    };
}
"""


@pytest.mark.nix
def test_verify_compares_darwin_hosts_and_lists_what_it_cannot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: verify never looked at `darwinConfigurations`: a package a Mac lost went unseen,
    and "no difference" was said while an output went uncompared."""
    from homeward.cli import main
    from tests.helpers import git, make_git_repo

    repo = make_git_repo(
        write(
            tmp_path / "repo",
            {
                "flake.nix": DARWIN_FLAKE,
                "shared.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git pkgs.jq ];\n}\n",
            },
        )
    )
    overrides = standin_overrides("nixpkgs", "nix-darwin")
    code = main(["verify", str(repo), *overrides])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "mac: kim" in out and "pc: kim" in out
    assert out.rstrip().endswith("not compared: nixosModules.shared")
    # The Mac loses a package: verify sees it.
    (repo / "shared.nix").write_text(
        "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n"
    )
    git(repo, "add", "-A")
    code = main(["verify", str(repo), *overrides])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert "mac: kim: 1 package lost" in out


def test_user_names_from_special_args_are_resolved(tmp_path: Path) -> None:
    """Why: `users.users.${username}` with `username` from `specialArgs` refused the whole
    migration (corpus: 4 configurations); the name is known on every host."""
    from homeward.model.index import build_index

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    mylib = import ./lib { inherit inputs; };
  in {
    nixosConfigurations.box = mylib.mkSystem { hostname = "box"; username = "kim"; };
  }"""
            ),
            "lib/default.nix": """{ inputs }:
{
  mkSystem = { hostname, username }: inputs.nixpkgs.lib.nixosSystem {
    specialArgs = { inherit hostname username; };
    modules = [ ../hosts/${hostname} ../modules/user.nix ];
  };
}
""",
            "hosts/box/default.nix": HOST,
            "modules/user.nix": """{ pkgs, username, ... }:
let
  shell = pkgs.fish;
in
{
  users.users.${username} = {
    isNormalUser = true;
    inherit shell;
    packages = [ pkgs.git ];
  };
}
""",
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["box"]
    assert repo.modules["hosts/box/default.nix"].hosts == {"box"}
    index = build_index(repo)
    assert [u.name for u in index.normal_users] == ["kim"]
    assert ("users", "users", "kim", "packages") in [
        d.path for d in repo.modules["modules/user.nix"].module.definitions
    ]


def test_computed_user_names_are_named_only_where_packages_may_be(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: `users.users.${config.my.user}.extraGroups = [ "docker" ];` stays a NixOS option
    whoever the user is, yet each such line got "cannot tell which user" (94 warnings on 15
    corpus configurations, 4 of them about packages or a whole account)."""
    from homeward.cli import main

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
                '    system = "x86_64-linux";\n'
                "    modules = [ ./hosts/box.nix ./modules/groups.nix ];\n  }; }"
            ),
            "hosts/box.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.git ];\n}\n",
            "modules/groups.nix": "{ config, pkgs, ... }:\n{\n"
            '  users.users.${config.my.user}.extraGroups = [ "docker" ];\n'
            "  users.users.${config.my.user}.shell = pkgs.zsh;\n"
            "  users.users.${config.my.user}.packages = [ pkgs.jq ];\n"
            "  users.users.${config.my.other} = config.my.account;\n}\n",
        },
    )
    monkeypatch.chdir(root)
    main(["migrate", "--dry-run", "."])
    err = capsys.readouterr().err
    named = sorted(
        line.split(": warning")[0] for line in err.splitlines() if "cannot tell which user" in line
    )
    assert named == ["modules/groups.nix:5:3", "modules/groups.nix:6:3"]


def test_a_computed_account_shared_by_hosts_is_named_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: `users.users.${cfg.name} = { ... } // cfg.extraOptions;` in a module of six hosts
    got "cannot tell which user" once and "is computed" six times, at the same place."""
    from homeward.cli import main

    hosts = "".join(
        f"    {h} = nixpkgs.lib.nixosSystem {{ modules = [ ./hosts/{h}.nix ./user.nix ]; }};\n"
        for h in ("a", "b", "c")
    )
    root = write(
        tmp_path,
        {
            "flake.nix": flake("{ nixosConfigurations = {\n" + hosts + "  }; }"),
            **{f"hosts/{h}.nix": "{ users.users.kim.isNormalUser = true; }\n" for h in "abc"},
            "user.nix": "{ config, lib, ... }:\n{\n"
            "  users.users.kim = lib.mkMerge [ { } config.my.kim ];\n"
            "  users.users.${config.my.name} = { isNormalUser = true; } // config.my.extra;\n}\n",
        },
    )
    monkeypatch.chdir(root)
    main(["migrate", "--dry-run", "."])
    err = capsys.readouterr().err
    said = [line.split(": warning: ")[1] for line in err.splitlines() if ": warning: " in line]
    assert said == [
        (
            "cannot tell which user `users.users.${config.my.name}` is: the name is the value of "
            "`config.my.name`, an option homeward does not evaluate; it is left as it is"
        ),
        "`users.users.kim` is computed (`config.my.kim`): packages in it are not moved",
    ], err


def test_a_user_name_from_special_args_is_known_in_an_exported_module(tmp_path: Path) -> None:
    """Why: a module the flake exports (`nixosModules.users = ./users.nix;`) is read for that
    export too, whose arguments are another flake's; the name `${username}` the hosts give
    it through `specialArgs` was then "computed", and the account not known to be kim's."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{\n    nixosModules.users = ./users.nix;\n"
                "    nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
                '      specialArgs = { username = "kim"; };\n'
                "      modules = [ ./users.nix ];\n    };\n  }"
            ),
            "users.nix": "{ pkgs, username, ... }:\n{\n"
            "  users.users.${username}.isNormalUser = true;\n"
            "  users.users.${username}.packages = [ pkgs.jq ];\n}\n",
        },
    )
    repo = load_repo(root)
    paths = [d.path for d in repo.modules["users.nix"].module.definitions]
    assert ("users", "users", "kim", "packages") in paths, paths


@pytest.mark.parametrize(
    ("module", "why", "hint"),
    [
        (
            (
                "{ config, pkgs, ... }:\nlet\n  cfg = config.my.user;\n  inherit (cfg.account) name;\n"
                "in\n{\n  users.users.${name}.packages = [ pkgs.jq ];\n}\n"
            ),
            (
                "`users.users.${name}` is: the name is the value of `config.my.user.account.name`, "
                "an option homeward does not evaluate"
            ),
            "write the user name out",
        ),
        (
            "{ pkgs, username, ... }:\n{\n  users.users.${username}.packages = [ pkgs.jq ];\n}\n",
            (
                "`users.users.${username}` is: the name is read from the argument `username`, which "
                "homeward cannot compute"
            ),
            (
                "write the user name out, or give `username` in the host's `specialArgs` "
                "(homeward does not read `_module.args`)"
            ),
        ),
        (
            (
                "{ pkgs, ... }:\nlet\n  names = builtins.attrNames (builtins.readDir /home);\nin\n"
                '{\n  users.users."${builtins.head names}".packages = [ pkgs.jq ];\n}\n'
            ),
            "`users.users.${builtins.head names}` is: the name is computed",
            "write the user name out",
        ),
    ],
    ids=["option", "argument", "computed"],
)
def test_a_computed_user_name_says_where_it_comes_from(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    module: str,
    why: str,
    hint: str,
) -> None:
    """Why: every computed name got the hint "pass it in `specialArgs`", also the value of an
    option (`cfg.name` with `cfg = config.khanelinix.user;`: khaneliman, givonwash, hlissner,
    sumitftr), which no argument gives; the name and where it comes from are now said."""
    from homeward.cli import main

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
                '    system = "x86_64-linux";\n'
                "    modules = [ ./hosts/box.nix ./modules/user.nix ];\n  }; }"
            ),
            "hosts/box.nix": "{ users.users.kim.isNormalUser = true; }\n",
            "modules/user.nix": module,
        },
    )
    monkeypatch.chdir(root)
    main(["migrate", "--dry-run", "."])
    err = capsys.readouterr().err
    assert f"warning: cannot tell which user {why}; it is left as it is\n  hint: {hint}\n" in err, (
        err
    )


def migrated(tmp_path: Path, files: Mapping[str, str | bytes]) -> Path:
    """`homeward migrate` on a git repository holding `files`; a second run changes nothing."""
    from homeward.cli import main
    from tests.helpers import git, make_git_repo

    repo = make_git_repo(write(tmp_path / "repo", files))
    assert main(["migrate", str(repo)]) == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "migrated")
    assert main(["migrate", str(repo), "--check"]) == 0
    return repo


def test_wiring_goes_into_the_hosts_module_list_not_a_list_inside_it(tmp_path: Path) -> None:
    """Why: with `modules = common ++ [ ... { boot.kernelModules = [ ... ]; } ]` the home-manager
    module was inserted into `boot.kernelModules`; the result parsed and broke every host."""
    repo = migrated(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    common = [ ./common.nix ];
  in {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = common ++ [
        ./hosts/a
        { boot.kernelModules = [ "kvm-intel" ]; swapDevices = [ ]; }
      ];
    };
  }"""
            ),
            "common.nix": "{ }\n",
            "hosts/a/default.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.htop ];\n}\n",
        },
    )
    text = (repo / "flake.nix").read_text()
    assert 'boot.kernelModules = [ "kvm-intel" ];' in text
    assert "swapDevices = [ ];" in text
    top = text[text.index("modules = common ++ [") :]
    assert top.index("home-manager.nixosModules.home-manager") < top.index("];\n    };")


def test_home_manager_follows_the_nixpkgs_the_hosts_use(tmp_path: Path) -> None:
    """Why: the home-manager input followed `nixpkgs` (unstable) while every host was built
    with `nixpkgs-stable`; its branch must be the hosts' (release-25.05)."""
    repo = migrated(
        tmp_path,
        {
            "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.nixpkgs-stable.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs = { self, nixpkgs, nixpkgs-stable, ... }: {
    nixosConfigurations.a = nixpkgs-stable.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./host.nix ];
    };
  };
}
""",
            "host.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.htop ];\n}\n",
        },
    )
    text = (repo / "flake.nix").read_text()
    assert "github:nix-community/home-manager/release-25.05" in text
    assert 'inputs.nixpkgs.follows = "nixpkgs-stable"' in text
    assert 'home.stateVersion = "25.05";' in (repo / "home/kim/default.nix").read_text()


def test_tracking_warning_compares_the_branches(tmp_path: Path) -> None:
    """Why: "does not track nixpkgs' branch" fired although home-manager release-25.05 tracks
    nixos-25.05 (it compared the wrong URL)."""
    from homeward.model.index import build_index
    from homeward.plan.checks import mismatches

    def warnings(hm: str) -> list[str]:
        root = write(
            tmp_path / hm.replace("/", "_"),
            {
                "flake.nix": flake(
                    "{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ]; }; }",
                    f'  inputs.home-manager.url = "{hm}";\n'
                    '  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";\n',
                )
            },
        )
        return [d.message for d in mismatches(build_index(load_repo(root)))]

    assert not [
        w for w in warnings("github:nix-community/home-manager/release-25.05") if "track" in w
    ]
    assert [w for w in warnings("github:nix-community/home-manager/release-24.11") if "track" in w]
    assert [w for w in warnings("github:nix-community/home-manager") if "track" in w]


def test_a_helper_calling_itself_is_followed_or_opaque_never_a_crash(tmp_path: Path) -> None:
    """Why: a self-recursive helper building hosts (`many = n: ... // many (n - 1)`) ran into
    Python's recursion limit: a traceback from graph and migrate."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    many = n: if n <= 0 then { } else {
      "vm-${toString n}" = nixpkgs.lib.nixosSystem { modules = [ ./vm.nix ]; };
    } // many (n - 1);
    forever = n: if self.stop then { } else forever (n + 1);
  in { nixosConfigurations = many 3 // forever 0; }"""
            ),
            "vm.nix": "{ }\n",
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["vm-1", "vm-2", "vm-3"]


def test_an_existing_home_that_sets_nixpkgs_is_wired_without_global_pkgs(tmp_path: Path) -> None:
    """Why: on the nix-starter-configs "standard" shape (a standalone home whose home.nix sets
    `nixpkgs.overlays` and `nixpkgs.config`), migrate wired that home into the NixOS module with
    `useGlobalPkgs = true`, which home-manager rejects."""
    files = dict(STARTER_STANDARD)
    files["nixos/configuration.nix"] = files["nixos/configuration.nix"].replace(
        'extraGroups = [ "wheel" ];', 'extraGroups = [ "wheel" ];\n    packages = [ pkgs.htop ];'
    )
    repo = migrated(tmp_path, files)
    text = (repo / "flake.nix").read_text()
    assert "home-manager.nixosModules.home-manager" in text
    assert "useGlobalPkgs" not in text
    assert "nixpkgs" in (repo / "home-manager/home.nix").read_text()


def test_missing_hardware_file_and_cachix_dir_scan_do_not_stop_migrate(tmp_path: Path) -> None:
    """Why: `hardware-configuration.nix` is often gitignored (generated on the machine), and
    `cachix.nix` imports every file of `./cachix` through `readDir`: the first refused every
    run, the second was an import homeward could not follow. The rest migrates."""
    repo = migrated(
        tmp_path,
        {
            "flake.nix": flake("{\n" + nixos_entry("a", "./configuration.nix", "    ") + "  }"),
            "configuration.nix": """{ pkgs, ... }:
{
  imports = [ ./hardware-configuration.nix ./cachix.nix ];
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.htop ];
}
""",
            "cachix.nix": """{ lib, ... }:
let
  folder = ./cachix;
  toImport = name: value: folder + ("/" + name);
  filterCaches = key: value: value == "regular" && lib.hasSuffix ".nix" key;
in
{
  imports = lib.mapAttrsToList toImport (lib.filterAttrs filterCaches (builtins.readDir folder));
}
""",
            "cachix/nix-community.nix": "{ nix.settings.substituters = [ ]; }\n",
        },
    )
    assert "pkgs.htop" not in (repo / "configuration.nix").read_text()
    assert "./hardware-configuration.nix" in (repo / "configuration.nix").read_text()
    loaded = load_repo(repo)
    assert "cachix/nix-community.nix" in loaded.modules
    missing = [p for p in loaded.problems if p.kind is ProblemKind.MISSING]
    assert [p.message for p in missing] == [
        "the import `hardware-configuration.nix` does not exist"
    ]
