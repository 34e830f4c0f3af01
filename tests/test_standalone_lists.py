"""An existing `homeConfigurations."<user>@<host>"` that starts from a home file that stays (one
other users' configurations list too) reads the per-host file migrate writes beside it, as
the user's new NixOS home does (rule 13: both wirings read the same files). Its module list
is extended where it is written, when that list builds exactly that configuration: in
flake.nix, in another file of the repository (`homeConfigurations = import ./homes.nix
{ ... };`), the last list of a `++` chain, or a list bound by `let` that only it uses. A list
a helper builds for several configurations (`mkHome = user: ...`) cannot take one user's
file: migrate refuses (exit 3, at the list, saying how to write it) before anything is
written, never with an internal error."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake_of, make_git_repo, nixos_entry, tree_files


def flake(homes: str, let: str = "") -> str:
    return hm_flake_of(
        "{ self, nixpkgs, home-manager, ... }",
        let + "    {\n" + nixos_entry("a", "./hosts/a") + homes + "    };\n",
        owner="nixos",
        gap="",
    )


def entry(name: str, modules: str) -> str:
    return f"""      homeConfigurations."{name}" = home-manager.lib.homeManagerConfiguration {{
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        modules = {modules};
      }};
"""


HOST = """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
}
"""

SHARED = """{ pkgs, ... }:
{
  home.packages = [ pkgs.jq ];
  home.stateVersion = "25.05";
}
"""

COMMON = "{ ... }:\n{\n  programs.git.enable = true;\n}\n"

HOMES_FILE = """{ nixpkgs, home-manager }:
{
  "ann@a" = home-manager.lib.homeManagerConfiguration {
    pkgs = nixpkgs.legacyPackages.x86_64-linux;
    modules = [ ../home/shared ];
  };
  "bob@b" = home-manager.lib.homeManagerConfiguration {
    pkgs = nixpkgs.legacyPackages.x86_64-linux;
    modules = [ ../home/shared ];
  };
}
"""

COMMON_LET = "    let\n      common = [ ./home/common.nix ];\n    in\n"

SHAPES: dict[str, dict[str, str]] = {
    "another-file": {
        "flake.nix": flake(
            "      homeConfigurations = import ./homes/default.nix "
            "{ inherit nixpkgs home-manager; };\n"
        ),
        "homes/default.nix": HOMES_FILE,
    },
    "chain-first": {
        "flake.nix": flake(
            entry("ann@a", "[ ./home/shared ] ++ common")
            + entry("bob@b", "[ ./home/shared ] ++ common"),
            COMMON_LET,
        ),
        "home/common.nix": COMMON,
    },
    "chain-last": {
        "flake.nix": flake(
            entry("ann@a", "common ++ [ ./home/shared ]")
            + entry("bob@b", "common ++ [ ./home/shared ]"),
            COMMON_LET,
        ),
        "home/common.nix": COMMON,
    },
    "let-bound": {
        "flake.nix": flake(
            entry("ann@a", "annModules") + entry("bob@b", "[ ./home/shared ]"),
            "    let\n      annModules = [ ./home/shared ];\n    in\n",
        ),
    },
}

# Where ann's list is, and what it must read after (the per-host file, from that file).
EXTENDED = {
    "another-file": ("homes/default.nix", "../home/ann/a.nix"),
    "chain-first": ("flake.nix", "./home/ann/a.nix"),
    "chain-last": ("flake.nix", "./home/ann/a.nix"),
    "let-bound": ("flake.nix", "./home/ann/a.nix"),
}

HELPER_LET = """    let
      mkHome = user: home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        modules = [
          ./home/shared
          { home.username = user; home.homeDirectory = "/home/${user}"; }
        ];
      };
    in
"""

HELPER = {
    "flake.nix": flake(
        '      homeConfigurations."ann@a" = mkHome "ann";\n'
        '      homeConfigurations."bob@b" = mkHome "bob";\n',
        HELPER_LET,
    ),
}


HELPER_GIVEN = {
    "flake.nix": flake(
        '      homeConfigurations."ann@a" = mkHome "ann" [ ./home/shared ];\n'
        '      homeConfigurations."bob@b" = mkHome "bob" [ ./home/shared ];\n',
        HELPER_LET.replace("mkHome = user:", "mkHome = user: modules:").replace(
            "modules = [\n          ./home/shared\n", "modules = modules ++ [\n"
        ),
    ),
}


HELPER_OWN = HELPER_LET.replace("mkHome = user:", "mkHome = user: modules:").replace(
    "modules = [\n          ./home/shared\n", "modules = modules ++ [\n          ./home/shared\n"
)

EMPTY_GIVEN = {
    # The helper's list holds the home both read; ann's own list is empty.
    "helper-reads-the-home": {
        "flake.nix": flake(
            '      homeConfigurations."ann@a" = mkHome "ann" [ ];\n'
            '      homeConfigurations."bob@b" = mkHome "bob" [ ./home/bob.nix ];\n',
            HELPER_OWN,
        ),
        "home/bob.nix": COMMON,
    },
    # Nothing of ann's is read: her list is empty, the helper's holds an inline module.
    "nothing-read": {
        "flake.nix": HELPER_GIVEN["flake.nix"].replace(
            'mkHome "ann" [ ./home/shared ]', 'mkHome "ann" [ ]'
        ),
    },
    # No helper: an empty list of her own, or one with a module written in place.
    "own-empty": {"flake.nix": flake(entry("ann@a", "[ ]"))},
    "own-inline": {
        "flake.nix": flake(
            entry("ann@a", '[ { home.username = "ann"; home.homeDirectory = "/home/ann"; } ]')
        )
    },
}


def files(shape: Mapping[str, str], package: bool = True) -> dict[str, str]:
    host = HOST if package else HOST.replace("  users.users.ann.packages = [ pkgs.htop ];\n", "")
    return {"hosts/a/default.nix": host, "home/shared/default.nix": SHARED, **shape}


def write(root: Path, found: Mapping[str, str]) -> Path:
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return make_git_repo(root)


def ann_list(text: str, shape: str) -> str:
    """Ann's configuration as written in the file that holds her list."""
    if shape == "let-bound":
        return text[text.index("annModules =") : text.index("in\n")]
    start = text.index('"ann@a"')
    return text[start : text.index('"bob@b"', start)]


