"""A standalone home built by a helper of the flake (`mkHome "kim@box" true`) whose
`extraSpecialArgs` pass the helper's own arguments (`{ inherit inputs server; }`), and whose
modules take them (`{ server, ... }:`). home-manager's NixOS module that migrate wires on the
host must pass them too: the text `{ inherit inputs server; }` means nothing beside the host's
module list, so each name is written as what it is for that home (`server = true;`).
Reduced from a real configuration (the role of each machine given to the home as an
argument, the user and host names split out of `"<user>@<host>"`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.eval import Evaluator
from homeward.model.values import Value
from homeward.syntax.parse import parse_source
from tests.helpers import BOX_HOST, hm_flake_of, make_git_repo, migrate_stderr, write
from tests.test_migrate_darwin import nix_value

FLAKE = hm_flake_of(
    "{ nixpkgs, home-manager, ... }@inputs",
    """    let
      mkHome =
        userAtHost: server:
        let
          parts = nixpkgs.lib.splitString "@" userAtHost;
        in
        home-manager.lib.homeManagerConfiguration {
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          extraSpecialArgs = {
            inherit inputs server;
            user = builtins.elemAt parts 0;
          };
          modules = [ ./home/common.nix ];
        };
    in
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs; };
        modules = [ ./hosts/box.nix ];
      };
      HOMES
    };
""",
)

ONE = 'homeConfigurations."kim@box" = mkHome "kim@box" true;'

FILES = {
    "hosts/box.nix": BOX_HOST,
    "home/common.nix": "{ server, user, ... }:\n{\n"
    '  home.sessionVariables.ROLE = if server then "server" else "desk";\n'
    "  home.sessionVariables.WHO = user;\n"
    '  home.stateVersion = "25.05";\n}\n',
}


def repo_with(tmp_path: Path, homes: str) -> Path:
    return make_git_repo(
        write(tmp_path / "repo", {"flake.nix": FLAKE.replace("HOMES", homes), **FILES})
    )


def test_the_helpers_arguments_are_written_as_their_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate warned that the arguments "cannot be written" and wired the home without
    them; the host then failed to evaluate (`server` is a required argument of the home)."""
    root = repo_with(tmp_path, ONE)
    err = migrate_stderr(root, capsys)
    assert "cannot be written" not in err, err
    flake = (root / "flake.nix").read_text()
    assert "server = true;" in flake
    assert 'user = "kim";' in flake
    assert flake.count("inputs = inputs;") == 0  # the host passes `inputs` already


def test_hosts_of_one_list_with_different_values_are_not_wired(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: one module list read by two hosts gets one wiring; a value that differs between
    their homes cannot be written there, and is not written for the first host only. Wired
    without it, both hosts failed to evaluate (`server` is a required argument of the home):
    the hosts are left as they are, named with the list (tests/test_shared_list_home_args.py
    evaluates them)."""
    flake = FLAKE.replace(
        "nixosConfigurations.box = nixpkgs.lib.nixosSystem {",
        'nixosConfigurations = nixpkgs.lib.genAttrs [ "box" "lab" ] (name: '
        "nixpkgs.lib.nixosSystem {",
    ).replace(
        "modules = [ ./hosts/box.nix ];\n      };", "modules = [ ./hosts/box.nix ];\n      });"
    )
    homes = 'homeConfigurations."kim@box" = mkHome "kim@box" true;\n' + (
        '      homeConfigurations."kim@lab" = mkHome "kim@lab" false;'
    )
    root = make_git_repo(
        write(tmp_path / "repo", {"flake.nix": flake.replace("HOMES", homes), **FILES})
    )
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 3  # no host left to migrate
    err = capsys.readouterr().err
    assert "home-manager cannot be wired into host `box`" in err, err
    assert "pass different values of `server`" in err, err
    text = (root / "flake.nix").read_text()
    assert text == flake.replace("HOMES", homes)


@pytest.mark.nix
def test_the_host_reads_the_home_with_its_arguments(tmp_path: Path) -> None:
    """Why: what counts is what Nix sees: the NixOS module's home gets the same arguments as
    `home-manager switch` does."""
    root = repo_with(tmp_path, ONE)
    assert main(["migrate", str(root)]) == 0
    variables = "config.home-manager.users.kim.home.sessionVariables"
    assert nix_value(root, f"nixosConfigurations.box.{variables}") == {
        "ROLE": "server",
        "WHO": "kim",
    }


def evaluated(tmp_path: Path, expression: str) -> tuple[Evaluator, Value]:
    """homeward's evaluator, in an empty flake under `tmp_path`, and what it makes of
    `expression` with `lib` nixpkgs' library."""
    root = write(tmp_path, {"flake.nix": "{ }\n"})
    ev = Evaluator(root)
    text = f"let lib = (import <nixpkgs> {{ }}).lib; in {expression}"
    source = parse_source(text.encode(), root / "expr.nix").check()
    node = source.root.child_by_field_name("expression")
    assert node is not None
    return ev, ev.eval(node, ev.globals, source)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ('builtins.elemAt [ "a" "b" ] 1', "b"),
        ('builtins.elemAt (lib.splitString "@" "kim@box") 0', "kim"),
        ('lib.strings.splitString "@" "kim@box"', ["kim", "box"]),
        ('lib.splitString "." "a..b"', ["a", "", "b"]),
    ],
)
def test_elem_at_and_split_string(tmp_path: Path, expression: str, expected: object) -> None:
    """Why: `builtins.elemAt (splitString "@" userAtHost) 0` named the user of a home and
    the file it imports (`./hm/${username}.nix`); both were not known."""
    from homeward.model.values import ListValue, Str

    ev, value = evaluated(tmp_path, expression)
    if isinstance(value, ListValue):
        items = [ev.force(t) for t in value.items]
        assert all(isinstance(v, Str) for v in items)
        assert [v.value for v in items if isinstance(v, Str)] == expected
    else:
        assert isinstance(value, Str) and value.value == expected


@pytest.mark.parametrize(
    "expression",
    ['builtins.elemAt [ "a" ] 1', 'builtins.elemAt [ "a" ] (-1)', 'lib.splitString "" "ab"'],
)
def test_what_elem_at_and_split_string_do_not_guess(tmp_path: Path, expression: str) -> None:
    from homeward.model.values import Unknown

    assert isinstance(evaluated(tmp_path, expression)[1], Unknown)
