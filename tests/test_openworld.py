"""The open world (docs/architecture.md, rules 9-14): partial knowledge is normal, reading never
stops at the first unknown, and what cannot be read is named with its place."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from homeward.errors import HomewardError
from homeward.model.repo import ProblemKind, Repo, load_repo
from homeward.syntax.find import read_module
from homeward.syntax.parse import parse_source


def test_formals_with_defaults_are_read_in_linear_time() -> None:
    """Why: a regular expression over formals backtracked exponentially on a default after
    long identifiers (`enableSshConfig ? true` took 1.8 s; longer lists never finished)."""
    formals = ", ".join(f"enableSomethingQuiteLong{i}" for i in range(8))
    text = f"{{ lib, pkgs, config, {formals}, enableSshConfig ? true, ... }}: {{ }}\n".encode()
    start = time.perf_counter()
    module = read_module(parse_source(text, Path("m.nix")))
    elapsed = time.perf_counter() - start
    assert "enableSshConfig" in module.formals
    assert "enableSomethingQuiteLong7" in module.formals
    assert elapsed < 0.5, f"reading the formals took {elapsed:.2f} s"


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode() if isinstance(text, str) else text)
    return root


def flake(outputs: str, inputs: str = "") -> str:
    return (
        "{\n"
        '  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n'
        f"{inputs}"
        f"  outputs = {{ self, nixpkgs, ... }}@inputs: {outputs};\n"
        "}\n"
    )


HOST = '{ networking.hostName = "x"; }\n'


def refs(repo: Repo, host: str) -> list[tuple[str, str, str]]:
    return [
        (r.kind.value, str(r.path) if r.path else r.label[:40], r.maybe[:9])
        for r in repo.hosts[host].modules
    ]


def test_partly_known_module_list_is_still_a_host(tmp_path: Path) -> None:
    """Why: one computed entry (`++ extraModules` from a helper argument) made the whole flake
    unreadable; its literal entries are known, the rest is one opaque module."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    mkHost = { name, extraModules }: nixpkgs.lib.nixosSystem {
      modules = [ ./hosts/${name} ] ++ extraModules;
    };
  in {
    nixosConfigurations.a = mkHost { name = "a"; extraModules = inputs.foo.modules; };
    nixosConfigurations.b = mkHost { name = "b"; };
  }"""
            ),
            "hosts/a/default.nix": HOST,
            "hosts/b/default.nix": HOST,
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.hosts) == ["a", "b"]
    assert [r[:2] for r in refs(repo, "a")] == [
        ("file", "hosts/a/default.nix"),
        ("unknown", "no attribute `foo`"),
    ]
    assert refs(repo, "b")[0] == ("file", "hosts/b/default.nix", "")
    assert refs(repo, "b")[1][0] == "unknown"


def test_computed_lists_keep_every_possible_module(tmp_path: Path) -> None:
    """Why: `lib.optional c ./x.nix`, both branches of an `if`, `map` over names, `flatten`,
    `listFilesRecursive` and a let-bound `if` are common in real module lists."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """let
    lib = nixpkgs.lib;
    gpu = if self.isLaptop then ./modules/intel.nix else ./modules/nvidia.nix;
  in {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem {
      modules = lib.flatten [
        [ ./hosts/a ]
        (lib.optional self.wantsDocker ./modules/docker.nix)
        (if self.server then [ ./modules/server.nix ] else [ ./modules/desktop.nix ])
        (map (n: ./modules/${n}.nix) [ "base" ])
        gpu
        (lib.filesystem.listFilesRecursive ./auto)
      ];
    };
  }"""
            ),
            "hosts/a/default.nix": HOST,
            **{
                f"modules/{n}.nix": "{ }\n"
                for n in ("docker", "server", "desktop", "base", "intel", "nvidia")
            },
            "auto/one.nix": "{ }\n",
            "auto/sub/two.nix": "{ }\n",
        },
    )
    repo = load_repo(root)
    found = refs(repo, "a")
    assert ("file", "hosts/a/default.nix", "") in found
    assert ("file", "modules/docker.nix", "`optional") in found
    assert ("file", "modules/server.nix", "the condi") in found
    assert ("file", "modules/desktop.nix", "the condi") in found
    assert ("file", "modules/base.nix", "") in found
    assert ("file", "auto/one.nix", "") in found
    assert ("file", "auto/sub/two.nix", "") in found
    assert ("file", "modules/intel.nix", "the condi") in found
    assert ("file", "modules/nvidia.nix", "the condi") in found
    assert not [f for f in found if f[0] == "unknown"]
    # Maybe-imported modules are reached, and frozen for that host.
    assert repo.modules["modules/docker.nix"].frozen.keys() == {"a"}
    assert not repo.modules["modules/base.nix"].frozen


def test_outputs_built_with_update_operators(tmp_path: Path) -> None:
    """Why: `eachDefaultSystem (...) // { nixosConfigurations = ...; }`, `recursiveUpdate`,
    `makeOverridable` and `removeAttrs` hid every host."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """inputs.flake-utils.lib.eachDefaultSystem (system: { packages = { }; })
    // nixpkgs.lib.recursiveUpdate { } {
      nixosConfigurations = removeAttrs {
        a = nixpkgs.lib.makeOverridable nixpkgs.lib.nixosSystem { modules = [ ./hosts/a ]; };
        gone = nixpkgs.lib.nixosSystem { modules = [ ]; };
        nixpkgs = nixpkgs;
      } [ "gone" ];
    }"""
            ),
            "hosts/a/default.nix": HOST,
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["a"]
    ignored = [p for p in repo.problems if p.kind is ProblemKind.IGNORED]
    assert [p.message for p in ignored] == [
        "`nixosConfigurations.nixpkgs` is not a system configuration: ignored"
    ]


def test_unreadable_host_is_skipped_and_named(tmp_path: Path) -> None:
    """Why: one host's broken or encrypted file stopped every host; a file no host reaches
    never blocks anything."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./hosts/a ./common.nix ]; };
    nixosConfigurations.b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b ./common.nix ]; };
    nixosConfigurations.c = nixpkgs.lib.nixosSystem { modules = [ ./hosts/c ]; };
  }"""
            ),
            "hosts/a/default.nix": HOST,
            "hosts/b/default.nix": '{ imports = [ ./secret.nix ]; networking.hostName = "b"; }\n',
            "hosts/b/secret.nix": b"\x00GITCRYPT\x00\xff\xfe binary",
            "hosts/c/default.nix": "",
            "common.nix": "{ }\n",
            "unused/broken.nix": "{ this is not nix",
        },
    )
    repo = load_repo(root)
    repo.fatal()
    assert sorted(repo.hosts) == ["a"]
    assert sorted(repo.skipped) == ["b", "c"]
    assert repo.skipped["c"].message.startswith("`hosts/c/default.nix` cannot be read")
    assert str(repo.skipped["b"].at).startswith("hosts/b/secret.nix:1:")
    # Files the skipped host reads are frozen: it is not rewired.
    assert repo.modules["common.nix"].hosts == {"a"}
    assert set(repo.modules["common.nix"].frozen) == {"b"}


def test_no_host_at_all_is_exit_3(tmp_path: Path) -> None:
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.a = nixpkgs.lib.nixosSystem { modules = [ ./a.nix ]; }; }"
            ),
            "a.nix": "{ broken",
        },
    )
    repo = load_repo(root)
    with pytest.raises(HomewardError, match="cannot be read"):
        repo.fatal()


def test_darwin_hosts_and_exports_are_recorded_and_freeze_what_they_read(tmp_path: Path) -> None:
    """Why: a module shared by a nix-darwin host and a NixOS host had its packages moved for
    the NixOS host only; the Mac silently lost them."""
    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.pc = nixpkgs.lib.nixosSystem { modules = [ ./hosts/pc ./shared.nix ]; };
    darwinConfigurations.mac = inputs.nix-darwin.lib.darwinSystem {
      modules = [ ./hosts/mac.nix ./shared.nix ];
    };
    nixosModules.tools = ./modules/tools.nix;
  }""",
                '  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin";\n',
            ),
            "hosts/pc/default.nix": HOST,
            "hosts/mac.nix": "{ }\n",
            "shared.nix": "{ imports = [ ./modules/tools.nix ]; }\n",
            "modules/tools.nix": "{ }\n",
        },
    )
    repo = load_repo(root)
    assert sorted(repo.hosts) == ["pc"]
    assert sorted(repo.others) == ["darwinConfigurations.mac"]
    assert repo.others["darwinConfigurations.mac"].kind == "darwin"
    assert repo.modules["shared.nix"].hosts == {"pc"}
    assert set(repo.modules["shared.nix"].frozen) == {"darwinConfigurations.mac"}
    assert set(repo.modules["modules/tools.nix"].frozen) == {
        "darwinConfigurations.mac",
        "nixosModules.tools",
    }
    assert not repo.modules["hosts/pc/default.nix"].frozen


