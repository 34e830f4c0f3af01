"""Text surgery by byte span: remove a binding with its comments, insert a binding or a list
element at the right indentation, move an expression's text to another indentation. Pure:
everything returns spans and bytes; `apply/spans.py` splices them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeward.syntax.emit import WIDTH
from homeward.syntax.nodes import named_children

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class Span:
    start_byte: int
    end_byte: int
    new: bytes = b""


def line_start(text: bytes, byte: int) -> int:
    return text.rfind(b"\n", 0, byte) + 1


def line_end(text: bytes, byte: int) -> int:
    """The byte after the newline that ends the line holding `byte` (or the end of text)."""
    i = text.find(b"\n", byte)
    return len(text) if i == -1 else i + 1


def indent_at(text: bytes, byte: int) -> str:
    """The indentation of the line holding `byte`."""
    start = line_start(text, byte)
    end = start
    while end < len(text) and text[end : end + 1] in (b" ", b"\t"):
        end += 1
    return text[start:end].decode()


def only_space_before(text: bytes, byte: int) -> bool:
    return not text[line_start(text, byte) : byte].strip()


def only_space_after(text: bytes, byte: int) -> bool:
    return not text[byte : line_end(text, byte)].strip()


_ROOTS: dict[int, tuple[bytes, Node]] = {}


def _root_of(node: Node, text: bytes) -> Node:
    """The root of `node`'s tree, remembered per source text: tree-sitter finds a parent by
    searching down from the root, so climbing a file with 100,000 bindings costs that much
    each time."""
    cached = _ROOTS.get(id(text))
    if cached is not None and cached[0] is text and cached[1].end_byte >= node.end_byte:
        return cached[1]
    root = node
    while root.parent is not None:
        root = root.parent
    if len(_ROOTS) > 256:
        _ROOTS.clear()
    _ROOTS[id(text)] = (text, root)
    return root


_LAST_PATH: list[tuple[bytes, list[Node]]] = []  # the last descent: (text, root .. parent)


def ancestors(node: Node, text: bytes) -> list[Node]:
    """`node`'s ancestors, nearest first, found by a descent with a cursor from the deepest
    ancestor of the previous question that also holds `node` (asking each node for its parent
    searches from the root every time: quadratic over a list of 100,000 packages)."""
    path: list[Node] = []
    if _LAST_PATH and _LAST_PATH[0][0] is text:
        for above in _LAST_PATH[0][1]:
            if above.start_byte <= node.start_byte and node.end_byte <= above.end_byte:
                path.append(above)
            else:
                break
    if not path:
        path = [_root_of(node, text)]
    if path[-1] == node:
        path.pop()
        return path[::-1]
    cursor = path.pop().walk()
    while True:
        current = cursor.node
        if current is None or current == node:
            break
        path.append(current)
        if cursor.goto_first_child_for_byte(node.start_byte) is None:
            return _climb(node)  # not found by position (an empty node): the slow way
        while cursor.node is not None and not (
            cursor.node.start_byte <= node.start_byte and node.end_byte <= cursor.node.end_byte
        ):
            if not cursor.goto_next_sibling():
                return _climb(node)
    _LAST_PATH[:] = [(text, path)]
    return path[::-1]


def forget_trees() -> None:
    """Forget the roots and the last descent remembered (`_root_of`, `ancestors`): nodes of
    trees no longer asked about, which keep them alive (`Source.release`)."""
    _ROOTS.clear()
    _LAST_PATH.clear()


def _climb(node: Node) -> list[Node]:
    found = []
    parent = node.parent
    while parent is not None:
        found.append(parent)
        parent = parent.parent
    return found


def leading_comments(node: Node, text: bytes) -> list[Node]:
    """Comment nodes on the lines directly above `node` (no blank line between) that belong to it.

    Looked up by position, because tree-sitter puts a comment before the first binding of a set
    outside the set's binding list.
    """
    root = _root_of(node, text)
    found: list[Node] = []
    anchor = line_start(text, node.start_byte)
    if text[anchor : node.start_byte].strip():
        return found  # something else precedes the node on its line
    while anchor > 0:
        prev_start = line_start(text, anchor - 1)
        line = text[prev_start : anchor - 1]
        stripped = line.lstrip()
        if not stripped.startswith((b"#", b"/*")):
            break
        at = prev_start + len(line) - len(stripped)
        comment = root.descendant_for_byte_range(at, at + 1)
        if comment is None or comment.type != "comment" or comment.end_byte > anchor:
            break
        found.append(comment)
        anchor = line_start(text, comment.start_byte)
    found.reverse()
    return found


def trailing_comment(node: Node, text: bytes) -> Node | None:
    """A comment after `node` on the same line (`pkgs.git # the one`), an optional `;` between.

    Found by position (asking for the next sibling searches the whole parent each time)."""
    i, n = node.end_byte, len(text)
    while i < n and text[i] in b" \t":
        i += 1
    if text[i : i + 1] == b";":
        i += 1
        while i < n and text[i] in b" \t":
            i += 1
    if text[i : i + 1] != b"#" and text[i : i + 2] != b"/*":
        return None
    # Searched from the nearest ancestor that holds it (from the root, every search would
    # walk past all the bindings of a large file).
    holder = next((a for a in ancestors(node, text) if a.end_byte > i), None)
    comment = (holder or _root_of(node, text)).descendant_for_byte_range(i, i + 1)
    if comment is not None and comment.type == "comment" and comment.start_byte == i:
        return comment
    return None


def item_extent(node: Node, text: bytes) -> tuple[int, int]:
    """Bytes of a binding or list element together with its own comments (no line breaks)."""
    comments = leading_comments(node, text)
    start = comments[0].start_byte if comments else node.start_byte
    trailing = trailing_comment(node, text)
    end = trailing.end_byte if trailing is not None else node.end_byte
    return start, end


def removal(node: Node, text: bytes) -> Span:
    """The span that removes a binding or list element cleanly.

    When the item owns its lines, whole lines go (with its leading comments and one blank line
    if that would leave two in a row); otherwise the item and the space after it.
    """
    start, end = item_extent(node, text)
    if only_space_before(text, start) and only_space_after(text, end):
        cut_start = line_start(text, start)
        cut_end = line_end(text, end)
        before_blank = (
            cut_start >= 2 and text[line_start(text, cut_start - 1) : cut_start].strip() == b""
        )
        after_line = text[cut_end : line_end(text, cut_end)]
        after_blank = cut_end < len(text) and after_line.strip() == b""
        after_closer = after_line.strip()[:1] in (b"}", b"]") or after_line.strip().startswith(
            b"in"
        )
        if before_blank and (after_blank or after_closer):
            cut_start = line_start(text, cut_start - 1)
        return Span(cut_start, cut_end)
    # Inline item: `[ a b c ]` or `{ a = 1; b = 2; }`.
    end_ws = end
    while end_ws < len(text) and text[end_ws : end_ws + 1] in (b" ", b"\t"):
        end_ws += 1
    return Span(start, end_ws)


_UNITS: dict[int, tuple[bytes, str]] = {}


def indent_unit(text: bytes) -> str:
    """The file's step of indentation: a tab when its lines are indented with tabs, four
    spaces when no line is indented by fewer, else two (nixfmt's). Remembered per text."""
    cached = _UNITS.get(id(text))
    if cached is not None and cached[0] is text:
        return cached[1]
    tabs = spaces = 0
    smallest = 0
    for line in text.split(b"\n"):
        if line.startswith(b"\t"):
            tabs += 1
        elif line.startswith(b" ") and line.strip():
            spaces += 1
            width = len(line) - len(line.lstrip(b" "))
            smallest = min(smallest, width) if smallest else width
    unit = "\t" if tabs > spaces else "    " if smallest == 4 else "  "
    if len(_UNITS) > 256:
        _UNITS.clear()
    _UNITS[id(text)] = (text, unit)
    return unit


def in_unit(code: str, unit: str) -> str:
    """Code written with two spaces a level, with `unit` a level (a tab, four spaces)."""
    if unit == "  ":
        return code
    out = []
    for line in code.split("\n"):
        width = len(line) - len(line.lstrip(" "))
        levels, rest = divmod(width, 2)
        out.append(unit * levels + " " * rest + line[width:])
    return "\n".join(out)


def from_unit(code: str, unit: str) -> str:
    """Code written with `unit` a level, with two spaces a level (what `in_unit` takes)."""
    if unit == "  ":
        return code
    out = []
    for line in code.split("\n"):
        levels = 0
        while line.startswith(unit, levels * len(unit)):
            levels += 1
        out.append("  " * levels + line[levels * len(unit) :])
    return "\n".join(out)


def reindent(code: str, old: str, new: str) -> str:
    """Move text written at indentation `old` to indentation `new` (first line excluded).

    Lines with less indentation than `old` (inside multi-line strings) are left alone.
    """
    if old == new:
        return code
    lines = code.split("\n")
    out = [lines[0]]
    for line in lines[1:]:
        if line.startswith(old):
            out.append(new + line[len(old) :])
        elif not line.strip():
            out.append("")
        else:
            out.append(line)
    return "\n".join(out)


def is_multiline(node: Node, text: bytes) -> bool:
    return b"\n" in text[node.start_byte : node.end_byte]


def append_to_list(
    lst: Node, text: bytes, items: list[str], *, drop: set[int] | frozenset[int] = frozenset()
) -> list[Span]:
    """Add items (formatted code, each maybe multi-line at indentation 0) at the end of a list.

    A multi-line list gets new lines before `]`; a one-line list is expanded the way nixfmt
    writes lists of more than one element, and an empty one given one short item keeps it on
    its line (`[ ]` -> `[ ./home/ann ]`), as nixfmt writes it. Only the white space between
    elements is edited, so edits inside the elements (made by other parts of a plan) never
    overlap these.
    """
    base = indent_at(text, lst.start_byte)
    elements = named_children(lst)
    unit = indent_unit(text)
    items = [in_unit(item, unit) for item in items]
    one_line = _on_its_line(lst, text, items)
    if one_line is not None:
        return [one_line]
    if is_multiline(lst, text):
        close = lst.end_byte - 1
        inner = indent_at(text, elements[0].start_byte) if elements else base + unit
        block = "".join(f"{inner}{reindent(item, '', inner)}\n" for item in items)
        spans = [removal(e, text) for e in elements if e.start_byte in drop]
        return [*spans, Span(line_start(text, close), line_start(text, close), block.encode())]
    inner = base + unit
    newline = f"\n{inner}".encode()
    # Comments of no element (`[ /* none yet */ ]`, `[ /* c */ a ]`): each on a line of its
    # own where the gap holding it is rewritten, never dropped with the gap's spaces.
    extents = [item_extent(e, text) for e in elements]
    loose = [
        c
        for c in lst.children
        if c.type == "comment" and not any(a <= c.start_byte < b for a, b in extents)
    ]

    def gap(a: int, b: int) -> bytes:
        return b"".join(
            newline + text[c.start_byte : c.end_byte] for c in loose if a <= c.start_byte < b
        )

    spans = []
    cursor = lst.start_byte + 1  # after `[`
    for element, (start, end) in zip(elements, extents, strict=True):
        if element.start_byte in drop:
            continue  # its bytes fall into the next gap
        spans.append(Span(cursor, start, gap(cursor, start) + newline))
        cursor = end
    added = "".join(f"\n{inner}{reindent(item, '', inner)}" for item in items)
    tail = gap(cursor, lst.end_byte - 1) + f"{added}\n{base}".encode()
    spans.append(Span(cursor, lst.end_byte - 1, tail))
    return spans


def _on_its_line(lst: Node, text: bytes, items: list[str]) -> Span | None:
    """`[ item ]` for an empty one-line list (`[ ]`, `[]`: nothing but spaces between its
    brackets) given one item of one line, when the line stays within nixfmt's width."""
    inside = text[lst.start_byte + 1 : lst.end_byte - 1]
    if len(items) != 1 or not items[0] or "\n" in items[0] or inside.strip(b" \t"):
        return None
    new = f" {items[0]} ".encode()
    start, end = line_start(text, lst.start_byte), line_end(text, lst.end_byte)
    width = len(text[start:end].rstrip(b"\r\n").decode(errors="replace"))
    if width - len(inside) + len(new) > WIDTH:
        return None
    return Span(lst.start_byte + 1, lst.end_byte - 1, new)


def into_list(
    text: bytes, line_byte: int, opening: tuple[int, int], end: int, items: list[str]
) -> list[Span]:
    """An expression made the first element of a list, `items` (formatted code) after it:
    the bytes `opening` spans (a keyword before the expression, or none) become `[`, and the
    list closes at `end`, after the expression. One element a line, as nixfmt writes a list
    of several, indented from the line holding `line_byte` in the file's unit. Only those
    two places are edited, so comments around the expression stay."""
    unit = indent_unit(text)
    base = indent_at(text, line_byte)
    inner = base + unit
    added = "".join(f"\n{inner}{reindent(in_unit(item, unit), '', inner)}" for item in items)
    return [
        Span(opening[0], opening[1], f"[\n{inner}".encode()),
        Span(end, end, f"{added}\n{base}]".encode()),
    ]


def insert_binding(
    container: Node,
    text: bytes,
    binding: str,
    after: Node | None = None,
    *,
    blank_before: bool = False,
) -> Span:
    """Insert `binding` (formatted at indentation 0) into an attrset or let, after `after` (or
    at the end), with an empty line before it if asked. A one-line set is expanded first."""
    from homeward.syntax.nodes import bindings_of

    bindings = list(bindings_of(container))
    unit = indent_unit(text)
    binding = in_unit(binding, unit)
    if not is_multiline(container, text) and container.type != "let_expression":
        base = indent_at(text, container.start_byte)
        inner = base + unit
        olds = [text[slice(*item_extent(b, text))].decode() for b in bindings]
        rec = "rec " if container.type == "rec_attrset_expression" else ""
        body = "".join(f"{inner}{x}\n" for x in olds) + f"{inner}{reindent(binding, '', inner)}\n"
        return Span(container.start_byte, container.end_byte, f"{rec}{{\n{body}{base}}}".encode())
    anchor = after or (bindings[-1] if bindings else None)
    if anchor is not None:
        inner = indent_at(text, anchor.start_byte)
        _, end = item_extent(anchor, text)
        at = line_end(text, end)
        blank = "\n" if blank_before else ""
        close = container.end_byte - 1
        if close < at and not text[end:close].strip():
            # The set closes on the anchor's last line (`... }; };`): after the line would be
            # outside it. The binding goes on its own line and the brace on the next.
            base = indent_at(text, container.start_byte)
            new = f"\n{blank}{inner}{reindent(binding, '', inner)}\n{base}"
            return Span(end, close, new.encode())
        return Span(at, at, f"{blank}{inner}{reindent(binding, '', inner)}\n".encode())
    # An empty multi-line set: before the closing brace.
    close = container.end_byte - 1
    inner = indent_at(text, close) + unit
    at = line_start(text, close)
    return Span(at, at, f"{inner}{reindent(binding, '', inner)}\n".encode())


def add_formal(formals: Node, text: bytes, name: str) -> Span:
    """Add `name` to a function's set pattern (`{ a, b, ... }:`), in the pattern's own layout."""
    items = formals.children_by_field_name("formal")
    ellipsis = next((c for c in formals.children if c.type == "ellipses"), None)
    if is_multiline(formals, text):
        anchor = items[-1] if items else None
        if anchor is not None:
            indent = indent_at(text, anchor.start_byte)
            after = text[anchor.end_byte : formals.end_byte].lstrip()
            if text[line_start(text, anchor.start_byte) : anchor.start_byte].strip() == b",":
                # Comma-first layout (`{ self\n, nixpkgs\n, ... }`): the new name leads with one.
                at = line_end(text, anchor.end_byte)
                return Span(at, at, f"{indent}, {name}\n".encode())
            if not after.startswith(b","):
                # The last name has no comma after it (no `...`, no trailing comma): add one.
                return Span(anchor.end_byte, anchor.end_byte, f",\n{indent}{name}".encode())
            at = line_end(text, anchor.end_byte)
        else:
            indent = indent_at(text, formals.start_byte) + "  "
            at = line_end(text, formals.start_byte)
        return Span(at, at, f"{indent}{name},\n".encode())
    if ellipsis is not None:
        return Span(ellipsis.start_byte, ellipsis.start_byte, f"{name}, ".encode())
    if items:
        return Span(items[-1].end_byte, items[-1].end_byte, f", {name}".encode())
    open_brace = formals.start_byte + 1
    return Span(open_brace, open_brace, f" {name}".encode())


def insert_binding_spans(
    container: Node, text: bytes, binding: str, *, blank_before: bool = False
) -> list[Span]:
    """Like `insert_binding` at the end of the set, but a one-line set is expanded by editing
    only the white space between its bindings, so that edits inside them never overlap."""
    from homeward.syntax.nodes import bindings_of

    if is_multiline(container, text) or container.type == "let_expression":
        return [insert_binding(container, text, binding, blank_before=blank_before)]
    close = container.end_byte - 1
    if "\n" not in binding and text[close - 1 : close] == b" ":
        # A one-line set stays one line: the binding goes right before `}`.
        return [Span(close, close, f"{binding} ".encode())]
    unit = indent_unit(text)
    binding = in_unit(binding, unit)
    base = indent_at(text, container.start_byte)
    inner = base + unit
    spans: list[Span] = []
    open_brace = next(c for c in container.children if c.type == "{")
    cursor = open_brace.end_byte
    for b in bindings_of(container):
        start, end = item_extent(b, text)
        spans.append(Span(cursor, start, f"\n{inner}".encode()))
        cursor = end
    blank = "\n" if blank_before and spans else ""
    spans.append(
        Span(cursor, close, f"\n{blank}{inner}{reindent(binding, '', inner)}\n{base}".encode())
    )
    return spans


def removal_keeping_comments(node: Node, text: bytes) -> Span:
    """Remove a binding or list element but keep its own comments, on lines of their own
    (an import that goes may carry a note the user wants to keep)."""
    span = removal(node, text)
    comments = [*leading_comments(node, text)]
    trailing = trailing_comment(node, text)
    if trailing is not None:
        comments.append(trailing)
    if not comments:
        return span
    indent = indent_at(text, node.start_byte)
    lines = "".join(f"{indent}{text[c.start_byte : c.end_byte].decode()}\n" for c in comments)
    if only_space_before(text, span.start_byte) and (
        span.end_byte == len(text) or text[span.end_byte - 1 : span.end_byte] == b"\n"
    ):
        return Span(span.start_byte, span.end_byte, lines.encode())
    return span
