"""`homeward check` on nix-darwin hosts: darwin's own traps as rules (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import make_git_repo

FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
  inputs.nix-darwin.inputs.nixpkgs.follows = "nixpkgs";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
  outputs =
    { self, nixpkgs, nix-darwin, home-manager, ... }:
    {
      darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
        modules = [
          home-manager.darwinModules.home-manager
          ./mac.nix
          { home-manager.users.kim.home.stateVersion = "25.05"; }
        ];
      };
      homeConfigurations."ham@mac" = home-manager.lib.homeManagerConfiguration {
        pkgs = nixpkgs.legacyPackages.aarch64-darwin;
        modules = [ ./home.nix ];
      };
    };
}
"""

MAC = """{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  system.stateVersion = 6;
  system.primaryUser = "ham";
  users.users.ham.home = "/Users/ham";
  home-manager.users.ham = import ./home.nix;
}
"""

HOME = """{
  home.username = "ham";
  home.homeDirectory = "/Users/ham";
  home.stateVersion = "25.05";
}
"""


def make(tmp_path: Path, *, flake: str = FLAKE, mac: str = MAC, home: str = HOME) -> Path:
    root = tmp_path / "repo"
    root.mkdir(parents=True)
    (root / "flake.nix").write_text(flake)
    (root / "mac.nix").write_text(mac)
    (root / "home.nix").write_text(home)
    return make_git_repo(root)


def findings(root: Path, capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    main(["check", str(root), "--format", "json"])
    found: list[dict[str, object]] = json.loads(capsys.readouterr().out)["findings"]
    return found


def codes(found: list[dict[str, object]]) -> list[str]:
    return [str(f["code"]) for f in found]


def test_a_clean_darwin_flake_has_no_darwin_finding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path, flake=FLAKE.replace("users.kim.home.stateVersion", "useGlobalPkgs"))
    root_mac = (root / "mac.nix").read_text()
    assert 'users.users.ham.home = "/Users/ham"' in root_mac
    found = findings(root, capsys)
    assert not {"HW018", "HW019"} & set(codes(found)), found


def test_a_home_manager_user_without_users_users_home_on_a_mac(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): nix-darwin leaves `users.users.<u>.home` null unless set, and home-manager's
    darwin module then cannot evaluate (`home.homeDirectory` is null): one error per user, at
    the `home-manager.users.<u>` that wires the home."""
    root = make(tmp_path)  # kim is wired inline, without users.users.kim.home
    found = [f for f in findings(root, capsys) if f["code"] == "HW018"]
    assert len(found) == 1, found
    assert found[0]["path"] == f"{root}/flake.nix" or str(found[0]["path"]).endswith("flake.nix")
    assert found[0]["severity"] == "error"
    assert "`home-manager.users.kim`" in str(found[0]["message"])
    assert "`darwinConfigurations.mac`" in str(found[0]["message"])
    assert 'users.users.kim.home = "/Users/kim"' in str(found[0]["hint"])
    # ham sets it; setting kim's too leaves nothing.
    (root / "mac.nix").write_text(MAC.replace("}\n", '  users.users.kim.home = "/Users/kim";\n}\n'))
    assert "HW018" not in codes(findings(root, capsys))


def test_a_mac_with_a_computed_user_name_leaves_the_other_macs_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a Mac whose account name homeward cannot read (`users.users.${…}`) may set any
    user's home, so HW018 says nothing of it; it also said nothing of every Mac after it."""
    flake = FLAKE.replace(
        "      darwinConfigurations.mac =",
        "      darwinConfigurations.aaa = nix-darwin.lib.darwinSystem { modules = [ ./aaa.nix ]; };\n"
        "      darwinConfigurations.mac =",
    )
    root = make(tmp_path, flake=flake)
    aaa = '{ config, ... }:\n{\n  users.users.${config.me}.home = "/Users/me";\n}\n'
    (root / "aaa.nix").write_text(aaa)
    found = [f for f in findings(root, capsys) if f["code"] == "HW018"]
    assert ["`darwinConfigurations.mac`" in str(f["message"]) for f in found] == [True]


