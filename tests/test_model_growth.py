"""What the walk records of each module where its cost once grew faster than the fleet
(issue 9): the (host, user) pairs that reach a module (a set per module while the graph is
walked, not a new frozen set per add), the host name a computed import sees (an index, not a
scan of every module per host), and the consumers that freeze a module (one shared empty
mapping for the modules none freezes)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from homeward.model.repo import SHARED_MODULES, ModuleInfo, Repo, load_repo
from tests.test_openworld import flake, write

OUTPUTS = """{
    nixosConfigurations = {
      a = nixpkgs.lib.nixosSystem {
        modules = [ ./hosts/a ./modules/late.nix ./modules/common.nix ];
      };
      b = nixpkgs.lib.nixosSystem { modules = [ ./hosts/b ./modules/common.nix ]; };
      c = nixpkgs.lib.nixosSystem { modules = [ ./hosts/c ./modules/common.nix ]; };
    };
    nixosModules.late = ./modules/late.nix;
  }"""

FILES = {
    "flake.nix": flake(OUTPUTS),
    # `a` is named by the first module read that sets a literal name: not the `mkDefault`
    # before it, not `late.nix` read after it.
    "hosts/a/default.nix": """{ lib, ... }:
{
  imports = [ ./name.nix ];
  networking.hostName = lib.mkDefault "nope";
  home-manager.users.ann = import ../../home/common.nix;
  home-manager.users.bob = import ../../home/common.nix;
}
""",
    "hosts/a/name.nix": '{ networking.hostName = "alpha"; }\n',
    "modules/late.nix": '{ networking.hostName = "late"; }\n',
    # `b` sets no name: its attribute's.
    "hosts/b/default.nix": "{ home-manager.users.ann = import ../../home/common.nix; }\n",
    "hosts/c/default.nix": """{
  networking.hostName = "gamma";
  home-manager.users.bob = import ../../home/common.nix;
}
""",
    "modules/common.nix": """{ config, ... }:
{
  imports = [ ../hosts/${config.networking.hostName}/hw.nix ];
}
""",
    "hosts/alpha/hw.nix": '{ boot.loader.grub.device = "/dev/sda"; }\n',
    "hosts/late/hw.nix": '{ boot.loader.grub.device = "/dev/sdz"; }\n',
    "hosts/b/hw.nix": '{ boot.loader.grub.device = "/dev/sdb"; }\n',
    "hosts/gamma/hw.nix": '{ boot.loader.grub.device = "/dev/sdc"; }\n',
    "home/common.nix": "{ imports = [ ./git.nix ]; }\n",
    "home/git.nix": "{ programs.git.enable = true; }\n",
}


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    return load_repo(write(tmp_path_factory.mktemp("growth") / "repo", FILES))


def test_each_home_module_has_the_pairs_that_reach_it(repo: Repo) -> None:
    # `home/git.nix` is reached by the first pair through a walk, by the others through the
    # shortcut for a module already followed (`Walk._reached`): both add to the same set.
    pairs = {("a", "ann"), ("a", "bob"), ("b", "ann"), ("c", "bob")}
    assert repo.modules["home/common.nix"].pairs == pairs
    assert repo.modules["home/git.nix"].pairs == pairs
    assert all(isinstance(m.pairs, frozenset) for m in repo.modules.values())


def test_modules_no_user_reaches_share_one_empty_pairs(repo: Repo) -> None:
    empty = [m.pairs for m in repo.modules.values() if not m.pairs]
    assert len(empty) > 5
    assert {id(p) for p in empty} == {id(ModuleInfo.__dataclass_fields__["pairs"].default)}


def test_a_computed_import_sees_the_first_literal_host_name_read(repo: Repo) -> None:
    hw = {k: sorted(m.hosts) for k, m in repo.modules.items() if k.endswith("hw.nix")}
    assert hw == {
        "hosts/alpha/hw.nix": ["a"],
        "hosts/b/hw.nix": ["b"],
        "hosts/gamma/hw.nix": ["c"],
    }


def test_modules_none_freezes_share_one_read_only_mapping(repo: Repo) -> None:
    assert "nixosModules.late" in repo.modules["modules/late.nix"].frozen
    empty = [m.frozen for m in repo.modules.values() if not m.frozen]
    assert len(empty) > 5
    assert len({id(f) for f in empty}) == 1
    with pytest.raises(TypeError):
        empty[0]["someone"] = "why"  # type: ignore[index]


def test_an_opaque_import_every_host_reads_is_looked_into_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (issue 9): a shared module's opaque import is one for each host reading it, and what
    it may import was looked for in every module for each of them (hosts x modules: 2.8 s of
    reading 200 hosts). Once per import now; each host still freezes what it may import."""
    from homeward.model.reach import Reach

    hosts = [f"h{n}" for n in range(6)]
    entries = " ".join(
        f"{h} = nixpkgs.lib.nixosSystem {{ modules = [ ./hosts/{h}.nix ./modules/common.nix ]; }};"
        for h in hosts
    )
    files = {
        "flake.nix": flake(f"{{ nixosConfigurations = {{ {entries} }}; }}"),
        "modules/common.nix": "{ pkgs, ... }:\n{\n  imports = [ (pkgs.callPackage ./extra { }) ];\n}\n",
        "modules/extra/a.nix": "{ services.a.enable = true; }\n",
        "hosts/h0.nix": "{ imports = [ ../modules/extra/a.nix ]; }\n",
        **{f"hosts/{h}.nix": f'{{ networking.hostName = "{h}"; }}\n' for h in hosts[1:]},
    }
    looked = []
    has_file = Reach.has_file

    def counted(self: Reach, rel: str) -> bool:
        looked.append(rel)
        return has_file(self, rel)

    monkeypatch.setattr(Reach, "has_file", counted)
    repo = load_repo(write(tmp_path / "repo", files))
    assert len(repo.opaque) == 1
    assert len(looked) <= len(repo.modules)
    extra = repo.modules["modules/extra/a.nix"]
    # Each host reading the import may read the file through it (it is h0's own import too).
    assert set(extra.frozen) == set(hosts)
    assert all(f"an opaque module `{h}` reads may import it" in extra.frozen[h] for h in hosts)
    assert not repo.modules["hosts/h1.nix"].frozen


