"""A user with a home on one host (`homeConfigurations."kim@a"`, its `home.nix` holding
ripgrep) and on another only an account (`b`), where one thing of theirs moves: `b` gives
them jq (`users.users.kim.packages`). migrate wired home-manager's NixOS module on `b` with
their home of `a` and a file of `b`'s own beside it: kim got ripgrep on `b`, which they never
had there (rule 1). What moves from `b` goes to `b`'s own file (`home/kim/b.nix`,
the layout's per-host file), which is kim's home on `b`, without the home of `a`
(tests/test_homeless_hosts.py: where nothing moves, `b` gets no home at all)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import git, make_git_repo, write
from tests.test_homeless_hosts import FILES as HOMELESS
from tests.test_homeless_hosts import _host_block
from tests.test_migrate_darwin import HOME_WITHOUT_ACCOUNT, nix_value

FILES = {
    **HOMELESS,
    "hosts/b.nix": "{ pkgs, ... }:\n{\n"
    '  networking.hostName = "b";\n'
    "  users.users.kim.packages = [ pkgs.jq ];\n"
    '  system.stateVersion = "25.05";\n}\n',
}


def repo(tmp_path: Path) -> Path:
    return make_git_repo(write(tmp_path / "repo", FILES))


def test_the_host_gets_a_home_of_what_it_had(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(tmp_path)
    assert main(["migrate", str(root)]) == 0
    flake = (root / "flake.nix").read_text()
    b = _host_block(flake, "b")
    assert "./home/kim/b.nix" in b and "./home.nix" not in b, b
    assert "home-manager.useGlobalPkgs = true;" in b, b  # as on `a`
    assert "./home.nix" in _host_block(flake, "a")
    own = (root / "home/kim/b.nix").read_text()
    assert "pkgs.jq" in own and 'home.stateVersion = "25.05";' in own, own
    assert "pkgs.jq" not in (root / "hosts/b.nix").read_text()
    assert "home/kim/b.nix" not in (root / "home.nix").read_text()
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 0
    assert git(root, "status", "--porcelain") == ""  # a second run changes nothing


# The same, kim's home wired on `a` by home-manager's NixOS module, no homeConfigurations, and
# kim's git in the account module both hosts read.
_FLAKE = FILES["flake.nix"]
_A_LIST = "./accounts.nix\n        ];\n      };\n      nixosConfigurations.b"
_WIRED_A = (
    "./accounts.nix\n          home-manager.nixosModules.home-manager\n"
    "          { home-manager.users.kim = import ./home.nix; }\n"
    "        ];\n      };\n      nixosConfigurations.b"
)
_HOMES = _FLAKE[_FLAKE.index('      homeConfigurations."kim@a"') : _FLAKE.index("    };\n}")]
WIRED = {
    "flake.nix": _FLAKE.replace(_A_LIST, _WIRED_A).replace(_HOMES, ""),
    "accounts.nix": "{ pkgs, ... }:\n{\n  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.git ];\n}\n",
}


def test_the_hosts_new_standalone_entry_starts_from_its_own_file(tmp_path: Path) -> None:
    """Why: both wirings of a host read the same files (rule 13): `"kim@b"` reads b's own
    file, which imports the feature file of what every host of kim's had (git, from the
    account module both read), not kim's home of `a`."""
    root = make_git_repo(write(tmp_path / "repo", {**FILES, **WIRED}))
    assert "homeConfigurations" not in WIRED["flake.nix"]
    assert main(["migrate", str(root)]) == 0
    flake = (root / "flake.nix").read_text()
    start = flake.index('homeConfigurations."kim@b"')
    assert "modules = [ ./home/kim/b.nix ];" in flake[start : flake.index("};", start)]
    own = (root / "home/kim/b.nix").read_text()
    assert "./features/git.nix" in own and "pkgs.jq" in own, own
    assert "./home/kim/features/git.nix" in (root / "home.nix").read_text()


def _names(packages: object) -> set[str]:
    assert isinstance(packages, list)
    return {str(p).rsplit("/", 1)[-1].split("-", 1)[1].rsplit("-", 1)[0] for p in packages}


@pytest.mark.nix
def test_each_host_keeps_what_kim_had_there(tmp_path: Path) -> None:
    """Why: what counts is what Nix sees: jq and no ripgrep on `b`; ripgrep on `a`."""
    root = repo(tmp_path)
    home = "config.home-manager.users.kim.home.packages"
    standalone = 'homeConfigurations."kim@a".config.home.packages'
    before_a = _names(nix_value(root, standalone))
    assert main(["migrate", str(root)]) == 0
    on_b = _names(nix_value(root, f"nixosConfigurations.b.{home}"))
    assert "jq" in on_b and "ripgrep" not in on_b, on_b
    on_a = _names(nix_value(root, f"nixosConfigurations.a.{home}"))
    # migrate adds the home-manager command to a home (HM-FACTS 3), nothing else.
    assert on_a - {"home-manager"} == before_a == {"ripgrep"}, on_a
    assert _names(nix_value(root, standalone)) == on_a


def test_hosts_of_one_helper_list_are_refused_not_given_the_other_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: one wiring in a list two hosts share starts kim's home from one file on both:
    `b`'s own file would reach `a`, or `a`'s home `b`. Refused before anything is written."""
    flake = FILES["flake.nix"]
    start = flake.index("      nixosConfigurations.a =")
    end = flake.index('      homeConfigurations."kim@a"')
    helper = (
        '      nixosConfigurations = nixpkgs.lib.genAttrs [ "a" "b" ] (\n'
        "        name:\n"
        "        nixpkgs.lib.nixosSystem {\n"
        '          system = "x86_64-linux";\n'
        "          modules = [\n"
        "            ./hosts/${name}.nix\n"
        "            ./accounts.nix\n"
        "          ];\n"
        "        }\n"
        "      );\n"
    )
    files = {**FILES, "flake.nix": flake[:start] + helper + flake[end:]}
    root = make_git_repo(write(tmp_path / "repo", files))
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    assert "would start `kim`'s home from different files" in err, err
    assert git(root, "status", "--porcelain") == ""


def test_a_mac_reading_the_home_without_the_account_is_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: kim's home is wired on a Mac without her account (no host of hers), and the desk,
    where she had none, moves firefox. It went into the home the Mac reads (refused, exit 3:
    tests/test_migrate_darwin.py); it goes to the desk's own file, with a `home.stateVersion`
    of its own (the Mac's file, which has one, is not the desk's), and the Mac's files keep
    their bytes."""
    root = make_git_repo(write(tmp_path / "repo", HOME_WITHOUT_ACCOUNT))
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    for name in ("home/kim/default.nix", "hosts/mac/default.nix"):
        assert (root / name).read_text() == HOME_WITHOUT_ACCOUNT[name], name
    own = (root / "home/kim/desk.nix").read_text()
    assert 'home.stateVersion = "25.05";' in own and "features/desktop.nix" in own, own
    flake = (root / "flake.nix").read_text()
    assert "home-manager.users.kim.imports = [ ./home/kim/desk.nix ];" in flake, flake
