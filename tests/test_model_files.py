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
    assert snap.has_file("home/ham/default.nix")
    assert snap.has_dir(PurePosixPath("home/ham/features"))
    assert snap.taken("home/ham") and not snap.has_file("home/ham")
    assert not snap.taken("home/ham/features/cli.nix")
    assert not snap.taken(".git/HEAD") and not snap.taken(".git")


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
    assert snap.has_file("home/ham/default.nix") and snap.has_file("real/ham/default.nix")
    assert snap.has_dir("home") and snap.has_dir("real/loop")
    assert snap.has_dir("ext") and not snap.taken("ext/secret.nix")
    assert snap.has_file("dangling.nix")  # an entry is there: nothing may be written over it
