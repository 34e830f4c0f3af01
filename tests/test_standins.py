"""The stand-in nixpkgs and home-manager flakes (tests/standins) behave like the real ones where
homeward depends on them: module merging, priorities, conditions, imports, home-manager's NixOS
module and standalone configurations, fake packages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from homeward.knowledge.mapping import PACKAGE_FEATURES
from homeward.nix import ops, run
from tests.helpers import STANDINS, standin_overrides

FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytestmark = pytest.mark.nix

PRELUDE = """{ standins }:
let
  load = dir: let self = (import (dir + "/flake.nix")).outputs { inherit self; }; in self;
  np = load (standins + "/nixpkgs");
  hm = load (standins + "/home-manager");
  lib = np.lib;
  pkgs = np.legacyPackages.x86_64-linux;
  names = map (p: p.pname or p.name);
  nixos = modules: (lib.nixosSystem { system = "x86_64-linux"; inherit modules; }).config;
in
"""


def evaluate(tmp_path: Path, body: str, files: dict[str, str] | None = None) -> Any:
    """`body` evaluated strictly to JSON, with the stand-ins in scope (see PRELUDE)."""
    for name, text in (files or {}).items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    expr = tmp_path / "expr.nix"
    expr.write_text(PRELUDE + body)
    p = run.run_instantiate(
        ["--eval", "--strict", "--json", str(expr), "--argstr", "standins", str(STANDINS)]
    )
    assert p.ok, p.stderr
    return json.loads(p.stdout)


def fails(tmp_path: Path, body: str, files: dict[str, str] | None = None) -> str:
    """The error nix prints for `body`."""
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    expr = tmp_path / "expr.nix"
    expr.write_text(PRELUDE + body)
    p = run.run_instantiate(
        ["--eval", "--strict", "--json", str(expr), "--argstr", "standins", str(STANDINS)]
    )
    assert not p.ok, p.stdout
    return p.stderr


# -- merging -----------------------------------------------------------------------------------
def test_priorities(tmp_path: Path) -> None:
    """Why: mkForce < plain < mkDefault < option default, as in nixpkgs; migrate keeps them."""
    got = evaluate(
        tmp_path,
        """
      let c = nixos [
        { networking.hostName = lib.mkDefault "default"; }
        { networking.hostName = "plain"; }
        { time.timeZone = lib.mkDefault "UTC"; }
        { time.timeZone = lib.mkForce "Europe/Berlin"; }
        { time.timeZone = "Asia/Tokyo"; }
        { boot.x = lib.mkOverride 900 1; }
        { boot.x = lib.mkDefault 2; }
      ];
      in { inherit (c.networking) hostName; inherit (c.time) timeZone; inherit (c.boot) x;
           defaulted = (nixos [ ]).networking.hostName; }
    """,
    )
    assert got == {"hostName": "plain", "timeZone": "Europe/Berlin", "x": 1, "defaulted": "nixos"}


def test_equal_values_merge_and_different_ones_conflict(tmp_path: Path) -> None:
    """Why: two different values of one priority are an error in NixOS; migrate must not
    create one, and verify must report it."""
    same = evaluate(
        tmp_path,
        'let c = nixos [ { time.timeZone = "UTC"; } { time.timeZone = "UTC"; } ]; '
        "in c.time.timeZone",
    )
    assert same == "UTC"
    err = fails(
        tmp_path,
        "let c = nixos [ ./a.nix ./b.nix ]; in c.time.timeZone",
        {"a.nix": '{ time.timeZone = "UTC"; }', "b.nix": '{ time.timeZone = "CET"; }'},
    )
    assert "conflicting definition values" in err
    assert "a.nix" in err and "b.nix" in err


def test_lists_concatenate_in_order(tmp_path: Path) -> None:
    """Why: package lists from many modules add up; mkBefore/mkAfter/mkOrder order them."""
    got = evaluate(
        tmp_path,
        """
      names (nixos [
        ({ pkgs, ... }: { environment.systemPackages = [ pkgs.vim ]; })
        ({ pkgs, ... }: { environment.systemPackages = lib.mkAfter [ pkgs.htop ]; })
        ({ pkgs, ... }: { environment.systemPackages = lib.mkBefore [ pkgs.git ]; })
        ({ pkgs, ... }: { environment.systemPackages = lib.mkOrder 1200 [ pkgs.jq ]; })
        ({ pkgs, ... }: { environment.systemPackages = [ pkgs.wget ]; })
      ]).environment.systemPackages
    """,
    )
    assert got == ["git", "vim", "wget", "jq", "htop"]


def test_attribute_sets_merge_recursively_everywhere(tmp_path: Path) -> None:
    """Why: undeclared options are free-form but still merge like NixOS options."""
    got = evaluate(
        tmp_path,
        """
      (nixos [
        { services.foo = { enable = true; settings.a = 1; }; }
        { services.foo.settings.b = [ 1 ]; }
        { services.foo.settings.b = [ 2 ]; }
      ]).services.foo
    """,
    )
    assert got == {"enable": True, "settings": {"a": 1, "b": [1, 2]}}


def test_mkif_reading_config_does_not_recurse(tmp_path: Path) -> None:
    """Why: conditions on `config` are everywhere (`config = mkIf cfg.enable {...}`); the names of
    a set never depend on a condition, as with NixOS's pushDownProperties."""
    got = evaluate(
        tmp_path,
        """
      let c = nixos [
        ({ config, lib, ... }: {
          config = lib.mkIf config.services.foo.enable { services.bar.enable = true; };
        })
        ({ config, lib, pkgs, ... }: {
          users.users.ham.packages = lib.mkIf config.programs.git.enable [ pkgs.git ];
          environment.variables = lib.mkIf (config.users.users.ham.packages != [ ]) {
            HAS_PACKAGES = "yes";
          };
        })
        { services.foo.enable = true; programs.git.enable = true; users.users.ham.isNormalUser = true; }
        ({ config, lib, ... }: { environment.variables.NEVER = lib.mkIf false "x"; })
        ({ config, lib, ... }: { services.baz = lib.mkIf (!config.services.foo.enable) { a = 1; }; })
      ];
      in {
        bar = c.services.bar.enable;
        pk = names c.users.users.ham.packages;
        vars = builtins.attrNames c.environment.variables;
        baz = c.services.baz;
      }
    """,
    )
    assert got == {"bar": True, "pk": ["git"], "vars": ["EDITOR", "HAS_PACKAGES"], "baz": {}}


