"""What the model keeps once it has read a configuration: byte spans of module files, not their
trees (a tree costs 30 times its text; `Source.release`, `syntax/find.py`'s `Definition`)."""

from __future__ import annotations

import gc
import hashlib
import json
import os
import subprocess
import sys
import weakref
from dataclasses import replace
from pathlib import Path

import pytest

from homeward.apply.journal import state_dir
from homeward.model.reader import Reader
from homeward.model.repo import ModuleKind, load_repo
from homeward.syntax.find import Definition, ImportRef, Step, import_target, read_module
from homeward.syntax.parse import GIT_CRYPT_HEADER, parse_source
from tests.helpers import make_git_repo
from tests.test_openworld import flake, write

FIXTURES = Path(__file__).parent / "fixtures"


def _fleet(tmp_path: Path) -> Path:
    return write(
        tmp_path,
        {
            "flake.nix": flake(
                "{ nixosConfigurations.pc = nixpkgs.lib.nixosSystem "
                "{ modules = [ ./hosts/pc ]; }; }"
            ),
            "hosts/pc/default.nix": (
                "{ pkgs, ... }:\n{\n  imports = [ ./a.nix ./b.nix ];\n"
                '  networking.hostName = "pc";\n'
                "  users.users.ham = { isNormalUser = true; packages = [ pkgs.git ]; };\n}\n"
            ),
            "hosts/pc/a.nix": (
                "{ lib, pkgs, ... }:\n{\n  # a comment\n"
                "  services.a.enable = lib.mkDefault true;\n"
                "  environment.systemPackages = with pkgs; [ jq ripgrep ];\n}\n"
            ),
            "hosts/pc/b.nix": (
                "{ config, lib, ... }:\n{\n  options.b.x = lib.mkOption { };\n"
                "  config = lib.mkIf config.b.x { programs.git.enable = true; };\n}\n"
            ),
        },
    )


def _shape(d: Definition) -> tuple[object, ...]:
    """A definition as plain data: its path, value span and type, and each step's places."""

    def step(s: Step) -> tuple[object, ...]:
        condition = None if s.condition is None else (s.condition.start_byte, s.condition.type)
        return (s.kind, s.node.start_byte, s.node.end_byte, s.node.type, s.names, condition)

    return (
        d.path,
        d.value_span,
        (d.value.start_byte, d.value.end_byte, d.value.type),
        d.value_text,
        d.skipped,
        d.location,
        tuple(step(s) for s in d.steps),
    )


def _import_shape(ref: ImportRef) -> tuple[object, ...]:
    node = ref.node
    return (
        ref.kind,
        ref.target,
        import_target(ref),
        ref.label,
        ref.conditional,
        ref.location,
        (node.start_byte, node.end_byte, node.type),
    )


def test_module_files_let_their_trees_go_once_read(tmp_path: Path) -> None:
    repo = load_repo(_fleet(tmp_path))
    a, b = repo.modules["hosts/pc/a.nix"], repo.modules["hosts/pc/b.nix"]
    # Nothing holds a node of them: their trees are gone.
    assert not a.source.has_tree
    assert not b.source.has_tree
    # Their definitions still say everything, from a tree parsed again when asked.
    assert [d.dotted for d in a.module.definitions] == [
        "services.a.enable",
        "environment.systemPackages",
    ]
    assert a.module.definitions[1].value_text == "with pkgs; [ jq ripgrep ]"
    assert not a.source.has_tree  # a value's text is read from the bytes
    d = b.module.definitions[0]
    assert (d.dotted, d.skipped) == ("programs.git.enable", 1)
    assert d.conditions[0].type == "select_expression"
    assert str(d.location) == f"{b.source.path}:4:34"
    assert b.module.body is not None and b.module.body.type == "attrset_expression"
    assert b.source.has_tree
    fresh = read_module(parse_source(b.source.text, b.source.path))
    assert [_shape(x) for x in b.module.definitions] == [_shape(x) for x in fresh.definitions]


