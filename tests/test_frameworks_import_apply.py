"""flake-parts modules brought in with `importApply` (flake-parts' `flake-parts-lib`, nixpkgs'
`lib.modules`), and an ez-configs module whose directories are strings interpolating `self`
(`root = "${self}/cfg"`): a shape seen in real configurations, where homeward found no host.
`importApply file args` is `import file args` (the location it records changes no definition);
a string naming a directory of the flake is that directory, as ez-configs' `types.path` takes
it."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.errors import HomewardError
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from tests.helpers import make_git_repo, tree_files, write

HOST = (
    "{ pkgs, ... }:\n{\n"
    "  users.users.kim.isNormalUser = true;\n"
    "  users.users.kim.packages = [ pkgs.htop ];\n"
    '  system.stateVersion = "25.05";\n}\n'
)
FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  inputs.ez-configs.url = "github:ehllie/ez-configs";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  outputs =
    { self, ... }@inputs:
    inputs.flake-parts.lib.mkFlake { inherit inputs; } (
      { flake-parts-lib, ... }:
      let
        given = { inherit inputs self; };
        load = file: IMPORT_APPLY file given;
      in
      {
        systems = [ "x86_64-linux" ];
        imports = [ (load ./parts) ];
      }
    );
}
"""
# A function of the static arguments only (no `...`): it is called with them, then is a module.
PARTS = """{ inputs, self }:
let
  inherit (inputs.nixpkgs) lib;
in
{
  imports = [ inputs.ez-configs.flakeModule ];
  ezConfigs =
    let
      base = "${self}/cfg";
    in
    {
      root = base;
      nixos.configurationsDirectory = "${base}/machines";
      nixos.hosts = lib.concatMapAttrs (name: _: {
        ${name}.userHomeModules = [ "kim" ];
      }) (lib.filterAttrs (_: kind: kind == "directory") (builtins.readDir "${base}/machines"));
      home.configurationsDirectory = "${base}/people";
    };
}
"""
FILES = {
    "parts/default.nix": PARTS,
    "cfg/machines/box/default.nix": HOST,
    "cfg/machines/lab/default.nix": HOST.replace("htop", "git"),
    "cfg/people/kim.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n}\n",
    # ez-configs' default directories, which the settings above replace: not hosts.
    "nixos-configurations/stray/default.nix": HOST,
}
SPELLINGS = {
    "flake-parts-lib": "flake-parts-lib.importApply",
    "flake-parts-input": "inputs.flake-parts.lib.importApply",
    "nixpkgs-lib-modules": "inputs.nixpkgs.lib.modules.importApply",
}


def tree(root: Path, spelling: str = "flake-parts-lib.importApply") -> Path:
    return write(root, {"flake.nix": FLAKE.replace("IMPORT_APPLY", spelling), **FILES})


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_import_apply_brings_in_ez_configs_with_an_interpolated_root(
    tmp_path: Path, spelling: str
) -> None:
    """Why: the module that sets `ezConfigs` came through `importApply`, which homeward did not
    follow, and its directories are strings built from `self`: no host found (exit 3)."""
    repo = load_repo(tree(tmp_path, spelling))
    assert sorted(repo.hosts) == ["box", "lab"]
    assert sorted(repo.homes) == ["kim@box", "kim@lab"]  # ez-configs: one per host
    assert {c.framework for c in [*repo.hosts.values(), *repo.homes.values()]} == {"ez-configs"}
    assert "cfg/machines/box/default.nix" in repo.modules
    assert "nixos-configurations/stray/default.nix" not in repo.modules
    assert [u.name for u in build_index(repo).users.values()] == ["kim"]