def test_mkmerge_and_conditions_inside_it(tmp_path: Path) -> None:
    got = evaluate(
        tmp_path,
        """
      (nixos [
        ({ lib, ... }: {
          environment.shellAliases = lib.mkMerge [
            { gs = "git status"; }
            (lib.mkIf true { gd = "git diff"; })
            (lib.mkIf false { gx = "no"; })
          ];
        })
      ]).environment.shellAliases
    """,
    )
    assert got == {
        "gd": "git diff",
        "gs": "git status",
        "l": "ls -alh",
        "ll": "ls -l",
        "ls": "ls --color=tty",
    }


def test_full_form_modules_declare_options(tmp_path: Path) -> None:
    """Why: user repos declare their own options (`options.my.enable`) and set them elsewhere."""
    got = evaluate(
        tmp_path,
        """
      let c = nixos [
        ({ lib, config, ... }: {
          options.my = {
            enable = lib.mkEnableOption "mine";
            name = lib.mkOption { type = lib.types.str; default = "x"; apply = lib.toUpper; };
            tags = lib.mkOption { type = lib.types.listOf lib.types.str; default = [ "base" ]; };
          };
          config = lib.mkIf config.my.enable { environment.variables.MY = config.my.name; };
        })
        { my.enable = true; my.tags = [ "extra" ]; }
      ];
      in { inherit (c.my) enable name tags; my = c.environment.variables.MY; }
    """,
    )
    assert got == {"enable": True, "name": "X", "tags": ["extra"], "my": "X"}


