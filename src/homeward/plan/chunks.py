"""Cut user-level definitions out of NixOS modules as text, ready to be placed elsewhere.

A `Chunk` is one binding's text (with its comments) re-targeted at a new attribute path, with
every name it reads accounted for: `config` becomes `osConfig` in home-manager (it meant the
NixOS config), `let` bindings it needs travel with it, an outer `with` is kept, conditions
(`lib.mkIf`) that surrounded it wrap its value. A `PackageItem` is one element of a package
list, so that lists can be split by feature and merged. Pure.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from homeward.syntax import emit as nix
from homeward.syntax.edit import Span, indent_at, item_extent, line_start, reindent
from homeward.syntax.emit import key_text
from homeward.syntax.find import Definition, Step, StepKind, path_literal
from homeward.syntax.nodes import bindings_of, named_children, node_text, unparen
from homeward.syntax.scope import free_variables

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source

# Module arguments every NixOS and home-manager module receives.
HOME_ARGS = frozenset({"pkgs", "lib", "osConfig", "config", "options"})
NIXOS_ARGS = frozenset({"pkgs", "lib", "config", "options", "modulesPath", "utils"})


class CannotMove(Exception):  # noqa: N818 - a reason, raised and caught inside the planner
    """A definition that cannot be moved exactly; it stays where it is, reported."""

    def __init__(self, why: str, node: Node | None = None) -> None:
        super().__init__(why)
        self.why = why
        self.node = node


@dataclass
class Needs:
    """What a piece of moved code needs from its new file."""

    args: set[str] = field(default_factory=set)  # module arguments: pkgs, lib, osConfig, inputs
    lets: dict[int, tuple[str, str]] = field(default_factory=dict)  # start byte -> (name, text)
    # Enclosing `with X;` the code reads names from (module-level `with pkgs;`): start -> X.
    withs: dict[int, str] = field(default_factory=dict)

    def envs(self) -> list[str]:
        """The carried withs' environments, outermost first."""
        return [env for _start, env in sorted(self.withs.items())]

    def wrap(self, code: str) -> str:
        """`code` inside the carried withs: `with a; with b; code`."""
        value: object = nix.Raw(code)
        for env in reversed(self.envs()):
            value = nix.With(env, value)
        return nix.emit(value)

    def update(self, other: Needs) -> None:
        self.args |= other.args
        self.lets.update(other.lets)


