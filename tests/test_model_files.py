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


def _listed_with_realpath(root: Path) -> tuple[frozenset[str], frozenset[str]]:
    """The snapshot as it was made before: the real path of every directory asked for."""
    import os

    real_root, top = os.path.realpath(root), os.fspath(root)
    files: set[str] = set()
    dirs: set[str] = {"."}
    for current, dirnames, filenames in os.walk(top, followlinks=True):
        here = "" if current == top else current[len(top) + 1 :].replace(os.sep, "/") + "/"
        real = os.path.join(os.path.realpath(current), "")
        files.update(here + f for f in filenames)
        kept = []
        for d in dirnames:
            if d == ".git":
                continue
            dirs.add(here + d)
            target = os.path.join(os.path.realpath(os.path.join(current, d)), "")
            if target.startswith(os.path.join(real_root, "")) and not real.startswith(target):
                kept.append(d)
        dirnames[:] = kept
    return frozenset(files), frozenset(dirs)


def test_real_paths_of_directories_are_found_as_realpath_finds_them(tmp_path: Path) -> None:
    """Why: a directory's real path is its parent's and its name unless it is a symlink (one
    `lstat`, not `realpath` of every component); the snapshot is the one `realpath` gives, also
    through links to links, links inside linked directories, cycles, and a root reached through
    a symlink."""
    repo = tmp_path / "repo"
    (repo / "a/b/c").mkdir(parents=True)
    (repo / "a/b/c/x.nix").write_text("{ }\n")
    (repo / "a/to-b").symlink_to(repo / "a/b")
    (repo / "a/b/c/up").symlink_to("../..")  # a cycle, through a relative link
    (repo / "a/b/to-a").symlink_to(repo / "a")  # a cycle
    (repo / "link-to-link").symlink_to(repo / "a/to-b")
    (repo / "a/b/sib").symlink_to(repo / "other")
    (repo / "other/deep").mkdir(parents=True)
    (repo / "other/deep/y.nix").write_text("{ }\n")
    (tmp_path / "outside").mkdir()
    (repo / "a/out").symlink_to(tmp_path / "outside")
    (tmp_path / "via").symlink_to(repo)
    for root in (repo, tmp_path / "via"):
        snap = list_files(root)
        assert (snap.file_names, snap.dir_names) == _listed_with_realpath(root)
    assert list_files(tmp_path / "via").has_file("link-to-link/sib/deep/y.nix")
