"""Shared test set-up: tools that must exist (nix, dot, git) and small helpers."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REQUIRE_NIX = os.environ.get("HOMEWARD_REQUIRE_NIX") == "1"
ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE = ROOT / "examples" / "legacy"


def need(tool: str, why: str) -> None:
    """Skip without `tool`, except in CI (HOMEWARD_REQUIRE_NIX=1): there a missing tool fails,
    so that no test silently stops running."""
    if shutil.which(tool) is None:
        if REQUIRE_NIX:
            pytest.fail(f"`{tool}` is required ({why}) and HOMEWARD_REQUIRE_NIX=1", pytrace=False)
        pytest.skip(f"`{tool}` is not installed ({why})")


@pytest.fixture(autouse=True)
def _tools(request: pytest.FixtureRequest) -> None:
    """Why: tests marked nix/graphviz skip on machines without the tool, but never in CI."""
    if request.node.get_closest_marker("nix"):
        need("nix", "the real nix evaluator")
        need("nix-instantiate", "the real nix parser")
    if request.node.get_closest_marker("graphviz"):
        need("dot", "Graphviz renders the graph")


@pytest.fixture(autouse=True)
def _git_identity(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Why: tests make real git repos; commits need an identity and no user config may leak in."""
    home = tmp_path_factory.getbasetemp() / "home"
    home.mkdir(exist_ok=True)
    monkeypatch.setenv("GIT_AUTHOR_NAME", "homeward tests")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "tests@homeward.invalid")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "homeward tests")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "tests@homeward.invalid")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / "gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    # Journals and locks of configurations outside git go here, never to the real home.
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


@pytest.fixture(autouse=True)
def _own_cache(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Why: the result cache (homeward/apply/cache.py) of one test is never another's, wherever the
    configuration is (a copy in the test's tmp dir, or a fixture read in place)."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("HOMEWARD_CACHE_DIR", str(folder))
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder / "xdg"))
    monkeypatch.delenv("HOMEWARD_NO_CACHE", raising=False)