def test_a_file_that_imports_others_lets_its_tree_go(tmp_path: Path) -> None:
    """Its imports keep byte spans (`ImportRef`, `ModuleRef`), and find their nodes again."""
    repo = load_repo(_fleet(tmp_path))
    host = repo.modules["hosts/pc/default.nix"]
    assert not host.source.has_tree
    refs = host.imports
    assert [(r.kind, str(r.path)) for r in refs] == [
        (ModuleKind.FILE, "hosts/pc/a.nix"),
        (ModuleKind.FILE, "hosts/pc/b.nix"),
    ]
    assert [str(r.location) for r in refs] == [
        "hosts/pc/default.nix:3:15",
        "hosts/pc/default.nix:3:23",
    ]
    assert not host.source.has_tree  # a place is read from the span
    assert [r.node.text for r in refs if r.node is not None] == [b"./a.nix", b"./b.nix"]
    fresh = read_module(parse_source(host.source.text, host.source.path)).imports()
    assert refs[0] == replace(refs[0])
    assert [(i.kind, i.target, i.label, i.conditional) for i in fresh] == [
        (i.kind, i.target, i.label, i.conditional) for i in host.module.imports()
    ]


def test_a_tree_is_kept_while_a_node_of_it_is_held() -> None:
    source = parse_source(b"{ a = 1; }\n", Path("x.nix"))
    node = source.root
    assert not source.release()
    assert source.has_tree
    del node
    assert source.release()
    assert not source.has_tree
    assert source.root.type == "source_code"  # parsed again
    assert source.has_tree


FILES = sorted(FIXTURES.rglob("*.nix"))


def _is_utf8(text: bytes) -> bool:
    try:
        text.decode()
    except UnicodeDecodeError:
        return False
    return True


@pytest.mark.parametrize("chunk", range(4))
def test_definitions_without_nodes_are_those_of_the_tree(chunk: int) -> None:
    """A definition of a whole file keeps no node: its value and steps come from walking the
    file's tree again (parsed again once let go), and must be the walk's own."""
    compared = 0
    for path in FILES[chunk::4]:
        text = path.read_bytes()
        if text.startswith(GIT_CRYPT_HEADER) or not _is_utf8(text):
            continue  # not text: no module to read
        source = parse_source(text, path)
        expr = source.root.child_by_field_name("expression")
        if expr is None:
            continue
        with_nodes = read_module(source, expr)
        del expr
        detached = read_module(parse_source(text, path))
        assert detached.source.release()
        assert [_shape(d) for d in detached.definitions] == [
            _shape(d) for d in with_nodes.definitions
        ]
        assert [_shape(d) for d in detached.declarations] == [
            _shape(d) for d in with_nodes.declarations
        ]
        assert detached.formals == with_nodes.formals
        for name in ("body", "function"):
            mine, theirs = getattr(detached, name), getattr(with_nodes, name)
            assert (mine is None) == (theirs is None)
            if mine is not None and theirs is not None:
                assert (mine.start_byte, mine.end_byte, mine.type) == (
                    theirs.start_byte,
                    theirs.end_byte,
                    theirs.type,
                )
        placed = detached.imports()
        assert [_import_shape(i) for i in placed] == [
            _import_shape(i) for i in with_nodes.imports()
        ]
        compared += len(with_nodes.definitions)
    assert compared > 500


def test_a_reading_command_inside_git_loads_no_openssl(tmp_path: Path) -> None:
    """Why: `hashlib` loads OpenSSL (3.5 MiB of `check`'s peak memory); a read inside git
    hashes nothing (its state lives in `.git/homeward`)."""
    root = make_git_repo(_fleet(tmp_path))
    code, codes, imported = _check_importing(root, ("hashlib",))
    assert code == 1  # the fleet has findings of error severity
    assert {"HW002"} <= codes
    assert imported == set()


