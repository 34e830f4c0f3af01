"""A small static evaluator for the Nix that builds flake outputs.

`flake.nix` files compute their `nixosConfigurations` in many shapes: a direct
`nixpkgs.lib.nixosSystem { ... }`, a let-bound `mkHost = name: ...` helper, `lib.genAttrs` or
`builtins.listToAttrs (map ...)` over a literal host list, a `builtins.readDir ./hosts` scan,
flake-parts' `mkFlake` with a `flake = { ... }` attribute. This evaluator runs that code lazily
over the syntax tree, with flake inputs as opaque `External` values and the few library
functions those shapes use implemented in model/primops.py. What it cannot compute is an
`Unknown` that remembers where and why, so the model reports it instead of guessing.

Here: evaluation (the tail forms in a loop), application, selection and `import`. Each other
expression form is a function in model/forms.py; the files read (real paths, sources parsed
once, what nix sees, the planned tree) are model/reader.py's `Reader`, the evaluator's `files`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import HomewardError, Location
from homeward.model.forms import FORMS, bind
from homeward.model.primops import (
    b_override,
    external_builtin,
    global_vars,
    is_framework,
    package_set,
)
from homeward.model.reader import Reader
from homeward.model.scope import Env, bound, bound_in
from homeward.model.values import (
    Attrs,
    Bool,
    Builtin,
    External,
    Lambda,
    SystemCall,
    Thunk,
    Unknown,
    Value,
)
from homeward.syntax.nodes import node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source

MAX_STEPS = 500_000
MAX_CALL_DEPTH = 64
"""Nested calls of functions written in the configuration: a helper that calls itself on a
value homeward cannot decide (`many = n: if n <= 0 then { } else ... // many (n - 1)`) is an
Unknown at this depth, never Python's recursion limit."""


