"""`homeward check`: every rule on fixture repos, triggered and not, with exact output.

The helpers at the top are shared with the other test_check_*.py files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.lint.rules import RULES
from tests.conftest import EXAMPLE, FIXTURES
from tests.helpers import copy_tree, make_git_repo

CHECK_FIXTURES = FIXTURES / "check"

# A change to one file of a fixture: the whole new text, None to delete it, or (old, new) to
# replace one exact piece of it (which must occur exactly once).
Change = str | None | tuple[str, str]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Case:
    changes: dict[str, Change] = field(default_factory=dict)
    base: str = "clean"


def make_repo(case: Case, where: Path) -> Path:
    """Copy the fixture `case.base` to `where/repo` and apply the changes."""
    work = where / "repo"
    shutil.copytree(CHECK_FIXTURES / case.base, work)
    for key, change in case.changes.items():
        path = work / key.split("#")[0]  # `flake.nix#2`: a second change to the same file
        if change is None:
            path.unlink()
        elif isinstance(change, tuple):
            old, new = change
            text = path.read_text()
            assert text.count(old) == 1, f"{key}: {old!r} must occur exactly once"
            path.write_text(text.replace(old, new))
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(change)
    return work


def run_check(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *args: str,
) -> Ran:
    """`homeward check repo ARGS` from `tmp_path`, so that paths read `repo/...`."""
    make_repo(case, tmp_path)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    code = main(["check", "repo", *args])
    captured = capsys.readouterr()
    return Ran(code, captured.out, captured.err)


def copy_fixture(name: str, where: Path) -> Path:
    return Path(shutil.copytree(CHECK_FIXTURES / name, where / "repo"))


# -- the cases --------------------------------------------------------------------------------

FLAKE = "flake.nix"
HOST = "hosts/desk/default.nix"
USERS = "modules/system/users.nix"
HOME = "home/ham/default.nix"
CLI = "home/ham/features/cli.nix"
WIRING = "            home-manager.users.ham = import ./home/ham;\n"
MODULE_WIRING = """          home-manager.nixosModules.home-manager
          {
            home-manager.useGlobalPkgs = true;
            home-manager.useUserPackages = true;
            home-manager.users.ham = import ./home/ham;
          }
"""
STANDALONE = """      homeConfigurations."ham@desk" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        extraSpecialArgs = { inherit inputs; };
        modules = [ ./home/ham ];
      };
