"""Splice byte-span edits into a text: every byte outside an edit survives. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import pairwise

from homeward.errors import INTERNAL_HINT, InternalError
from homeward.plan.types import Edit


class OverlapError(InternalError):
    """Two edits claim the same bytes, or an edit lies outside its file: a bug in the planner,
    never the user's fault (exit 4; nothing is written, the texts are checked first)."""


def check_overlaps(edits: Iterable[Edit]) -> list[Edit]:
    """Sort edits by position; raise if two overlap (two inserts at one point are fine)."""
    ordered = sorted(edits, key=lambda e: (e.start_byte, e.end_byte))
    for before, after in pairwise(ordered):
        if after.start_byte < before.end_byte:
            raise OverlapError(
                f"edits overlap in `{before.path}` at bytes "
                f"{before.start_byte}-{before.end_byte} ({before.why}) and "
                f"{after.start_byte}-{after.end_byte} ({after.why}); nothing was written",
                hint=INTERNAL_HINT,
            )
    return ordered


def apply_edits(text: bytes, edits: Iterable[Edit]) -> bytes:
    """Apply edits to `text`, splicing from the end so earlier offsets stay valid."""
    ordered = check_overlaps(edits)
    for edit in ordered:
        if not 0 <= edit.start_byte <= edit.end_byte <= len(text):
            raise OverlapError(
                f"edit {edit.start_byte}-{edit.end_byte} ({edit.why}) is outside "
                f"`{edit.path}` ({len(text)} bytes); nothing was written",
                hint=INTERNAL_HINT,
            )
    # Why pieces: splicing each edit into the whole text copied it once per edit, quadratic
    # on a flake.nix with thousands of edits. The text between the (sorted, disjoint) edits
    # and their new bytes, joined once: the same bytes.
    pieces: list[bytes] = []
    at = 0
    for edit in ordered:
        pieces += (text[at : edit.start_byte], edit.new)
        at = edit.end_byte
    pieces.append(text[at:])
    return b"".join(pieces)
