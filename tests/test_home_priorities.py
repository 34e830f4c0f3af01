"""A priority inside a user's home on an option migrate moves definitions into.

The module system keeps, for each option, only the definitions of the highest priority
(`mkForce` 50 < plain 100 < `mkDefault` 1000 < `mkOptionDefault` 1500). With
`home-manager.users.ann.home.packages = lib.mkForce [ pkgs.ripgrep ];` (or `home.packages =
lib.mkForce …` in a home file ann's configurations read), the packages migrate moved from
`users.users.ann.packages` into `home.packages` were dropped: ann lost `htop`, and migrate
exited 0. With `mkDefault` (or `mkOverride 900`, `mkOptionDefault`) it was the other way: the
moved plain definitions dropped the home's own. A priority on a prefix (`home = lib.mkForce {
packages = …; }`, `programs.git = lib.mkForce { … }`) is the same: the module system pushes it
down to the options the set defines. What would move into such an option stays where it is
(a NixOS option, as before), and the report says why; `mkBefore`/`mkAfter` only order, and
what migrate moves joins them."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake, home_entry, make_git_repo, nixos_entry, tree_files

MODULE_FLAKE = hm_flake(
    nixos_entry("a", "./hosts/a home-manager.nixosModules.home-manager"),
)

STANDALONE_FLAKE = hm_flake(
    nixos_entry("a", "./hosts/a"),
    home_entry('"ann@a"', "./home/ann/home.nix"),
)

HOST = """{ lib, pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
  imports = [ ../../home/ann.nix ];
HM}
"""

# ann's own NixOS file: what migrate moves of it (a git setting, a session variable).
ANN = """{ ... }:
{
  programs.git.enable = true;
  programs.git.config.user.name = "Ann";
  environment.sessionVariables.PAGER = "less";
}
"""

HOME = """{ lib, pkgs, ... }:
{
  home.stateVersion = "25.05";
HOME}
"""


def repo(tmp_path: Path, *, nixos: str = "", home: str = "", standalone: bool = False) -> Path:
    """Host `a` with ann's account packages and her NixOS file; `nixos`: lines of the host
    (`home-manager.users.ann.…`), `home`: lines of her home file (`home/ann/home.nix`), read
    through the NixOS module (`home-manager.users.ann.imports`), or through
    `homeConfigurations."ann@a"` alone."""
    wiring = (
        "" if standalone else "  home-manager.users.ann.imports = [ ../../home/ann/home.nix ];\n"
    )
    found = {
        "flake.nix": STANDALONE_FLAKE if standalone else MODULE_FLAKE,
        "hosts/a/default.nix": HOST.replace("HM", wiring + nixos),
        "home/ann.nix": ANN,
        "home/ann/home.nix": HOME.replace("HOME", home),
    }
    root = tmp_path / "repo"
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return make_git_repo(root)


def packages(extract: object, standalone: bool) -> Mapping[str, frozenset[str]]:
    """What ann gets, by wiring."""
    from homeward.model.extract import Extract

    assert isinstance(extract, Extract)
    from tests.test_conservation import MAY_ADD

    found = {"nixos": frozenset(extract.hosts["a"].users["ann"].packages) - MAY_ADD}
    if standalone:
        found["standalone"] = frozenset(extract.homes["ann@a"].packages) - MAY_ADD
    return found


# (nixos lines, home lines, what stays on the NixOS side and is said so)
CASES = {
    "force-in-host": (
        "  home-manager.users.ann.home.packages = lib.mkForce [ pkgs.ripgrep ];\n",
        "",
    ),
    "default-in-host": (
        "  home-manager.users.ann.home.packages = lib.mkDefault [ pkgs.ripgrep ];\n",
        "",
    ),
    "override-in-host": (
        "  home-manager.users.ann.home.packages = lib.mkOverride 900 [ pkgs.ripgrep ];\n",
        "",
    ),
    "option-default-in-host": (
        "  home-manager.users.ann.home.packages = lib.mkOptionDefault [ pkgs.ripgrep ];\n",
        "",
    ),
    "prefix-in-host": (
        "  home-manager.users.ann.home = lib.mkForce { packages = [ pkgs.ripgrep ]; };\n",
        "",
    ),
    "force-in-home": ("", "  home.packages = lib.mkForce [ pkgs.ripgrep ];\n"),
    "default-in-home": ("", "  home.packages = lib.mkDefault [ pkgs.ripgrep ];\n"),
    "prefix-in-home": (
        "",
        '  programs = lib.mkDefault { git.settings.core.editor = "vim"; };\n',
    ),
    "git-in-host": (
        (
            "  home-manager.users.ann.programs.git = lib.mkForce {\n"
            '    enable = true;\n    settings.core.editor = "vim";\n  };\n'
        ),
        "",
    ),
    "git-in-home": ("", '  programs.git.settings = lib.mkForce { core.editor = "vim"; };\n'),
    "variables-in-home": (
        "",
        '  home.sessionVariables = lib.mkForce { EDITOR = "vim"; };\n',
    ),
    "variables-merged-in-home": (
        "",
        '  home.sessionVariables = lib.mkMerge [ (lib.mkDefault { EDITOR = "vim"; }) ];\n',
    ),
}


@pytest.mark.nix
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_priority_in_the_home_drops_nothing_migrate_moves(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate exited 0 while ann lost `htop` (or `ripgrep`, a git setting, a variable):
    the priority dropped what moved beside it, or what moved dropped what it kept."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    nixos, home = CASES[case]
    root = repo(tmp_path, nixos=nixos, home=home)
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    out = capsys.readouterr()
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert packages(before, False)["nixos"] <= packages(after, False)["nixos"]
    assert after.hosts["a"].users["ann"].settings == before.hosts["a"].users["ann"].settings
    said = out.out + out.err
    assert "warning: `" in said and "` stays " in said, said
    assert "with `lib.mk" in said and "keeps only the definitions of the highest" in said
    written = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written


SHARED = "  home-manager.sharedModules = [ ../../home/shared.nix ];\n"


@pytest.mark.nix
@pytest.mark.parametrize(
    ("nixos", "shared"),
    [
        (SHARED, "{ lib, pkgs, ... }:\n{\n  home.packages = lib.mkForce [ pkgs.ripgrep ];\n}\n"),
        (SHARED, "{ ... }:\n{\n  imports = [ ./more.nix ];\n}\n"),
        (
            (
                "  home-manager.sharedModules = [\n"
                "    { home.packages = lib.mkDefault [ pkgs.ripgrep ]; }\n"
                "  ];\n"
            ),
            "",
        ),
    ],
    ids=["file", "imported", "inline"],
)
def test_a_priority_in_a_shared_module_drops_nothing_migrate_moves(
    nixos: str, shared: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `home-manager.sharedModules` gives every user's home on the host its modules,
    which the model does not follow: a priority there on `home.packages` dropped what migrate
    moved (or was dropped by it), and nothing looked."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = repo(tmp_path, nixos=nixos)
    if shared:
        (root / "home/shared.nix").write_text(shared)
        more = "{ lib, pkgs, ... }:\n{\n  home.packages = lib.mkForce [ pkgs.ripgrep ];\n}\n"
        (root / "home/more.nix").write_text(more)
        make_git_repo(root)
    before = extract_outputs_standins(root, STANDINS)
    assert "ripgrep" in before.hosts["a"].users["ann"].packages
    # The NixOS wiring alone: a standalone configuration reads no sharedModules.
    assert main(["migrate", "--mode=module", str(root)]) == 0, capsys.readouterr().err
    said = capsys.readouterr()
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "`users.users.ann.packages` stays where it is" in said.out + said.err


@pytest.mark.nix
@pytest.mark.parametrize("case", ["force-in-home", "default-in-home", "git-in-home"])
def test_a_priority_in_a_standalone_home_drops_nothing_migrate_moves(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the same through `homeConfigurations."ann@a"`: her home file, which the new NixOS
    wiring reads too, held the priority."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    _, home = CASES[case]
    root = repo(tmp_path, home=home, standalone=True)
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert packages(before, True)["standalone"] <= packages(after, True)["standalone"]
    assert "htop" in after.hosts["a"].users["ann"].packages
    written = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written


@pytest.mark.nix
@pytest.mark.parametrize("order", ["mkBefore", "mkAfter", "mkOrder 700"])
def test_an_order_in_the_home_moves_as_before(
    order: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`mkBefore`/`mkAfter`/`mkOrder` do not drop: ann's packages move beside them."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = repo(tmp_path, home=f"  home.packages = lib.{order} [ pkgs.ripgrep ];\n")
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    assert "stays where it is" not in capsys.readouterr().out
    written = tree_files(root)
    assert "pkgs.htop" not in written["hosts/a/default.nix"].decode()
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert {"ripgrep", "htop"} <= set(after.hosts["a"].users["ann"].home_packages)


# A definition migrate moves that has a priority of its own: (host's account packages, ann's
# NixOS file, her home's lines).
OWN = {
    "default-packages": ("lib.mkDefault [ pkgs.htop ]", ANN, ""),
    "force-packages": ("lib.mkForce [ pkgs.htop ]", ANN, "  home.packages = [ pkgs.ripgrep ];\n"),
    "force-git": (
        "[ pkgs.htop ]",
        ANN.replace(
            '  programs.git.config.user.name = "Ann";\n',
            '  programs.git.config = lib.mkForce { user.name = "Ann"; };\n',
        ).replace("{ ... }:", "{ lib, ... }:"),
        '  programs.git.enable = true;\n  programs.git.extraConfig.core.editor = "vim";\n',
    ),
}


@pytest.mark.nix
@pytest.mark.parametrize("case", sorted(OWN))
def test_a_moved_definition_with_a_priority_of_its_own_drops_nothing(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `users.users.ann.packages = lib.mkDefault [ pkgs.htop ];` moved into her
    `home.packages` beside the home-manager command migrate adds there (a plain definition):
    she lost `htop`. With `lib.mkForce` it dropped what her home had (`ripgrep`, and `git`,
    the package of the program it enables). A git section with `lib.mkForce` would drop her
    home's own (`programs.git.extraConfig` is an option of home-manager, ranked as a whole;
    the stand-ins merge its sets freely, so there the report is what is checked)."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    packages, ann, home = OWN[case]
    root = repo(tmp_path, home=home)
    (root / "hosts/a/default.nix").write_text(
        HOST.replace(
            "HM", "  home-manager.users.ann.imports = [ ../../home/ann/home.nix ];\n"
        ).replace("[ pkgs.htop ]", packages)
    )
    (root / "home/ann.nix").write_text(ann)
    make_git_repo(root)
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    said = capsys.readouterr()
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "it is written with `lib.mk" in said.out + said.err
    written = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written


def test_a_moved_definition_with_a_priority_the_home_does_not_define_still_moves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`programs.git.enable = lib.mkDefault true;` meets nothing in a home without git."""
    root = repo(tmp_path)
    (root / "home/ann.nix").write_text(
        ANN.replace(
            "programs.git.enable = true;", "programs.git.enable = lib.mkDefault true;"
        ).replace("{ ... }:", "{ lib, ... }:")
    )
    make_git_repo(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    git = tree_files(root)["home/ann/features/git.nix"].decode()
    assert "programs.git.enable = lib.mkDefault true;" in git