@dataclass
class Renderer:
    """Renders source nodes as text for a new context (home-manager or NixOS)."""

    source: Source
    home: bool  # True: `config` means the NixOS config, rename it to `osConfig`
    special: frozenset[str]  # names the destination gets through (extra)specialArgs
    needs: Needs = field(default_factory=Needs)
    rebase: tuple[PurePosixPath, PurePosixPath] | None = None  # (old dir, new dir), repo-relative
    carried: frozenset[int] = frozenset()  # start bytes of `with` nodes that travel with the code

    def text(
        self,
        node: Node,
        edits: list[Span] | None = None,
        *,
        start: int | None = None,
        end: int | None = None,
    ) -> str:
        """The source text of [start, end) (the node by default) with `edits` and the renames
        its free names require, after checking every free name can be resolved."""
        lo = node.start_byte if start is None else start
        hi = node.end_byte if end is None else end
        all_edits = list(edits or []) + self.resolve(node)
        out = self.source.text[lo:hi]
        for edit in sorted(all_edits, key=lambda e: e.start_byte, reverse=True):
            if lo <= edit.start_byte <= edit.end_byte <= hi:
                out = out[: edit.start_byte - lo] + edit.new + out[edit.end_byte - lo :]
        # Moved code is written with LF; `apply` restores CRLF in files that use it.
        return re.sub(r"\r+(?=\n|$)", "", out.decode())

    def resolve(self, node: Node) -> list[Span]:
        """Account for every free name of `node`; return the renames to apply."""
        text = self.source.text
        renames: list[Span] = self._rebase_paths(node)
        for name, uses in free_variables(node, text).items():
            for use in uses:
                kind, binder = _binder(name, use, node, text, self.carried)
                if kind == "inner-with":
                    continue  # `with pkgs; [ git ]`: the with travels with the code
                if kind == "let":
                    assert binder is not None
                    self._carry_let(name, binder)
                elif kind == "formal" or kind == "none":
                    renames.extend(self._argument(name, use))
                elif kind == "outer-with":
                    self._carry_withs(node)
        return renames

    def _carry_withs(self, node: Node) -> None:
        """The code reads a name from an enclosing `with`: carry every enclosing `with`, in
        order, so that each name resolves as it did."""
        chain: list[Node] = []
        current = node
        while current.parent is not None:
            parent = current.parent
            if parent.type == "with_expression" and current == parent.child_by_field_name("body"):
                chain.append(parent)
            current = parent
        for with_node in chain:
            if with_node.start_byte in self.needs.withs:
                continue
            env = with_node.child_by_field_name("environment")
            if env is None:
                raise CannotMove("a `with` without an expression", with_node)
            self.needs.withs[with_node.start_byte] = ""  # recursion guard
            self.needs.withs[with_node.start_byte] = self.text(env)

    def _rebase_paths(self, node: Node) -> list[Span]:
        """Relative path literals must point at the same files from the new location."""
        if self.rebase is None or self.rebase[0] == self.rebase[1]:
            return []
        old, new = self.rebase
        edits: list[Span] = []
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type == "path_expression":
                literal = path_literal(n, self.source.text)
                if literal is None:
                    raise CannotMove(
                        "it uses an interpolated path, which would change meaning in another directory",
                        n,
                    )
                if not literal.startswith(("/", "~")):
                    target = posixpath.normpath(posixpath.join(str(old), literal))
                    rel = posixpath.relpath(target, str(new))
                    rel = rel if rel.startswith("../") else f"./{rel}"
                    edits.append(Span(n.start_byte, n.end_byte, rel.encode()))
                continue
            stack.extend(n.children)
        return edits

    def _argument(self, name: str, use: Node) -> list[Span]:
        if self.home and name == "lib" and _reads_hm(use, self.source.text):
            raise CannotMove(
                "it reads `lib.hm`, which home-manager's `lib` has and the NixOS module's does "
                "not: moved, it would mean something else",
                use,
            )
        if self.home and name == "config":
            self.needs.args.add("osConfig")
            return [Span(use.start_byte, use.end_byte, b"osConfig")]
        allowed = HOME_ARGS - {"config", "options"} if self.home else NIXOS_ARGS
        if name in allowed:
            self.needs.args.add(name)
            return []
        if name in self.special:
            self.needs.args.add(name)
            return []
        where = "home-manager" if self.home else "the new module"
        raise CannotMove(f"it reads `{name}`, which {where} cannot see", use)

    def _carry_let(self, name: str, binding: Node) -> None:
        if binding.start_byte in self.needs.lets:
            return
        self.needs.lets[binding.start_byte] = (name, "")  # reserve: recursion guard
        value = binding.child_by_field_name("expression")
        code = self.text(binding) if value is not None else node_text(binding, self.source.text)
        code = reindent(code, indent_at(self.source.text, binding.start_byte), "")
        self.needs.lets[binding.start_byte] = (name, code)


def _reads_hm(use: Node, text: bytes) -> bool:
    """`lib.hm...` or `lib ? hm`: what only home-manager's extended `lib` answers."""
    var = use.parent if use.type == "identifier" and use.parent is not None else use
    parent = var.parent
    if parent is None or parent.type not in ("select_expression", "has_attr_expression"):
        return False
    path = parent.child_by_field_name("attrpath")
    if parent.child_by_field_name("expression") != var or path is None or not path.children:
        return False
    return node_text(path.children[0], text) == "hm"


