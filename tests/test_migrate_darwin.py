"""migrate on nix-darwin hosts (issue 12), with the real nix against the stand-ins.

The golden cases `darwin-mac` (a Mac-only flake), `darwin-shared` (a Mac and a NixOS host
sharing a user module, the Mac on a nixpkgs input of its own) and `darwin-helper` (Macs built
by a `mkDarwin` helper) are checked for conservation by tests/test_conservation.py and for
idempotence by tests/test_migrate.py; here, what only a Mac needs: the home directory under
`/Users` through both wirings, a system that builds (`system.primaryUser`), `check` clean.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from homeward.cli import main
from homeward.errors import NixError
from homeward.nix import run
from tests.conftest import FIXTURES
from tests.helpers import STANDINS, copy_tree, flake_overrides, make_git_repo, tree_files, write

CASES = FIXTURES / "migrate"


def git_copy(case: str, side: str, tmp_path: Path) -> Path:
    repo = copy_tree(CASES / case / side, tmp_path / f"{case}-{side}")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    return repo


def nix_value(repo: Path, attr: str) -> object:
    """`nix eval --json` of `attr`, every input of the flake pointed at its stand-in."""
    args = ["eval", "--json", f"{repo}#{attr}", "--no-write-lock-file", *flake_overrides(repo)]
    return json.loads(run.run_nix(args, cwd=repo))


HOMES = [
    ("darwin-mac", "darwinConfigurations.mbp", "sam", "/Users/sam"),
    ("darwin-shared", "darwinConfigurations.mac", "ham", "/Users/ham"),
    ("darwin-shared", "nixosConfigurations.desk", "ham", "/home/ham"),
    ("darwin-helper", "darwinConfigurations.work", "kim", "/Users/kim"),
    ("darwin-helper", "darwinConfigurations.studio", "kim", "/Users/kim"),
]


@pytest.mark.nix
@pytest.mark.parametrize(("case", "host", "user", "home"), HOMES)
def test_home_directory_on_each_platform(
    case: str, host: str, user: str, home: str, tmp_path: Path
) -> None:
    """Why: home-manager's darwin module takes the home from `users.users.<u>.home`, which
    nix-darwin leaves null: the Mac must set it; and `homeConfigurations."<u>@<mac>"` must
    not get `/home/<u>` (a shared home says which by `pkgs.stdenv.isDarwin`)."""
    repo = git_copy(case, "after", tmp_path)
    config = f"{host}.config.home-manager.users.{user}.home.homeDirectory"
    assert nix_value(repo, config) == home
    name = host.split(".", 1)[1]
    standalone = f'homeConfigurations."{user}@{name}".config.home.homeDirectory'
    assert nix_value(repo, standalone) == home


@pytest.mark.nix
@pytest.mark.parametrize("case", ["darwin-mac", "darwin-shared", "darwin-helper"])
def test_every_mac_builds_after(case: str, tmp_path: Path) -> None:
    """Why: current nix-darwin refuses user-level defaults without `system.primaryUser`; the
    Mac-only case had none, and migrate adds it for the Mac's one user."""
    repo = git_copy(case, "after", tmp_path)
    text = (repo / "flake.nix").read_text()
    names = {"darwin-mac": ["mbp"], "darwin-shared": ["mac"], "darwin-helper": ["work", "studio"]}
    for name in names[case]:
        built = nix_value(repo, f"darwinConfigurations.{name}.system.name")
        assert isinstance(built, str) and built.startswith("darwin-system-"), built
    assert "darwinModules.home-manager" in text


@pytest.mark.nix
def test_the_mac_only_case_did_not_build_before(tmp_path: Path) -> None:
    """Why: the test above must be able to fail: before, the Mac sets `system.defaults` and
    `homebrew` without `system.primaryUser`, which the stand-in refuses as nix-darwin does."""
    repo = git_copy("darwin-mac", "before", tmp_path)
    with pytest.raises(NixError, match="primaryUser"):
        nix_value(repo, "darwinConfigurations.mbp.system.name")


@pytest.mark.parametrize("case", ["darwin-mac", "darwin-shared", "darwin-helper"])
def test_check_is_clean_after(case: str, tmp_path: Path) -> None:
    """Why: issue 12, 'check clean after' (HW018-HW020 included) on every darwin case."""
    repo = git_copy(case, "after", tmp_path)
    assert main(["check", str(repo)]) == 0