class Evaluator:
    """Evaluates the syntax tree lazily: `eval`, `apply` (functions of the configuration and
    the builtins of model/primops.py), `select`, and `import` of a file (`eval_file`), reading
    the files through `files`."""

    def __init__(
        self,
        root: Path,
        overlay: Mapping[str, bytes | None] | None = None,
        boundary: Path | None = None,
    ) -> None:
        """`overlay` (the planned tree) and `boundary` (what may be read): see `Reader`."""
        self.files = Reader(root, overlay, boundary)  # what is read, and how it is seen
        self.root = self.files.root
        self.boundary = self.files.boundary
        self.steps = 0
        self.depth = 0  # nested calls of functions written in the configuration
        self._imported: dict[Path, Value] = {}  # the value of each file imported
        self.paths: dict[str, Path] = {}  # the value of path literals, by the path: made once
        self.globals = Env(vars=global_vars())
        self.flake_inputs: Attrs | None = None  # the attribute set `outputs` is called with
        # Files `import`ed as values that nix does not see (rule 12): where each import is,
        # the file, and whether it is on disk (untracked) or not there at all. What such a
        # file holds is unknown: a refusal that depends on it names it (model/load/state.py).
        self.unseen: list[tuple[Location | None, Path, bool]] = []

    def eval_file(self, path: Path, node: Node | None = None, via: Source | None = None) -> Value:
        """`import path`: the value of a file (a directory means its default.nix)."""
        files = self.files
        path = files.import_target(path)
        if not path.is_relative_to(self.boundary):
            return Unknown(f"`{path.name}` is outside the repository", node, via)
        if not files.is_file(os.fspath(path)):
            hidden = files.hidden_at(os.fspath(path))
            at = via.location(node.start_byte) if via is not None and node is not None else None
            if hidden is not None:  # on disk, not in git: nix does not see it (rule 12)
                shown = files.shown_real(hidden)
                self.unseen.append((at, shown, True))
                return Unknown(f"`{shown}` is not tracked by git: nix does not see it", node, via)
            self.unseen.append((at, files.shown(path), False))
            return Unknown(f"`{files.shown(path)}` does not exist", node, via)
        if path not in self._imported:
            try:
                src = files.source(path)
            except HomewardError as exc:
                return Unknown(
                    f"`{files.shown(path)}` cannot be read: {exc.message}", node, via, where=exc.at
                )
            self._imported[path] = Unknown("the file imports itself", src.root, src)
            expr = src.root.child_by_field_name("expression")
            value: Value = (
                self.eval(expr, self.globals, src)
                if expr is not None
                else Unknown("the file is empty", src.root, src)
            )
            self._imported[path] = value
        return self._imported[path]

    def force(self, thunk: Thunk) -> Value:
        return thunk.force(self)

    def eval(self, node: Node, env: Env, src: Source) -> Value:
        # Why (issue 10): a body in tail position (`let … in`, `with …;`, `assert …;`, the branch
        # of an `if` whose condition is known) is evaluated in this loop, not by recursion, so
        # that a chain of them as long as nix accepts needs no stack.
        outer: Env | None = None  # the scope of the tail form last entered: as a call's caller
        while True:
            self.steps += 1
            if self.steps > MAX_STEPS:
                return bound_in(
                    Unknown("the expression is too large to follow statically", node, src),
                    outer,
                    src,
                )
            node = unparen(node)
            kind = node.type
            tail = self._tail(node, kind, env, src) if kind in _TAIL_FORMS else None
            if tail is not None:
                outer = env
                node, env = tail
                continue
            form = FORMS.get(kind)
            if form is None:
                return bound_in(
                    Unknown(
                        f"`{kind.replace('_expression', '')}` expressions are not followed",
                        node,
                        src,
                    ),
                    outer,
                    src,
                )
            return bound(form(self, node, env, src), env, src)

    def _tail(self, node: Node, kind: str, env: Env, src: Source) -> tuple[Node, Env] | None:
        """The body `node` evaluates to, in the scope it has; None when it is no tail form."""
        body = node.child_by_field_name("body")
        if kind == "let_expression":
            assert body is not None
            scope = Env(env)
            bind(self, node, scope, scope, src)
            return body, scope
        if kind == "with_expression":
            environment = node.child_by_field_name("environment")
            assert environment is not None and body is not None
            return body, Env(env, with_=Thunk(environment, env, src))
        if kind == "assert_expression":
            assert body is not None
            return body, env
        cond = self.eval(node.child_by_field_name("condition"), env, src)  # type: ignore[arg-type]
        if not isinstance(cond, Bool):
            return None  # both branches: `_e_if_expression` (model/forms.py)
        branch = node.child_by_field_name("consequence" if cond.value else "alternative")
        assert branch is not None
        return branch, env

    def select(self, value: Value, name: str, node: Node | None, src: Source | None) -> Value:
        if isinstance(value, Attrs):
            if name in value.attrs:
                return self.force(value.attrs[name])
            if "__external__" in value.attrs:
                return self.select(self.force(value.attrs["__external__"]), name, node, src)
            if value.more is not None:
                # Why not "may come from <reason>": a reason is a clause as often as a noun
                # ("`filterAttrs` cannot decide whether `agenix` stays").
                why = value.more.reason
                return Unknown(
                    f"`{name}` may be in the part of the set homeward cannot read: {why}", node, src
                )
            return Unknown(f"no attribute `{name}`", node, src)
        if isinstance(value, External):
            alts = tuple(f"{a}.{name}" for a in value.alternatives)
            return External(f"{value.name}.{name}", node, src, alts)
        if isinstance(value, SystemCall) and name == "override" and value.overridable:
            return Builtin("override", 2, b_override, (Thunk.of(value),), node, src)
        if isinstance(value, SystemCall) and name in ("config", "options", "pkgs"):
            return Unknown(f"`{name}` of an evaluated system is only known to nix", node, src)
        if isinstance(value, Unknown):
            return value
        return Unknown(f"cannot select `{name}` from a {type(value).__name__.lower()}", node, src)

    def apply(self, fn: Value, arg: Thunk, node: Node | None, src: Source | None) -> Value:
        if isinstance(fn, Lambda):
            return self._call_lambda(fn, arg)
        if isinstance(fn, Builtin):
            args = (*fn.args, arg)
            if len(args) < fn.arity:
                return Builtin(fn.name, fn.arity, fn.impl, args, node or fn.node, src or fn.source)
            partial = Builtin(fn.name, fn.arity, fn.impl, args, node or fn.node, src or fn.source)
            return fn.impl(self, list(args), partial)
        if isinstance(fn, External) and fn.name.startswith("import ") and not is_framework(fn):
            # `import nixpkgs { ... }`: an input's package set, with what its overlays add.
            return package_set(self, fn, arg, node, src)
        if isinstance(fn, External):
            builtin = external_builtin(fn)
            if builtin is not None:
                return self.apply(
                    Builtin(builtin[0], builtin[1], builtin[2], (), node, src), arg, node, src
                )
            return Unknown(
                f"`{fn.name}` comes from outside the repository",
                node,
                src,
                call=arg,
                function=fn.name,
            )
        if isinstance(fn, Unknown):
            return Unknown(fn.reason, fn.node, fn.source, fn.where, call=arg, function=fn.function)
        return Unknown(f"cannot call a {type(fn).__name__.lower()}", node, src)

    def _call_lambda(self, fn: Lambda, arg: Thunk) -> Value:
        node, src = fn.node, fn.source
        assert node is not None and src is not None
        if self.depth >= MAX_CALL_DEPTH:
            return Unknown("the function calls itself too deeply to follow statically", node, src)
        self.depth += 1
        try:
            return self._call_lambda_body(fn, arg, node, src)
        finally:
            self.depth -= 1

    def _call_lambda_body(self, fn: Lambda, arg: Thunk, node: Node, src: Source) -> Value:
        scope = Env(fn.env)
        scope.call = (node, src, arg)
        universal = node.child_by_field_name("universal")
        if universal is not None:
            scope.vars[node_text(universal, src.text)] = arg
        formals = node.child_by_field_name("formals")
        if formals is not None:
            value = self.force(arg)
            for formal in formals.children_by_field_name("formal"):
                name_node = formal.child_by_field_name("name")
                if name_node is None:
                    continue
                name = node_text(name_node, src.text)
                default = formal.child_by_field_name("default")
                if isinstance(value, Attrs) and name in value.attrs:
                    scope.vars[name] = value.attrs[name]
                elif default is not None:
                    scope.vars[name] = Thunk(default, scope, src)
                else:
                    scope.vars[name] = Thunk.of(
                        Unknown(f"the argument `{name}` is not known", formal, src)
                    )
        body = node.child_by_field_name("body")
        assert body is not None
        return self.eval(body, scope, src)


_TAIL_FORMS = frozenset({"let_expression", "with_expression", "assert_expression", "if_expression"})


def expect_attrs(value: Value, what: str) -> Attrs:
    if isinstance(value, Attrs):
        return value
    raise HomewardError(f"{what} is not an attribute set homeward can read")
