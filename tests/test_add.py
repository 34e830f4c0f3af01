"""`homeward add feature|host|user`: grow the layout through the plan/apply path."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from homeward.cli import main
from tests.conftest import EXAMPLE, FIXTURES
from tests.helpers import copy_tree, git, make_git_repo, tree_files

MIGRATED = FIXTURES / "migrate" / "example" / "after"
HELPER = FIXTURES / "migrate" / "mkhost" / "after"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_git_repo(copy_tree(MIGRATED, tmp_path / "repo"))


def check_findings(root: Path, capsys: pytest.CaptureFixture[str]) -> set[str]:
    main(["check", str(root), "--format", "text"])
    out = capsys.readouterr().out
    return {line.split(": ", 1)[1] for line in out.splitlines() if ": HW" in line}


def run_add(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["add", *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_add_feature_creates_file_and_import(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: a feature is a file and its import; nothing else changes."""
    before = check_findings(repo, capsys)
    code, out = run_add(capsys, "feature", "media", "--dir", str(repo))
    assert code == 0, out
    assert (repo / "home/ham/features/media.nix").is_file()
    assert "./features/media.nix" in (repo / "home/ham/default.nix").read_text()
    assert " A home/ham/features/media.nix" in git(repo, "status", "--porcelain")
    assert check_findings(repo, capsys) <= before
    snapshot = tree_files(repo)
    code, out = run_add(capsys, "feature", "media", "--dir", str(repo), "--allow-dirty")
    assert code == 0 and "nothing to do" in out
    assert tree_files(repo) == snapshot


