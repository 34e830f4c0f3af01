"""The expression forms of the evaluator (model/eval.py): what each kind of syntax node
evaluates to, and the attribute sets and `let` bindings they build. `Evaluator.eval` looks a
node's kind up in `FORMS`; the tail forms (`let`, `with`, `assert`, a decided `if`) are its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.model.ops import binary, maybe, normpath, to_string
from homeward.model.scope import Env, bound
from homeward.model.values import (
    Attrs,
    Bool,
    Choice,
    External,
    Int,
    Lambda,
    ListValue,
    Null,
    PathValue,
    Str,
    Thunk,
    Unknown,
    Value,
)
from homeward.syntax.nodes import (
    attr_name,
    bindings_of,
    named_children,
    node_text,
    string_parts,
    string_value,
    unparen,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.model.eval import Evaluator
    from homeward.syntax.parse import Source

    Form = Callable[[Evaluator, Node, Env, Source], Value]

MAX_BRANCHING_DEPTH = 8  # deeper than this, an `if` homeward cannot decide is not expanded


def _e_integer_expression(_ev: Evaluator, node: Node, _env: Env, src: Source) -> Value:
    return Int(int(node_text(node, src.text)), node, src)


def _e_float_expression(_ev: Evaluator, node: Node, _env: Env, src: Source) -> Value:
    return Unknown("floats are not followed", node, src)


def _e_uri_expression(_ev: Evaluator, node: Node, _env: Env, src: Source) -> Value:
    return Str(node_text(node, src.text), node, src)


def _e_spath_expression(_ev: Evaluator, node: Node, _env: Env, src: Source) -> Value:
    return External(node_text(node, src.text), node, src)


def _e_string_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    plain = string_value(node, src.text)
    if plain is not None:
        return Str(plain, node, src)
    return _interpolated(ev, node, env, src)


def _interpolated(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    parts = string_parts(node, src.text)
    texts: list[str] = []
    external: External | None = None  # `"${nixpkgs}/nixos/modules/x.nix"`: an input's file
    for n, part in enumerate(parts):
        if isinstance(part, str):
            texts.append(part)
            continue
        inner = part.child_by_field_name("expression")
        value = ev.eval(inner, env, src) if inner is not None else Null()
        if isinstance(value, External) and not texts and external is None:
            external = value
            continue
        if not texts and isinstance(value, PathValue) and n + 1 < len(parts):
            # `"${./modules}/${name}"`: the file under the directory (its store copy).
            return _in_directory(ev, value, parts[n + 1 :], node, env, src)
        if not texts and isinstance(value, Attrs) and "outPath" in value.attrs:
            # `"${ev}/hosts/x.nix"`: a file of the flake (its store copy).
            value = ev.force(value.attrs["outPath"])
            if isinstance(value, PathValue):
                return _in_directory(ev, value, parts[n + 1 :], node, env, src)
        text = to_string(value)
        if text is None:
            return Unknown("the string interpolates a value that is not known", part, src)
        texts.append(text)
    if external is not None:
        return External(f"{external.name}{''.join(texts)}", node, src)
    return Str("".join(texts), node, src)


def _in_directory(
    ev: Evaluator, base: PathValue, rest: list[str | Node], node: Node, env: Env, src: Source
) -> Value:
    """`"${ev}/rest"`: the path `rest` under `base`, when all of `rest` is known."""
    texts: list[str] = []
    for part in rest:
        if isinstance(part, str):
            texts.append(part)
            continue
        inner = part.child_by_field_name("expression")
        text = to_string(ev.eval(inner, env, src)) if inner is not None else None
        if text is None:
            return Unknown("the string interpolates a value that is not known", part, src)
        texts.append(text)
    tail = "".join(texts)
    if tail and not tail.startswith("/"):
        return Str(f"{base.path}{tail}", node, src)
    return PathValue(Path(normpath(Path(f"{base.path}{tail}"))), node, src)


def _e_path_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    value = _interpolated(ev, node, env, src)
    if not isinstance(value, Str):
        return value
    text = value.value
    if text.startswith(("~", "/")):
        return Unknown(f"the absolute path `{text}` is outside the repository", node, src)
    # Why strings, and one `Path` a path: four `Path`s a literal were a quarter of reading the
    # planned tree's 2,000 `homeConfigurations` entries (issue 9), which name the same homes.
    file = os.fspath(src.path)
    if not os.path.isabs(file):
        file = os.path.join(ev.root, file)
    found = os.path.normpath(os.path.join(os.path.dirname(file), text))
    path = ev.paths.get(found)
    if path is None:
        path = ev.paths[found] = Path(found)
    return PathValue(path, node, src)


def _e_variable_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    name = node_text(node, src.text)
    thunk = env.lookup(name, ev, node, src)
    if thunk is None:
        return Unknown(env.undefined(name, ev), node, src)
    return ev.force(thunk)


def _e_select_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    base_node = node.child_by_field_name("expression")
    attrpath = node.child_by_field_name("attrpath")
    default = node.child_by_field_name("default")
    assert base_node is not None and attrpath is not None
    value = ev.eval(base_node, env, src)
    for attr in attrpath.children_by_field_name("attr"):
        name = attr_name_in(ev, attr, env, src)
        if name is None:
            return Unknown("the attribute name is computed", attr, src)
        value = ev.select(value, name, attr, src)
        if (
            isinstance(value, Unknown)
            and default is not None
            and value.reason.startswith("no attribute")
        ):
            return ev.eval(default, env, src)
    return value


def attr_name_in(ev: Evaluator, attr: Node, env: Env, src: Source) -> str | None:
    name = attr_name(attr, src.text)
    if name is not None:
        return name
    inner = attr
    if attr.type == "interpolation":
        expr = attr.child_by_field_name("expression")
        value = ev.eval(expr, env, src) if expr is not None else Null()
    else:
        value = ev.eval(inner, env, src)
    return to_string(value)


def _e_list_expression(_ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    return ListValue([Thunk(e, env, src) for e in named_children(node)], node, src)


def _e_attrset_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    return _attrset(ev, node, env, src, rec=False)


def _e_rec_attrset_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    return _attrset(ev, node, env, src, rec=True)


def _e_if_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    """An `if` whose condition is not known (a known one is a tail form of `eval`)."""
    # A list either way (`modules = if c then [ a ] else [ b ];`): every element of both,
    # each only maybe there.
    reason = "the condition of an `if` is not known statically"
    if ev.depth > MAX_BRANCHING_DEPTH:
        return Unknown(reason, node, src)  # Why: both branches at every depth is exponential
    both: list[Thunk] = []
    branches: list[Thunk] = []
    lists = True
    for field_name in ("consequence", "alternative"):
        branch = node.child_by_field_name(field_name)
        if branch is None:
            return Unknown(reason, node, src)
        branches.append(Thunk(branch, env, src))
        value = branches[-1].force(ev)
        if isinstance(value, ListValue):
            both.extend(maybe(item, reason) for item in value.items)
        else:
            lists = False
    if lists:
        return ListValue(both, node, src)
    return Choice(branches, reason, node, src)


def _e_function_expression(_ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    return Lambda(node, env, src)


def _e_unary_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    op = node_text(node.child_by_field_name("operator"), src.text)  # type: ignore[arg-type]
    arg = ev.eval(node.child_by_field_name("argument"), env, src)  # type: ignore[arg-type]
    if op == "!" and isinstance(arg, Bool):
        return Bool(not arg.value, node, src)
    if op == "-" and isinstance(arg, Int):
        return Int(-arg.value, node, src)
    return Unknown(f"`{op}` of a value that is not known", node, src)


def _e_has_attr_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    value = ev.eval(node.child_by_field_name("expression"), env, src)  # type: ignore[arg-type]
    attrpath = node.child_by_field_name("attrpath")
    assert attrpath is not None
    for attr in attrpath.children_by_field_name("attr"):
        name = attr_name_in(ev, attr, env, src)
        if not isinstance(value, Attrs) or name is None:
            return Unknown("`?` on a value that is not known", node, src)
        if name not in value.attrs:
            return Bool(False, node, src)
        value = ev.force(value.attrs[name])
    return Bool(True, node, src)


def _e_binary_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    """Left operand, right operand, operator, over every operator of the expression with an
    explicit stack (issue 10: nix accepts `a + b + …` and `a // b // …` of any length)."""
    values: list[Value] = []
    stack: list[tuple[Node, bool]] = [(node, False)]
    while stack:
        item, operands_done = stack.pop()
        if operands_done:
            op = node_text(item.child_by_field_name("operator"), src.text)  # type: ignore[arg-type]
            right, left = values.pop(), values.pop()
            if op == "+" and isinstance(left, Attrs) and "outPath" in left.attrs:
                # `self + "/hosts"`: a flake is the string of its `outPath`, as in `"${self}"`.
                left = ev.force(left.attrs["outPath"])
            result = binary(op, left, right, item, src)
            values.append(result if item is node else bound(result, env, src))
            continue
        if item is not node:
            item = unparen(item)
            if item.type != "binary_expression":
                values.append(ev.eval(item, env, src))
                continue
            ev.steps += 1  # as `eval` counts it
        stack.append((item, True))
        stack.append((item.child_by_field_name("right"), False))  # type: ignore[arg-type]
        stack.append((item.child_by_field_name("left"), False))  # type: ignore[arg-type]
    return values[0]


def _e_apply_expression(ev: Evaluator, node: Node, env: Env, src: Source) -> Value:
    fn = ev.eval(node.child_by_field_name("function"), env, src)  # type: ignore[arg-type]
    arg = node.child_by_field_name("argument")
    assert arg is not None
    return ev.apply(fn, Thunk(arg, env, src), node, src)


def _attrset(ev: Evaluator, node: Node, env: Env, src: Source, *, rec: bool) -> Value:
    result = Attrs({}, node, src)
    scope = Env(env) if rec else env
    _fill(ev, node, result, scope, env, src)
    if rec:
        scope.vars.update(result.attrs)
    return result


def bind(ev: Evaluator, node: Node, scope: Env, inherit_env: Env, src: Source) -> None:
    holder = Attrs({})
    _fill(ev, node, holder, scope, inherit_env, src)
    scope.vars.update(holder.attrs)


def _fill(
    ev: Evaluator, node: Node, into: Attrs, value_env: Env, inherit_env: Env, src: Source
) -> None:
    for binding in bindings_of(node):
        if binding.type == "binding":
            attrpath = binding.child_by_field_name("attrpath")
            expr = binding.child_by_field_name("expression")
            assert attrpath is not None and expr is not None
            attrs = attrpath.children_by_field_name("attr")
            names: list[str] = []
            for attr in attrs:
                name = attr_name_in(ev, attr, inherit_env, src)
                if name is None:
                    into.dynamic_keys.append(attr)
                    break
                names.append(name)
            else:
                _insert(ev, into, names, Thunk(expr, value_env, src), binding, src)
        elif binding.type in ("inherit", "inherit_from"):
            source_expr = binding.child_by_field_name("expression")
            attrs_node = binding.child_by_field_name("attrs")
            for attr in attrs_node.children_by_field_name("attr") if attrs_node else ():
                name = attr_name(attr, src.text)
                if name is None:
                    continue
                if source_expr is not None:
                    base = Thunk(source_expr, inherit_env, src)
                    into.attrs[name] = _select_later(base, name, attr, src)
                else:
                    found = inherit_env.lookup(name, ev, attr, src)
                    into.attrs[name] = found or Thunk.of(
                        Unknown(inherit_env.undefined(name, ev), attr, src)
                    )


def _select_later(base: Thunk, name: str, node: Node, src: Source) -> Thunk:
    """`inherit (x) name;`: select only when the value is needed (x may be `self`)."""
    return Thunk(compute=lambda ev: ev.select(ev.force(base), name, node, src))


def _insert(
    ev: Evaluator, into: Attrs, names: list[str], thunk: Thunk, node: Node, src: Source
) -> None:
    """`a.b.c = v;` into an attrset, merging with `a = { ... };` written elsewhere in it."""
    target = into
    for name in names[:-1]:
        existing = target.attrs.get(name)
        sub = ev.force(existing) if existing is not None else None
        if not isinstance(sub, Attrs):
            sub = Attrs({}, node, src)
            target.attrs[name] = Thunk.of(sub)
        target = sub
    last = names[-1]
    if last in target.attrs:
        old = ev.force(target.attrs[last])
        new = ev.force(thunk)
        if isinstance(old, Attrs) and isinstance(new, Attrs):
            merged = Attrs({**old.attrs, **new.attrs}, old.node, old.source)
            target.attrs[last] = Thunk.of(merged)
            return
    target.attrs[last] = thunk


FORMS: dict[str, Form] = {
    "integer_expression": _e_integer_expression,
    "float_expression": _e_float_expression,
    "uri_expression": _e_uri_expression,
    "spath_expression": _e_spath_expression,
    "string_expression": _e_string_expression,
    "indented_string_expression": _e_string_expression,
    "path_expression": _e_path_expression,
    "variable_expression": _e_variable_expression,
    "select_expression": _e_select_expression,
    "list_expression": _e_list_expression,
    "attrset_expression": _e_attrset_expression,
    "rec_attrset_expression": _e_rec_attrset_expression,
    "if_expression": _e_if_expression,
    "function_expression": _e_function_expression,
    "unary_expression": _e_unary_expression,
    "has_attr_expression": _e_has_attr_expression,
    "binary_expression": _e_binary_expression,
    "apply_expression": _e_apply_expression,
}
"""What `Evaluator.eval` does with each kind of expression node."""
