"""The place and cut phases on their own, over a tiny model parsed from real Nix text.

Why (issue #9): a phase is a function whose result is data (LibCST's codemods are the model):
`place_packages` says which package lists go where on each host, `cut_packages` what each
one becomes, `move_user_file` what becomes of a user's own file, `finish_sources` what moved
code leaves behind; none of them appends to the plan's lists, and the tests assert on the
frozen records they return.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

import pytest

from homeward.apply.spans import apply_edits
from homeward.diagnostics import Severity
from homeward.knowledge.mapping import Feature
from homeward.model.index import Index, build_index
from homeward.model.repo import load_repo
from homeward.plan.classify import is_user_file, needs_work, take_notes, user_plan
from homeward.plan.inline import inline_home, take_inline
from homeward.plan.journal import FileFate, Journal
from homeward.plan.packages import cut_packages, move_all_packages, take_packages
from homeward.plan.place import Home, Placement, place_packages
from homeward.plan.sources import finish_sources, orphan_comments, take_comments, take_sources
from homeward.plan.state import MigrateOptions, PlanState, UserPlan
from homeward.plan.userfile import move_user_file, take_user_file
from homeward.plan.writes import Comment, Header, HomeWrites, Open, Put
from tests.test_openworld import flake, write

HOSTS = (
    "{ nixosConfigurations = {\n"
    "    desk = nixpkgs.lib.nixosSystem { modules = [ ./users.nix ./desk.nix ]; };\n"
    "    laptop = nixpkgs.lib.nixosSystem { modules = [ ./users.nix ./laptop.nix ]; };\n"
    "  }; }"
)


def tiny(tmp_path: Path) -> Index:
    """Two hosts; `ham` on both, with a list on both, one on the laptop, one kept by a
    comment, and one that reads a name home-manager cannot see."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(HOSTS),
            "users.nix": (
                "{ pkgs, ... }:\n{\n"
                "  users.users.ham.isNormalUser = true;\n"
                "  # tools\n"
                "  users.users.ham.packages = with pkgs; [ git firefox ripgrep ];\n"
                "}\n"
            ),
            "laptop.nix": (
                "{ pkgs, ... }:\n{\n"
                "  # homeward: ignore[HW002]\n"
                "  users.users.ham.packages = [ pkgs.vlc ];\n"
                "}\n"
            ),
            "desk.nix": (
                "{ pkgs, mine, ... }:\n{\n  users.users.ham.packages = [ mine.tool pkgs.htop ];\n}\n"
            ),
        },
    )
    return build_index(load_repo(root))


def placements(index: Index, *, features: bool = True) -> tuple[Placement, ...]:
    home = Home("ham", ("desk", "laptop"), PurePosixPath("home/ham/default.nix"), features)
    return place_packages(index, home)


def test_home_path_per_reach() -> None:
    """Why: where a definition lands on each host follows from the hosts that read it."""
    home = Home("ham", ("desk", "laptop", "pi", "nas"), PurePosixPath("home/ham/default.nix"))
    every = ("desk", "laptop", "nas", "pi")
    assert home.path(every, Feature.CLI) == PurePosixPath("home/ham/features/cli.nix")
    assert home.path(("pi",), Feature.CLI) == PurePosixPath("home/ham/pi.nix")
    assert home.path(("desk", "pi"), Feature.GIT) == PurePosixPath(
        "home/ham/features/git-desk-pi.nix"
    )
    assert home.path(("desk", "laptop", "nas", "pi")[:4], Feature.GIT) == PurePosixPath(
        "home/ham/features/git.nix"
    )
    wide = Home("ham", (*every, "tv"), PurePosixPath("home/ham/default.nix"))
    assert wide.path(every, Feature.CLI).name == "cli-desk-and-3-more.nix"
    flat = dataclasses.replace(home, features=False)
    assert flat.path(every, Feature.CLI) == PurePosixPath("home/ham/default.nix")