def test_home_directory_under_home_on_a_mac(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): a Mac's homes are under /Users; `/home/<u>` from a Linux home makes
    home-manager write the files where nothing reads them (or fail to activate)."""
    root = make(tmp_path, home=HOME.replace("/Users/ham", "/home/ham"))
    found = [f for f in findings(root, capsys) if f["code"] == "HW019"]
    assert len(found) == 1, found
    assert str(found[0]["path"]).endswith("home.nix") and found[0]["line"] == 3
    assert "`/home/ham`" in str(found[0]["message"])
    assert "/Users/ham" in str(found[0]["hint"])
    # Inline in the darwin host's module list, too.
    flake = FLAKE.replace(
        'home.stateVersion = "25.05";',
        'home.stateVersion = "25.05"; home-manager.users.kim.home.homeDirectory = "/home/kim";',
    )
    root2 = make(tmp_path / "b", flake=flake)
    found = [f for f in findings(root2, capsys) if f["code"] == "HW019"]
    assert [str(f["path"]).rsplit("/", 1)[-1] for f in found] == ["flake.nix"]


def test_home_directory_under_home_on_linux_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the home is used on Linux only (`ham@pc`); the Mac does not import it (it did
    before issue 12's check on Macs, where home.nix on the Mac rightly gives HW019)."""
    flake = FLAKE.replace("aarch64-darwin", "x86_64-linux").replace('"ham@mac"', '"ham@pc"')
    mac = MAC.replace("  home-manager.users.ham = import ./home.nix;\n", "")
    root = make(tmp_path, flake=flake, mac=mac, home=HOME.replace("/Users/ham", "/home/ham"))
    assert "HW019" not in codes(findings(root, capsys))


def test_graph_draws_a_darwin_host_on_the_system_side_with_its_platform(tmp_path: Path) -> None:
    """Why (#12): a Mac is a host like the NixOS ones: in the System subgraph, its platform
    shown (from `nixpkgs.hostPlatform` or `system = ...`), so that a reader tells it apart."""
    from homeward.model.graph import NodeKind, Side, build_graph
    from homeward.model.repo import load_repo

    root = make(tmp_path)
    graph = build_graph(load_repo(root))
    hosts = [n for n in graph.nodes if n.kind is NodeKind.HOST]
    assert [(n.label, n.side) for n in hosts] == [("mac (aarch64-darwin)", Side.SYSTEM)]
    # `system = ...` on the call, no hostPlatform.
    flake = FLAKE.replace(
        "modules = [\n          home",
        'system = "x86_64-darwin";\n        modules = [\n          home',
    )
    root2 = make(
        tmp_path / "b", flake=flake, mac=MAC.replace('nixpkgs.hostPlatform = "aarch64-darwin";', "")
    )
    hosts = [n for n in build_graph(load_repo(root2)).nodes if n.kind is NodeKind.HOST]
    assert [n.label for n in hosts] == ["mac (x86_64-darwin)"]


def test_the_graph_legend_names_nix_darwin_where_the_flake_has_macs(tmp_path: Path) -> None:
    """Why (#12): the legend said "System: NixOS modules" of a flake whose System side is a
    Mac's; it names nix-darwin's modules there, and both where Macs and NixOS hosts share it."""
    from homeward.model.graph import build_graph
    from homeward.model.repo import load_repo
    from homeward.render.graph import GraphFormat, render_graph
    from tests.conftest import FIXTURES

    mac = build_graph(load_repo(make(tmp_path)))
    shared = build_graph(load_repo(FIXTURES / "migrate" / "darwin-shared" / "before"))
    for fmt in (GraphFormat.MERMAID, GraphFormat.DOT):
        assert "System: nix-darwin modules" in render_graph(mac, fmt)
        assert "System: NixOS and nix-darwin modules" in render_graph(shared, fmt)


LEGACY_MAC = """{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  system.stateVersion = 6;
  system.primaryUser = "ham";
  users.users.ham.home = "/Users/ham";
  users.users.ham.packages = [ pkgs.ripgrep pkgs.jq ];
}
"""

