"""Rule 12 in git: what Nix sees is what counts, and in a git repository nix sees the files git
tracks (intent-to-add and staged files included), not the rest of the disk.

An import of a file that is on disk but not tracked (never added, ignored by .gitignore, in an
untracked directory) fails to evaluate: a flake in git is copied from git's files. homeward read
such a file anyway: `check` reported what was in it, and `migrate` moved its definitions (and
deleted it) into files nix would then see. It is now what a missing file is: an opaque module,
never read, never edited, named with the import's file:line:col and what makes nix see it. What
migrate may not overwrite still comes from the disk: an untracked file is never clobbered.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.errors import NixError
from homeward.model.repo import ModuleKind, load_repo
from homeward.nix import run

from .helpers import HM_OVERRIDES, account, git, hm_flake_lines, write

FLAKE = hm_flake_lines(
    """  outputs = { nixpkgs, home-manager, ... }: {
    nixosConfigurations.a = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/a ];
    };
  };
"""
)

HOST = """{ ... }:
{
  imports = [
    ./hardware-configuration.nix
    ../../modules/users.nix
    IMPORT
  ];
  networking.hostName = "a";
}
"""

HARDWARE = '{ ... }: { fileSystems."/".device = "/dev/sda1"; }\n'
USERS = account("ann", "pkgs.htop")
EXTRA = "{ pkgs, ... }:\n{\n  users.users.ann.packages = [ pkgs.jq ];\n}\n"
TRACKED = ["flake.nix", "hosts/a/default.nix", "hosts/a/hardware-configuration.nix", "modules"]


def make(tmp_path: Path, case: str) -> Path:
    """A git repository whose host imports `extra` (a file, or a directory), in the state
    `case` names; everything else committed."""
    root = tmp_path / case
    target = "./extra" if case in ("directory", "default-untracked") else "./extra.nix"
    write(
        root,
        {
            "flake.nix": FLAKE,
            "hosts/a/default.nix": HOST.replace("IMPORT", target),
            "hosts/a/hardware-configuration.nix": HARDWARE,
            "modules/users.nix": USERS,
        },
    )
    extra = "hosts/a/extra/default.nix" if target == "./extra" else "hosts/a/extra.nix"
    write(root, {extra: EXTRA})
    tracked = list(TRACKED)
    if case == "ignored":
        write(root, {".gitignore": "extra.nix\n"})
        tracked.append(".gitignore")
    if case == "default-untracked":  # the directory is in git, its default.nix is not
        write(root, {"hosts/a/extra/README": "notes\n"})
        tracked.append("hosts/a/extra/README")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", *tracked)
    git(root, "commit", "-qm", "init")
    if case == "intent-to-add":
        git(root, "add", "--intent-to-add", extra)
    if case == "staged":
        git(root, "add", extra)
    return root


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main([*args, "--no-cache"])
    out, err = capsys.readouterr()
    return code, out, err


def nix_eval(root: Path, attr: str, apply: str = "x: x") -> tuple[bool, str]:
    """`nix eval --json --apply APPLY` of `attr` of the git flake at `root` (the stand-ins as
    inputs): whether it evaluated, and its output or error."""
    try:
        out = run.run_nix(
            [
                "eval",
                "--json",
                f"{root}#{attr}",
                "--apply",
                apply,
                "--no-write-lock-file",
                *HM_OVERRIDES,
            ],
            cwd=root,
        )
    except NixError as exc:
        return False, exc.stderr or ""
    return True, out


UNSEEN = ["untracked", "ignored", "directory", "default-untracked"]
SEEN = ["intent-to-add", "staged"]


def _extra(case: str) -> str:
    return (
        "hosts/a/extra/default.nix"
        if case in ("directory", "default-untracked")
        else ("hosts/a/extra.nix")
    )


@pytest.mark.nix
@pytest.mark.parametrize("case", UNSEEN + SEEN)
def test_homeward_reads_what_nix_sees(case: str, tmp_path: Path) -> None:
    """Why (rule 12): the model reads the imported file exactly when the real nix does: an
    untracked, ignored or untracked-directory import fails to evaluate; an intent-to-add or a
    staged one is part of the flake."""
    root = make(tmp_path, case)
    ok, said = nix_eval(root, "nixosConfigurations.a.config.networking.hostName")
    assert ok is (case in SEEN), said
    if not ok:
        assert "No such file or directory" in said or "does not exist" in said, said
    repo = load_repo(root)
    read = {str(m.path) for m in repo.modules.values() if m.path is not None}
    assert (_extra(case) in read) is ok, sorted(read)


@pytest.mark.parametrize("case", UNSEEN)
def test_check_names_the_import_nix_does_not_see(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why: what a fresh clone (CI) would say, with what makes nix see it; nothing inside it is
    reported, as nothing inside it counts."""
    monkeypatch.chdir(make(tmp_path, case))
    code, out, _ = run_cli(capsys, "check", ".", "--format", "json")
    findings = json.loads(out)["findings"]
    untracked = [f for f in findings if "is not tracked by git" in f["message"]]
    assert len(untracked) == 1, findings
    shown = "hosts/a/extra" if case == "directory" else _extra(case)
    assert untracked[0]["code"] == "HW009"
    assert untracked[0]["severity"] == "warning"
    assert f"`{shown}`" in untracked[0]["message"]
    assert (untracked[0]["path"], untracked[0]["line"], untracked[0]["col"]) == (
        "hosts/a/default.nix",
        6,
        5,
    )
    assert "git add" in untracked[0]["hint"]
    assert not any(f["path"] == _extra(case) for f in findings), findings
    assert code == 1  # modules/users.nix still sets `users.users.ann.packages`