def test_a_reading_command_outside_git_loads_no_openssl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: outside git, the state directory is named by the SHA-256 of the repository's path,
    and `hashlib` loaded OpenSSL for it (3.7 MiB: `check` at 50 hosts peaked at 35.6 MiB, now
    32.8). CPython's own SHA-256 names the same directory as before. Nor are `tempfile` (with
    `random`), which only `verify` and `rule` use, and `logging`, which only `--debug` uses
    (0.3 MiB each), `ctypes` (a grammar named by the environment) and `difflib` (a diff, a
    near name): with these, `check` at 50 hosts peaked at 30.5 MiB, now 30.1 (twice the floor
    is 32)."""
    root = _fleet(tmp_path)
    wanted = ("hashlib", "_hashlib", "tempfile", "logging", "ctypes", "difflib")
    code, codes, imported = _check_importing(root, wanted)
    assert code == 1  # the fleet has findings of error severity
    assert {"HW002"} <= codes
    assert imported == set()
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    key = hashlib.sha256(os.fsencode(root)).hexdigest()[:16]
    assert state_dir(root, None) == tmp_path / "state" / "homeward" / key


def test_names_modules_have_alike_are_kept_once() -> None:
    """Why: every module keeps its argument names (`pkgs`, `lib`) and each import's text
    (`./a.nix`, alike in every host): a string each was 1.2 and 0.5 MiB of `check`'s peak at
    200 hosts, a tuple of formals each 0.4 MiB."""
    a = read_module(parse_source(b"{ lib, pkgs, ... }: { imports = [ ./a.nix ]; }", Path("a")))
    b = read_module(parse_source(b"{ config, lib, ... }: { imports = [ ./a.nix ]; }", Path("b")))
    c = read_module(parse_source(b"{ lib, pkgs, ... }: { x = 1; }", Path("c")))
    assert a.formals[0] == b.formals[1] == "lib"
    assert a.formals[0] is b.formals[1]
    assert a.formals == c.formals == ("lib", "pkgs")
    assert a.formals is c.formals
    assert import_target(a.imports()[0]) == import_target(b.imports()[0]) == "./a.nix"
    assert import_target(a.imports()[0]) is import_target(b.imports()[0])


def test_a_file_read_keeps_one_string_for_its_path(tmp_path: Path) -> None:
    """Why: the reader keeps, for each file, the path it was asked for and the real path it
    found (the same text where no symlink is on the way): two strings per file were 0.7 MiB
    of `check`'s peak at 200 hosts. A symlink's real path is still its target's."""
    (tmp_path / "a.nix").write_text("{ }\n")
    (tmp_path / "link.nix").symlink_to("a.nix")
    reader = Reader(tmp_path)
    asked = os.path.join(os.path.realpath(tmp_path), "a.nix")
    assert reader.real(asked, normal=True)[0] is asked
    link = os.path.join(os.path.realpath(tmp_path), "link.nix")
    assert reader.real(link, normal=True)[0] == asked


def test_modules_reached_by_the_same_hosts_share_one_set_of_them(tmp_path: Path) -> None:
    """Why: most modules are reached by one host; a set each was 1.5 MiB of `check`'s peak
    at 200 hosts. Sets that differ stay apart."""
    root = _fleet(tmp_path)
    flake_nix = root / "flake.nix"
    flake_nix.write_text(
        flake_nix.read_text().replace(
            "modules = [ ./hosts/pc ]; }; }",
            "modules = [ ./hosts/pc ]; }; nixosConfigurations.box = nixpkgs.lib.nixosSystem "
            "{ modules = [ ./hosts/pc/a.nix ]; }; }",
        )
    )
    repo = load_repo(root)
    a, b, pc = (
        repo.modules[k] for k in ("hosts/pc/a.nix", "hosts/pc/b.nix", "hosts/pc/default.nix")
    )
    assert a.hosts == {"pc", "box"}
    assert b.hosts == pc.hosts == {"pc"}
    assert b.hosts is pc.hosts


def test_a_model_no_longer_used_is_freed_without_a_garbage_collection(tmp_path: Path) -> None:
    """Why (issue 9): the flake's `self` (its outputs, which refer to it) is a reference
    cycle; when it also held the loader, every module record and the evaluator waited for a
    garbage collection pass once the model was let go, a pass over everything the planned
    read made (0.1 s of `migrate --dry-run` at 200 hosts)."""
    root = _fleet(tmp_path)
    enabled = gc.isenabled()
    gc.disable()
    try:
        repo = load_repo(root)
        assert "hosts/pc/a.nix" in repo.modules
        evaluator = weakref.ref(repo.ev)
        del repo
        assert evaluator() is None
    finally:
        if enabled:
            gc.enable()