LEGACY_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
  inputs.nix-darwin.inputs.nixpkgs.follows = "nixpkgs";
  outputs = { self, nixpkgs, nix-darwin, ... }: {
    darwinConfigurations.mac = nix-darwin.lib.darwinSystem { modules = [ ./mac.nix ]; };
  };
}
"""


def test_migrate_on_a_mac_only_flake_migrates_the_mac(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12, measured): on a Mac-only flake with `users.users.ham.packages`, migrate said
    "nothing to do: the configuration is already in the home-manager layout" while check
    reported HW002 and pointed at migrate. The Mac is now migrated like a NixOS host, through
    home-manager's darwin module (it said "does not migrate yet" in between)."""
    root = make(tmp_path, flake=LEGACY_FLAKE, mac=LEGACY_MAC)
    before = (root / "mac.nix").read_bytes()
    capsys.readouterr()
    assert main(["migrate", str(root), "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert "already in the home-manager layout" not in out
    assert "does not migrate" not in out + err
    assert "home-manager.darwinModules.home-manager" in out
    assert '"ham@mac" = home-manager.lib.homeManagerConfiguration' in out
    assert "nixpkgs.legacyPackages.aarch64-darwin" in out
    assert (root / "mac.nix").read_bytes() == before


def test_a_mac_named_like_a_nixos_host_is_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): hosts are known by name; a Mac with the name of a NixOS host cannot be told
    apart from it, so what it reads stays byte-identical, with the reason (rule 10)."""
    flake = LEGACY_FLAKE.replace(
        "darwinConfigurations.mac =",
        'nixosConfigurations.mac = nixpkgs.lib.nixosSystem { system = "x86_64-linux"; '
        "modules = [ ./desk.nix ]; };\n    darwinConfigurations.mac =",
    )
    root = make(tmp_path, flake=flake, mac=LEGACY_MAC)
    (root / "desk.nix").write_text(
        "{ pkgs, ... }: { users.users.ham = { isNormalUser = true; packages = [ pkgs.jq ]; }; }\n"
    )
    capsys.readouterr()
    assert main(["migrate", str(root), "--dry-run", "--allow-dirty"]) == 0
    out, err = capsys.readouterr()
    assert "darwinModules" not in out
    assert "`darwinConfigurations.mac` has the name of a NixOS host" in err


def test_user_defaults_without_primary_user_on_a_mac(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): current nix-darwin refuses `system.defaults` and `homebrew` without
    `system.primaryUser` (the user they apply to; it was whoever ran darwin-rebuild before).
    One error per host, at its first such definition."""
    mac = MAC.replace('  system.primaryUser = "ham";\n', "")
    mac = mac.replace(
        "}\n", "  system.defaults.dock.autohide = true;\n  homebrew.enable = true;\n}\n"
    )
    flake = FLAKE.replace('{ home-manager.users.kim.home.stateVersion = "25.05"; }', "")
    root = make(tmp_path, flake=flake, mac=mac)  # ham alone: the hint names ham
    found = [f for f in findings(root, capsys) if f["code"] == "HW020"]
    assert len(found) == 1, found
    assert str(found[0]["path"]).endswith("mac.nix") and found[0]["line"] == 7
    assert "`darwinConfigurations.mac`" in str(found[0]["message"])
    assert 'system.primaryUser = "ham";' in str(found[0]["hint"])
    (root / "mac.nix").write_text(mac.replace("}\n", '  system.primaryUser = "ham";\n}\n'))
    assert "HW020" not in codes(findings(root, capsys))


def test_user_defaults_on_a_nix_darwin_without_primary_user_are_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): `system.primaryUser` came with nix-darwin 25.05; on `nix-darwin-24.11` the
    option does not exist, and following HW020's hint would break the build: no finding."""
    mac = MAC.replace('  system.primaryUser = "ham";\n', "")
    mac = mac.replace("}\n", "  system.defaults.dock.autohide = true;\n}\n")
    flake = FLAKE.replace('{ home-manager.users.kim.home.stateVersion = "25.05"; }', "")
    old = flake.replace("25.05", "24.11")
    assert "HW020" not in codes(findings(make(tmp_path / "old", flake=old, mac=mac), capsys))
    assert "HW020" in codes(findings(make(tmp_path / "new", flake=flake, mac=mac), capsys))


def test_a_mac_with_an_opaque_module_may_set_home_and_primary_user(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12, measured on two real Macs): HW018 and HW020 say an option is set nowhere,
    which homeward cannot know when a module of the Mac is opaque (a list computed with a
    function from outside the repository): that module may set it. The opaque module is
    reported (HW012); the two rules stay quiet for that Mac."""
    flake = FLAKE.replace(
        '          { home-manager.users.kim.home.stateVersion = "25.05"; }\n        ];',
        "        ] ++ nixpkgs.lib.fileset.toList ./users;",
    )
    mac = MAC.replace('  system.primaryUser = "ham";\n', "").replace(
        '  users.users.ham.home = "/Users/ham";\n', "  system.defaults.dock.autohide = true;\n"
    )
    found = codes(findings(make(tmp_path / "opaque", flake=flake, mac=mac), capsys))
    assert "HW012" in found
    assert "HW018" not in found and "HW020" not in found
    known = flake.replace(" ++ nixpkgs.lib.fileset.toList ./users", "")
    found = codes(findings(make(tmp_path / "known", flake=known, mac=mac), capsys))
    assert "HW018" in found and "HW020" in found


WIRED_MAC = """{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  nixpkgs.config.allowUnfree = true;
  system.stateVersion = 6;
  users.users.ham.home = "/Users/ham";
  environment.systemPackages = [ pkgs.ripgrep ];
  home-manager.users.ham = import ./home.nix;
}
"""

WIRED_FLAKE = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
  inputs.nix-darwin.url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
  inputs.nix-darwin.inputs.nixpkgs.follows = "nixpkgs";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";
  inputs.home-manager.inputs.nixpkgs.follows = "nixpkgs";
  outputs = { self, nixpkgs, nix-darwin, home-manager, ... }: {
    darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
      modules = [ home-manager.darwinModules.home-manager ./mac.nix ];
    };
  };
}
"""