"""


def browser_twice(standalone: str) -> Case:
    """ham's home with `BROWSER = "firefox"` beside it through home-manager's NixOS module, and
    `standalone` (a module, on one line) beside it in `homeConfigurations."ham@desk"`."""
    return Case(
        {
            FLAKE: (
                WIRING,
                (
                    "            home-manager.users.ham = {\n"
                    "              imports = [ ./home/ham ];\n"
                    '              home.sessionVariables.BROWSER = "firefox";\n'
                    "            };\n"
                ),
            ),
            FLAKE + "#2": (
                "modules = [ ./home/ham ];",
                f"modules = [\n          ./home/ham\n          {standalone}\n        ];",
            ),
        }
    )


# name -> (case, expected exit code, expected stdout). Each rule has cases that trigger it and
# cases that must not.
CASES: dict[str, tuple[Case, int, str]] = {
    "clean": (Case(), 0, "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n"),
    # HW001
    "hw001-host-imports-home-file": (
        Case(
            {
                HOST: (
                    "../../modules/system/users.nix\n",
                    "../../modules/system/users.nix\n    ../../home/ham/features/git.nix\n",
                )
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/hosts/desk/default.nix:7:5: HW001 error: `home/ham/features/git.nix` is a user file, imported here as a NixOS module\n"
            "  hint: import it from the user's home-manager configuration (`home-manager.users.<user>`); `homeward migrate` refuses this repository: `home/ham/features/cli.nix` already exists; homeward does not overwrite files\n"
            "1 error, 0 warnings\n"
        ),
    ),
    "hw001-user-level-file-outside-home": (
        Case(
            {
                HOST: (
                    "../../modules/system/users.nix\n",
                    "../../modules/system/users.nix\n    ../../users/ham.nix\n",
                ),
                "users/ham.nix": '{ pkgs, ... }:\n{\n  programs.git.config.user.name = "Ham";\n  users.users.ham.packages = [ pkgs.jq ];\n}\n',
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 8 files; nothing opaque\n"
            "repo/hosts/desk/default.nix:7:5: HW001 error: `users/ham.nix` is a file of user-level definitions only, imported here as a NixOS module\n"
            "  hint: import it from the user's home-manager configuration (`home-manager.users.<user>`); `homeward migrate` refuses this repository: `home/ham/features/cli.nix` already exists; homeward does not overwrite files\n"
            "repo/users/ham.nix:3:3: HW003 warning: `programs.git` in a user file: home-manager has `programs.git` (`config` is `extraConfig` there)\n"
            "  hint: define `programs.git` in the user's home configuration instead; note: NixOS writes /etc/gitconfig, home-manager ~/.config/git/config; `homeward migrate` refuses this repository: `home/ham/features/cli.nix` already exists; homeward does not overwrite files\n"
            "repo/users/ham.nix:4:3: HW002 error: `users.users.ham.packages` is set: user packages belong in `home.packages`\n"
            "  hint: move the list to `home.packages` in the user's home configuration; `homeward migrate` refuses this repository: `home/ham/features/cli.nix` already exists; homeward does not overwrite files\n"
            "2 errors, 1 warning\n"
        ),
    ),
    "hw001-flake-lists-user-file": (
        Case(
            {
                FLAKE: (
                    "          ./hosts/desk\n",
                    "          ./hosts/desk\n          ./home/ham/features/cli.nix\n",
                )
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/flake.nix:25:11: HW001 error: `home/ham/features/cli.nix` is a user file, imported here as a NixOS module\n"
            "  hint: import it from the user's home-manager configuration (`home-manager.users.<user>`); `homeward migrate` refuses this repository: `home/ham/features/cli.nix` already exists; homeward does not overwrite files\n"
            "1 error, 0 warnings\n"
        ),
    ),
    "hw001-system-module-not-user-file": (
        Case(
            {
                HOST: (
                    "../../modules/system/users.nix\n",
                    "../../modules/system/users.nix\n    ../../modules/system/fonts.nix\n",
                ),
                "modules/system/fonts.nix": "{ pkgs, ... }:\n{\n  fonts.packages = [ pkgs.noto-fonts ];\n}\n",
            }
        ),
        0,
        "read 1 host, 1 home, 1 user, 8 files; nothing opaque\nno findings\n",
    ),
    # HW002
    "hw002-user-packages": (
        Case(
            {
                USERS: (
                    "    shell = pkgs.zsh;\n",
                    "    shell = pkgs.zsh;\n    packages = with pkgs; [ firefox ];\n",
                )
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/modules/system/users.nix:8:5: HW002 error: `users.users.ham.packages` is set: user packages belong in `home.packages`\n"
            "  hint: move the list to `home.packages` in the user's home configuration; `homeward migrate` refuses this repository: `home/ham/features/cli.nix` already exists; homeward does not overwrite files\n"
            "1 error, 0 warnings\n"
        ),
    ),
    "hw002-under-mkif": (
        Case(
            {
                USERS: (
                    "  programs.zsh.enable = true;\n",
                    "  programs.zsh.enable = true;\n  users.users.ham.packages = lib.mkIf true [ pkgs.jq ];\n",
                )
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/modules/system/users.nix:11:3: HW002 error: `users.users.ham.packages` is set: user packages belong in `home.packages`\n"
            "  hint: move the list to `home.packages` in the user's home configuration; `homeward migrate` refuses this repository: `home/ham/features/cli.nix` already exists; homeward does not overwrite files\n"
            "1 error, 0 warnings\n"
        ),
    ),
    # A computed account name: whose it is cannot be told, and migrate leaves it (issue 11).
    "hw002-computed-user-name": (
        Case(
            {
                USERS: (
                    "  programs.zsh.enable = true;\n",
                    '  programs.zsh.enable = true;\n  users.users.${builtins.getEnv "WHO"}.packages = [ pkgs.jq ];\n',
                )
            }
        ),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/modules/system/users.nix:11:3: HW002 warning: `users.users.${…}.packages` is set for an account whose name is computed: if it is a normal user's, the packages belong in `home.packages`\n"
            "  hint: move the list to the user's home configuration by hand; `homeward migrate` keeps it where it is: `homeward migrate --dry-run` says why\n"
            "0 errors, 1 warning\n"
        ),
    ),
    # HW003
    "hw003-git-config-on-host": (
        Case(
            {
                HOST: (
                    "  services.openssh.enable = true;\n",
                    '  services.openssh.enable = true;\n  programs.git = {\n    enable = true;\n    config.user.name = "Ham";\n  };\n',
                )
            }
        ),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/hosts/desk/default.nix:13:3: HW003 warning: `programs.git` in a NixOS module: home-manager has `programs.git` (`config` is `extraConfig` there)\n"
            "  hint: define `programs.git` in the user's home configuration instead; note: NixOS writes /etc/gitconfig, home-manager ~/.config/git/config; `homeward migrate` keeps it where it is: `homeward migrate --dry-run` says why\n"
            "0 errors, 1 warning\n"
        ),
    ),
    "hw003-system-wide-on-host": (
        Case(
            {
                HOST: (
                    "  services.openssh.enable = true;\n",
                    '  services.openssh.enable = true;\n  programs.tmux.enable = true;\n  environment.variables.EDITOR = "vim";\n',
                )
            }
        ),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    # HW004
    "hw004-nixos-options-in-home": (
        Case(
            {
                CLI: (
                    "  programs.zsh.enable = true;\n",
                    "  programs.zsh.enable = true;\n  services.openssh = {\n    enable = true;\n    ports = [ 22 ];\n  };\n  environment.systemPackages = [ pkgs.git ];\n  foo.bar = 1;\n",
                )
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/home/ham/features/cli.nix:11:3: HW004 error: `services.openssh` is a NixOS option: home-manager has no such option\n"
            "  hint: NixOS options belong in a system module (hosts/<host>/ or modules/system/)\n"
            "repo/home/ham/features/cli.nix:15:3: HW004 error: `environment` is a NixOS option: home-manager has no such option\n"
            "  hint: NixOS options belong in a system module (hosts/<host>/ or modules/system/)\n"
            "repo/home/ham/features/cli.nix:16:3: HW004 error: home-manager has no option `foo`\n"
            "  hint: NixOS options belong in a system module (hosts/<host>/ or modules/system/)\n"
            "3 errors, 0 warnings\n"
        ),
    ),
    "hw004-deep-paths": (
        Case(
            {
                CLI: (
                    "  programs.zsh.enable = true;\n",
                    (
                        "  programs.zsh.enable = true;\n"
                        '  programs.git.setings.user.name = "Ham";\n'
                        "  programs.gti.enable = true;\n"
                        "  programs.zsh.oh-my-zsh.enabel = true;\n"
                        '  home.file.".vimrc".sorce = ./vimrc;\n'
                        "  programs.thefuck.enable = true;\n"
                    ),
                )
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/home/ham/features/cli.nix:11:3: HW004 error: home-manager has no option `programs.git.setings`\n"
            "  hint: did you mean `programs.git.settings`?\n"
            "repo/home/ham/features/cli.nix:12:3: HW004 error: home-manager has no option `programs.gti`\n"
            "  hint: did you mean `programs.git`?\n"
            "repo/home/ham/features/cli.nix:13:3: HW004 error: home-manager has no option `programs.zsh.oh-my-zsh.enabel`\n"
            "  hint: did you mean `programs.zsh.oh-my-zsh.enable`?\n"
            'repo/home/ham/features/cli.nix:14:3: HW004 error: home-manager has no option `home.file.".vimrc".sorce`\n'
            '  hint: did you mean `home.file.".vimrc".source`?\n'
            "repo/home/ham/features/cli.nix:15:3: HW004 error: home-manager removed `programs.thefuck`\n"
            "  hint: NixOS options belong in a system module (hosts/<host>/ or modules/system/)\n"
            "5 errors, 0 warnings\n"
        ),
    ),
    "hw004-deep-paths-that-exist": (
        Case(
            {
                CLI: (
                    "  programs.zsh.enable = true;\n",
                    (
                        "  programs.zsh.enable = true;\n"
                        '  programs.git.settings.user.name = "Ham";\n'
                        '  programs.git.settings.alias.co = "checkout";\n'
                        "  programs.zsh.oh-my-zsh.enable = true;\n"
                        '  programs.zsh.oh-my-zsh.plugins = [ "git" ];\n'
                        '  home.file.".vimrc".source = ./vimrc;\n'
                        '  xdg.configFile."foot/foot.ini".text = "";\n'
                        '  programs.firefox.profiles.ham.settings."browser.startup.page" = 3;\n'
                        '  accounts.email.accounts.work.address = "ham@example.org";\n'
                        '  systemd.user.tmpfiles.rules = [ "d %h/tmp - - - -" ];\n'
                        "  home.file.notes = {\n"
                        '    target = "notes.txt";\n'
                        '    text = "hi";\n'
                        "  };\n"
                    ),
                ),
                "home/ham/features/vimrc": "set nu\n",
            }
        ),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    "hw004-home-options": (
        Case(
            {
                CLI: (
                    "  programs.zsh.enable = true;\n",
                    "  programs.zsh.enable = true;\n  services.gpg-agent.enable = true;\n  xdg.enable = true;\n  my.flag = true;\n",
                ),
                HOME: (
                    "    ./features/git.nix\n",
                    "    ./features/git.nix\n    ../modules/flag.nix\n",
                ),
                "home/modules/flag.nix": '{ lib, ... }:\n{\n  options.my.flag = lib.mkEnableOption "a flag";\n}\n',
            }
        ),
        0,
        "read 1 host, 1 home, 1 user, 8 files; nothing opaque\nno findings\n",
    ),
    "hw004-external-module-may-declare": (
        Case(
            {
                FLAKE: (
                    "modules = [ ./home/ham ];",
                    'modules = [\n          ./home/ham\n          inputs.sops-nix.homeManagerModules.sops\n          { sops.age.keyFile = "/k"; }\n        ];',
                ),
                FLAKE + "#2": (
                    "  inputs = {\n",
                    '  inputs = {\n    sops-nix.url = "github:Mic92/sops-nix";\n',
                ),
            }
        ),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    # HW005: a warning (issue 11): the NixOS module wiring is authoritative (docs/architecture.md), the
    # standalone entry is the layout's convenience.
    "hw005-no-standalone": (
        Case({FLAKE: (STANDALONE, "")}),
        0,
        (
            "read 1 host, 0 homes, 1 user, 7 files; nothing opaque\n"
            'repo/flake.nix:29:13: HW005 warning: `ham` is wired into `desk` through home-manager\'s NixOS module, but there is no `homeConfigurations."ham@desk"`\n'
            '  hint: add `homeConfigurations."ham@desk"` so that `home-manager switch --flake .#ham@desk` works (`homeward add user`)\n'
            "0 errors, 1 warning\n"
        ),
    ),
    # `home-manager switch --flake .` tries `ham@<host>`, then `ham`: a bare entry is ham's on
    # every host.
    "hw005-bare-user-name": (
        Case({FLAKE: ('homeConfigurations."ham@desk"', "homeConfigurations.ham")}),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    # An empty `homeConfigurations` written out is a decision (REAL-CONFIGS.md).
    "hw005-explicitly-empty": (
        Case({FLAKE: (STANDALONE, "      homeConfigurations = { };\n")}),
        0,
        "read 1 host, 0 homes, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    "hw005-entry-of-another-name": (
        Case({FLAKE: ('homeConfigurations."ham@desk"', "homeConfigurations.portable")}),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            'repo/flake.nix:29:13: HW005 warning: `ham` is wired into `desk` through home-manager\'s NixOS module, but there is no `homeConfigurations."ham@desk"`\n'
            '  hint: add `homeConfigurations."ham@desk"` so that `home-manager switch --flake .#ham@desk` works (`homeward add user`)\n'
            "0 errors, 1 warning\n"
        ),
    ),
    # HW006
    "hw006-no-follows": (
        Case({FLAKE: ('      inputs.nixpkgs.follows = "nixpkgs";\n', "")}),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/flake.nix:6:5: HW006 warning: the `home-manager` input does not follow `nixpkgs`: it evaluates a second nixpkgs, and home-manager's packages can mismatch the system's\n"
            '  hint: add `inputs.nixpkgs.follows = "nixpkgs";` to the `home-manager` input\n'
            "0 errors, 1 warning\n"
        ),
    ),
    # HW007
    "hw007-no-state-version": (
        Case({HOME: ('  home.stateVersion = "25.05";\n', "")}),
        1,
        (
            # One finding at the user's entry file for both configurations (issue 14).
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/home/ham/default.nix:3:1: HW007 error: `home/ham/default.nix` does not set `home.stateVersion` (the home of `ham` on `desk`, 2 configurations)\n"
            '  hint: add `home.stateVersion = "25.05";` (the home-manager release this flake tracks); once set, never change it\n'
            "1 error, 0 warnings\n"
        ),
    ),
    "hw007-unknown-module-may-set-it": (
        Case(
            {
                HOME: ('  home.stateVersion = "25.05";\n', ""),
                FLAKE: ("modules = [ ./home/ham ];", "modules = [ ./home/ham extraHomeModule ];"),
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; 1 opaque module\n"
            "repo/flake.nix:37:32: HW012 warning: cannot tell which module this is: `extraHomeModule` is not defined here\n"
            "  hint: homeward reads module lists statically; write the path out\n"
            "repo/home/ham/default.nix:3:1: HW007 error: `home/ham/default.nix` does not set `home.stateVersion` (the home of `ham` on `desk`, 1 configuration)\n"
            '  hint: add `home.stateVersion = "25.05";` (the home-manager release this flake tracks); once set, never change it\n'
            "1 error, 1 warning\n"
        ),
    ),
    # A home built by a call homeward does not follow (`import ../home { inherit config; }`):
    # it may set `home.stateVersion` (ddPn08/dotfiles, issue 11).
    "hw007-home-built-by-a-call": (
        Case(
            {
                FLAKE: (
                    WIRING,
                    (
                        "            home-manager.users.ham =\n"
                        "              { config, ... }: import ./home/ham/built.nix { inherit config; };\n"
                    ),
                ),
                "home/ham/built.nix": "{ config }:\n{\n  home.packages = [ ];\n}\n",
            }
        ),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    "hw007-standalone-built-by-a-call": (
        Case(
            {
                FLAKE: (
                    "modules = [ ./home/ham ];",
                    "modules = [ ({ config, ... }: import ./home/ham/built.nix { inherit config; }) ];",
                ),
                "home/ham/built.nix": "{ config }:\n{\n  home.packages = [ ];\n}\n",
            }
        ),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    # HW008
    "hw008-no-global-pkgs": (
        Case({FLAKE: ("            home-manager.useGlobalPkgs = true;\n", "")}),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/hosts/desk/default.nix:13:3: HW008 warning: `nixpkgs.config` does not apply to home-manager on `desk`: `home-manager.useGlobalPkgs` is not set\n"
            "  hint: set `home-manager.useGlobalPkgs = true;` so that home-manager uses the host's pkgs\n"
            "0 errors, 1 warning\n"
        ),
    ),
    "hw008-host-without-home-manager": (
        Case({FLAKE: (MODULE_WIRING, "")}),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    # HW009
    "hw009-missing-import": (
        Case(
            {
                HOST: (
                    "    ./hardware-configuration.nix\n",
                    "    ./hardware-configuration.nix\n    ./disks.nix\n",
                )
            }
        ),
        0,
        (
            # Why a warning: a missing file is an opaque module (docs/architecture.md, rules 9
            # and 12), often generated on the machine; `--strict` makes it an error (issue 11).
            "read 1 host, 1 home, 1 user, 7 files; 1 opaque module\n"
            "repo/hosts/desk/default.nix:6:5: HW009 warning: the import `hosts/desk/disks.nix` does not exist in the repository: an opaque module, read on the machine that builds the host\n"
            "  hint: homeward cannot see what it defines; if the machine does not generate it (as `nixos-generate-config` writes `hardware-configuration.nix`), create the file or remove the import\n"
            "0 errors, 1 warning\n"
        ),
    ),
    "hw009-unused-feature": (
        Case({"home/ham/features/old.nix": "{ ... }:\n{\n  programs.htop.enable = true;\n}\n"}),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/home/ham/features/old.nix:1:1: HW009 warning: `home/ham/features/old.nix` is not imported by any configuration\n"
            "  hint: import it from the user's `default.nix`, or delete it\n"
            "0 errors, 1 warning\n"
        ),
    ),
    # HW010
    "hw010-package-in-both": (
        Case({CLI: ("    ripgrep\n", "    ripgrep\n    vim\n")}),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/home/ham/features/cli.nix:5:5: HW010 warning: `vim` is in `home.packages` of `ham` and in `environment.systemPackages` of `desk` (hosts/desk/default.nix:16:5)\n"
            "  hint: keep it in one place: `environment.systemPackages` for everyone, `home.packages` for the user\n"
            "0 errors, 1 warning\n"
        ),
    ),
    # HW011
    "hw011-conflicting-definitions": (
        browser_twice('{ home.sessionVariables.BROWSER = "chromium"; }'),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            'repo/flake.nix:31:15: HW011 warning: `home.sessionVariables.BROWSER` of `ham` on `desk` is `"firefox"` through home-manager\'s NixOS module but `"chromium"` in `homeConfigurations."ham@desk"` (flake.nix:42:13)\n'
            '  hint: import the same modules from `home-manager.users.<user>` and `homeConfigurations."<user>@<host>"`\n'
            "0 errors, 1 warning\n"
        ),
    ),
    "hw011-same-definitions": (
        browser_twice('{ home.sessionVariables.BROWSER = lib.mkDefault   "firefox"; }'),
        0,
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n",
    ),
    # HW012-HW014
    "hw012-import-not-followed": (
        Case(
            {
                HOST: (
                    "    ../../modules/system/users.nix\n",
                    "    ../../modules/system/users.nix\n    extraModule\n",
                )
            }
        ),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; 1 opaque module\n"
            "repo/hosts/desk/default.nix:7:5: HW012 warning: cannot follow this import: `extraModule` is not a path homeward can follow\n"
            "  hint: homeward reads imports statically; write the path out\n"
            "0 errors, 1 warning\n"
        ),
    ),
    "hw013-cycle": (
        Case(
            {
                USERS: (
                    "{ pkgs, ... }:\n{\n",
                    "{ pkgs, ... }:\n{\n  imports = [ ../../hosts/desk ];\n",
                )
            }
        ),
        1,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/modules/system/users.nix:4:15: HW013 error: import cycle: hosts/desk/default.nix → modules/system/users.nix → hosts/desk/default.nix\n"
            "  hint: remove one of the imports so that the files form a tree\n"
            "1 error, 0 warnings\n"
        ),
    ),
    "hw014-absolute-import": (
        Case(
            {
                HOST: (
                    "    ./hardware-configuration.nix\n",
                    "    /etc/nixos/hardware-configuration.nix\n",
                )
            }
        ),
        0,
        (
            "read 1 host, 1 home, 1 user, 6 files; nothing opaque\n"
            "repo/hosts/desk/default.nix:5:5: HW014 warning: the import `/etc/nixos/hardware-configuration.nix` is outside the repository: pure flake evaluation cannot read it\n"
            "  hint: copy the file into the repository and import it from there\n"
            "0 errors, 1 warning\n"
        ),
    ),
    # HW015-HW016
    "hw015-unreadable-file": (
        Case({"hosts/desk/hardware-configuration.nix": ('fsType = "ext4";', 'fsType = "ext4"')}),
        1,
        (
            "read 0 hosts, 1 home, 0 users, 6 files; 1 host skipped; nothing opaque\n"
            "repo/hosts/desk/hardware-configuration.nix:8:20: HW015 error: `hosts/desk/hardware-configuration.nix` cannot be read: syntax error: expected `;` (skipped: desk)\n"
            "  hint: fix the file so that `nix-instantiate --parse` accepts it\n"
            "1 error, 0 warnings\n"
        ),
    ),
    "hw016-framework-hosts-not-found": (
        Case(
            {
                FLAKE: """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.snowfall-lib.url = "github:snowfallorg/lib";
  outputs = inputs: inputs.snowfall-lib.mkFlake { inherit inputs; src = ./.; };
}
"""
            }
        ),
        1,
        (
            "read 0 hosts, 0 homes, 0 users, 1 file; nothing opaque\n"
            "repo/flake.nix:1:1: HW016 error: no host found: the outputs are built with snowfall-lib; snowfall-lib reads hosts from `systems/<arch>/<host>/` and homes from `homes/<arch>/<user>@<host>/`, and neither directory exists\n"
            "  hint: define `nixosConfigurations` in flake.nix, or see which frameworks homeward follows in docs/rules.md\n"
            "1 error, 0 warnings\n"
        ),
    ),
    "hw016-no-outputs": (
        Case({FLAKE: "{\n  outputs = { self }: { };\n}\n"}),
        1,
        (
            "read 0 hosts, 0 homes, 0 users, 1 file; nothing opaque\n"
            "repo/flake.nix:1:1: HW016 error: no host found: flake.nix has no `nixosConfigurations`, `darwinConfigurations` or `homeConfigurations` that homeward can read\n"
            "  hint: define `nixosConfigurations` in flake.nix, or see which frameworks homeward follows in docs/rules.md\n"
            "1 error, 0 warnings\n"
        ),
    ),
    # HW018-HW019 (issue 12: nix-darwin's traps)
    "hw018-darwin-user-without-home": (
        Case(
            {
                FLAKE: (
                    "      homeConfigurations",
                    """      darwinConfigurations.mac = inputs.nix-darwin.lib.darwinSystem {
        modules = [
          home-manager.darwinModules.home-manager
          {
            nixpkgs.hostPlatform = "aarch64-darwin";
            home-manager.users.ham = import ./home/ham;
          }
        ];
      };

      homeConfigurations""",
                ),
                f"{FLAKE}#2": (
                    "    nixpkgs.url",
                    '    nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";\n    nixpkgs.url',
                ),
            }
        ),
        1,
        (
            "read 1 host, 1 nix-darwin host, 1 home, 1 user, 7 files; nothing opaque\n"
            # The rules every host has run on the Mac too (issue 12).
            'repo/flake.nix:40:13: HW005 warning: `ham` is wired into `mac` through home-manager\'s nix-darwin module, but there is no `homeConfigurations."ham@mac"`\n'
            '  hint: add `homeConfigurations."ham@mac"` so that `home-manager switch --flake .#ham@mac` works (`homeward add user`)\n'
            "repo/flake.nix:40:13: HW018 error: `home-manager.users.ham` on the nix-darwin host `darwinConfigurations.mac`, which does not set `users.users.ham.home`: home-manager's darwin module cannot evaluate\n"
            '  hint: set `users.users.ham.home = "/Users/ham";` in a module of `darwinConfigurations.mac`\n'
            "repo/home/ham/default.nix:10:3: HW019 error: `home.homeDirectory` is `/home/ham` in the home of `ham` on `darwinConfigurations.mac`, a Mac, whose homes are under `/Users`\n"
            '  hint: write `home.homeDirectory = "/Users/ham";`\n'
            "2 errors, 1 warning\n"
        ),
    ),
    "hw019-darwin-home-directory": (
        Case(
            {
                FLAKE: (
                    "      homeConfigurations",
                    """      homeConfigurations."ham@mac" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.aarch64-darwin;
        modules = [ ./home/ham ];
      };

      homeConfigurations""",
                )
            }
        ),
        1,
        (
            "read 1 host, 2 homes, 1 user, 7 files; nothing opaque\n"
            'repo/home/ham/default.nix:10:3: HW019 error: `home.homeDirectory` is `/home/ham` in `homeConfigurations."ham@mac"`, a Mac, whose homes are under `/Users`\n'
            '  hint: write `home.homeDirectory = "/Users/ham";`\n'
            "1 error, 0 warnings\n"
        ),
    ),
    "hw020-darwin-defaults-without-primary-user": (
        Case(
            {
                FLAKE: (
                    "      homeConfigurations",
                    """      darwinConfigurations.mac = inputs.nix-darwin.lib.darwinSystem {
        modules = [ { system.defaults.dock.autohide = true; } ];
      };

      homeConfigurations""",
                ),
                f"{FLAKE}#2": (
                    "    nixpkgs.url",
                    '    nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";\n    nixpkgs.url',
                ),
            }
        ),
        1,
        (
            "read 1 host, 1 nix-darwin host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/flake.nix:36:23: HW020 error: `system.defaults` on the nix-darwin host `darwinConfigurations.mac`, which does not set `system.primaryUser`: current nix-darwin refuses to build it\n"
            '  hint: set `system.primaryUser = "<user>";` (the user these options apply to)\n'
            "1 error, 0 warnings\n"
        ),
    ),
    # HW017 (issue 14: a misspelled code was silently orphaned)
    "hw017-unknown-code": (
        Case(
            {USERS: ("    shell = pkgs.zsh;\n", "    shell = pkgs.zsh; # homeward: ignore[HW01]\n")}
        ),
        0,
        (
            "read 1 host, 1 home, 1 user, 7 files; nothing opaque\n"
            "repo/modules/system/users.nix:7:23: HW017 warning: `HW01` is not a homeward rule: this suppression silences nothing\n"
            "  hint: remove the comment, or correct the code it names (`homeward rules` lists them)\n"
            "0 errors, 1 warning\n"
        ),
    ),
}


@pytest.mark.parametrize("name", list(CASES), ids=str)
def test_rule(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: every rule fires exactly where it should, with its exact text, and nowhere else."""
    case, code, expected = CASES[name]
    ran = run_check(case, tmp_path, monkeypatch, capsys)
    assert ran.out == expected
    assert ran.code == code
    assert ran.err == ""


