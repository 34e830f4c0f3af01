"""Outputs built with `//` and friends (issue 11; docs/architecture.md, rules 9 and 10): the
known part of an output is read, the rest is an Unknown with its reason and place, and a file
that an unknown part might reach keeps its bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.errors import HomewardError
from homeward.model.repo import Repo, load_repo
from tests.helpers import write


def flake(outputs: str, let: str = "", inputs: str = "") -> str:
    return (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        f"{inputs}"
        "  outputs = { self, nixpkgs, ... }@inputs:\n"
        f"    let\n{let}\n    in\n    {outputs};\n"
        "}\n"
    )


HOSTS = {
    "hosts/a/default.nix": '{ networking.hostName = "a"; }\n',
    "hosts/b/default.nix": '{ networking.hostName = "b"; }\n',
}
MK_HOST = "      mkHost = h: nixpkgs.lib.nixosSystem { modules = [ ./hosts/${h} ]; };"


def messages(repo: Repo) -> list[str]:
    return [f"{p.at}: {p.message}" for p in repo.problems]


def hosts_of(root: Path) -> list[str]:
    repo = load_repo(root)
    repo.fatal()
    return sorted(repo.hosts)


@pytest.mark.parametrize(
    "outputs",
    [
        # literal list of names (Baitinq, HCHogan)
        (
            "{ nixosConfigurations = builtins.listToAttrs (map (h: { name = h; value = mkHost h; })"
            ' [ "a" "b" ]); }'
        ),
        # the directories of ./hosts
        (
            "{ nixosConfigurations = builtins.listToAttrs (map (h: { name = h; value = mkHost h; })"
            " (builtins.attrNames (builtins.readDir ./hosts))); }"
        ),
        # filtered with mapAttrsToList (librephoenix)
        (
            "{ nixosConfigurations = builtins.listToAttrs (map (h: nixpkgs.lib.nameValuePair h"
            " (mkHost h)) (builtins.filter (x: x != null) (nixpkgs.lib.mapAttrsToList"
            ' (n: t: if t == "directory" then n else null) (builtins.readDir ./hosts)))); }'
        ),
        # forEach over filterAttrs (IogaMaster lib/hosts.nix)
        (
            "{ nixosConfigurations = builtins.listToAttrs (nixpkgs.lib.lists.forEach"
            ' (builtins.attrNames (nixpkgs.lib.filterAttrs (n: t: t == "directory")'
            " (builtins.readDir ./hosts))) (h: { name = h; value = mkHost h; })); }"
        ),
        '{ nixosConfigurations = nixpkgs.lib.genAttrs [ "a" "b" ] mkHost; }',
        "{ nixosConfigurations = nixpkgs.lib.mapAttrs (n: _: mkHost n) { a = 1; b = 2; }; }",
        (
            "{ nixosConfigurations = nixpkgs.lib.mapAttrs' (n: _: nixpkgs.lib.nameValuePair n"
            " (mkHost n)) { a = 1; b = 2; }; }"
        ),
        # thiagokokada: the whole outputs merged recursively
        (
            "builtins.foldl' nixpkgs.lib.recursiveUpdate { } [ { nixosConfigurations.a = mkHost"
            ' "a"; } { nixosConfigurations.b = mkHost "b"; } ]'
        ),
        (
            "{ nixosConfigurations = nixpkgs.lib.mergeAttrsList (map (h: { ${h} = mkHost h; })"
            ' [ "a" "b" ]); }'
        ),
        # nmasur: a flattenAttrset helper over a set per system
        (
            "{ nixosConfigurations = flattenAttrset (builtins.mapAttrs (system: hosts:"
            " builtins.mapAttrs (name: _: mkHost name) hosts)"
            " { x86_64-linux = { a = 1; }; aarch64-linux = { b = 2; }; }); }"
        ),
        (
            '{ nixosConfigurations.a = mkHost "a"; } // { nixosConfigurations.b = mkHost "b"; }'
            ' // { nixosConfigurations = { a = mkHost "a"; b = mkHost "b"; }; }'
        ),
        # josqu4red: one set per entry of a host registry, merged
        (
            "{ nixosConfigurations = nixpkgs.lib.concatMapAttrs (n: v: { ${n} = mkHost n; })"
            " { a = 1; b = 2; }; }"
        ),
    ],
    ids=[
        "listToAttrs-literal",
        "listToAttrs-readDir",
        "listToAttrs-filter-mapAttrsToList",
        "forEach-filterAttrs",
        "genAttrs",
        "mapAttrs",
        "mapAttrs'",
        "foldl-recursiveUpdate",
        "mergeAttrsList-map",
        "flattenAttrset",
        "update-chain",
        "concatMapAttrs",
    ],
)
def test_outputs_computed_with_library_functions(tmp_path: Path, outputs: str) -> None:
    """Why: eight real configurations were refused because `nixosConfigurations` was computed
    with library functions over data that is in the repository (corpus class 3)."""
    let = MK_HOST + (
        "\n      flattenAttrset = attrs: builtins.foldl' nixpkgs.lib.mergeAttrs { }"
        " (builtins.attrValues attrs);"
    )
    root = write(tmp_path, {"flake.nix": flake(outputs, let), **HOSTS})
    assert hosts_of(root) == ["a", "b"]


def test_recursive_update_merges_nested_sets(tmp_path: Path) -> None:
    """Why: `recursiveUpdate` was read as `//`: the second `nixosConfigurations` hid the first."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                'nixpkgs.lib.recursiveUpdate { nixosConfigurations.a = mkHost "a"; }'
                ' { nixosConfigurations.b = mkHost "b"; }',
                MK_HOST,
            ),
            **HOSTS,
        },
    )
    assert hosts_of(root) == ["a", "b"]


