"""A standalone home built by a helper (`mkHome "kim@box" vars`) passes the helper's argument
`vars` in `extraSpecialArgs`, and its module takes it (`{ vars, ... }:`). Its value is a set
imported from a file, which homeward cannot write as code beside the host's module list.
migrate warned that the arguments "cannot be written", then wired home-manager's NixOS module
on `box` without `vars`, and moved kim's packages into that home: `box` no longer evaluated
(the home asks for an argument nobody passes). Such a host is left as it is, named at its
module list with the argument, where its value comes from and why it cannot be written;
nothing of kim's moves for it, and kim gets no new home on `lab`, where they have an account
and had no home (their only home is box's); a host without that home (`lab`) migrates. The same class
for hosts of one shared list: tests/test_shared_list_home_args.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import account, git, hm_flake_of, make_git_repo, migrate_stderr, write
from tests.test_migrate_darwin import nix_value

FLAKE = hm_flake_of(
    "{ nixpkgs, home-manager, ... }",
    """    let
      mkHome =
        vars:
        home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          extraSpecialArgs = { inherit vars; };
          modules = [ ./home/kim.nix ];
        };
    in
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/box.nix ];
      };
      nixosConfigurations.lab = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/lab.nix ];
      };
      homeConfigurations."kim@box" = mkHome (import ./vars.nix);
    };
""",
)


def host(name: str, user: str, packages: str) -> tuple[str, str]:
    return (
        "{ pkgs, ... }:\n{\n"
        f'  networking.hostName = "{name}";\n'
        f"  imports = [ ./{user}.nix ];\n"
        '  system.stateVersion = "25.05";\n}\n'
    ), account(user, packages)


BOX, KIM = host("box", "kim", "pkgs.htop")
LAB, ANN = host("lab", "ann", "pkgs.jq")
FILES = {
    "flake.nix": FLAKE,
    "hosts/box.nix": BOX,
    "hosts/kim.nix": KIM,
    # kim has an account on `lab` too, and nothing there: no home is made for it either.
    "hosts/lab.nix": LAB.replace("./ann.nix", "./ann.nix ./kim-account.nix"),
    "hosts/kim-account.nix": "{\n  users.users.kim.isNormalUser = true;\n}\n",
    "hosts/ann.nix": ANN,
    "vars.nix": '{\n  editor = "vim";\n}\n',
    "home/kim.nix": "{ vars, ... }:\n{\n"
    "  home.sessionVariables.EDITOR = vars.editor;\n"
    '  home.stateVersion = "25.05";\n}\n',
}


def repo(tmp_path: Path) -> Path:
    return make_git_repo(write(tmp_path / "repo", FILES))


def test_the_host_is_left_as_it_is_and_said_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = repo(tmp_path)
    err = migrate_stderr(root, capsys)
    assert "cannot be written for home-manager's NixOS module" not in err, err
    # Said at box's module list, with the argument and the place its value is written.
    assert "flake.nix:22:19: warning: host `box` is skipped" in err, err
    assert "home-manager cannot be wired into host `box`" in err, err
    assert "`vars`, given at flake.nix:28:45, is an attribute set" in err, err
    for name in ("hosts/box.nix", "hosts/kim.nix", "home/kim.nix"):
        assert (root / name).read_text() == FILES[name], name
    flake = (root / "flake.nix").read_text()
    box = flake[flake.index("nixosConfigurations.box") : flake.index("nixosConfigurations.lab")]
    assert "home-manager" not in box, box
    assert "home-manager.users.ann" in flake  # lab migrates
    assert "home-manager.users.kim" not in flake
    assert "nothing to move for `kim`" in err, err
    assert "pkgs.jq" not in (root / "hosts/ann.nix").read_text()
    assert not (root / "home/kim").exists()  # nothing of kim's moves, nothing is added
    assert '"kim@lab"' not in flake and '"kim@box" = mkHome' in flake
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root)]) == 0
    assert git(root, "status", "--porcelain") == ""  # a second run changes nothing


def test_with_no_other_host_nothing_changes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: no host left to migrate is exit 3 (docs/architecture.md), said with what to do."""
    lab = FLAKE.index("      nixosConfigurations.lab")
    flake = FLAKE[:lab] + FLAKE[FLAKE.index("      homeConfigurations") :]
    files = {k: v for k, v in FILES.items() if "ann" not in k and "lab" not in k}
    root = make_git_repo(write(tmp_path / "repo", {**files, "flake.nix": flake}))
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    assert "home-manager cannot be wired into host `box`" in err, err
    assert "hint: set `home-manager.extraSpecialArgs` on the host" in err, err
    assert git(root, "status", "--porcelain") == ""


def test_the_skipped_host_is_said_with_what_to_do(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: with another host left, the warning that `box` is skipped was printed without
    the hint its reason carries (said only when no host was left, as the error above)."""
    root = repo(tmp_path)
    capsys.readouterr()
    assert main(["migrate", "--dry-run", str(root)]) == 0
    lines = capsys.readouterr().err.splitlines()
    at = next(i for i, line in enumerate(lines) if "warning: host `box` is skipped" in line)
    assert lines[at + 1].startswith("  hint: set `home-manager.extraSpecialArgs` on the host"), (
        lines
    )


@pytest.mark.nix
def test_box_evaluates_after_with_what_kim_had(tmp_path: Path) -> None:
    """Why: what counts is what Nix sees. Before, `box` did not evaluate after migrate."""
    root = repo(tmp_path)
    assert main(["migrate", str(root)]) == 0
    packages = nix_value(root, "nixosConfigurations.box.config.users.users.kim.packages")
    assert isinstance(packages, list) and len(packages) == 1 and "htop" in packages[0]
    home = nix_value(root, 'homeConfigurations."kim@box".config.home.sessionVariables')
    assert home == {"EDITOR": "vim"}
