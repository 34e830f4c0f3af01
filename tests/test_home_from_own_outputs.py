"""A host whose home is a module of the flake's own outputs: `home-manager.users.kim =
flake.homeConfigurations.desk;`, with `flake = self` passed in `specialArgs` and the module a
function written in flake.nix that imports the repository's home files (youngker/nix-config:
`outputs.homeConfigurations.<name>`). homeward took the name for an input's module and read
none of it: the host's home files were not the host's, and check said the home set no
`home.stateVersion` (HW007) while `home.nix` sets it."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.model.repo import Context, load_repo
from tests.helpers import hm_flake, make_git_repo, write
from tests.test_check import Ran

ENTRY = (
    "      nixosConfigurations.box = nixpkgs.lib.nixosSystem {\n"
    '        system = "x86_64-linux";\n'
    "        specialArgs.flake = self;\n"
    "        modules = [ ./host.nix home-manager.nixosModules.home-manager ];\n"
    "      };\n"
)
# A home-manager module (a function) kept under homeConfigurations; its imports are computed
# from the flake's own scope (`self.homeModules`), its `pkgs` is home-manager's.
MODULE = (
    "      homeConfigurations.desk = { pkgs, ... }: {\n"
    "        imports = [ ./home.nix ] ++ builtins.attrValues self.homeModules;\n"
    "      };\n"
    "      homeModules.cli = ./cli.nix;\n"
)
FILES = {
    "flake.nix": hm_flake(ENTRY, MODULE),
    "host.nix": "{ flake, ... }:\n{\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  home-manager.users.kim = flake.homeConfigurations.desk;\n"
    '  system.stateVersion = "25.05";\n}\n',
    "home.nix": '{ ... }:\n{\n  home.stateVersion = "25.05";\n}\n',
    "cli.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
}


def test_the_home_a_host_takes_from_its_own_outputs_is_read(tmp_path: Path) -> None:
    repo = load_repo(write(tmp_path, FILES))
    homes = {k: m.hosts for k, m in repo.modules.items() if m.context is Context.HOME}
    assert "box" in homes.get("home.nix", set()), homes
    assert "box" in homes.get("cli.nix", set()), homes
    assert not [p for p in repo.problems if "computed" in p.message], repo.problems


def test_check_sees_the_state_version_of_that_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from homeward.cli import main

    root = make_git_repo(write(tmp_path / "repo", FILES))
    monkeypatch.chdir(root)
    capsys.readouterr()
    code = main(["check", "."])
    ran = Ran(code, *capsys.readouterr())
    assert "HW007" not in ran.out, ran.out
