"""Rule 11 (docs/architecture.md): every new file is read by exactly the (host, user) pairs whose
definitions it holds, through both wirings, and by no other host: checked on the planned tree
(the plan applied in memory, the configuration read again) before anything is written."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path

import pytest

from homeward.apply.write import compute_changes
from homeward.cli import main
from homeward.model.index import build_index
from homeward.model.repo import Repo, load_repo
from homeward.nix.ops import extract_outputs_standins
from homeward.plan.invariants import PlanInvariantError, check_plan
from homeward.plan.migrate import MigrateOptions, plan_migration
from homeward.plan.types import Edit, Moved, NewFile, Plan
from tests.helpers import (
    HM_INPUTS,
    STANDINS,
    copy_tree,
    hm_flake,
    home_entry,
    make_git_repo,
    nixos_entry,
)
from tests.test_conservation import assert_conserved

PER_HOST = Path(__file__).parent / "fixtures" / "migrate" / "per-host" / "before"


def planned(tmp_path: Path) -> tuple[Repo, Plan]:
    root = copy_tree(PER_HOST, tmp_path / "repo")
    repo = load_repo(root)
    return repo, plan_migration(build_index(repo), MigrateOptions())


def rewired(plan: Plan, old: bytes, new: bytes) -> Plan:
    """The plan with `old` replaced by `new` in the text it writes: a planner bug."""
    edits = tuple(replace(e, new=e.new.replace(old, new)) for e in plan.edits)
    files = tuple(replace(f, text=f.text.replace(old, new)) for f in plan.new_files)
    return replace(plan, edits=edits, new_files=files)


def check(repo: Repo, plan: Plan) -> None:
    check_plan(repo, frozenset(build_index(repo).users), plan, compute_changes(repo.root, plan))


def test_the_plan_migrate_makes_keeps_the_invariant(tmp_path: Path) -> None:
    repo, plan = planned(tmp_path)
    assert {f.path.as_posix() for f in plan.new_files} >= {"home/ham/laptop.nix"}
    check(repo, plan)


def test_a_per_host_file_nothing_imports_is_a_bug(tmp_path: Path) -> None:
    """Why (issue 11, "an orphan file"): a per-host package was moved to `home/<u>/<host>.nix`
    that nothing imported; the package was lost and every check passed."""
    repo, plan = planned(tmp_path)
    with pytest.raises(PlanInvariantError, match=r"`home/ham/laptop\.nix` is read by no host"):
        check(repo, rewired(plan, b"./home/ham/laptop.nix", b""))


def test_a_per_host_file_read_by_another_host_is_a_bug(tmp_path: Path) -> None:
    repo, plan = planned(tmp_path)
    with pytest.raises(PlanInvariantError) as caught:
        check(repo, rewired(plan, b"./home/ham/laptop.nix", b"./home/ham/desk.nix"))
    message = str(caught.value)
    assert "`home/ham/desk.nix` is read by `ham@laptop`, whose definitions it does not hold" in (
        message
    )
    assert "`home/ham/laptop.nix` is read by no host" in message


def test_a_file_read_through_one_wiring_only_is_a_bug(tmp_path: Path) -> None:
    """Both wirings must read it: the NixOS module is what the machine activates at boot."""
    repo, plan = planned(tmp_path)
    nixos_only = rewired(
        plan,
        b"./home/ham\n              ./home/ham/laptop.nix\n",
        b"./home/ham\n",
    )
    assert nixos_only != plan, "the NixOS wiring of laptop.nix is not where the test expects it"
    with pytest.raises(
        PlanInvariantError,
        match=r"`home/ham/laptop\.nix` holds definitions of `ham@laptop` but home-manager's "
        r"NixOS module does not read it there",
    ):
        check(repo, nixos_only)


def test_a_new_file_with_definitions_and_no_reader_is_a_bug(tmp_path: Path) -> None:
    repo, plan = planned(tmp_path)
    origin = next(m.origin for m in plan.ledger if m.target == Path("home/ham/laptop.nix"))
    stray = replace(
        plan,
        new_files=(*plan.new_files, NewFile(Path("home/ham/stray.nix"), b"{ }\n", "test")),
        ledger=(
            *plan.ledger,
            Moved("users.users.ham.packages", origin, Path("home/ham/stray.nix"), "home.packages"),
        ),
    )
    with pytest.raises(
        PlanInvariantError,
        match=r"`home/ham/stray\.nix` is read by no host \(it holds definitions of `ham@laptop`\)",
    ):
        check(repo, stray)


def test_a_system_module_read_by_a_host_whose_definitions_it_does_not_hold(
    tmp_path: Path,
) -> None:
    """A definition that stays a NixOS option goes to a module read by exactly its hosts."""
    repo, plan = planned(tmp_path)
    origin = next(m.origin for m in plan.ledger if m.target == Path("home/ham/laptop.nix"))
    target = Path("modules/system/laptop-only.nix")
    # Imported by the module every host reads: the desk would get the laptop's option.
    edit = Edit(
        Path("modules/system/users.nix"),
        *_imports_anchor(repo),
        b"imports = [ ./laptop-only.nix ];\n  ",
        "test",
    )
    wrong = replace(
        plan,
        edits=(*plan.edits, edit),
        new_files=(*plan.new_files, NewFile(target, b"{ }\n", "test")),
        ledger=(
            *plan.ledger,
            Moved("services.x", origin, target, "services.x", to_home=False),
        ),
    )
    with pytest.raises(
        PlanInvariantError,
        match=r"`modules/system/laptop-only\.nix` holds definitions of the hosts `laptop` but "
        r"is read by `desk`, `laptop`",
    ):
        check(repo, wrong)


def _imports_anchor(repo: Repo) -> tuple[int, int]:
    """Where a binding can go in modules/system/users.nix: before its first binding."""
    info = repo.modules["modules/system/users.nix"]
    first = info.module.definitions[0].binding
    return first.start_byte, first.start_byte


def write(root: Path, files: Mapping[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_per_host_files_are_read_by_their_hosts_through_both_wirings(tmp_path: Path) -> None:
    """The mutant `unwired-per-host` (tests/mutants.py) leaves the NixOS module without the
    per-host file: this must then fail with the invariant's message."""
    root = make_git_repo(copy_tree(PER_HOST, tmp_path / "repo"))
    assert main(["migrate", str(root)]) == 0


