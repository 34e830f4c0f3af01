"""Each phase of the planner on its own: checks, cut, wire (the entry builder), render.

Why (issue #9): the planner was one class doing six jobs; each phase is now a function over
the index and the plan's data, small enough to test without a whole migration.
"""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath

import pytest

from homeward.apply.spans import apply_edits
from homeward.diagnostics import Severity
from homeward.errors import HomewardError
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from homeward.plan.checks import mismatches
from homeward.plan.chunks import Needs, PackageItem
from homeward.plan.cut import import_edits
from homeward.plan.entry import home_entry_edits
from homeward.plan.files import DestFile, render_dest
from homeward.plan.nixcode import relative_import
from homeward.plan.standalone import home_configuration_entry, package_set
from homeward.syntax.parse import parse_source
from tests.test_openworld import flake, write


def test_render_writes_a_feature_file_as_nixfmt_would() -> None:
    dest = DestFile(PurePosixPath("home/ham/features/cli.nix"), home=True)
    dest.imports.append("./git.nix")
    for name in ("jq", "fd"):
        dest.items.append(PackageItem(f"pkgs.{name}", name, "", Needs(args={"pkgs"}), None))
    assert render_dest(dest) == (
        b"{ pkgs, ... }:\n{\n  imports = [ ./git.nix ];\n\n"
        b"  home.packages = [\n    pkgs.jq\n    pkgs.fd\n  ];\n}\n"
    )
    assert render_dest(DestFile(PurePosixPath("x.nix"), home=True)) == b"{ }\n"


def test_wire_builds_one_home_configuration_entry() -> None:
    """Why: migrate and add wrote this entry two ways; one builder on syntax/emit now."""
    unfree = package_set("nixpkgs", "aarch64-linux", unfree=True)
    assert home_configuration_entry("hm", unfree, "{ inherit inputs; }", ["./home/ham"]) == (
        "hm.lib.homeManagerConfiguration {\n"
        "  pkgs = import nixpkgs {\n"
        '    system = "aarch64-linux";\n'
        "    config.allowUnfree = true;\n"
        "  };\n"
        "  extraSpecialArgs = { inherit inputs; };\n"
        "  modules = [ ./home/ham ];\n"
        "}"
    )
    plain = package_set("nixpkgs", "x86_64-linux", unfree=False)
    two = home_configuration_entry("home-manager", plain, None, ["./home/ham", "./home/ham/pc.nix"])
    assert "pkgs = nixpkgs.legacyPackages.x86_64-linux;" in two
    assert "modules = [\n    ./home/ham\n    ./home/ham/pc.nix\n  ];" in two


def test_relative_import_without_relpath() -> None:
    """Why: it answers as `posixpath.relpath` did, without an `os.getcwd()` per call."""
    pairs = [
        ("home/ham/default.nix", "."),
        ("modules/a.nix", "hosts/pc"),
        ("home/ham/features/cli.nix", "home/ham"),
        ("home/ham/default.nix", "home/eve/features"),
        ("flake.nix", "a/b/c"),
    ]
    for path, directory in pairs:
        rel = posixpath.relpath(path, directory).removesuffix("/default.nix")
        rel = "." if rel == "default.nix" else rel
        expected = rel if rel.startswith("../") else f"./{rel}"
        assert relative_import(PurePosixPath(path), PurePosixPath(directory)) == expected
    assert relative_import(PurePosixPath("modules/a.nix"), PurePosixPath("hosts/pc")) == (
        "../../modules/a.nix"
    )