def test_trees_parsed_again_for_a_plan_are_let_go_after_it(tmp_path: Path) -> None:
    """Why (issue 9): a plan reads the nodes of the files it edits (their trees parsed again);
    the definitions kept them, and so did the caches of roots and of the last descent, all
    through migrate's check (5 MiB at 200 hosts, every host's file)."""
    from homeward.syntax.edit import ancestors

    repo = load_repo(_fleet(tmp_path))
    host = repo.modules["hosts/pc/default.nix"]
    assert not host.source.has_tree
    packages = next(d for d in host.module.definitions if d.path[-1] == "packages")
    before = (packages.value.start_byte, packages.value.type, [s.names for s in packages.steps])
    assert ancestors(packages.value, host.source.text)  # remembered: the root, the descent
    assert host.source.has_tree
    repo.release_trees()
    assert not host.source.has_tree
    # Asked again, the definition walks its file again: the same place.
    assert (
        packages.value.start_byte,
        packages.value.type,
        [s.names for s in packages.steps],
    ) == before
    assert packages.value_text == "[ pkgs.git ]"


def test_a_read_for_no_plan_keeps_nothing_for_a_planned_read(tmp_path: Path) -> None:
    """Why: what a read of the planned tree may take (`Repo.read`: each module file's source,
    module and imports) is for `migrate` and `add`; `check` and `graph` check no plan, and
    it was 1.4 MiB of `check`'s peak at 200 hosts."""
    root = _fleet(tmp_path)
    kept = load_repo(root)
    assert {str(s.path) for s, *_ in kept.read.values()} == {
        "hosts/pc/default.nix",
        "hosts/pc/a.nix",
        "hosts/pc/b.nix",
    }
    assert load_repo(root, reusable=False).read == {}


def _check_importing(root: Path, wanted: tuple[str, ...]) -> tuple[int, set[str], set[str]]:
    """`check --format json` run on `root` in a process of its own: its exit code, the codes
    it finds, and which of the modules `wanted` it imported."""
    probe = (
        "import sys\n"
        "from homeward.cli import main\n"
        "code = main(['check', sys.argv[1], '--format', 'json'])\n"
        f"wanted = {wanted!r}\n"
        "sys.stderr.write(' '.join(m for m in wanted if m in sys.modules) + '\\n')\n"
        "sys.exit(code)\n"
    )
    p = subprocess.run(
        [sys.executable, "-c", probe, str(root)], capture_output=True, text=True, check=False
    )
    assert p.returncode in (0, 1), p.stderr
    codes = {f["code"] for f in json.loads(p.stdout)["findings"]}
    return p.returncode, codes, set(p.stderr.splitlines()[-1].split())


def _imports_the_planner(root: Path) -> tuple[set[str], set[str]]:
    """The codes `check` finds in `root`, and which of migrate's planner and the Nix builder
    it imported."""
    _, codes, imported = _check_importing(root, ("homeward.plan.migrate", "homeward.syntax.emit"))
    return codes, imported


def test_check_imports_the_planner_only_for_a_finding_migrate_may_fix(tmp_path: Path) -> None:
    """Why: the planner is 70 modules (0.05 s and 2-4 MiB of `check`), the Nix builder 7 ms;
    most configurations have no finding that asks whether `homeward migrate` fixes it."""
    codes, imported = _imports_the_planner(_fleet(tmp_path / "legacy"))
    assert "HW002" in codes
    assert imported == {"homeward.plan.migrate", "homeward.syntax.emit"}
    clean = write(
        tmp_path / "clean",
        {
            "flake.nix": flake(
                "{ nixosConfigurations.pc = nixpkgs.lib.nixosSystem "
                "{ modules = [ ./hosts/pc ]; }; }"
            ),
            "hosts/pc/default.nix": (
                '{ ... }:\n{\n  networking.hostName = "pc";\n  system.stateVersion = "25.05";\n}\n'
            ),
        },
    )
    codes, imported = _imports_the_planner(clean)
    assert not codes & {"HW001", "HW002", "HW003"}
    assert imported == set()