# -- imports -----------------------------------------------------------------------------------
def test_imports_paths_directories_functions_and_dedup(tmp_path: Path) -> None:
    """Why: a file imported from two places is one module (NixOS keys modules by path); a
    directory means its default.nix; modulesPath modules exist offline."""
    files = {
        "shared.nix": "{ pkgs, ... }: { users.users.ham.packages = [ pkgs.jq ]; }",
        "dir/default.nix": '{ imports = [ ../shared.nix ]; networking.hostName = "dir"; }',
        "a.nix": "{ imports = [ ./shared.nix ./dir ]; }",
        "b.nix": (
            "{ modulesPath, ... }: { imports = [ ./shared.nix ./dir/default.nix "
            '(modulesPath + "/installer/scan/not-detected.nix") '
            '(modulesPath + "/profiles/qemu-guest.nix") ]; }'
        ),
    }
    got = evaluate(
        tmp_path,
        """
      let c = nixos [
        ./a.nix
        { imports = [ ./b.nix ({ ... }: { imports = [ { time.timeZone = "UTC"; } ]; }) ]; }
      ];
      in { pk = names c.users.users.ham.packages; h = c.networking.hostName; tz = c.time.timeZone; }
    """,
        files,
    )
    assert got == {"pk": ["jq"], "h": "dir", "tz": "UTC"}


def test_special_args_module_args_and_disabled_modules(tmp_path: Path) -> None:
    got = evaluate(
        tmp_path,
        """
      let sys = lib.nixosSystem {
        system = "aarch64-linux";
        specialArgs = { flavour = "salty"; };
        modules = [
          ({ flavour, ... }: { environment.variables.FLAVOUR = flavour; })
          { _module.args.colour = "blue"; }
          ({ colour, ... }: { environment.variables.COLOUR = colour; })
          { imports = [ ./off.nix ]; disabledModules = [ ./off.nix ]; }
        ];
      };
      in { inherit (sys.config.environment.variables) FLAVOUR COLOUR;
           off = sys.config.environment.variables ? OFF; system = sys.pkgs.system;
           hello = sys.pkgs.hello.outPath != (pkgs.hello.outPath); }
    """,
        {"off.nix": '{ environment.variables.OFF = "1"; }'},
    )
    assert got == {
        "FLAVOUR": "salty",
        "COLOUR": "blue",
        "off": False,
        "system": "aarch64-linux",
        "hello": True,
    }


def test_system_from_host_platform_and_overlays(tmp_path: Path) -> None:
    """Why: hardware-configuration.nix sets nixpkgs.hostPlatform instead of `system`."""
    got = evaluate(
        tmp_path,
        """
      let sys = lib.nixosSystem { modules = [
        { nixpkgs.hostPlatform = lib.mkDefault "aarch64-linux"; }
        { nixpkgs.overlays = [ (final: prev: { mytool = prev.hello // { pname = "mytool"; }; }) ]; }
        ({ pkgs, ... }: { users.users.ham.packages = [ pkgs.mytool ]; })
      ]; };
      in { system = sys.pkgs.system; pk = names sys.config.users.users.ham.packages; }
    """,
    )
    assert got == {"system": "aarch64-linux", "pk": ["mytool"]}


