"""Validate produced text with tree-sitter before it is written (pure: bytes in, error out).

`apply/validate.py` adds `nix-instantiate --parse` when nix is present; this module starts no
process. A produced text that is not Nix is homeward's own bug: exit 4, nothing written."""

from __future__ import annotations

from pathlib import Path

from homeward.errors import INTERNAL_HINT, InternalError, Location
from homeward.syntax.parse import Source, parse_source


def validate_syntax(text: bytes, shown_as: Path, *, duplicates: bool = True) -> Source:
    """Raise a located InternalError if tree-sitter finds `text` is not valid Nix; else the
    text parsed and checked (what reading the file `shown_as` with that text gives). Without
    `duplicates`, a name defined twice is not looked for (nix checks the text too)."""
    source = parse_source(text, shown_as)
    problem = source.first_problem() if duplicates else source.syntax_problem()
    if problem is not None:
        at = source.location(problem.start_byte)
        raise generated_error("tree-sitter", problem.message, at, text.decode(errors="replace"))
    return source


def generated_error(
    checker: str, detail: str, at: Location | None, text: str | None
) -> InternalError:
    """The error for a text homeward generated that `checker` rejects: which file, where in
    the generated text (in words: `file:line:col` would name the file on disk), the checker's
    message, and that nothing was written. `text`: the generated text, for the excerpt."""
    if at is None:
        return InternalError(
            f"{checker} rejects the texts homeward generated: {detail}; nothing was written",
            hint=INTERNAL_HINT,
        )
    return InternalError(
        f"the text homeward generated for `{at.path}` is not valid Nix: {checker} rejects it "
        f"at line {at.line}, column {at.col} of that text: {detail}; nothing was written",
        at=at,
        hint=INTERNAL_HINT,
        text=text,
    )
