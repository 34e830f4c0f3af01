"""Validate produced text with tree-sitter before it is written (pure: bytes in, error out).

`apply/validate.py` adds `nix-instantiate --parse` when nix is present; this module starts no
process."""

from __future__ import annotations

from pathlib import Path

from homeward.errors import HomewardError
from homeward.syntax.parse import Source, parse_source

INTERNAL_HINT = "nothing was written; please report this with the input that caused it"


def validate_syntax(text: bytes, shown_as: Path, *, duplicates: bool = True) -> Source:
    """Raise a located HomewardError if tree-sitter finds `text` is not valid Nix; else the
    text parsed and checked (what reading the file `shown_as` with that text gives). Without
    `duplicates`, a name defined twice is not looked for (nix checks the text too)."""
    source = parse_source(text, shown_as)
    problem = source.first_problem() if duplicates else source.syntax_problem()
    if problem is not None:
        raise HomewardError(
            f"internal error: homeward produced invalid Nix ({problem.message})",
            at=source.location(problem.start_byte),
            hint=INTERNAL_HINT,
        )
    return source
