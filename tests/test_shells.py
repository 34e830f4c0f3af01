"""Login shells split between the layers (issue 13): NixOS keeps `programs.zsh.enable` (the
login shell's assertion) and what it does for every user or at login; the user's interactive
zsh settings move to home-manager. The golden case tests/fixtures/migrate/shell-zsh is checked
byte for byte and, with the real nix, by the conservation test."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-RELEASE";

  outputs =
    { nixpkgs, ... }:
    {
      nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/desk/default.nix ];
      };
    };
}
"""

HOST = """{ ... }:
{
  imports = [ IMPORTS ];

  networking.hostName = "desk";
  system.stateVersion = "24.11";
}
"""


def migrate(
    tmp_path: Path, ham: str, *, release: str = "25.05", eve: str | None = None
) -> tuple[Path, str]:
    """Migrate a one-host flake whose user files are `ham` (and `eve`); the tree and stderr."""
    repo = tmp_path / "repo"
    (repo / "hosts" / "desk").mkdir(parents=True)
    (repo / "home").mkdir()
    (repo / "flake.nix").write_text(FLAKE.replace("RELEASE", release))
    imports = ["../../home/ham.nix"] + (["../../home/eve.nix"] if eve else [])
    (repo / "hosts" / "desk" / "default.nix").write_text(HOST.replace("IMPORTS", " ".join(imports)))
    (repo / "home" / "ham.nix").write_text(ham)
    if eve:
        (repo / "home" / "eve.nix").write_text(eve)
    make_git_repo(repo)
    return repo, ""


def ham_file(zsh: str) -> str:
    return (
        "{ pkgs, ... }:\n{\n  users.users.ham = {\n    isNormalUser = true;\n"
        "    shell = pkgs.zsh;\n  };\n\n" + zsh + "}\n"
    )


def run(repo: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["migrate", str(repo)]) == 0
    return capsys.readouterr().err


def read(repo: Path, path: str) -> str:
    return (repo / path).read_text()


def test_release_before_25_05_writes_init_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: home-manager 25.05 introduced `initContent`; on 24.11 the same text is `initExtra`
    (writing `initContent` there fails evaluation)."""
    zsh = '  programs.zsh = {\n    enable = true;\n    interactiveShellInit = "bindkey -e";\n  };\n'
    repo, _ = migrate(tmp_path, ham_file(zsh), release="24.11")
    run(repo, capsys)
    cli = read(repo, "home/ham/features/cli.nix")
    assert 'initExtra = "bindkey -e";' in cli
    assert "initContent" not in cli
    system = read(repo, "modules/system/ham.nix")
    assert "programs.zsh = {\n    enable = true;\n  };" in system
    assert "interactiveShellInit" not in system


def test_another_user_on_the_host_keeps_the_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: NixOS's zsh options apply to every user of the host (/etc/zshrc); moving them to
    ham's home would take eve's aliases away."""
    zsh = '  programs.zsh = {\n    enable = true;\n    shellAliases.ll = "ls -l";\n  };\n'
    eve = "{ ... }:\n{\n  users.users.eve.isNormalUser = true;\n}\n"
    repo, _ = migrate(tmp_path, ham_file(zsh), eve=eve)
    err = run(repo, capsys)
    assert "`programs.zsh` stays a NixOS option: it applies to every user of desk" in err
    assert 'shellAliases.ll = "ls -l";' in read(repo, "modules/system/ham.nix")


@pytest.mark.parametrize(
    ("zsh", "why"),
    [
        (
            "  programs.zsh = {\n    enable = true;\n    shellAliases = aliases;\n  };\n",
            "is not a string or number",
        ),
        (
            "  programs.zsh = {\n    enable = true;\n    shellAliases.ll = ./ll.sh;\n  };\n",
            "is not a string or number",
        ),
        (
            '  programs.zsh = {\n    enable = true;\n    ohMyZsh.cacheDir = "/tmp";\n  };\n',
            "`programs.zsh.ohMyZsh.cacheDir` has no exact home-manager counterpart",
        ),
        (
            "  programs.zsh = {\n    enable = true;\n    ohMyZsh.enable = lib.mkDefault true;\n  };\n",
            "is not a plain `true`",
        ),
    ],
)
def test_what_has_no_exact_counterpart_keeps_the_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], zsh: str, why: str
) -> None:
    """Why: a group moves only when every name that leaves has an exact home-manager
    counterpart; otherwise the whole group stays, with the reason."""
    text = ham_file(zsh).replace(
        "{ pkgs, ... }:\n{\n", "{ pkgs, lib, ... }:\nlet\n  aliases = { };\nin\n{\n"
    )
    repo, _ = migrate(tmp_path, text)
    err = run(repo, capsys)
    assert why in " ".join(err.split())
    assert not (
        repo / "home" / "ham" / "features" / "cli.nix"
    ).exists() or "programs.zsh" not in read(repo, "home/ham/features/cli.nix")


