"""A user whose home the host's NixOS module wires from two files side by side
(`home-manager.users.kim.imports = [ ./home/entry.nix ./home/extra.nix ]`), neither importing
the other. The `homeConfigurations."kim@box"` migrate adds must read both (rule 13: both
wirings of a host read the same files); it listed the entry only, and the plan's own check
stopped the run as an internal error (exit 4)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import (
    BOX_HOST,
    box_home_flake,
    make_git_repo,
    migrate_stderr,
    standalone_entry,
    write,
)
from tests.test_migrate_darwin import nix_value

FILES = {
    "flake.nix": box_home_flake("./home/entry.nix", "./home/extra.nix"),
    "hosts/box.nix": BOX_HOST,
    "home/entry.nix": "{ pkgs, ... }:\n{\n"
    "  home.packages = [ pkgs.ripgrep ];\n"
    '  home.stateVersion = "24.11";\n}\n',
    "home/extra.nix": '{\n  home.sessionVariables.EDITOR = "vi";\n}\n',
}


def test_the_new_standalone_home_reads_every_file_of_the_nixos_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    migrate_stderr(root, capsys)
    standalone = standalone_entry(root, "kim@box")
    assert "./home/entry.nix" in standalone and "./home/extra.nix" in standalone
    assert (root / "home" / "extra.nix").read_text() == FILES["home/extra.nix"]


@pytest.mark.nix
def test_both_wirings_hold_the_same_home(tmp_path: Path) -> None:
    root = make_git_repo(write(tmp_path / "repo", FILES))
    assert main(["migrate", str(root)]) == 0
    for config in (
        'homeConfigurations."kim@box".config',
        "nixosConfigurations.box.config.home-manager.users.kim",
    ):
        assert nix_value(root, f"{config}.home.sessionVariables.EDITOR") == "vi", config