@pytest.mark.parametrize("package", [True, False], ids=["account-package", "command-only"])
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_kept_standalone_list_written_anywhere_reads_the_per_host_file(
    shape: str, package: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate extended ann's existing list only when written in flake.nix itself, not
    the last of a `++` chain and not bound by `let`; otherwise it stopped with an internal
    error (exit 4: the invariants found her standalone configuration without the file her
    NixOS home reads), on user input. Bob's list, which does not belong to ann, is left."""
    root = write(tmp_path / "repo", files(SHAPES[shape], package))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    holder, item = EXTENDED[shape]
    assert item in ann_list(after[holder].decode(), shape)
    bob = after[holder].decode()
    bob = bob[bob.index('"bob@b"') :]
    assert "home/ann" not in bob
    assert after["home/shared/default.nix"] == before["home/shared/default.nix"]
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


@pytest.mark.nix
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_kept_standalone_list_written_anywhere_is_conserved_by_the_real_nix(
    shape: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = write(tmp_path / "repo", files(SHAPES[shape]))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.homes["ann@a"].packages
    assert after.homes["bob@b"] == before.homes["bob@b"]
    assert main(["check", str(root)]) == 0


def test_a_helpers_list_of_several_configurations_is_refused_at_the_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `mkHome` builds ann's and bob's configurations from one list; ann's per-host file,
    which holds her account's packages on `a`, cannot go there (bob would read it). Migrate
    stopped with an internal error (exit 4) from the invariants; it is user input: exit 3,
    at the list, with the reason and what to do, and nothing written."""
    root = write(tmp_path / "repo", files(HELPER))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    text = HELPER["flake.nix"]
    line = text[: text.index("[\n          ./home/shared")].count("\n") + 1
    assert f"flake.nix:{line}:" in err, err
    assert '`homeConfigurations."ann@a"`' in err and "`home/ann/a.nix`" in err, err
    assert 'also builds `homeConfigurations."bob@b"` (a helper\'s list)' in err, err
    assert "hint:" in err and "internal error" not in err, err
    assert tree_files(root) == before


def test_a_helpers_list_is_left_when_the_per_host_file_holds_nothing_moved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (jnsgruk/nixos-config's `mkHome`): what ann's per-host file holds is only what
    migrate adds (the home-manager command), nothing her configurations had before; her
    standalone configuration, built by the helper, is left as it was, and a warning says so
    (refusing would leave the whole configuration unmigrated for a command)."""
    root = write(tmp_path / "repo", files(HELPER, package=False))
    flake = (root / "flake.nix").read_text()
    assert main(["migrate", str(root)]) == 0
    err = capsys.readouterr().err
    assert (
        'warning: `homeConfigurations."ann@a"` is left as it was, without `home/ann/a.nix`'
    ) in err, err
    assert (root / "flake.nix").read_text().count("./home/ann/a.nix") == 1  # the NixOS home's
    assert "mkHome = user:" in flake and "home/ann" not in flake


@pytest.mark.parametrize(
    "shape", [*sorted(SHAPES), "helper", "helper-given", *(f"empty-{s}" for s in EMPTY_GIVEN)]
)
def test_what_check_reads_of_a_kept_standalone_list_is_where_migrate_writes_it(
    shape: str, tmp_path: Path
) -> None:
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.state import MigrateOptions, PlanState
    from tests.test_wire import assert_places

    shapes = {**SHAPES, **{f"empty-{s}": found for s, found in EMPTY_GIVEN.items()}}
    found = files(shapes.get(shape, HELPER_GIVEN if shape == "helper-given" else HELPER))
    root = write(tmp_path / "repo", found)
    assert_places(PlanState(build_index(load_repo(root)), MigrateOptions()))


def test_a_list_a_helper_is_given_takes_the_users_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the refusal's hint says to write: `mkHome` takes each configuration's list
    (`modules ++ [ … ]`); the list given for `ann@a` is hers alone and takes her file, the
    helper's own list is left."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    assert "mkHome = user: modules:" in HELPER_GIVEN["flake.nix"]
    assert "modules = modules ++ [" in HELPER_GIVEN["flake.nix"]
    root = write(tmp_path / "repo", files(HELPER_GIVEN))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    flake = (root / "flake.nix").read_text()
    assert 'mkHome "bob" [ ./home/shared ];' in flake
    ann = flake[flake.index('"ann@a" = mkHome') : flake.index('"bob@b" = mkHome')]
    assert "./home/ann/a.nix" in ann
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.homes["ann@a"].packages
    assert after.homes["bob@b"] == before.homes["bob@b"]


@pytest.mark.nix
@pytest.mark.parametrize("package", [True, False], ids=["account-package", "command-only"])
@pytest.mark.parametrize("shape", sorted(EMPTY_GIVEN))
def test_a_standalone_list_that_reads_nothing_of_the_users_takes_the_new_home(
    shape: str, package: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `mkHome "ann" [ ]` (a helper given an empty list), or ann's own `modules = [ ]`,
    reads no file of ann's; her NixOS home migrate writes (`home/ann/...`) was read by her
    NixOS wiring only, and the invariants stopped migrate with an internal error (exit 4) on
    user input. The list that is hers alone (the empty one she is given, found through the
    helper's argument) takes what her NixOS home reads: the same home both ways (rule 13),
    bob's configuration as it was, conserved with the real nix, and a second run changes
    nothing."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = write(tmp_path / "repo", files(EMPTY_GIVEN[shape], package))
    before = extract_outputs_standins(root, STANDINS)
    code = main(["migrate", str(root)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "internal error" not in err
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    if package:
        assert "htop" in after.homes["ann@a"].packages
    if "bob@b" in before.homes:
        assert after.homes["bob@b"] == before.homes["bob@b"]
    flake_text = (root / "flake.nix").read_text()
    ann = flake_text[flake_text.index('"ann@a"') :]
    assert "./home/ann" in ann[: ann.index(";")] or "./home/ann" in ann[: ann.index("};")]
    done = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == done
    assert main(["check", str(root)]) == 0


def test_an_empty_list_two_configurations_share_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: one empty list bound by `let` and given to the helper for ann and bob is not
    ann's alone: her file there, bob would read too. Refused at the list (exit 3), nothing
    written."""
    text = (
        HELPER_GIVEN["flake.nix"]
        .replace('mkHome "ann" [ ./home/shared ]', 'mkHome "ann" none')
        .replace('mkHome "bob" [ ./home/shared ]', 'mkHome "bob" none')
    )
    text = text.replace("    in\n", "      none = [ ];\n    in\n", 1)
    root = write(tmp_path / "repo", files({"flake.nix": text}))
    before = tree_files(root)
    code = main(["migrate", str(root)])
    err = capsys.readouterr().err
    assert code == 3, err
    assert '`homeConfigurations."ann@a"`' in err and "internal error" not in err, err
    assert tree_files(root) == before


def test_configurations_a_helpers_list_leaves_are_said_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (jnsgruk/nixos-config, verbose): a helper's list that leaves several of its
    configurations without their per-host files gave one warning per configuration, each
    listing all the others again. One warning at the list names them all, with their files."""
    text = flake(
        '      homeConfigurations."ann@a" = mkHome "ann";\n'
        '      homeConfigurations."ann@b" = mkHome "ann";\n'
        '      homeConfigurations."bob@c" = mkHome "bob";\n',
        HELPER_LET,
    ).replace(
        "      };\n      homeConfigurations",
        "      };\n      nixosConfigurations.b = nixpkgs.lib.nixosSystem {\n"
        '        system = "x86_64-linux";\n        modules = [ ./hosts/b ];\n'
        "      };\n      homeConfigurations",
        1,
    )
    found = files({"flake.nix": text}, package=False)
    found["hosts/b/default.nix"] = found["hosts/a/default.nix"].replace('"a"', '"b"')
    root = write(tmp_path / "repo", found)
    assert main(["migrate", "--dry-run", str(root)]) == 0
    err = capsys.readouterr().err
    warnings = [
        line for line in err.splitlines() if "is left as it was" in line or "are left" in line
    ]
    assert len(warnings) == 1, err
    line = text[: text.index("[\n          ./home/shared")].count("\n") + 1
    assert f"flake.nix:{line}:" in warnings[0], err
    assert (
        '`homeConfigurations."ann@a"`, `homeConfigurations."ann@b"` are left as they were, '
        "without the files their NixOS homes read (`home/ann/a.nix`, `home/ann/b.nix`; "
        "no moved definition, what migrate adds): their module list in `flake.nix` builds "
        '`homeConfigurations."ann@a"`, `homeConfigurations."ann@b"`, `homeConfigurations."bob@c"` '
        "(a helper's list)"
    ) in warnings[0], err
