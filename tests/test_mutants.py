"""The mutation checks (tests/mutants.py) in `make test`: each mutant must make its tests fail.

Why (issue 8): `assert_conserved` made a no-op left all 72 conservation, QA and property tests
green. An oracle is only worth what it catches; these keep it catching.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.mutants import MUTANTS, PROJECT, AnchorError, Mutant, anchor_hits, apply_mutant


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_anchor_is_in_place(mutant: Mutant) -> None:
    """Why: a refactor that moves the patched code must stop here, loudly, not test nothing."""
    hits = [(p.relative_to(PROJECT), n) for p, n in anchor_hits(mutant, PROJECT) if n]
    assert [n for _, n in hits] == [1], (
        f"mutant `{mutant.name}`: anchor {mutant.anchor.strip()!r} found {hits or 'nowhere'} in "
        f"{mutant.where}; point it at the code that now does this (tests/mutants.py)"
    )


def test_a_missing_anchor_stops_the_check(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    moved = replace(MUTANTS[0], where="*.py", anchor="y = 2\n")
    with pytest.raises(AnchorError, match="must occur exactly once"):
        apply_mutant(moved, tmp_path)
    twice = replace(MUTANTS[0], where="*.py", anchor="x")
    (tmp_path / "b.py").write_text("x = 2\n")
    with pytest.raises(AnchorError, match=r"a\.py \(1x\), b\.py \(1x\)"):
        apply_mutant(twice, tmp_path)


@pytest.mark.nix
@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda m: m.name)
def test_mutant_is_caught(mutant: Mutant, tmp_path: Path) -> None:
    from tests.mutants import run_mutant

    outcome = run_mutant(mutant, tmp_path)
    assert outcome.caught, (
        f"mutant `{mutant.name}` survived ({mutant.what}): {' '.join(mutant.tests)} passed "
        f"or failed without printing {mutant.expect!r}\n{outcome.output}"
    )