def test_a_custom_lib_made_with_extend(tmp_path: Path) -> None:
    """Why: `lib = nixpkgs.lib.extend (final: prev: ...)` (IogaMaster, malob) made every host
    built with it unknown; its `nixosSystem` is still nixpkgs', and what the extension adds is
    known where it is written."""
    let = (
        "      lib = nixpkgs.lib.extend (final: prev: {\n"
        "        mkHost = h: final.nixosSystem { modules = [ ./hosts/${h} ]; };\n"
        '        hostNames = prev.attrNames (prev.filterAttrs (_: t: t == "directory")'
        " (builtins.readDir ./hosts));\n"
        "      });"
    )
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ inherit lib; nixosConfigurations = lib.genAttrs lib.hostNames lib.mkHost //"
                " { c = lib.nixosSystem { modules = [ ./hosts/a ]; }; }; }",
                let,
            ),
            **HOSTS,
        },
    )
    assert hosts_of(root) == ["a", "b", "c"]


def test_with_a_custom_lib_names_the_inputs_functions(tmp_path: Path) -> None:
    """Why: `with lib;` over a lib made with `nixpkgs.lib.extend` (a fleet of the corpus whose
    hosts come from `with lib; attrsets.mapAttrs' … (builtins.readDir ./.)` in lib/) refused
    the run with "`attrsets` is not defined here": a name the extension does not write is
    still the input's, inside `with` as after a dot."""
    let = (
        '      lib = nixpkgs.lib.extend (final: prev: { my.hostNames = [ "a" "b" ]; });\n'
        "      hosts = with lib; attrsets.genAttrs my.hostNames"
        " (h: nixosSystem { modules = [ ./hosts/${h} ]; });"
    )
    root = write(tmp_path, {"flake.nix": flake("{ nixosConfigurations = hosts; }", let), **HOSTS})
    assert hosts_of(root) == ["a", "b"]


def test_a_builder_picked_by_system_with_attr_by_path(tmp_path: Path) -> None:
    """Why: a helper that picks its builder from a table by system (`attrByPath [ system ]
    "unknown" { x86_64-linux = nixpkgs.lib.nixosSystem; … }`; a fleet of the corpus, NixOS
    hosts and a Mac from one mkSystem) had every host "built by `nixpkgs.lib.attrByPath`, a
    function of the input", none read."""
    let = (
        "      builders = { x86_64-linux = nixpkgs.lib.nixosSystem; };\n"
        "      pick = system: nixpkgs.lib.attrByPath [ system ] null builders;\n"
        '      mkHost = h: pick "x86_64-linux" { modules = [ ./hosts/${h} ]; };'
    )
    root = write(
        tmp_path,
        {"flake.nix": flake('{ nixosConfigurations = { a = mkHost "a"; }; }', let), **HOSTS},
    )
    assert hosts_of(root) == ["a"]
    missing = let.replace('pick "x86_64-linux"', 'pick "riscv64-linux"')
    root = write(
        tmp_path / "other",
        {"flake.nix": flake('{ nixosConfigurations = { a = mkHost "a"; }; }', missing), **HOSTS},
    )
    with pytest.raises(HomewardError):
        hosts_of(root)