# -- packages and lib --------------------------------------------------------------------------
def test_fake_packages_look_like_derivations(tmp_path: Path) -> None:
    got = evaluate(
        tmp_path,
        """
      {
        rg = { inherit (pkgs.ripgrep) type name pname version; };
        drv = lib.isDerivation pkgs.ripgrep;
        store = lib.hasPrefix "/nix/store/" "${pkgs.ripgrep}";
        same = (pkgs.ripgrep.override { }).name == (pkgs.ripgrep.overrideAttrs (_: { })).name;
        py = (pkgs.python3.withPackages (ps: [ ps.requests ])).name;
        nested = map (p: p.pname) [ pkgs.python3Packages.requests pkgs.kdePackages.kate
          pkgs.jetbrains.idea-community pkgs.nerd-fonts.fira-code pkgs.gnome.nautilus
          pkgs.vscode-extensions.jnoortheen.nix-ide pkgs.nodePackages.prettier ];
        script = (pkgs.writeShellScriptBin "hi" "echo hi").name;
        shells = map (p: p.pname) [ pkgs.zsh pkgs.bash pkgs.fish ];
        systems = builtins.attrNames np.legacyPackages;
        imported = (import (standins + "/nixpkgs") { system = "x86_64-darwin"; }).hello.system;
      }
    """,
    )
    assert got["rg"] == {
        "type": "derivation",
        "name": "ripgrep-1.0",
        "pname": "ripgrep",
        "version": "1.0",
    }
    assert got["drv"] and got["store"] and got["same"]
    assert got["py"] == "python3-1.0-env"
    assert got["nested"] == [
        "python3-requests",
        "kate",
        "idea-community",
        "nerd-fonts-fira-code",
        "nautilus",
        "vscode-extension-jnoortheen-nix-ide",
        "node-prettier",
    ]
    assert got["script"] == "hi"
    assert got["shells"] == ["zsh", "bash", "fish"]
    assert got["systems"] == ["aarch64-darwin", "aarch64-linux", "x86_64-darwin", "x86_64-linux"]
    assert got["imported"] == "x86_64-darwin"


def test_every_mapped_package_exists(tmp_path: Path) -> None:
    """Why: migrate sorts packages by PACKAGE_FEATURES; fixtures may use any of them."""
    wanted = sorted({name for names in PACKAGE_FEATURES.values() for name in names})
    missing = evaluate(
        tmp_path,
        f"builtins.filter (n: !(pkgs ? ${{n}})) (builtins.fromJSON ''{json.dumps(wanted)}'')",
    )
    assert missing == []


def test_lib_functions(tmp_path: Path) -> None:
    got = evaluate(
        tmp_path,
        """
      with lib; {
        a = optional true 1 ++ optionals false [ 2 ] ++ flatten [ 3 [ 4 [ 5 ] ] ];
        b = genAttrs [ "x" "y" ] (n: n + n);
        c = mapAttrs' (n: v: nameValuePair "k${n}" v) { a = 1; };
        d = filterAttrs (n: v: v > 1) { a = 1; b = 2; };
        e = listToAttrs [ (nameValuePair "z" 0) ];
        f = attrNames { b = 1; a = 2; } ++ map toString (attrValues { a = 1; });
        g = foldl' (x: y: x + y) 0 [ 1 2 3 ];
        h = recursiveUpdate { a.b = 1; a.c = 2; } { a.b = 3; };
        i = [ (hasSuffix ".nix" "a.nix") (hasPrefix "a" "abc") (removeSuffix ".nix" "a.nix") ];
        j = [ (elem 2 [ 1 2 ]) (getName pkgs.ripgrep) (getName "foo-1.2") ];
        k = concatLists [ [ 1 ] [ 2 ] ] ++ unique [ 1 1 2 ] ++ attrValues (optionalAttrs false { x = 1; });
        l = [ (concatStringsSep "," [ "a" "b" ]) (toUpper "ab") (splitString "." "a.b.c") ];
        m = mapAttrsToList (n: v: n) { x = 1; } ++ [ (versionAtLeast "25.05" "24.11") ];
        n = [ (getExe pkgs.ripgrep) (makeBinPath [ pkgs.fd ]) ];
      }
    """,
    )
    assert got["a"] == [1, 3, 4, 5]
    assert got["b"] == {"x": "xx", "y": "yy"}
    assert got["c"] == {"ka": 1}
    assert got["d"] == {"b": 2}
    assert got["e"] == {"z": 0}
    assert got["f"] == ["a", "b", "1"]
    assert got["g"] == 6
    assert got["h"] == {"a": {"b": 3, "c": 2}}
    assert got["i"] == [True, True, "a"]
    assert got["j"] == [True, "ripgrep", "foo"]
    assert got["k"] == [1, 2, 1, 2]
    assert got["l"] == ["a,b", "AB", ["a", "b", "c"]]
    assert got["m"] == ["x", True]
    assert got["n"][0].endswith("-ripgrep-1.0/bin/ripgrep") and got["n"][1].endswith("/bin")


