"""Editing a home-manager entry point that exists already (wire phase): the user's own
`home.nix` gets the new feature files and what a standalone configuration needs. Pure: the
source in, edits out."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.errors import HomewardError
from homeward.plan.nixcode import list_binding, splice
from homeward.plan.types import Edit
from homeward.plan.wiring import concatenated_lists
from homeward.syntax import emit as nix
from homeward.syntax.edit import (
    add_formal,
    append_to_list,
    indent_at,
    insert_binding,
    leading_comments,
    reindent,
)
from homeward.syntax.emit import quote_string
from homeward.syntax.find import read_module
from homeward.syntax.nodes import bindings_of, node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source

IDENTITY = ("username", "homeDirectory", "stateVersion")
"""The options under `home` a standalone configuration needs, in the order they are written."""


def home_entry_edits(
    source: Source,
    entry: PurePosixPath,
    imports: Sequence[str],
    *,
    username: str | None = None,
    home_directory: str | None = None,
    state_version: str | nix.Call | None = None,
) -> list[Edit]:
    """Edits of an existing home-manager entry point: `imports` added (to its list, or a new
    one), and what a standalone configuration needs that the NixOS module used to provide
    (`home.username`, `home.homeDirectory`; None: not needed), and `home.stateVersion` (None:
    set elsewhere), each only where the file does not define it; `lib` in its arguments when
    `lib.mkDefault` is written."""
    edits: list[Edit] = []
    module = read_module(source)
    body, function = module.body, module.function
    if body is None:
        raise HomewardError(
            f"cannot edit `{entry}`: it is not an attribute set",
            at=source.location(0),
            hint="add the new feature files to its imports by hand",
        )
    defined = {d.path[:2] for d in module.definitions}
    rels = list(imports)
    top: list[str] = []
    for b in bindings_of(body):
        path = b.child_by_field_name("attrpath")
        value = b.child_by_field_name("expression")
        if rels and path is not None and node_text(path, source.text) == "imports" and value:
            # `imports = [ ... ] ++ lib.optional c ./x;`: into a list literal of the chain;
            # anything else is extended as a whole (never a second `imports`: invalid Nix).
            lists = concatenated_lists(value, source.text)
            if lists:
                for span in append_to_list(lists[0], source.text, rels):
                    edits.append(splice(Path(entry), span, "import the new feature files"))
            else:
                why = "import the new feature files"
                edits.append(Edit(Path(entry), value.start_byte, value.start_byte, b"(", why))
                more = nix.List([nix.Raw(r) for r in rels], expand=False)
                tail = f") ++ {nix.emit(more)}".encode()
                edits.append(Edit(Path(entry), value.end_byte, value.end_byte, tail, why))
            rels = []
    if rels:
        top.append(list_binding("imports", rels))
    if ("home", "username") in defined:
        username = None
    if ("home", "homeDirectory") in defined:
        home_directory = None
    elif home_directory is not None and home_directory.startswith("/"):
        home_directory = quote_string(home_directory)
    if ("home", "stateVersion") in defined:
        state_version = None
    whole = _home_set_as_a_whole(body, source)
    identity_inside = ""
    if whole is None:
        basics = identity_bindings(username, home_directory, state_version)
        if basics:
            top.append(basics)
    else:
        inner = identity_bindings(username, home_directory, state_version, head=False)
        if inner:
            given = zip(IDENTITY, (username, home_directory, state_version), strict=True)
            target = _home_attrset(whole, source, entry, [n for n, v in given if v is not None])
            span = insert_binding(target, source.text, inner)
            edits.append(splice(Path(entry), span, "what the home configuration needs"))
            identity_inside = inner
    if not top and not identity_inside:
        return edits
    first = next(iter(bindings_of(body)), None)
    if first is not None:
        at = first.start_byte
        comments = leading_comments(first, source.text)
        at = comments[0].start_byte if comments else at
        indent = indent_at(source.text, at)
        new = "".join(f"{reindent(block, '', indent)}\n\n{indent}" for block in top)
        if new:
            why = "what the home configuration needs"
            edits.append(Edit(Path(entry), at, at, new.encode(), why))
    else:
        for block in top:
            span = insert_binding(body, source.text, block)
            edits.append(splice(Path(entry), span, "what the home configuration needs"))
    # `pkgs` for a home on a Mac and on Linux (`pkgs.stdenv.isDarwin`).
    written = [*top, identity_inside]
    missing = [
        n for n in ("lib", "pkgs") if any(f"{n}." in b for b in written) and n not in module.formals
    ]
    if missing:
        formals = function.child_by_field_name("formals") if function is not None else None
        if formals is not None:
            for name in missing:
                span = add_formal(formals, source.text, name)
                edits.append(splice(Path(entry), span, f"`{name}` for home.*"))
        elif function is None:
            at = body.start_byte
            head = nix.emit(nix.Func(missing, nix.Raw(""))).encode()  # `{ lib, ... }:\n`
            edits.append(Edit(Path(entry), at, at, head, "`lib` for lib.mkDefault"))
        else:
            raise HomewardError(
                f"cannot add `{missing[0]}` to the arguments of `{entry}`",
                at=source.location(function.start_byte),
                hint=f"write the module as `{{ {', '.join(missing)}, ... }}: {{ ... }}`",
            )
    return edits


def identity_bindings(
    username: str | None,
    home: str | None,
    state_version: str | nix.Call | None,
    *,
    head: bool = True,
) -> str:
    """`home.username`, `home.homeDirectory` (`home`: Nix code, a quoted string or
    `if pkgs.stdenv.isDarwin then ...`) and `home.stateVersion`, those given: what an entry
    point needs for a standalone configuration. `head=False`: without `home.`, for inside
    the set of a `home = …;` binding."""
    first = ("home",) if head else ()
    user, directory, state = IDENTITY
    items: list[nix.Item] = []
    if username is not None:
        items.append(((*first, user), nix.Call("lib.mkDefault", [username])))
    if home is not None:
        value = nix.Raw(home) if home.startswith('"') else nix.Paren(nix.Raw(home))
        items.append(((*first, directory), nix.Call("lib.mkDefault", [value])))
    if state_version is not None:
        items.append(((*first, state), state_version))
    return nix.emit_bindings(items)


def _home_set_as_a_whole(body: Node, source: Source) -> Node | None:
    """The value of a `home = <not a set literal>;` binding of the module, None when there is
    none. Why: Nix merges `home.username = …;` only into a `home = { … };` written as a set;
    beside `home = with pkgs; { … };` it is "attribute 'home' already defined"."""
    for b in bindings_of(body):
        path = b.child_by_field_name("attrpath")
        value = b.child_by_field_name("expression")
        if path is None or value is None or node_text(path, source.text) != "home":
            continue
        if unparen(value).type not in ("attrset_expression", "rec_attrset_expression"):
            return value
    return None


def _binds(let: Node, name: str, source: Source) -> bool:
    """Whether the `let` binds `name` (or `name.…`), shadowing the module's argument."""
    for b in bindings_of(let):
        path = b.child_by_field_name("attrpath")
        if path is not None and node_text(path, source.text).split(".")[0] == name:
            return True
    return False


def _home_attrset(value: Node, source: Source, entry: PurePosixPath, needs: Sequence[str]) -> Node:
    """The set literal a `home = …;` value ends in through `with`, a `let` that does not bind
    `lib`, and parentheses: where what the home needs goes, its meaning unchanged. Anything
    else (a condition, `mkMerge`, `//`, a name) is refused at the value."""
    node = unparen(value)
    while node.type == "with_expression" or (
        node.type == "let_expression" and not _binds(node, "lib", source)
    ):
        body = node.child_by_field_name("body")
        if body is None:
            break
        node = unparen(body)
    if node.type in ("attrset_expression", "rec_attrset_expression"):
        return node
    raise HomewardError(
        f"cannot add {', '.join(f'`home.{n}`' for n in needs)} (what a standalone "
        f"configuration needs) to `{entry}`: its `home` is set by an expression Nix does not "
        "merge `home.…` into",
        at=source.location(value.parent.start_byte if value.parent else value.start_byte),
        hint="write its `home` as a set (`home = { … };`) or as `home.<option> = …;` lines, "
        "then run homeward again",
    )