def test_place_packages_names_each_list_and_its_hosts(tmp_path: Path) -> None:
    placed = placements(tiny(tmp_path))
    by_file = {str(p.module.path): p for p in placed}
    assert sorted(by_file) == ["desk.nix", "laptop.nix", "users.nix"]
    shared = by_file["users.nix"]
    assert shared.reach == ("desk", "laptop") and shared.moves
    assert shared.definition.dotted == "users.users.ham.packages"
    assert shared.per_host(Feature.CLI) == {
        "desk": PurePosixPath("home/ham/features/cli.nix"),
        "laptop": PurePosixPath("home/ham/features/cli.nix"),
    }
    assert by_file["desk.nix"].destination(Feature.PACKAGES) == PurePosixPath("home/ham/desk.nix")
    kept = by_file["laptop.nix"]
    assert not kept.moves and "ignore[HW002]" in kept.why
    # A record, not a handle on the plan: it cannot be changed after the phase.
    with pytest.raises(dataclasses.FrozenInstanceError):
        kept.why = ""  # type: ignore[misc]


def test_cut_packages_splits_a_list_by_feature_and_changes_nothing(tmp_path: Path) -> None:
    index = tiny(tmp_path)
    st = PlanState(index, MigrateOptions())
    shared = next(p for p in placements(index) if str(p.module.path) == "users.nix")
    cut = cut_packages(st, shared)
    features = PurePosixPath("home/ham/features")
    assert [(str(path.relative_to(features)), item.name) for path, item in cut.items] == [
        ("git.nix", "git"),
        ("desktop.nix", "firefox"),
        ("cli.nix", "ripgrep"),
    ]
    assert cut.files[0] == features / "packages.nix"  # where its relative paths are rebased
    assert cut.items[0][1].code.startswith("# tools\n")  # the comment goes with the list
    assert [(str(m.target), m.packages) for m in cut.ledger] == [
        ("home/ham/features/git.nix", ("git",)),
        ("home/ham/features/desktop.nix", ("firefox",)),
        ("home/ham/features/cli.nix", ("ripgrep",)),
    ]
    assert cut.removed is not None and not cut.kept
    text = index.repo.modules["users.nix"].source.text
    removed = text[cut.removed.start_byte : cut.removed.end_byte]
    assert removed == b"users.users.ham.packages = with pkgs; [ git firefox ripgrep ];"
    # The phase reads the plan state and leaves it as it was.
    assert (st.new_files, st.ledger, st.diagnostics, dict(st.removed)) == ({}, [], [], {})


def test_a_package_cut_is_written_as_the_groups_are(tmp_path: Path) -> None:
    """Why: every write into a user's home files is one kind of ordered record (the files
    opened for the hosts that read them, then the items), replayed by the composer."""
    index = tiny(tmp_path)
    st = PlanState(index, MigrateOptions())
    up = user_plan(st, index.users["ham"], Journal())
    by_file = {str(p.module.path): p for p in placements(index)}
    cut = cut_packages(st, by_file["users.nix"])
    assert [type(w).__name__ for w in cut.home.writes] == ["Open"] * 4 + ["Item"] * 3
    assert all(w.reach == ("desk", "laptop") for w in cut.home.writes if isinstance(w, Open))
    assert cut.home.osconfig == frozenset()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cut.home = HomeWrites()  # type: ignore[misc]
    take_packages(st, up, cut)
    features = PurePosixPath("home/ham/features")
    assert [
        (str(p.relative_to(features)), [i.name for i in d.items]) for p, d in st.new_files.items()
    ] == [
        ("packages.nix", []),
        ("git.nix", ["git"]),
        ("desktop.nix", ["firefox"]),
        ("cli.nix", ["ripgrep"]),
    ]
    # One host only: the file is recorded for the wire phase as it is taken.
    desk = cut_packages(st, by_file["desk.nix"])
    assert desk.kept and desk.files == (PurePosixPath("home/ham/desk.nix"),)
    assert up.reaches == {}
    take_packages(st, up, desk)
    assert up.reaches == {PurePosixPath("home/ham/desk.nix"): ("desk",)}