def test_migrate_leaves_the_ez_configs_hosts_as_they_are(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: ez-configs assembles these hosts (no module list homeward could wire): read and
    drawn, never edited, and the warning names them (rule 10)."""
    repo = make_git_repo(tree(tmp_path / "repo"))
    before = tree_files(repo)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    assert main(["graph", "repo", "--format", "json"]) == 0
    drawn = capsys.readouterr().out
    assert "cfg/machines/lab/default.nix" in drawn
    assert main(["migrate", "repo"]) == 0
    captured = capsys.readouterr()
    assert tree_files(repo) == before
    said = captured.err + captured.out
    assert "warning: ez-configs assembles" in said
    assert "`box`" in said and "`lab`" in said


def test_an_unparsable_flake_parts_module_is_named_when_no_host_is_found(tmp_path: Path) -> None:
    """Why: the module that held `ezConfigs` used the pipe operator `|>` (an experimental
    feature of Nix homeward's parser does not know), so homeward read no setting there and
    said only "finds no host there". The refusal names the file, line and column and the
    construct, and that the module was not read."""
    root = tree(tmp_path)
    piped = PARTS.replace(
        '(builtins.readDir "${base}/machines")', '("${base}/machines" |> builtins.readDir)'
    )
    (root / "parts/default.nix").write_text(piped)
    repo = load_repo(root)
    with pytest.raises(HomewardError) as caught:
        repo.fatal()
    error = caught.value
    line = piped.splitlines().index(next(x for x in piped.splitlines() if "|>" in x)) + 1
    column = piped.splitlines()[line - 1].index("|>") + 1
    assert error.at is not None
    assert (str(error.at.path), error.at.line, error.at.col) == (
        "parts/default.nix",
        line,
        column,
    )
    assert "pipe operator" in error.message
    assert "flake-parts module" in error.message
    assert "ez-configs" in error.message


# -- hosts under an option the repository declares itself -----------------------------------------
OWN_OPTION = {
    "flake.nix": """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.flake-parts.url = "github:hercules-ci/flake-parts";
  outputs = inputs: import ./outputs.nix inputs;
}
""",
    "outputs.nix": """{ flake-parts, nixpkgs, ... }@inputs:
flake-parts.lib.mkFlake { inherit inputs; } {
  systems = [ "x86_64-linux" ];
  imports = [ (nixpkgs.lib.modules.importApply ./hosts-option.nix { inherit inputs; }) ];
  perSystem =
    { system, ... }:
    {
      nixosConfigurations = {
        box = {
          modules = [ ./box.nix ];
        };
      };
    };
}
""",
    # The option: each `perSystem.nixosConfigurations.<name>` becomes a host under
    # `legacyPackages`, with modules its `apply` adds: nix builds more than is written above.
    "hosts-option.nix": """{ inputs }:
{ lib, flake-parts-lib, config, ... }:
{
  options.perSystem = flake-parts-lib.mkPerSystemOption {
    options.nixosConfigurations = lib.mkOption {
      type = lib.types.lazyAttrsOf (lib.types.submodule {
        options.modules = lib.mkOption {
          type = lib.types.listOf lib.types.raw;
          apply = given: [ ./common.nix ] ++ given;
        };
      });
      default = { };
    };
  };
  config.flake.legacyPackages = lib.genAttrs config.systems (system: {
    nixosConfigurations = builtins.mapAttrs (
      name: host: inputs.nixpkgs.lib.nixosSystem { inherit system; inherit (host) modules; }
    ) (config.perSystem system).nixosConfigurations;
  });
}
""",
    "box.nix": HOST,
    "common.nix": '{ ... }:\n{\n  users.users.kim.extraGroups = [ "wheel" ];\n}\n',
}


def test_hosts_under_an_option_of_per_system_are_named_when_refused(tmp_path: Path) -> None:
    """Why: hosts written as `perSystem.nixosConfigurations.<name>`, an option a module of the repository
    declares and turns into `nixosConfigurations` with its own `default`s and `apply`, gave
    only "homeward finds no host there". homeward does not evaluate option declarations, so
    it cannot know the hosts' modules: the refusal says so, at the place the hosts are
    written, and names the option."""
    repo = load_repo(write(tmp_path, OWN_OPTION))
    with pytest.raises(HomewardError) as caught:
        repo.fatal()
    error = caught.value
    text = OWN_OPTION["outputs.nix"]
    line = text.splitlines().index("      nixosConfigurations = {") + 1
    assert error.at is not None
    assert (str(error.at.path), error.at.line) == ("outputs.nix", line)
    assert "`perSystem.nixosConfigurations`" in error.message
    assert "option" in error.message and "`apply`" in error.message


def test_ez_configs_directories_made_with_plus_from_self(tmp_path: Path) -> None:
    """Why: `root = self` and `configurationsDirectory = config.ezConfigs.root + "/machines"`
    (a flake is the string of its `outPath` under `+`, as in `"${self}"`) were not computed:
    homeward looked in ez-configs' default directories instead."""
    flake = FLAKE.replace("IMPORT_APPLY", "flake-parts-lib.importApply").replace(
        "imports = [ (load ./parts) ];", "imports = [ ./parts/plus.nix ];"
    )
    plus = """{ inputs, self, config, ... }:
{
  imports = [ inputs.ez-configs.flakeModule ];
  ezConfigs = {
    root = self;
    nixos.configurationsDirectory = config.ezConfigs.root + "/cfg/machines";
    home.configurationsDirectory = config.ezConfigs.root + "/cfg/people";
  };
}
"""
    repo = load_repo(write(tmp_path, {**FILES, "flake.nix": flake, "parts/plus.nix": plus}))
    assert sorted(repo.hosts) == ["box", "lab"]
    assert sorted(repo.homes) == ["kim@box", "kim@lab"]  # ez-configs: one per host


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        (
            "root = self;",
            (
                "ez-configs reads nixos hosts from `nixos-configurations/` or "
                "`configurations/nixos/`, which does not exist"
            ),
        ),
        (
            'root = self;\n    nixos.configurationsDirectory = inputs.elsewhere + "/hosts";',
            (
                "ez-configs' `nixos.configurationsDirectory` (or its `root`) is not a directory "
                "of the repository homeward can compute: `+` of values that are not known "
                "(parts/ez.nix:6:37)"
            ),
        ),
    ],
    ids=["no-directory", "not-computed"],
)
def test_no_host_says_where_ez_configs_reads_hosts(tmp_path: Path, setting: str, said: str) -> None:
    """Why: an ez-configs flake with no host directory, or one named by what homeward cannot
    compute, was refused with only "homeward finds no host there"."""
    flake = FLAKE.replace("IMPORT_APPLY", "flake-parts-lib.importApply").replace(
        "imports = [ (load ./parts) ];", "imports = [ ./parts/ez.nix ];"
    )
    module = (
        "{ inputs, self, ... }:\n{\n  imports = [ inputs.ez-configs.flakeModule ];\n"
        f"  ezConfigs = {{\n    {setting}\n  }};\n}}\n"
    )
    repo = load_repo(write(tmp_path, {"flake.nix": flake, "parts/ez.nix": module}))
    with pytest.raises(HomewardError) as caught:
        repo.fatal()
    assert "the outputs are built with flake-parts and ez-configs; " in caught.value.message
    assert said in caught.value.message, caught.value.message
