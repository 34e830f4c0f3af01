"""A flake whose outputs come from the repository's own `mkFlake` in a library it loads itself
(issue 11, "Frameworks" and "helpers in other files"). Reduced from a fleet seen in the wild:

- `lib/default.nix` loads every `lib/*.nix` callPackage-style: each file is a function whose
  arguments are taken from the libraries loaded before it (`intersectAttrs (functionArgs f)
  libs`), then flattens them with `zipAttrsWith`;
- the directory scan builds paths as strings (`"${toString dir}/${name}"`), keeps entries with
  `v != null`, and imports those strings;
- flake.nix is `with builtins; with lib; mkFlake inputs { hosts = mapHosts ./hosts; }`, and
  `mkFlake` calls `nixosSystem` for each host with the module list written in the library.

Refused before: "no host found: the outputs are built with the repository's own `mkFlake`"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.index import build_index
from homeward.model.repo import load_repo
from tests.helpers import hm_flake_lines, make_git_repo, tree_files, write

FLAKE = hm_flake_lines(
    """  outputs = inputs@{ self, nixpkgs, ... }:
    let
      lib = import ./lib { inherit self; inherit (nixpkgs) lib; };
    in
    with builtins; with lib; mkFlake inputs {
      hosts = mapHosts ./hosts;
    };
"""
)
LIB_DEFAULT = """{ self, lib }:
let
  inherit (builtins) intersectAttrs functionArgs attrValues;
  attrs = import ./attrs.nix { inherit lib; };
  modules = import ./modules.nix { inherit lib attrs; };
  load = loaded: next: loaded // {
    ${next.name} = next.value (intersectAttrs (functionArgs next.value) loaded);
  };
  libs = builtins.foldl' load { inherit lib attrs modules; } (attrs.toPairs (modules.mapModules ./. import));
in
libs // (attrs.flatten (attrValues libs))
"""
LIB_ATTRS = """{ lib }:
{
  toPairs = set: lib.mapAttrsToList (name: value: { inherit name value; }) set;
  flatten = sets: builtins.zipAttrsWith (name: values:
    if builtins.tail values == [ ] then builtins.head values
    else if builtins.all builtins.isAttrs values then lib.foldl' (a: b: a // b) { } values
    else lib.last values) sets;
}
"""
LIB_MODULES = """{ lib, attrs }:
{
  mapModules = dir: fn:
    lib.filterAttrs (n: v: v != null && !(lib.hasPrefix "_" n)) (lib.mapAttrs' (n: v:
      let path = "${toString dir}/${n}"; in
      if v == "directory" && builtins.pathExists "${path}/default.nix"
      then lib.nameValuePair n (fn path)
      else if v == "regular" && n != "default.nix" && lib.hasSuffix ".nix" n
      then lib.nameValuePair (lib.removeSuffix ".nix" n) (fn path)
      else lib.nameValuePair "" null) (builtins.readDir dir));
}
"""
LIB_SYSTEM = """{ lib, modules, ... }:
{
  mapHosts = dir: modules.mapModules dir (path: { inherit path; config = import path; });
  mkFlake = inputs: { hosts, ... }: {
    nixosConfigurations = lib.mapAttrs (name: { path, config }:
      let host = config { inherit lib; }; in
      inputs.nixpkgs.lib.nixosSystem {
        system = host.system;
        modules = [
          { networking.hostName = name; }
          ../common.nix
        ] ++ (host.imports or [ ]) ++ [ (host.config or { }) ];
      }) hosts;
  };
}
"""
HOST = """{ lib, ... }:
{
  system = "x86_64-linux";
  imports = [ ./hardware.nix ];
  config = { pkgs, ... }: {
    users.users.kim.isNormalUser = true;
    users.users.kim.packages = [ pkgs.PACKAGE ];
  };
}
"""
OWN_LIB = {
    "flake.nix": FLAKE,
    "lib/default.nix": LIB_DEFAULT,
    "lib/attrs.nix": LIB_ATTRS,
    "lib/modules.nix": LIB_MODULES,
    "lib/system.nix": LIB_SYSTEM,
    "common.nix": '{ ... }:\n{\n  system.stateVersion = "25.05";\n}\n',
    "hosts/box/default.nix": HOST.replace("PACKAGE", "htop"),
    "hosts/box/hardware.nix": "{ ... }:\n{\n  boot.loader.grub.enable = true;\n}\n",
    "hosts/lab/default.nix": HOST.replace("PACKAGE", "jq"),
    "hosts/lab/hardware.nix": "{ ... }:\n{\n  boot.loader.grub.enable = false;\n}\n",
    "hosts/_template/default.nix": HOST.replace("PACKAGE", "git"),
}


def test_hosts_of_an_own_mkflake_in_a_self_loading_library(tmp_path: Path) -> None:
    """Why: hlissner's fleet was refused; every host is a `nixosSystem` call homeward can read
    once the library's loading is followed."""
    repo = load_repo(write(tmp_path, OWN_LIB))
    assert sorted(repo.hosts) == ["box", "lab"]  # `_template` is skipped by the scan
    box = repo.hosts["box"]
    assert box.location is not None and str(box.location.path) == "lib/system.nix"
    assert repo.modules["hosts/box/hardware.nix"].hosts == {"box"}
    assert repo.modules["common.nix"].hosts == {"box", "lab"}
    assert [u.name for u in build_index(repo).users.values()] == ["kim"]