def test_cut_packages_keeps_what_cannot_move_and_says_why(tmp_path: Path) -> None:
    index = tiny(tmp_path)
    st = PlanState(index, MigrateOptions())
    by_file = {str(p.module.path): p for p in placements(index)}
    unseen = cut_packages(st, by_file["desk.nix"])
    assert unseen.kept and not unseen.items and not unseen.ledger
    [warning] = unseen.diagnostics
    assert warning.severity is Severity.WARNING
    assert "it reads `mine`, which home-manager cannot see" in warning.message
    assert warning.at is not None and warning.at.line == 3
    suppressed = cut_packages(st, by_file["laptop.nix"])
    assert suppressed.kept and suppressed.files == ()
    [note] = suppressed.diagnostics
    assert note.severity is Severity.NOTE
    assert note.message == (
        "`users.users.ham.packages` stays where it is: `# homeward: ignore[HW002]` keeps it"
    )


def user_file_state(tmp_path: Path, files: dict[str, str]) -> tuple[PlanState, UserPlan]:
    """One host reading `home/ham.nix` (or what `files` puts there) as a NixOS module."""
    host = "{ nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; }; }"
    desk = "{ imports = [ ./home/ham.nix ]; users.users.ham.isNormalUser = true; }\n"
    root = write(tmp_path, {"flake.nix": flake(host), "desk.nix": desk, **files})
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    return st, user_plan(st, st.index.users["ham"], Journal())


def test_user_file_phase_returns_what_becomes_of_the_file(tmp_path: Path) -> None:
    """Why: the user-file phase's decisions (the file's fate, the system module, the ledger)
    are a record the composer takes, not appends to the plan's lists."""
    st, up = user_file_state(
        tmp_path,
        {
            "home/ham.nix": (
                "# ham's settings\n{ pkgs, ... }:\n{\n"
                "  programs.git.enable = true;\n"
                "  services.openssh.enable = true;\n"
                "}\n"
            )
        },
    )
    info = st.repo.modules["home/ham.nix"]
    cut = move_user_file(st, up, info)
    assert (cut.fate, cut.path, cut.entry) == (
        FileFate.MOVED,
        PurePosixPath("home/ham.nix"),
        PurePosixPath("home/ham/default.nix"),
    )
    assert cut.header == "# ham's settings"
    assert cut.system == PurePosixPath("modules/system/ham.nix")
    assert [c.code for c in cut.system_code] == ["services.openssh.enable = true;"]
    # Every write is in the one ordered record: the home file, then the system module (a
    # NixOS module), then the entry point with the header it keeps.
    git, system, entry = (
        PurePosixPath(p)
        for p in ("home/ham/features/git.nix", "modules/system/ham.nix", "home/ham/default.nix")
    )
    moved = cut.home.writes[1]
    assert isinstance(moved, Put) and moved.chunk.code == "programs.git.enable = true;"
    assert cut.home.writes == (
        Open(git, ("desk",)),
        Put(git, moved.chunk),
        Open(system, ("desk",), home=False),
        Put(system, cut.system_code[0]),
        Open(entry, ("desk",)),
        Header(entry, "# ham's settings"),
    )
    assert [(m.what, str(m.target), m.to_home) for m in cut.ledger] == [
        ("programs.git.enable", "home/ham/features/git.nix", True),
        ("services.openssh.enable", "modules/system/ham.nix", False),
    ]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cut.fate = FileFate.KEPT  # type: ignore[misc]
    # Nothing of it is in the plan's lists until it is taken.
    assert (st.files, st.ledger) == ([], [])
    assert st.new_files == {}
    assert take_user_file(st, up, cut)
    assert st.files == [cut] and st.ledger == list(cut.ledger)
    assert list(st.new_files) == [git, system, entry]
    assert not st.new_files[system].home and st.new_files[entry].home
    assert st.new_files[system].chunks == list(cut.system_code)
    assert st.new_files[entry].header == "# ham's settings"
    plan = st.result()
    assert [(str(m.src), str(m.dst)) for m in plan.moves] == [
        ("home/ham.nix", "home/ham/default.nix")
    ]
    assert plan.deletes == ()