def test_a_mac_on_its_own_nixpkgs_gets_its_own_home_manager() -> None:
    """Why: nix-darwin and home-manager assert that their release matches nixpkgs': the Mac on
    `nixpkgs-25.05-darwin` gets a home-manager input following that one, used for its module
    and its standalone home; the NixOS host keeps the one following `nixpkgs`."""
    text = (CASES / "darwin-shared" / "after" / "flake.nix").read_text()
    assert (
        'home-manager-darwin = {\n      url = "github:nix-community/home-manager/release-25.05";\n      inputs.nixpkgs.follows = "nixpkgs-darwin";'
        in text
    )
    assert "home-manager-darwin.darwinModules.home-manager" in text
    assert "home-manager.nixosModules.home-manager" in text
    assert '"ham@mac" = home-manager-darwin.lib.homeManagerConfiguration' in text or (
        'homeConfigurations."ham@mac" = home-manager-darwin.lib.homeManagerConfiguration' in text
    )
    assert "nixpkgs-darwin.legacyPackages.aarch64-darwin" in text


MAC_USER_FILE = """{ pkgs, ... }:
{
  users.users.sam = {
    home = "/Users/sam";
    packages = [ pkgs.jq ];
  };
  homebrew.casks = [ "iterm2" ];
  system.defaults.NSGlobalDomain.KeyRepeat = 2;
  launchd.user.agents.hello.serviceConfig.ProgramArguments = [ "echo" ];
  services.yabai.enable = true;
}
"""


def test_system_level_options_of_a_mac_stay_system_options(tmp_path: Path) -> None:
    """Why (#12): `homebrew.*`, `system.defaults`, `launchd` and `services.*` are system-level
    on nix-darwin: a Mac user's file that sets them keeps them in a system module, never in
    home-manager (which has a `launchd.agents` and `services.*` of its own, meaning else)."""
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.migrate import MigrateOptions, plan_migration

    repo = copy_tree(CASES / "darwin-mac" / "before", tmp_path / "repo")
    (repo / "home" / "sam.nix").write_text(MAC_USER_FILE)
    plan = plan_migration(build_index(load_repo(repo, darwin=True)), MigrateOptions())
    files = {str(f.path): f.text.decode() for f in plan.new_files}
    system = files["modules/system/sam.nix"]
    for option in ("homebrew.casks", "system.defaults", "launchd.user.agents", "services.yabai"):
        assert option in system
        assert all(option not in text for path, text in files.items() if path.startswith("home/"))
    assert "jq" in files["home/sam/features/cli.nix"]


def test_check_calls_the_macs_findings_fixable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): check asks migrate's own plan which findings it fixes; it asked the plan of
    a repository whose Macs were frozen, and told to fix the Mac's `users.users.ham.packages`
    by hand although migrate moves it."""
    repo = git_copy("darwin-shared", "before", tmp_path)
    capsys.readouterr()
    assert main(["check", str(repo)]) == 1
    out = capsys.readouterr().out
    mac = [line for line in out.splitlines() if "hosts/mac/default.nix:" in line]
    assert mac and "HW002" in mac[0]
    hint = out.splitlines()[out.splitlines().index(mac[0]) + 1]
    assert "(fixable: run `homeward migrate`)" in hint
    assert "keeps it where it is" not in out


@pytest.mark.nix
def test_verify_compares_the_mac_and_catches_a_package_dropped_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12, done when): `verify` on the Mac + NixOS case reports the darwin host, says
    "no difference" after migrate, and catches a package then dropped from the Mac only."""
    from tests.helpers import git, make_git_repo

    repo = make_git_repo(copy_tree(CASES / "darwin-shared" / "before", tmp_path / "repo"))
    assert main(["migrate", str(repo)]) == 0
    capsys.readouterr()
    assert main(["verify", str(repo), *flake_overrides(repo)]) == 0
    out = capsys.readouterr().out
    assert "mac: ham  (compared with mac: ham at HEAD)" in out
    assert "ham@mac (standalone)" in out and out.rstrip().endswith("no difference"), out
    mac = repo / "home" / "ham" / "mac.nix"
    mac.write_text(mac.read_text().replace("    gnused\n", ""))
    git(repo, "status")
    capsys.readouterr()
    assert main(["verify", str(repo), *flake_overrides(repo)]) == 1
    out = capsys.readouterr().out
    assert "differences: mac: ham: 1 package lost; ham@mac (standalone): 1 package lost" in out
    assert out.count("lost packages: gnused") == 2, out


