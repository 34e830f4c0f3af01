"""The wire phase on its own, over tiny models parsed from real Nix text.

Why (issue #9): a phase is a function whose result is data. `decide_wiring` decides, before
any text is built, which lists and files the wiring writes, or refuses (`WireDecisions`);
`wire_flake` returns what it writes as a frozen `Wiring` (the edits of flake.nix and of the
files a host's wiring is written in, and its diagnostics); `wire_places` says where, without
the text; `list_elements` what the cut phase's record asks of the module lists in flake.nix,
and `FlakeEditor.result()` what the editor decided. Nothing reaches the plan until the
composer takes it (`take_wiring`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path, PurePosixPath

import pytest

from homeward.apply.spans import apply_edits
from homeward.diagnostics import Severity
from homeward.errors import HomewardError
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from homeward.plan.assembled import without_assembled
from homeward.plan.flake import FlakeEditor
from homeward.plan.migrate import decide, plan_migration
from homeward.plan.state import MigrateOptions, Mode, PlanState
from homeward.plan.types import Edit
from homeward.plan.wire import (
    Wiring,
    decide_wiring,
    finish_user,
    finish_users,
    homes_computed,
    list_elements,
    take_finish,
    take_wiring,
    wire_flake,
    wire_places,
)
from homeward.plan.wiring import skip_unwireable
from homeward.plan.writes import Entry, Item, Open
from tests.conftest import FIXTURES
from tests.helpers import copy_tree
from tests.test_openworld import flake, write

USERS = (
    "{ pkgs, ... }:\n{\n"
    "  users.users.ham.isNormalUser = true;\n"
    "  users.users.ham.packages = [ pkgs.git ];\n"
    "}\n"
)


def hosts(desk: str = "./desk.nix", system: str = '"x86_64-linux"') -> str:
    return (
        "{ nixosConfigurations = {\n"
        f"    desk = nixpkgs.lib.nixosSystem {{ system = {system}; "
        f"modules = [ ./users.nix {desk} ]; }};\n"
        f"    laptop = nixpkgs.lib.nixosSystem {{ system = {system}; "
        "modules = [ ./users.nix ./laptop.nix ]; };\n"
        "  }; }"
    )


def state(tmp_path: Path, files: dict[str, str], opts: MigrateOptions | None = None) -> PlanState:
    root = write(
        tmp_path,
        {
            "users.nix": USERS,
            "desk.nix": '{ networking.hostName = "desk"; }\n',
            "laptop.nix": '{ networking.hostName = "laptop"; }\n',
            **files,
        },
    )
    return PlanState(build_index(load_repo(root)), opts or MigrateOptions())


def wire(st: PlanState) -> Wiring:
    """The composer's steps up to the wiring, then the wire phase: its record, not taken."""
    decided = decide(st)
    assert decided is not None
    users, cut = decided
    entries = finish_users(st, users)
    return wire_flake(st, decide_wiring(st, users, cut), entries)


def test_wire_phase_returns_the_flake_edits_as_data(tmp_path: Path) -> None:
    st = state(tmp_path, {"flake.nix": flake(hosts())})
    decided = decide(st)
    assert decided is not None
    users, cut = decided
    entries = finish_users(st, users)
    before_edits, before_notes = list(st.edits), list(st.diagnostics)
    wiring = wire_flake(st, decide_wiring(st, users, cut), entries)
    # Nothing reached the plan: the record holds it.
    assert st.edits == before_edits and st.diagnostics == before_notes
    with pytest.raises(dataclasses.FrozenInstanceError):
        wiring.entries = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        wiring.flake.flake = ()  # type: ignore[misc]
    assert wiring.entries == () and wiring.dropped == () and wiring.diagnostics == ()
    assert {str(e.path) for e in wiring.edits} == {"flake.nix"}
    text = apply_edits((st.repo.root / "flake.nix").read_bytes(), wiring.edits).decode()
    assert 'inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";' in text
    assert "outputs = { self, nixpkgs, home-manager, ... }@inputs:" in text
    assert text.count("home-manager.nixosModules.home-manager") == 2  # each host's list
    assert text.count("home-manager.users.ham") == 2
    assert '"ham@desk" = home-manager.lib.homeManagerConfiguration' in text
    assert '"ham@laptop" = home-manager.lib.homeManagerConfiguration' in text
    take_wiring(st, wiring)
    assert st.edits == [*before_edits, *wiring.edits]


