"""Applying plans: byte-span splicing, and the all-or-nothing writer."""

from __future__ import annotations

import difflib
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from homeward.apply.spans import OverlapError, apply_edits, check_overlaps
from homeward.apply.transaction import apply_plan
from homeward.apply.write import compute_changes, unified_diff
from homeward.errors import HomewardError
from homeward.plan.types import Edit, FileChange, NewFile, Plan
from tests.helpers import git, make_git_repo, tree_files

P = Path("m.nix")


def edit(start: int, end: int, new: bytes, why: str = "test") -> Edit:
    return Edit(P, start, end, new, why)


def test_apply_edits_insert_replace_delete() -> None:
    text = b"{ a = 1; b = 2; }"
    assert apply_edits(text, [edit(2, 2, b"z = 0; ")]) == b"{ z = 0; a = 1; b = 2; }"
    assert apply_edits(text, [edit(6, 7, b"10")]) == b"{ a = 10; b = 2; }"
    assert apply_edits(text, [edit(9, 16, b"")]) == b"{ a = 1; }"
    # several at once, given in any order: offsets refer to the original text
    both = [edit(13, 14, b"3"), edit(2, 2, b"z = 0; "), edit(6, 7, b"9")]
    assert apply_edits(text, both) == b"{ z = 0; a = 9; b = 3; }"
    assert apply_edits(text, []) == text


def test_apply_edits_two_inserts_at_one_point_are_fine() -> None:
    assert apply_edits(b"ab", [edit(1, 1, b"x"), edit(1, 1, b"y")]) in (b"axyb", b"ayxb")


@pytest.mark.parametrize(
    ("first", "second"),
    [((0, 5), (4, 6)), ((2, 4), (2, 3)), ((0, 10), (3, 3)), ((3, 6), (0, 4))],
    ids=["tail-overlap", "same-start", "insert-inside", "head-overlap"],
)
def test_apply_edits_overlap_raises(first: tuple[int, int], second: tuple[int, int]) -> None:
    """Why: two edits of the same bytes means the planner is wrong; never guess a merge."""
    with pytest.raises(OverlapError, match="overlap"):
        apply_edits(b"0123456789", [edit(*first, b"x", "one"), edit(*second, b"y", "two")])


def test_apply_edits_outside_text_raises() -> None:
    with pytest.raises(OverlapError, match="outside"):
        apply_edits(b"abc", [edit(2, 9, b"")])


@st.composite
def text_and_edits(draw: st.DrawFn) -> tuple[bytes, list[Edit]]:
    text = draw(st.binary(max_size=200))
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=12)))
    edits: list[Edit] = []
    last = 0
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        if a < last:
            continue
        edits.append(edit(a, b, draw(st.binary(max_size=20))))
        last = b
    order = draw(st.permutations(edits))
    return text, list(order)


@given(text_and_edits())
def test_apply_edits_preserves_bytes_outside_edits(case: tuple[bytes, list[Edit]]) -> None:
    """Why: comments and formatting of untouched code must survive byte for byte."""
    text, edits = case
    out = apply_edits(text, edits)
    ordered = sorted(edits, key=lambda e: (e.start_byte, e.end_byte))
    # Rebuild the expected result piece by piece: untouched spans verbatim, edits replaced.
    expected = b""
    pos = 0
    for e in ordered:
        expected += text[pos : e.start_byte] + e.new
        pos = e.end_byte
    expected += text[pos:]
    assert out == expected
    assert len(out) == len(text) + sum(len(e.new) - (e.end_byte - e.start_byte) for e in edits)
    assert out.startswith(text[: ordered[0].start_byte] if ordered else text)
    assert out.endswith(text[ordered[-1].end_byte :] if ordered else b"")


@given(st.binary(max_size=100), st.data())
def test_check_overlaps_detects_every_overlap(text: bytes, data: st.DataObject) -> None:
    n = len(text)
    a = data.draw(st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted))
    b = data.draw(st.tuples(st.integers(0, n), st.integers(0, n)).map(sorted))
    edits = [edit(a[0], a[1], b"x"), edit(b[0], b[1], b"y")]
    overlapping = max(a[0], b[0]) < min(a[1], b[1]) or (
        # an insert strictly inside the other edit
        (a[0] == a[1] and b[0] < a[0] < b[1]) or (b[0] == b[1] and a[0] < b[0] < a[1])
    )
    if overlapping:
        with pytest.raises(OverlapError):
            check_overlaps(edits)
    else:
        check_overlaps(edits)