def test_autosuggestions_need_home_manager_24_05(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: before 24.05 home-manager had `enableAutosuggestions` (no `autosuggestion` set)."""
    zsh = "  programs.zsh = {\n    enable = true;\n    autosuggestions.enable = true;\n  };\n"
    repo, _ = migrate(tmp_path, ham_file(zsh), release="23.11")
    err = run(repo, capsys)
    assert "has no `programs.zsh.autosuggestions` yet" in " ".join(err.split())
    assert "autosuggestions.enable = true;" in read(repo, "modules/system/ham.nix")


def test_a_prompt_of_its_own_stays_and_is_not_overridden(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `promptInit` is /etc/zshrc's; set by the user, it stays as written, and no
    `mkDefault ""` is added beside it (that would conflict)."""
    zsh = (
        '  programs.zsh = {\n    enable = true;\n    promptInit = "";\n'
        "    ohMyZsh.enable = true;\n  };\n"
    )
    repo, _ = migrate(tmp_path, ham_file(zsh))
    run(repo, capsys)
    system = read(repo, "modules/system/ham.nix")
    assert 'promptInit = "";' in system
    assert "mkDefault" not in system
    cli = read(repo, "home/ham/features/cli.nix")
    assert "oh-my-zsh.enable = true;" in cli
    assert "promptInit" not in cli


def test_only_login_shell_parts_stay_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a group with nothing that moves is not split, and home-manager does not get zsh."""
    zsh = "  programs.zsh = {\n    enable = true;\n    enableCompletion = false;\n  };\n"
    repo, _ = migrate(
        tmp_path,
        ham_file(zsh).replace(
            "shell = pkgs.zsh;", "shell = pkgs.zsh;\n    packages = [ pkgs.jq ];"
        ),
    )
    run(repo, capsys)
    assert "programs.zsh" not in read(repo, "home/ham/features/cli.nix")
    assert "enableCompletion = false;" in read(repo, "modules/system/ham.nix")


def test_zsh_enabled_once_with_moved_session_variables(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: moved variables make homeward enable the login shell in home-manager; the split
    group already writes `enable`, and a second definition would fail evaluation."""
    zsh = (
        '  environment.variables.EDITOR = "nvim";\n\n'
        '  programs.zsh = {\n    enable = true;\n    shellAliases.ll = "ls -l";\n  };\n'
    )
    repo, _ = migrate(tmp_path, ham_file(zsh))
    run(repo, capsys)
    cli = read(repo, "home/ham/features/cli.nix")
    assert cli.count("enable = true;") == 1, cli


def test_aliases_without_enable_enable_zsh_in_home_manager(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: home-manager writes ~/.zshrc only with its `programs.zsh.enable`; NixOS's stays
    wherever it is set (here in the host)."""
    zsh = '  programs.zsh.shellAliases.ll = "ls -l";\n'
    repo, _ = migrate(tmp_path, ham_file(zsh))
    run(repo, capsys)
    cli = read(repo, "home/ham/features/cli.nix")
    assert 'programs.zsh.shellAliases.ll = "ls -l";' in cli
    assert "programs.zsh.enable = true;" in cli


def test_check_leaves_a_hosts_shell_settings_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: zsh settings in a host module are system-wide on purpose: no HW003, and the login
    shell's `enable` is never called user-level."""
    repo, _ = migrate(tmp_path, "{ ... }:\n{\n  users.users.ham.isNormalUser = true;\n}\n")
    host = repo / "hosts" / "desk" / "default.nix"
    host.write_text(
        host.read_text().replace(
            "system.stateVersion",
            'programs.zsh = {\n    enable = true;\n    shellAliases.ll = "ls -l";\n  };\n  system.stateVersion',
        )
    )
    main(["check", "--select", "HW003", str(repo)])
    assert "HW003" not in capsys.readouterr().out


def test_fish_keeps_its_prompt_and_login_shell_and_moves_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: fish's `promptInit` has no home-manager counterpart and `enable` is the login
    shell's; abbreviations, aliases and init are home-manager's under the same names."""
    fish = (
        "  programs.fish = {\n    enable = true;\n    vendor.config.enable = false;\n"
        '    shellAbbrs.gs = "git status";\n  };\n'
    )
    repo, _ = migrate(tmp_path, ham_file(fish).replace("pkgs.zsh", "pkgs.fish"))
    run(repo, capsys)
    system = read(repo, "modules/system/ham.nix")
    assert (
        "programs.fish = {\n    enable = true;\n    vendor.config.enable = false;\n  };" in system
    )
    cli = read(repo, "home/ham/features/cli.nix")
    assert 'programs.fish = {\n    enable = true;\n    shellAbbrs.gs = "git status";\n  };' in cli


def test_bash_settings_homeward_does_not_know_keep_the_group(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a name neither moved nor known to stay (`enableLsColors`, newer than the NixOS
    module homeward read) keeps the whole group NixOS, never half moved."""
    bash = (
        '  programs.bash = {\n    shellAliases.la = "ls -a";\n    enableLsColors = false;\n  };\n'
    )
    repo, _ = migrate(tmp_path, ham_file(bash))
    err = run(repo, capsys)
    assert "`programs.bash.enableLsColors` has no exact home-manager counterpart" in " ".join(
        err.split()
    )
    assert 'shellAliases.la = "ls -a";' in read(repo, "modules/system/ham.nix")


def test_a_suppressed_alias_stays_and_its_siblings_move(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.4): rows moved name by name (aliases) are reported per name by HW003, so a
    `# homeward: ignore[HW003]` above one keeps only that one, when it has its own binding."""
    aliases = (
        '  environment.shellAliases.ll = "ls -l";\n'
        "  # homeward: ignore[HW003]\n"
        '  environment.shellAliases.gs = "git status";\n'
    )
    repo, _ = migrate(tmp_path, ham_file(aliases))
    err = run(repo, capsys)
    assert "`environment.shellAliases.gs` stays where it is" in " ".join(err.split())
    system = read(repo, "modules/system/ham.nix")
    assert '# homeward: ignore[HW003]\n  environment.shellAliases.gs = "git status";' in system
    cli = read(repo, "home/ham/features/cli.nix")
    assert 'home.shellAliases.ll = "ls -l";' in cli and "gs" not in cli


def test_completion_stays_with_nixos(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why (HM-FACTS pitfall 9): with zsh in both layers home-manager's default completion ran
    compinit a second time, or turned completion on where NixOS's `enableCompletion = false`
    (which stays) had it off; home-manager's side leaves completion to NixOS."""
    zsh = (
        "  programs.zsh = {\n    enable = true;\n    enableCompletion = false;\n"
        '    shellAliases.ll = "ls -l";\n  };\n'
    )
    repo, _ = migrate(tmp_path, ham_file(zsh))
    run(repo, capsys)
    assert "enableCompletion = false;" in read(repo, "modules/system/ham.nix")
    cli = read(repo, "home/ham/features/cli.nix")
    assert cli.count("programs.zsh.enableCompletion = false;") == 1, cli


def test_a_kept_group_names_a_few_hosts_of_many(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 9, measured): at 200 hosts the warning that a group stays a NixOS option
    named each of the user's 100 hosts on one line; a few, and how many more, say as much."""
    from tests.test_crash import BENCH

    BENCH.generate(tmp_path, 12, 2)  # each user's file on 6 hosts, with the other user
    capsys.readouterr()
    assert main(["migrate", "--dry-run", str(tmp_path)]) == 0
    err = capsys.readouterr().err
    assert (
        "`programs.git` stays a NixOS option: it applies to every user of host00, host02, "
        "host04 and 3 more hosts, also `user01`, who would lose it" in err
    )
