"""Rule 12 (docs/architecture.md): the boundary is the git work tree, not the flake's directory.

Nix copies the whole repository, so a flake in `nixos/` that imports `../modules` reads it:
homeward reads that module, and may edit it. Outside git the flake's directory is the boundary:
there, `../modules` is an opaque module, left byte-identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.index import build_index
from homeward.model.repo import ProblemKind, load_repo
from tests.helpers import git, make_git_repo, tree_files

FILES = {
    "nixos/flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./hosts/desk
        ../modules/users.nix
      ];
    };
  };
}
""",
    "nixos/hosts/desk/default.nix": """{ pkgs, ... }:
{
  networking.hostName = "desk";
  system.stateVersion = "25.05";
  users.users.kim.packages = [ pkgs.jq ];
}
""",
    "modules/users.nix": """{ pkgs, ... }:
{
  # kim's account, on every machine
  users.users.kim = {
    isNormalUser = true;
    packages = [ pkgs.htop ];
  };
}
""",
}


def write(root: Path) -> Path:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_a_module_beside_the_flake_in_the_work_tree_is_read(tmp_path: Path) -> None:
    root = make_git_repo(write(tmp_path / "repo"))
    repo = load_repo(root / "nixos")
    assert "../modules/users.nix" in repo.modules
    assert "kim" in build_index(repo).users
    assert not [p for p in repo.problems if p.kind is ProblemKind.OUTSIDE]


@pytest.mark.nix
def test_a_flake_in_a_subdirectory_importing_modules_beside_it_migrates_conserved(
    tmp_path: Path,
) -> None:
    """Why (issue 11): with the flake's directory as the boundary, `../modules/users.nix` was
    opaque and kim's packages there never moved; Nix copies the whole repository, so it is
    part of the configuration."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo"))
    before = extract_outputs_standins(root / "nixos", STANDINS)
    assert main(["migrate", str(root / "nixos")]) == 0
    users = (root / "modules/users.nix").read_text()
    assert "htop" not in users and "# kim's account, on every machine" in users
    assert "pkgs.htop" in (root / "nixos/home/kim/features/cli.nix").read_text()
    assert not (root / "home").exists(), "new files go beside the flake, not the work tree's top"
    assert_conserved(before, extract_outputs_standins(root / "nixos", STANDINS))
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root / "nixos"), "--check"]) == 0


def test_outside_git_the_flake_directory_is_the_boundary(tmp_path: Path) -> None:
    root = write(tmp_path / "plain")
    repo = load_repo(root / "nixos")
    assert "../modules/users.nix" not in repo.modules
    assert [p for p in repo.problems if p.kind is ProblemKind.OUTSIDE]
    before = tree_files(root)
    assert main(["migrate", str(root / "nixos"), "--no-git"]) == 0
    after = tree_files(root)
    assert after["modules/users.nix"] == before["modules/users.nix"]
    assert b"pkgs.jq" not in after["nixos/hosts/desk/default.nix"]


def test_a_symlink_leading_out_of_the_work_tree_is_opaque(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "hardware.nix"
    outside.parent.mkdir()
    outside.write_text("{ users.users.kim.packages = [ ]; }\n")
    root = write(tmp_path / "repo")
    (root / "nixos/hosts/desk/hardware.nix").symlink_to(outside)
    host = root / "nixos/hosts/desk/default.nix"
    host.write_text(host.read_text().replace("{\n", "{\n  imports = [ ./hardware.nix ];\n", 1))
    make_git_repo(root)
    repo = load_repo(root / "nixos")
    assert not any("elsewhere" in key for key in repo.modules)
    assert [p for p in repo.problems if p.kind is ProblemKind.OUTSIDE]
