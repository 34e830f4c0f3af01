"""Rule 10 for an opaque module in a configuration's own module list (or imports): the files it
might import (model/reach.py) stay byte-identical, what sits next to it migrates.

An opaque entry is read by a host homeward rewires, but not as homeward sees it: it may import a
file under a condition, for this host only, or in another context. A file it might import is
frozen for that host (the report says which entry); a file it cannot name (its neighbours in the
list, whose consumers are all known) still migrates.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, tree_files

FLAKE = """{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-25.05";
  outputs =
    { self, nixpkgs, ... }:
    {
      nixosConfigurations.a = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/a ];
      };
      nixosConfigurations.b = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/b
        ]
        ++ map (n: ./modules/extra + "/${n}.nix") (
          builtins.match "([a-z]+)\\n" (builtins.readFile ./modules/b.txt)
        );
      };
    };
}
"""


def host(name: str, imports: str) -> str:
    return f"""{{ pkgs, ... }}:
{{
  imports = [ {imports} ];
  networking.hostName = "{name}";
  system.stateVersion = "25.05";
  users.users.kim.packages = [ pkgs.tree ];
}}
"""


def files(flake: str = FLAKE) -> dict[str, str]:
    """Two hosts; `b` also reads, through a list homeward cannot compute, a module with a
    package of kim's that `a` imports by name."""
    return {
        "flake.nix": flake,
        "modules/users.nix": "{\n  users.users.kim.isNormalUser = true;\n}\n",
        "modules/extra/kim.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.htop ];\n}\n",
        "modules/b.txt": "kim\n",
        "hosts/a/default.nix": host("a", "../../modules/users.nix ../../modules/extra/kim.nix"),
        "hosts/b/default.nix": host("b", "../../modules/users.nix"),
    }


def write(root: Path, found: Mapping[str, str]) -> Path:
    for name, text in found.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_file_an_opaque_entry_may_import_is_frozen_for_that_host(tmp_path: Path) -> None:
    repo = load_repo(write(tmp_path / "repo", files()))
    kim = repo.modules["modules/extra/kim.nix"]
    assert kim.hosts == {"a"}
    assert set(kim.frozen) == {"b"}
    assert "flake.nix:15:12" in kim.frozen["b"]
    # Its neighbours are read by known hosts only: they migrate.
    assert not repo.modules["hosts/b/default.nix"].frozen
    assert not repo.modules["modules/users.nix"].frozen


def test_migrate_leaves_what_an_opaque_entry_may_import(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `modules/extra/kim.nix` was read by `a` by name and by `b` through a computed
    list; migrate moved its package to `a`'s home and deleted the file, which `b` still
    imports (its evaluation fails)."""
    root = make_git_repo(write(tmp_path / "repo", files()))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 0
    err = capsys.readouterr().err
    after = tree_files(root)
    assert after.get("modules/extra/kim.nix") == before["modules/extra/kim.nix"]
    assert "`modules/extra/kim.nix` is left as it is" in err
    assert b"pkgs.tree" not in after["hosts/b/default.nix"]
    assert b"pkgs.tree" in after["home/kim/b.nix"]


@pytest.mark.nix
def test_an_opaque_entry_keeps_its_meaning_by_the_real_nix(tmp_path: Path) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo", files()))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    assert "htop" in after.hosts["b"].users["kim"].packages
    assert main(["migrate", str(root)]) == 0


def test_an_interpolated_name_reaches_the_names_it_starts_with(tmp_path: Path) -> None:
    """`./hm-${kind}.nix` may be `hm-nixos.nix`, never `home.nix`: freezing the whole
    directory (the repository's root here) froze every file, and the host moved nothing."""
    from homeward.model.reach import reach_of
    from homeward.model.values import Unknown

    root = write(
        tmp_path / "repo",
        {
            **files(),
            "helpers.nix": "kind: { imports = [ ./hm-${kind}.nix ]; }\n",
            "hm-nixos.nix": "{ }\n",
            "home.nix": "{ }\n",
        },
    )
    repo = load_repo(root)
    source = repo.ev.files.source(root / "helpers.nix")
    node = source.root.descendant_for_byte_range(20, 21)
    while node is not None and node.type != "path_expression":
        node = node.parent
    assert node is not None
    reach = reach_of(repo.ev, Unknown("interpolated", node, source))
    assert not reach.everything
    assert reach.has_file("hm-nixos.nix")
    assert reach.has_file("hm-darwin.nix")  # not there yet: still a name it may take
    assert not reach.has_file("home.nix")
    assert not reach.has_file("hosts/a/default.nix")