def test_finish_user_returns_the_new_entry_as_data(tmp_path: Path) -> None:
    """Why: finishing a user's home (the entry point's imports and identity, per-host files)
    wrote into the plan's files and the user's plan; it is a record the composer takes."""
    laptop = "{ pkgs, ... }: { users.users.ham.packages = [ pkgs.vlc ]; }\n"
    st = state(tmp_path, {"flake.nix": flake(hosts()), "laptop.nix": laptop})
    decided = decide(st)
    assert decided is not None
    [up] = decided[0]
    done = finish_user(st, up)
    entry = PurePosixPath("home/ham/default.nix")
    [write] = done.home.writes
    assert isinstance(write, Entry) and write.path == entry and write.user is up.user
    assert write.imports == ("./features/git.nix",) and write.hm_package
    assert 'home.username = lib.mkDefault "ham";' in write.identity
    assert write.tail.endswith("programs.home-manager.enable = true;")
    assert done.per_host == (("laptop", PurePosixPath("home/ham/laptop.nix")),)
    assert done.edits == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        done.per_host = ()  # type: ignore[misc]
    # Nothing of it is in the plan, nor in the user's plan, until it is taken.
    assert st.new_files[entry].identity == "" and not st.new_files[entry].hm_package
    assert up.per_host == {}
    assert take_finish(st, up, done) == ()
    assert st.new_files[entry].identity == write.identity and st.new_files[entry].hm_package
    assert st.new_files[entry].imports == ["./features/git.nix"]
    assert up.per_host == {"laptop": PurePosixPath("home/ham/laptop.nix")}


def test_finish_user_reads_its_own_pending_writes(tmp_path: Path) -> None:
    """Why: a user's existing entry imports the feature files that have something in them,
    and one of those (the home-manager command's) is filled by the same phase's record:
    the phase reads its pending writes over the plan, which it does not change."""
    inputs = '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
    wired = hosts(desk="./desk.nix inputs.home-manager.nixosModules.home-manager")
    files = {
        "flake.nix": flake(wired, inputs),
        "desk.nix": "{ home-manager.users.ham = import ./home/ham/home.nix; }\n",
        "home/ham/home.nix": "{ programs.git.enable = true; }\n",
    }
    st = state(tmp_path, files)
    decided = decide(st)
    assert decided is not None
    [up] = decided[0]
    assert not up.new_entry
    cli = PurePosixPath("home/ham/features/cli.nix")
    done = finish_user(st, up)
    opened, item, *laptop = done.home.writes
    assert opened == Open(cli, ("desk", "laptop"))
    # ham had no home on the laptop, and git moves from a file it reads: their home there is
    # the laptop's own file, not desk's home (tests/test_homeless_hosts_moves.py).
    assert laptop and {w.path for w in laptop} == {PurePosixPath("home/ham/laptop.nix")}
    assert dict(done.entries) == {"laptop": PurePosixPath("home/ham/laptop.nix")}
    assert isinstance(item, Item) and item.path == cli and item.first
    assert item.item.name == "home-manager"
    assert cli not in st.new_files  # not taken yet
    home = st.repo.root / "home/ham/home.nix"
    text = apply_edits(home.read_bytes(), done.edits).decode()
    assert "imports = [\n  ./features/cli.nix\n  ./features/git.nix\n];" in text
    take_finish(st, up, done)
    assert [i.name for i in st.new_files[cli].items] == ["home-manager"]