def _binder(
    name: str, use: Node, scope_root: Node, text: bytes, carried: frozenset[int] = frozenset()
) -> tuple[str, Node | None]:
    """Where a free name of `scope_root` is bound in its file, with Nix's rule that lexical
    bindings win over any `with`: a `let`/`rec` binding, a function formal, a `with` (inside
    the moved code, or carried with it: "inner-with"; outside: "outer-with"), or nowhere (a
    module argument)."""
    from homeward.syntax.edit import ancestors

    node: Node | None = use
    inside = True
    with_kind = ""
    for parent in ancestors(use, text):
        assert node is not None
        if node == scope_root:
            inside = False
        if (
            parent.type == "with_expression"
            and node == parent.child_by_field_name("body")
            and not with_kind
        ):
            with_kind = "inner-with" if inside or parent.start_byte in carried else "outer-with"
        if not inside and parent.type in ("let_expression", "rec_attrset_expression"):
            for b in bindings_of(parent):
                if b.type == "binding":
                    attrpath = b.child_by_field_name("attrpath")
                    first = attrpath.children_by_field_name("attr")[0] if attrpath else None
                    if first is not None and node_text(first, text) == name:
                        return "let", b
        if not inside and parent.type == "function_expression":
            from homeward.syntax.find import function_formals

            if name in function_formals(parent, text):
                return "formal", parent
        node = parent
    return (with_kind or "none"), None


@dataclass
class Chunk:
    """A binding to place in a destination file, rendered at indentation 0."""

    home_path: tuple[str, ...]
    code: str
    needs: Needs
    origin: list[Definition]
    removal_node: Node  # the binding to delete from its source
    packages: bool = False  # a `home.packages` value (merged with mkMerge if several)
    value_code: str = ""  # packages: the value alone
    declaration: bool = False  # an `options.*` declaration (the module becomes full-form)
    leading: str = ""  # packages: its comments, written above `home.packages`


@dataclass
class PackageItem:
    """One element of a package list, with its comments, for splitting lists by feature."""

    code: str  # the element with its comments, at indentation 0
    name: str  # the package attribute name, for the feature table
    env: str  # the `with X;` it was under ("" if none)
    needs: Needs
    origin: Definition | None  # None for items homeward adds itself
    end_byte: int = 0  # where the element (and its trailing comment) ends in its source
    blank_before: bool = False  # an empty line separated it from the item before


def covering_step(d: Definition, depth: int) -> int:
    """Index of the binding step whose attrpath reaches path position `depth` (1-based)."""
    depth += d.skipped  # `config.` of a full-form module is written but not in the path
    total = 0
    for i, step in enumerate(d.steps):
        if step.kind is StepKind.BINDING:
            total += len(step.names)
            if total >= depth:
                return i
    raise CannotMove("the definition is not written as a binding")


def names_before(d: Definition, index: int) -> int:
    """How many names of `d.path` the binding steps before `index` write."""
    return sum(len(s.names) for s in d.steps[:index] if s.kind is StepKind.BINDING) - d.skipped


def outer_steps(d: Definition, index: int) -> list[Step]:
    return list(d.steps[:index])


def binding_chunk(
    defs: list[Definition],
    group_len: int,
    new_prefix: tuple[str, ...],
    renames: dict[str, str],
    renderer: Renderer,
    *,
    exclude: list[Span] | None = None,
) -> Chunk:
    """One binding holding `defs` (all under one group of `group_len` names) re-targeted at
    `new_prefix` + the rest of its path, sub-option names renamed by `renames`."""
    first = defs[0]
    k = covering_step(first, group_len)
    binding = first.steps[k].node
    src = renderer.source
    attrpath = binding.child_by_field_name("attrpath")
    value = binding.child_by_field_name("expression")
    if attrpath is None or value is None:
        raise CannotMove("`inherit` cannot be moved to a new attribute path", binding)
    before = names_before(first, k)
    attrs = attrpath.children_by_field_name("attr")
    rest_nodes = attrs[group_len - before :]
    rest = [node_text(a, src.text) for a in rest_nodes]
    if rest and rest[0] in renames:
        rest[0] = renames[rest[0]]
    inner_edits: list[Span] = list(exclude or [])
    if not rest and renames:
        for d in defs:
            node = _attr_at(d, group_len + 1)
            if (
                node is not None
                and node_text(node, src.text) in renames
                and all(e.start_byte != node.start_byte for e in inner_edits)
            ):
                inner_edits.append(
                    Span(
                        node.start_byte, node.end_byte, renames[node_text(node, src.text)].encode()
                    )
                )
    new_path = key_text(new_prefix) + ("." + ".".join(rest) if rest else "")
    value_code = renderer.text(value, inner_edits)
    from homeward.syntax.edit import only_space_before

    if only_space_before(src.text, value.start_byte):
        # `name =\n    value`: the value's lines are indented from its own first line.
        value_code = reindent(
            value_code,
            indent_at(src.text, value.start_byte),
            indent_at(src.text, binding.start_byte),
        )
    value_code = renderer.needs.wrap(value_code)
    conditions = [s for s in outer_steps(first, k) if s.kind in (StepKind.IF, StepKind.WRAP)]
    value_code = _wrap(value_code, conditions, renderer)
    start, end = item_extent(binding, src.text)
    comments = (
        renderer.text(binding, start=start, end=binding.start_byte)
        if start < binding.start_byte
        else ""
    )
    trailing = src.text[binding.end_byte : end].decode()
    inside = binding_comments(binding, value, src)
    if inside:
        comments += inside + "\n" + indent_at(src.text, binding.start_byte)
    # The binding at its new path; its comments and value are copied text around it.
    moved = nix.emit_binding((nix.Raw(new_path),), nix.Raw(value_code))
    code = comments + moved + trailing
    code = reindent(code, indent_at(src.text, start), "")
    home_path = (*new_prefix, *rest)
    return Chunk(
        home_path,
        code,
        renderer.needs,
        defs,
        binding,
        value_code=reindent(value_code, indent_at(src.text, start), ""),
        leading=reindent(
            "\n".join(x for x in (comments.rstrip(), trailing.strip()) if x),
            indent_at(src.text, start),
            "",
        ),
    )