def test_migrate_leaves_a_module_shared_with_a_darwin_host_byte_identical(tmp_path: Path) -> None:
    """Why: measured on a real configuration: `users.users.<u>.packages` in a module shared by a
    nix-darwin host and a NixOS host was moved for the NixOS host only; the Mac lost them."""
    from homeward.model.index import build_index
    from homeward.plan.migrate import MigrateOptions, plan_migration

    root = write(
        tmp_path,
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.pc = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/pc ./shared.nix ];
    };
    darwinConfigurations.mac = inputs.nix-darwin.lib.darwinSystem {
      modules = [ ./shared.nix ];
    };
  }""",
                '  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin";\n',
            ),
            "hosts/pc/default.nix": "{ pkgs, ... }:\n{\n"
            "  users.users.kim.isNormalUser = true;\n"
            "  users.users.kim.packages = [ pkgs.htop ];\n}\n",
            "shared.nix": "{ pkgs, ... }:\n{\n  users.users.kim.packages = [ pkgs.git ];\n}\n",
        },
    )
    plan = plan_migration(build_index(load_repo(root)), MigrateOptions())
    touched = {str(e.path) for e in plan.edits} | {str(d.path) for d in plan.deletes}
    assert "shared.nix" not in touched
    assert "hosts/pc/default.nix" in touched  # the NixOS host's own file still migrates
    assert any(
        "`shared.nix` is left as it is" in d.message and "darwin" in d.message
        for d in plan.diagnostics
    )


def test_check_strict_makes_opaque_parts_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `check` in CI may want a configuration homeward reads completely; what it cannot
    read is then an error, and the text says how much was read."""
    from tests.test_check import CASES, run_check

    case = CASES["hw012-import-not-followed"][0]
    loose = run_check(case, tmp_path / "a", monkeypatch, capsys)
    strict = run_check(case, tmp_path / "b", monkeypatch, capsys, "--strict")
    assert loose.code == 0
    assert strict.code == 1
    assert strict.out.splitlines()[-2:] == [
        "1 error, 0 warnings",
        "read 1 host, 1 home, 1 user, 7 files; 1 opaque module",
    ]
