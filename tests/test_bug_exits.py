"""Which failures are homeward's bugs (exit 4) and which are the user's world (exit 3).

DESIGN's table: 3 when the input or the situation does not allow it, 4 for a homeward bug.
A move of a file the plan never read, or data from homeward's own extract.nix that does not
have the shape extract.nix prints, are bugs; a file deleted or changed by someone else between
homeward reading it and writing is the situation, and the message names the file.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from homeward.apply.transaction import session
from homeward.apply.write import compute_changes
from homeward.errors import Exit, HomewardError, InternalError
from homeward.model.extract import Extract
from homeward.model.index import build_index
from homeward.model.repo import Repo, load_repo
from homeward.plan.migrate import MigrateOptions, plan_migration
from homeward.plan.types import Delete, Move, Plan
from tests.conftest import EXAMPLE
from tests.helpers import copy_tree, make_git_repo, tree_files


def _planned(tmp_path: Path) -> tuple[Path, Plan]:
    """The example's migration, planned (it moves `home/ham.nix` to `home/ham/default.nix`)."""
    root = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    plan = plan_migration(build_index(load_repo(root, darwin=True)), MigrateOptions())
    assert [(m.src, m.dst) for m in plan.moves] == [
        (Path("home/ham.nix"), Path("home/ham/default.nix"))
    ]
    return root, plan


def test_a_moved_file_deleted_since_it_was_read_is_the_situation(tmp_path: Path) -> None:
    root, plan = _planned(tmp_path)
    (root / "home/ham.nix").unlink()
    with pytest.raises(HomewardError) as caught:
        compute_changes(root, plan)
    assert not isinstance(caught.value, InternalError)
    assert caught.value.exit_code == Exit.INPUT
    assert "`home/ham.nix` changed since it was read" in caught.value.message
    assert "it no longer exists" in caught.value.message


def test_a_moved_file_changed_since_it_was_read_is_the_situation(tmp_path: Path) -> None:
    """Why: the edits of the moved file are byte spans of what was read; applied to other bytes
    they would cut the file in the wrong places."""
    root, plan = _planned(tmp_path)
    ham = root / "home/ham.nix"
    ham.write_bytes(b"# edited meanwhile\n" + ham.read_bytes())
    with pytest.raises(HomewardError) as caught:
        compute_changes(root, plan)
    assert caught.value.exit_code == Exit.INPUT
    assert "`home/ham.nix` changed since it was read" in caught.value.message
    # As it was read, the plan goes through.
    ham.write_bytes(ham.read_bytes().removeprefix(b"# edited meanwhile\n"))
    assert compute_changes(root, plan)


def test_a_move_of_a_file_the_plan_never_read_is_a_bug(tmp_path: Path) -> None:
    make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    plan = Plan(moves=(Move(Path("home/nobody.nix"), Path("home/nobody/default.nix"), "t"),))
    with pytest.raises(InternalError) as caught:
        compute_changes(tmp_path / "repo", plan)
    assert caught.value.exit_code == Exit.BUG
    assert "`home/nobody.nix`" in caught.value.message
    assert "homeward bug" in (caught.value.hint or "")


_ANN: dict[str, object] = {
    "nixos_packages": ["jq"],
    "home_packages": [],
    "settings": {},
    "nixos_settings": {},
}
_GOOD = {"hosts": {"h": {"users": {"ann": _ANN}}}, "homes": {}}


@pytest.mark.parametrize(
    "broken",
    [
        [],
        {"hosts": []},
        {"hosts": {"h": {"users": {"ann": {"nixos_packages": "jq"}}}}},
        {"hosts": {"h": {"users": {"ann": {**_ANN, "settings": {"a": 1}}}}}},
        {"homes": {"ann": {"packages": [1]}}},
    ],
)
def test_data_extract_nix_never_prints_is_a_bug(broken: object) -> None:
    """Why: extract.nix is homeward's own expression, and its every value passes through
    `toStr`/`names`/`safe`, which make strings of whatever the configuration holds: other data
    means extract.nix and its reader disagree, homeward's bug (exit 4), not the input's."""
    assert Extract.from_json(_GOOD).hosts["h"].users["ann"].nixos_packages == ("jq",)
    with pytest.raises(InternalError) as caught:
        Extract.from_json(broken)
    assert caught.value.exit_code == Exit.BUG
    assert "extract.nix" in caught.value.message


ODD_HAM = """\
{ pkgs, ... }:
{
  programs.git = {
    enable = true;
    config = [
      { user.name = 42; alias.f = x: x; }
      { core.pager = null; init.a = [ 1 "b" ]; }
    ];
  };
  environment.variables.EDITOR = 7;
  environment.variables.PATHS = [ "a" 3 ];
  environment.shellAliases.ll = throw "no";
  users.users.ham.packages = [ pkgs.jq ./flake.nix (throw "x") { name = "odd-2"; } ];
}
"""


