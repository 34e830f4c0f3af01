"""The option-group and classify phases on their own, over a tiny model parsed from real Nix
text.

Why (issue #9): the groups phase wrote chunks and lines straight into the plan's destination
files and changed the user's plan (shells enabled, `osConfig` hosts); classify wrote its notes
into the plan. Both now return data: a user file's `HomeWrites` (every write into a home file,
in order: the files it opens for which hosts, links, copies, moved groups, generated lines),
classify's notes in a `Journal`; the composer takes them. The tests assert on the records,
that they are frozen, and that nothing reaches the plan before it is taken.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

import pytest

from homeward.diagnostics import Severity
from homeward.knowledge.mapping import classify
from homeward.plan.classify import frozen_notes, take_notes, user_plan
from homeward.plan.groups import Group, move_home_group
from homeward.plan.journal import Journal
from homeward.plan.place import Placement
from homeward.plan.state import MigrateOptions, PlanState, UserPlan
from homeward.plan.userfile import move_user_file, take_user_file
from homeward.plan.writes import Copy, Line, Open, Pending, Put
from tests.test_openworld import flake, write

HOSTS = (
    "{ nixosConfigurations = {\n"
    "    desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };\n"
    "    laptop = nixpkgs.lib.nixosSystem { modules = [ ./laptop.nix ]; };\n"
    "  }; }"
)
FEATURES = PurePosixPath("home/ham/features")


def tiny(tmp_path: Path) -> tuple[PlanState, UserPlan]:
    """`ham` on two hosts: two files both read (git, a link and copies into $HOME, zsh
    aliases), one only the desk reads."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo

    both = "{ imports = [ ./home/ham.nix ./home/ham-extra.nix ]; users.users.ham.isNormalUser = true; }"
    root = write(
        tmp_path,
        {
            "flake.nix": flake(HOSTS),
            "desk.nix": both.replace("]", "./home/ham/work.nix ]") + "\n",
            "laptop.nix": both + "\n",
            "home/ham.nix": (
                "{ pkgs, ... }:\n{\n"
                "  programs.git.enable = true;\n"
                "  # dotfiles\n"
                "  systemd.tmpfiles.rules = [\n"
                '    "L+ /home/ham/.vimrc - - - - ${./vimrc}"\n'
                '    "C /home/ham/.profile - - - - ${./profile}"\n'
                "  ];\n"
                '  programs.zsh.shellAliases.ll = "ls -l";\n'
                "}\n"
            ),
            "home/ham-extra.nix": (
                "{\n"
                '  systemd.tmpfiles.rules = [ "C /home/ham/.inputrc - - - - ${./inputrc}" ];\n'
                '  programs.zsh.shellAliases.la = "ls -a";\n'
                "}\n"
            ),
            "home/ham/work.nix": "{ programs.htop.enable = true; }\n",
            **dict.fromkeys(("home/vimrc", "home/profile", "home/inputrc"), "x\n"),
        },
    )
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    return st, user_plan(st, st.index.users["ham"], Journal())


def shape(writes: tuple[object, ...]) -> list[tuple[str, str]]:
    return [(type(w).__name__, str(getattr(w, "path", ""))) for w in writes]


def test_a_user_files_writes_are_one_ordered_record(tmp_path: Path) -> None:
    """Why: chunk order inside a home file is the order the phase decided them in; the
    phase records them, and nothing is in the plan until the composer takes the record."""
    st, up = tiny(tmp_path)
    cut = move_user_file(st, up, st.repo.modules["home/ham.nix"])
    dotfiles, git, cli = (str(FEATURES / f"{f}.nix") for f in ("dotfiles", "git", "cli"))
    assert shape(cut.home.writes) == [
        ("Open", dotfiles),
        ("Put", dotfiles),
        ("Copy", dotfiles),
        ("Open", git),
        ("Put", git),
        ("Open", cli),
        ("Put", cli),
        ("Line", cli),  # programs.zsh.enable, as nothing enabled it yet
        ("Line", cli),  # completion stays NixOS's
        ("Open", "home/ham/default.nix"),  # the entry point the file is moved to
        ("Header", "home/ham/default.nix"),
    ]
    opened = [w for w in cut.home.writes if isinstance(w, Open)]
    assert {w.reach for w in opened} == {("desk", "laptop")}
    assert cut.header == "" and cut.system_code == ()
    link = cut.home.writes[1]
    assert isinstance(link, Put)
    assert link.chunk.code == '# dotfiles\nhome.file.".vimrc".source = ../../vimrc;'
    copy = cut.home.writes[2]
    assert isinstance(copy, Copy) and copy.rule == '"C %h/.profile - - - - ${../../profile}"'
    assert cut.home.shells == frozenset({"zsh"}) and not cut.home.needs_shell
    with pytest.raises(dataclasses.FrozenInstanceError):
        cut.home = dataclasses.replace(cut.home, writes=())  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        copy.rule = ""  # type: ignore[misc]
    assert isinstance(cut.home.writes, tuple)
    # Nothing of it is in the plan, nor in the user's plan, until it is taken.
    assert (st.new_files, up.reaches, up.enabled_shells) == ({}, {}, set())
    assert take_user_file(st, up, cut)
    files = {str(p): [c.code for c in d.chunks] for p, d in st.new_files.items()}
    assert files[git] == ["programs.git.enable = true;"]
    assert files[dotfiles] == [
        '# dotfiles\nhome.file.".vimrc".source = ../../vimrc;',
        'systemd.user.tmpfiles.rules = [ "C %h/.profile - - - - ${../../profile}" ];',
    ]
    assert st.new_files[FEATURES / "cli.nix"].extra == [
        w.code for w in cut.home.writes if isinstance(w, Line)
    ]
    assert up.enabled_shells == {"zsh"}


