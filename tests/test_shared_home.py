"""One home file wired for several users (`home-manager.users.ann.imports = [ ./home/common.nix ];`
and the same for bob): it is no user's own entry point. What migrate adds for one user (their
feature files, `home.username` for a standalone configuration) would reach the others through
it, so it goes to a file of each user's host read beside it, and the shared file stays.
Written as `home-manager.users.ann = import ./home/common.nix;`, nothing can be added beside
it in the same file (Nix merges no binding into a value that is not a set written out): another
file of that host alone takes the per-host files' binding (the module system merges the two
definitions); with none, it is written as the module list it is (`….imports = [
../../home/common.nix ../../home/ann/a.nix ];`) where that is the same module: a bare `import`
of a file, or its path. Otherwise migrate refuses, saying how to write it, and writes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake, home_entry, make_git_repo, nixos_entry, tree_files

FLAKE = hm_flake(
    nixos_entry("a", "./hosts/a home-manager.nixosModules.home-manager"),
)

HOST = """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
  users.users.bob.isNormalUser = true;
  users.users.bob.packages = [ pkgs.acpi ];
  home-manager.users.ann.imports = [ ../../home/common.nix ];
  home-manager.users.bob.imports = [ ../../home/common.nix ];
}
"""

WHOLE = HOST.replace(".imports = [ ../../home/common.nix ]", " = import ../../home/common.nix")

WITH_IMPORTS = """{ pkgs, ... }:
{
  imports = [ ./git.nix ];
  home.packages = [ pkgs.jq ];
}
"""

PLAIN = """{ pkgs, ... }:
{
  home.packages = [ pkgs.jq ];
}
"""


def files(common: str, host: str = HOST) -> dict[str, str]:
    return {
        "flake.nix": FLAKE,
        "hosts/a/default.nix": host,
        "home/common.nix": common,
        "home/git.nix": "{ ... }:\n{\n  programs.git.enable = true;\n}\n",
    }


def write(root: Path, found: Mapping[str, str]) -> Path:
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


@pytest.mark.parametrize("common", [WITH_IMPORTS, PLAIN], ids=["imports", "no-imports"])
def test_a_home_shared_by_users_stays_and_each_gets_their_own(
    common: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: each user's pass edited the shared file, twice at the same place: an internal
    error ("edits overlap in home/common.nix"), or, with no imports list, `lib` added to
    its arguments twice (invalid Nix caught by the validation); then each user's per-host
    file was wired with a second `home-manager.users.<u>.imports` beside the first."""
    root = make_git_repo(write(tmp_path / "repo", files(common)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/common.nix"] == before["home/common.nix"]
    for user, package in (("ann", "htop"), ("bob", "acpi")):
        beside = after[f"home/{user}/a.nix"].decode()
        assert "./features/cli.nix" in beside
        assert f'"{user}"' in beside
        features = b"".join(v for k, v in after.items() if k.startswith(f"home/{user}/features/"))
        assert f"pkgs.{package}".encode() in features
    ann = b"".join(v for k, v in after.items() if k.startswith("home/ann/"))
    assert b"pkgs.acpi" not in ann
    host = after["hosts/a/default.nix"].decode()
    assert host.count("home-manager.users.ann.imports") == 1
    assert "../../home/ann/a.nix" in host
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


# `home-manager.users.ann = import ../../home/common.nix;` is the module the file holds, as
# `….imports = [ ../../home/common.nix ];` is (home-manager's manual writes it as the path,
# `home-manager.users.jdoe = ./home.nix;`): written so, the per-host file joins the list.
# With comments around it, which stay.
COMMENTED = WHOLE.replace(
    "  home-manager.users.ann = import ../../home/common.nix;\n",
    "  # ann's home: the one bob has too\n"
    "  home-manager.users.ann = import ../../home/common.nix; # shared\n",
)

REWRITTEN = """  # ann's home: the one bob has too
  home-manager.users.ann.imports = [
    ../../home/common.nix
    ../../home/ann/a.nix
  ]; # shared
  home-manager.users.bob.imports = [
    ../../home/common.nix
    ../../home/bob/a.nix
  ];
}
"""


def _whole_refused(value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """migrate on ann's home set as a whole to `value` in `hosts/a/default.nix`: refused
    (exit 3) at its line, nothing written; what it said."""
    host = WHOLE.replace("{ pkgs, ... }:", "{ lib, pkgs, ... }:").replace(
        "ann = import ../../home/common.nix", f"ann = {value}"
    )
    root = make_git_repo(write(tmp_path / "repo", files(WITH_IMPORTS, host)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 3
    assert tree_files(root) == before
    err = capsys.readouterr().err
    assert "hosts/a/default.nix:9:" in err
    return err


@pytest.mark.parametrize(
    "value",
    [
        "import ../../home/common.nix",
        "../../home/common.nix",
        "(import ../../home/common.nix)",
        "( (../../home/common.nix) )",
    ],
    ids=["import", "path", "parenthesized", "parenthesized-path"],
)
def test_a_home_set_as_a_whole_is_written_as_the_module_list_it_is(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate refused `home-manager.users.<u> = import ./home.nix;` in a host's only
    file (no binding can go beside it), though the same module as a list element takes the
    per-host file beside it: `import ./home.nix` is the value the module system reads from
    the path `./home.nix` (only its key differs: the path, which deduplicates a file imported
    twice)."""
    host = COMMENTED.replace("import ../../home/common.nix", value)
    root = make_git_repo(write(tmp_path / "repo", files(WITH_IMPORTS, host)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/common.nix"] == before["home/common.nix"]
    text = after["hosts/a/default.nix"].decode()
    assert text.endswith(REWRITTEN), text
    for user, package in (("ann", "htop"), ("bob", "acpi")):
        features = b"".join(v for k, v in after.items() if k.startswith(f"home/{user}/features/"))
        assert f"pkgs.{package}".encode() in features
    assert main(["check", str(root)]) == 0
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


@pytest.mark.parametrize(
    "value",
    [
        "import ../../home/common.nix { inherit pkgs; }",
        "lib.mkMerge [ (import ../../home/common.nix) ]",
        "( /* a comment */ import ../../home/common.nix)",
    ],
    ids=["applied", "merge", "commented-parentheses"],
)
def test_a_home_set_as_a_whole_that_is_more_than_a_file_is_refused_with_how_to_write_it(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: only a bare `import` of a file (or the path) is the same module as a list
    element; `import ./home.nix { … }` is what the function returns for those arguments,
    `mkMerge` is more than the file (parentheses holding a comment: the rewrite, which
    drops them, would drop it)."""
    err = _whole_refused(value, tmp_path, capsys)
    assert "`ann`'s home on `a` is set as a whole in `hosts/a/default.nix`" in err
    assert "not a bare `import` of a file" in err
    assert "internal error" not in err
    assert "write it as `home-manager.users.ann.imports = [ … ];`" in err


def test_a_home_set_as_a_whole_that_is_imported_by_path_too_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the module system reads a file imported by path once (its key is the path), and
    `import ./home.nix` apart from it; written as a path in the list, a file some module
    imports by path too would be read once where it was read twice."""
    found = files(WITH_IMPORTS, WHOLE)
    found["home/git.nix"] = "{ ... }:\n{\n  imports = [ ./common.nix ];\n}\n"
    root = make_git_repo(write(tmp_path / "repo", found))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    assert "`../../home/common.nix` is imported by path elsewhere too" in err
    assert tree_files(root) == before


@pytest.mark.parametrize(
    "value",
    [
        "lib.mkForce (import ../../home/common.nix)",
        "lib.mkOverride 50 (import ../../home/common.nix)",
        "lib.mkDefault (import ../../home/common.nix)",
        "lib.mkForce { imports = [ ../../home/common.nix ]; }",
    ],
    ids=["force", "override", "default", "force-set"],
)
def test_a_home_set_as_a_whole_with_a_priority_is_refused(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the module system keeps only the definitions of `home-manager.users.ann` with
    the highest priority. Beside `lib.mkForce (import …)`, the home migrate wired for ann
    (her packages) was dropped: she lost `htop`, and migrate said nothing. Beside
    `lib.mkDefault (…)` it is hers that would be dropped."""
    err = _whole_refused(value, tmp_path, capsys)
    assert "`ann`'s home on `a` is set with a priority" in err
    assert "internal error" not in err


# The host's own default.nix sets the homes as a whole; a second file only that host imports
# can take the per-host files' binding.
WHOLE_AND_OWN = WHOLE.replace("{\n  networking", "{\n  imports = [ ./hardware.nix ];\n  networking")
HARDWARE = "{ ... }:\n{\n  boot.loader.grub.enable = false;\n}\n"


def whole_and_own(common: str) -> dict[str, str]:
    return {**files(common, WHOLE_AND_OWN), "hosts/a/hardware.nix": HARDWARE}


def test_a_home_set_as_a_whole_is_left_and_another_file_of_the_host_wires_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: only the host file homeward picks (`hosts/a/default.nix`) was looked at; its
    `home-manager.users.ann = import …;` can take no binding beside it, so migrate refused,
    though `hosts/a/hardware.nix`, a module of that host alone, could take it (the module
    system merges the two definitions of `home-manager.users.ann`, written in two files)."""
    root = make_git_repo(write(tmp_path / "repo", whole_and_own(WITH_IMPORTS)))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/common.nix"] == before["home/common.nix"]
    host = after["hosts/a/default.nix"].decode()
    assert "home-manager.users.ann = import ../../home/common.nix;" in host
    assert "home/ann/a.nix" not in host
    hardware = after["hosts/a/hardware.nix"].decode()
    assert hardware.startswith(HARDWARE.removesuffix("}\n"))
    assert "home-manager.users.ann.imports = [ ../../home/ann/a.nix ];" in hardware
    assert "home-manager.users.bob.imports = [ ../../home/bob/a.nix ];" in hardware
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


@pytest.mark.nix
@pytest.mark.parametrize("common", [WITH_IMPORTS, PLAIN], ids=["imports", "no-imports"])
def test_a_home_shared_by_users_is_conserved_by_the_real_nix(common: str, tmp_path: Path) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo", files(common)))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.hosts["a"].users["ann"].packages
    assert "htop" not in after.hosts["a"].users["bob"].packages
    assert main(["check", str(root)]) == 0


@pytest.mark.nix
def test_a_home_set_as_a_whole_with_its_files_beside_it_is_conserved_by_the_real_nix(
    tmp_path: Path,
) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo", whole_and_own(WITH_IMPORTS)))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    for user, mine, theirs in (("ann", "htop", "acpi"), ("bob", "acpi", "htop")):
        assert mine in after.hosts["a"].users[user].packages
        assert theirs not in after.hosts["a"].users[user].packages
        assert "jq" in after.hosts["a"].users[user].home_packages  # home/common.nix
    assert main(["check", str(root)]) == 0


@pytest.mark.nix
def test_a_home_set_as_a_whole_and_its_module_list_are_the_same_to_the_real_nix(
    tmp_path: Path,
) -> None:
    """Why: the rewrite must not change what anyone gets. Evaluated with the stand-ins,
    `home-manager.users.ann = import ./home/common.nix;` and `….imports = [ … ];` give each
    user the same packages and settings before migrate, and the same after it; migrate
    conserves them (each user keeps theirs and gains no other user's)."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    whole = make_git_repo(write(tmp_path / "whole", files(WITH_IMPORTS, COMMENTED)))
    listed = make_git_repo(write(tmp_path / "list", files(WITH_IMPORTS)))
    before = extract_outputs_standins(whole, STANDINS)
    assert before.hosts == extract_outputs_standins(listed, STANDINS).hosts
    assert main(["migrate", str(whole)]) == 0
    assert main(["migrate", str(listed)]) == 0
    after = extract_outputs_standins(whole, STANDINS)
    assert_conserved(before, after)
    assert after.hosts == extract_outputs_standins(listed, STANDINS).hosts
    for user, mine, theirs in (("ann", "htop", "acpi"), ("bob", "acpi", "htop")):
        assert mine in after.hosts["a"].users[user].packages
        assert theirs not in after.hosts["a"].users[user].packages
        assert "jq" in after.hosts["a"].users[user].home_packages  # home/common.nix


STANDALONE = hm_flake(
    nixos_entry("a", "./hosts/a"),
    home_entry('"ann@a"', "./home/shared ./home/ann"),
    home_entry('"bob@b"', "./home/shared"),
)


def test_a_first_module_of_two_users_standalone_configurations_gets_no_ones_features(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: ann's feature files were imported from `home/shared` (her entry point, as the
    first module of her configuration), which bob's configuration reads too: bob got ann's
    packages, and nothing said so (seen on two public configurations)."""
    found = {
        "flake.nix": STANDALONE,
        "hosts/a/default.nix": """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
}
""",
        "home/shared/default.nix": PLAIN,
        "home/ann/default.nix": "{ ... }:\n{\n  programs.git.enable = true;\n}\n",
    }
    root = make_git_repo(write(tmp_path / "repo", found))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/shared/default.nix"] == before["home/shared/default.nix"]
    flake = after["flake.nix"].decode()
    bob = flake[flake.index('"bob@b"') :]
    assert "modules = [ ./home/shared ];" in bob
    features = b"".join(v for k, v in after.items() if k.startswith("home/ann/features/"))
    assert b"pkgs.htop" in features
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after


@pytest.mark.parametrize(
    "host", [HOST, WHOLE, WHOLE_AND_OWN], ids=["list", "whole", "whole-and-own"]
)
def test_what_check_reads_of_the_wiring_is_where_migrate_writes_it(
    host: str, tmp_path: Path
) -> None:
    """Why: `check` reads where migrate's wiring writes (`wire_places`, commands/fixable.py),
    not its text; a per-host file joining `home-manager.users.<u>.imports` was placed where
    a new binding would have gone, not in the list it joins."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.state import MigrateOptions, PlanState
    from tests.test_wire import assert_places

    found = {**files(WITH_IMPORTS, host), "hosts/a/hardware.nix": HARDWARE}
    root = write(tmp_path / "repo", found)
    assert_places(PlanState(build_index(load_repo(root)), MigrateOptions()))


@pytest.mark.parametrize(
    ("indent", "unit"), [("  ", "  "), ("\t", "\t"), ("    ", "    ")], ids=["two", "tab", "four"]
)
def test_an_expression_made_a_list_takes_the_files_indentation(indent: str, unit: str) -> None:
    """Why (DESIGN, rule 6): code inserted into a file follows its style; the list a home set
    as a whole becomes is indented in the file's unit, a comment before the path kept."""
    from homeward.apply.spans import apply_edits
    from homeward.plan.types import Edit
    from homeward.syntax.edit import into_list

    text = f"{{\n{indent}x = import /* c */ ./a.nix; # d\n}}\n".encode()
    start = text.index(b"import")
    opening = (start, start + len(b"import "))
    end = text.index(b"; # d")
    spans = into_list(text, start, opening, end, ["./b.nix"])
    out = apply_edits(
        text, [Edit(Path("f.nix"), s.start_byte, s.end_byte, s.new, "") for s in spans]
    )
    inner = indent + unit
    expected = f"{{\n{indent}x = [\n{inner}/* c */ ./a.nix\n{inner}./b.nix\n{indent}]; # d\n}}\n"
    assert out.decode() == expected


ONLY_SHARED = {
    "flake.nix": STANDALONE.replace("[ ./home/shared ./home/ann ]", "[ ./home/shared ]"),
    "hosts/a/default.nix": """{ pkgs, ... }:
{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.htop ];
}
""",
    "home/shared/default.nix": PLAIN.replace("jq ];", 'jq ];\n  home.stateVersion = "25.05";'),
}


@pytest.mark.nix
def test_a_users_standalone_configuration_from_a_shared_home_reads_her_file_beside_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (found by the invariants' gains check): ann's and bob's standalone configurations
    list only `home/shared`, which stays; ann's account packages went to `home/ann/a.nix`
    beside it, which the new NixOS wiring read but her existing `homeConfigurations."ann@a"`
    did not: migrate stopped with an internal error (exit 4). Her list now reads it too."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo", ONLY_SHARED))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    written = tree_files(root)
    assert written["home/shared/default.nix"] == ONLY_SHARED["home/shared/default.nix"].encode()
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.homes["ann@a"].packages
    assert set(after.homes["bob@b"].packages) == set(before.homes["bob@b"].packages)
    assert main(["check", str(root)]) == 0
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == written


def test_what_check_reads_of_a_standalone_list_is_where_migrate_writes_it(
    tmp_path: Path,
) -> None:
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.state import MigrateOptions, PlanState
    from tests.test_wire import assert_places

    root = write(tmp_path / "repo", ONLY_SHARED)
    assert_places(PlanState(build_index(load_repo(root)), MigrateOptions()))
