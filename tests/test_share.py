"""`migrate --share` (issue 13): identical feature files of several users are written once in
home/modules/ and imported by each; anything not provably the same stays per user. The golden
case tests/fixtures/migrate/share is checked byte for byte and by the conservation test."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from homeward.plan.share import share_features
from homeward.plan.types import NewFile, Plan

ENTRY = b"{\n  imports = [ ./features/cli.nix ];\n}\n"


def plan_for(cli: dict[str, bytes]) -> Plan:
    files = []
    for user, text in cli.items():
        files.append(NewFile(Path(f"home/{user}/default.nix"), ENTRY, "entry"))
        files.append(NewFile(Path(f"home/{user}/features/cli.nix"), text, "feature"))
    return Plan(new_files=tuple(files))


def paths(plan: Plan) -> set[str]:
    return {str(f.path) for f in plan.new_files}


def never_taken(_path: PurePosixPath) -> bool:
    return False


def test_identical_features_are_shared() -> None:
    """Why: the same content for two users goes once into home/modules/, imported by both."""
    same = b"{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n}\n"
    shared = share_features(plan_for({"ham": same, "eve": same}), never_taken)
    assert paths(shared) == {"home/ham/default.nix", "home/eve/default.nix", "home/modules/cli.nix"}
    for f in shared.new_files:
        if f.path.name == "default.nix":
            assert f.text == b"{\n  imports = [ ../modules/cli.nix ];\n}\n"


def test_what_is_not_provably_the_same_stays_per_user() -> None:
    """Why: different content, a relative path (it would point elsewhere once moved), a user's
    name in the code, or a taken home/modules path keep the files where they are."""
    a = b"{ pkgs, ... }:\n{\n  home.packages = [ pkgs.ripgrep ];\n}\n"
    b = b"{ pkgs, ... }:\n{\n  home.packages = [ pkgs.fd ];\n}\n"
    rel = b"{\n  home.file.x.source = ../x;\n}\n"
    named = b'{\n  home.sessionVariables.WHO = "ham eve";\n}\n'
    for cli in ({"ham": a, "eve": b}, {"ham": rel, "eve": rel}, {"ham": named, "eve": named}):
        plan = plan_for(cli)
        assert share_features(plan, never_taken) == plan
    plan = plan_for({"ham": a, "eve": a})
    assert share_features(plan, lambda p: p == PurePosixPath("home/modules/cli.nix")) == plan