def test_every_rule_is_triggered_by_a_case() -> None:
    """Why: a rule without a case that triggers it is untested (the issue's "done when")."""
    fired = {
        line.split(" ")[1]
        for _case, _code, out in CASES.values()
        for line in out.splitlines()
        if ": HW" in line
    }
    assert fired == set(RULES)


def test_legacy_example(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the issue's acceptance: the legacy example reports HW001 and HW002 and exits 1."""
    monkeypatch.chdir(EXAMPLE.parent.parent)
    code = main(["check", "examples/legacy"])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "examples/legacy/hosts/nixos-desk/default.nix:7:5: HW001 error: `home/ham.nix` is a user file, "
        "imported here as a NixOS module\n"
    ) in out
    assert (
        "examples/legacy/home/ham.nix:16:3: HW002 error: `users.users.ham.packages` is set" in out
    )
    assert (
        "examples/legacy/modules/system/users.nix:13:5: HW002 error: `users.users.ham.packages` is set"
        in out
    )


def test_after_migrate_reports_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: a migrated repository is clean by definition: `check` must agree with `migrate`."""
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "legacy"))
    assert main(["migrate", str(work)]) == 0
    capsys.readouterr()
    assert main(["check", str(work)]) == 0
    assert capsys.readouterr().out == (
        "read 1 host, 1 home, 1 user, 9 files; nothing opaque\nno findings\n"
    )


def test_fresh_init_reports_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: homeward's own scaffold must pass homeward's own linter."""
    work = tmp_path / "new"
    assert main(["init", str(work), "--user", "ham", "--host", "desk"]) == 0
    capsys.readouterr()
    assert main(["check", str(work)]) == 0
    assert capsys.readouterr().out == (
        "read 1 host, 1 home, 1 user, 7 files; nothing opaque\nno findings\n"
    )


def test_clean_fixture_is_the_design_layout() -> None:
    """Why: the hand-written clean tree has the design's layout, so `check` reporting nothing
    on it (above) says the layout itself is clean."""
    root = CHECK_FIXTURES / "clean"
    assert (root / "home/ham/default.nix").is_file()
    assert (root / "home/ham/features").is_dir()
    assert (root / "hosts/desk/default.nix").is_file()
    assert (root / "modules/system/users.nix").is_file()
