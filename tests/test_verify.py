"""`homeward verify`: the real nix evaluates a git revision and the working tree of fixture flakes
whose inputs are overridden with the offline stand-ins (tests/standins)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model import compare, extract
from homeward.nix import ops
from tests.helpers import HM_OVERRIDES, STANDINS, TESTS, copy_tree, git, make_git_repo, run_in_tty

FIXTURES = TESTS / "fixtures" / "verify"
OVERRIDES = [*HM_OVERRIDES]


def make_repo(tmp_path: Path, fixture: str = "legacy") -> Path:
    """A git repo holding the fixture, committed."""
    return make_git_repo(copy_tree(FIXTURES / fixture, tmp_path / "repo"))


def replace_tree(repo: Path, fixture: str) -> None:
    """The working tree becomes another fixture (as a migration rewrites it), staged."""
    for child in repo.iterdir():
        if child.name != ".git":
            shutil.rmtree(child) if child.is_dir() else child.unlink()
    copy_tree(FIXTURES / fixture, repo)
    git(repo, "add", "-A")


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def run_verify(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["verify", str(repo), *OVERRIDES, *args])
    out, err = capsys.readouterr()
    return code, out, err


def worktrees(repo: Path) -> list[str]:
    return [
        line
        for line in git(repo, "worktree", "list", "--porcelain").splitlines()
        if line.startswith("worktree ")
    ]


# -- with nix ----------------------------------------------------------------------------------
@pytest.mark.nix
def test_equal_when_nothing_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: the baseline case; the temporary worktree is gone afterwards."""
    repo = make_repo(tmp_path)
    code, out, err = run_verify(repo, capsys)
    assert code == 0, err
    assert "desk: ham  (compared with desk: ham at HEAD)" in out
    assert "laptop: ham" in out
    assert out.rstrip().endswith("no difference")
    assert len(worktrees(repo)) == 1


@pytest.mark.nix
def test_migration_to_home_manager_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the promise of migrate: packages that moved from users.users.<u>.packages to
    home.packages are the same, settings keep their meaning, and the new standalone outputs
    give what the NixOS configuration gave before."""
    repo = make_repo(tmp_path)
    replace_tree(repo, "migrated")
    code, out, err = run_verify(repo, capsys)
    assert code == 0, out + err
    assert "ham@desk (standalone)  (compared with desk: ham at HEAD)" in out
    assert "ham@laptop (standalone)  (compared with laptop: ham at HEAD)" in out
    assert "git (installed system-wide by a NixOS program before)" in out
    assert "home-manager (the CLI standalone home-manager installs)" in out
    assert out.rstrip().endswith("no difference")


@pytest.mark.nix
def test_lost_package(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    edit(repo / "home" / "ham.nix", "    slack\n", "")
    code, out, _ = run_verify(repo, capsys)
    assert code == 1
    assert out.count("lost packages: slack") == 2  # both hosts import home/ham.nix
    assert "differences: desk: ham: 1 package lost; laptop: ham: 1 package lost" in out


@pytest.mark.nix
def test_changed_git_identity(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: a migration that rewrites programs.git.config must keep the identity exactly."""
    repo = make_repo(tmp_path)
    replace_tree(repo, "migrated")
    edit(repo / "home" / "ham" / "features" / "git.nix", "ham@example.org", "ham@work.example")
    code, out, _ = run_verify(repo, capsys)
    assert code == 1
    changed = "changed setting git.user.email: `ham@example.org` -> `ham@work.example`"
    assert out.count(changed) == 4  # desk, laptop, ham@desk, ham@laptop
    assert "lost packages" not in out