# -- home-manager ------------------------------------------------------------------------------
HM_HOST = """
  let sys = lib.nixosSystem {
    system = "x86_64-linux";
    modules = [
      hm.nixosModules.home-manager
      hm.nixosModules.default
      ({ pkgs, ... }: { users.users.ham = { isNormalUser = true; packages = [ pkgs.ripgrep ]; }; })
      ./host.nix
    ];
  };
  c = sys.config;
  in
"""


def test_home_manager_nixos_module(tmp_path: Path) -> None:
    """Why: migrate wires users through `home-manager.users.<u>`; with useUserPackages NixOS gets
    one `home-manager-path` package per user, never the packages themselves."""
    files = {
        "host.nix": """{ config, lib, ... }: {
          home-manager.useGlobalPkgs = true;
          home-manager.useUserPackages = true;
          home-manager.backupFileExtension = "hm-backup";
          home-manager.extraSpecialArgs = { flavour = "salty"; };
          home-manager.sharedModules = [ { home.sessionVariables.SHARED = "1"; } ];
          home-manager.users.ham = ./home.nix;
          networking.hostName = "desk";
        }""",
        "home.nix": """{ pkgs, osConfig, flavour, ... }: {
          imports = [ ./git.nix ];
          home.packages = [ pkgs.fd ];
          home.stateVersion = "25.05";
          home.sessionVariables.HOST = osConfig.networking.hostName;
          home.sessionVariables.FLAVOUR = flavour;
        }""",
        "git.nix": '{ programs.git = { enable = true; userName = "Ham"; }; }',
        "more.nix": "{ pkgs, ... }: { home.packages = [ pkgs.jq ]; }",
    }
    (tmp_path / "host2.nix").write_text(
        "{ lib, ... }: { home-manager.users.ham = { imports = [ ./more.nix ]; }; "
        'home-manager.users.ham.programs.git.settings.init.defaultBranch = "main"; }'
    )
    got = evaluate(
        tmp_path,
        HM_HOST.replace("./host.nix", "./host.nix ./host2.nix")
        + """{
          nixos = names c.users.users.ham.packages;
          home = names c.home-manager.users.ham.home.packages;
          who = [ c.home-manager.users.ham.home.username c.home-manager.users.ham.home.homeDirectory ];
          vars = c.home-manager.users.ham.home.sessionVariables;
          git = c.home-manager.users.ham.programs.git.settings;
          ext = c.home-manager.backupFileExtension;
        }""",
        files,
    )
    assert got["nixos"] == ["ripgrep", "home-manager-path"]
    assert sorted(got["home"]) == ["fd", "git", "jq"]
    assert got["who"] == ["ham", "/home/ham"]
    assert got["vars"] == {"FLAVOUR": "salty", "HOST": "desk", "SHARED": "1"}
    assert got["git"] == {"init": {"defaultBranch": "main"}, "user": {"name": "Ham"}}
    assert got["ext"] == "hm-backup"


def test_home_manager_without_user_packages(tmp_path: Path) -> None:
    """Why: without useUserPackages home-manager installs into the user's profile, not NixOS."""
    got = evaluate(
        tmp_path,
        HM_HOST
        + "{ nixos = names c.users.users.ham.packages; "
        + "home = names c.home-manager.users.ham.home.packages; }",
        {
            "host.nix": "{ home-manager.users.ham = { pkgs, ... }: { home.packages = [ pkgs.fd ]; }; }"
        },
    )
    assert got == {"nixos": ["ripgrep"], "home": ["fd"]}


