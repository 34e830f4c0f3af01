"""How a module's imports are resolved (`model/load/refs.py`): what each import names, where it
is written, and what is said of one that leads nowhere. Why: the loader resolves imports with
strings (one `lstat` per file, no `Path` per import) and keeps byte spans, not nodes, for a file
that imports others (its tree is let go); each answer must stay the one `Path.resolve()` and
the tree give."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

from pytest import MonkeyPatch

from homeward.errors import HomewardError
from homeward.model.load.refs import _joined
from homeward.model.repo import ModuleKind, ProblemKind, load_repo
from homeward.syntax import find
from homeward.syntax.find import ImportRef, import_target, read_module
from homeward.syntax.parse import parse_source
from tests.test_openworld import flake, write

HOST = """{ ... }:
{
  imports = [
    ./.
    ../shared
    ./hw
    ./link.nix
    ../../../modules/out.nix
    ./empty
    ./missing.nix
    ./loop.nix
    ./nowhere/../x.nix
    ./dirlink
  ];
}
"""


def _repo(tmp_path: Path) -> Path:
    root = write(
        tmp_path / "repo",
        {
            "flake.nix": flake(
                """{
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/desk/host.nix ];
    };
  }"""
            ),
            "hosts/desk/host.nix": HOST,
            "hosts/desk/default.nix": '{ networking.hostName = "desk"; }\n',
            "hosts/shared/default.nix": '{ time.timeZone = "UTC"; }\n',
            "hosts/desk/hw/default.nix": "{ boot.loader.grub.enable = false; }\n",
            "hosts/desk/real.nix": "{ services.openssh.enable = true; }\n",
            "hosts/desk/x.nix": "{ programs.zsh.enable = true; }\n",
            "hosts/desk/empty/README": "nothing here\n",
            "hosts/desk/target/default.nix": "{ programs.fish.enable = true; }\n",
        },
    )
    (root / "hosts/desk/link.nix").symlink_to("real.nix")
    (root / "hosts/desk/loop.nix").symlink_to("loop.nix")
    (root / "hosts/desk/dirlink").symlink_to("target")
    (tmp_path / "modules").mkdir()
    (tmp_path / "modules/out.nix").write_text("{ }\n")
    return root


def test_each_kind_of_import_resolves_as_path_resolve_does(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    repo = load_repo(root)
    host = repo.modules["hosts/desk/host.nix"]
    found = [(r.kind, str(r.path) if r.path is not None else "", r.label) for r in host.imports]
    assert found == [
        (ModuleKind.FILE, "hosts/desk/default.nix", ""),  # `./.`: the directory's default.nix
        (ModuleKind.FILE, "hosts/shared/default.nix", ""),
        (ModuleKind.FILE, "hosts/desk/hw/default.nix", ""),
        (ModuleKind.FILE, "hosts/desk/real.nix", ""),  # a symlink: the file it names
        (ModuleKind.EXTERNAL, "", str(tmp_path / "modules/out.nix")),  # outside: never read
        (ModuleKind.UNKNOWN, "", "no default.nix"),
        (ModuleKind.UNKNOWN, "hosts/desk/missing.nix", "missing"),
        (ModuleKind.UNKNOWN, "hosts/desk/loop.nix", "missing"),  # nothing there to read
        (ModuleKind.FILE, "hosts/desk/x.nix", ""),  # `..` read lexically, as nix does
        (ModuleKind.FILE, "hosts/desk/target/default.nix", ""),  # a linked directory
    ]
    for ref in host.imports:
        if ref.kind is ModuleKind.FILE:
            assert ref.path is not None
            real = Path(os.path.join(root, os.fspath(ref.path))).resolve()
            assert real.is_file() and real.is_relative_to(root.resolve())
            assert str(ref.path) in repo.modules
    kinds = {p.kind for p in repo.problems}
    assert {ProblemKind.OUTSIDE, ProblemKind.NO_DEFAULT, ProblemKind.MISSING} <= kinds
    assert ProblemKind.LOOP in kinds
    messages = [p.message for p in repo.problems]
    assert f"the import `{tmp_path}/modules/out.nix` leads outside the repository" in messages
    assert "the import `hosts/desk/empty/` is a directory without default.nix" in messages
    assert "the import `hosts/desk/missing.nix` does not exist" in messages
    assert "the import `hosts/desk/loop.nix` is a symlink loop" in messages


def test_imports_keep_their_places_when_the_tree_is_let_go(tmp_path: Path) -> None:
    """Each import's place (what a finding points at, and what an edit replaces) is the one
    a fresh parse of the file gives, also once the importing file's tree was let go."""
    repo = load_repo(_repo(tmp_path))
    host = repo.modules["hosts/desk/host.nix"]
    fresh = read_module(parse_source(host.source.text, host.source.path)).imports()
    assert len(fresh) == len(host.imports) == 10
    for ref, again in zip(host.imports, fresh, strict=True):
        assert ref.location == host.source.location(again.node.start_byte)
        node = ref.node
        assert node is not None
        assert (node.start_byte, node.end_byte, node.type) == (
            again.node.start_byte,
            again.node.end_byte,
            again.node.type,
        )
    problems = {p.message: p.at for p in repo.problems}
    at = problems["the import `hosts/desk/missing.nix` does not exist"]
    assert at is not None and (str(at.path), at.line, at.col) == ("hosts/desk/host.nix", 10, 5)


