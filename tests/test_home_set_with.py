"""A home file whose `home` is one binding with a `with` (or `let`) around its set.

`home = with pkgs; { packages = [ jq ]; };` is one definition of the attribute `home`; Nix
merges `home.username = …;` into `home = { … };` written as a set, but beside this form it is
"attribute 'home' already defined". Migrate wrote exactly that when it added what a
standalone configuration needs (`home.username`, `home.homeDirectory`): it stopped with an
internal error, nothing written. What the home needs now goes inside that set."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake, make_git_repo, nixos_entry, tree_files

FLAKE = hm_flake(nixos_entry("a", "./hosts/a.nix home-manager.nixosModules.home-manager"))

HOST = """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann = {
    isNormalUser = true;
    packages = [ pkgs.htop ];
  };
  home-manager.users.ann = import ../home/ann.nix;
}
"""

HOMES = {
    "with": '{ pkgs, ... }:\n{\n  home = with pkgs; {\n    stateVersion = "24.05";\n'
    "    packages = [ jq ];\n  };\n}\n",
    "let": "{ pkgs, ... }:\n{\n  home = let tools = [ pkgs.jq ]; in {\n"
    '    stateVersion = "24.05";\n    packages = tools;\n  };\n}\n',
}


def repo(tmp_path: Path, home: str) -> Path:
    root = tmp_path / "repo"
    for rel, text in {"flake.nix": FLAKE, "hosts/a.nix": HOST, "home/ann.nix": home}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    make_git_repo(root)
    return root


@pytest.mark.nix
@pytest.mark.parametrize("form", sorted(HOMES))
def test_a_home_set_through_with_takes_what_standalone_needs(
    form: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = repo(tmp_path, HOMES[form])
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    standalone = after.homes["ann@a"]
    assert "htop" in standalone.packages and "jq" in standalone.packages
    home = (root / "home/ann.nix").read_text()
    assert 'username = lib.mkDefault "ann";' in home and "home.username" not in home
    written = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written
    assert main(["check", str(root)]) == 0, capsys.readouterr().out
