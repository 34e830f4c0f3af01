"""A module file whose bytes are not text is an opaque module (issue 11: "Bytes that are not
text (a git-crypt encrypted file): opaque"): the hosts that import it are still hosts, the file
is named with why, and it is never edited. Measured on a real fleet: one git-crypt encrypted
`secrets/<x>/default.nix` skipped its host and `check` reported an error after `migrate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from homeward.cli import main
from homeward.model.repo import ModuleKind, ProblemKind, load_repo
from tests.helpers import git, make_git_repo
from tests.test_openworld import flake, write

# What `git-crypt` leaves in a fresh clone: its magic header, then encrypted bytes.
ENCRYPTED = b"\x00GITCRYPT\x00\x8a\x13\xe4\x07\x96\xff\x01binary\xfe"
LATIN1 = '{ services.getty.greetingLine = "caf\xe9"; }\n'.encode("latin-1")

FILES: dict[str, str | bytes] = {
    "flake.nix": flake(
        """{
    nixosConfigurations.box = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/box ];
    };
    nixosConfigurations.pad = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./hosts/pad ];
    };
  }"""
    ),
    "hosts/common.nix": "{ imports = [ ../vault ]; }\n",
    "hosts/box/default.nix": """{ pkgs, ... }:
{
  imports = [ ../common.nix ];
  networking.hostName = "box";
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.htop ];
}
""",
    "hosts/pad/default.nix": """{ pkgs, ... }:
{
  imports = [ ./greeting.nix ];
  networking.hostName = "pad";
  users.users.kim.isNormalUser = true;
  users.users.kim.packages = [ pkgs.jq ];
}
""",
    "hosts/pad/greeting.nix": LATIN1,
    "vault/default.nix": ENCRYPTED,
}


def test_bytes_that_are_not_text_are_an_opaque_module(tmp_path: Path) -> None:
    """Why: the host is still a host (rule 9); what it cannot see is named with the reason."""
    repo = load_repo(write(tmp_path, FILES))
    assert sorted(repo.hosts) == ["box", "pad"]
    assert not repo.skipped
    opaque = {str(r.path): r.label for r in repo.opaque}
    assert opaque == {
        "vault/default.nix": "encrypted with git-crypt",
        "hosts/pad/greeting.nix": "not UTF-8 text (byte 0xe9)",
    }
    assert all(r.kind is ModuleKind.UNKNOWN for r in repo.opaque)
    notes = sorted((str(p.at), p.message) for p in repo.problems if p.kind is ProblemKind.NOT_TEXT)
    assert notes == [
        (
            "hosts/pad/greeting.nix:1:37",
            "`hosts/pad/greeting.nix` cannot be read: the file is not UTF-8 text (byte 0xe9)",
        ),
        (
            "vault/default.nix:1:1",
            "`vault/default.nix` cannot be read: the file is encrypted with git-crypt",
        ),
    ]
    assert "hosts/common.nix" in repo.modules
    assert "vault/default.nix" not in repo.modules


def test_check_names_it_as_opaque_and_strict_makes_it_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: an opaque part is a warning; `check --strict` makes every opaque part an error."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    monkeypatch.chdir(tmp_path)
    assert main(["check", "repo", "--select", "HW015"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith("; 2 opaque modules")
    assert "host skipped" not in out
    assert (
        "repo/vault/default.nix:1:1: HW015 warning: `vault/default.nix` cannot be read: the file "
        "is encrypted with git-crypt: an opaque module" in out
    )
    assert "git-crypt unlock" in out
    assert "repo/hosts/pad/greeting.nix:1:37: HW015 warning:" in out
    assert "re-encode the file as UTF-8" in out
    assert main(["check", "repo", "--select", "HW015", "--strict"]) == 1
    out = capsys.readouterr().out
    assert "repo/vault/default.nix:1:1: HW015 error:" in out
    assert "repo/hosts/pad/greeting.nix:1:37: HW015 error:" in out
    assert root.is_dir()


def test_migrate_moves_the_rest_and_never_edits_what_it_cannot_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why: the rest migrates; the unreadable files stay byte-identical, a second run changes
    nothing, and `check` after `migrate` reports no error."""
    root = make_git_repo(write(tmp_path / "repo", FILES))
    assert main(["migrate", str(root)]) == 0
    assert (root / "vault/default.nix").read_bytes() == ENCRYPTED
    assert (root / "hosts/pad/greeting.nix").read_bytes() == LATIN1
    assert "pkgs.htop" not in (root / "hosts/box/default.nix").read_text()
    assert "pkgs.jq" not in (root / "hosts/pad/default.nix").read_text()
    git(root, "add", "-A")
    git(root, "commit", "-qm", "migrated")
    assert main(["migrate", str(root), "--check"]) == 0
    capsys.readouterr()
    assert main(["check", str(root)]) == 0
    assert " error" not in capsys.readouterr().out.replace("0 errors", "")