def test_standalone_home_manager(tmp_path: Path) -> None:
    """Why: `homeConfigurations."u@h"` evaluates without NixOS: no osConfig, own CLI."""
    body = """
      let home = hm.lib.homeManagerConfiguration {
        inherit pkgs;
        extraSpecialArgs = { flavour = "sweet"; };
        modules = [ ./home.nix ];
      };
      in { pk = names home.config.home.packages; v = home.config.home.sessionVariables;
           act = home.activationPackage.name; who = home.config.home.username; }
    """
    home = """{ pkgs, lib, flavour, ... }: {
      home.username = "ham"; home.homeDirectory = "/home/ham"; home.stateVersion = "25.05";
      programs.home-manager.enable = true;
      home.packages = [ pkgs.fd ];
      home.sessionVariables.FLAVOUR = flavour;
      home.activation.hello = lib.hm.dag.entryAfter [ "writeBoundary" ] "echo hi";
    }"""
    got = evaluate(tmp_path, body, {"home.nix": home})
    assert got == {
        "pk": ["home-manager", "fd"],
        "v": {"FLAVOUR": "sweet"},
        "act": "home-manager-generation",
        "who": "ham",
    }
    err = fails(
        tmp_path,
        body,
        {
            "home.nix": "{ osConfig, ... }: { home.sessionVariables.H = osConfig.networking.hostName; }"
        },
    )
    assert "osConfig" in err


# -- extract.nix and the harness ---------------------------------------------------------------
def test_extract_outputs_standins_sees_the_same_before_and_after() -> None:
    """Why: migrate's tests check package conservation with this harness."""
    before = ops.extract_outputs_standins(FIXTURES / "verify" / "legacy", STANDINS)
    after = ops.extract_outputs_standins(FIXTURES / "verify" / "migrated", STANDINS)
    assert sorted(before.hosts) == sorted(after.hosts) == ["desk", "laptop"]
    desk_before = before.hosts["desk"].users["ham"]
    desk_after = after.hosts["desk"].users["ham"]
    assert desk_before.nixos_packages == ("fd", "firefox", "jq", "neovim", "ripgrep", "slack")
    assert desk_before.home_packages == () and not desk_before.home_manager
    assert desk_after.nixos_packages == ()
    assert desk_after.home_manager
    # home-manager's programs.git installs git; NixOS's programs.git installed it system-wide.
    assert desk_after.packages == desk_before.packages | {"git"}
    assert before.hosts["desk"].programs == ("git", "zsh")
    assert desk_after.settings == desk_before.settings
    assert desk_before.settings["git.user.email"] == "ham@example.org"
    assert desk_after.nixos_settings["sessionVariables.EDITOR"] == "nano"
    assert desk_after.settings["sessionVariables.EDITOR"] == "nvim"
    assert "powertop" in after.hosts["laptop"].users["ham"].packages
    assert "powertop" not in desk_after.packages
    assert sorted(after.homes) == ["ham@desk", "ham@laptop"]
    assert set(after.homes["ham@desk"].packages) == desk_after.packages | {"home-manager"}


def test_record_standins_lists_what_each_call_received() -> None:
    rec = ops.record_standins(FIXTURES / "verify" / "migrated", STANDINS)
    desk = rec.hosts["desk"]
    assert desk.system == "x86_64-linux"
    assert desk.special_args == ("inputs",)
    assert [m.kind for m in desk.modules] == ["path", "attrs", "attrs"]
    assert desk.modules[0].path == "hosts/desk"
    assert desk.modules[1].key == "home-manager#nixos-module"
    assert desk.modules[2].names == ("home-manager",)
    home = rec.homes["ham@desk"]
    assert [m.path for m in home.modules] == ["home/ham/desk.nix"]


def test_extract_survives_missing_options(tmp_path: Path) -> None:
    """Why: real configurations lack options the stand-ins declare; extract.nix must not force
    them (users without packages, no home-manager, git config as a list)."""
    expr = tmp_path / "x.nix"
    expr.write_text(
        "{ extract }: import extract { outputs = {\n"
        "  nixosConfigurations.h.config = {\n"
        "    users.users.a = { isNormalUser = true; };\n"
        "    users.users.root = { isNormalUser = false; packages = [ ]; };\n"
        '    programs.git = { enable = true; config = [ { user.name = "A"; } { user.name = "B"; core.x = [ 1 true ]; } ]; };\n'
        '    environment.variables = { PATHS = [ "/a" "/b" ]; BAD = throw "no"; };\n'
        "  };\n"
        '  homeConfigurations."a@h".config = { programs.git = { enable = true; userName = "C"; aliases.co = "checkout"; }; };\n'
        "}; }\n"
    )
    p = run.run_instantiate(
        ["--eval", "--strict", "--json", str(expr), "--arg", "extract", str(ops.EXTRACT_NIX)]
    )
    assert p.ok, p.stderr
    got = json.loads(p.stdout)
    user = got["hosts"]["h"]["users"]["a"]
    assert user["nixos_packages"] == [] and user["home_packages"] == []
    assert user["settings"] == {
        "git.core.x": '["1","true"]',
        "git.user.name": "B",
        "sessionVariables.BAD": "<error>",
        "sessionVariables.PATHS": "/a:/b",
    }
    assert got["homes"]["a@h"]["settings"] == {"git.alias.co": "checkout", "git.user.name": "C"}