def test_later_files_read_what_earlier_ones_wrote(tmp_path: Path) -> None:
    """Why: copies into one home file collect into one binding, and the shell is enabled
    once, across the user's files: the phase reads what was taken before it."""
    st, up = tiny(tmp_path)
    first = move_user_file(st, up, st.repo.modules["home/ham.nix"])
    take_user_file(st, up, first)
    cut = move_user_file(st, up, st.repo.modules["home/ham-extra.nix"])
    dotfiles, cli = (str(FEATURES / f"{f}.nix") for f in ("dotfiles", "cli"))
    # No second `programs.zsh.enable`, no second completion line.
    assert shape(cut.home.writes) == [
        ("Open", dotfiles),
        ("Copy", dotfiles),
        ("Open", cli),
        ("Put", cli),
    ]
    assert cut.home.shells == frozenset()
    chunks = st.new_files[FEATURES / "dotfiles.nix"].chunks
    before = chunks[1].code
    take_user_file(st, up, cut)
    assert len(chunks) == 2 and chunks[1].code != before
    assert chunks[1].code == (
        "systemd.user.tmpfiles.rules = [\n"
        '  "C %h/.profile - - - - ${../../profile}"\n'
        '  "C %h/.inputrc - - - - ${../../inputrc}"\n'
        "];"
    )
    assert [d.source.path for d in chunks[1].origin] == [
        Path("home/ham.nix"),
        Path("home/ham-extra.nix"),
    ]


def test_a_group_for_some_hosts_is_placed_there(tmp_path: Path) -> None:
    """Why: a group's destination follows from its placement (the hosts that read its
    file); the file for the desk alone is recorded for the wire phase when taken."""
    st, up = tiny(tmp_path)
    cut = move_user_file(st, up, st.repo.modules["home/ham/work.nix"])
    desk = PurePosixPath("home/ham/desk.nix")
    assert cut.home.writes[0] == Open(desk, ("desk",))
    [put] = [w for w in cut.home.writes if isinstance(w, Put)]
    assert put.path == desk and put.chunk.code == "programs.htop.enable = true;"
    assert up.reaches == {}
    take_user_file(st, up, cut)
    assert up.reaches == {desk: ("desk",)}


def test_move_home_group_writes_only_into_its_own_records(tmp_path: Path) -> None:
    """Why: the group's chunks and ledger lines go to the phase's pending writes and
    journal; the plan's files and ledger are untouched."""
    st, up = tiny(tmp_path)
    info = st.repo.modules["home/ham.nix"]
    [d] = [d for d in info.module.definitions if d.path == ("programs", "git", "enable")]
    verdict = classify(d.path, "ham")
    assert verdict.row is not None
    placed = Placement(d, info, st.home_of(up), ("desk", "laptop"))
    g = Group(("programs", "git"), (d,), verdict.row, (), placed)
    assert (g.user, g.info, g.reach) == ("ham", info, ("desk", "laptop"))
    assert g.destination() == FEATURES / "git.nix"
    journal, writes = Journal(), Pending()
    assert move_home_group(st, g, g.destination(), journal, writes)
    [put] = writes.done().writes
    assert isinstance(put, Put) and put.path == FEATURES / "git.nix"
    [moved] = journal.ledger
    assert (moved.what, str(moved.target), moved.as_) == (
        "programs.git.enable",
        "home/ham/features/git.nix",
        "programs.git.enable",
    )
    assert (st.new_files, st.ledger, st.diagnostics) == ({}, [], [])


