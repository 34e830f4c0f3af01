"""Issue 11, style: a comment travels only with the code it annotates, and code homeward inserts
into an existing file takes that file's indentation (docs/architecture.md, rule 6)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

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


def flake_indented(unit: str) -> str:
    """A flake indented with `unit` (a tab, or four spaces), with specialArgs to copy."""
    lines = [
        "{",
        '|inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";',
        "|outputs = { self, nixpkgs, ... }@inputs: {",
        "||nixosConfigurations.desk = nixpkgs.lib.nixosSystem {",
        '|||system = "x86_64-linux";',
        "|||specialArgs = {",
        "||||inherit inputs;",
        '||||hostname = "desk";',
        "|||};",
        "|||modules = [",
        "||||./hosts/desk",
        "|||];",
        "||};",
        "|};",
        "}",
    ]
    return "".join(line.replace("|", unit) + "\n" for line in lines)


def leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


@pytest.mark.parametrize("unit", ["\t", "    "], ids=["tabs", "four-spaces"])
def test_code_inserted_into_flake_nix_takes_its_indentation(tmp_path: Path, unit: str) -> None:
    """Why (issue 11, style; rule 6): in a tab-indented flake the wiring came with two-space
    indentation after the tabs, and the copied `specialArgs` block kept its old absolute
    indentation under the new line (`\\t\\t\\t\\t  \\t\\t\\t\\tinherit inputs;`)."""
    root = migrate(
        tmp_path,
        {
            "flake.nix": flake_indented(unit),
            "hosts/desk/default.nix": "{ pkgs, ... }:\n{\n"
            f"{unit}users.users.kim.isNormalUser = true;\n"
            f"{unit}users.users.kim.packages = [ pkgs.htop ];\n}}\n",
        },
    )
    lines = (root / "flake.nix").read_text().splitlines()
    for line in lines:
        indent = leading(line)
        assert indent == unit * (len(indent) // len(unit)), f"mixed indentation: {line!r}"
    copies = 0
    for i, line in enumerate(lines):
        if line.strip() in ("home-manager.extraSpecialArgs = {", "extraSpecialArgs = {"):
            copies += 1
            assert leading(lines[i + 1]) == leading(line) + unit, lines[i : i + 4]
            assert lines[i + 1].strip() == "inherit inputs;"
            assert leading(lines[i + 3]) == leading(line) and lines[i + 3].strip() == "};"
    assert copies == 2, "extraSpecialArgs is written for the NixOS module and the standalone home"


def test_a_condition_over_several_lines_carried_with_a_moved_list_is_laid_out_as_a_call(
    tmp_path: Path,
) -> None:
    """Why: the `lib.mkIf` around a moved package list is built on syntax/emit (issue 9); a
    condition written over several lines puts each argument on a line of its own, where the
    text built by hand left the condition's second line at the first's indentation."""
    from tests.conftest import FIXTURES
    from tests.helpers import copy_tree

    root = copy_tree(FIXTURES / "migrate" / "two-users" / "before", tmp_path / "repo")
    eve = root / "home" / "eve.nix"
    eve.write_text(
        eve.read_text()
        .replace("{ pkgs, ... }:", "{ pkgs, lib, config, ... }:")
        .replace(
            "  users.users.eve.packages = [ pkgs.gimp ];",
            '  config = lib.mkIf (config.networking.hostName == "desk"\n'
            '    || config.networking.hostName == "lap") {\n'
            "    users.users.eve.packages = [ pkgs.gimp ];\n"
            "  };",
        )
    )
    make_git_repo(root)
    assert main(["migrate", str(root)]) == 0
    written = "\n".join(p.read_text() for p in sorted((root / "home").rglob("*.nix")))
    assert (
        "    (lib.mkIf\n"
        '      (osConfig.networking.hostName == "desk"\n'
        '      || osConfig.networking.hostName == "lap")\n'
        "      [ pkgs.gimp ])\n"
    ) in written