@pytest.mark.parametrize("case", UNSEEN)
def test_graph_draws_an_opaque_module(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make(tmp_path, case)
    code, out, err = run_cli(capsys, "graph", str(root), "--format", "json")
    assert code == 0, err
    nodes = json.loads(out)["nodes"]
    assert not any(n["path"] == _extra(case) for n in nodes)
    opaque = [n for n in nodes if n["kind"] == "opaque"]
    assert [(n["label"], n["path"], n["line"]) for n in opaque] == [
        ("opaque: not tracked by git", "hosts/a/default.nix", 6)
    ]
    repo = load_repo(root)
    refs = [r for m in repo.modules.values() for r in m.imports if r.kind is ModuleKind.UNKNOWN]
    assert [r.label for r in refs] == ["not tracked by git"]


@pytest.mark.parametrize("case", UNSEEN)
def test_migrate_does_not_move_from_a_file_nix_does_not_see(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate moved `jq` out of the untracked file (and deleted it), so that a host nix
    could not evaluate gained a package once migrated. It moves what nix sees and says which
    file it left, where it is imported."""
    root = make(tmp_path, case)
    code, out, err = run_cli(capsys, "migrate", str(root), "--dry-run")
    assert code == 0, err
    assert "htop" in out and "jq" not in out
    assert _extra(case) not in out and "hosts/a/default.nix" not in out
    assert "hosts/a/default.nix:6:5: warning: the import" in err
    assert "is not tracked by git: nix does not see it" in err


@pytest.mark.parametrize("case", SEEN)
def test_intent_to_add_and_staged_files_count(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make(tmp_path, case)
    monkeypatch.chdir(root)
    code, out, _ = run_cli(capsys, "check", ".", "--format", "json")
    findings = json.loads(out)["findings"]
    assert not any("is not tracked" in f["message"] for f in findings)
    assert any(f["path"] == "hosts/a/extra.nix" and f["code"] == "HW002" for f in findings)
    code, out, err = run_cli(capsys, "migrate", str(root), "--dry-run")
    assert code == 0, err
    assert "jq" in out and "htop" in out


@pytest.mark.nix
def test_migrate_leaves_the_untracked_file_and_keeps_the_meaning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the untracked file stays byte-identical and untracked; once the user adds it, ann
    has what she had: `jq` from it (NixOS) and `htop`, moved to home-manager."""
    root = make(tmp_path, "untracked")
    extra = root / "hosts" / "a" / "extra.nix"
    code, _, err = run_cli(capsys, "migrate", str(root), "--allow-dirty")
    assert code == 0, err
    assert extra.read_text() == EXTRA
    assert git(root, "status", "--porcelain", "--", "hosts/a/extra.nix") == "?? hosts/a/extra.nix\n"
    assert not nix_eval(root, "nixosConfigurations.a.config.networking.hostName")[0]
    git(root, "add", "--intent-to-add", "hosts/a/extra.nix")
    packages = "nixosConfigurations.a.config.{}"
    names = "map (p: p.pname or p.name)"
    ok, said = nix_eval(root, packages.format("users.users.ann.packages"), names)
    assert ok, said
    assert json.loads(said) == ["jq", "home-manager-path"]
    ok, said = nix_eval(root, packages.format("home-manager.users.ann.home.packages"), names)
    assert ok, said
    assert json.loads(said) == ["home-manager", "htop"]


def test_an_untracked_hardware_configuration_is_opaque(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: on real machines `hardware-configuration.nix` is often copied in and never added.
    Nix does not see it: it is the opaque module a missing one is, and the rest migrates."""
    root = make(tmp_path, "staged")
    git(root, "rm", "-q", "--cached", "hosts/a/hardware-configuration.nix")
    git(root, "commit", "-qm", "forget the hardware file")
    code, out, _ = run_cli(capsys, "check", str(root))
    assert (
        "hosts/a/default.nix:4:5: HW009 warning: the import "
        "`hosts/a/hardware-configuration.nix` is not tracked by git" in out
    )
    code, out, err = run_cli(capsys, "migrate", str(root), "--dry-run")
    assert code == 0, err
    assert "a/hosts/a/hardware-configuration.nix" not in out and "jq" in out and "htop" in out
    assert "hosts/a/default.nix:4:5: warning" in err


def test_outside_git_every_file_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why (rule 12): outside git, a `path:` flake copies every file: nothing is untracked."""
    root = tmp_path / "plain"
    write(
        root,
        {
            "flake.nix": FLAKE,
            "hosts/a/default.nix": HOST.replace("IMPORT", "./extra.nix"),
            "hosts/a/hardware-configuration.nix": HARDWARE,
            "modules/users.nix": USERS,
            "hosts/a/extra.nix": EXTRA,
        },
    )
    code, out, _ = run_cli(capsys, "check", str(root))
    assert "not tracked" not in out and "hosts/a/extra.nix:3:3: HW002" in out
    code, out, err = run_cli(capsys, "migrate", str(root), "--dry-run")
    assert code == 0, err
    assert "jq" in out


def test_an_untracked_file_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: what migrate may write comes from the disk, not from git: the user's draft of
    `home/ann/default.nix`, not added yet, is not taken over."""
    root = make(tmp_path, "staged")
    draft = "# my draft\n{ ... }: { }\n"
    write(root, {"home/ann/default.nix": draft})
    code, _, err = run_cli(capsys, "migrate", str(root), "--allow-dirty")
    assert code == 3
    assert "`home/ann/default.nix` already exists" in err
    assert (root / "home" / "ann" / "default.nix").read_text() == draft


@pytest.mark.parametrize("link", ["untracked-link", "link-to-untracked"])
def test_a_symlink_counts_as_what_git_tracks(
    link: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a symlink git does not track is not in the flake, nor is what a tracked one leads
    to when git does not track that: both are imports nix cannot read."""
    root = make(tmp_path, "staged")
    git(root, "rm", "-q", "--cached", "hosts/a/extra.nix")
    (root / "hosts" / "a" / "extra.nix").rename(root / "modules" / "extra.nix")
    (root / "hosts" / "a" / "extra.nix").symlink_to("../../modules/extra.nix")
    if link == "untracked-link":
        git(root, "add", "modules/extra.nix")
    else:
        git(root, "add", "hosts/a/extra.nix")
    out = run_cli(capsys, "check", str(root))[1]
    shown = "hosts/a/extra.nix" if link == "untracked-link" else "modules/extra.nix"
    assert f"HW009 warning: the import `{shown}` is not tracked by git" in out, out
    assert "extra.nix:3:3" not in out


def test_an_evaluated_import_of_an_untracked_file_is_unknown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `import ./x.nix` in an expression reads the same files a module list does."""
    root = make(tmp_path, "untracked")
    flake = root / "flake.nix"
    flake.write_text(flake.read_text().replace("./hosts/a ]", "./hosts/a (import ./extra.nix) ]"))
    write(root, {"extra.nix": EXTRA})
    git(root, "commit", "-qam", "import it")
    out = run_cli(capsys, "check", str(root))[1]
    assert "`extra.nix` is not tracked by git: nix does not see it" in out, out
    assert "extra.nix:3:3" not in out


@pytest.mark.parametrize("how", ["nothing added", "flake.nix not added"])
def test_a_flake_git_does_not_track_is_no_flake(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (rule 12, exit 3 "no flake"): nix sees no flake.nix in git until it is added."""
    root = tmp_path / "new"
    write(root, {"flake.nix": FLAKE, "hosts/a/default.nix": "{ ... }: { }\n"})
    git(root, "init", "-q", "-b", "main")
    if how == "flake.nix not added":
        git(root, "add", "hosts")
    for command in ("check", "graph"):
        code, _, err = run_cli(capsys, command, str(root))
        assert code == 3
        assert "`flake.nix` is not tracked by git: nix does not see this flake" in err
        assert "git add" in err
    git(root, "add", "--intent-to-add", "flake.nix", "hosts")
    assert run_cli(capsys, "graph", str(root))[0] == 0


# -- `add` decides as migrate does: what nix does not see is not there, and is never written --
def _migrated(tmp_path: Path) -> Path:
    from tests.conftest import FIXTURES
    from tests.helpers import copy_tree, make_git_repo

    return make_git_repo(copy_tree(FIXTURES / "migrate" / "example" / "after", tmp_path / "r"))


def run_add(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["add", *args, "--allow-dirty"])
    out, err = capsys.readouterr()
    return code, out + err


def test_add_user_refuses_an_untracked_entry_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `add user` took the draft on disk for eve's entry point and wired `./home/eve`,
    which nix does not see (an evaluation error); migrate refuses such a file (exit 3)."""
    from tests.helpers import tree_files

    root = _migrated(tmp_path)
    draft = "# my draft\n{ ... }: { }\n"
    write(root, {"home/eve/default.nix": draft})
    before = tree_files(root)
    code, err = run_add(capsys, "user", "eve", "--dir", str(root))
    assert code == 3, err
    assert "`home/eve/default.nix`" in err and "git does not track it" in err
    assert "git add home/eve/default.nix" in err
    assert tree_files(root) == before


def test_add_user_uses_an_entry_point_added_with_intent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _migrated(tmp_path)
    draft = "# my draft\n{ ... }: { }\n"
    write(root, {"home/eve/default.nix": draft})
    git(root, "add", "--intent-to-add", "home/eve/default.nix")
    code, err = run_add(capsys, "user", "eve", "--dir", str(root))
    assert code == 0, err
    assert (root / "home/eve/default.nix").read_text() == draft
    assert "home-manager.users.eve.imports = [ ./home/eve ];" in (root / "flake.nix").read_text()


@pytest.mark.parametrize(
    ("args", "draft", "named"),
    [
        (("user", "eve"), "home/eve/features/cli.nix", "home/eve/features/cli.nix"),
        (
            ("feature", "media", "--user", "ham"),
            "home/ham/features/media.nix",
            "home/ham/features/media.nix",
        ),
        (("host", "laptop"), "hosts/laptop/default.nix", "hosts/laptop"),
        (("host", "mac", "--system", "aarch64-darwin"), "hosts/mac/default.nix", "hosts/mac"),
    ],
)
def test_add_refuses_an_untracked_file_it_would_import(
    args: tuple[str, ...],
    draft: str,
    named: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Why: a file `add` would have written, found on disk, was kept and imported: nix does
    not see it, so the import failed to evaluate."""
    from tests.helpers import tree_files

    root = _migrated(tmp_path)
    write(root, {draft: "{ ... }: { }\n"})
    before = tree_files(root)
    code, err = run_add(capsys, *args, "--dir", str(root))
    assert code == 3, err
    assert f"`{named}` is on disk but git does not track it" in err, err
    assert f"git add {named}" in err
    assert tree_files(root) == before


def test_add_feature_refuses_an_untracked_entry_point(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `add feature` edited `home/ham/default.nix` although nix does not see it (taken
    out of git): the feature would be imported by nothing nix evaluates."""
    from tests.helpers import tree_files

    root = _migrated(tmp_path)
    git(root, "rm", "-q", "--cached", "home/ham/default.nix")
    before = tree_files(root)
    code, err = run_add(capsys, "feature", "media", "--user", "ham", "--dir", str(root))
    assert code == 3, err
    assert "`home/ham/default.nix`" in err and "git does not track it" in err
    assert "git add home/ham/default.nix" in err
    assert tree_files(root) == before


@pytest.mark.parametrize("how", ["untracked", "ignored"])
def test_add_host_imports_the_shared_accounts_only_where_nix_sees_them(
    how: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `add host` asked the disk whether `modules/system/users.nix` is there, and the new
    host imported it although git does not track it: nix does not see it, so the new host failed
    to evaluate. As for the other files `add` would import, it refuses (exit 3, nothing
    written) and says how to make nix see it; once added, the new host imports it."""
    from tests.helpers import tree_files

    root = _migrated(tmp_path)
    users = "modules/system/users.nix"
    git(root, "rm", "-q", "--cached", users)
    if how == "ignored":
        write(root, {".gitignore": f"/{users}\n"})
        git(root, "add", ".gitignore")
    git(root, "commit", "-qm", f"{users} {how}")
    assert (root / users).is_file()
    before = tree_files(root)
    code, err = run_add(capsys, "host", "laptop", "--dir", str(root))
    assert code == 3, err
    assert f"`{users}` is on disk but git does not track it" in err, err
    if how == "ignored":  # plain `git add` refuses an ignored file: the hint names the rule
        assert f"it is ignored by `.gitignore:1` (`/{users}`)" in err, err
        assert f"git add -f {users}" in err, err
    else:
        assert f"git add {users}" in err, err
        assert "ignored" not in err, err
    assert tree_files(root) == before
    git(root, "add", "-f", "--intent-to-add", users)
    code, err = run_add(capsys, "host", "laptop", "--dir", str(root))
    assert code == 0, err
    assert "../../modules/system/users.nix" in (root / "hosts/laptop/default.nix").read_text()


@pytest.mark.parametrize("system", ["x86_64-linux", "aarch64-darwin"])
def test_add_host_refuses_a_home_git_does_not_track(
    system: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `add host` wired every user with an account and a `home/<user>/default.nix` on
    disk, tracked or not: `home-manager.users.eve.imports = [ ./home/eve ]` of a file nix does
    not see failed to evaluate. As `add user` and `add feature` do for an entry point, it
    refuses (exit 3, nothing written); once added, the new host wires the home."""
    from tests.helpers import tree_files

    root = _migrated(tmp_path)
    users = root / "modules/system/users.nix"
    users.write_text(
        users.read_text().replace(
            "  programs.zsh", "  users.users.eve.isNormalUser = true;\n\n  programs.zsh"
        )
    )
    git(root, "commit", "-qam", "eve's account")
    write(root, {"home/eve/default.nix": '{ ... }: { home.stateVersion = "25.05"; }\n'})
    before = tree_files(root)
    args = ("host", "laptop", "--system", system, "--dir", str(root))
    code, err = run_add(capsys, *args)
    assert code == 3, err
    assert "`home/eve/default.nix` is on disk but git does not track it" in err, err
    assert "git add home/eve/default.nix" in err
    assert tree_files(root) == before
    git(root, "add", "--intent-to-add", "home/eve/default.nix")
    code, err = run_add(capsys, *args)
    assert code == 0, err
    assert 'homeConfigurations."eve@laptop"' in (root / "flake.nix").read_text()