@pytest.mark.nix
def test_add_a_second_mac_to_a_mac_flake(tmp_path: Path) -> None:
    """Why (#12): `add host --system aarch64-darwin` on a Mac-only flake (`init`'s) writes the
    new Mac like the first one, its `specialArgs` included (the home reads `inputs`), and both
    the Mac and `ham@mbp` evaluate with the real nix; check stays clean."""
    repo = tmp_path / "mac-config"
    args = ["--user", "ham", "--host", "mac", "--system", "aarch64-darwin"]
    assert main(["init", str(repo), *args]) == 0
    make_git_repo(repo)
    assert main(["add", "host", "mbp", str(repo), "--system", "aarch64-darwin"]) == 0
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True)
    flake = (repo / "flake.nix").read_text()
    entry = flake.split("darwinConfigurations.mbp", 1)[1].split("homeConfigurations", 1)[0]
    assert entry.count("inherit inputs;") == 2  # specialArgs and extraSpecialArgs
    assert "extraSpecialArgs = { inherit inputs; };" in flake.split('"ham@mbp"', 1)[1]
    built = nix_value(repo, "darwinConfigurations.mbp.system.name")
    assert isinstance(built, str) and built.startswith("darwin-system-")
    home = 'homeConfigurations."ham@mbp".config.home.homeDirectory'
    assert nix_value(repo, home) == "/Users/ham"
    assert main(["check", str(repo)]) == 0


SHARED_USER_FILE = """# Ham's tools, on the desktop and on the Mac alike.
{ pkgs, lib, ... }:
{
  users.users.ham.packages = with pkgs; [
    ripgrep
    jq
  ] ++ lib.optionals pkgs.stdenv.isLinux [ firefox ];

  programs.tmux = {
    enable = true;
    extraConfig = "set -g mouse on";
  };

  environment.variables.EDITOR = "vim";
}
"""