def test_a_package_set_of_an_input_does_not_poison_the_rest(tmp_path: Path) -> None:
    """Why: `pkgs = import nixpkgs { ... }` in the outputs' `let` (gvolpe) made the whole
    outputs unknown; a package set is an input's value, and builders its overlays add are
    known where they are written."""
    let = (
        '      system = "x86_64-linux";\n'
        "      pkgs = import nixpkgs { inherit system; overlays = [ (final: prev: {\n"
        "        builders.mkNixos = { }: import ./os.nix { inherit inputs; pkgs = final; };\n"
        "      }) ]; config.allowUnfree = true; };"
    )
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations = pkgs.builders.mkNixos { };"
                " packages.${system}.hello = pkgs.hello; }",
                let,
            ),
            "os.nix": "{ inputs, pkgs }:\n"
            "let inherit (pkgs) lib;\n"
            "  make = host: { ${host} = inputs.nixpkgs.lib.nixosSystem {"
            " inherit pkgs; modules = [ ./hosts/${host} ]; }; };\n"
            'in lib.mergeAttrsList (map make [ "a" "b" ])\n',
            **HOSTS,
        },
    )
    assert hosts_of(root) == ["a", "b"]


def test_partly_known_host_set_reads_the_known_hosts(tmp_path: Path) -> None:
    """Why: one entry whose name is not known made the whole set unknown (HCHogan); the
    entries that can be read are hosts, the rest is named with its place (rule 9). Hosts
    whose module list the unknown entry's helper shares are read but not rewired: wiring
    home-manager into that list would change the unknown host too (rule 10)."""
    entries = (
        "builtins.listToAttrs (map (h: { name = h.name; value = mkHost h.name; })"
        ' [ { name = "a"; } { name = inputs.secrets.hostName; } ])'
    )
    secrets = '  inputs.secrets.url = "github:kim/secrets";\n'
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations = { b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b ];"
                f" }}; }} // {entries}; }}",
                MK_HOST,
                secrets,
            ),
            **HOSTS,
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.hosts) == ["b"]
    assert sorted(repo.skipped) == ["a"]
    assert repo.skipped["a"].message.startswith(
        "the module list of `a` is also read by an entry of `nixosConfigurations`"
    )
    assert any(
        m.startswith("flake.nix:") and "`nixosConfigurations`" in m and "listToAttrs" in m
        for m in messages(repo)
    ), messages(repo)


def test_an_input_framework_is_named_precisely(tmp_path: Path) -> None:
    """Why: `clan-core.lib.clan { ... }` (pinpox) said only "cannot resolve"; the message names
    the framework and why it has no host, and it stops only when nothing else has hosts.
    (clan-core's machines are read since: tests/test_frameworks_clan.py; a clan without any
    machine is the case left.)"""
    outputs = "{ nixosConfigurations = clan.config.nixosConfigurations; }"
    let = '      clan = inputs.clan-core.lib.clan { inherit self; meta.name = "x"; };'
    clan = '  inputs.clan-core.url = "git+https://git.clan.lol/clan/clan-core";\n'
    root = write(tmp_path, {"flake.nix": flake(outputs, let, clan), **HOSTS})
    with pytest.raises(HomewardError, match=r"clan-core's `clan` finds no machine") as r:
        load_repo(root).fatal()
    assert str(r.value.at).startswith("flake.nix:6:")
    other = write(
        tmp_path / "other",
        {
            "flake.nix": flake(
                '{ nixosConfigurations = clan.config.nixosConfigurations // { a = mkHost "a"; }; }',
                f"{let}\n{MK_HOST}",
                clan,
            ),
            **HOSTS,
        },
    )
    repo = load_repo(other)
    repo.fatal()
    assert sorted(repo.hosts) == ["a"]
    assert any("clan-core's `clan` finds no machine" in m for m in messages(repo)), messages(repo)