def test_add_feature_needs_a_user_when_several(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_add(capsys, "user", "eve", "--dir", str(repo))[0] == 0
    git(repo, "commit", "-qam", "eve")
    code, out = run_add(capsys, "feature", "games", "--dir", str(repo))
    assert code == 2 and "pass --user USER" in out
    assert (
        run_add(capsys, "feature", "games", "--user", "eve", "--dir", str(repo), "--allow-dirty")[0]
        == 0
    )
    assert (repo / "home/eve/features/games.nix").is_file()


def test_add_host_wires_home_manager_and_standalone(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = check_findings(repo, capsys)
    code, out = run_add(capsys, "host", "laptop", "--dir", str(repo))
    assert code == 0, out
    flake = (repo / "flake.nix").read_text()
    assert "nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {" in flake
    assert 'homeConfigurations."ham@laptop"' in flake
    assert (repo / "hosts/laptop/default.nix").is_file()
    assert check_findings(repo, capsys) <= before
    graph = run_add(capsys, "host", "laptop", "--dir", str(repo), "--allow-dirty")
    assert graph[0] == 0 and "nothing to do" in graph[1]


def test_add_host_to_a_helper_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Why: hosts built by `genAttrs [ ... ] mkHost` get the new name in the list, not a copy."""
    work = make_git_repo(copy_tree(HELPER, tmp_path / "repo"))
    code, out = run_add(capsys, "host", "gamma", "--dir", str(work))
    assert code == 0, out
    flake = (work / "flake.nix").read_text()
    assert '"gamma"\n      ] mkHost;' in flake
    assert flake.count("nixpkgs.lib.nixosSystem") == 1
    assert '"kim@gamma" = home-manager.lib.homeManagerConfiguration' in flake


def test_add_user_account_home_and_wiring(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_add(capsys, "user", "eve", "--dir", str(repo))
    assert code == 0, out
    assert "users.users.eve = {" in (repo / "modules/system/users.nix").read_text()
    flake = (repo / "flake.nix").read_text()
    assert "home-manager.users.eve.imports = [ ./home/eve ];" in flake
    assert 'homeConfigurations."eve@nixos-desk"' in flake
    assert (repo / "home/eve/default.nix").is_file()


def test_add_dry_run_writes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tree_files(repo)
    code, out = run_add(capsys, "user", "eve", "--dir", str(repo), "--dry-run")
    assert code == 0 and "+++ b/home/eve/default.nix" in out
    assert tree_files(repo) == snapshot


def test_add_refuses_bad_names(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_add(capsys, "user", "Bad Name", "--dir", str(repo))[0] == 2
    assert run_add(capsys, "host", "-x", "--dir", str(repo))[0] == 2


@pytest.mark.nix
@pytest.mark.parametrize("args", [("feature", "media"), ("host", "laptop"), ("user", "eve")])
def test_every_file_parses_with_nix(
    repo: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, str]
) -> None:
    """Why: `add` writes Nix that nix itself accepts."""
    assert run_add(capsys, *args, "--dir", str(repo))[0] == 0
    nix = shutil.which("nix-instantiate")
    assert nix is not None
    for path in repo.rglob("*.nix"):
        if ".git" in path.parts:
            continue
        p = subprocess.run([nix, "--parse", str(path)], capture_output=True, text=True, check=False)
        assert p.returncode == 0, f"{path}: {p.stderr}"


def test_add_user_reads_the_release_migrate_and_check_read(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue #9): with home-manager on master and nixpkgs on 25.05 the flake is on master
    for `migrate` and `check`; `add user` once read nixpkgs' branch instead and wrote
    `programs.git.extraConfig` with a "25.11 renames this" note."""
    flake = repo / "flake.nix"
    text = flake.read_text()
    pinned = "github:nix-community/home-manager/release-25.05"
    assert pinned in text
    flake.write_text(text.replace(pinned, "github:nix-community/home-manager"))
    git(repo, "commit", "-qam", "home-manager master")
    code, out = run_add(capsys, "user", "eve", "--dir", str(repo))
    assert code == 0, out
    git_feature = (repo / "home/eve/features/git.nix").read_text()
    assert "settings = {" in git_feature
    assert "extraConfig" not in git_feature and "renames" not in git_feature


@pytest.mark.nix
def test_add_host_with_a_darwin_platform_adds_a_mac(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12, measured): `add host mac --system aarch64-darwin` wrote a `nixosSystem` for a
    Mac (NixOS does not run on darwin) and a hardware placeholder, then was refused. It now
    adds a `darwinConfigurations` host: nix-darwin following nixpkgs, home-manager's darwin
    module, the account under /Users, `homeConfigurations."ham@mac"` on aarch64-darwin (unfree
    allowed, as the other host does), and a home that chooses its directory per platform.
    Evaluated with the real nix against the stand-ins; check is clean; a second run is a no-op."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.test_migrate_darwin import nix_value

    standins = Path(__file__).resolve().parent / "standins"
    code, out = run_add(capsys, "host", "mac", str(repo), "--system", "aarch64-darwin")
    assert code == 0, out
    assert "hardware-configuration" not in out
    assert not (repo / "hosts/mac/hardware-configuration.nix").exists()
    flake = (repo / "flake.nix").read_text()
    assert "darwinConfigurations.mac = nix-darwin.lib.darwinSystem {" in flake
    assert "home-manager.darwinModules.home-manager" in flake
    assert 'url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";' in flake
    assert "nixosSystem" not in flake.split("darwinConfigurations.mac", 1)[1]
    host = (repo / "hosts/mac/default.nix").read_text()
    assert 'users.users.ham.home = "/Users/ham";' in host
    assert 'system.primaryUser = "ham";' in host
    data = extract_outputs_standins(repo, standins)
    desk = data.hosts["nixos-desk"].users["ham"].packages
    assert data.hosts["mac"].users["ham"].packages == desk
    assert set(data.homes["ham@mac"].packages) == set(data.homes["ham@nixos-desk"].packages)
    git(repo, "add", "-A")
    for attr, home in (
        ('homeConfigurations."ham@mac"', "/Users/ham"),
        ('homeConfigurations."ham@nixos-desk"', "/home/ham"),
        ("darwinConfigurations.mac.config.home-manager.users.ham", "/Users/ham"),
    ):
        assert (
            nix_value(
                repo, f"{attr}.config.home.homeDirectory".replace("users.ham.config.", "users.ham.")
            )
            == home
        )
    assert check_findings(repo, capsys) == set()
    git(repo, "commit", "-qm", "mac")
    snapshot = tree_files(repo)
    code, out = run_add(capsys, "host", "mac", str(repo), "--system", "aarch64-darwin")
    assert code == 0 and "nothing to do" in out
    assert tree_files(repo) == snapshot


def test_add_user_to_a_flake_without_home_manager(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: on a legacy flake (no home-manager input yet) `add user` asked for home-manager
    twice, wrote the input twice and stopped with "internal error" (found by the fuzz test of
    issue 10); DIR after the options (`add user bob --host nixos-desk DIR`) was refused."""
    work = make_git_repo(copy_tree(EXAMPLE, tmp_path / "repo"))
    code, out = run_add(capsys, "user", "bob", "--host", "nixos-desk", str(work))
    assert code == 0, out
    flake = (work / "flake.nix").read_text()
    assert flake.count("home-manager = {") == 1
    assert "home-manager.users.bob" in flake
    nix = shutil.which("nix-instantiate")
    assert nix is not None
    for path in work.rglob("*.nix"):
        if ".git" in path.parts:
            continue
        p = subprocess.run([nix, "--parse", str(path)], capture_output=True, text=True, check=False)
        assert p.returncode == 0, f"{path}: {p.stderr}"
    code, out = run_add(capsys, "user", "eve", str(work), "extra")
    assert code == 2 and "unrecognized arguments: extra" in out


@pytest.mark.parametrize(
    ("hosts", "written"),
    [
        ("{ } // { desk = HOST; }", "laptop = nixpkgs.lib.nixosSystem"),
        ("(import ./more.nix) // { desk = HOST; }", "laptop = nixpkgs.lib.nixosSystem"),
        ("import ./more.nix { desk = HOST; }", None),
    ],
    ids=["update-of-sets", "update-of-an-import", "computed"],
)
def test_add_host_where_the_hosts_are_an_expression(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], hosts: str, written: str | None
) -> None:
    """Why (issue 10, found by the deep-input runs): with `nixosConfigurations = { } // { … };`
    add wrote a dotted `nixosConfigurations.laptop` beside it, which nix rejects ("already
    defined"): validation caught it, but as exit 4, "internal error … please report". The
    new host goes into the set `//` ends with (its attributes win); a set homeward cannot
    edit is refused with exit 3 at its place, nothing written."""
    work = make_git_repo(copy_tree(MIGRATED, tmp_path / "r"))
    flake = work / "flake.nix"
    text = flake.read_text()
    start = text.index("nixosConfigurations.nixos-desk = ")
    end = text.index("\n      };\n", start) + len("\n      };")
    call = text[start + len("nixosConfigurations.nixos-desk = ") : end - 1]
    flake.write_text(
        text[:start]
        + "nixosConfigurations = "
        + hosts.replace("desk", "nixos-desk").replace("HOST", call)
        + ";"
        + text[end:]
    )
    (work / "more.nix").write_text("{ }\n")
    git(work, "add", "-A")
    git(work, "commit", "-qm", "hosts as an expression")
    before = tree_files(work)
    code, out = run_add(capsys, "host", "laptop", "--dir", str(work))
    if written is None:
        assert code == 3, out
        assert "internal error" not in out
        assert tree_files(work) == before
        return
    assert code == 0, out
    flake_text = flake.read_text()
    assert written in flake_text and "nixosConfigurations.laptop" not in flake_text


@pytest.mark.parametrize(
    ("imports", "expected"),
    [
        ("[ ]", "[ ./features/media.nix ]"),
        ("[]", "[ ./features/media.nix ]"),
        # One element already: two are one a line, as nixfmt writes them.
        ("[ ./x.nix ]", "[\n    ./x.nix\n    ./features/media.nix\n  ]"),
        # Written over several lines: the new line goes before the bracket.
        ("[\n  ]", "[\n    ./features/media.nix\n  ]"),
    ],
    ids=["empty", "empty-tight", "one", "multi-line"],
)
def test_add_feature_to_an_empty_import_list_stays_on_one_line(
    imports: str, expected: str, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: `imports = [ ];` became `imports = [\\n    ./features/media.nix\\n  ];`, where
    nixfmt (and a person) writes one short element on the line of its brackets."""
    entry = repo / "home/ham/default.nix"
    text = entry.read_text()
    start = text.index("  imports = [")
    end = text.index("];", start) + 2
    entry.write_text(text[:start] + f"  imports = {imports};" + text[end:])
    (repo / "x.nix").write_text("{ }\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "imports")
    code, out = run_add(capsys, "feature", "media", "--dir", str(repo))
    assert code == 0, out
    assert f"  imports = {expected};\n" in entry.read_text()