def test_user_file_phase_keeps_a_file_it_cannot_follow(tmp_path: Path) -> None:
    st, up = user_file_state(
        tmp_path, {"home/ham.nix": "import ./real.nix\n", "home/real.nix": "{ }\n"}
    )
    cut = move_user_file(st, up, st.repo.modules["home/ham.nix"])
    assert cut.fate is FileFate.KEPT and cut.move() is None and cut.delete() is None
    [warning] = cut.diagnostics
    assert warning.severity is Severity.WARNING
    assert "is not an attribute set homeward can follow" in warning.message
    assert not take_user_file(st, up, cut)
    assert st.files == [] and st.diagnostics == [warning]


def test_user_file_phase_rewrites_the_entry_in_place(tmp_path: Path) -> None:
    st, up = user_file_state(
        tmp_path,
        {
            "home/ham.nix": "{ imports = [ ./ham/default.nix ]; }\n",
            "home/ham/default.nix": "{ programs.git.enable = true; }\n",
        },
    )
    cuts = [
        move_user_file(st, up, st.repo.modules[key])
        for key in ("home/ham.nix", "home/ham/default.nix")
    ]
    assert [(c.fate, c.system_code) for c in cuts] == [
        (FileFate.DELETED, ()),
        (FileFate.REWRITTEN, ()),
    ]
    assert cuts[0].delete() is not None and cuts[0].imports[0].path == ("imports",)


def test_cut_phase_returns_the_edits_moved_code_leaves(tmp_path: Path) -> None:
    """Why: the cut phase's edits, deletes and emptied modules are one record that the wire
    phase reads (which flake.nix entries go), not lists spread over the plan state."""
    host = "{ nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; }; }"
    root = write(
        tmp_path,
        {
            "flake.nix": flake(host),
            "desk.nix": "{\n  imports = [\n    ./ham-packages.nix\n    ./users.nix\n  ];\n}\n",
            "ham-packages.nix": "{ pkgs, ... }:\n{\n  users.users.ham.packages = [ pkgs.jq ];\n}\n",
            "users.nix": (
                "{ pkgs, ... }:\nlet\n  tools = [ pkgs.fd ];\nin\n{\n"
                "  users.users.ham.isNormalUser = true;\n"
                "  users.users.ham.packages = tools;\n"
                "}\n"
            ),
        },
    )
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    up = user_plan(st, st.index.users["ham"], Journal())
    assert [not c.kept for c in move_all_packages(st, up)] == [True, True]
    edits_before = list(st.edits)
    cut = finish_sources(st)
    assert st.edits == edits_before  # nothing taken yet
    assert cut.emptied == {"ham-packages.nix"}
    assert [str(d.path) for d in cut.deletes] == ["ham-packages.nix"]
    assert dict(cut.replacements) == {"ham-packages.nix": None}
    assert cut.drop_inline == frozenset()
    after = {
        name: apply_edits((root / name).read_bytes(), [e for e in cut.edits if str(e.path) == name])
        for name in ("desk.nix", "users.nix")
    }
    assert after["desk.nix"] == b"{\n  imports = [\n    ./users.nix\n  ];\n}\n"
    # The list moved, and the `let` only it read went with it.
    assert after["users.nix"] == (b"{ pkgs, ... }:\n{\n  users.users.ham.isNormalUser = true;\n}\n")
    take_sources(st, cut)
    assert all(e in st.edits for e in cut.edits)
    assert st.result(cut).deletes == cut.deletes


def test_orphan_comments_are_writes_the_composer_takes(tmp_path: Path) -> None:
    """Why: the comments of an emptied file that no moved binding carries were prefixed onto
    the first moved item inside the plan's files (and inside the package phase's record);
    they are writes now, and taking them replaces the item in the file with a copy."""
    host = "{ nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; }; }"
    root = write(
        tmp_path,
        {
            "flake.nix": flake(host),
            "desk.nix": (
                "{ imports = [ ./ham-packages.nix ]; users.users.ham.isNormalUser = true; }\n"
            ),
            "ham-packages.nix": (
                "{ pkgs, ... }:\n{\n  users.users.ham.packages = [ pkgs.jq ];\n"
                "  # keep jq pinned\n}\n"
            ),
        },
    )
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    up = user_plan(st, st.index.users["ham"], Journal())
    [package_cut] = move_all_packages(st, up)
    cut = finish_sources(st)
    take_sources(st, cut)
    cli = PurePosixPath("home/ham/features/cli.nix")
    comments = orphan_comments(st, cut.emptied)
    assert comments == (Comment(cli, "# keep jq pinned", 0, item=True),)
    [(_, item)] = package_cut.items
    assert st.new_files[cli].items == [item] and item.code == "pkgs.jq"  # not taken yet
    take_comments(st, comments)
    assert [i.code for i in st.new_files[cli].items] == ["# keep jq pinned\npkgs.jq"]
    assert item.code == "pkgs.jq"  # the package phase's record is as it decided it


