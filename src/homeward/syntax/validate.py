"""Validate produced text before it is written: tree-sitter, then nix itself when present."""

from __future__ import annotations

from pathlib import Path

from homeward.errors import HomewardError
from homeward.syntax.parse import parse_source


def validate_many(texts: dict[Path, bytes], *, use_nix: bool = True) -> None:
    """Validate several produced files: tree-sitter each, then one `nix-instantiate --parse`
    over all of them (one process instead of one per file)."""
    for shown_as, text in texts.items():
        validate_nix(text, shown_as, use_nix=False)
    if not use_nix or not texts:
        return
    from homeward.nix.run import nix_available, parse_check_many

    if nix_available():
        error = parse_check_many({p: t.decode() for p, t in texts.items()})
        if error is not None:
            raise HomewardError(
                f"internal error: {error.message}",
                at=error.at,
                hint="nothing was written; please report this with the input that caused it",
            )


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