def test_inline_modules_of_one_file_are_searched_once_each_naming_its_host(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (issue 9): each module written inline in flake.nix searched the whole file for a
    host name and for `home-manager.sharedModules` (a planned flake of 200 hosts is 0.6 MB:
    13% of reading the planned tree). The file is searched once; each inline module still
    gives its own name (or none), and only a module that lists shared modules freezes them."""
    from homeward.model.load import refs

    entries = " ".join(
        f'h{n} = nixpkgs.lib.nixosSystem {{ modules = [ {{ networking.hostName = "n{n}"; }} '
        "./modules/common.nix ]; };"
        for n in range(3)
    )
    shared = (
        "h3 = nixpkgs.lib.nixosSystem { modules = [ "
        "{ home-manager.sharedModules = [ ./home/shared.nix ]; } ./modules/common.nix "
        "./home/shared.nix ]; };"
    )
    files = {
        "flake.nix": flake(f"{{ nixosConfigurations = {{ {entries} {shared} }}; }}"),
        "modules/common.nix": "{ config, ... }:\n{\n"
        "  imports = [ ../hosts/${config.networking.hostName}/hw.nix ];\n}\n",
        **{
            f"hosts/n{n}/hw.nix": f'{{ boot.loader.grub.device = "/dev/sd{n}"; }}\n'
            for n in range(3)
        },
        "hosts/h3/hw.nix": '{ boot.loader.grub.device = "/dev/sdz"; }\n',
        "home/shared.nix": "{ programs.git.enable = true; }\n",
    }
    asked: list[bytes] = []
    may_name = refs._may_name_host

    def counted(written: bytes) -> bool:
        asked.append(written)
        return may_name(written)

    monkeypatch.setattr(refs, "_may_name_host", counted)
    repo = load_repo(write(tmp_path / "repo", files))
    flake_text = (tmp_path / "repo" / "flake.nix").read_bytes()
    assert asked.count(flake_text) == 1
    hw = {k: sorted(m.hosts) for k, m in repo.modules.items() if k.endswith("hw.nix")}
    assert hw == {
        "hosts/n0/hw.nix": ["h0"],
        "hosts/n1/hw.nix": ["h1"],
        "hosts/n2/hw.nix": ["h2"],
        "hosts/h3/hw.nix": ["h3"],
    }
    assert set(repo.modules["home/shared.nix"].frozen) == {f"{SHARED_MODULES} of `h3`"}
    assert not any(m.frozen for m in repo.modules.values() if m.key.endswith("hw.nix"))


def test_an_import_written_in_many_files_is_resolved_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (issue 9): a module every host imports (a user's, a shared directory's default.nix)
    was resolved again from its path for each importer (stats and look-ups in git's index):
    7,369 of 16,025 imports of a planned 200-host tree. Resolved once per load now; each
    importer still has its edge, and an import that leads nowhere is still reported where
    each file writes it."""
    from homeward.model.reader import Reader
    from homeward.model.repo import ProblemKind

    hosts = [f"h{n}" for n in range(4)]
    entries = " ".join(
        f"{h} = nixpkgs.lib.nixosSystem {{ modules = [ ./hosts/{h}.nix ]; }};" for h in hosts
    )
    files = {
        "flake.nix": flake(f"{{ nixosConfigurations = {{ {entries} }}; }}"),
        **{
            f"hosts/{h}.nix": "{ imports = [ ../modules/shared ../modules/user.nix ../modules/gone.nix ]; }\n"
            for h in hosts
        },
        "modules/shared/default.nix": "{ imports = [ ../user.nix ]; }\n",
        "modules/user.nix": "{ programs.git.enable = true; }\n",
    }
    asked: list[str] = []
    real = Reader.real

    def counted(self: Reader, path: str, *, normal: bool = False) -> tuple[str, int | None]:
        asked.append(path)
        return real(self, path, normal=normal)

    monkeypatch.setattr(Reader, "real", counted)
    root = write(tmp_path / "repo", files)
    repo = load_repo(root)
    shared = os.path.join(os.path.realpath(root), "modules", "shared")
    assert asked.count(shared) == 1
    assert sorted(repo.modules["modules/shared/default.nix"].hosts) == hosts
    assert sorted(repo.modules["modules/user.nix"].hosts) == hosts
    edges = set(repo.edges)
    assert all((f"hosts/{h}.nix", "modules/user.nix") in edges for h in hosts)
    assert ("modules/shared/default.nix", "modules/user.nix") in edges
    missing = [p for p in repo.problems if p.kind is ProblemKind.MISSING]
    assert sorted(str(p.at.path) for p in missing if p.at is not None) == [
        f"hosts/{h}.nix" for h in hosts
    ]
