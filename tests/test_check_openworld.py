"""`homeward check` in the open world (issue 11): what it cannot see is not an error.

Each case is reduced from a real configuration of the corpus (named in its docstring) and
written anew on the `clean` fixture of tests/test_check.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.test_check import HOST, Case, run_check

# A host module that builds `home-manager.users` with a function: the homes' modules are
# computed (librephoenix/nixos-config hosts/<host>/default.nix).
COMPUTED_HOMES = """{ lib, ... }:
{
  home-manager.users = lib.genAttrs [ "ham" ] (user: {
    imports = [ ./home-options.nix ];
  });
}
"""
HOME_OPTIONS = """{ lib, ... }:
{
  options.userSettings.name = lib.mkOption { type = lib.types.str; };
}
"""


def test_an_option_a_computed_home_module_may_declare_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: librephoenix/nixos-config hosts/duskfall/configuration.nix:52 sets
    `home-manager.users.emmet.userSettings` while another module of the host builds
    `home-manager.users` with `listToAttrs (map …)` importing modules that declare
    `options.userSettings`: homeward cannot see them, so "home-manager has no option
    `userSettings`" was a false error (and HW007 too)."""
    case = Case(
        {
            HOST: (
                "    ../../modules/system/users.nix\n",
                "    ../../modules/system/users.nix\n    ./homes.nix\n",
            ),
            f"{HOST}#2": (
                '  system.stateVersion = "25.05";\n',
                (
                    '  system.stateVersion = "25.05";\n'
                    '  home-manager.users.ham.userSettings.name = "Ham";\n'
                ),
            ),
            "hosts/desk/homes.nix": COMPUTED_HOMES,
            "hosts/desk/home-options.nix": HOME_OPTIONS,
        }
    )
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert "HW004" not in ran.out
    assert ran.code == 0, ran.out
    # What homeward cannot see is said once, where it is written.
    assert (
        "repo/hosts/desk/homes.nix:3:3: HW012 warning: `home-manager.users` is computed: "
        "homeward cannot see which homes it defines, nor their modules\n"
    ) in ran.out


def test_a_home_under_a_computed_name_is_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: dougie23fresh/nixos_config flake.nix:113 `home-manager.users.${username}` with a
    name homeward cannot compute: the home is not checked, and `check` says so."""
    case = Case(
        {
            "flake.nix": (
                "home-manager.users.ham = import ./home/ham;",
                "home-manager.users.${someone} = import ./home/ham;",
            ),
        }
    )
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert (
        "HW012 warning: cannot tell whose home `home-manager.users.${…}` is: the name is computed"
    ) in ran.out
    assert ran.out.count("HW012") == 1


def test_an_option_the_repository_declares_is_no_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: an option declared by the repository's own home-manager modules exists."""
    case = Case(
        {
            "home/ham/default.nix": ("./features/cli.nix", "./features/cli.nix\n    ./options.nix"),
            "home/ham/options.nix": HOME_OPTIONS,
            "flake.nix": (
                "home-manager.users.ham = import ./home/ham;",
                'home-manager.users.ham = { imports = [ ./home/ham ]; userSettings.name = "Ham"; };',
            ),
        }
    )
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert "HW004" not in ran.out
    assert ran.code == 0, ran.out


# -- the home-manager branch warning (migrate's "does not track nixpkgs' branch") ---------------

STABLE_INPUTS = """  inputs = {
    nixpkgs.url = "github:nixos/nixpkgs/nixos-unstable";
    nixpkgs-stable.url = "github:NixOS/nixpkgs/nixos-25.11";
    home-manager.url = "github:nix-community/home-manager/release-25.11";
    home-manager.inputs.nixpkgs.follows = "nixpkgs-stable";
  };
"""


