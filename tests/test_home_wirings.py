"""Home wirings migrate reads only in part: a file in `home-manager.sharedModules`, a home set
as a whole in parentheses, and one it does not read as a home (`import ./home.nix // { … }`).

`home-manager.sharedModules = [ ./home/common.nix ];` makes the file a module of every
user's home on the host, which the model does not follow. Reached as ann's home too
(`home-manager.users.ann = import ./home/common.nix;`), migrate took it for her entry point
and imported her feature files from it: bob, on the same host, got ann's packages, and
migrate exited 0. The file now stays as it is, reported; what ann gets goes beside it, and
where that needs the home written as a path (`….imports = [ ./home/common.nix … ]`), which
the module system would then read once where it read it twice, migrate refuses."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake, make_git_repo, nixos_entry, tree_files

FLAKE = hm_flake(nixos_entry("a", "./hosts/a home-manager.nixosModules.home-manager"))

HOST = """{ pkgs, ... }:
{
  imports = [ ./hardware.nix ];
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
  users.users.bob.isNormalUser = true;
  users.users.bob.packages = [ pkgs.acpi ];
  home-manager.sharedModules = [ ../../home/common.nix ];
  home-manager.users.ann = import ../../home/common.nix;
  home-manager.users.bob.home.stateVersion = "25.05";
}
"""

COMMON = """{ pkgs, ... }:
{
  home.packages = [ pkgs.jq ];
  home.stateVersion = "25.05";
}
"""

HARDWARE = "{ ... }:\n{\n  boot.loader.grub.enable = false;\n}\n"


def write(root: Path, found: Mapping[str, str]) -> Path:
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return make_git_repo(root)


def shared(tmp_path: Path, *, own: bool) -> Path:
    """Host `a`: ann's home is `home/common.nix`, which `home-manager.sharedModules` gives
    every user there; `own`: the host has a second file of its own (`hardware.nix`)."""
    host = HOST if own else HOST.replace("  imports = [ ./hardware.nix ];\n", "")
    found = {"flake.nix": FLAKE, "hosts/a/default.nix": host, "home/common.nix": COMMON}
    if own:
        found["hosts/a/hardware.nix"] = HARDWARE
    return write(tmp_path / "repo", found)


@pytest.mark.nix
def test_a_shared_module_that_is_a_users_home_too_gives_no_one_else_her_packages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: bob got ann's `htop` through `home/common.nix`, which migrate took for ann's
    entry point and which sharedModules gives bob too; migrate exited 0."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = shared(tmp_path, own=True)
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    said = capsys.readouterr()
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "`home/common.nix` is left as it is" in said.out + said.err
    written = tree_files(root)
    assert written["home/common.nix"] == COMMON.encode()
    assert "htop" not in after.hosts["a"].users["bob"].packages
    assert "htop" in after.hosts["a"].users["ann"].packages
    # The file is read as often as before: once by path, once imported.
    users = after.hosts["a"].users
    assert users["ann"].home_packages.count("jq") == before.hosts["a"].users[
        "ann"
    ].home_packages.count("jq")
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written


def test_a_shared_module_set_as_a_users_whole_home_is_not_written_as_a_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: with no other file of the host to wire ann's own file from, `home-manager.users.
    ann = import ../../home/common.nix;` would be written as `….imports = [
    ../../home/common.nix … ];`: the same path as in sharedModules, which the module system
    reads once (`home.packages` had `jq` twice, then once)."""
    root = shared(tmp_path, own=False)
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    assert "hosts/a/default.nix:10:" in err
    assert "`../../home/common.nix` is in `home-manager.sharedModules` of `a` too" in err
    assert tree_files(root) == before


# -- a home set as a whole, in parentheses or as an update ---------------------------------------
WHOLE = """{ lib, pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
  users.users.bob.isNormalUser = true;
  users.users.bob.packages = [ pkgs.acpi ];
  home-manager.users.ann = VALUE;
  home-manager.users.bob = import ../../home/common.nix;
}
"""

ATTRS = """{
  home.stateVersion = "25.05";
  programs.git.enable = true;
}
"""


def whole(tmp_path: Path, value: str, *, bob: bool = True) -> Path:
    """ann's home set as a whole to `value`; `bob`: bob's to the same file."""
    host = WHOLE.replace("VALUE", value)
    if not bob:
        host = host.replace("  home-manager.users.bob = import ../../home/common.nix;\n", "")
    found = {"flake.nix": FLAKE, "hosts/a/default.nix": host, "home/common.nix": ATTRS}
    return write(tmp_path / "repo", found)


@pytest.mark.nix
@pytest.mark.parametrize(
    "value",
    [
        "(import ../../home/common.nix)",
        "((import ../../home/common.nix))",
        "(../../home/common.nix)",
    ],
    ids=["import", "twice", "path"],
)
def test_a_home_set_as_a_whole_in_parentheses_is_the_module_list_it_is(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `(import ./home.nix)` was refused ("not a bare `import` of a file"), though the
    parentheses change nothing: ann's home, which bob's starts from too, is written as the
    module list with her own file in it, as without them."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = whole(tmp_path, value)
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    written = tree_files(root)
    host = written["hosts/a/default.nix"].decode()
    assert (
        "  home-manager.users.ann.imports = [\n"
        "    ../../home/common.nix\n"
        "    ../../home/ann/a.nix\n"
        "  ];\n"
    ) in host, host
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.hosts["a"].users["ann"].packages
    assert "htop" not in after.hosts["a"].users["bob"].packages
    assert main(["check", str(root)]) == 0
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written


def test_a_home_set_as_an_update_of_sets_is_refused_with_how_to_write_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `import ./home.nix // { … }` made migrate stop with an internal error (exit 4):
    Nix merges `//` shallowly, and the files migrate added for ann were read by nothing."""
    update = "import ../../home/common.nix // { home.packages = [ pkgs.jq ]; }"
    root = whole(tmp_path, update, bob=False)
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    assert "hosts/a/default.nix:9:28:" in err
    assert "as an update of attribute sets" in err
    assert "internal error" not in err
    assert tree_files(root) == before
