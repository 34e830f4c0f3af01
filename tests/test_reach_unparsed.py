"""What an output homeward cannot compute reaches through a file that does not parse (rule 10).

A host is built in a file of its own (`import ./hosts/b.nix { inherit nixpkgs; }`) written
with Nix's pipe operator `|>`, which homeward's parser does not know: the output is unknown.
The walk of what it might read took that file for one that names nothing: the file it lists,
which a known host imports too, was not frozen, and migrate moved the user's packages out of
it, from under the output it cannot see. The file is read as far as it parses, as a flake-parts module
that does not parse is (`model/frameworks.py`, `UnreadModule`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, migrate_keeps_bytes, write

TREE = {
    "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { nixpkgs, ... }:
    {
      nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a.nix ]; };
      nixosConfigurations.b = import ./hosts/b.nix { inherit nixpkgs; };
    };
}
""",
    "hosts/a.nix": '{\n  imports = [ ../x.nix ];\n  networking.hostName = "a";\n}\n',
    "hosts/b.nix": """{ nixpkgs }:
nixpkgs.lib.nixosSystem {
  modules = [
    ../x.nix
    { networking.hostName = [ "b" ] |> builtins.head; }
  ];
}
""",
    "x.nix": """{ pkgs, ... }:
{
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.htop ];
  system.stateVersion = "25.05";
}
""",
}


def test_a_file_an_unknown_output_reaches_through_an_unparsed_file_stays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: `x.nix` is listed by `b`, which homeward cannot read, in `hosts/b.nix`, which
    does not parse: kim's packages were moved out of it, so `b` lost them. The warning says
    which output may read it, and why homeward cannot read that output."""
    root = make_git_repo(write(tmp_path / "repo", TREE))
    repo = load_repo(root)
    assert list(repo.modules["x.nix"].frozen) == ["`nixosConfigurations.b`"]
    monkeypatch.chdir(root)
    _out, err = migrate_keeps_bytes(root, capsys)
    assert (
        "warning: `x.nix` is left as it is: `nixosConfigurations.b`, which homeward cannot read, "
        "may import it: `hosts/b.nix` cannot be read: syntax error: `|>`: the pipe operator"
    ) in err


def test_a_file_the_unparsed_file_does_not_name_still_migrates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Precision: read as far as it parses, `hosts/b.nix` names `x.nix` and nothing else:
    what only `a` imports still migrates."""
    tree = dict(TREE)
    tree["hosts/a.nix"] = tree["hosts/a.nix"].replace("../x.nix", "../x.nix ./kim.nix")
    tree["hosts/kim.nix"] = "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n"
    root = make_git_repo(write(tmp_path / "repo", tree))
    repo = load_repo(root)
    assert list(repo.modules["x.nix"].frozen) == ["`nixosConfigurations.b`"]
    assert not repo.modules["hosts/kim.nix"].frozen


@pytest.mark.parametrize(
    ("b", "consumer", "why"),
    [
        (
            'nixpkgs.lib.nixosSystem { system = "x86_64-linux"; modules = [ ./hosts/b.nix ]; }',
            "b",
            "host `b` is skipped",
        ),
        (
            "other.lib.mkHost { modules = [ ./hosts/b.nix ]; }",
            "nixosConfigurations.b",
            "built by `other.lib.mkHost`",
        ),
    ],
    ids=["skipped-host", "unknown-builder"],
)
def test_a_file_a_consumer_imports_through_an_unparsed_module_stays(
    b: str,
    consumer: str,
    why: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why: the same through the import graph. `b` (a host, skipped because a module it
    imports does not parse; or one built by a function of an input, whose modules are read
    and frozen) imports `hosts/b.nix`, which imports `x.nix`: `b`'s files were frozen, but
    not what the unparsed module imports, so kim's packages moved out of `x.nix` for `a`."""
    tree = dict(TREE)
    tree["flake.nix"] = (
        TREE["flake.nix"]
        .replace("{ nixpkgs, ... }", "{ nixpkgs, other, ... }")
        .replace("import ./hosts/b.nix { inherit nixpkgs; }", b)
    )
    tree["hosts/b.nix"] = (
        '{ lib, ... }:\n{\n  imports = [ ../x.nix ];\n  networking.hostName = [ "b" ] |> lib.head;\n}\n'
    )
    root = make_git_repo(write(tmp_path / "repo", tree))
    repo = load_repo(root)
    frozen = repo.modules["x.nix"].frozen
    assert list(frozen) == [consumer]
    assert frozen[consumer].startswith(
        f"`{consumer}` imports `hosts/b.nix`, which may import it and which homeward cannot "
        "read (hosts/b.nix:4:33): syntax error: `|>`: the pipe operator"
    )
    monkeypatch.chdir(root)
    _out, err = migrate_keeps_bytes(root, capsys)
    assert why in err
    assert "warning: `x.nix` is left as it is: " in err