def inline_state(tmp_path: Path, home: str) -> tuple[PlanState, UserPlan]:
    host = (
        "{ nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [\n"
        "    inputs.home-manager.nixosModules.home-manager\n"
        "    ./desk.nix\n"
        "  ]; }; }"
    )
    inputs = '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
    desk = (
        "{ config, pkgs, ... }:\n{\n"
        "  users.users.ham.isNormalUser = true;\n"
        f"  home-manager.users.ham = {home};\n"
        "}\n"
    )
    root = write(tmp_path, {"flake.nix": flake(host, inputs), "desk.nix": desk})
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    return st, user_plan(st, st.index.users["ham"], Journal())


def test_inline_home_becomes_a_file_as_data(tmp_path: Path) -> None:
    """Why: a home written inline in a NixOS module is adopted by a record the composer
    takes: the new file's text, the binding cut out, the ledger's line."""
    st, up = inline_state(tmp_path, "{ pkgs, ... }: { home.packages = [ pkgs.jq ]; }")
    cut = inline_home(st, up)
    assert cut is not None and cut.path == PurePosixPath("home/ham/home.nix")
    assert cut.text == "{ pkgs, ... }: { home.packages = [ pkgs.jq ]; }\n"
    assert cut.module == "desk.nix" and cut.removed is not None
    text = st.repo.modules["desk.nix"].source.text
    assert text[cut.removed.start_byte : cut.removed.end_byte].startswith(b"home-manager.users")
    assert cut.ledger is not None and cut.ledger.as_ == "a home-manager module"
    # Its writes are the one record every phase returns: the file, opened for every host of
    # the user, its text, and the moved binding (what the cut phase reads of its needs).
    assert [type(w).__name__ for w in cut.home.writes] == ["Open", "Verbatim", "Put"]
    assert {w.path for w in cut.home.writes} == {cut.path}
    assert cut.home.writes[0] == Open(cut.path, ("desk",))
    assert cut.chunk is not None and cut.chunk.origin == [up.inline[0]]
    with pytest.raises(dataclasses.FrozenInstanceError):
        cut.home = HomeWrites()  # type: ignore[misc]
    assert (st.new_files, st.ledger, up.home_modules) == ({}, [], [])  # not taken yet
    assert take_inline(st, up, cut)
    assert st.new_files[cut.path].verbatim == cut.text and up.home_modules == [cut.path]
    assert st.new_files[cut.path].chunks == [cut.chunk] and up.reaches == {}
    assert up.inline == [] and st.ledger == [cut.ledger]


def test_inline_home_written_below_its_name_keeps_its_shape(tmp_path: Path) -> None:
    """Why: `home-manager.users.ham =` with the module on the lines below, indented one more
    level (nixfmt's style for a function), became a file whose body was indented by that
    level: the text was moved out by the binding's indentation, not the value's."""
    home = "\n    { pkgs, ... }:\n    {\n      home.packages = [ pkgs.jq ];\n    }"
    st, up = inline_state(tmp_path, home)
    cut = inline_home(st, up)
    assert cut is not None and cut.path == PurePosixPath("home/ham/home.nix")
    assert cut.text == "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n"


def test_inline_home_that_reads_the_nixos_config_stays(tmp_path: Path) -> None:
    st, up = inline_state(tmp_path, "{ home.stateVersion = config.system.stateVersion; }")
    cut = inline_home(st, up)
    assert cut is not None and cut.path is None and cut.removed is None
    [warning] = cut.diagnostics
    assert warning.severity is Severity.WARNING
    assert "it reads the NixOS `config`" in warning.message
    assert not take_inline(st, up, cut) and st.diagnostics == [warning]