def binding_comments(binding: Node, value: Node, src: Source) -> str:
    """Comments written inside a binding but outside its value (`a /* x */ = # y`), one per
    line at the binding's indentation, so that moving the binding keeps them."""
    indent = indent_at(src.text, binding.start_byte)
    found = [
        node_text(c, src.text)
        for c in binding.children
        if c.type == "comment" and not (value.start_byte <= c.start_byte < value.end_byte)
    ]
    return ("\n" + indent).join(found)


def _attr_at(d: Definition, position: int) -> Node | None:
    """The attribute node at path position `position` (1-based) of a definition."""
    position += d.skipped
    total = 0
    for step in d.steps:
        if step.kind is StepKind.BINDING:
            attrpath = step.node.child_by_field_name("attrpath")
            attrs = attrpath.children_by_field_name("attr") if attrpath else []
            if total + len(attrs) >= position and attrs:
                return attrs[position - total - 1]
            total += len(step.names)
    return None


def _wrap(value: str, steps: list[Step], renderer: Renderer) -> str:
    """Carry the `lib.mkIf`s and `lib.mkDefault`s that surrounded a moved binding."""
    for step in reversed(steps):
        if step.kind is StepKind.IF and step.condition is not None:
            cond = renderer.text(step.condition)
            renderer.needs.args.add("lib")
            call = nix.Call(
                "lib.mkIf", (nix.Raw(_atom(cond, step.condition)), nix.Raw(_arg(value)))
            )
            value = nix.emit(call)
        elif step.kind is StepKind.WRAP:
            renderer.needs.args.add("lib")
            value = nix.emit(nix.Call(f"lib.{step.wrapper}", (nix.Raw(_arg(value)),)))
    return value


def _atom(code: str, node: Node) -> str:
    simple = (
        unparen(node).type in ("variable_expression", "select_expression")
        and node.type != "parenthesized_expression"
    )
    return (
        code
        if simple or node.type == "parenthesized_expression"
        else nix.emit(nix.Paren(nix.Raw(code)))
    )


def _arg(code: str) -> str:
    stripped = code.strip()
    if stripped[:1] in ("{", "[", "(", '"') or stripped.startswith("''"):
        return code
    if " " not in stripped and "\n" not in stripped:
        return code
    return nix.emit(nix.Paren(nix.Raw(code)))