def test_configurations_under_packages_are_named_not_refused(tmp_path: Path) -> None:
    """Why: heywoodlh builds every configuration inside `eachDefaultSystem` as
    `packages.<system>.nixosConfigurations`, which nixos-rebuild does not read: they are
    read as hosts that migrate leaves alone, with a warning that says where they are."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "inputs.flake-utils.lib.eachDefaultSystem (system: {"
                ' packages.nixosConfigurations.a = mkHost "a"; })',
                MK_HOST,
                '  inputs.flake-utils.url = "github:numtide/flake-utils";\n',
            ),
            **HOSTS,
        },
    )
    repo = load_repo(root)
    repo.fatal()  # read as hosts homeward does not rewire (tests/test_framework_hosts.py)
    assert sorted(repo.hosts) == ["a"]
    assert repo.hosts["a"].framework == "`packages.<system>`"


def test_a_module_an_unknown_output_may_read_stays_byte_identical(tmp_path: Path) -> None:
    """Why (rule 10): a module shared by a known host and by an output homeward cannot read
    must keep its bytes: moving its packages for the known host would take them from the
    other. The files the unknown part names are frozen, with the reason; the rest migrates."""
    from homeward.model.index import build_index
    from homeward.plan.migrate import MigrateOptions, plan_migration

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                '{ nixosConfigurations = { pc = nixpkgs.lib.nixosSystem { system = "x86_64-linux";'
                " modules = [ ./hosts/pc ./shared.nix ]; }; }"
                " // builtins.listToAttrs (map (h: { name = inputs.secrets.names.${h};"
                " value = nixpkgs.lib.nixosSystem { modules = [ ./hosts/${h} common ]; }; })"
                ' [ "box" ]); }',
                "      common = { imports = [ ./shared.nix ]; };",
                '  inputs.secrets.url = "github:kim/secrets";\n',
            ),
            "hosts/pc/default.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.htop ];\n}\n",
            "hosts/box/default.nix": "{ }\n",
            "shared.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n",
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.hosts) == ["pc"]
    frozen = repo.modules["shared.nix"].frozen
    assert list(frozen) == ["an entry of `nixosConfigurations`"]
    assert "listToAttrs" in frozen["an entry of `nixosConfigurations`"]
    assert "flake.nix:" in frozen["an entry of `nixosConfigurations`"]
    assert not repo.modules["hosts/pc/default.nix"].frozen
    plan = plan_migration(build_index(repo), MigrateOptions())
    touched = {str(e.path) for e in plan.edits} | {str(d.path) for d in plan.deletes}
    assert "shared.nix" not in touched
    assert "hosts/pc/default.nix" in touched
    assert any(
        "`shared.nix` is left as it is" in d.message and "cannot read" in d.message
        for d in plan.diagnostics
    ), [d.message for d in plan.diagnostics]


def test_an_unknown_output_does_not_freeze_what_it_cannot_name(tmp_path: Path) -> None:
    """Why: freezing everything would make every partly known flake a no-op; a host's own
    files that no unknown part names still migrate."""
    from homeward.model.reach import reach_of

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                '{ nixosConfigurations = { a = mkHost "a"; } // inputs.other.hosts; }',
                MK_HOST.replace("./hosts/${h}", "./hosts/${h} ./common.nix"),
                '  inputs.other.url = "github:kim/other";\n',
            ),
            "common.nix": "{ }\n",
            **HOSTS,
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["a"]
    assert not any(m.frozen for m in repo.modules.values())
    assert not reach_of(repo.ev, repo.outputs).everything


def test_an_overridden_configuration_is_read_as_its_own_output(tmp_path: Path) -> None:
    """Why: `self.homeConfigurations.malo.override (old: { modules = old.modules ++ ...; })`
    (malob) was an unknown output reading every file of the first: neither was migrated.
    `makeOverridable` remembers its function and arguments, so the override is known."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ homeConfigurations.kim = nixpkgs.lib.makeOverridable"
                " inputs.home-manager.lib.homeManagerConfiguration {"
                " pkgs = nixpkgs.legacyPackages.x86_64-linux; modules = [ ./home.nix ]; };"
                " homeConfigurations.ci = self.homeConfigurations.kim.override (old: {"
                ' modules = old.modules ++ nixpkgs.lib.singleton { home.username = "ci"; };'
                " }); }",
                inputs='  inputs.home-manager.url = "github:nix-community/home-manager";\n',
            ),
            "home.nix": '{ home.username = "kim"; }\n',
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.homes) == ["ci", "kim"]
    assert [(r.kind.value, str(r.path)) for r in repo.homes["ci"].modules] == [
        ("file", "home.nix"),
        ("inline", "None"),
    ]
    assert not repo.problems, messages(repo)
    assert not repo.modules["home.nix"].frozen