@pytest.mark.nix
def test_a_linux_only_part_of_a_shared_user_file_stays_guarded(tmp_path: Path) -> None:
    """Why (#12): a user file both a NixOS host and a Mac import, with a Linux-only package
    behind `pkgs.stdenv.isLinux`, is migrated once for both; the guard moves with the list,
    so the Mac (and `ham@mac`) still does not get the Linux package, and nothing is lost on
    either host, through both wirings (real nix, stand-ins)."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.test_conservation import assert_conserved

    base = copy_tree(CASES / "darwin-shared" / "before", tmp_path / "before")
    (base / "modules" / "ham.nix").unlink()
    (base / "home").mkdir()
    (base / "home" / "ham.nix").write_text(SHARED_USER_FILE)
    flake = base / "flake.nix"
    flake.write_text(flake.read_text().replace("./modules/ham.nix", "./home/ham.nix"))
    before = make_git_repo(copy_tree(base, tmp_path / "repo-before"))
    repo = make_git_repo(copy_tree(base, tmp_path / "repo"))
    assert main(["migrate", str(repo)]) == 0
    cli = (repo / "home" / "ham" / "features" / "cli.nix").read_text()
    assert "lib.optionals pkgs.stdenv.isLinux [ firefox ]" in cli
    was = extract_outputs_standins(before, STANDINS)
    now = extract_outputs_standins(repo, STANDINS)
    assert_conserved(was, now)
    assert "firefox" not in now.hosts["mac"].users["ham"].packages
    assert "firefox" not in now.homes["ham@mac"].packages
    assert "firefox" in now.homes["ham@desk"].packages


KIM_FILE = """{ pkgs, ... }:
{
  users.users.kim = {
    home = "/Users/kim";
    packages = [ pkgs.jq ];
  };
}
"""


def _two_user_mac(tmp_path: Path, host_extra: str = "") -> Path:
    repo = copy_tree(CASES / "darwin-mac" / "before", tmp_path / "repo")
    (repo / "home" / "kim.nix").write_text(KIM_FILE)
    flake = repo / "flake.nix"
    flake.write_text(
        flake.read_text().replace("./home/sam.nix\n", "./home/sam.nix\n./home/kim.nix\n")
    )
    host = repo / "hosts" / "mbp" / "default.nix"
    host.write_text(
        host.read_text().replace("  system.stateVersion", host_extra + "  system.stateVersion")
    )
    return repo


def _mac_plan(repo: Path) -> tuple[str, list[str]]:
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.migrate import MigrateOptions, plan_migration

    plan = plan_migration(build_index(load_repo(repo, darwin=True)), MigrateOptions())
    flake = next((f.text.decode() for f in plan.new_files if f.path.name == "flake.nix"), "")
    from homeward.apply.write import compute_changes

    changes = compute_changes(repo, plan)
    text = "".join(c.new.decode() for c in changes if c.new is not None)
    return flake + text, [d.message for d in plan.diagnostics]


def test_primary_user_on_a_mac_with_several_users(tmp_path: Path) -> None:
    """Why (#12): current nix-darwin refuses `system.defaults` and `homebrew` without
    `system.primaryUser`; migrate added it for a Mac's one user only, and said nothing on a
    Mac with two: the Mac still did not build, silently. Whose defaults they are cannot be
    told from two accounts: migrate now says so, precisely, and writes no guess."""
    repo = _two_user_mac(tmp_path)
    text, messages = _mac_plan(repo)
    assert "system.primaryUser" not in text
    warned = [m for m in messages if "system.primaryUser" in m]
    assert len(warned) == 1, messages
    assert "`darwinConfigurations.mbp`" in warned[0]
    assert "`kim`, `sam`" in warned[0] and "`system.defaults`" in warned[0]


def test_primary_user_from_nix_homebrew_user(tmp_path: Path) -> None:
    """Why (#12): nix-homebrew's `nix-homebrew.user` owns the Homebrew prefix that
    nix-darwin's `homebrew` runs `brew` as `system.primaryUser` in: the two are the same
    user, so that one decides between several accounts."""
    repo = _two_user_mac(tmp_path, '  nix-homebrew.user = "sam";\n')
    text, messages = _mac_plan(repo)
    assert text.count('system.primaryUser = "sam";') == 1, text
    assert not [m for m in messages if "system.primaryUser" in m], messages


def test_an_existing_primary_user_is_kept(tmp_path: Path) -> None:
    repo = _two_user_mac(tmp_path, '  system.primaryUser = "kim";\n')
    text, messages = _mac_plan(repo)
    assert "system.primaryUser" not in text  # nothing written: the host's own line stays
    assert not [m for m in messages if "system.primaryUser" in m], messages


def _added(case: str, tmp_path: Path, *args: str) -> Path:
    repo = make_git_repo(copy_tree(CASES / case / "after", tmp_path / "repo"))
    assert main(["add", "user", "kim", str(repo), *args]) == 0
    from tests.helpers import git

    git(repo, "add", "-A")
    return repo


def test_add_user_on_a_mac_is_mac_aware(tmp_path: Path) -> None:
    """Why (#12, measured): `add user kim --host mbp` on a Mac-only flake said "no host `mbp`
    in flake.nix (hosts: )" (Macs were not hosts to add), and without `--host` "this flake has
    no nixosConfigurations". On a Mac the user gets nix-darwin's account (`users.users.kim.home
    = "/Users/kim"`, no NixOS `isNormalUser`), home-manager's darwin module, a home under
    /Users and the standalone entry on the Mac's packages."""
    repo = _added("darwin-mac", tmp_path, "--host", "mbp")
    flake = (repo / "flake.nix").read_text()
    home = (repo / "home" / "kim" / "default.nix").read_text()
    assert 'home.homeDirectory = lib.mkDefault "/Users/kim";' in home
    assert "home-manager.users.kim.imports = [ ./home/kim ];" in flake
    assert 'users.users.kim.home = "/Users/kim";' in flake
    every = "".join(p.read_text() for p in repo.rglob("*.nix"))
    assert "isNormalUser" not in every
    entry = flake[flake.index('homeConfigurations."kim@mbp"') :]
    assert "nixpkgs.legacyPackages.aarch64-darwin" in entry.split(";")[0] + entry.split(";")[1]
    assert main(["check", str(repo)]) == 0


def test_add_user_on_a_mac_and_a_nixos_host(tmp_path: Path) -> None:
    """Why (#12): a user added to every host of a Mac + NixOS flake gets a NixOS account on
    the NixOS host, a nix-darwin one on the Mac, and one home whose directory is chosen by
    `pkgs.stdenv.isDarwin`."""
    repo = _added("darwin-shared", tmp_path)
    flake = (repo / "flake.nix").read_text()
    home = (repo / "home" / "kim" / "default.nix").read_text()
    assert 'if pkgs.stdenv.isDarwin then "/Users/kim" else "/home/kim"' in home
    assert "isNormalUser" in (repo / "hosts" / "desk" / "default.nix").read_text()
    assert "isNormalUser" not in (repo / "hosts" / "mac" / "default.nix").read_text()
    assert 'users.users.kim.home = "/Users/kim";' in flake
    assert flake.count("home-manager.users.kim.imports = [ ./home/kim ];") == 2
    assert 'homeConfigurations."kim@mac" = home-manager-darwin.lib' in flake
    assert main(["check", str(repo)]) == 0


@pytest.mark.nix
@pytest.mark.parametrize(
    ("host", "home"),
    [("darwinConfigurations.mac", "/Users/kim"), ("nixosConfigurations.desk", "/home/kim")],
)
def test_a_user_added_on_a_mac_and_a_nixos_host_evaluates(
    host: str, home: str, tmp_path: Path
) -> None:
    """Why (#12): the added user's home, through both wirings, on both platforms (real nix)."""
    repo = _added("darwin-shared", tmp_path)
    assert nix_value(repo, f"{host}.config.home-manager.users.kim.home.homeDirectory") == home
    name = host.split(".", 1)[1]
    standalone = f'homeConfigurations."kim@{name}".config.home.homeDirectory'
    assert nix_value(repo, standalone) == home


def test_what_stays_on_a_mac_is_called_a_nix_darwin_option(tmp_path: Path) -> None:
    """Why (#12, measured): migrate said "`programs.tmux` stays a NixOS option" of a Mac-only
    flake's module; a Mac's module is nix-darwin's, and the user reads the notes to know where
    the definition went."""
    repo = _two_user_mac(tmp_path, '  system.primaryUser = "sam";\n')
    _, messages = _mac_plan(repo)
    tmux = [m for m in messages if m.startswith("`programs.tmux`")]
    assert tmux and all("stays a nix-darwin option" in m for m in tmux), messages
    assert not [m for m in messages if "NixOS" in m], messages


def test_verify_says_nix_darwin_for_bash_on_a_mac() -> None:
    """Why (#12): verify accounted bash added on a Mac with "bash is part of every NixOS
    system"; on a Mac it is nix-darwin's `programs.bash`, on by default."""
    from homeward.model.compare import EMPTY, Kind, View, diff_packages

    before = View("mac: ham", Kind.MODULE, frozenset(), {}, darwin=True)
    after = View("mac: ham", Kind.MODULE, frozenset({"bash"}), {}, darwin=True)
    assert "nix-darwin" in diff_packages(before, after).accounted["bash"]
    linux = View("desk: ham", Kind.MODULE, frozenset({"bash"}), {})
    assert "NixOS" in diff_packages(EMPTY, linux).accounted["bash"]


def test_the_summary_says_nix_darwin_for_what_stays_on_a_mac(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): the ledger said "stays a NixOS option" of a Mac's definitions and the summary
    headed them "staying NixOS options"; on a Mac-only flake both are nix-darwin's."""
    from homeward.apply.write import compute_changes
    from homeward.model.index import build_index
    from homeward.model.repo import load_repo
    from homeward.plan.migrate import MigrateOptions, plan_migration
    from homeward.render.plan import print_summary

    repo = copy_tree(CASES / "darwin-mac" / "before", tmp_path / "repo")
    (repo / "home" / "sam.nix").write_text(MAC_USER_FILE)
    plan = plan_migration(build_index(load_repo(repo, darwin=True)), MigrateOptions())
    kept = [m for m in plan.ledger if not m.to_home]
    assert kept and all(m.note == "stays a nix-darwin option" for m in kept), kept
    print_summary(plan, compute_changes(repo, plan))
    out = capsys.readouterr().out
    assert "staying nix-darwin options (system-level" in out, out
    assert "NixOS" not in out, out


def test_add_user_on_a_mac_suggests_zsh(tmp_path: Path) -> None:
    """Why (#12): the `cli.nix` that `add user` writes on a Mac suggested `programs.bash.enable`;
    zsh is the Mac's login shell, so that is the one home-manager should manage there."""
    repo = _added("darwin-mac", tmp_path, "--host", "mbp")
    cli = (repo / "home" / "kim" / "features" / "cli.nix").read_text()
    assert "# programs.zsh.enable = true;" in cli and "~/.zshrc" in cli, cli
    assert "bash" not in cli, cli
    linux = _added("darwin-shared", tmp_path / "linux", "--host", "desk")
    assert (
        "# programs.bash.enable = true;"
        in (linux / "home" / "kim" / "features" / "cli.nix").read_text()
    )


@pytest.mark.parametrize(
    ("notes", "header"),
    [
        (["stays a NixOS option"], "staying NixOS options"),
        (["stays a nix-darwin option"], "staying nix-darwin options"),
        (["stays a NixOS option", "stays a nix-darwin option"], "staying system options"),
        (["stays a NixOS and nix-darwin option"], "staying system options"),
    ],
)
def test_the_summary_header_names_whose_options_stay(
    notes: list[str], header: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (#12): the header of the rows that stay names their kind, neutral when mixed."""
    from homeward.errors import Location
    from homeward.plan.types import Moved, Plan
    from homeward.render.plan import print_summary

    ledger = tuple(
        Moved(f"a{i}", Location(Path("m.nix"), i + 1, 1), Path("sys.nix"), f"a{i}", note, False)
        for i, note in enumerate(notes)
    )
    print_summary(Plan(ledger=ledger), [])
    out = capsys.readouterr().out
    assert f"{header} (system-level" in out and "moved definitions" not in out, out


HOME_WITHOUT_ACCOUNT = {
    "flake.nix": """{
  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    nixpkgs-darwin.url = "github:NixOS/nixpkgs/nixpkgs-25.05-darwin";
    nix-darwin = {
      url = "github:nix-darwin/nix-darwin/nix-darwin-25.05";
      inputs.nixpkgs.follows = "nixpkgs-darwin";
    };
    home-manager.url = "github:nix-community/home-manager/release-25.05";
    home-manager.inputs.nixpkgs.follows = "nixpkgs";
  };

  outputs =
    { self, nixpkgs, nixpkgs-darwin, nix-darwin, home-manager }:
    {
      nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [ ./hosts/desk ];
      };

      darwinConfigurations.mac = nix-darwin.lib.darwinSystem {
        modules = [
          ./hosts/mac
          home-manager.darwinModules.home-manager
          { home-manager.users.kim.imports = [ ./home/kim ]; }
        ];
      };
    };
}
""",
    "hosts/mac/default.nix": """{ pkgs, ... }:
{
  nixpkgs.hostPlatform = "aarch64-darwin";
  networking.hostName = "mac";
  system.stateVersion = 6;
}
""",
    "hosts/desk/default.nix": """{ pkgs, ... }:
{
  networking.hostName = "desk";
  users.users.kim = {
    isNormalUser = true;
    packages = [ pkgs.firefox ];
  };
  system.stateVersion = "25.05";
}
""",
    "home/kim/default.nix": """{ pkgs, ... }:
{
  home.packages = [ pkgs.htop ];
  home.stateVersion = "25.05";
}
""",
}


# The same, kim's home wired on the desk too.
DESK_WIRED = HOME_WITHOUT_ACCOUNT["flake.nix"].replace(
    "modules = [ ./hosts/desk ];",
    "modules = [\n          ./hosts/desk\n          home-manager.nixosModules.home-manager\n"
    "          { home-manager.users.kim = import ./home/kim; }\n        ];",
)

# The same, with kim's account on the Mac in a file the flake names through an interpolation.
ACCOUNT_ELSEWHERE = {
    **HOME_WITHOUT_ACCOUNT,
    "flake.nix": HOME_WITHOUT_ACCOUNT["flake.nix"].replace(
        "          ./hosts/mac\n",
        '          ./hosts/mac\n          "${toString ./hosts}/mac/users.nix"\n',
    ),
    "hosts/mac/users.nix": '{\n  users.users.kim.home = "/Users/kim";\n}\n',
}


def test_a_home_wired_on_a_mac_without_the_account_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the Mac wires `home-manager.users.kim` and has no `users.users.kim` (nix-darwin's
    home-manager module needs the account's home). Kim's desk packages went into her home
    file, which the Mac reads too, and the invariants stopped migrate with an internal error
    (exit 4) on user input. It is refused, at the wiring, saying what to add; nothing is
    written. With the account, the same configuration migrates. (The desk wires the same
    home: where kim had none on the desk, the desk gets one of its own, and the Mac's file is
    not touched: tests/test_homeless_hosts_moves.py.)"""
    files = {**HOME_WITHOUT_ACCOUNT, "flake.nix": DESK_WIRED}
    root = make_git_repo(write(tmp_path / "repo", files))
    before = tree_files(root)
    assert main(["migrate", str(root)]) == 3
    err = capsys.readouterr().err
    flake = DESK_WIRED
    line = flake[: flake.index("home-manager.users.kim.imports")].count("\n") + 1
    assert f"flake.nix:{line}:" in err, err
    assert "`kim` has no account on `mac`" in err, err
    assert "does not evaluate as it is" in err, err
    assert 'users.users.kim.home = "/Users/kim";' in err, err
    assert "internal error" not in err
    assert tree_files(root) == before
    mac = root / "hosts/mac/default.nix"
    mac.write_text(
        mac.read_text().replace("  system.", '  users.users.kim.home = "/Users/kim";\n  system.')
    )
    assert main(["migrate", "--dry-run", str(root)]) == 0, capsys.readouterr().err


def test_a_home_wired_where_the_account_is_not_read_stays_and_gets_nothing_of_other_hosts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the Mac's account for kim is in a module homeward cannot read
    (`"${toString ./hosts}/…"`: a string, not a path; `"${./hosts}/…"` names the file and is
    read), so the Mac is not one of kim's hosts to the planner, though its home-manager reads kim's
    home file: kim's desk packages went into that file, reaching the Mac (an internal error,
    exit 4, from the invariants). A home file a host without a known account reads stays as
    it is (`Index.entry_stays`); the desk's packages go to `home/kim/desk.nix` beside it."""
    found = ACCOUNT_ELSEWHERE
    root = make_git_repo(write(tmp_path / "repo", found))
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    assert after["home/kim/default.nix"].decode() == found["home/kim/default.nix"]
    desk = b"".join(v for k, v in after.items() if k.startswith("home/kim/") and "desk" in k)
    features = b"".join(v for k, v in after.items() if k.startswith("home/kim/features/"))
    assert b"desk.nix" in after["hosts/desk/default.nix"] or b"desk.nix" in after["flake.nix"]
    assert b"firefox" in desk + features


def test_a_home_left_where_the_account_may_be_unread_is_warned_about(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: where the Mac's account for kim may be in a module homeward cannot read, her
    home file is left as it is (rule 9) and nothing said so. A warning names the host, the
    user, the file left, and the module not read at its file:line:col."""
    found = ACCOUNT_ELSEWHERE
    root = make_git_repo(write(tmp_path / "repo", found))
    assert main(["migrate", "--dry-run", str(root)]) == 0
    err = capsys.readouterr().err
    flake = found["flake.nix"]
    before = flake[: flake.index('"${toString ./hosts}/mac/users.nix"')]
    where = f"flake.nix:{before.count(chr(10)) + 1}:{len(before) - before.rfind(chr(10))}"
    warning = next((line for line in err.splitlines() if f"{where}: warning:" in line), "")
    assert warning, err
    assert "`kim`" in warning and "`mac`" in warning, warning
    assert "`home/kim/default.nix` is left as it is" in warning, warning