# -- apply_plan -----------------------------------------------------------------------------------

GOOD = b"{\n  a = 1;\n}\n"


def test_apply_plan_writes_new_files_and_edits(tmp_path: Path) -> None:
    old = b"{\n  # keep me\n  a = 1;\n}\n"
    (tmp_path / "m.nix").write_bytes(old)
    one = old.index(b"1;")
    plan = Plan(
        edits=(Edit(Path("m.nix"), one, one + 1, b"2", "bump"),),
        new_files=(NewFile(Path("sub/dir/new.nix"), GOOD, "new"),),
    )
    changes = apply_plan(tmp_path, plan)
    assert (tmp_path / "m.nix").read_bytes() == b"{\n  # keep me\n  a = 2;\n}\n"
    assert (tmp_path / "sub/dir/new.nix").read_bytes() == GOOD
    assert {str(c.path) for c in changes} == {"m.nix", "sub/dir/new.nix"}


def test_apply_plan_refuses_to_overwrite_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "b.nix").write_bytes(b"{ }\n")
    before = tree_files(tmp_path)
    plan = Plan(
        new_files=(
            NewFile(Path("a.nix"), GOOD, "new"),
            NewFile(Path("b.nix"), GOOD, "would overwrite"),
        )
    )
    with pytest.raises(HomewardError, match="already exists"):
        apply_plan(tmp_path, plan)
    assert tree_files(tmp_path) == before


def test_apply_plan_validates_before_writing_anything(tmp_path: Path) -> None:
    """Why: invalid Nix must never reach the disk, not even the valid files of the same plan."""
    plan = Plan(
        new_files=(
            NewFile(Path("a.nix"), GOOD, "fine"),
            NewFile(Path("b.nix"), b"{ a = 1;\n", "broken"),
        )
    )
    with pytest.raises(HomewardError) as info:
        apply_plan(tmp_path, plan)
    assert str(info.value.at) == "b.nix:1:9"
    assert list(tmp_path.iterdir()) == []


def test_apply_plan_rolls_back_when_a_write_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "keep.nix").write_bytes(b"{\n  a = 1;\n}\n")
    before = tree_files(tmp_path)
    # the journal is write 1, the new file write 2, the edit write 3
    monkeypatch.setenv("HOMEWARD_FAULT", "enospc")
    monkeypatch.setenv("HOMEWARD_FAULT_AT", "3")
    plan = Plan(
        edits=(Edit(Path("keep.nix"), 8, 9, b"5", "edit"),),
        new_files=(NewFile(Path("new/x.nix"), GOOD, "new"),),
    )
    with pytest.raises(HomewardError, match=r"cannot write `keep.nix`: No space.*put back"):
        apply_plan(tmp_path, plan)
    assert tree_files(tmp_path) == before
    assert not (tmp_path / "new").exists()


def test_apply_plan_refuses_paths_outside_the_repo(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "link").symlink_to(outside)
    for path in (Path("../x.nix"), Path("link/x.nix")):
        with pytest.raises(HomewardError):
            apply_plan(repo, Plan(new_files=(NewFile(path, GOOD, "escape"),)))
    assert list(outside.iterdir()) == []


def test_apply_plan_adds_new_files_to_git_with_intent(tmp_path: Path) -> None:
    """Why: flakes only see files git tracks; a new file nix cannot see breaks the build."""
    (tmp_path / "old.nix").write_bytes(GOOD)
    make_git_repo(tmp_path)
    apply_plan(tmp_path, Plan(new_files=(NewFile(Path("hosts/new.nix"), GOOD, "new"),)))
    status = git(tmp_path, "status", "--porcelain")
    assert " A hosts/new.nix" in status.splitlines()


def test_unified_diff_of_new_file(tmp_path: Path) -> None:
    changes = compute_changes(tmp_path, Plan(new_files=(NewFile(Path("a.nix"), GOOD, "n"),)))
    assert unified_diff(changes) == (
        "--- /dev/null\n+++ b/a.nix\n@@ -0,0 +1,3 @@\n+{\n+  a = 1;\n+}\n"
    )


WHOLE_TEXTS = [
    b"",
    b"x",
    b"x\n",
    b"{\n  a = 1;\n}",
    b"{\r\n  a = 1;\r\n}\r\n",
    b"one\rtwo\x0cthree\n\n",
    "caf\u00e9\u2028line\n".encode(),
    b"a\n" * 250,
]