@pytest.mark.nix
def test_per_host_difference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: per-host differences stay per host: a laptop-only package moved into the shared
    home configuration reaches the desk too, which verify must report (for desk only)."""
    repo = make_repo(tmp_path)
    replace_tree(repo, "migrated")
    edit(repo / "home" / "ham" / "laptop.nix", "home.packages = [ pkgs.powertop ];", "")
    edit(repo / "home" / "ham" / "default.nix", "    slack\n", "    slack\n    powertop\n")
    code, out, _ = run_verify(repo, capsys, "--json")
    assert code == 1
    data = json.loads(out)
    assert data["homeward"] == 1 and data["kind"] == "verify"
    assert data["against"] == "HEAD" and not data["equal"]
    by_output = {c["output"]: c for c in data["comparisons"]}
    assert sorted(by_output) == [
        "desk: ham",
        "ham@desk (standalone)",
        "ham@laptop (standalone)",
        "laptop: ham",
    ]
    assert by_output["desk: ham"]["packages"]["added"] == ["powertop"]
    assert by_output["ham@desk (standalone)"]["packages"]["added"] == ["powertop"]
    assert not by_output["laptop: ham"]["differs"]
    assert not by_output["ham@laptop (standalone)"]["differs"]
    assert "powertop" in by_output["laptop: ham"]["packages"]["same"]


@pytest.mark.nix
def test_evaluation_error_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the first lines of nix's error with the file:line it names, nothing written."""
    repo = make_repo(tmp_path)
    edit(
        repo / "hosts" / "desk" / "default.nix",
        'networking.hostName = "desk";',
        "users.users.ham.packages = [ config.nope.package ];",
    )
    edit(
        repo / "hosts" / "desk" / "default.nix",
        "{ modulesPath, ... }:",
        "{ config, modulesPath, ... }:",
    )
    code, out, err = run_verify(repo, capsys)
    assert code == 3
    assert out == ""
    first = err.splitlines()[0]
    assert first.startswith("homeward: error: hosts/desk/default.nix:9:")
    assert "evaluating `nixosConfigurations` of the working tree failed" in first
    assert "attribute 'nope' missing" in first
    assert "hint:" in err
    assert len(worktrees(repo)) == 1