FIXTURES = Path(__file__).parent / "fixtures"


def _as_written(ref: ImportRef) -> tuple[object, ...]:
    node = ref.node
    return (
        ref.kind,
        ref.target,
        ref.label,
        ref.conditional,
        str(ref.location),
        (node.start_byte, node.end_byte, node.kind_id),
    )


def test_a_whole_file_s_imports_are_those_of_its_module_read_with_nodes() -> None:
    """A whole file's imports (kept as spans; a written list read without walking its tree
    again when nothing in the file is conditional) are what the module read with its nodes
    says, for every fixture and for lists mixing every kind of import."""
    texts = [f.read_bytes() for f in sorted(FIXTURES.rglob("*.nix"))]
    texts += [
        (
            b"{ imports = [ ./a.nix ../b /abs.nix ~/x.nix <nixpkgs/x.nix> (./c.nix) ./d/${x}.nix "
            b'"${modulesPath}/m.nix" inputs.x.nixosModules.y { } (import ./e.nix) '
            b"# ./f.nix\n ./g-h_i+j.nix ]; }"
        ),
        b"{ lib, ... }: { imports = lib.optionals c [ ./a.nix ] ++ [ ./b.nix ]; }",
        b"{ lib, ... }: lib.mkIf c { imports = [ ./a.nix ]; }",
        b"{ imports = [ ./a.nix ]; config.imports = [ ./b.nix ]; }",
        b'{ imports = [ ./a.nix ]; x = "\\\\"; }',
    ]
    compared = 0
    for text in texts:
        try:
            source = parse_source(text, Path("m.nix")).check()
        except HomewardError:
            continue
        expr = source.root.child_by_field_name("expression")
        assert expr is not None
        fast = read_module(source).imports()
        slow = read_module(source, expr).imports()
        assert [_as_written(r) for r in fast] == [_as_written(r) for r in slow], text
        compared += len(slow)
    assert compared > 100


def test_a_list_of_paths_is_read_without_walking_the_file_again(monkeypatch: MonkeyPatch) -> None:
    source = parse_source(HOST.encode(), Path("hosts/desk/host.nix"))
    module = read_module(source)

    def walked_again(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the file was walked again")

    monkeypatch.setattr(find, "_walked_again", walked_again)
    refs = module.imports()
    assert [import_target(r) for r in refs][:3] == ["./.", "../shared", "./hw"]


def test_an_import_is_joined_to_its_directory_as_normpath_joins_it() -> None:
    """The loader joins most written paths (`./a/b.nix`) as text: always what `normpath` says."""
    names = ("a", "x.nix", ".", "..", ".hidden", "")
    for base in ("/", "/r", "/r/s.d"):
        for count in range(1, 4):
            for parts in itertools.product(names, repeat=count):
                for lead in ("./", "../", "", "/"):
                    for tail in ("", "/"):
                        target = lead + "/".join(parts) + tail
                        if target:
                            assert _joined(base, target) == os.path.normpath(
                                os.path.join(base, target)
                            ), (base, target)
