"""The result cache of `check`, `graph` and `migrate --dry-run` (homeward/apply/cache.py): a
warm run prints what a cold one prints, byte for byte, and any change the answer depends on is
a miss.

Why (issue 9): a repeated run on an unchanged configuration answers without reading the model;
a stale answer is worse than a slow one, so every test compares with `--no-cache`.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from homeward.apply import cache
from homeward.cli import main

from .conftest import EXAMPLE
from .helpers import copy_tree, git, make_git_repo, write


@pytest.fixture(autouse=True)
def _trusted_times(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why: the files of a test are minutes old to no one; a stored answer needs files that
    changed more than RACY_NS ago (`test_a_file_changed_just_now_keeps_no_answer` uses it)."""
    monkeypatch.setattr(cache, "RACY_NS", 0)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_git_repo(copy_tree(EXAMPLE, tmp_path / "config"))


@pytest.fixture
def log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="homeward")
    yield caplog


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def answered(log: pytest.LogCaptureFixture) -> bool:
    """Whether the last run answered from the cache (and forget what was logged)."""
    hit = "answered from" in log.text
    log.clear()
    return hit


def entries(folder: Path, command: str = "") -> list[Path]:
    return sorted(folder.rglob(f"{command}*.json"))


def cached_dir() -> Path:
    return Path(os.environ["HOMEWARD_CACHE_DIR"])


# -- check --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "flags",
    [(), ("--format", "json"), ("--format", "sarif"), ("--exit-zero",), ("--strict",)],
    ids=["text", "json", "sarif", "exit-zero", "strict"],
)
def test_check_warm_is_cold(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    log: pytest.LogCaptureFixture,
    flags: tuple[str, ...],
) -> None:
    cold = run(capsys, "check", str(repo), "--no-cache", *flags)
    assert not answered(log)
    assert run(capsys, "check", str(repo), *flags) == cold
    assert not answered(log)
    assert run(capsys, "check", str(repo), *flags) == cold
    assert answered(log)
    assert cold[0] == (0 if "--exit-zero" in flags else 1)  # the example has error findings