@pytest.mark.nix
def test_evaluation_error_in_the_revision(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo(tmp_path)
    edit(repo / "home" / "ham.nix", "    slack\n", "    no-such-package\n")
    git(repo, "commit", "-qam", "broken")
    edit(repo / "home" / "ham.nix", "    no-such-package\n", "    slack\n")
    code, _, err = run_verify(repo, capsys)
    assert code == 3
    assert "evaluating `nixosConfigurations` of `HEAD` failed" in err
    assert "home/ham.nix:" in err.splitlines()[0]
    assert len(worktrees(repo)) == 1


@pytest.mark.nix
def test_input_that_cannot_be_fetched_offline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: without --override-input nix tries the network; the hint says what to pass."""
    monkeypatch.setenv("NIX_CONFIG", "download-attempts = 1\nconnect-timeout = 2")
    repo = make_repo(tmp_path)
    code = main(["verify", str(repo)])
    _, err = capsys.readouterr()
    assert code == 3
    assert "nix cannot fetch the input `nixpkgs` offline" in err
    assert "--override-input nixpkgs" in err


@pytest.mark.nix
def test_flake_in_a_subdirectory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    copy_tree(FIXTURES / "legacy", repo / "nixos")
    make_git_repo(repo)
    edit(repo / "nixos" / "modules" / "users.nix", "      fd\n", "")
    code, out, _ = run_verify(repo / "nixos", capsys)
    assert code == 1
    assert "lost packages: fd" in out


@pytest.mark.nix
def test_untracked_file_is_explained(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: flakes only see files git tracks; a new file that is not added is a common trap."""
    repo = make_repo(tmp_path)
    (repo / "home" / "extra.nix").write_text(
        "{ pkgs, ... }: { users.users.ham.packages = [ pkgs.jq ]; }\n"
    )
    edit(
        repo / "hosts" / "desk" / "default.nix",
        "../../home/ham.nix",
        "../../home/ham.nix\n    ../../home/extra.nix",
    )
    code, _, err = run_verify(repo, capsys)
    assert code == 3
    assert "nix does not see `home/extra.nix`" in err
    assert "git add --intent-to-add home/extra.nix" in err


@pytest.mark.nix
def test_against_an_older_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_repo(tmp_path)
    edit(repo / "home" / "ham.nix", "    slack\n", "")
    git(repo, "commit", "-qam", "no slack")
    code, out, _ = run_verify(repo, capsys)
    assert code == 0
    code, out, _ = run_verify(repo, capsys, "--against", "HEAD~1")
    assert code == 1
    assert "lost packages: slack" in out
    assert "at HEAD~1" in out


# -- without nix -------------------------------------------------------------------------------
def test_unknown_revision_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("homeward.commands.verify.require_nix", str)
    repo = make_repo(tmp_path)
    code = main(["verify", str(repo), "--against", "no-such-branch"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "`no-such-branch` is not a commit of this repository" in err


def test_not_a_git_repository(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("homeward.commands.verify.require_nix", str)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    plain = copy_tree(FIXTURES / "legacy", tmp_path / "plain")
    code = main(["verify", str(plain)])
    _, err = capsys.readouterr()
    assert code == 3
    assert "is not in a git repository" in err


def test_git_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: verify compares with a git revision; without git it says so and why (exit 3),
    through the one git module (verify had its own copy of `git.require`)."""
    from homeward import proc

    monkeypatch.setattr("homeward.commands.verify.require_nix", str)
    repo = make_repo(tmp_path)
    real = proc.which
    monkeypatch.setattr(proc, "which", lambda name: None if name == "git" else real(name))
    code = main(["verify", str(repo)])
    _, err = capsys.readouterr()
    assert code == 3, err
    assert "`git` is not installed" in err
    assert "hint: verify compares with a git revision; install git" in err


def test_nix_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("homeward.nix.run.nix_program", lambda _name="nix": None)
    code = main(["verify", str(FIXTURES / "legacy")])
    _, err = capsys.readouterr()
    assert code == 3
    assert "`nix` is not installed" in err
    assert "hint: install nix" in err


def _user(
    nixos: tuple[str, ...] = (),
    home: tuple[str, ...] = (),
    settings: dict[str, str] | None = None,
    *,
    wired: bool = False,
) -> extract.UserExtract:
    return extract.UserExtract(nixos, home, settings or {}, settings or {}, wired)


def test_compare_moves_and_standalone_fallback() -> None:
    """Why: the comparison rules, without nix: moving a package between NixOS and home-manager
    is not a difference; a new standalone output is compared with the old module wiring."""
    before = extract.Extract(
        {"h": extract.HostExtract({"u": _user(("a", "b"), (), {"k": "1"})}, programs=("git",))},
        {},
    )
    after = extract.Extract(
        {"h": extract.HostExtract({"u": _user((), ("a", "b", "git"), {"k": "1"}, wired=True)})},
        {"u@h": extract.HomeExtract(("a", "b", "git", "home-manager"), {"k": "2"})},
    )
    module, home = compare.compare(before, after)
    assert module.output == "h: u" and not module.differs
    assert module.packages.accounted == {"git": "installed system-wide by a NixOS program before"}
    assert home.output == "u@h (standalone)" and home.baseline == "h: u at HEAD"
    assert home.packages.added == () and home.packages.lost == ()
    assert home.settings.changed == {"k": ("1", "2")}
    assert home.differs


def test_compare_standalone_only_layout_and_vanished_host() -> None:
    """Why: when a user is configured only through homeConfigurations."u@h", the NixOS side
    alone would look like everything was lost; the standalone output is compared instead."""
    before = extract.Extract(
        {
            "h": extract.HostExtract({"u": _user(("a",))}),
            "old": extract.HostExtract({"u": _user(("x",))}),
        },
        {},
    )
    after = extract.Extract(
        {"h": extract.HostExtract({"u": _user()})},
        {"u@h": extract.HomeExtract(("a",), {})},
    )
    found = {c.output: c for c in compare.compare(before, after, "main")}
    assert sorted(found) == ["old: u (gone)", "u@h (standalone)"]
    assert not found["u@h (standalone)"].differs
    assert found["old: u (gone)"].packages.lost == ("x",)


def test_override_refs_become_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Why: nix cannot resolve relative `path:` inputs once the flake is in the store."""
    (tmp_path / "np").mkdir()
    monkeypatch.chdir(tmp_path)
    assert ops.normalize_ref("path:np") == f"path:{tmp_path / 'np'}"
    assert ops.normalize_ref("./np") == str(tmp_path / "np")
    assert ops.normalize_ref("github:NixOS/nixpkgs") == "github:NixOS/nixpkgs"
    assert ops.override_args([("nixpkgs", "np")]) == [
        "--override-input",
        "nixpkgs",
        str(tmp_path / "np"),
    ]


def test_nix_error_summary_and_location(tmp_path: Path) -> None:
    (tmp_path / "hosts").mkdir()
    (tmp_path / "hosts" / "a.nix").write_text("{ }\n")
    stderr = (
        "warning: Git tree '/x' is dirty\n"
        "error: attribute 'nope' missing\n"
        "\n"
        "       at /nix/store/60h2g7kz0q96vbj5l3niv41fz7k3snqr-source/hosts/a.nix:3:7:\n"
        "\n"
        "            2| {\n"
        "(use '--show-trace' to show detailed location information)\n"
    )
    assert ops.error_summary(stderr) == "attribute 'nope' missing"
    at = ops.error_location(stderr, [tmp_path])
    assert at is not None and str(at) == "hosts/a.nix:3:7"


# -- issue 14, item 11: progress, --host/--user, offline inputs --------------------------------
@pytest.mark.nix
def test_progress_line_per_evaluation_and_host_user_limits(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#14.11): each `nix eval` ran silently for up to minutes; --host/--user limit the
    work, and "no difference" then says it covers only what was compared."""
    repo = make_repo(tmp_path)
    replace_tree(repo, "migrated")
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    code, text = run_in_tty(["verify", str(repo), *OVERRIDES, "--host", "desk"], env)
    assert code == 0, text
    assert "homeward: evaluating nixosConfigurations of the working tree with nix" in text
    assert "homeward: evaluating homeConfigurations of `HEAD` with nix" in text
    code, out, err = run_verify(repo, capsys, "--host", "desk")
    assert code == 0, out + err
    assert "evaluating" not in err  # not on a pipe: scripts read the result and errors only
    assert "laptop" not in out.split("\n\n", 1)[1].rsplit("\n", 2)[0]
    assert out.rstrip().endswith(
        "no difference in what was compared; not compared: laptop, ham@laptop"
    )
    code, out, err = run_verify(repo, capsys, "--user", "ham", "--json")
    assert code == 0, err
    assert json.loads(out)["uncompared"] == []
    code, _, err = run_verify(repo, capsys, "--host", "nowhere")
    assert code == 2 and "`desk`, `laptop`" in err


def test_override_input_plain_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why (#14.11): a plain directory works like `path:DIR`; a missing one is named at once."""
    repo = make_repo(tmp_path)
    code = main(["verify", str(repo), "--override-input", "nixpkgs", str(tmp_path / "nope")])
    err = capsys.readouterr().err
    assert code == 2 and "is not a directory" in err and "path:" in err
    assert ops.override_args([("nixpkgs", str(STANDINS / "nixpkgs"))])[-1] == str(
        STANDINS / "nixpkgs"
    )


@pytest.mark.nix
@pytest.mark.parametrize("broken", [False, True], ids=["migrate", "before-087806e"])
def test_a_configuration_gaining_another_users_command_differs(
    broken: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Why (087806e): ann's new feature file, imported from a module bob's standalone
    configuration lists too, gave bob the home-manager command; verify called it "the CLI
    standalone home-manager installs" for every standalone configuration, bob's too, whom
    migrate does not move (no account on a host). And ann's new wiring of home-manager's
    NixOS module was compared with nothing, so all of her home was "added": it is compared
    with her standalone configuration at the revision, as a new standalone output is with
    the module's."""
    from homeward.apply.write import compute_changes
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.migrate import MigrateOptions, plan_migration
    from tests.test_invariants import before_087806e, shared_first_module, write

    repo = make_git_repo(write(tmp_path / "repo", shared_first_module("")))
    if broken:  # the plan before 087806e, written without the invariants' check
        before_087806e(monkeypatch)
        plan = plan_migration(build_index(load_repo(repo)), MigrateOptions())
        for change in compute_changes(repo, plan):
            assert change.new is not None
            (repo / change.path).parent.mkdir(parents=True, exist_ok=True)
            (repo / change.path).write_bytes(change.new)
    else:
        assert main(["migrate", str(repo)]) == 0
    capsys.readouterr()
    git(repo, "add", "-A")
    code, out, err = run_verify(repo, capsys, "--json")
    by_output = {c["output"]: c for c in json.loads(out)["comparisons"]}
    ann = by_output["a: ann"]
    assert ann["baseline"] == "ann@a (standalone) at HEAD"
    assert ann["packages"]["added"] == [] and ann["settings"]["added"] == {}
    assert "home-manager" in ann["packages"]["accounted"]
    bob = by_output["bob@b (standalone)"]["packages"]
    assert code == (1 if broken else 0), out + err
    assert bob["added"] == (["home-manager"] if broken else [])
