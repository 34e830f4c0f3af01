"""The line an error points at, with a caret under the column, as nix and rustc show it.

```
homeward: error: hosts/a/default.nix:5:28: syntax error: expected `;`
   |
 5 |   networking.hostName = "a"
   |                            ^
  hint: ...
```
Pure: the caller reads the file (named as the user can open it from the cwd).
"""

from __future__ import annotations

from homeward.errors import Location

MAX_WIDTH = 200  # a minified line is not worth printing whole


def source_excerpt(at: Location | None, text: str | None) -> str:
    """The excerpt for `at` in `text` (empty without a text, or past its end)."""
    if at is None or at.line < 1 or text is None:
        return ""
    lines = text.splitlines()
    if at.line > len(lines):
        return ""
    line = lines[at.line - 1].replace("\t", " ").rstrip()
    col = max(at.col, 1)
    if len(line) > MAX_WIDTH:
        start = max(0, col - MAX_WIDTH // 2)
        line = line[start : start + MAX_WIDTH]
        col -= start
    number = str(at.line)
    gutter = " " * len(number)
    return "\n".join(
        (
            f" {gutter} |",
            f" {number} | {line}",
            f" {gutter} | {' ' * (col - 1)}^",
        )
    )


def with_excerpt(rendered: str, at: Location | None, text: str | None) -> str:
    """An error as `HomewardError.render()` gives it, with the excerpt after its first line."""
    excerpt = source_excerpt(at, text)
    if not excerpt:
        return rendered
    first, sep, rest = rendered.partition("\n")
    return f"{first}\n{excerpt}" + (f"\n{rest}" if sep else "")
