"""The loader's snapshot of what is on disk: planners ask it whether a path is taken."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from homeward.model.files import list_files


def test_lists_files_and_directories_not_git(tmp_path: Path) -> None:
    (tmp_path / "home/ham/features").mkdir(parents=True)
    (tmp_path / "home/ham/default.nix").write_text("{ }\n")
    (tmp_path / ".git/objects").mkdir(parents=True)
    (tmp_path / ".git/HEAD").write_text("ref: refs/heads/main\n")
    snap = list_files(tmp_path)
    assert snap.is_file("home/ham/default.nix")
    assert snap.is_dir(PurePosixPath("home/ham/features"))
    assert snap.exists("home/ham") and not snap.is_file("home/ham")
    assert not snap.exists("home/ham/features/cli.nix")
    assert not snap.exists(".git/HEAD") and not snap.exists(".git")


def test_symlinks_inside_are_followed_outside_are_entries(tmp_path: Path) -> None:
    """Why: `Path.exists` follows a link inside the repo (so must the snapshot, or a planner
    would create a file over one); a link leading outside is never followed (rule 12)."""
    repo = tmp_path / "repo"
    (repo / "real/ham").mkdir(parents=True)
    (repo / "real/ham/default.nix").write_text("{ }\n")
    (repo / "home").symlink_to(repo / "real")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.nix").write_text("{ }\n")
    (repo / "ext").symlink_to(outside)
    (repo / "real/loop").symlink_to(repo / "real")
    (repo / "dangling.nix").symlink_to(tmp_path / "gone.nix")
    snap = list_files(repo)
    assert snap.is_file("home/ham/default.nix") and snap.is_file("real/ham/default.nix")
    assert snap.is_dir("home") and snap.is_dir("real/loop")
    assert snap.is_dir("ext") and not snap.exists("ext/secret.nix")
    assert snap.is_file("dangling.nix")  # an entry is there: nothing may be written over it
