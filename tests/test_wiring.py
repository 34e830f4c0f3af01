"""Wiring home-manager where a host's module list is written (issue 11, "helpers in other
files"; corpus classes 4, 8 and 9): in any file of the repository, with the input named in that
file's scope; a host that cannot be wired is skipped and named, never the whole run.

The golden cases `helper-file`, `helper-file-formal`, `helper-file-skip` and
`special-args-from-helper` (tests/fixtures/migrate) hold the before/after trees; conservation
with the real nix and idempotence run on them with every golden case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from tests.conftest import FIXTURES
from tests.helpers import copy_tree, git, hm_flake_lines, make_git_repo, tree_files, write

CASES = FIXTURES / "migrate"


def migrate(work: Path, capsys: pytest.CaptureFixture[str]) -> str:
    """`homeward migrate` (exit 0), committed; what it said on stderr."""
    make_git_repo(work)
    assert main(["migrate", str(work)]) == 0
    err = capsys.readouterr().err
    git(work, "add", "-A")
    git(work, "commit", "-qm", "migrated")
    return err


@pytest.mark.parametrize("case", ["helper-file", "helper-file-formal", "special-args-from-helper"])
def test_check_passes_after_wiring_in_another_file(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the wiring written in a helper's file must be seen by `check` like wiring in
    flake.nix (no HW005 "wired but no homeConfigurations", no error at all)."""
    work = copy_tree(CASES / case / "before", tmp_path / "repo")
    migrate(work, capsys)
    code = main(["check", str(work)])
    out = capsys.readouterr().out
    assert code == 0, out