@pytest.mark.parametrize(
    "read",
    ["(lib.hm.gvariant.mkUint32 or (v: v)) 0", 'if lib ? hm then "hm" else "nixos"'],
)
def test_inline_home_that_reads_lib_hm_of_the_nixos_module_stays(tmp_path: Path, read: str) -> None:
    """Why: `let mkUint32 = lib.hm.gvariant.mkUint32 or (v: v);` beside an inline home reads
    the NixOS module's `lib`, which has no `hm`: the fallback. Moved into a home-manager
    module, `lib` is home-manager's, which has it: the dconf value changed type (4leite)."""
    st, up = inline_state(tmp_path, f"{{ dconf.settings.mutter.timeout = {read}; }}")
    cut = inline_home(st, up)
    assert cut is not None and cut.path is None and cut.removed is None
    [warning] = cut.diagnostics
    assert "it reads `lib.hm`" in warning.message, warning.message


def test_inline_home_reading_other_parts_of_lib_moves(tmp_path: Path) -> None:
    st, up = inline_state(tmp_path, "{ home.packages = lib.optional true pkgs.hm; }")
    cut = inline_home(st, up)
    assert cut is not None
    assert cut.path is not None, cut.diagnostics


def test_classify_names_each_users_own_files(tmp_path: Path) -> None:
    """Why: the classify phase decides whose file a module under `home/` is, from the model
    alone; a file only one user's hosts read is theirs, a file another user's host reads
    is nobody's."""
    host = (
        "{ nixosConfigurations = {\n"
        "    desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; };\n"
        "    pi = nixpkgs.lib.nixosSystem { modules = [ ./pi.nix ]; };\n"
        "  }; }"
    )
    desk = (
        "{\n  imports = [ ./home/ham.nix ./home/ham-shell.nix ./home/ham/git.nix"
        " ./home/solo.nix ./home/both.nix ];\n"
        "  users.users.ham.isNormalUser = true;\n}\n"
    )
    pi = (
        "{\n  imports = [ ./home/eve.nix ./home/both.nix ];\n"
        "  users.users.eve.isNormalUser = true;\n}\n"
    )
    files = dict.fromkeys(
        (
            "home/ham.nix",
            "home/ham-shell.nix",
            "home/ham/git.nix",
            "home/solo.nix",
            "home/both.nix",
            "home/eve.nix",
        ),
        "{ programs.git.enable = true; }\n",
    )
    root = write(tmp_path, {"flake.nix": flake(host), "desk.nix": desk, "pi.nix": pi, **files})
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    mine = {
        user: sorted(key for key, info in st.repo.modules.items() if is_user_file(st, info, user))
        for user in ("ham", "eve")
    }
    assert mine == {
        "ham": ["home/ham-shell.nix", "home/ham.nix", "home/ham/git.nix", "home/solo.nix"],
        "eve": ["home/eve.nix"],
    }


def test_classify_skips_a_user_with_nothing_to_move_and_says_so(tmp_path: Path) -> None:
    host = "{ nixosConfigurations.desk = nixpkgs.lib.nixosSystem { modules = [ ./desk.nix ]; }; }"
    desk = "{ users.users.kiosk.isNormalUser = true; }\n"
    root = write(tmp_path, {"flake.nix": flake(host), "desk.nix": desk})
    st = PlanState(build_index(load_repo(root)), MigrateOptions())
    up = user_plan(st, st.index.users["kiosk"], Journal())
    assert (up.entry, up.new_entry, up.hosts) == (
        PurePosixPath("home/kiosk/default.nix"),
        True,
        ("desk",),
    )
    notes = Journal()
    assert not needs_work(st, up, False, notes)
    [note] = notes.diagnostics
    assert note.message.startswith("nothing to move for `kiosk`")
    assert st.diagnostics == []  # a note of the phase, not the plan's until it is taken
    take_notes(st, notes)
    assert st.diagnostics == [note]
    assert needs_work(st, up, True, Journal())  # once something moves, it gets a home