@pytest.mark.nix
def test_odd_values_of_a_configuration_give_extract_nix_its_shape(tmp_path: Path) -> None:
    """Why the above is a bug and not the input's: values of every type, a throw, a path, a
    function, a package that is an attribute set without `pname`, all come out as strings."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS

    root = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    (root / "home/ham.nix").write_text(ODD_HAM)
    ham = extract_outputs_standins(root, STANDINS).hosts["nixos-desk"].users["ham"]
    assert {"<error>", "flake.nix", "jq", "odd"} <= set(ham.nixos_packages)
    assert ham.settings["git.user.name"] == "42"
    assert ham.settings["git.alias.f"] == "<function>"
    assert ham.settings["git.init.a"] == '["1","b"]'
    assert ham.settings["sessionVariables.PATHS"] == "a:3"
    assert ham.settings["shellAliases.ll"] == "<error>"


def _edited_and_planned(tmp_path: Path) -> tuple[Path, Repo, Plan, Path]:
    """The example's migration with the repo it was made from, and a file it edits in place
    (neither moved nor new)."""
    root = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    repo = load_repo(root, darwin=True)
    plan = plan_migration(build_index(repo), MigrateOptions())
    moved = {m.dst for m in plan.moves} | {m.src for m in plan.moves}
    edited = sorted({e.path for e in plan.edits} - moved)
    assert edited, plan.edits
    return root, repo, plan, edited[0]


def test_an_edited_file_changed_since_it_was_read_is_the_situation(tmp_path: Path) -> None:
    """Why: an edit is a byte span of the text the plan read; applied to other bytes it cuts
    the file in the wrong places. It used to be applied to whatever the disk held."""
    root, repo, plan, edited = _edited_and_planned(tmp_path)
    with session(root, "migrate") as s:
        meanwhile = b"# edited meanwhile\n" + (root / edited).read_bytes()
        (root / edited).write_bytes(meanwhile)
        before = tree_files(root)
        with pytest.raises(HomewardError) as caught:
            s.prepare(plan, repo=repo)
    assert caught.value.exit_code == Exit.INPUT
    assert f"`{edited}` changed since it was read" in caught.value.message
    assert tree_files(root) == before
    # Without the repo the plan was made from, nothing says what was read.
    assert compute_changes(root, plan)


def test_a_file_changed_between_the_changes_and_the_write_is_kept(tmp_path: Path) -> None:
    """Why: the write replaces the whole file; what someone wrote there after homeward
    computed the changes (during validation, say) would be lost. Nothing is written."""
    root, repo, plan, edited = _edited_and_planned(tmp_path)
    with session(root, "migrate") as s:
        changes = s.prepare(plan, repo=repo)
        meanwhile = b"# edited meanwhile\n" + (root / edited).read_bytes()
        (root / edited).write_bytes(meanwhile)
        before = tree_files(root)
        with pytest.raises(HomewardError) as caught:
            s.apply(changes)
    assert caught.value.exit_code == Exit.INPUT
    assert f"`{edited}` changed since it was read" in caught.value.message
    assert tree_files(root) == before
    assert (root / edited).read_bytes() == meanwhile


def test_a_deleted_file_changed_since_it_was_read_is_kept(tmp_path: Path) -> None:
    """A file the plan deletes (say, all it held moved) that changed meanwhile stays."""
    root, repo, plan, _ = _edited_and_planned(tmp_path)
    victim = Path("hosts/nixos-desk/hardware-configuration.nix")  # read, left by the plan
    assert victim not in {e.path for e in plan.edits}
    plan = dataclasses.replace(plan, deletes=(*plan.deletes, Delete(victim, "emptied")))
    with session(root, "migrate") as s:
        (root / victim).write_bytes(b"# mine\n" + (root / victim).read_bytes())
        before = tree_files(root)
        with pytest.raises(HomewardError) as caught:
            s.prepare(plan, repo=repo)
    assert f"`{victim}` changed since it was read" in caught.value.message
    assert tree_files(root) == before


def test_a_bug_in_the_plan_check_makes_exits_4_not_as_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `check` plans migrate's fixes to say which findings migrate fixes, and read every
    error of that plan as "migrate refuses this repository"; a bug of the planner (a move of a
    file it never read: InternalError) was shown as a refusal, and `check` went on to exit 1.
    A bug ends the command with exit 4, as everywhere else."""
    import homeward.plan.migrate
    from homeward.cli import main

    root = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    real = homeward.plan.migrate.plan_decisions

    def buggy(*args: object, **kwargs: object) -> Plan:
        plan = real(*args, **kwargs)  # type: ignore[arg-type]
        stray = Move(Path("home/nobody.nix"), Path("home/nobody/default.nix"), "a bug")
        return dataclasses.replace(plan, moves=(*plan.moves, stray))

    capsys.readouterr()
    assert main(["check", "--no-cache", str(root)]) == 1  # fixable findings: the plan is made
    monkeypatch.setattr(homeward.plan.migrate, "plan_decisions", buggy)
    code = main(["check", "--no-cache", str(root)])
    out, err = capsys.readouterr()
    assert code == Exit.BUG
    assert "refuses this repository" not in out + err
    assert "homeward: internal error:" in err
    assert "`home/nobody.nix`" in err
    assert "homeward bug" in err


def test_data_of_the_wrong_shape_names_the_file_that_printed_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: `record_standins` reads what standins.nix prints (its "record" mode) with the same
    check as extract.nix's data, and the message named extract.nix, which printed nothing."""
    import homeward.nix.ops
    from homeward.model.extract import expect_mapping

    with pytest.raises(InternalError, match=r"unexpected data from standins\.nix for a call"):
        expect_mapping([], "a call", source="standins.nix")
    with pytest.raises(InternalError, match=r"unexpected data from extract\.nix for hosts"):
        expect_mapping([], "hosts")
    # As a test meets it: the record of a host is not a mapping (a bug of standins.nix).
    printed = {"hosts": {"h": ["not", "a", "call"]}, "homes": {}}
    monkeypatch.setattr(homeward.nix.ops, "_instantiate_standins", lambda *_: printed)
    with pytest.raises(InternalError) as caught:
        homeward.nix.ops.record_standins(tmp_path, tmp_path)
    assert caught.value.exit_code == Exit.BUG
    assert "standins.nix" in caught.value.message
    assert "extract.nix" not in caught.value.message
