"""The planned read (`load_planned`): the configuration as it would be read once a plan is
written, read without writing it. What migrate's validation (plan/invariants.py) proves rests
on it, so it must be the model a read of the written tree gives, whatever it takes from the
first read of the disk (issue 9: the records of files the plan leaves as they are)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from homeward.apply.write import compute_changes
from homeward.model.index import build_index
from homeward.model.repo import ModuleKind, ModuleRef, ProblemKind, Repo, load_planned, load_repo
from homeward.plan.migrate import MigrateOptions, plan_migration
from tests.helpers import copy_tree, make_git_repo

FIXTURES = Path(__file__).parent / "fixtures" / "migrate"
CASES = sorted(
    p.name
    for p in FIXTURES.iterdir()
    if (p / "before").is_dir() and not p.name.startswith("refuse")
)

Summary = dict[str, object]


def _ref(ref: ModuleRef) -> tuple[object, ...]:
    return (
        ref.kind,
        None if ref.path is None else ref.path.as_posix(),
        ref.label,
        ref.maybe,
        ref.dynamic,
        None if ref.source is None else ref.source.path.as_posix(),
        None if ref.node is None else (ref.node.start_byte, ref.node.end_byte),
    )


def summary(repo: Repo) -> Summary:
    """Everything a model says, in terms that do not depend on where the tree is."""
    modules = {
        key: (
            info.context,
            None if info.path is None else info.path.as_posix(),
            [_ref(r) for r in info.imports],
            sorted(info.hosts),
            sorted(info.users),
            sorted(info.pairs),
            sorted(info.frozen.items()),
            [d.path for d in info.module.definitions],
        )
        for key, info in repo.modules.items()
    }
    configs = {
        f"{kind}:{name}": (config.context, config.kind, [_ref(r) for r in config.modules])
        for kind, group in (("host", repo.hosts), ("home", repo.homes), ("other", repo.others))
        for name, config in group.items()
    }
    return {
        "modules": modules,
        "configs": configs,
        "edges": list(repo.edges),
        "problems": [(p.kind, p.message, str(p.at), p.hint) for p in repo.problems],
        "skipped": {name: p.message for name, p in repo.skipped.items()},
    }


def written(root: Path, files: Mapping[str, bytes | None], where: Path) -> Path:
    """A copy of the tree at `root` with `files` written (None: removed)."""
    copy = copy_tree(root, where)
    for name, text in files.items():
        path = copy / name
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text)
    return copy


def write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def taken(before: Repo, after: Repo) -> set[str]:
    """The modules of `after` whose resolved imports are the ones `before` read."""
    lists = {id(info.imports) for info in before.modules.values() if info.imports}
    return {key for key, info in after.modules.items() if id(info.imports) in lists}


@pytest.mark.parametrize("case", CASES)
def test_the_planned_read_is_the_read_of_the_written_tree(case: str, tmp_path: Path) -> None:
    """Why (#9): the planned read takes the first read's records of the files a plan leaves
    as they are; what it says must still be, to the byte span, what reading the tree the
    plan writes says, and what it says taking nothing from the first read."""
    root = copy_tree(FIXTURES / case / "before", tmp_path / "repo")
    repo = load_repo(root, darwin=True)
    plan = plan_migration(build_index(repo), MigrateOptions())
    files = {c.path.as_posix(): c.new for c in compute_changes(repo.root, plan)}
    planned = load_planned(repo, files)
    fresh = load_repo(written(root, files, tmp_path / "written"), darwin=True)
    assert summary(planned) == summary(fresh)
    assert summary(load_planned(replace(repo, read={}), files)) == summary(planned)


def unchanged_importer(*, later: bool = False) -> dict[str, str]:
    """A host whose file the plans below never touch: it imports a file and a directory with
    a default.nix; with `later`, a directory without one too."""
    files = {
        "flake.nix": """{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-25.05";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/desk ];
    };
  };
}
""",
        "hosts/desk/default.nix": """{
  imports = [
    ./hardware.nix
    ../../modules/base
    ../../modules/later
  ];
  networking.hostName = "desk";
}
""",
        "hosts/desk/hardware.nix": "{ boot.loader.grub.enable = true; }\n",
        "modules/base/default.nix": "{ services.openssh.enable = true; }\n",
        "modules/later/note.txt": "not a module\n",
    }
    if not later:
        files["hosts/desk/default.nix"] = files["hosts/desk/default.nix"].replace(
            "    ../../modules/later\n", ""
        )
    return files


PLANS: dict[str, tuple[dict[str, bytes | None], dict[str, str]]] = {
    # The plan moves the file the host imports: the import now names nothing.
    "moved-file": (
        {"hosts/desk/hardware.nix": None, "hosts/desk/hw.nix": b"{ }\n"},
        {"./hardware.nix": "missing"},
    ),
    # It removes the directory's default.nix: the import is a directory without one.
    "removed-default": (
        {"modules/base/default.nix": None},
        {"../../modules/base": "no default.nix"},
    ),
    # It writes a default.nix where there was none: the directory is a module now.
    "new-default": (
        {"modules/later/default.nix": b"{ services.printing.enable = true; }\n"},
        {"../../modules/later": "modules/later/default.nix"},
    ),
}


@pytest.mark.parametrize("name", sorted(PLANS))
def test_an_unchanged_file_whose_imports_the_plan_moves_is_resolved_again(
    name: str, tmp_path: Path
) -> None:
    """Why (#9): the host's file keeps its text, so its first read could be taken as it was;
    but what its imports name is the plan's, and a record taken from before the plan would
    hide that (a moved file still read, a module nobody imports any more). Each import the
    plan changes is resolved on the planned tree, as reading the written tree does."""
    files, expected = PLANS[name]
    # A directory without default.nix is a problem: imports are then all resolved again,
    # to say it again (only `new-default` needs one).
    later = name == "new-default"
    root = write(tmp_path / "repo", unchanged_importer(later=later))
    repo = load_repo(root)
    kinds = [r.kind for r in repo.modules["hosts/desk/default.nix"].imports]
    assert kinds == [ModuleKind.FILE, ModuleKind.FILE, *([ModuleKind.UNKNOWN] * later)]
    planned = load_planned(repo, files)
    desk = planned.modules["hosts/desk/default.nix"]
    assert desk.source is repo.modules["hosts/desk/default.nix"].source  # the text is the same
    assert "hosts/desk/default.nix" not in taken(repo, planned)
    texts = {
        desk.source.text_of(r.node): (r.label if r.kind is ModuleKind.UNKNOWN else str(r.path))
        for r in desk.imports
        if r.node is not None
    }
    for written_as, now in expected.items():
        assert texts[written_as] == now
    fresh = load_repo(written(root, files, tmp_path / "written"))
    assert summary(planned) == summary(fresh)
    if name == "moved-file":
        assert any(
            p.kind is ProblemKind.MISSING and "hosts/desk/hardware.nix" in p.message
            for p in planned.problems
        )
        assert "hosts/desk/hardware.nix" not in planned.modules


def test_an_import_of_a_symlink_the_plan_removes_is_resolved_again(tmp_path: Path) -> None:
    """The import names a symlink; the file it led to stays. Removing the symlink leaves the
    import naming nothing, though the file the first read found is untouched."""
    given = unchanged_importer()
    given["hosts/desk/default.nix"] = given["hosts/desk/default.nix"].replace(
        "./hardware.nix", "./link.nix"
    )
    root = write(tmp_path / "repo", given)
    (root / "hosts/desk/link.nix").symlink_to("hardware.nix")
    repo = load_repo(root)
    assert str(repo.modules["hosts/desk/default.nix"].imports[0].path) == "hosts/desk/hardware.nix"
    files: dict[str, bytes | None] = {"hosts/desk/link.nix": None}
    planned = load_planned(repo, files)
    assert "hosts/desk/default.nix" not in taken(repo, planned)
    assert planned.modules["hosts/desk/default.nix"].imports[0].label == "missing"
    assert summary(planned) == summary(load_repo(written(root, files, tmp_path / "written")))


def test_imports_the_plan_leaves_are_taken_from_the_first_read(tmp_path: Path) -> None:
    """Why (#9): re-resolving the imports of every file the plan leaves as it is made a new
    record of each import of thousands of files; where the plan touches nothing an import
    names (here it writes a file beside the directory's default.nix, and the imported file
    anew), the first read's are taken, and say what reading the written tree says."""
    root = write(tmp_path / "repo", unchanged_importer())
    repo = load_repo(root)
    files: dict[str, bytes | None] = {
        "modules/base/extra.nix": b"{ }\n",  # beside the imported directory's default.nix
        "hosts/desk/hardware.nix": b"{ boot.loader.systemd-boot.enable = true; }\n",  # anew
        "hosts/desk/old.nix": None,  # a file nothing imports, removed
    }
    planned = load_planned(repo, files)
    assert taken(repo, planned) == {"hosts/desk/default.nix"}
    desk = planned.modules["hosts/desk/default.nix"]
    assert (
        planned.modules["hosts/desk/hardware.nix"].source.text == files["hosts/desk/hardware.nix"]
    )
    assert [str(r.path) for r in desk.imports] == [
        "hosts/desk/hardware.nix",
        "modules/base/default.nix",
    ]
    writes = {name: text for name, text in files.items() if text is not None}
    fresh = load_repo(written(root, writes, tmp_path / "written"))
    assert summary(planned) == summary(fresh)


def test_a_planned_read_offers_no_resolution_to_the_next(tmp_path: Path) -> None:
    """Imports resolved through an overlay are the overlay's, not the disk's: a read of the
    tree of another plan must not take them."""
    root = write(tmp_path / "repo", unchanged_importer(later=True))
    repo = load_repo(root)
    assert repo.read and all(found[3] is not None for found in repo.read.values())
    planned = load_planned(repo, {"modules/later/default.nix": b"{ }\n"})
    assert planned.modules["hosts/desk/default.nix"].imports[2].kind is ModuleKind.FILE
    assert not planned.read


def beside_the_flake() -> dict[str, str]:
    """A flake in `nixos/` whose host imports modules beside it, in the same work tree."""
    return {
        "nixos/flake.nix": """{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-25.05";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/desk ];
    };
  };
}
""",
        "nixos/hosts/desk/default.nix": """{
  imports = [
    ../../../modules/extra.nix
    ../../../modules/base
  ];
}
""",
        "modules/extra.nix": "{ programs.git.enable = true; }\n",
        "modules/base/default.nix": "{ services.openssh.enable = true; }\n",
    }


@pytest.mark.parametrize("moved", [False, True])
def test_imports_beside_the_flake_are_taken_or_resolved_again(moved: bool, tmp_path: Path) -> None:
    """Why: a file beside the flake's directory (`../modules/x.nix`, in the same work tree)
    is named from the flake's directory with `..`; the check of what the plan touches must
    find it under that name too, or a moved file would still be read."""
    top = make_git_repo(write(tmp_path / "repo", beside_the_flake()))
    repo = load_repo(top / "nixos")
    desk = repo.modules["hosts/desk/default.nix"]
    assert [str(r.path) for r in desk.imports] == [
        "../modules/extra.nix",
        "../modules/base/default.nix",
    ]
    files: dict[str, bytes | None] = {"../modules/base/more.nix": b"{ }\n"}
    if moved:
        files["../modules/extra.nix"] = None
    planned = load_planned(repo, files)
    assert ("hosts/desk/default.nix" in taken(repo, planned)) is not moved
    kinds = [r.kind for r in planned.modules["hosts/desk/default.nix"].imports]
    assert kinds == [ModuleKind.UNKNOWN if moved else ModuleKind.FILE, ModuleKind.FILE]
    copy = written(top, {f"nixos/{k}": v for k, v in files.items()}, tmp_path / "written")
    assert summary(planned) == summary(load_repo(copy / "nixos"))