def own_homes_per_host() -> dict[str, str]:
    """Issue 11's "orphan file": two hosts, each with its own `hosts/<h>/home.nix` wired as
    the user's home, and a package of the user on each host's account."""
    files = {
        "flake.nix": "{\n"
        + HM_INPUTS
        + """  outputs = { self, nixpkgs, home-manager, ... }: {
    nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./hosts/laptop/configuration.nix
        home-manager.nixosModules.home-manager
        {
          home-manager.useGlobalPkgs = true;
          home-manager.users.kim = import ./hosts/laptop/home.nix;
        }
      ];
    };
    nixosConfigurations.desk = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [
        ./hosts/desk/configuration.nix
        home-manager.nixosModules.home-manager
        {
          home-manager.useGlobalPkgs = true;
          home-manager.users.kim = import ./hosts/desk/home.nix;
        }
      ];
    };
  };
}
""",
    }
    for host, system_package, home_package in (
        ("laptop", "powertop", "acpi"),
        ("desk", "blender", "gimp"),
    ):
        files[f"hosts/{host}/configuration.nix"] = f"""{{ pkgs, ... }}:
{{
  networking.hostName = "{host}";
  users.users.kim = {{
    isNormalUser = true;
    packages = [ pkgs.{system_package} ];
  }};
}}
"""
        files[f"hosts/{host}/home.nix"] = f"""{{ pkgs, ... }}:
{{
  home.stateVersion = "25.05";
  home.packages = [ pkgs.{home_package} ];
}}
"""
    return files