def package_items(d: Definition, renderer: Renderer) -> list[PackageItem] | None:
    """Split `users.users.<u>.packages = with pkgs; [ ... ]` into items; None when the value
    is not a plain list (a variable, `++`, `attrValues`, a condition): it then moves whole."""
    if any(s.kind in (StepKind.IF, StepKind.WRAP) for s in d.steps):
        return None
    src = renderer.source
    node = unparen(d.value)
    envs: list[str] = []
    withs: set[int] = set()
    while node.type == "with_expression":
        withs.add(node.start_byte)
        env_node = node.child_by_field_name("environment")
        body = node.child_by_field_name("body")
        if env_node is None or body is None:
            return None
        envs.append(renderer.text(env_node))
        node = unparen(body)
    if node.type != "list_expression" or len(envs) > 1:
        return None
    env = envs[0] if envs else ""
    items: list[PackageItem] = []
    pending: list[Node] = []
    for child in (c for c in node.children if c.is_named):
        if child.type == "comment":
            if items and b"\n" not in src.text[items[-1].end_byte : child.start_byte]:
                continue  # a trailing comment: already inside the previous item's extent
            pending.append(child)
            continue
        # Comments followed by an empty line belong to what is above them (a commented-out
        # entry, the end of a group); those directly above the element are its own.
        own_from = 0
        previous_end = items[-1].end_byte if items else node.start_byte + 1
        for i, comment in enumerate(pending):
            following = pending[i + 1].start_byte if i + 1 < len(pending) else child.start_byte
            if _blank_between(src.text, comment.end_byte, following):
                own_from = i + 1
        if items and own_from:
            items[-1].code += "\n" + _comment_lines(src, pending[:own_from])
        elif own_from:
            own_from = 0
        blank = _blank_between(
            src.text,
            previous_end,
            (pending[own_from] if own_from < len(pending) else child).start_byte,
        )
        _, end = item_extent(child, src.text)
        sub = Renderer(
            src, renderer.home, renderer.special, rebase=renderer.rebase, carried=frozenset(withs)
        )
        code = _element_code(src, pending[own_from:], child, end, sub)
        item_env = "; with ".join([*sub.needs.envs(), *([env] if env else [])])
        item = PackageItem(code, _package_name(child, src.text), item_env, sub.needs, d, end)
        item.blank_before = blank and bool(items)
        items.append(item)
        pending = []
    if pending:
        tail = _comment_lines(src, pending)
        if items:
            items[-1].code = f"{items[-1].code}\n{tail}"
        else:
            items.append(PackageItem(tail, "", env, Needs(), d, pending[-1].end_byte))
    env_needs = renderer.needs  # the `with X;` text was rendered by `renderer` above
    for item in items:
        item.needs.update(env_needs)
    for item in items:
        renderer.needs.update(item.needs)
    return items


def _blank_between(text: bytes, start: int, end: int) -> bool:
    import re

    return re.search(rb"\n[ \t]*\n", text[start:end]) is not None


def _comment_lines(src: Source, comments: list[Node]) -> str:
    return "\n".join(
        reindent(node_text(c, src.text), indent_at(src.text, c.start_byte), "") for c in comments
    )


def _element_code(src: Source, comments: list[Node], element: Node, end: int, sub: Renderer) -> str:
    """An element with the comment lines above it, at indentation 0."""
    indent = indent_at(src.text, element.start_byte)
    lines = [
        reindent(node_text(c, src.text), indent_at(src.text, c.start_byte), "") for c in comments
    ]
    body = reindent(sub.text(element, start=element.start_byte, end=end), indent, "")
    return "\n".join([*lines, body])


def _package_name(node: Node, text: bytes) -> str:
    """`ripgrep`, `pkgs.ripgrep` -> ripgrep; `(foo.override { ... })` -> foo."""
    node = unparen(node)
    while node.type == "apply_expression":
        fn = node.child_by_field_name("function")
        if fn is None:
            break
        node = unparen(fn)
    if node.type == "variable_expression":
        return node_text(node, text)
    if node.type == "select_expression":
        base = node.child_by_field_name("expression")
        attrpath = node.child_by_field_name("attrpath")
        names = (
            [node_text(a, text) for a in attrpath.children_by_field_name("attr")]
            if attrpath
            else []
        )
        head = node_text(base, text) if base is not None else ""
        if head == "pkgs" and names:
            return names[0] if names[0] not in ("override", "overrideAttrs") else ""
        return names[0] if names and head in ("unstable", "pkgs-unstable", "pkgsUnstable") else head
    return ""


def removal_anchor(d: Definition, group_len: int) -> Node:
    return d.steps[covering_step(d, group_len)].node


def element_nodes(list_node: Node) -> list[Node]:
    return named_children(list_node)


def line_of(text: bytes, byte: int) -> int:
    return text.count(b"\n", 0, line_start(text, byte)) + 1