def test_a_host_that_cannot_be_wired_is_skipped_not_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: one host whose module list is in a file where home-manager cannot be named
    (`{ nixpkgs }:` called with nixpkgs alone) refused the whole run with exit 3. It is
    skipped with its place and reason, its files keep their bytes, the other host migrates."""
    work = copy_tree(CASES / "helper-file-skip" / "before", tmp_path / "repo")
    before = tree_files(work)
    err = migrate(work, capsys)
    assert (
        "hosts/default.nix:6:15: warning: host `box` is skipped: home-manager cannot be wired "
        "into host `box`: no name for the `home-manager` input is in scope"
    ) in err
    after = tree_files(work)
    for path in ("hosts/default.nix", "hosts/box.nix"):
        assert after[path] == before[path], path
    assert after["hosts/desk.nix"] != before["hosts/desk.nix"]
    assert "home-manager.nixosModules.home-manager" in after["flake.nix"].decode()
    # What `check` still reports is the skipped host's own, as before.
    main(["check", str(work), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    errors = {Path(f["path"]).name for f in findings if f["severity"] == "error"}
    assert errors <= {"box.nix"}, findings


def test_a_special_arg_no_one_can_name_leaves_out_one_standalone_entry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `specialArgs.<x>` of one host that cannot be written outside its helper refused
    the whole run (corpus class 8). The host's NixOS wiring proceeds; its standalone entry is
    left out with a note naming the value; the other host keeps its entry."""
    work = write(
        tmp_path / "repo",
        {
            "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { self, nixpkgs, ... }:
    let
      mkHost =
        { name, extra }:
        nixpkgs.lib.nixosSystem {
          system = "x86_64-linux";
          specialArgs = { inherit extra; };
          modules = [ ./hosts/${name}.nix ];
        };
    in
    {
      nixosConfigurations.box = mkHost { name = "box"; extra = builtins.readFile ./motd; };
      nixosConfigurations.desk = mkHost { name = "desk"; extra = "plain"; };
    };
}
""",
            "motd": "hello\n",
            "hosts/box.nix": "{ pkgs, ... }:\n{\n  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.jq ];\n}\n",
            "hosts/desk.nix": "{ pkgs, ... }:\n{\n  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.jq ];\n}\n",
        },
    )
    err = migrate(work, capsys)
    assert 'no `homeConfigurations."kim@box"`: `specialArgs.extra` of host `box`' in err
    flake = (work / "flake.nix").read_text()
    assert '"kim@desk"' in flake and '"kim@box"' not in flake
    assert 'extra = "plain";' in flake
    assert flake.count("home-manager.nixosModules.home-manager") == 1
    assert main(["migrate", str(work), "--check"]) == 0


def test_comma_first_outputs_formals_migrate_to_valid_nix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: corpus class 9, `inputs @ { self\n, nixpkgs\n, ... }:` got `home-manager,` on a line
    of its own and the run ended as "internal error ... produced invalid Nix"."""
    work = write(
        tmp_path / "repo",
        {
            "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  outputs =
    inputs @ { self
    , nixpkgs
    , ...
    }: { nixosConfigurations.box = nixpkgs.lib.nixosSystem { system = "x86_64-linux"; modules = [ ./configuration.nix ]; }; };
}
""",
            "configuration.nix": "{ pkgs, ... }: { users.users.kim = { isNormalUser = true; "
            "packages = with pkgs; [ ripgrep ]; }; }\n",
        },
    )
    migrate(work, capsys)
    assert "    , nixpkgs\n    , home-manager\n    , ...\n" in (work / "flake.nix").read_text()
    assert main(["migrate", str(work), "--check"]) == 0
    assert main(["check", str(work)]) == 0


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        (
            "[ ./shell.nix ] ++ lib.optional (desktop != null) ./desktop.nix",
            "./shell.nix\n      ./jon/features/cli.nix\n    ] ++ lib.optional",
        ),
        ("if desktop != null then [ ./desktop.nix ] else [ ]", ") ++ [ ./jon/features/cli.nix ]"),
    ],
    ids=["concatenated", "computed"],
)
def test_an_existing_entry_with_computed_imports_gets_the_features(
    imports: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: an entry point whose `imports` is `[ ... ] ++ lib.optional ...` got a second
    `imports` binding: "internal error: homeward produced invalid Nix (attribute `imports` is
    already defined)" (jnsgruk/nixos-config, once its helper's list could be wired)."""
    work = write(
        tmp_path / "repo",
        {
            "flake.nix": hm_flake_lines(
                """  outputs =
    { self, nixpkgs, home-manager, ... }:
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./host.nix
          home-manager.nixosModules.home-manager
          {
            home-manager.extraSpecialArgs = { desktop = null; };
            home-manager.users.jon.imports = [ ./home ];
          }
        ];
      };
      homeConfigurations."jon@box" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.x86_64-linux;
        extraSpecialArgs = { desktop = null; };
        modules = [ ./home ];
      };
    };
"""
            ),
            "host.nix": "{ pkgs, ... }:\n{\n  users.users.jon.isNormalUser = true;\n"
            "  users.users.jon.packages = [ pkgs.jq ];\n}\n",
            "home/default.nix": "{ lib, desktop, ... }:\n{\n"
            f"  imports =\n    {imports};\n"
            '  home.stateVersion = "25.05";\n}\n',
            "home/shell.nix": "{ }\n",
            "home/desktop.nix": "{ }\n",
        },
    )
    migrate(work, capsys)
    text = (work / "home" / "default.nix").read_text()
    assert text.count("imports =") == 1, text
    assert expected in text, text
    assert main(["migrate", str(work), "--check"]) == 0


def test_a_user_file_that_cannot_be_split_is_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: issue 10, a definition that cannot move (CannotMove: here an interpolated path,
    which would change meaning in another directory) refused the whole run ("cannot split
    ..."). That file keeps its bytes, with a note; the rest migrates."""
    user_file = (
        "{ pkgs, ... }:\n{\n  programs.git.enable = true;\n"
        '  environment.etc."motd".source = ./files/${"kim"}.txt;\n}\n'
    )
    work = write(
        tmp_path / "repo",
        {
            "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { self, nixpkgs, ... }:
    {
      nixosConfigurations.box = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./host.nix ./home/kim.nix ];
      };
    };
}
""",
            "host.nix": "{ pkgs, ... }:\n{\n  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.jq ];\n}\n",
            "home/kim.nix": user_file,
            "files/kim.txt": "hello\n",
        },
    )
    err = migrate(work, capsys)
    assert (work / "home" / "kim.nix").read_text() == user_file
    assert "home/kim.nix:4:35: warning: `home/kim.nix` is left as it is" in err, err
    assert "interpolated path" in err
    assert "pkgs.jq" in (work / "home" / "kim" / "features" / "cli.nix").read_text()
    assert main(["migrate", str(work), "--check"]) == 0


@pytest.mark.nix
def test_helper_file_given_the_flakes_inputs_and_outputs_keeps_them_standalone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: oliviacrain/dotfiles passes `inherit inputs outputs;` (with `inherit (self)
    outputs;`) to nixos/default.nix, whose specialArgs hand them on: the standalone entries
    were left out ("`specialArgs.outputs` ... cannot be written outside it"). They are the
    flake's own, named in flake.nix as `inputs` and `self.outputs`; checked with the real nix."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    files = {
        "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  outputs =
    { self, nixpkgs, ... }@inputs:
    let
      inherit (self) outputs;
    in
    {
      greeting = "hi";
      nixosConfigurations = import ./hosts { inherit inputs outputs; };
    };
}
""",
        "hosts/default.nix": """{ inputs, outputs }:
{
  box = inputs.nixpkgs.lib.nixosSystem {
    system = "x86_64-linux";
    specialArgs = { inherit inputs outputs; };
    modules = [ ./box.nix ];
  };
}
""",
        "hosts/box.nix": "{ pkgs, outputs, ... }:\n{\n  users.users.kim.isNormalUser = true;\n"
        "  users.users.kim.packages = [ pkgs.jq ];\n"
        "  environment.etc.greeting.text = outputs.greeting;\n}\n",
    }
    before = write(tmp_path / "before", files)
    work = write(tmp_path / "repo", files)
    err = migrate(work, capsys)
    assert "homeConfigurations" not in err
    flake = (work / "flake.nix").read_text()
    assert "outputs = self.outputs;" in flake and "inputs = inputs;" in flake
    assert (
        "inputs.home-manager.nixosModules.home-manager"
        in (work / "hosts" / "default.nix").read_text()
    )
    assert main(["check", str(work)]) == 0
    assert_conserved(
        extract_outputs_standins(before, STANDINS), extract_outputs_standins(work, STANDINS)
    )


def test_no_host_left_to_wire_is_exit_3_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: when every host is skipped, the run says why with the first host's reason (not an
    unrelated note of the model), and nothing is written (as any run with no host: exit 3)."""
    work = copy_tree(CASES / "helper-file-skip" / "before", tmp_path / "repo")
    (work / "flake.nix").write_text(
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        '  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";\n'
        "  outputs = { self, nixpkgs, ... }: {\n"
        "    nixosConfigurations = import ./hosts { inherit nixpkgs; };\n"
        "  };\n"
        "}\n"
    )
    make_git_repo(work)
    before = tree_files(work)
    assert main(["migrate", str(work)]) == 3
    err = capsys.readouterr().err
    assert "hosts/default.nix:6:15: home-manager cannot be wired into host `box`" in err, err
    assert tree_files(work) == before