@pytest.mark.parametrize(
    "entries",
    [
        'nixpkgs.lib.genAttrs [ "a" inputs.secrets.hostName ] mkHost',
        (
            "nixpkgs.lib.mapAttrs' (n: _: nixpkgs.lib.nameValuePair"
            ' (if n == "a" then n else inputs.secrets.${n}) (mkHost n)) { a = 1; b = 2; }'
        ),
    ],
    ids=["genAttrs", "mapAttrs'"],
)
def test_a_name_that_is_not_known_leaves_the_others_known(tmp_path: Path, entries: str) -> None:
    """Why: one name homeward cannot compute hid every host of `genAttrs`/`mapAttrs'`."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                f"{{ nixosConfigurations = {entries}; }}",
                MK_HOST,
                '  inputs.secrets.url = "github:kim/secrets";\n',
            ),
            **HOSTS,
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) + sorted(repo.skipped) == ["a"]
    assert any("not known" in m for m in messages(repo)), messages(repo)


@pytest.mark.parametrize("index_version", ["2", "4"])
def test_read_dir_in_git_lists_the_tracked_files(tmp_path: Path, index_version: str) -> None:
    """Why (rule 12): flakes in git see only the files git tracks (intent-to-add included):
    an untracked `hosts/c/` is no host to nix, so it is none to homeward either."""
    from tests.helpers import git

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations = builtins.listToAttrs (map (h: { name = h;"
                " value = mkHost h; }) (builtins.attrNames (builtins.readDir ./hosts))); }",
                MK_HOST,
            ),
            **HOSTS,
            "hosts/c/default.nix": "{ }\n",
            "hosts/d/default.nix": "{ }\n",
        },
    )
    git(root, "init", "-q")
    git(root, "update-index", "--index-version", index_version)
    git(root, "add", "flake.nix", "hosts/a", "hosts/b")
    git(root, "add", "--intent-to-add", "hosts/d/default.nix")
    assert hosts_of(root) == ["a", "b", "d"]


def test_list_files_recursive_in_git_lists_the_tracked_files(tmp_path: Path) -> None:
    """Why (rule 12): `lib.filesystem.listFilesRecursive ./modules` in git sees what git
    tracks; an untracked draft is not a module of any host."""
    from tests.helpers import git

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules ="
                " nixpkgs.lib.filesystem.listFilesRecursive ./modules; }; }"
            ),
            "modules/b/one.nix": "{ }\n",
            "modules/a.nix": "{ }\n",
            "modules/draft.nix": "{ broken",
        },
    )
    git(root, "init", "-q")
    git(root, "add", "flake.nix", "modules/a.nix", "modules/b/one.nix")
    repo = load_repo(root)
    assert [str(r.path) for r in repo.hosts["a"].modules] == ["modules/a.nix", "modules/b/one.nix"]


def test_a_module_built_by_a_function_of_the_outputs_is_opaque(tmp_path: Path) -> None:
    """Why: `imports = [ (flake.outputs.internal.helpers.mkHomeModule "nixos") ]`
    (thiagokokada modules/nixos/home.nix:14) stopped migrate with exit 3; it is one opaque
    module, named with its place, and the rest of the host migrates."""
    from homeward.cli import main

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "builtins.foldl' nixpkgs.lib.recursiveUpdate { } [\n"
                "      { internal.helpers = import ./helpers.nix; }\n"
                "      { nixosConfigurations.a = nixpkgs.lib.nixosSystem {\n"
                '          system = "x86_64-linux";\n'
                "          specialArgs.flake = self;\n"
                "          modules = [ ./hosts/a ./home.nix ];\n"
                "        }; }\n"
                "    ]"
            ),
            "helpers.nix": "{ mkHomeModule = kind: { imports = [ ./hm-${kind}.nix ]; }; }\n",
            "hm-nixos.nix": "{ }\n",
            "home.nix": "{ flake, ... }:\n{\n"
            '  imports = [ (flake.outputs.internal.helpers.mkHomeModule "nixos") ];\n}\n',
            "hosts/a/default.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.htop ];\n}\n",
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.hosts) == ["a"]
    # The module is read as far as the host's `specialArgs` tell (`flake` is `self`); the
    # import it computes from its own argument is the opaque part.
    assert messages(repo) == [
        "helpers.nix:1:38: cannot follow this import: the path is interpolated"
    ]
    assert not repo.skipped
    assert main(["migrate", str(root), "--no-git"]) == 0
    assert "home.packages" in "".join(p.read_text() for p in (root / "home").rglob("*.nix"))


@pytest.mark.parametrize(
    "outputs",
    [
        "with site;\n    { nixosConfigurations = machines; }",
        "with site;\n    { inherit machines; nixosConfigurations = machines; }",
        # a known set inside: the names it holds are known, the rest may be the outer set's
        "with site;\n    with { b = 1; };\n    { nixosConfigurations = machines; }",
    ],
    ids=["name", "inherit", "nested"],
)
def test_a_name_a_with_of_an_unknown_set_may_hold_names_that_with(
    tmp_path: Path, outputs: str
) -> None:
    """Why (rule 9: an Unknown has the real reason and place): a name looked up through
    `with <a set homeward cannot read>` was "not defined here", which sent the reader looking
    for a typo; it is the `with`, at its file:line:col, and why its set is not known."""
    site = "      site = import /etc/homeward-site.nix;"
    root = write(tmp_path, {"flake.nix": flake(outputs, site), **HOSTS})
    repo = load_repo(root)
    assert not repo.hosts
    said = "\n".join(messages(repo))
    assert "`machines` may come from `with site;` at " in said, said
    assert "flake.nix:7:5, whose set is not known: " in said, said
    assert "not defined here" not in said, said


def test_a_name_no_with_may_hold_is_not_defined(tmp_path: Path) -> None:
    """The other side: around a `with` of a set read in full, a name that is nowhere is
    not defined (nix would refuse it too)."""
    outputs = "with { b = 1; };\n    { nixosConfigurations = machines; }"
    root = write(tmp_path, {"flake.nix": flake(outputs, MK_HOST), **HOSTS})
    said = "\n".join(messages(load_repo(root)))
    assert "`machines` is not defined here" in said, said


def test_an_inner_with_of_an_unknown_set_hides_an_outer_with(tmp_path: Path) -> None:
    """Why (rule 1): nix looks a name up in the innermost `with` first. Around
    `with <a set homeward cannot read>`, the name an outer `with` holds may be the inner set's,
    so its value is not known: reading the outer one's hosts would read hosts nix may not
    build."""
    outputs = (
        'with { machines = { a = mkHost "a"; }; };\n'
        "    with site;\n"
        "    { nixosConfigurations = machines; }"
    )
    site = MK_HOST + "\n      site = import /etc/homeward-site.nix;"
    root = write(tmp_path, {"flake.nix": flake(outputs, site), **HOSTS})
    repo = load_repo(root)
    assert not repo.hosts, sorted(repo.hosts)
    said = "\n".join(messages(repo))
    assert "`machines` may come from `with site;` at flake.nix:" in said, said


def test_an_inner_with_of_a_known_set_lets_an_outer_with_answer(tmp_path: Path) -> None:
    """The other side: an inner `with` whose set is read in full and lacks the name leaves
    it to the outer `with`, as nix does."""
    outputs = (
        'with { machines = { a = mkHost "a"; }; };\n'
        "    with { b = 1; };\n"
        "    { nixosConfigurations = machines; }"
    )
    root = write(tmp_path, {"flake.nix": flake(outputs, MK_HOST), **HOSTS})
    assert hosts_of(root) == ["a"]


def test_throw_and_abort_say_nix_stops_there(tmp_path: Path) -> None:
    """Why (rule 9: the real cause): `throw` and `abort` are names of nix's global scope; a
    module written `(throw "set up the hardware first")` was "`throw` is not defined here",
    which sent the reader looking for a missing name."""
    outputs = (
        "{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [\n"
        '      (throw "set up the hardware first")\n'
        '      (abort "no disk layout")\n'
        "      ./hosts/a\n"
        "    ]; }; }"
    )
    root = write(tmp_path, {"flake.nix": flake(outputs), **HOSTS})
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["a"]
    said = "\n".join(messages(repo))
    assert "not defined here" not in said, said
    assert '`throw "set up the hardware first"`: nix stops with this error here' in said, said
    assert '`abort "no disk layout"`: nix stops with this error here' in said, said


def test_the_global_builtins_need_no_builtins_prefix(tmp_path: Path) -> None:
    """`baseNameOf`, `dirOf` and `fromTOML` are in nix's global scope, as `map` and `import`
    are: a host named by `baseNameOf` of its path is read."""
    outputs = (
        "{ nixosConfigurations = builtins.listToAttrs (map (p: {\n"
        "      name = baseNameOf (toString p);\n"
        "      value = nixpkgs.lib.nixosSystem { modules = [ p ]; };\n"
        "    }) [ ./hosts/a ./hosts/b ]); }"
    )
    root = write(tmp_path, {"flake.nix": flake(outputs), **HOSTS})
    assert hosts_of(root) == ["a", "b"]


def test_a_choice_says_which_condition_is_not_known_and_why(tmp_path: Path) -> None:
    """Why: `nixosConfigurations = if big then { ... } else { ... }` was said as "it is a
    choice": not which condition, nor why homeward cannot decide it. The message names the
    condition's text and file:line:col, and what makes it unknown: through `big`'s binding
    and its `&&` and `or`, the file `local.nix`, which does not exist."""
    outputs = (
        "{\n      nixosConfigurations =\n        if big then\n"
        "          { a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a ]; }; }\n"
        "        else\n"
        "          { b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b ]; }; };\n    }"
    )
    let = "      local = import ./local.nix;\n      big = (local.big or false) && !local.small;"
    repo = load_repo(write(tmp_path, {"flake.nix": flake(outputs, let), **HOSTS}))
    said = [m for m in messages(repo) if "`nixosConfigurations`" in m]
    expected = (
        "flake.nix:10:9: cannot resolve `nixosConfigurations` statically: it is one of 2 "
        "values, chosen by the condition `big` (flake.nix:10:12), which is not known "
        "statically: `local.nix` does not exist (flake.nix:5:15); it may depend on "
        "`local.nix` (imported at flake.nix:5:15), which is not in the repository: homeward "
        "cannot read what it holds"
    )
    assert said == [expected]


def test_a_name_missing_from_a_partly_known_set_says_why_in_a_sentence(tmp_path: Path) -> None:
    """Why: the name was said to "come from" the set's reason, which is a clause as often as
    a noun: "`b` may come from `filterAttrs` cannot decide whether `a` stays" (hlissner's
    `hey.modules.nixos-hardware`, 20 lines on one corpus configuration)."""
    let = (
        "      mods = nixpkgs.lib.filterAttrs (n: v: n != self.skipped) { a = ./a.nix; };\n"
        "      mkHost = h: nixpkgs.lib.nixosSystem { modules = [ ./hosts/${h} mods.b ]; };"
    )
    outputs = '{ nixosConfigurations.a = mkHost "a"; }'
    root = write(tmp_path, {"flake.nix": flake(outputs, let), **HOSTS, "a.nix": "{ }\n"})
    said = "\n".join(messages(load_repo(root)))
    assert (
        "`b` may be in the part of the set homeward cannot read: "
        "`filterAttrs` cannot decide whether `a` stays"
    ) in said, said