def test_cut_drops_imports_of_removed_files_and_repoints_split_ones(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.pc = nixpkgs.lib.nixosSystem { modules = [ ./pc.nix ]; }; }"
            ),
            "pc.nix": "{\n  imports = [\n    ./a.nix\n    ./b.nix\n  ];\n}\n",
            "solo.nix": "{ imports = [ ./a.nix ]; }\n",
            "a.nix": "{ }\n",
            "b.nix": "{ }\n",
        },
    )
    index = build_index(load_repo(root))
    edits = import_edits(index.repo.modules.values(), set(), {"a.nix": None, "b.nix": "c/b.nix"})
    by_why = {e.why: e for e in edits}
    text = (root / "pc.nix").read_bytes()
    gone = by_why["`a.nix` moved to home-manager"]
    assert text[gone.start_byte : gone.end_byte].strip() == b"./a.nix"
    assert by_why["system part of `b.nix` now in `c/b.nix`"].new == b"./c/b.nix"
    # Emptied modules are not edited: they are deleted whole.
    assert import_edits(index.repo.modules.values(), {"pc.nix"}, {"a.nix": None}) == []


def test_checks_warn_when_home_manager_does_not_follow_nixpkgs(tmp_path: Path) -> None:
    inputs = '  inputs.home-manager.url = "github:nix-community/home-manager/release-24.11";\n'
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.pc = nixpkgs.lib.nixosSystem { modules = [ ./pc.nix ]; }; }",
                inputs,
            ),
            "pc.nix": '{ networking.hostName = "desk"; }\n',
        },
    )
    found = mismatches(build_index(load_repo(root)))
    assert all(d.severity is Severity.WARNING for d in found)
    messages = " | ".join(d.message for d in found)
    assert "does not track nixpkgs' branch" in messages
    assert "does not follow nixpkgs" in messages
    assert 'sets networking.hostName = "desk"' in messages


def test_wire_an_existing_entry_point() -> None:
    """Why: the user's own home.nix gets the new feature files and what a standalone
    configuration needs, each only where it is missing, and `lib` for `lib.mkDefault`."""
    text = b'{ pkgs, ... }:\n{\n  imports = [ ./a.nix ];\n  home.username = "ham";\n}\n'
    source = parse_source(text, Path("home/ham/home.nix"))
    edits = home_entry_edits(
        source,
        PurePosixPath("home/ham/home.nix"),
        ["./features/cli.nix"],
        username="ham",
        home_directory="/home/ham",
        state_version="24.11",
    )
    assert apply_edits(text, edits) == (
        b"{ pkgs, lib, ... }:\n{\n"
        b'  home.homeDirectory = lib.mkDefault "/home/ham";\n'
        b'  home.stateVersion = "24.11";\n\n'
        b"  imports = [\n    ./a.nix\n    ./features/cli.nix\n  ];\n"
        b'  home.username = "ham";\n}\n'
    )
    assert home_entry_edits(source, PurePosixPath("home/ham/home.nix"), []) == []


def test_wire_into_outputs_that_close_on_the_line_of_their_last_binding(tmp_path: Path) -> None:
    """Why: `outputs = ...: { nixosConfigurations.pc = ... { ... }; };` ends its last binding
    and the set on one line; homeConfigurations went after that line, outside `outputs`, and
    validation refused the text as an internal error."""
    from homeward.cli import main

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.pc = nixpkgs.lib.nixosSystem {\n"
                '    system = "x86_64-linux";\n    modules = [ ./pc.nix ];\n  }; }'
            ),
            "pc.nix": "{ pkgs, ... }:\n{\n  users.users.ham = {\n    isNormalUser = true;\n"
            "    packages = [ pkgs.jq ];\n  };\n}\n",
        },
    )
    assert main(["migrate", str(root), "--allow-dirty", "--no-git"]) == 0  # not in git
    repo = load_repo(root)
    assert sorted(repo.homes) == ["ham@pc"] and sorted(repo.hosts) == ["pc"]


