"""HW020 says "current nix-darwin refuses to build it": an error only when the nix-darwin the host
is built with is known to require `system.primaryUser` (issue 11: errors only where they are
provably true). `system.primaryUser` came with nix-darwin 25.05; a flake.lock can pin master
at a revision from before it, and `inputs.darwin.lib.darwinSystem` names the input `darwin`,
not `inputs`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import check_findings, make_git_repo

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-unstable";
  inputs.darwin.url = "DARWIN";
  outputs =
    inputs:
    {
      darwinConfigurations.mac = inputs.darwin.lib.darwinSystem {
        modules = [ ./mac.nix ];
      };
    };
}
"""

MAC = """{
  nixpkgs.hostPlatform = "aarch64-darwin";
  system.stateVersion = 5;
  users.users.ham.home = "/Users/ham";
  homebrew.enable = true;
}
"""


def lock(modified: int) -> str:
    """A flake.lock pinning the `darwin` input's master at the time `modified`."""
    nodes = {
        "darwin": {
            "locked": {
                "lastModified": modified,
                "owner": "nix-darwin",
                "repo": "nix-darwin",
                "rev": "0" * 40,
                "type": "github",
            },
            "original": {"owner": "nix-darwin", "repo": "nix-darwin", "type": "github"},
        },
        "root": {"inputs": {"darwin": "darwin"}},
    }
    return json.dumps({"nodes": nodes, "root": "root", "version": 7}, indent=2) + "\n"


def hw020(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str, locked: int | None = None
) -> bool:
    root = tmp_path / "repo"
    root.mkdir(parents=True)
    (root / "flake.nix").write_text(FLAKE.replace("DARWIN", url))
    (root / "mac.nix").write_text(MAC)
    if locked is not None:
        (root / "flake.lock").write_text(lock(locked))
    make_git_repo(root)
    return any(f["code"] == "HW020" for f in check_findings(root, capsys, "--select", "HW020"))


def test_the_release_branch_of_an_input_named_through_inputs_counts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "github:nix-darwin/nix-darwin/nix-darwin-24.11"
    assert not hw020(tmp_path / "old", capsys, url)
    assert hw020(tmp_path / "new", capsys, url.replace("24.11", "25.05"))


def test_master_pinned_before_primary_user_is_no_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "github:nix-darwin/nix-darwin"
    assert not hw020(tmp_path / "2024", capsys, url, locked=1733000000)  # 2024-11-30
    assert hw020(tmp_path / "2026", capsys, url, locked=1786845137)  # 2026-08
    # Unpinned: `nix flake lock` fetches today's master, which requires it.
    assert hw020(tmp_path / "unpinned", capsys, url)


def test_migrate_sets_it_only_where_the_pinned_nix_darwin_has_it(tmp_path: Path) -> None:
    """Why: one fact, one place: the nix-darwin that check says lacks `system.primaryUser`
    (master pinned before it) gets no `system.primaryUser` from migrate either: the option
    does not exist there, and the host would not evaluate."""
    from tests.helpers import copy_tree

    fixture = Path(__file__).resolve().parent / "fixtures/migrate/darwin-mac/before"
    for name, locked, expected in (("old", 1733000000, False), ("new", 1786845137, True)):
        root = copy_tree(fixture, tmp_path / name)
        flake = root / "flake.nix"
        text = flake.read_text()
        flake.write_text(
            text.replace("nix-darwin/nix-darwin/nix-darwin-25.05", "nix-darwin/nix-darwin")
        )
        (root / "flake.lock").write_text(lock(locked).replace('"darwin"', '"nix-darwin"'))
        make_git_repo(root)
        assert main(["migrate", str(root)]) == 0
        written = "".join(p.read_text() for p in root.rglob("*.nix"))
        assert ("system.primaryUser" in written) is expected, name


def test_the_index_decides_each_mac_s_primary_user_once(tmp_path: Path) -> None:
    """Why: `Index.primary_user` walked the Mac's modules and read flake.lock again on every
    question (check asks for lint and again for the plan behind "fixable"): it is decided in
    the index's one pass, so a flake.lock changed after the read does not change the answer."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo

    root = tmp_path / "repo"
    root.mkdir()
    (root / "flake.nix").write_text(FLAKE.replace("DARWIN", "github:nix-darwin/nix-darwin"))
    (root / "mac.nix").write_text(MAC)
    (root / "flake.lock").write_text(lock(1733000000))  # master pinned before the option
    make_git_repo(root)
    index = build_index(load_repo(root, darwin=True))
    (mac,) = index.macs
    first = index.primary_user(mac)
    assert (first.option, first.user, first.needed_by is not None) == (False, "ham", True)
    (root / "flake.lock").write_text(lock(1786845137))
    assert index.primary_user(mac) is first