def test_check_and_graph_show_the_hosts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path / "repo", OWN_LIB)
    monkeypatch.chdir(tmp_path)
    capsys.readouterr()
    main(["check", "repo"])
    out = capsys.readouterr().out
    assert "read 2 hosts" in out
    assert main(["graph", "repo", "--format", "json"]) == 0
    drawn = json.dumps(json.loads(capsys.readouterr().out))
    assert "hosts/lab/hardware.nix" in drawn


@pytest.mark.nix
def test_migrate_keeps_every_package_with_the_real_nix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: whatever migrate does with hosts whose module list is written once in the
    library for all of them, each user keeps the packages they had on each host (rule 1),
    checked by the real nix against the stand-ins; a second run changes nothing."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    repo = make_git_repo(write(tmp_path / "repo", OWN_LIB))
    before = extract_outputs_standins(repo, STANDINS)
    assert sorted(before.hosts) == ["box", "lab"]
    monkeypatch.chdir(tmp_path)
    assert main(["migrate", "repo"]) == 0
    after = extract_outputs_standins(repo, STANDINS)
    assert_conserved(before, after)
    once = tree_files(repo)
    capsys.readouterr()
    assert main(["migrate", "repo"]) == 0
    assert tree_files(repo) == once


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("builtins.functionArgs ({ a, b ? 1, ... }: a)", {"a": False, "b": True}),
        ('builtins.intersectAttrs { a = 1; } { a = "x"; b = "y"; }', {"a": "x"}),
        (
            'builtins.zipAttrsWith (n: v: v) [ { a = "x"; } { a = "y"; b = "z"; } ]',
            {"a": ["x", "y"], "b": ["z"]},
        ),
        ("builtins.tail [ 1 ] == [ ]", True),
        ("builtins.tail [ 1 2 ] == [ ]", False),
        ("(x: x) != null", True),
        ("{ } == null", False),
        ("builtins.all builtins.isAttrs [ { } { } ]", True),
        ("builtins.any builtins.isList [ { } 1 ]", False),
        ("builtins.last [ 1 2 ]", 2),
        ('builtins.pathExists "${toString ./.}/flake.nix"', True),
        ('builtins.attrNames (builtins.readDir "${toString ./.}/hosts")', ["box", "lab"]),
    ],
)
def test_what_a_self_loading_library_needs(
    tmp_path: Path, expression: str, expected: object
) -> None:
    """Why: each of these was an Unknown, and one Unknown in the library's loading hid every
    host (`intersectAttrs (functionArgs f)`, `zipAttrsWith`, `tail values == [ ]`,
    `v != null`, paths written as strings)."""
    from homeward.model.eval import Evaluator
    from homeward.model.values import Attrs, Bool, Int, ListValue, Str, Value
    from homeward.syntax.parse import parse_source

    root = write(
        tmp_path, {"flake.nix": "{ }\n", "hosts/box/a.nix": "{ }\n", "hosts/lab/a.nix": "{ }\n"}
    )
    ev = Evaluator(root)
    source = parse_source(expression.encode(), root / "expr.nix").check()
    node = source.root.child_by_field_name("expression")
    assert node is not None

    def plain(value: Value) -> object:
        if isinstance(value, Attrs):
            return {k: plain(ev.force(t)) for k, t in value.attrs.items()}
        if isinstance(value, ListValue):
            return [plain(ev.force(t)) for t in value.items]
        if isinstance(value, Str | Int | Bool):
            return value.value
        return value

    assert plain(ev.eval(node, ev.globals, source)) == expected
