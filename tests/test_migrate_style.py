"""Issue 11, style: a comment travels only with the code it annotates, and code homeward inserts
into an existing file takes that file's indentation (docs/architecture.md, rule 6)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from homeward.cli import main
from tests.helpers import git, make_git_repo

FLAKE_WITH_INLINE_USER_MODULE = """{
  # The inputs: only nixpkgs.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  # The outputs: one machine.
  outputs = { self, nixpkgs, ... }@inputs: {
    # a note about the desk
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux"; # the only platform
      modules = [
        ./hosts/desk
        # kim's tools
        ({ pkgs, ... }: { users.users.kim.packages = [ pkgs.htop ]; })
      ];
    };
    # end of hosts
  };
}
"""


def migrate(tmp_path: Path, files: Mapping[str, str]) -> Path:
    root = tmp_path / "repo"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    make_git_repo(root)
    assert main(["migrate", str(root)]) == 0
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root), "--check"]) == 0
    return root


def test_an_emptied_inline_module_takes_only_its_own_comments(tmp_path: Path) -> None:
    """Why: an inline module of flake.nix whose every definition moved took every comment of
    flake.nix into the feature file (301 lines on a real configuration), and flake.nix kept
    them too. Only the comment above the module goes with it; the others stay where they are."""
    root = migrate(
        tmp_path,
        {
            "flake.nix": FLAKE_WITH_INLINE_USER_MODULE,
            "hosts/desk/default.nix": "{ ... }:\n{\n  users.users.kim.isNormalUser = true;\n}\n",
        },
    )
    feature = (root / "home/kim/features/cli.nix").read_text()
    assert "# kim's tools" in feature
    flake = (root / "flake.nix").read_text()
    assert "# kim's tools" not in flake
    for comment in (
        "# The inputs: only nixpkgs.",
        "# The outputs: one machine.",
        "# a note about the desk",
        "# the only platform",
        "# end of hosts",
    ):
        assert comment not in feature, f"`{comment}` was swept into the feature file"
        assert flake.count(comment) == 1, f"`{comment}` left flake.nix"
