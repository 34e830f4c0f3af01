"""A home-manager configuration that sets `home` as a whole from a let-bound set
(`home = identity;` with `identity = { stateVersion = "24.11"; ... }`) in a file beside its
entry. migrate moves the user's packages into that home, and must not write a
`home.stateVersion` of its own into the entry: the two values conflict, and the host no
longer evaluates. Reduced from a real configuration (the home's identity kept in a set of its
own, the home wired by a NixOS module the flake's host list builds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import BOX_HOST, box_home_flake, make_git_repo, migrate_stderr, write
from tests.test_migrate_darwin import nix_value

FILES = {
    "flake.nix": box_home_flake(
        "./home/entry.nix",
        "./home/identity.nix",
        settings="            home-manager.useUserPackages = true;\n",
    ),
    "hosts/box.nix": BOX_HOST,
    "home/entry.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n}\n",
    "home/identity.nix": "{ ... }:\nlet\n"
    '  identity = {\n    stateVersion = "24.11";\n    sessionVariables.EDITOR = "vi";\n  };\n'
    "in\n{\n  home = identity;\n}\n",
}


def test_no_second_state_version_beside_a_whole_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate read `home = identity;` as no `home.stateVersion` and wrote its own
    release into the entry, a second value of one priority."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    migrate_stderr(root, capsys)
    written = {
        str(p.relative_to(root)): p.read_text()
        for p in root.rglob("*.nix")
        if ".git" not in p.parts
    }
    assert "htop" not in written["hosts/box.nix"]  # the package moved
    assert not [
        p
        for p, text in written.items()
        if "stateVersion" in text and "home/" in p and p != "home/identity.nix"
    ], written
    assert written["home/identity.nix"] == FILES["home/identity.nix"]


@pytest.mark.nix
def test_the_home_keeps_its_own_state_version(tmp_path: Path) -> None:
    """Why: what counts is what Nix sees: one value, the user's own."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    assert main(["migrate", str(root)]) == 0
    home = "nixosConfigurations.box.config.home-manager.users.kim.home"
    assert nix_value(root, f"{home}.stateVersion") == "24.11"