@pytest.mark.parametrize("text", WHOLE_TEXTS)
def test_unified_diff_of_a_whole_file_is_difflibs(text: bytes) -> None:
    """Why (issue #9): a new or removed file's diff is written without difflib (1,245 new files
    at 200 hosts); it must be difflib's, byte for byte, empty files and odd line ends too."""

    def reference(old: bytes | None, new: bytes | None, a: str, b: str) -> str:
        lines = difflib.unified_diff(
            (old or b"").decode().splitlines(keepends=True),
            (new or b"").decode().splitlines(keepends=True),
            a,
            b,
        )
        return "".join(
            line if line.endswith("\n") else line + "\n\\ No newline at end of file\n"
            for line in lines
        )

    added = FileChange(Path("d/new.nix"), None, text)
    removed = FileChange(Path("d/old.nix"), text, None)
    assert unified_diff([added]) == reference(None, text, "/dev/null", "b/d/new.nix")
    assert unified_diff([removed]) == reference(text, None, "a/d/old.nix", "/dev/null")


def test_git_is_available() -> None:
    """Why: the writer shells out to git; fail loudly here rather than obscurely elsewhere."""
    assert subprocess.run(["git", "--version"], capture_output=True, check=False).returncode == 0


INTENT, SKIP = 0x20000000, 0x40000000  # git's CE_INTENT_TO_ADD and CE_SKIP_WORKTREE


def _flags(repo: Path) -> dict[str, int]:
    """Each index entry's flags, as `git ls-files --debug` shows them."""
    out = subprocess.run(
        ["git", "ls-files", "--debug"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    flags: dict[str, int] = {}
    path = ""
    for line in out.splitlines():
        if not line.startswith("  "):
            path = line
        elif "flags:" in line:
            flags[path] = int(line.split("flags:")[1], 16) & (INTENT | SKIP)
    return flags


def test_rollback_puts_back_intent_to_add_and_skip_worktree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (issue 10): the journal kept an index entry's mode and hash only; a rolled-back
    move of an intent-to-add file came back as a staged empty file, and a skip-worktree
    entry lost its flag."""
    from homeward.plan.types import Delete, Move

    repo = make_git_repo(tmp_path)
    (repo / "kept.nix").write_text("{ }\n")
    (repo / "new.nix").write_text("{ a = 1; }\n")
    git(repo, "add", "kept.nix")
    git(repo, "commit", "-qm", "kept")
    git(repo, "add", "--intent-to-add", "new.nix")
    git(repo, "update-index", "--skip-worktree", "kept.nix")
    before = _flags(repo)
    assert before["new.nix"] & INTENT and before["kept.nix"] & SKIP
    plan = Plan(
        moves=(Move(Path("new.nix"), Path("moved.nix"), "a move"),),
        deletes=(Delete(Path("kept.nix"), "gone"),),
    )

    def fail(*_args: object) -> None:
        raise HomewardError("failed after the index was written")

    # The last step of a write, after the index changed: everything must go back.
    monkeypatch.setattr("homeward.apply.write.record_written", fail)
    with pytest.raises(HomewardError):
        apply_plan(repo, plan)
    assert _flags(repo) == before
    assert (repo / "new.nix").read_text() == "{ a = 1; }\n"


def test_directories_of_written_files_are_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (issue 10): a rename is durable only once its directory is fsynced; the journal
    was removed (durably) while the renames of the files it protected might not be."""
    from homeward.apply import journal
    from homeward.plan.types import Delete, Move

    repo = make_git_repo(tmp_path)
    (repo / "a").mkdir()
    (repo / "a" / "old.nix").write_text("{ }\n")
    (repo / "gone.nix").write_text("{ }\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "files")
    synced: list[Path] = []
    real = journal.fsync_dir

    def record(directory: Path) -> None:
        synced.append(directory.resolve())
        real(directory)

    monkeypatch.setattr(journal, "fsync_dir", record)
    plan = Plan(
        new_files=(NewFile(Path("b/c/new.nix"), GOOD, "new"),),
        moves=(Move(Path("a/old.nix"), Path("a2/old.nix"), "a move"),),
        deletes=(Delete(Path("gone.nix"), "gone"),),
    )
    apply_plan(repo, plan)
    root = repo.resolve()
    assert not (root / "a").exists()  # emptied by the move: its parent holds the change
    for directory in (root / "b" / "c", root / "b", root, root / "a2"):
        assert directory in synced, directory