def test_the_home_manager_rules_run_on_a_mac(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12, measured): `check` read a Mac as a frozen "other" host: its home-manager
    wiring was never looked at. A home without `home.stateVersion` (HW007), `nixpkgs.config`
    that home-manager does not see (HW008), a package twice (HW010) and no standalone entry
    (HW005) went unreported on a Mac and were reported on the same NixOS host; and `seen`
    counted no user. The rules run on the Mac's wiring, saying nix-darwin where it is a Mac."""
    home = "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n}\n"
    root = make(tmp_path, flake=WIRED_FLAKE, mac=WIRED_MAC, home=home)
    main(["check", str(root), "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    found = out["findings"]
    by_code = {str(f["code"]): f for f in found}
    assert {"HW005", "HW007", "HW008", "HW010"} <= set(by_code), found
    assert "nix-darwin module" in str(by_code["HW005"]["message"])
    assert "NixOS" not in str(by_code["HW005"]["message"])
    assert "`ham` on `mac`" in str(by_code["HW007"]["message"])
    assert str(by_code["HW007"]["path"]).endswith("home.nix")
    assert "`nixpkgs.config`" in str(by_code["HW008"]["message"])
    assert "`ripgrep`" in str(by_code["HW010"]["message"])
    assert out["seen"]["hosts"] == 0 and out["seen"]["darwin_hosts"] == 1
    assert out["seen"]["users"] == 1
    # The same home with its state version, the host's pkgs and a standalone entry: clean.
    fixed = WIRED_MAC.replace(
        "  home-manager.users.ham", "  home-manager.useGlobalPkgs = true;\n  home-manager.users.ham"
    ).replace("environment.systemPackages = [ pkgs.ripgrep ];", "")
    flake = WIRED_FLAKE.replace(
        "  };\n}\n",
        '    homeConfigurations."ham@mac" = home-manager.lib.homeManagerConfiguration {\n'
        "      pkgs = nixpkgs.legacyPackages.aarch64-darwin;\n"
        "      modules = [ ./home.nix ];\n    };\n  };\n}\n",
    )
    home = home.replace(
        "}\n",
        '  home.username = "ham";\n  home.homeDirectory = "/Users/ham";\n'
        '  home.stateVersion = "25.05";\n}\n',
    )
    root2 = make(tmp_path / "clean", flake=flake, mac=fixed, home=home)
    assert codes(findings(root2, capsys)) == []


def test_a_home_under_home_wired_into_a_mac(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): HW019 looked at standalone homes and inline wiring only; a home file the Mac
    imports through `home-manager.users.ham = import ./home.nix` with a Linux home directory
    went unreported."""
    home = HOME.replace("/Users/ham", "/home/ham")
    root = make(tmp_path, flake=WIRED_FLAKE, mac=WIRED_MAC, home=home)
    found = [f for f in findings(root, capsys) if f["code"] == "HW019"]
    assert len(found) == 1, found
    assert str(found[0]["path"]).endswith("home.nix") and found[0]["line"] == 3
    assert "`ham` on `darwinConfigurations.mac`" in str(found[0]["message"])


def test_primary_user_hint_on_a_mac_with_several_users(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): with two users on the Mac the hint said `"<user>"`; it names who may be
    meant (migrate's answer, the index's: one fact, one place), and `launchd.user` needs the
    primary user too (nix-darwin's `system.requiresPrimaryUser`)."""
    mac = MAC.replace('  system.primaryUser = "ham";\n', "").replace(
        "}\n",
        '  launchd.user.agents.hi.command = "true";\n  users.users.kim.home = "/Users/kim";\n}\n',
    )
    root = make(tmp_path, mac=mac)
    found = [f for f in findings(root, capsys) if f["code"] == "HW020"]
    assert len(found) == 1, found
    assert "`launchd.user`" in str(found[0]["message"])
    assert str(found[0]["hint"]).endswith("one of `ham`, `kim`"), found[0]["hint"]