@pytest.mark.parametrize(
    ("inputs", "outputs"),
    [
        pytest.param(
            STABLE_INPUTS,
            "let lib = nixpkgs-stable.lib; in "
            "{ nixosConfigurations.a = lib.nixosSystem { modules = [ ./a.nix ]; }; }",
            id="let-bound-lib-of-the-stable-input",
        ),
        pytest.param(
            STABLE_INPUTS,
            "let mkHost = name: inputs.nixpkgs-stable.lib.nixosSystem { modules = [ ./a.nix ]; }; "
            'in { nixosConfigurations.a = mkHost "a"; }',
            id="helper-on-the-stable-input",
        ),
        pytest.param(
            STABLE_INPUTS,
            "{ nixosConfigurations.a = nixpkgs-stable.lib.nixosSystem { modules = [ ./a.nix ]; };"
            " nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; }; }",
            id="hosts-on-two-inputs-home-manager-follows-one",
        ),
        pytest.param(
            """  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs?ref=nixos-25.05";
    home-manager.url = "github:Nix-Community/Home-Manager?ref=release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
  };
""",
            "{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; }; }",
            id="ref-query-and-case-of-owner-and-repo",
        ),
        pytest.param(
            """  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
    nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
  };
""",
            "{ darwinConfigurations.m = inputs.nix-darwin.lib.darwinSystem "
            "{ modules = [ ./a.nix ]; }; "
            "nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; }; }",
            id="darwin-branch-of-nixpkgs",
        ),
    ],
)
def test_the_tracking_warning_compares_the_nixpkgs_home_manager_is_built_with(
    tmp_path: Path, inputs: str, outputs: str
) -> None:
    """Why: corpus notes (4leite, dougie23fresh, osamaghox, reckenrode …): "the `home-manager`
    input (…/release-25.05) does not track nixpkgs' branch (github:nixos/nixpkgs/nixos-25.05)"
    although they match: the URL compared must be the one of the nixpkgs the hosts really use
    (or that home-manager follows), whatever its name and form."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.checks import mismatches

    (tmp_path / "flake.nix").write_text(
        "{\n" + inputs + "  outputs = { self, nixpkgs, nixpkgs-stable ? null, ... }@inputs: "
        f"{outputs};\n}}\n"
    )
    (tmp_path / "a.nix").write_text("{ }\n")
    messages = [d.message for d in mismatches(build_index(load_repo(tmp_path)))]
    assert not [m for m in messages if "track" in m or "follow" in m], messages


def test_the_tracking_warning_still_fires_on_another_branch(tmp_path: Path) -> None:
    """Why: the comparison must still be able to fail."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.checks import mismatches

    (tmp_path / "flake.nix").write_text(
        "{\n"
        + STABLE_INPUTS.replace("release-25.11", "release-25.05")
        + "  outputs = { self, nixpkgs, nixpkgs-stable, ... }@inputs: "
        "{ nixosConfigurations.a = nixpkgs-stable.lib.nixosSystem { modules = [ ./a.nix ]; }; };\n"
        "}\n"
    )
    (tmp_path / "a.nix").write_text("{ }\n")
    messages = [d.message for d in mismatches(build_index(load_repo(tmp_path)))]
    assert [m for m in messages if "does not track nixpkgs' branch" in m and "25.11" in m]


# -- HW001: a file of user-level definitions, or one migrate keeps ---------------------------------

IMPORTS_USERS = "    ../../modules/system/users.nix\n"