def test_check_output_follows_the_run_that_prints(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    """Why: the findings are kept, not their text: colour, the format and --exit-zero of a
    warm run are its own."""
    run(capsys, "check", str(repo), "--color", "never")
    for flags in (("--color", "always"), ("--format", "json"), ("--exit-zero",)):
        warm = run(capsys, "check", str(repo), *flags)
        assert answered(log), flags
        assert warm == run(capsys, "check", str(repo), "--no-cache", *flags)
    assert "\x1b[" in run(capsys, "check", str(repo), "--color", "always")[1]


def test_no_cache_neither_reads_nor_keeps(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    log: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    run(capsys, "check", str(repo), "--no-cache")
    assert entries(cached_dir()) == []
    monkeypatch.setenv("HOMEWARD_NO_CACHE", "1")
    run(capsys, "check", str(repo))
    assert entries(cached_dir()) == []
    monkeypatch.setenv("HOMEWARD_NO_CACHE", "0")
    run(capsys, "check", str(repo))
    run(capsys, "check", str(repo))
    assert answered(log)


def _change(repo: Path, how: str) -> None:
    """One change to the example repository, as a user makes it."""
    desk = repo / "hosts" / "nixos-desk" / "default.nix"
    text = desk.read_text()
    if how == "edit":
        desk.write_text(
            text.replace(
                "  imports = [", "  users.users.ham.packages = [ pkgs.jq ];\n  imports = [", 1
            )
        )
    elif how == "same-size edit":
        assert "true" in text
        desk.write_text(text.replace("true", "tRue", 1))
    elif how == "touch":
        desk.touch()
    elif how == "untracked file":
        write(repo, {"notes/todo.nix": "{ }\n"})
    elif how == "intent to add":
        write(repo, {"hosts/nixos-desk/extra.nix": "{ pkgs, ... }: { }\n"})
        git(repo, "add", "-N", "hosts/nixos-desk/extra.nix")
    elif how == "rename":
        git(repo, "mv", "home/ham.nix", "home/hamm.nix")
    elif how == "symlink":
        (repo / "home" / "ham.nix").rename(repo / "home" / "ham-real.nix")
        (repo / "home" / "ham.nix").symlink_to("ham-real.nix")
    elif how == "config file":
        write(repo, {"homeward.toml": '[check]\nignore = ["HW002"]\n'})
    else:
        raise AssertionError(how)


CHANGES = [
    "edit",
    "same-size edit",
    "touch",
    "untracked file",
    "intent to add",
    "rename",
    "symlink",
    "config file",
]


@pytest.mark.parametrize("how", CHANGES)
def test_a_change_is_never_answered_from_before(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture, how: str
) -> None:
    run(capsys, "check", str(repo))
    _change(repo, how)
    log.clear()
    for args in (("check", str(repo)), ("check", str(repo), "--format", "json")):
        assert run(capsys, *args) == run(capsys, *args, "--no-cache")
        if args[-1] == str(repo) and how not in ("touch", "untracked file"):
            # Those two may keep the answer (nothing nix reads changed); the rest must not.
            assert not answered(log)


def test_an_answer_changes_with_its_change(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: the changes above are real ones: the answer before is not the answer after."""
    before = run(capsys, "check", str(repo), "--format", "json")
    _change(repo, "config file")
    after = run(capsys, "check", str(repo), "--format", "json")
    assert after != before
    assert "HW002" in before[1] and "HW002" not in after[1]


def test_an_untracked_file_is_in_the_key_where_it_counts(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    """Why (rule 12): an import of a file git does not track is an opaque module (nix does not
    see it), so its text does not change the answer; adding it to git does, and so does an
    untracked file where migrate would write one (it never overwrites it). Neither may be
    answered from before."""
    desk = repo / "hosts" / "nixos-desk" / "default.nix"
    desk.write_text(desk.read_text().replace("imports = [", "imports = [ ./untracked.nix", 1))
    write(repo, {"hosts/nixos-desk/untracked.nix": "{ ... }: { }\n"})
    first = run(capsys, "check", str(repo), "--format", "json")
    assert "is not tracked by git" in first[1]
    write(
        repo,
        {
            "hosts/nixos-desk/untracked.nix": "{ pkgs, ... }: { users.users.ham.packages = [ pkgs.jq ]; }\n"
        },
    )
    second = run(capsys, "check", str(repo), "--format", "json")
    assert second == run(capsys, "check", str(repo), "--format", "json", "--no-cache")
    assert second == first  # nix does not see it: nor does homeward
    git(repo, "add", "--intent-to-add", "hosts/nixos-desk/untracked.nix")
    log.clear()
    third = run(capsys, "check", str(repo), "--format", "json")
    assert not answered(log)
    assert third == run(capsys, "check", str(repo), "--format", "json", "--no-cache")
    assert "is not tracked by git" not in third[1] and "untracked.nix" in third[1]

    dry = run(capsys, "migrate", str(repo), "--dry-run")
    assert dry[0] == 0 and "home/ham/default.nix" in dry[1], dry
    write(repo, {"home/ham/default.nix": "# the user's own draft, not added yet\n{ }\n"})
    log.clear()
    refused = run(capsys, "migrate", str(repo), "--dry-run")
    assert not answered(log)
    assert refused[0] == 3 and "`home/ham/default.nix` already exists" in refused[2], refused


@pytest.mark.parametrize("how", ["option", "cwd", "version", "schema", "environment"])
def test_what_else_the_answer_depends_on_is_in_the_key(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    log: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    how: str,
) -> None:
    run(capsys, "check", str(repo))
    args = ["check", str(repo)]
    if how == "option":
        args += ["--select", "HW001"]
    elif how == "cwd":
        monkeypatch.chdir(repo)
        args = ["check"]
    elif how == "version":
        monkeypatch.setattr(cache, "__version__", "99.0")
    elif how == "schema":
        monkeypatch.setattr(cache, "SCHEMA", cache.SCHEMA + 1)
    else:
        monkeypatch.setenv("HOMEWARD_NIX_GRAMMAR", str(repo / "no-such-grammar"))
    log.clear()
    if how == "environment":
        key = cache.make_key("check", repo, {})
        monkeypatch.delenv("HOMEWARD_NIX_GRAMMAR")
        assert key.digest != cache.make_key("check", repo, {}).digest
        return
    assert run(capsys, *args) == run(capsys, *args, "--no-cache")
    assert "answered from" not in log.text


def test_every_file_of_homeward_is_in_the_key(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    """Why: an editable install changes without a new version: each of homeward's files (its
    data too, which `check` reads) is in the key, and a read of them keeps the answer."""
    import homeward

    package = Path(homeward.__file__).parent
    code = {part.split("\0")[1] for part in cache._code() if part.startswith("code\0")}
    assert "/model/repo.py" in code and "/knowledge/data/hm_options.json" in code
    assert "/apply/cache.py" in code
    assert len(code) == sum(
        1 for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    )
    run(capsys, "check", str(repo))
    assert "kept in" in log.text


def test_a_corrupt_entry_is_a_cold_run(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    cold = run(capsys, "check", str(repo))
    [entry] = entries(cached_dir(), "check")
    for damage in (b"", b"{not json", entry.read_bytes()[:-20], b'{"homeward-cache": 1}'):
        entry.write_bytes(damage)
        assert run(capsys, "check", str(repo)) == cold
        assert not answered(log)
    # An entry of the right key whose data is of another shape: a miss, then mended.
    data = json.loads(entry.read_text())
    data["data"] = ["c", "NoSuchClass"]
    entry.write_text(json.dumps(data))
    assert run(capsys, "check", str(repo)) == cold
    assert not answered(log)
    assert run(capsys, "check", str(repo)) == cold
    assert answered(log)


def test_a_cache_that_cannot_be_written_is_no_cache(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cold = run(capsys, "check", str(repo), "--no-cache")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory\n")
    monkeypatch.setenv("HOMEWARD_CACHE_DIR", str(blocked))
    assert run(capsys, "check", str(repo)) == cold
    assert run(capsys, "check", str(repo)) == cold

    def full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setenv("HOMEWARD_CACHE_DIR", str(tmp_path / "full"))
    monkeypatch.setattr(os, "replace", full)
    assert run(capsys, "check", str(repo)) == cold
    assert [p.name for p in (tmp_path / "full").rglob("*")] == [
        p.name for p in (tmp_path / "full").rglob("*") if p.is_dir()
    ]  # no entry, and no temporary file left


def test_a_file_changed_just_now_keeps_no_answer(
    repo: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: an edit within the same tick of the clock as the last leaves the file's times as
    they were (git's "racy" entries): no answer is kept while a file is that fresh."""
    monkeypatch.setattr(cache, "RACY_NS", 3_000_000_000)
    (repo / "flake.nix").touch()
    run(capsys, "check", str(repo))
    assert entries(cached_dir()) == []


def test_where_the_cache_lives(
    repo: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why (docs/architecture.md, rule 14): in the git dir, or outside git under
    $XDG_CACHE_HOME/homeward; never in the configuration (a `path:` flake is copied into the
    world-readable store)."""
    monkeypatch.delenv("HOMEWARD_CACHE_DIR")
    before = sorted(p for p in repo.rglob("*") if ".git" not in p.parts)
    run(capsys, "check", str(repo))
    assert sorted(p for p in repo.rglob("*") if ".git" not in p.parts) == before
    [entry] = entries(repo / ".git" / "homeward" / "cache")
    assert entry.stat().st_mode & 0o077 == 0
    outside = copy_tree(EXAMPLE, tmp_path / "plain")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    run(capsys, "check", str(outside))
    assert len(entries(tmp_path / "xdg" / "homeward", "check")) == 1
    assert not any(p.name.endswith(".json") for p in outside.rglob("*"))


def test_the_cache_keeps_a_few_entries_per_command(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    codes = ["HW001", "HW002", "HW003", "HW004", "HW005", "HW006"]
    for code in codes:
        run(capsys, "check", str(repo), "--select", code)
    assert len(entries(cached_dir(), "check")) == cache.KEEP


# -- what a run that stores watches ----------------------------------------------------------
def test_a_computation_that_reads_outside_the_key_keeps_nothing(tmp_path: Path) -> None:
    """Why: a read the key does not cover could change the answer unseen."""
    config = write(tmp_path / "config", {"flake.nix": "{ }\n"})
    outside = write(tmp_path / "elsewhere", {"data.txt": "1\n"})

    def reads_outside() -> str:
        return (outside / "data.txt").read_text()

    def reads_inside() -> str:
        return (config / "flake.nix").read_text()

    def runs_a_program() -> str:
        import subprocess

        return str(subprocess.run(["true"], check=True).args[0])

    for compute, kept in ((reads_outside, False), (runs_a_program, False), (reads_inside, True)):
        value = cache.cached("test", config, {}, compute, lambda v: v, str)
        assert value == compute()
        assert bool(entries(cached_dir(), "test")) is kept, compute.__name__


def test_what_git_tracks_is_read_from_the_key(repo: Path) -> None:
    """Why: the index (what nix sees) is in the key, the rest of `.git` is not."""
    from homeward.model.files import tracked_files

    tracked = cache.cached("test", repo, {}, lambda: tracked_files(repo) is not None, int, bool)
    assert tracked
    assert entries(cached_dir(), "test")
    value = cache.cached("other", repo, {}, lambda: (repo / ".git" / "HEAD").read_text(), str, str)
    assert value.startswith("ref:")
    assert entries(cached_dir(), "other") == []


def test_a_symlink_out_of_the_configuration_is_not_read_through(tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere", {"data.txt": "1\n"})
    config = write(tmp_path / "config", {"flake.nix": "{ }\n"})
    (config / "link").symlink_to(outside)
    value = cache.cached(
        "test", config, {}, lambda: (config / "link" / "data.txt").read_text(), str, str
    )
    assert value == "1\n"
    assert entries(cached_dir(), "test") == []


def test_results_as_data_round_trip() -> None:
    from homeward.diagnostics import Diagnostic, Severity
    from homeward.errors import Location
    from homeward.lint.result import CLASSES, CheckResult, Seen

    result = CheckResult(
        Path("/x/é"),
        (Diagnostic(Severity.ERROR, "m", Location(Path("a\udcff.nix"), 1, 2), "HW001", "h", True),),
        0,
        3,
        Seen(1, 0, 1, 1, 3, 0, 0, through="flake-parts"),
    )
    data = json.loads(json.dumps(cache.to_data(result)))
    assert cache.decoder(CLASSES, CheckResult)(data) == result
    with pytest.raises(TypeError):
        cache.to_data({"a": 1})


# -- graph ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "flags",
    [
        (),
        ("--format", "dot"),
        ("--format", "json"),
        ("--summary",),
        ("--host", "nixos-desk", "--depth", "1"),
        ("--host", "no-such-host"),
    ],
    ids=["mermaid", "dot", "json", "summary", "view", "unknown-host"],
)
def test_graph_warm_is_cold(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    log: pytest.LogCaptureFixture,
    flags: tuple[str, ...],
) -> None:
    """Why: the whole graph is kept; the views and formats are made from it by each run."""
    cold = run(capsys, "graph", str(repo), "--no-cache", *flags)
    run(capsys, "graph", str(repo))
    log.clear()
    assert run(capsys, "graph", str(repo), *flags) == cold
    assert answered(log)


def test_graph_notes_what_it_cannot_read_when_warm(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    desk = repo / "hosts" / "nixos-desk" / "default.nix"
    desk.write_text(desk.read_text().replace("imports = [", "imports = [ ./missing.nix", 1))
    cold = run(capsys, "graph", str(repo), "--no-cache")
    assert "homeward: note:" in cold[2]
    run(capsys, "graph", str(repo))
    assert run(capsys, "graph", str(repo)) == cold
    assert answered(log)


def test_a_graph_is_kept_with_every_field() -> None:
    """Why: `graph` writes its rows by hand (faster than `cache.to_data`); a field added to a
    node or an edge must be kept too, or a warm graph would lose it."""
    from dataclasses import fields

    from homeward.commands.graph import EDGE_FIELDS, NODE_FIELDS
    from homeward.model.graph import GraphEdge, GraphNode

    assert tuple(f.name for f in fields(GraphNode)) == NODE_FIELDS
    assert tuple(f.name for f in fields(GraphEdge)) == EDGE_FIELDS


def test_a_kept_graph_of_another_shape_is_a_cold_run(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    cold = run(capsys, "graph", str(repo), "--format", "json")
    [entry] = entries(cached_dir(), "graph")
    kept = json.loads(entry.read_text())
    for damage in ({"nodes": [[1]]}, {"nodes": [[1, "host", "x", None, None, None, [], 1]]}):
        entry.write_text(json.dumps({**kept, "data": {**kept["data"], **damage}}))
        assert run(capsys, "graph", str(repo), "--format", "json") == cold
        assert not answered(log)


@pytest.mark.graphviz
def test_graph_image_is_drawn_by_each_run(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    run(capsys, "graph", str(repo))
    log.clear()
    image = tmp_path / "graph.svg"
    code, out, _err = run(capsys, "graph", str(repo), "-o", str(image))
    assert answered(log)
    assert code == 0 and "wrote" in out and image.read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize("how", ["edit", "rename", "intent to add"])
def test_graph_follows_a_change(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture, how: str
) -> None:
    run(capsys, "graph", str(repo), "--format", "json")
    _change(repo, how)
    log.clear()
    assert run(capsys, "graph", str(repo), "--format", "json") == run(
        capsys, "graph", str(repo), "--format", "json", "--no-cache"
    )
    assert "answered from" not in log.text


# -- migrate --dry-run and --check ---------------------------------------------------------------
@pytest.mark.nix
@pytest.mark.parametrize(
    "flags",
    [("--dry-run",), ("--dry-run", "--json"), ("--check",), ("--dry-run", "--features", "none")],
    ids=["dry-run", "json", "check", "features-none"],
)
def test_migrate_dry_run_warm_is_cold(
    repo: Path,
    capsys: pytest.CaptureFixture[str],
    log: pytest.LogCaptureFixture,
    flags: tuple[str, ...],
) -> None:
    cold = run(capsys, "migrate", str(repo), "--no-cache", *flags)
    assert run(capsys, "migrate", str(repo), *flags) == cold
    assert not answered(log)
    assert run(capsys, "migrate", str(repo), *flags) == cold
    assert answered(log)
    assert cold[0] == (1 if "--check" in flags else 0) and cold[1]


@pytest.mark.nix
def test_migrate_dry_run_colours_as_the_run_that_prints(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    run(capsys, "migrate", str(repo), "--dry-run", "--color", "never")
    warm = run(capsys, "migrate", str(repo), "--dry-run", "--color", "always")
    assert answered(log)
    assert warm == run(capsys, "migrate", str(repo), "--dry-run", "--color", "always", "--no-cache")
    assert "\x1b[" in warm[1]


@pytest.mark.nix
def test_a_real_migrate_never_uses_the_cache(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    run(capsys, "migrate", str(repo), "--dry-run")
    log.clear()
    code, out, _err = run(capsys, "migrate", str(repo))
    assert code == 0 and "applied:" in out
    assert "cache" not in log.text
    # What changed is seen: the migrated tree has nothing to do.
    after = run(capsys, "migrate", str(repo), "--dry-run")
    assert after == run(capsys, "migrate", str(repo), "--dry-run", "--no-cache")
    assert "nothing to do" in after[1]


@pytest.mark.nix
@pytest.mark.parametrize("how", ["same-size edit", "intent to add", "config file", "symlink"])
def test_migrate_dry_run_follows_a_change(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture, how: str
) -> None:
    run(capsys, "migrate", str(repo), "--dry-run")
    _change(repo, how)
    if how == "config file":
        write(repo, {"homeward.toml": '[migrate]\nfeatures = "none"\n'})
    log.clear()
    assert run(capsys, "migrate", str(repo), "--dry-run") == run(
        capsys, "migrate", str(repo), "--dry-run", "--no-cache"
    )
    assert "answered from" not in log.text


@pytest.mark.nix
def test_which_nix_is_in_the_key_of_migrate(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: `--dry-run` validates the new texts with `nix-instantiate --parse`: another nix (or
    none) may answer otherwise."""
    options = {"dry_run": True}
    programs = ("nix-instantiate", "nix")
    key = cache.make_key("migrate", repo, options, programs).digest
    assert key != cache.make_key("check", repo, options).digest
    monkeypatch.setenv("PATH", str(tmp_path))  # no nix on it
    assert cache.make_key("migrate", repo, options, programs).digest != key


def test_what_was_printed_before_a_failure_is_still_printed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from homeward.render import console

    with pytest.raises(RuntimeError), console.recording() as tape:
        console.out("before")
        console.err("a warning")
        raise RuntimeError
    assert capsys.readouterr() == ("before\n", "a warning\n")
    with pytest.raises(ValueError, match="not a printed line"):
        console.replay([*tape, ["out", 1]])
    assert capsys.readouterr() == ("", "")


@pytest.mark.nix
def test_a_kept_migrate_output_of_another_shape_is_a_cold_run(
    repo: Path, capsys: pytest.CaptureFixture[str], log: pytest.LogCaptureFixture
) -> None:
    cold = run(capsys, "migrate", str(repo), "--dry-run")
    [entry] = entries(cached_dir(), "migrate")
    data = json.loads(entry.read_text())
    data["data"]["tape"].append(["shout", "x"])
    entry.write_text(json.dumps(data))
    assert run(capsys, "migrate", str(repo), "--dry-run") == cold
    assert not answered(log)


# -- any sequence of changes -----------------------------------------------------------------
MODULES = [
    "{ pkgs, ... }: { users.users.ham.packages = [ pkgs.jq ]; }\n",
    "{ pkgs, ... }: { users.users.ham.packages = [ pkgs.fd ]; }\n",  # the same size
    "{ pkgs, ... }: { environment.systemPackages = [ pkgs.git ]; }\n",
    "{ ... }: { programs.git.enable = true; }\n",
    "{ ... }: { imports = [ ./extra.nix ]; }\n",
    "{ broken\n",
]
STEPS = st.lists(
    st.tuples(
        st.sampled_from(
            ["write", "untracked", "intend", "commit", "rename", "delete", "link", "touch", "toml"]
        ),
        st.integers(min_value=0, max_value=len(MODULES) - 1),
    ),
    min_size=1,
    max_size=5,
)


def _mutate(repo: Path, op: str, n: int) -> None:
    extra = repo / "hosts" / "nixos-desk" / "extra.nix"
    if op == "write":
        extra.write_text(MODULES[n])
    elif op == "untracked":
        write(repo, {f"loose/{n}.nix": MODULES[n]})
    elif op == "intend":
        extra.write_text(MODULES[n])
        git(repo, "add", "-N", "--", "hosts/nixos-desk/extra.nix")
    elif op == "commit":
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "--allow-empty", "-m", "step")
    elif op == "rename" and extra.exists():
        extra.rename(extra.with_name("moved.nix"))
    elif op == "delete" and extra.exists():
        extra.unlink()
    elif op == "link":
        extra.unlink(missing_ok=True)
        target = ["../../home/ham.nix", "default.nix", "/nonexistent.nix"][n % 3]
        extra.symlink_to(target)
    elif op == "touch" and extra.exists():
        extra.touch()
    elif op == "toml":
        write(repo, {"homeward.toml": ["", '[check]\nignore = ["HW002"]\n'][n % 2]})


@settings(
    max_examples=int(os.environ.get("HOMEWARD_CACHE_EXAMPLES", "12")),
    deadline=None,
    derandomize=True,  # Why: CI runs the same examples every time; failures reproduce
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_the_cached_answer_is_always_the_answer(
    capsys: pytest.CaptureFixture[str], steps: list[tuple[str, int]]
) -> None:
    """Why: whatever a user changes between two runs, the cache answers what a run without
    it answers (exit code, stdout and stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = make_git_repo(copy_tree(EXAMPLE, Path(tmp) / "config"))
        desk = repo / "hosts" / "nixos-desk" / "default.nix"
        desk.write_text(desk.read_text().replace("imports = [", "imports = [ ./extra.nix", 1))
        (desk.parent / "extra.nix").write_text(MODULES[0])
        git(repo, "add", "-A")
        for op, n in [("none", 0), *steps]:
            _mutate(repo, op, n)
            for args in (("check", str(repo)), ("graph", str(repo), "--format", "json")):
                run(capsys, *args)  # keeps the answer
                assert run(capsys, *args) == run(capsys, *args, "--no-cache"), (op, n, args)
