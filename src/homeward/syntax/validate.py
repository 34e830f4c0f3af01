"""Validate produced text before it is written: tree-sitter, then nix itself when present."""

from __future__ import annotations

from pathlib import Path

from homeward.errors import HomewardError
from homeward.syntax.parse import parse_source


def validate_nix(text: bytes, shown_as: Path, *, use_nix: bool = True) -> None:
    """Raise a located HomewardError if `text` is not valid Nix."""
    source = parse_source(text, shown_as)
    problem = source.first_problem()
    if problem is not None:
        raise HomewardError(
            f"internal error: homeward produced invalid Nix ({problem.message})",
            at=source.location(problem.start_byte),
            hint="nothing was written; please report this with the input that caused it",
        )
    if use_nix:
        from homeward.nix.run import nix_available, parse_check

        if nix_available():
            error = parse_check(text.decode(), shown_as)
            if error is not None:
                raise HomewardError(
                    f"internal error: {error.message}",
                    at=error.at,
                    hint="nothing was written; please report this with the input that caused it",
                )