def test_standin_flakes_evaluate_through_flakes(tmp_path: Path) -> None:
    """Why: verify and the demo use them as flake inputs (`path:`), copied into the store."""
    out = run.run_nix(
        ["eval", "--json", f"path:{STANDINS / 'nixpkgs'}#legacyPackages.x86_64-linux.hello.name"],
        cwd=tmp_path,
    )
    assert json.loads(out) == "hello-1.0"
    out = run.run_nix(
        ["eval", "--json", f"path:{STANDINS / 'home-manager'}#nixosModules.default.key"],
        cwd=tmp_path,
    )
    assert json.loads(out) == "home-manager#nixos-module"


def test_flake_parts_standin(tmp_path: Path) -> None:
    """Why: many configurations are built with flake-parts; `flake`, `imports` and `perSystem`
    work through the real flake machinery with the stand-ins as inputs."""
    (tmp_path / "parts").mkdir()
    (tmp_path / "flake.nix").write_text(
        """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  outputs = inputs@{ flake-parts, nixpkgs, ... }:
    flake-parts.lib.mkFlake { inherit inputs; } {
      systems = [ "x86_64-linux" "aarch64-linux" ];
      imports = [ ./parts/host.nix ];
      perSystem = { pkgs, system, ... }: { packages.default = pkgs.hello; };
      flake.answer = 42;
    };
}
"""
    )
    (tmp_path / "parts" / "host.nix").write_text(
        """{ inputs, self, withSystem, ... }: {
  flake.nixosConfigurations.box = inputs.nixpkgs.lib.nixosSystem {
    system = "x86_64-linux";
    modules = [ ({ pkgs, ... }: { users.users.ham = { isNormalUser = true; packages = [ pkgs.jq ]; }; }) ];
  };
  flake.hello = withSystem "x86_64-linux" ({ config, ... }: config.packages.default.name);
}
"""
    )
    overrides = standin_overrides("nixpkgs", "flake-parts")
    out = run.run_nix(["eval", "--json", f"path:{tmp_path}#answer", *overrides], cwd=tmp_path)
    assert json.loads(out) == 42
    out = run.run_nix(
        ["eval", "--json", f"path:{tmp_path}#packages.aarch64-linux.default.system", *overrides],
        cwd=tmp_path,
    )
    assert json.loads(out) == "aarch64-linux"
    out = run.run_nix(["eval", "--json", f"path:{tmp_path}#hello", *overrides], cwd=tmp_path)
    assert json.loads(out) == "hello-1.0"
    got = ops.extract_outputs_standins(tmp_path, STANDINS)
    assert got.hosts["box"].users["ham"].nixos_packages == ("jq",)


def test_module_errors_are_clear(tmp_path: Path) -> None:
    """Why: mistakes NixOS rejects must not evaluate silently in the stand-in either."""
    err = fails(
        tmp_path,
        '(nixos [ { config.time.timeZone = "UTC"; networking.hostName = "x"; } ]).time',
    )
    assert "`networking`: move them into `config`" in err
    err = fails(tmp_path, '(nixos [ { time.timeZone = lib.mkIf "yes" "UTC"; } ]).time.timeZone')
    assert "condition that is not a Boolean" in err
    err = fails(tmp_path, "(nixos [ ({ nothing, ... }: { time.timeZone = nothing; }) ]).time")
    assert "the argument `nothing`" in err
