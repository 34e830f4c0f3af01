"""Emit new Nix code formatted the way nixfmt (RFC 166) formats it: the one builder of the Nix
homeward writes (`init`, `add`, `migrate`; issue 9). Code copied from the user's files goes in
as `Raw` (its lines relative to its first), and is given the indentation of where it lands.

Values are Python data: `str` is a Nix string, `bool`/`int`/`None` are literals, `list` a list,
and the classes below cover the rest. Layout rules followed (RFC 166):
- lists and attribute sets with more than one item are expanded, one item per line;
  `[ ]` and `{ }` when empty; a single short item may stay on one line;
- an attribute set that is a binding's value is always expanded, unless it is a single `inherit`;
- function set arguments: few formals on one line (`{ pkgs, ... }:`), otherwise one per line
  with trailing commas; the body starts on the next line, not indented;
- two spaces of indentation, the semicolon on the line that ends the value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from homeward import quoting

WIDTH = 100
quote_string = quoting.quote_string  # the one quoting of a Nix string, the emitter's too
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_'-]*$")
_KEYWORDS = frozenset({"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"})


@dataclass(frozen=True, slots=True)
class Raw:
    """Nix code written out as is (already formatted at indentation 0)."""

    code: str


@dataclass(frozen=True, slots=True)
class NixPath:
    """A path literal: `./home/ham`."""

    path: str


@dataclass(frozen=True, slots=True)
class Interpolated:
    """A string with `${…}`: each part is text (escaped as `quote_string` escapes it) or a
    value written inside `${ }` (`"C %h/.config/x - - - - ${./x}"`)."""

    parts: Sequence[object]


@dataclass(frozen=True, slots=True)
class Comment:
    """A `# ...` line among the items of a list or attribute set."""

    text: str


@dataclass(frozen=True, slots=True)
class Blank:
    """An empty line between items, as nixfmt keeps them."""


@dataclass(frozen=True, slots=True)
class Inherit:
    names: tuple[str, ...]
    source: str | None = None  # `inherit (source) names;`


Key = str | tuple["str | Raw", ...]  # a `Raw` part is written as is (`"foo"`, quoted)
Item = tuple[Key, object] | Comment | Blank | Inherit | Raw


@dataclass(frozen=True, slots=True)
class Attrs:
    """An attribute set; keys are a name or a path (`("home", "username")` -> `home.username`)."""

    # `Raw`: bindings copied as they are written (at indentation 0), one item
    items: Sequence[Item] = field(default_factory=tuple)
    rec: bool = False
    expand: bool = False  # one binding a line even where it would fit on one (a module)


@dataclass(frozen=True, slots=True)
class List:
    """A list; `expand`: True, one item a line even with a single item; False, on one line
    whatever its length (unless an item has several lines); None, as it fits."""

    items: Sequence[object]
    expand: bool | None = None


@dataclass(frozen=True, slots=True)
class With:
    """`with env; body`."""

    env: str
    body: object


@dataclass(frozen=True, slots=True)
class If:
    """`if cond then yes else no`, on one line."""

    cond: object
    yes: object
    no: object


@dataclass(frozen=True, slots=True)
class Paren:
    """`(value)`."""

    value: object


@dataclass(frozen=True, slots=True)
class Update:
    """`a // b // { ... }`: the last operand may open a block on the same line."""

    operands: Sequence[object]


@dataclass(frozen=True, slots=True)
class Let:
    bindings: Attrs
    body: object
    inline: bool = False  # `let a = 1; in body` on one line (bindings of one line each)


@dataclass(frozen=True, slots=True)
class Func:
    """`{ a, b, ... }: body` (or `name: body` when `formals` is a str)."""

    formals: Sequence[str] | str
    body: object
    ellipsis: bool = True
    at: str | None = None  # `{ ... }@inputs:`


@dataclass(frozen=True, slots=True)
class Call:
    """`fn arg1 arg2`: the last argument may open a block on the same line."""

    function: str
    args: Sequence[object]


def attr_key(name: str) -> str:
    """An attribute name as written in an attrpath: bare when it can be, quoted otherwise."""
    if _IDENT.match(name) and name not in _KEYWORDS:
        return name
    return quote_string(name)


def key_text(key: Key) -> str:
    parts = (key,) if isinstance(key, str) else key
    return ".".join(p.code if isinstance(p, Raw) else attr_key(p) for p in parts)


def _indent(code: str, level: int) -> str:
    """Indent every line after the first by `level` steps (empty lines stay empty)."""
    pad = "  " * level
    lines = code.split("\n")
    return "\n".join([lines[0], *[(pad + line) if line else line for line in lines[1:]]])


def emit(value: object, level: int = 0, *, in_binding: bool = False) -> str:
    """Nix code for `value`, to be placed at indentation `level` (first line not indented)."""
    if isinstance(value, Raw):
        return _indent(value.code, level)
    if isinstance(value, NixPath):
        return value.path
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, Interpolated):
        pieces = (
            quote_string(p)[1:-1] if isinstance(p, str) else f"${{{emit(p, level)}}}"
            for p in value.parts
        )
        return f'"{"".join(pieces)}"'
    if isinstance(value, list | tuple):
        return _emit_list(list(value), level)
    if isinstance(value, List):
        return _emit_list(list(value.items), level, expand=value.expand)
    if isinstance(value, Attrs):
        return _emit_attrs(value, level, force_expand=in_binding or value.expand)
    if isinstance(value, Update):
        return " // ".join(emit(v, level) for v in value.operands)
    if isinstance(value, With):
        return f"with {value.env}; {emit(value.body, level)}"
    if isinstance(value, If):
        parts = (emit(value.cond, level), emit(value.yes, level), emit(value.no, level))
        return "if {} then {} else {}".format(*parts)
    if isinstance(value, Paren):
        return f"({emit(value.value, level)})"
    if isinstance(value, Func):
        return _emit_func(value, level)
    if isinstance(value, Let) and value.inline:
        lets = " ".join(_binding_lines(Attrs([item]), 0) for item in value.bindings.items)
        return f"let {lets} in {emit(value.body, level)}"
    if isinstance(value, Let):
        inner = _binding_lines(value.bindings, level + 1)
        body = emit(value.body, level)
        pad = "  " * level
        return f"let\n{inner}\n{pad}in\n{pad}{body}"
    if isinstance(value, Call):
        return _emit_call(value, level)
    raise TypeError(f"cannot emit {type(value).__name__} as Nix")


def _is_block(code: str) -> bool:
    return code.endswith(("}", "]", "''", ")")) and "\n" in code


# What must stand in parentheses as a list's item (`[ (import ./x) ]`).
_NEEDS_PARENS = (Call, Func, Let, Update, With, If)


def _emit_list(items: list[object], level: int, *, expand: bool | None = None) -> str:
    if not items:
        return "[ ]"
    pad = "  " * (level + 1)
    if (
        expand is False
        and len(items) > 1
        and not any(isinstance(i, Comment | Blank) for i in items)
    ):
        codes = [emit(item, level + 1) for item in items]
        if all("\n" not in c for c in codes):
            return "[ " + " ".join(codes) + " ]"
    if len(items) == 1 and expand is not True and not isinstance(items[0], Comment | Blank):
        one = emit(items[0], level + 1)
        fits = "\n" not in one and len(one) + 4 + 2 * level <= WIDTH
        if fits or (expand is False and "\n" not in one):
            return f"[ {one} ]"
    lines = ["["]
    for item in items:
        if isinstance(item, Blank):
            lines.append("")
        elif isinstance(item, Comment):
            lines.append(f"{pad}# {item.text}" if item.text else f"{pad}#")
        else:
            code = emit(item, level + 1)
            if isinstance(item, _NEEDS_PARENS) and not code.startswith("("):
                code = f"({code})"
            lines.append(pad + code)
    lines.append("  " * level + "]")
    return "\n".join(lines)


def _binding_lines(attrs: Attrs, level: int) -> str:
    pad = "  " * level
    lines: list[str] = []
    for item in attrs.items:
        if isinstance(item, Blank):
            lines.append("")
        elif isinstance(item, Comment):
            lines.append(f"{pad}# {item.text}" if item.text else f"{pad}#")
        elif isinstance(item, Inherit):
            source = f" ({item.source})" if item.source else ""
            lines.append(f"{pad}inherit{source} {' '.join(item.names)};")
        elif isinstance(item, Raw):
            lines.append(pad + _indent(item.code, level))
        else:
            key, value = item
            lines.append(f"{pad}{emit_binding(key, value, level)}")
    return "\n".join(lines)


def emit_bindings(items: Sequence[Item], level: int = 0) -> str:
    """Bindings one a line, without braces: what goes into a set that exists (the inserting
    edit gives them the set's indentation), at indentation `level` (the first line's too)."""
    return _binding_lines(Attrs(items), level)


def emit_binding(key: Key, value: object, level: int = 0) -> str:
    """`key = value;` at indentation `level` (the first line's indentation is the caller's)."""
    code = emit(value, level, in_binding=True)
    if isinstance(value, Func) and isinstance(value.formals, str) and "\n" in code:
        # `name:` over a body of several lines: on lines of their own, indented (as nixfmt).
        pad = "  " * (level + 1)
        body = emit(value.body, level + 1, in_binding=True)
        return f"{key_text(key)} =\n{pad}{value.formals}:\n{pad}{body};"
    if isinstance(value, Let) or (isinstance(value, Func) and not isinstance(value.formals, str)):
        # RFC 166 binders #4/#6: statement-like values and set-argument functions start on a
        # new line, indented.
        code = emit(value, level + 1, in_binding=True)
        return f"{key_text(key)} =\n{'  ' * (level + 1)}{code};"
    return f"{key_text(key)} = {code};"


def _emit_attrs(attrs: Attrs, level: int, *, force_expand: bool) -> str:
    rec = "rec " if attrs.rec else ""
    if not attrs.items:
        return f"{rec}{{ }}"
    if len(attrs.items) == 1:
        only = attrs.items[0]
        code = ""
        if isinstance(only, Inherit):
            # nixfmt keeps `{ inherit inputs; }` on one line even as a binding's value.
            source = f" ({only.source})" if only.source else ""
            code = f"{rec}{{ inherit{source} {' '.join(only.names)}; }}"
        elif not force_expand and isinstance(only, tuple) and not isinstance(only[1], Attrs):
            code = f"{rec}{{ {emit_binding(only[0], only[1], level)} }}"
        elif not force_expand and isinstance(only, Raw):
            code = f"{rec}{{ {only.code} }}"
        if code and "\n" not in code and len(code) + 2 * level <= WIDTH:
            return code
    return f"{rec}{{\n{_binding_lines(attrs, level + 1)}\n{'  ' * level}}}"


def _emit_func(func: Func, level: int) -> str:
    if isinstance(func.formals, str):
        head = f"{func.formals}:"
        body = emit(func.body, level, in_binding=True)
        return f"{head} {body}" if _is_block(body) or "\n" not in body else f"{head}\n{body}"
    names = [*func.formals, *(["..."] if func.ellipsis else [])]
    pad = "  " * level
    if len(func.formals) <= 2:
        head = "{ " + ", ".join(names) + " }:" if names else "{ }:"
    else:
        # One formal per line with a trailing comma, except `...`, which must come last bare.
        lines = [f"{pad}  {n}{'' if n == '...' else ','}\n" for n in names]
        head = "{\n" + "".join(lines) + pad + "}:"
    if func.at is not None:
        head = f"{head[:-1]}@{func.at}:"
    return f"{head}\n{pad}{emit(func.body, level, in_binding=True)}"


def _emit_call(call: Call, level: int) -> str:
    if not call.args:
        return call.function
    *first, last = call.args
    heads = [emit(a, level + 1) for a in first]
    if all("\n" not in h for h in heads):
        tail = emit(last, level, in_binding=isinstance(last, Attrs))
        return " ".join([call.function, *heads, tail])
    parts = [call.function, *(f"{'  ' * (level + 1)}{emit(a, level + 1)}" for a in call.args)]
    return "\n".join(parts)


def emit_file(value: object) -> bytes:
    """A whole file: the value at indentation 0 and a final newline."""
    return (emit(value, 0, in_binding=True) + "\n").encode()
