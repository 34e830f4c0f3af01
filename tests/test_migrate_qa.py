"""Regression tests from QA: real-world shapes that once broke `homeward migrate`.

Each case is `tests/fixtures/migrate-qa/<case>/before/` (with `sub` naming the flake's directory
when it is not the repo root). `migrate` must either apply, and then keep every user's packages
and settings (the real nix and the stand-ins), keep every comment, write files nix parses, and
change nothing on a second run; or refuse with exit 3, a located message, and nothing written.
Cases listed in REFUSED must refuse.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.nix.ops import extract_outputs_standins
from tests.conftest import FIXTURES
from tests.helpers import STANDINS, copy_tree, make_git_repo, tree_files
from tests.test_conservation import assert_conserved
from tests.test_migrate import comments

QA = FIXTURES / "migrate-qa"
SUB = {"01-subdir-flake": "nixos"}
# Inputs homeward cannot handle exactly: it must say so (exit 3), never guess.
# (15-flake-parts-module-file was refused until the wiring could go where a host's module list
# is written, in any file: it now migrates, issue 11.)
REFUSED: dict[str, str] = {
    # the only known host's module list is written in a helper an unknown host uses too.
    "25-helper-shared-with-unknown-host": "the module list of `pc` is also read by an entry of",
}


# Absolute imports outside the repository that the test machine does not have: for the
# conservation check (only) both trees import a stub at a path that exists instead. migrate
# leaves such an import alone, so before and after read the same stub.
IMPURE: dict[str, dict[bytes, bytes]] = {
    "10b-absolute-hardware-import": {b"/etc/nixos/hardware-configuration.nix": b"{ }\n"},
}


def evaluable(case: str, tree: Path, scratch: Path) -> Path:
    """`tree`, or a copy of it whose absolute imports of IMPURE name stubs under `scratch`."""
    stubs = IMPURE.get(case)
    if not stubs:
        return tree
    copy = copy_tree(tree, scratch / "tree")
    for n, (target, text) in enumerate(stubs.items()):
        stub = scratch / f"stub{n}.nix"
        stub.write_bytes(text)
        for path in copy.rglob("*.nix"):
            data = path.read_bytes()
            if target in data:
                path.write_bytes(data.replace(target, str(stub).encode()))
    return copy


def cases() -> list[str]:
    return sorted(p.name for p in QA.iterdir() if (p / "before").is_dir())


@pytest.mark.nix
@pytest.mark.parametrize("case", cases())
def test_qa_case(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    work = make_git_repo(copy_tree(QA / case / "before", tmp_path / "repo"))
    flake = work / SUB.get(case, "")
    snapshot = tree_files(work)
    sub = SUB.get(case, "")
    before = None
    if case not in REFUSED:
        before = extract_outputs_standins(
            evaluable(case, work, tmp_path / "before") / sub, STANDINS
        )
    code = main(["migrate", str(flake)])
    err = capsys.readouterr().err
    if case in REFUSED:
        assert code == 3, err
        assert REFUSED[case] in err
        assert tree_files(work) == snapshot
        return
    assert code == 0, err
    assert "internal error" not in err
    lost = comments(QA / case / "before") - comments(work)
    assert not lost, f"comments lost: {sorted(lost)}"
    nix = shutil.which("nix-instantiate")
    assert nix is not None
    for path in work.rglob("*.nix"):
        if ".git" in path.parts or path.read_bytes() == snapshot.get(str(path.relative_to(work))):
            continue
        p = subprocess.run([nix, "--parse", str(path)], capture_output=True, text=True, check=False)
        assert p.returncode == 0, f"{path.relative_to(work)}: {p.stderr}"
    for rel, data in tree_files(work).items():
        if not rel.endswith(".nix"):
            continue
        was = snapshot.get(rel)
        crlf = was is not None and was.count(b"\r\n") * 2 > was.count(b"\n")
        lines = data.split(b"\n")[:-1]
        if crlf:
            assert all(line.endswith(b"\r") for line in lines), f"{rel} mixes line endings"
        else:
            assert not any(line.endswith(b"\r") for line in lines), f"{rel} got CR line endings"
    assert before is not None
    after_eval = evaluable(case, work, tmp_path / "after") / sub
    assert_conserved(before, extract_outputs_standins(after_eval, STANDINS))
    after = tree_files(work)
    assert main(["migrate", str(flake), "--allow-dirty"]) == 0, capsys.readouterr().err
    assert tree_files(work) == after, "a second run changed bytes"