def test_the_orphan_file_case_migrates_each_host_from_its_own_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (issue 11): on this shape migrate moved each host's package to
    `home/kim/<host>.nix`, which the NixOS module never imported (lost), and wired the laptop's
    home for the desk's `homeConfigurations`; then the invariant refused it (exit 4), an interim
    safety net. The specification asks for the migration: each host's entry imports its own
    file, and each `homeConfigurations."kim@<host>"` starts from that host's home."""
    root = make_git_repo(write(tmp_path / "repo", own_homes_per_host()))
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    for host, moved in (("laptop", "powertop"), ("desk", "blender")):
        own = (root / "home" / "kim" / f"{host}.nix").read_text()
        assert f"pkgs.{moved}" in own
        entry = (root / "hosts" / host / "home.nix").read_text()
        assert f"../../home/kim/{host}.nix" in entry
        other = "desk" if host == "laptop" else "laptop"
        assert f"../../home/kim/{other}.nix" not in entry
    flake = (root / "flake.nix").read_text()
    desk = flake[flake.index('homeConfigurations."kim@desk"') :]
    assert "./hosts/desk/home.nix" in desk.split("};", 1)[0]
    assert "./hosts/laptop/home.nix" not in desk.split("};", 1)[0]
    capsys.readouterr()
    assert main(["migrate", str(root)]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_a_standalone_home_with_another_hosts_home_is_a_bug(tmp_path: Path) -> None:
    """Why (issue 11): each host had its own `hosts/<h>/home.nix`, and the desk's new
    `homeConfigurations."kim@desk"` got the laptop's. Both wirings must read the same files."""
    root = write(tmp_path / "repo", own_homes_per_host())
    repo = load_repo(root)
    plan = plan_migration(build_index(repo), MigrateOptions())
    check(repo, plan)  # the plan migrate makes keeps it
    desk = b'"kim@desk" = home-manager.lib.homeManagerConfiguration {'
    wrong = replace(
        plan,
        edits=tuple(
            replace(e, new=_laptop_home_for_desk(e.new, desk)) if desk in e.new else e
            for e in plan.edits
        ),
    )
    assert wrong != plan, "the desk's standalone configuration is not where the test expects it"
    with pytest.raises(PlanInvariantError) as caught:
        check(repo, wrong)
    assert (
        '`homeConfigurations."kim@desk"` reads `home/kim/laptop.nix`, `hosts/laptop/home.nix` '
        "and misses `home/kim/desk.nix`, `hosts/desk/home.nix`, unlike home-manager's NixOS "
        "module for `kim` on `desk`"
    ) in str(caught.value)


def _laptop_home_for_desk(text: bytes, desk: bytes) -> bytes:
    head, _, tail = text.partition(desk)
    entry, end, rest = tail.partition(b"};")
    return head + desk + entry.replace(b"hosts/desk/", b"hosts/laptop/") + end + rest


def shared_home_per_host() -> dict[str, str]:
    """The shape above with one home both hosts are wired with (`home/kim/home.nix`)."""
    files = own_homes_per_host()
    files["home/kim/home.nix"] = files.pop("hosts/laptop/home.nix")
    del files["hosts/desk/home.nix"]
    files["flake.nix"] = re.sub(
        r"\./hosts/\w+/home\.nix", "./home/kim/home.nix", files["flake.nix"]
    )
    return files


def test_a_shared_home_with_per_host_files_wires_them_on_each_host(tmp_path: Path) -> None:
    """Why (issue 11): hosts wired already with one shared home got their per-host packages
    moved to `home/kim/<host>.nix`, which their NixOS module did not import. A file both hosts
    read cannot import it: each host's own module does (`home-manager.users.kim.imports`)."""
    root = make_git_repo(write(tmp_path / "repo", shared_home_per_host()))
    assert main(["migrate", str(root)]) == 0
    for host in ("laptop", "desk"):
        own = (root / "hosts" / host / "configuration.nix").read_text()
        assert f"home-manager.users.kim.imports = [ ../../home/kim/{host}.nix ];" in own
    assert "laptop.nix" not in (root / "home" / "kim" / "home.nix").read_text()


@pytest.mark.nix
@pytest.mark.parametrize("shape", [own_homes_per_host, shared_home_per_host])
def test_per_host_homes_are_conserved_by_the_real_nix(
    shape: Callable[[], dict[str, str]], tmp_path: Path
) -> None:
    """Both shapes, evaluated with the stand-ins before and after: every host's NixOS module
    and `homeConfigurations."kim@<host>"` give kim what the host gave before, and `check`
    finds nothing to say."""
    root = make_git_repo(write(tmp_path / "repo", shape()))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0
    after = extract_outputs_standins(root, STANDINS)
    assert set(after.homes) == {"kim@laptop", "kim@desk"}
    assert_conserved(before, after)
    assert main(["check", str(root)]) == 0


def test_a_macs_wiring_is_called_nix_darwins(tmp_path: Path) -> None:
    """Why (#12): a home file the Mac's home-manager module does not read was reported as
    "home-manager's NixOS module does not read it there"; a Mac's is nix-darwin's."""
    from homeward.plan.invariants import Expected, Planned, violations
    from tests.conftest import FIXTURES

    repo = copy_tree(FIXTURES / "migrate" / "darwin-mac" / "after", tmp_path / "repo")
    flake = repo / "flake.nix"
    wired = "home-manager.users.sam.imports = [ ./home/sam ];"
    assert wired in flake.read_text()
    flake.write_text(
        flake.read_text().replace(wired, wired.replace("./home/sam", "./home/sam/features/cli.nix"))
    )
    planned = Planned.of(load_repo(make_git_repo(repo), darwin=True))
    found = violations(planned, "home/sam/default.nix", Expected(frozenset({("mbp", "sam")}), True))
    expected = (
        "`home/sam/default.nix` holds definitions of `sam@mbp` but home-manager's nix-darwin "
        "module does not read it there"
    )
    assert found == [expected], found


def test_the_planned_read_takes_the_validated_texts_as_parsed(tmp_path: Path) -> None:
    """Why (#9): the planned tree's new texts were parsed twice, once to validate them and once
    to read the planned tree (a tenth of the check at 200 hosts). A parse is taken only for the
    very bytes the plan writes there: one of other bytes is parsed again."""
    from homeward.apply.write import validate_changes
    from homeward.model.repo import load_planned

    repo, plan = planned(tmp_path)
    changes = compute_changes(repo.root, plan)
    parsed = validate_changes(changes)
    laptop = Path("home/ham/laptop.nix")
    assert laptop in parsed
    files = {c.path.as_posix(): c.new for c in changes}
    by_name = {p.as_posix(): s for p, s in parsed.items()}
    after = load_planned(repo, files, by_name)
    assert after.modules["home/ham/laptop.nix"].source is parsed[laptop]
    stale = dict(by_name)
    stale["home/ham/laptop.nix"] = replace(parsed[laptop], text=parsed[laptop].text + b"\n")
    again = load_planned(repo, files, stale)
    source = again.modules["home/ham/laptop.nix"].source
    assert source is not stale["home/ham/laptop.nix"]
    assert source.text == files["home/ham/laptop.nix"]
    check_plan(repo, frozenset(build_index(repo).users), plan, changes, parsed)


def read_dir_host() -> dict[str, str]:
    """A laptop, and `den`, which imports whatever `modules/extra/` holds."""
    files = {
        "flake.nix": """{
  inputs.nixpkgs.url = "github:nixos/nixpkgs/nixos-25.05";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.laptop = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/laptop ];
    };
    nixosConfigurations.den = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/den ];
    };
  };
}
""",
        "hosts/laptop/default.nix": """{ pkgs, ... }:
{
  networking.hostName = "laptop";
  services.printing.enable = true;
  users.users.kim = {
    isNormalUser = true;
    packages = [ pkgs.acpi ];
  };
}
""",
        "hosts/den/default.nix": """{
  imports = map (name: ../../modules/extra + "/${name}") (
    builtins.attrNames (builtins.readDir ../../modules/extra)
  );
  networking.hostName = "den";
}
""",
        "modules/extra/base.nix": "{ services.openssh.enable = true; }\n",
    }
    return files


def test_a_new_file_a_host_lists_with_read_dir_is_read_by_that_host(tmp_path: Path) -> None:
    """Why (#9): a host none of whose files the plan touches can still read a new file: `den`
    imports whatever `modules/extra/` holds (`builtins.readDir`), so a module the plan creates
    there for the laptop is read by `den` too. The check reads the planned tree, not the
    closures the hosts had before the plan: it must say so."""
    root = write(tmp_path / "repo", read_dir_host())
    repo = load_repo(root)
    assert "den" in repo.modules["modules/extra/base.nix"].hosts
    plan = plan_migration(build_index(repo), MigrateOptions())
    touched = {e.path for e in plan.edits} | {f.path for f in plan.new_files}
    assert not any(p.parts[:2] == ("hosts", "den") for p in touched)
    check(repo, plan)  # the plan migrate makes keeps the invariant
    laptop = repo.modules["hosts/laptop/default.nix"]
    binding = next(d for d in laptop.module.definitions if d.path[:1] == ("services",)).binding
    target = Path("modules/extra/laptop-only.nix")
    wrong = replace(
        plan,
        edits=(
            *plan.edits,
            Edit(
                target.parents[2] / "hosts/laptop/default.nix",
                binding.start_byte,
                binding.start_byte,
                b"imports = [ ../../modules/extra/laptop-only.nix ];\n  ",
                "test",
            ),
        ),
        new_files=(*plan.new_files, NewFile(target, b"{ }\n", "test")),
        ledger=(
            *plan.ledger,
            Moved(
                "services.printing.enable",
                laptop.module.source.location(binding.start_byte),
                target,
                "services.printing.enable",
                to_home=False,
            ),
        ),
    )
    with pytest.raises(
        PlanInvariantError,
        match=r"`modules/extra/laptop-only\.nix` holds definitions of the hosts `laptop` but "
        r"is read by `den`, `laptop`",
    ):
        check(repo, wrong)


def shared_first_module(package: str) -> dict[str, str]:
    """Two users' standalone configurations on two hosts listing one module only,
    `home/shared` (ann's entry point, as her first module, and bob's); ann has an account on
    the NixOS host `a`, with `package` in it when not empty."""
    account = f"  users.users.ann.packages = [ pkgs.{package} ];\n" if package else ""
    homes = (
        home_entry(f'"{user}@{host}"', "./home/shared")
        for user, host in (("ann", "a"), ("bob", "b"))
    )
    return {
        "flake.nix": hm_flake(nixos_entry("a", "./hosts/a"), *homes),
        "hosts/a/default.nix": f"""{{ pkgs, ... }}:
{{
  networking.hostName = "a";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
{account}}}
""",
        "home/shared/default.nix": "{ pkgs, ... }:\n{\n  home.packages = [ pkgs.jq ];\n}\n",
    }


def before_087806e(monkeypatch: pytest.MonkeyPatch) -> None:
    """The planner as it was before 087806e: a home file other users' homes start from too is
    taken as the user's own entry (only what homeward does not rewire stays, rule 10)."""
    from pathlib import PurePosixPath

    from homeward.model.index import Index

    def frozen_only(index: Index, path: PurePosixPath, user: str) -> bool:
        info = index.repo.modules.get(str(path))
        return info is not None and bool(info.frozen)

    monkeypatch.setattr(Index, "entry_stays", frozen_only)


@pytest.mark.parametrize("package", ["", "htop"], ids=["command-only", "account-package"])
def test_a_configuration_gaining_another_users_definitions_is_a_bug(
    package: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Why (087806e, seen on two public configurations): ann's new feature file was imported
    from `home/shared`, ann's entry point, which bob's configuration lists too: bob's
    configuration gained the home-manager command migrate adds for ann, and the check passed,
    as that file holds no moved definition (the ledger names none) and rules 11 and 13 looked
    only at who a moved definition's file reaches. The plan before 087806e (a shared file
    taken as ann's own) must be refused, naming the file, the configuration that gains and
    what it gains."""
    repo = load_repo(write(tmp_path / "repo", shared_first_module(package)))
    before_087806e(monkeypatch)
    plan = plan_migration(build_index(repo), MigrateOptions())
    shared = next(e for e in plan.edits if e.path == Path("home/shared/default.nix"))
    assert b"../ann/features/cli.nix" in shared.new, "the test expects the plan before 087806e"
    with pytest.raises(PlanInvariantError) as caught:
        check(repo, plan)
    message = str(caught.value)
    gained = ", ".join(f"`pkgs.{p}`" for p in filter(None, ["home-manager", package]))
    assert (
        f"`bob@b` gains `home.packages` ({gained}) through `home/ann/features/cli.nix`, "
        "a file of `ann`'s"
    ) in message, message


def test_a_shared_first_module_gains_no_ones_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mutant `shared-entry-taken` (tests/mutants.py) takes `home/shared` as ann's own
    entry again: this must then fail with the invariant's message (bob gains)."""
    root = make_git_repo(write(tmp_path / "repo", shared_first_module("")))
    shared = (root / "home/shared/default.nix").read_bytes()
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    assert (root / "home/shared/default.nix").read_bytes() == shared
    assert "pkgs.home-manager" in (root / "home/ann/features/cli.nix").read_text()


def test_a_definition_written_into_a_file_several_users_read_is_a_bug(tmp_path: Path) -> None:
    """Why (087806e): the planner took `home/shared`, which ann's and bob's configurations
    both list, as ann's entry point and wrote ann's `home.stateVersion` (for a standalone
    configuration, `home.username`) into it: bob's configuration gained them. The file is not
    new, so rules 11 and 13, which look at who reads the new files, said nothing."""
    repo = load_repo(write(tmp_path / "repo", shared_first_module("")))
    plan = plan_migration(build_index(repo), MigrateOptions())
    check(repo, plan)  # the plan migrate makes leaves the file as it is
    shared = repo.modules["home/shared/default.nix"]
    first = shared.module.definitions[0].binding.start_byte
    wrong = replace(
        plan,
        edits=(
            *plan.edits,
            Edit(Path("home/shared/default.nix"), first, first, b'home.username = "ann";\n  ', "t"),
        ),
    )
    with pytest.raises(
        PlanInvariantError,
        match=r"`home/shared/default\.nix`, which `ann`, `bob` read, gains `home\.username`",
    ):
        check(repo, wrong)


STANDALONE_APPEND = "import the per-host file in the standalone configuration"


def test_an_existing_standalone_configuration_that_misses_a_file_its_nixos_home_gets_is_a_bug(
    tmp_path: Path,
) -> None:
    """Why (966e009): ann's existing `homeConfigurations."ann@a"` lists `home/shared` only,
    which stays; the per-host file migrate writes beside it (`home/ann/a.nix`, the
    home-manager command) went into her new NixOS home only. It holds no moved definition, so
    rule 11 (read by the hosts whose definitions it holds) said nothing, and rule 13's "both
    wirings" was checked for a new standalone configuration only: the plan before 966e009
    (no append to her list) must be refused, naming the configuration, the file and the
    wiring that misses it."""
    repo = load_repo(write(tmp_path / "repo", shared_first_module("")))
    plan = plan_migration(build_index(repo), MigrateOptions())
    check(repo, plan)
    assert any(e.why == STANDALONE_APPEND for e in plan.edits), "the test expects the append"
    unappended = replace(plan, edits=tuple(e for e in plan.edits if e.why != STANDALONE_APPEND))
    with pytest.raises(PlanInvariantError) as caught:
        check(repo, unappended)
    message = str(caught.value)
    assert message.startswith(
        '`homeConfigurations."ann@a"` does not read `home/ann/a.nix`, which '
        "home-manager's NixOS module reads for `ann` on `a`"
    ), message


def test_a_nixos_home_that_misses_a_file_the_existing_standalone_one_gets_is_a_bug(
    tmp_path: Path,
) -> None:
    """The other way round: the per-host file appended to ann's existing standalone list
    and not wired into her NixOS home."""
    repo = load_repo(write(tmp_path / "repo", shared_first_module("")))
    plan = plan_migration(build_index(repo), MigrateOptions())
    unwired = rewired(
        replace(plan, edits=tuple(e for e in plan.edits if e.why != STANDALONE_APPEND)),
        b"./home/ann/a.nix",
        b"",
    )
    appended = tuple(e for e in plan.edits if e.why == STANDALONE_APPEND)
    with pytest.raises(PlanInvariantError) as caught:
        check(repo, replace(unwired, edits=(*unwired.edits, *appended)))
    message = str(caught.value)
    assert message.startswith(
        "home-manager's NixOS module does not read `home/ann/a.nix` for `ann` on `a`, which "
        '`homeConfigurations."ann@a"` reads'
    ), message


def test_what_the_two_wirings_read_differently_before_migrate_is_no_bug(tmp_path: Path) -> None:
    """Rule 13 for existing configurations compares what the plan wires, not the whole sets:
    ann's NixOS home read `home/ann/nixos.nix` and her standalone configuration
    `home/ann/standalone.nix` before migrate (each wiring's own file); migrate adds her
    per-host file to both and leaves the rest as it was."""
    found = shared_first_module("htop")
    found["flake.nix"] = found["flake.nix"].replace(
        "modules = [ ./hosts/a ];",
        "modules = [ ./hosts/a home-manager.nixosModules.home-manager ];",
        1,
    )
    found["flake.nix"] = found["flake.nix"].replace(
        "modules = [ ./home/shared ];", "modules = [ ./home/shared ./home/ann/standalone.nix ];", 1
    )
    found["hosts/a/default.nix"] = found["hosts/a/default.nix"].replace(
        "}\n",
        "  home-manager.users.ann.imports = [ ../../home/shared ../../home/ann/nixos.nix ];\n}\n",
    )
    found["home/ann/nixos.nix"] = "{ ... }:\n{\n  programs.git.enable = true;\n}\n"
    found["home/ann/standalone.nix"] = "{ ... }:\n{\n  targets.genericLinux.enable = true;\n}\n"
    root = make_git_repo(write(tmp_path / "repo", found))
    repo = load_repo(root)
    plan = plan_migration(build_index(repo), MigrateOptions())
    check(repo, plan)
    assert any(e.why == STANDALONE_APPEND for e in plan.edits)


def test_a_kept_standalone_list_reads_the_new_per_host_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The mutant `standalone-not-extended` (tests/mutants.py) leaves ann's existing
    standalone list as it was (the planner before 966e009): this must then fail with the
    invariant's message."""
    root = make_git_repo(write(tmp_path / "repo", shared_first_module("")))
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    flake = (root / "flake.nix").read_text()
    ann = flake[flake.index('"ann@a"') : flake.index('"bob@b"')]
    assert "./home/ann/a.nix" in ann


@pytest.mark.parametrize("package", ["", "htop"], ids=["command-only", "account-package"])
def test_a_standalone_configuration_the_plan_says_it_leaves_is_checked_for_moved_definitions(
    package: str, tmp_path: Path
) -> None:
    """`Plan.unread` (a helper's list left as it was, said in a warning) lets an existing
    standalone configuration miss what migrate adds beside its NixOS home, never a definition
    moved for that user on that host (rule 13 for moved definitions stays whole)."""
    repo = load_repo(write(tmp_path / "repo", shared_first_module(package)))
    plan = plan_migration(build_index(repo), MigrateOptions())
    left = replace(
        plan, edits=tuple(e for e in plan.edits if e.why != STANDALONE_APPEND), unread=("ann@a",)
    )
    if not package:
        check(repo, left)
        return
    with pytest.raises(PlanInvariantError, match=r'`homeConfigurations\."ann@a"` does not read'):
        check(repo, left)
