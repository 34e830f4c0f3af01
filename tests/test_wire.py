"""The wire phase on its own, over a tiny model parsed from real Nix text.

Why (issue #9): a phase is a function whose result is data. `wire_flake` returns a frozen
`Wiring` (the edits of flake.nix and of the files a host's wiring is written in, and its
diagnostics), `list_elements` what the cut phase's record asks of the module lists in
flake.nix, and `FlakeEditor.result()` what the editor decided; nothing reaches the plan until
the composer takes it (`take_wiring`).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from homeward.apply.spans import apply_edits
from homeward.diagnostics import Severity
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from homeward.plan.flake import FlakeEditor
from homeward.plan.migrate import decide
from homeward.plan.state import MigrateOptions, Mode, PlanState
from homeward.plan.wire import list_elements, take_wiring, wire_flake
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


def test_wire_phase_returns_the_flake_edits_as_data(tmp_path: Path) -> None:
    st = state(tmp_path, {"flake.nix": flake(hosts())})
    decided = decide(st)
    assert decided is not None
    users, cut = decided
    before_edits, before_notes = list(st.edits), list(st.diagnostics)
    wiring = wire_flake(st, users, cut)
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


def test_wire_phase_diagnostics_wait_for_the_composer(tmp_path: Path) -> None:
    """A host whose platform is not known gets no standalone entry: said in the record."""
    st = state(tmp_path, {"flake.nix": flake(hosts(system="builtins.currentSystem"))})
    decided = decide(st)
    assert decided is not None
    before = list(st.diagnostics)
    wiring = wire_flake(st, *decided)
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
    elements = list_elements(st.repo, cut)
    source = st.repo.flake.text
    assert elements.replaced == ()
    assert [source[s : s + 14] for s in elements.dropped] == [b"./home/ham.nix"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        elements.dropped = frozenset()  # type: ignore[misc]
    wiring = wire_flake(st, users, cut)
    assert wiring.dropped == ()  # in a list the wiring rewrote
    text = apply_edits(source, wiring.edits).decode()
    assert "./home/ham.nix" not in text
    assert "home-manager.users.ham.imports = [ ./home/ham ];" in text  # its entry, wired


def test_module_mode_wires_no_standalone_entry(tmp_path: Path) -> None:
    st = state(tmp_path, {"flake.nix": flake(hosts())}, MigrateOptions(mode=Mode.MODULE))
    decided = decide(st)
    assert decided is not None
    text = apply_edits(st.repo.flake.text, wire_flake(st, *decided).edits).decode()
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