def test_classify_notes_are_data_until_taken(tmp_path: Path) -> None:
    """Why: a module left as it is is reported once, for the first user whose hosts read
    it; classify returns the notes and the composer takes them."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo

    hosts = (
        "{ nixosConfigurations = {\n"
        "    desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };\n"
        "    pi = nixpkgs.lib.nixosSystem { modules = [ ./pi.nix ]; };\n"
        "  };\n  nixosModules.work = ./work.nix;\n  }"
    )
    root = write(
        tmp_path,
        {
            "flake.nix": flake(hosts),
            "desk.nix": "{ imports = [ ./work.nix ]; users.users.ham.isNormalUser = true; }\n",
            "pi.nix": "{ imports = [ ./work.nix ]; users.users.eve.isNormalUser = true; }\n",
            "work.nix": "{ programs.git.enable = true; }\n",
        },
    )
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    notes = frozen_notes(st)
    first = st.normal[0].name
    assert sorted(notes) == ["eve", "ham"]
    assert [len(notes[u]) for u in (first, st.normal[1].name)] == [1, 0]
    [warning] = notes[first]
    assert warning.severity is Severity.WARNING
    assert warning.message == (
        "`work.nix` is left as it is: `nixosModules.work` is exported: other flakes may import it"
    )
    assert st.diagnostics == []
    journal = Journal()
    journal.diagnostics.extend(notes[first])
    take_notes(st, journal)
    assert st.diagnostics == [warning]


@pytest.mark.parametrize(
    ("parts", "said"),
    [
        (1, "`work.nix` and `work/p0.nix` are left as they are"),
        (2, "`work.nix`, `work/p0.nix` and `work/p1.nix` are left as they are"),
        (7, "8 files under `work/` (`default.nix`, `p0.nix`, `p1.nix`, ...) are left as they are"),
    ],
)
def test_modules_left_for_one_reason_are_named_once(tmp_path: Path, parts: int, said: str) -> None:
    """Why: an exported module's tree was one warning per file (145 on one real
    configuration); the files left for the same reason are one warning."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo

    top = "work/default.nix" if parts > 3 else "work.nix"
    files = {
        f"work/p{i}.nix": f"{{ programs.git.enable = {i > 0}; }}\n".lower() for i in range(parts)
    }
    files[top] = (
        "{ imports = [ "
        + " ".join(
            f"./{PurePosixPath(p).relative_to(PurePosixPath(top).parent)}" for p in sorted(files)
        )
        + " ]; }\n"
    )
    files["flake.nix"] = flake(
        "{ nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };\n"
        f"  nixosModules.work = ./{top};\n  }}"
    )
    files["desk.nix"] = f"{{ imports = [ ./{top} ]; users.users.ham.isNormalUser = true; }}\n"
    st = PlanState(build_index(load_repo(write(tmp_path, files))), MigrateOptions())
    [warning] = frozen_notes(st)["ham"]
    assert said in warning.message, warning.message
    assert warning.message.endswith(": `nixosModules.work` is exported: other flakes may import it")


def test_packages_left_in_a_frozen_file_are_not_an_already_migrated_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: with ham's only packages in a module another flake may import (exported), migrate
    said "nothing to move for `ham` (no user packages, ...)" and "the configuration is
    already in the home-manager layout": both untrue; the warning above said why they stay."""
    from homeward.cli import main

    hosts = (
        "{ nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };\n"
        "  nixosModules.work = ./work.nix;\n  }"
    )
    root = write(
        tmp_path,
        {
            "flake.nix": flake(hosts),
            "desk.nix": "{ imports = [ ./work.nix ]; users.users.ham.isNormalUser = true; }\n",
            "work.nix": "{ pkgs, ... }: { users.users.ham.packages = [ pkgs.jq ]; }\n",
        },
    )
    monkeypatch.chdir(root)
    assert main(["migrate", "--dry-run", "."]) == 0
    said = capsys.readouterr()
    assert "`work.nix` is left as it is: `nixosModules.work` is exported" in said.err
    assert "nothing moves for `ham`: their packages stay where they are" in said.err
    assert "no user packages" not in said.err
    assert "already in the home-manager layout" not in said.out
    assert "nothing migrated: what would move stays where it is" in said.out