def _importing(extra: str) -> tuple[str, str]:
    return (IMPORTS_USERS, IMPORTS_USERS + extra)


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(
            {
                HOST: _importing("    ./sys-configs/system-variables.nix\n"),
                "hosts/desk/sys-configs/system-variables.nix": "{ ... }:\n{\n"
                '  environment.variables = {\n    EDITOR = "nvim";\n'
                '    SSH_AUTH_SOCK = "/home/ham/.bitwarden-ssh-agent.sock";\n  };\n}\n',
            },
            id="system-variables-file",  # naurias/nixsys, XNM1 environment-variables.nix
        ),
        pytest.param(
            {
                HOST: _importing("    ../../system\n"),
                "system/default.nix": "{ ... }:\n{\n  imports = [ ./modules.nix ];\n"
                '  environment.variables.FLAKE_PATH = "/home/ham/src/flake";\n}\n',
                "system/modules.nix": "{ services.openssh.enable = true; }\n",
            },
            id="system-root-with-one-variable",  # Prouk/Flouk system/default.nix
        ),
    ],
)
def test_system_wide_variables_are_not_a_user_file(
    files: dict[str, str | tuple[str, str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why: naurias/nixsys hosts/nixreaper/sys-configs/system-variables.nix and Prouk/Flouk
    system/default.nix hold only `environment.variables` (the second also imports the whole
    system): HW001 called each "a file of user-level definitions only" (an error, "fixable")
    before and after migrate, which never moves it. Variables in a system module are
    system-wide on purpose (every user and root gets them), as HW003 already says."""
    ran = run_check(Case(dict(files)), tmp_path, monkeypatch, capsys)
    assert "HW001" not in ran.out
    assert ran.code == 0, ran.out


def test_a_nixos_module_under_home_that_migrate_keeps_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: anotherhadi/nixy hosts/laptop/configuration.nix:18 imports
    `home/programs/gui/helium/system.nix`, a NixOS module (system-wide browser policies) kept
    under `home/`, on hosts with several users: HW001 was an error, but migrate does not move
    it (no one user owns it), so check failed after migrate (issue 13: fixable means fixed;
    issue 11: migrate's output passes check). Still reported, as a warning that says migrate
    keeps it."""
    import json

    case = Case(
        {
            HOST: _importing("    ../../home/programs/browser/system.nix\n"),
            "modules/system/users.nix": (
                "  programs.zsh.enable = true;\n",
                "  programs.zsh.enable = true;\n  users.users.eve.isNormalUser = true;\n",
            ),
            "home/programs/browser/system.nix": "{ ... }:\n{\n"
            "  programs.chromium.enable = true;\n"
            "  programs.chromium.extraOpts.BrowserSignin = 0;\n}\n",
        }
    )
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert "HW001 warning: `home/programs/browser/system.nix` is a user file" in ran.out
    assert "keeps it" in ran.out and "fixable" not in ran.out
    assert ran.code == 0, ran.out
    ran = run_check(case, tmp_path / "json", monkeypatch, capsys, "--format", "json")
    found = [f for f in json.loads(ran.out)["findings"] if f["code"] == "HW001"]
    assert [(f["severity"], f["fixable"]) for f in found] == [("warning", False)]


# -- HW019: the home directory a Mac's home really gets --------------------------------------------


def test_a_linux_home_directory_overridden_by_the_mac_module_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: carschandler/nixos home/shared/default.nix:48 sets `homeDirectory =
    "/home/${config.home.username}"` for every home, and home/mac/default.nix overrides it with
    `lib.mkForce "/Users/chan"` in the Mac's homes: HW019 reported the value that loses."""

    from tests.helpers import check_findings, make_git_repo
    from tests.test_check_darwin import FLAKE, HOME, MAC

    def hw019(shared: str, mac_home: str) -> list[str]:
        root = tmp_path / str(len(list(tmp_path.iterdir()))) / "repo"
        root.mkdir(parents=True)
        (root / "flake.nix").write_text(
            FLAKE.replace("modules = [ ./home.nix ];", "modules = [ ./shared.nix ./mac-home.nix ];")
        )
        (root / "mac.nix").write_text(MAC)
        (root / "home.nix").write_text(HOME)
        (root / "shared.nix").write_text(
            '{ config, ... }:\n{\n  home.username = "ham";\n'
            f"  home.homeDirectory = {shared};\n}}\n"
        )
        (root / "mac-home.nix").write_text(
            "{ lib, ... }:\n{\n"
            f"  home.homeDirectory = {mac_home};\n"
            '  home.stateVersion = "25.05";\n}\n'
        )
        make_git_repo(root)
        found = check_findings(root, capsys)
        return [
            f"{f['path'].rsplit('/', 1)[-1]}:{f['line']}" for f in found if f["code"] == "HW019"
        ]

    assert hw019('"/home/${config.home.username}"', 'lib.mkForce "/Users/ham"') == []
    assert hw019('lib.mkDefault "/home/ham"', '"/Users/ham"') == []
    # The one that wins is still reported.
    assert hw019('lib.mkForce "/home/ham"', '"/Users/ham"') == ["shared.nix:4"]


# -- how much `check` read ------------------------------------------------------------------------


def test_check_says_first_how_much_it_read_and_what_it_could_not_resolve(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: issue 11: `check` prints how much it saw (hosts, users, files, opaque modules) and
    reports an unresolved output as a finding; a host it did not find shows in the count."""
    import json

    case = Case(
        {
            "flake.nix": (
                "      homeConfigurations.",
                (
                    "      nixosConfigurations.more = builtins.fromJSON (builtins.readFile ./more.json);\n"
                    "      homeConfigurations."
                ),
            )
        }
    )
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    lines = ran.out.splitlines()
    assert lines[0] == "read 1 host, 1 home, 1 user, 7 files; 1 output not resolved; nothing opaque"
    assert "HW012 warning: cannot resolve `nixosConfigurations.more` statically" in ran.out
    ran = run_check(case, tmp_path / "json", monkeypatch, capsys, "--format", "json")
    seen = json.loads(ran.out)["seen"]
    assert (seen["hosts"], seen["unresolved_outputs"], seen["opaque_modules"]) == (1, 1, 0)


# -- HW004 where modules homeward cannot see may declare the option --------------------------------

XENON_INPUT = '    xenon.url = "github:LongerHV/xenon";\n'


def test_an_inputs_home_manager_modules_merged_into_the_list_may_declare_options(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: LongerHV/nixos-configuration flake.nix:79 `homeManagerModules = (import
    ./modules/home-manager) // xenon.homeManagerModules`, then `modules = (builtins.attrValues
    homeManagerModules) ++ [ … ]`: `attrValues` dropped the input's part, so
    `programs.xenon` (declared there) was "home-manager has no option" (an error)."""
    from tests.test_check import FLAKE, HOME, MODULE_WIRING

    case = Case(
        {
            FLAKE: (MODULE_WIRING, ""),
            f"{FLAKE}#2": (
                "modules = [ ./home/ham ];",
                (
                    "modules = builtins.attrValues "
                    "({ ham = ./home/ham; } // inputs.xenon.homeManagerModules);"
                ),
            ),
            f"{FLAKE}#3": (
                '    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n',
                '    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n' + XENON_INPUT,
            ),
            HOME: (
                "  programs.home-manager.enable = true;\n",
                "  programs.home-manager.enable = true;\n  programs.xenon.enable = true;\n",
            ),
        }
    )
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert "HW004" not in ran.out
    assert ran.code == 0, ran.out


@pytest.mark.parametrize(("extra", "lenient"), [("extraModule", True), ("./disks.nix", False)])
def test_a_host_module_homeward_cannot_see_may_declare_home_options(
    extra: str,
    lenient: bool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why: nmasur/dotfiles hosts/*/default.nix set `home-manager.users.noah.nmasur.settings`;
    the host's helper module (which homeward cannot follow) adds `home-manager.sharedModules`
    declaring `options.nmasur`: "home-manager has no option `nmasur`" was a false error on
    six hosts. A computed NixOS module may set the host's home-manager modules; a missing file
    (the machine's hardware-configuration.nix) is not taken for one."""
    from tests.test_check import FLAKE, WIRING

    case = Case(
        {
            HOST: _importing(f"    {extra}\n"),
            FLAKE: (
                WIRING,
                (
                    "            home-manager.users.ham = {\n"
                    "              imports = [ ./home/ham ];\n"
                    '              nmasur.settings.username = "ham";\n'
                    "            };\n"
                ),
            ),
        }
    )
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert ("HW004" not in ran.out) is lenient, ran.out