def test_wire_phase_diagnostics_wait_for_the_composer(tmp_path: Path) -> None:
    """A host whose platform is not known gets no standalone entry: said in the record."""
    st = state(tmp_path, {"flake.nix": flake(hosts(system="builtins.currentSystem"))})
    decided = decide(st)
    assert decided is not None
    users, cut = decided
    finish_users(st, users)
    before = list(st.diagnostics)
    decisions = decide_wiring(st, users, cut)
    assert decisions.standalone and not decisions.entries  # no entry can be built
    wiring = wire_flake(st, decisions)
    assert st.diagnostics == before
    why = "(for its standalone home configuration)"
    assert [(d.severity, d.message) for d in wiring.diagnostics] == [
        (
            Severity.WARNING,
            f'no `homeConfigurations."ham@{h}"`: cannot tell the platform of host `{h}` {why}',
        )
        for h in ("desk", "laptop")
    ]
    text = apply_edits((st.repo.root / "flake.nix").read_bytes(), wiring.edits).decode()
    assert "homeConfigurations" not in text
    take_wiring(st, wiring)
    assert st.diagnostics == [*before, *wiring.diagnostics]


def test_list_elements_follow_the_cut_record(tmp_path: Path) -> None:
    """A user's file listed in a host's list in flake.nix: the cut phase drops it (it becomes
    the user's home), and the wiring drops it inside the list it rewrites."""
    files = {
        "flake.nix": flake(hosts(desk="./desk.nix ./home/ham.nix")),
        "home/ham.nix": "{ ... }:\n{\n  programs.git.enable = true;\n}\n",
    }
    st = state(tmp_path, files)
    decided = decide(st)
    assert decided is not None
    users, cut = decided
    assert dict(cut.replacements) == {"home/ham.nix": None}
    finish_users(st, users)
    elements = list_elements(st.repo, cut)
    source = st.repo.flake.text
    assert elements.replaced == ()
    assert [source[s : s + 14] for s in elements.dropped] == [b"./home/ham.nix"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        elements.dropped = frozenset()  # type: ignore[misc]
    wiring = wire_flake(st, decide_wiring(st, users, cut))
    assert wiring.dropped == ()  # in a list the wiring rewrote
    text = apply_edits(source, wiring.edits).decode()
    assert "./home/ham.nix" not in text
    assert "home-manager.users.ham.imports = [ ./home/ham ];" in text  # its entry, wired


def test_module_mode_wires_no_standalone_entry(tmp_path: Path) -> None:
    st = state(tmp_path, {"flake.nix": flake(hosts())}, MigrateOptions(mode=Mode.MODULE))
    text = apply_edits(st.repo.flake.text, wire(st).edits).decode()
    assert "homeConfigurations" not in text
    assert text.count("home-manager.nixosModules.home-manager") == 2


def test_flake_editor_result_is_a_frozen_snapshot(tmp_path: Path) -> None:
    """What `add` reads of the editor: its decisions so far, which later edits do not change."""
    st = state(tmp_path, {"flake.nix": flake(hosts())})
    editor = FlakeEditor(st.index)
    assert editor.result().flake == ()
    assert editor.home_manager_ref() == "home-manager"
    first = editor.result()
    assert [e.why for e in first.flake] == [
        "add the home-manager input (github:nix-community/home-manager/release-25.05)",
        "make `home-manager` reachable in outputs",
    ]
    assert editor.self_ref() == "self"  # a formal already: nothing added
    editor.add_input("extra", "github:x/y", "nixpkgs", "extra")
    assert len(editor.result().flake) == 3 and len(first.flake) == 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.diagnostics = ()  # type: ignore[misc]


OUTSIDE = {
    "flake.nix": (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        "  outputs = inputs: import ./outputs.nix inputs;\n"
        "}\n"
    ),
    "outputs.nix": (
        "{ nixpkgs, ... }: {\n"
        "  nixosConfigurations.desk = nixpkgs.lib.nixosSystem {\n"
        '    system = "x86_64-linux";\n'
        "    modules = [ ./users.nix ./desk.nix ];\n"
        "  };\n"
        "}\n"
    ),
}


def test_wiring_refuses_before_any_text(tmp_path: Path) -> None:
    """The hosts are written in a file flake.nix's `outputs` calls: there is no place for
    standalone entries. The decisions refuse with migrate's own message, before the wire
    phase builds any text; in module mode they wire the list where it is written."""
    st = state(tmp_path, OUTSIDE)
    with pytest.raises(HomewardError) as whole:
        plan_migration(st.index, MigrateOptions())
    decided = decide(st)
    assert decided is not None
    users, cut = decided
    finish_users(st, users)
    with pytest.raises(HomewardError) as first:
        decide_wiring(st, users, cut)
    assert (
        first.value.message
        == whole.value.message
        == ("cannot find where flake.nix defines its outputs")
    )
    module = state(tmp_path, {}, MigrateOptions(mode=Mode.MODULE))
    decided = decide(module)
    assert decided is not None
    finish_users(module, decided[0])
    decisions = decide_wiring(module, *decided)
    assert not decisions.standalone
    (planned,) = decisions.lists
    assert planned.hosts == ("desk",) and not planned.shared and not planned.configured
    assert str(planned.site.source.path) == "outputs.nix"
    assert planned.ref is not None and (planned.ref.code, planned.ref.formal) == (
        "home-manager",
        "home-manager",
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        planned.configured = True  # type: ignore[misc]
    text = apply_edits(
        (module.repo.root / "outputs.nix").read_bytes(),
        [e for e in wire_flake(module, decisions).edits if str(e.path) == "outputs.nix"],
    ).decode()
    assert text.startswith("{ nixpkgs, home-manager, ... }: {")
    assert "home-manager.nixosModules.home-manager" in text


def spans(edits: tuple[Edit, ...]) -> set[tuple[str, int, int]]:
    return {(str(e.path), e.start_byte, e.end_byte) for e in edits}


def assert_places(st: PlanState) -> None:
    """`wire_places` names each span the wiring writes (but a Mac's own input and a `self`
    formal of `outputs`, which are not where any module is listed), and only those, but the
    formal home-manager was given, which the plan takes back when nothing names it."""
    decided = decide(st)
    if decided is None:
        return
    users, cut = decided
    entries = finish_users(st, users)
    try:
        decisions = decide_wiring(st, users, cut)
    except HomewardError:
        return
    wiring = wire_flake(st, decisions, entries)
    flake = wiring.flake
    written = spans((*flake.flake, *flake.others, *wiring.dropped))
    mac = {(str(e.path), e.start_byte, e.end_byte) for e in flake.flake if "`self`" in e.why}
    mac |= {
        (str(e.path), e.start_byte, e.end_byte)
        for e in flake.flake
        if e.why.startswith("add the ") and e.why not in {n.why for n in decisions.named}
    }
    places = spans(wire_places(st, decisions))
    assert written - mac <= places
    assert places - written <= spans(decisions.named)


def test_wire_places_are_where_the_wiring_writes(tmp_path: Path) -> None:
    assert_places(state(tmp_path / "a", {"flake.nix": flake(hosts())}))
    files = {
        "flake.nix": flake(hosts(desk="./desk.nix ./home/ham.nix")),
        "home/ham.nix": "{ ... }:\n{\n  programs.git.enable = true;\n}\n",
    }
    assert_places(state(tmp_path / "b", files))
    assert_places(state(tmp_path / "c", OUTSIDE, MigrateOptions(mode=Mode.MODULE)))


@pytest.mark.parametrize(
    "case", sorted(p.parent.parent.name for p in (FIXTURES / "migrate").glob("*/before/flake.nix"))
)
def test_wire_places_on_every_golden(case: str, tmp_path: Path) -> None:
    """Why: `check` reads the places instead of the text (commands/fixable.py); on every
    golden repository they are the spans the wiring writes."""
    root = copy_tree(FIXTURES / "migrate" / case / "before", tmp_path / "repo")
    try:
        index = build_index(load_repo(root))
        repo, _ = without_assembled(index.repo)
        if repo is not index.repo:
            index = build_index(repo)
        index, sites = skip_unwireable(index)
        st = PlanState(index, MigrateOptions(), sites)
        st.repo.fatal()
    except HomewardError:
        assert case.startswith("refuse-")  # a repository migrate cannot read
        return
    assert_places(st)


def test_add_reaches_nothing_of_the_migrate_composer() -> None:
    """Why (issue #9): the flake editor and the wiring's functions are shared by `add` and
    `migrate`; `add` must import nothing from migrate's composer or its state, directly or
    through what it imports (read with `ast`: nothing is imported)."""
    from tests.test_layers import homeward_imports, modules

    by_name = {m.name.removeprefix("homeward."): m for m in modules()}
    todo = ["plan.add", "plan.addhost", "plan.adduser"]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in by_name:
            continue
        seen.add(name)
        todo.extend(target for target, _ in homeward_imports(by_name[name]))
    assert "plan.flake" in seen and "plan.hostwire" in seen  # add does use the wiring
    assert not seen & {"plan.migrate", "plan.state", "plan.wire"}


def test_add_user_wires_a_list_written_outside_flake_nix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `add` took only the editor's edits of flake.nix from its record: a host whose
    module list is written in another file (`import ./hosts inputs`) got no home-manager
    module and no `home-manager.users.bob`, although the new entry says
    `nixos-rebuild switch` reads it."""
    from homeward.cli import main
    from tests.helpers import make_git_repo

    root = write(
        tmp_path / "repo",
        {
            "flake.nix": (
                "{\n"
                '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
                '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
                "  outputs = { nixpkgs, home-manager, ... }@inputs: {\n"
                "    nixosConfigurations = import ./hosts inputs;\n"
                "  };\n"
                "}\n"
            ),
            "hosts/default.nix": (
                "{ nixpkgs, home-manager, ... }:\n{\n"
                "  desk = nixpkgs.lib.nixosSystem {\n"
                '    system = "x86_64-linux";\n'
                "    modules = [\n      ./desk.nix\n      ../users.nix\n    ];\n"
                "  };\n}\n"
            ),
            "hosts/desk.nix": '{ networking.hostName = "desk"; }\n',
            "users.nix": "{ pkgs, ... }:\n{\n  users.users.ham.isNormalUser = true;\n}\n",
        },
    )
    work = make_git_repo(root)
    assert main(["add", "user", "bob", "--host", "desk", str(work)]) == 0, capsys.readouterr()
    hosts_file = (work / "hosts/default.nix").read_text()
    assert "      home-manager.nixosModules.home-manager\n" in hosts_file
    assert "home-manager.users.bob.imports = [ ../home/bob ];" in hosts_file


def test_homes_computed_names_the_hosts_whose_homes_homeward_cannot_see(tmp_path: Path) -> None:
    """Why (issue #9): `homes_computed` is asked per user per host; its answer comes from the
    host's `home-manager` definitions, and these shapes pin it: a computed `home-manager.users`
    (a genAttrs) and a computed name (`home-manager.users.${u}`) are homes it cannot see; a
    named home, a host without home-manager and a name that is no host are not."""
    computed = '{ home-manager.users = nixpkgs.lib.genAttrs [ "ham" ] (u: { }); }'
    outputs = (
        "{ nixosConfigurations = {\n"
        + "".join(
            f'    {name} = nixpkgs.lib.nixosSystem {{ system = "x86_64-linux"; '
            f"modules = [ ./users.nix {extra} ]; }};\n"
            for name, extra in (
                ("gen", "./gen.nix"),
                ("inline", computed),
                ("named", "./named.nix"),
                ("dynamic", "./dynamic.nix"),
                ("plain", "./desk.nix"),
            )
        )
        + "  }; }"
    )
    st = state(
        tmp_path,
        {
            "flake.nix": flake(outputs),
            "gen.nix": "{ lib, ... }:\n{\n"
            '  home-manager.users = lib.genAttrs [ "ham" ] (u: { home.stateVersion = "23.05"; });\n'
            "}\n",
            "named.nix": '{\n  home-manager.users.ham = { home.stateVersion = "23.05"; };\n}\n',
            "dynamic.nix": "{ user, ... }:\n{\n"
            '  home-manager.users.${user} = { home.stateVersion = "23.05"; };\n}\n',
        },
    )
    got = {host: homes_computed(st, host) for host in (*st.index.hosts, "nowhere")}
    assert got == {
        "gen": True,
        "inline": True,
        "named": False,
        "dynamic": True,
        "plain": False,
        "nowhere": False,
    }