def test_an_entry_point_whose_home_is_set_through_with() -> None:
    """Why: `home = with pkgs; { … };` is one binding of `home` that Nix does not merge with a
    `home.username = …;` beside it ("attribute 'home' already defined"): migrate stopped with an
    internal error on such a home. What it needs goes inside that set, without the `home.`."""
    text = (
        b'{ pkgs, ... }:\n{\n  home = with pkgs; {\n    stateVersion = "24.05";\n'
        b"    packages = [ jq ];\n  };\n}\n"
    )
    source = parse_source(text, Path("home/ann.nix"))
    edits = home_entry_edits(
        source,
        PurePosixPath("home/ann.nix"),
        ["./ann/features/cli.nix"],
        username="ann",
        home_directory="/home/ann",
        state_version="24.11",
    )
    assert apply_edits(text, edits) == (
        b"{ pkgs, lib, ... }:\n{\n"
        b"  imports = [ ./ann/features/cli.nix ];\n\n"
        b'  home = with pkgs; {\n    stateVersion = "24.05";\n'
        b"    packages = [ jq ];\n"
        b'    username = lib.mkDefault "ann";\n'
        b'    homeDirectory = lib.mkDefault "/home/ann";\n'
        b"  };\n}\n"
    )


@pytest.mark.parametrize(
    "value",
    [
        b"lib.mkIf pkgs.stdenv.isLinux { packages = [ pkgs.jq ]; }",
        b"let lib = { }; in { packages = [ pkgs.jq ]; }",
        b"{ packages = [ pkgs.jq ]; } // { }",
    ],
)
def test_an_entry_point_whose_home_cannot_take_more_is_refused(value: bytes) -> None:
    """Why: inside a condition the identity would be conditional, past a `let` binding `lib`
    `lib.mkDefault` is not the module's, and a `//` cannot take a binding: refused at the
    binding (exit 3), never a text nix rejects."""
    text = b"{ pkgs, lib, ... }:\n{\n  home = " + value + b";\n}\n"
    source = parse_source(text, Path("home/ann.nix"))
    with pytest.raises(HomewardError) as caught:
        home_entry_edits(source, PurePosixPath("home/ann.nix"), [], username="ann")
    assert str(caught.value.at) == "home/ann.nix:3:3"
    assert "`home`" in caught.value.message


@pytest.mark.parametrize("username", [None, '"ann"'])
@pytest.mark.parametrize(
    "home", [None, "/home/ann", 'if pkgs.stdenv.isDarwin then "/Users/ann" else "/home/ann"']
)
@pytest.mark.parametrize("state_version", [None, '"24.11"'])
def test_a_refused_home_names_what_would_be_added(
    username: str | None, home: str | None, state_version: str | None
) -> None:
    """Why: the refusal's list of what would be added was read back from the generated text
    (`line.split(" =")`); it comes from the arguments now, with the same message: each name
    given and not defined, in the order they would be written (a home for a Mac and Linux
    writes a conditional `homeDirectory`)."""
    text = b"{ pkgs, lib, ... }:\n{\n  home = lib.mkIf pkgs.stdenv.isLinux { x = 1; };\n}\n"
    source = parse_source(text, Path("home/ann.nix"))
    names = [
        n
        for n, v in (
            ("username", username),
            ("homeDirectory", home),
            ("stateVersion", state_version),
        )
        if v is not None
    ]
    call = {"username": username, "home_directory": home, "state_version": state_version}
    if not names:
        assert home_entry_edits(source, PurePosixPath("home/ann.nix"), [], **call) == []
        return
    with pytest.raises(HomewardError) as caught:
        home_entry_edits(source, PurePosixPath("home/ann.nix"), [], **call)
    assert str(caught.value.at) == "home/ann.nix:3:3"
    assert caught.value.message == (
        f"cannot add {', '.join(f'`home.{n}`' for n in names)} (what a standalone "
        "configuration needs) to `home/ann.nix`: its `home` is set by an expression Nix does "
        "not merge `home.…` into"
    )
    assert caught.value.hint == (
        "write its `home` as a set (`home = { … };`) or as `home.<option> = …;` lines, "
        "then run homeward again"
    )
