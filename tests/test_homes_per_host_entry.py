"""A user whose standalone configurations start from different files on different hosts
(`homeConfigurations."ann@a"` reads `home/ann/a-home.nix`, `"ann@b"` reads `home/ann/b-home.nix`)
and who has an account with packages on both NixOS hosts: the home migrate wires on host `h`
starts from the file ann's `ann@h` starts from, so both wirings of one host read the same files
(rule 13), and what each host's account held reaches that host alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from tests.helpers import hm_flake, home_entry, make_git_repo, nixos_entry, tree_files, write


def _host(name: str) -> str:
    return nixos_entry(name, f"./hosts/{name} home-manager.nixosModules.home-manager") + home_entry(
        f'"ann@{name}"', f"./home/ann/{name}-home.nix"
    )


FLAKE = hm_flake(_host("a"), _host("b"))


def _account(name: str, package: str) -> str:
    return f"""{{ pkgs, ... }}:
{{
  networking.hostName = "{name}";
  system.stateVersion = "25.05";
  users.users.ann.isNormalUser = true;
  users.users.ann.packages = [ pkgs.{package} ];
}}
"""


def _home(package: str) -> str:
    return f"""{{ pkgs, ... }}:
{{
  home.username = "ann";
  home.homeDirectory = "/home/ann";
  home.stateVersion = "25.05";
  home.packages = [ pkgs.{package} ];
}}
"""


FILES = {
    "flake.nix": FLAKE,
    "hosts/a/default.nix": _account("a", "htop"),
    "hosts/b/default.nix": _account("b", "acpi"),
    "home/ann/a-home.nix": _home("jq"),
    "home/ann/b-home.nix": _home("ripgrep"),
}


def test_each_hosts_home_starts_from_that_hosts_standalone_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: migrate chose one file per user for every host's NixOS home (`a-home.nix`), so
    the home wired on `b` read `a`'s file and not `b`'s: the invariants stopped it with an
    internal error (exit 4) on user input."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = tree_files(root)
    flake = after["flake.nix"].decode()
    host_a, host_b = flake.split("nixosConfigurations.b")
    assert "users.ann.imports = [ ./home/ann/a-home.nix ];" in host_a, flake
    assert "users.ann.imports = [ ./home/ann/b-home.nix ];" in host_b, flake
    assert "b-home" not in host_a.split('"ann@a"')[0], flake
    for name, own, other in (("a", "htop", "acpi"), ("b", "acpi", "htop")):
        mine = after[f"home/ann/{name}.nix"].decode()
        assert f"pkgs.{own}" in mine and f"pkgs.{other}" not in mine, mine
        assert f"./{name}.nix" in after[f"home/ann/{name}-home.nix"].decode()
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after
    assert main(["check", str(root)]) == 0


@pytest.mark.nix
def test_each_hosts_home_is_conserved_by_the_real_nix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo", FILES))
    before = extract_outputs_standins(root, STANDINS)
    assert main(["migrate", str(root)]) == 0, capsys.readouterr().err
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    for name, own, home, other in (("a", "htop", "jq", "acpi"), ("b", "acpi", "ripgrep", "htop")):
        nixos = after.hosts[name].users["ann"].packages
        standalone = set(after.homes[f"ann@{name}"].packages)
        assert {own, home} <= nixos, (name, sorted(nixos))
        assert {own, home} <= standalone, (name, sorted(standalone))
        assert other not in nixos and other not in standalone, (name, nixos, standalone)
        assert nixos == standalone | (nixos - standalone), name
    assert main(["check", str(root)]) == 0


MIXED_FLAKE = hm_flake(
    """      nixosConfigurations.a = nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        modules = [
          ./hosts/a
          home-manager.nixosModules.home-manager
          { home-manager.users.ann = import ./home/ann/nixos.nix; }
        ];
      };
""",
    nixos_entry("b", "./hosts/b"),
    home_entry('"ann@b"', "./home/ann/standalone.nix"),
)

MIXED = {
    "flake.nix": MIXED_FLAKE,
    "hosts/a/default.nix": _account("a", "htop"),
    "hosts/b/default.nix": _account("b", "acpi"),
    "home/ann/nixos.nix": _home("jq").replace(
        '  home.username = "ann";\n  home.homeDirectory = "/home/ann";\n', ""
    ),
    "home/ann/standalone.nix": _home("ripgrep"),
}


@pytest.mark.nix
def test_a_user_wired_through_nixos_on_one_host_and_standalone_on_another(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why (untested until now): ann's home is wired through home-manager's NixOS module on
    `a` (`home/ann/nixos.nix`), and `homeConfigurations."ann@b"` reads another file
    (`home/ann/standalone.nix`) on `b`, where no NixOS module wires her home. The home migrate
    wired on `b` started from `nixos.nix`, which `ann@b` does not read: the invariants stopped
    migrate with an internal error (exit 4) on user input. On `b` it starts from the file
    `ann@b` starts from (rule 13: both wirings of `b` read the same files), `a` keeps its own;
    each host's account packages reach that host alone, once, through each wiring it has,
    conserved with the real nix; a second run changes nothing; `check` is clean."""
    from homeward.nix.ops import extract_outputs_standins
    from tests.helpers import STANDINS
    from tests.test_conservation import assert_conserved

    root = make_git_repo(write(tmp_path / "repo", MIXED))
    before = extract_outputs_standins(root, STANDINS)
    code = main(["migrate", str(root)])
    err = capsys.readouterr().err
    assert code == 0, err
    after_files = tree_files(root)
    flake = after_files["flake.nix"].decode()
    host_a, host_b = flake.split("nixosConfigurations.b")
    assert "home-manager.users.ann = import ./home/ann/nixos.nix;" in host_a, flake
    assert "standalone.nix" not in host_a, flake
    assert "users.ann.imports = [ ./home/ann/standalone.nix ];" in host_b, flake
    assert "nixos.nix" not in host_b, flake
    after = extract_outputs_standins(root, STANDINS)
    assert_conserved(before, after)
    a = after.hosts["a"].users["ann"].packages
    b = after.hosts["b"].users["ann"].packages
    standalone = after.homes["ann@b"].packages
    assert {"htop", "jq"} <= a and not {"acpi", "ripgrep"} & a, sorted(a)
    assert {"acpi", "ripgrep"} <= b and not {"htop", "jq"} & b, sorted(b)
    assert {"acpi", "ripgrep"} <= set(standalone) and not {"htop", "jq"} & set(standalone)
    for moved in ("htop", "acpi"):  # each account package written once, in one file
        holders = [
            name
            for name, text in after_files.items()
            if name.endswith(".nix") and f"pkgs.{moved}" in text.decode()
        ]
        assert len(holders) == 1, (moved, holders)
    assert main(["migrate", str(root)]) == 0
    assert tree_files(root) == after_files
    assert main(["check", str(root)]) == 0
