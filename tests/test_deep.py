"""Input nested as deep as nix accepts is read, checked and migrated (issue 10).

nix's parser gives up near 10,000 parser states (about 2,500 nested attribute sets, 5,000 nested
lists), but a chain of left- or right-associative operators (`a + b + …`, `a ++ b ++ …`,
`a // b // …`) or tail forms (`let … in let … in …`) of any length is fine, and tree-sitter's
tree is as deep as the chain is long. The walks that see such input keep an explicit stack, so
they need no raised recursion limit: these tests run at 1,000 frames, Python's default.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from homeward import cli
from tests.conftest import EXAMPLE
from tests.helpers import copy_tree, make_git_repo

HAM = (EXAMPLE / "home" / "ham.nix").read_text()
FLAKE = (EXAMPLE / "flake.nix").read_text()
HOST = (EXAMPLE / "hosts" / "nixos-desk" / "default.nix").read_text()
MODULES = "modules = [ ./hosts/nixos-desk ];"
REBASE = "pull.rebase = true;"


def _sets(n: int) -> str:
    return "{ a = " * n + "1;" + " };" * (n - 1) + " }"


def _ham(old: str, new: str) -> Callable[[Path], None]:
    def edit(work: Path) -> None:
        assert old in HAM
        (work / "home" / "ham.nix").write_text(HAM.replace(old, new, 1))

    return edit


def _flake(old: str, new: str) -> Callable[[Path], None]:
    def edit(work: Path) -> None:
        assert old in FLAKE
        (work / "flake.nix").write_text(FLAKE.replace(old, new, 1))

    return edit


def _host(old: str, new: str) -> Callable[[Path], None]:
    def edit(work: Path) -> None:
        assert old in HOST
        (work / "hosts" / "nixos-desk" / "default.nix").write_text(HOST.replace(old, new, 1))

    return edit


def _chain_an_unknown_output_reads(n: int) -> Callable[[Path], None]:
    """An output homeward cannot compute (a function of an input) reading the last of `n`
    let-bound names, each a list of the one before: the syntax is flat, but what the unknown
    part might read (model/reach.py) is a chain of `n` values, each naming the next."""

    def edit(work: Path) -> None:
        old_input = 'nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";'
        old_outputs = "    {\n      nixosConfigurations.nixos-desk"
        assert old_input in FLAKE and old_outputs in FLAKE
        steps = "".join(f"      step{i} = [ step{i - 1} ];\n" for i in range(1, n + 1))
        text = FLAKE.replace(
            old_input, f'{old_input}\n    helpers.url = "github:kim/helpers";', 1
        ).replace(
            old_outputs,
            f'    let\n      step0 = "end";\n{steps}    in\n'
            f"    inputs.helpers.lib.merge step{n}\n    // {{\n      nixosConfigurations.nixos-desk",
            1,
        )
        (work / "flake.nix").write_text(text)

    return edit


# Each nests about 1,500 levels or more in the syntax tree, and nix-instantiate accepts it.
CASES: dict[str, Callable[[Path], None]] = {
    # a user setting that moves to home-manager, nested as deep as nix's parser allows
    "2400-nested-sets-in-git-config": _ham(REBASE, f"{REBASE}\n      x = {_sets(2400)};"),
    "4900-nested-lists": _ham(
        'environment.variables.EDITOR = "nvim";',
        "environment.variables.X = " + "[ " * 4900 + "1" + " ]" * 4900 + ";",
    ),
    "20000-term-sum": _ham(REBASE, f"{REBASE}\n      x = " + " + ".join(['"a"'] * 20000) + ";"),
    "1500-concatenated-package-lists": _ham(
        "users.users.ham.packages = with pkgs; [",
        "users.users.ham.packages = " + "[ ] ++ " * 1500 + "(with pkgs; [",
    ),
    "1500-nested-mkIf": _ham(
        "{ pkgs, ... }:\n{\n  programs.git = {",
        "{ pkgs, lib, ... }:\n{\n  programs.git = " + "lib.mkIf true (" * 1500 + "{",
    ),
    "1500-updates-of-the-hosts": _flake(
        "nixosConfigurations.nixos-desk = nixpkgs.lib.nixosSystem {",
        "nixosConfigurations = " + "{ } // " * 1500 + "{ nixos-desk = nixpkgs.lib.nixosSystem {",
    ),
    "1500-concatenated-module-lists": _flake(
        MODULES, "modules = " + "[ ] ++ " * 1500 + "[ ./hosts/nixos-desk ];"
    ),
    "1500-lets-around-a-host": _flake(
        "= nixpkgs.lib.nixosSystem {", "= " + "let a = 1; in " * 1500 + "nixpkgs.lib.nixosSystem {"
    ),
    "1500-nested-ifs-in-a-host": _flake(
        MODULES,
        "modules = " + "if true then " * 1500 + "[ ./hosts/nixos-desk ]" + " else [ ]" * 1500 + ";",
    ),
    "1500-concatenated-imports": _host("imports = [", "imports = " + "[ ] ++ " * 1500 + "["),
    # not nested in the syntax: 1,500 names, each bound to a list of the one before
    "1500-chained-names-an-unknown-output-reads": _chain_an_unknown_output_reads(1500),
}
CLOSERS = {
    "1500-concatenated-package-lists": ("    slack\n  ];", "    slack\n  ]);", "home/ham.nix"),
    "1500-nested-mkIf": ("    };\n  };\n", "    };\n  }" + ")" * 1500 + ";\n", "home/ham.nix"),
    "1500-updates-of-the-hosts": ("      };\n    };\n}", "      }; };\n    };\n}", "flake.nix"),
}


def deep_repo(case: str, where: Path) -> Path:
    work = copy_tree(EXAMPLE, where / "repo")
    CASES[case](work)
    if case in CLOSERS:
        old, new, rel = CLOSERS[case]
        text = (work / rel).read_text()
        assert old in text
        (work / rel).write_text(text.replace(old, new, 1))
    return make_git_repo(work)


@pytest.fixture
def default_stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Python's default recursion limit, and main() may not raise it."""
    monkeypatch.setattr(cli, "RECURSION_LIMIT", 1000)
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.usefixtures("default_stack")
def test_deep_input_is_read_and_migrated_without_a_deep_stack(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the walks recursed, a frame or more per level, and only a recursion limit of 10,000
    kept such input from ending as "nests too deeply" (exit 3) although nix accepts it."""
    work = deep_repo(case, tmp_path)
    for args in (("check",), ("migrate",), ("check",)):
        code = cli.main([*args, str(work)])
        err = capsys.readouterr().err
        assert "too deeply" not in err and "internal error" not in err, (args, err)
        assert code in (0, 1), (args, code, err)
    assert (work / "home" / "ham" / "default.nix").is_file()


@pytest.mark.nix
@pytest.mark.parametrize("case", sorted(CASES))
def test_nix_accepts_the_deep_input(case: str, tmp_path: Path) -> None:
    """Why: the cases above are only a promise where nix itself parses them."""
    work = deep_repo(case, tmp_path)
    nix = shutil.which("nix-instantiate")
    assert nix is not None
    for rel in ("flake.nix", "home/ham.nix", "hosts/nixos-desk/default.nix"):
        p = subprocess.run(
            [nix, "--parse", str(work / rel)], capture_output=True, text=True, check=False
        )
        assert p.returncode == 0, f"{rel}: {p.stderr[-300:]}"
