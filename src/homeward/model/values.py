"""Values of the static evaluator (see `model/eval.py`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.errors import Location
    from homeward.model.eval import Evaluator
    from homeward.model.scope import Env
    from homeward.syntax.parse import Source


class Value:
    """Base of all static values; `node`/`source` say where the value was written, if anywhere."""

    __slots__ = ()
    node: Node | None
    source: Source | None


@dataclass(eq=False)
class Unknown(Value):
    """Something homeward cannot compute without running nix, and why.

    `where`: a place that says more than the node (the syntax error of a file that does not
    parse); `call`: the argument of the call that made it, when it is the result of a function
    homeward does not know (`inputs.x.lib.mkSystem { modules = [ ... ]; }`), so that what can be
    read of a host built that way is still read; `function`: that function, when it is an
    input's (`clan-core.lib.clan`). `env`: the scope `node` was evaluated in, and `parts`: the
    values it was computed from, so that what it might read can be found (`model/reach.py`).
    """

    reason: str
    node: Node | None = None
    source: Source | None = None
    where: Location | None = None
    call: Thunk | None = None
    function: str = ""
    env: Env | None = None
    parts: tuple[Thunk, ...] = ()

    @classmethod
    def of(cls, value: Unknown, reason: str) -> Self:
        """`value` (its place, call, scope and parts) for `reason`, as this class."""
        return cls(
            reason,
            value.node,
            value.source,
            value.where,
            value.call,
            value.function,
            value.env,
            value.parts,
        )

    @property
    def at(self) -> Location | None:
        if self.where is not None:
            return self.where
        if self.node is None or self.source is None:
            return None
        return self.source.location(self.node.start_byte)


@dataclass(eq=False)
class Choice(Value):
    """One of several values, under a condition homeward cannot decide (a let-bound
    `if c then ./a.nix else ./b.nix` used as a module)."""

    options: list[Thunk]
    reason: str
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class Maybe(Value):
    """A list element that is there only under a condition homeward cannot decide
    (`lib.optional cond ./x.nix`, both branches of an `if`)."""

    item: Thunk
    reason: str
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class Str(Value):
    value: str
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class FileText(Str):
    """The text of a file of the repository (`builtins.readFile ./motd`): known, but never
    copied elsewhere as a literal (the copy would no longer follow the file)."""


@dataclass(eq=False)
class PathValue(Value):
    path: Path  # absolute
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class Int(Value):
    value: int
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class Bool(Value):
    value: bool
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class Null(Value):
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class ListValue(Value):
    items: list[Thunk]
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class Attrs(Value):
    attrs: dict[str, Thunk]
    node: Node | None = None
    source: Source | None = None
    dynamic_keys: list[Node] = field(default_factory=list)
    more: Unknown | None = None  # partly known: other attributes may come from this
    # The definitions the module system merged into it (flake-parts: one module name defined
    # in several files). Read as a module, it is each of them (a deferred module imports all).
    parts: tuple[Thunk, ...] = ()


@dataclass(eq=False)
class Lambda(Value):
    node: Node | None  # the function_expression; never None for a Lambda
    env: Env
    source: Source | None  # never None for a Lambda


@dataclass(eq=False)
class Builtin(Value):
    """A function homeward implements itself (`map`, `lib.genAttrs`, `nixpkgs.lib.nixosSystem`)."""

    name: str
    arity: int
    impl: Impl
    args: tuple[Thunk, ...] = ()
    node: Node | None = None
    source: Source | None = None


@dataclass(eq=False)
class External(Value):
    """Something from outside the repo: a flake input and what is selected from it."""

    name: str  # `home-manager.nixosModules.home-manager`
    node: Node | None = None
    source: Source | None = None
    alternatives: tuple[str, ...] = ()  # `nixpkgs.lib // home-manager.lib`


@dataclass(eq=False)
class SystemCall(Value):
    """A call of `nixosSystem` (kind "nixos") or `homeManagerConfiguration` (kind "home")."""

    kind: str
    function: str  # as written: `nixpkgs.lib.nixosSystem`
    args: Value
    node: Node | None = None
    source: Source | None = None
    # `lib.makeOverridable f args`: f and args, so that `.override { ... }` calls f again
    overridable: tuple[Value, Thunk] | None = None
    # The framework that assembles this host by its own conventions (`clan-core`: the
    # machines of `clan-core.lib.clan`), "" when the configuration calls the builder itself.
    framework: str = ""


class Thunk:
    """A lazily evaluated expression, or a ready value."""

    __slots__ = ("_value", "compute", "env", "expr", "forcing", "source")

    def __init__(
        self,
        expr: Node | None = None,
        env: Env | None = None,
        source: Source | None = None,
        value: Value | None = None,
        compute: Callable[[Evaluator], Value] | None = None,
    ) -> None:
        self.compute = compute
        self.expr = expr
        self.env = env
        self.source = source
        self._value = value
        self.forcing = False

    @staticmethod
    def of(value: Value) -> Thunk:
        return Thunk(value=value)

    @property
    def computed(self) -> Value | None:
        """The value, if it is computed already (nothing is evaluated)."""
        return self._value

    def force(self, ev: Evaluator) -> Value:
        if self._value is not None:
            return self._value
        if self.forcing:
            return Unknown("the value refers to itself", self.expr, self.source)
        self.forcing = True
        try:
            if self.compute is not None:
                value = self.compute(ev)
            else:
                assert self.expr is not None and self.env is not None and self.source is not None
                value = ev.eval(self.expr, self.env, self.source)
        finally:
            self.forcing = False
        self._value = value
        return value


Impl = Callable[["Evaluator", list[Thunk], Builtin], Value]
"""How a builtin is computed: from the evaluator, its arguments (unforced) and itself."""


# What a value is, in words, by its class: the first that matches (a FileText is a Str).
_KIND_WORDS: tuple[tuple[type[Value], str], ...] = (
    (FileText, "the text of a file"),
    (Str, "a string"),
    (Int, "an integer"),
    (Bool, "a boolean"),
    (Attrs, "an attribute set"),
    (ListValue, "a list"),
    (Lambda, "a function"),
    (PathValue, "a path"),
    (Null, "null"),
)


def describe_value(value: Value) -> str:
    """What a value is, in words, for a message: "an attribute set", "a function", … , the
    name of an input's value (`inputs.x.lib`), else "a computed value"."""
    if isinstance(value, External):
        return f"`{value.name}`"
    return next(
        (words for kind, words in _KIND_WORDS if isinstance(value, kind)), "a computed value"
    )


def explain_unknown(value: Value, said_at: Location | None = None) -> str:
    """`: <why> (<where>)` of a value homeward cannot compute, for a message: the reason of an
    unknown, then where it comes from (of a known value that will not do, a set whose keys
    are not all known: only where it is written), the place left out where it is `said_at`
    (said already); "" when there is neither."""
    if isinstance(value, Unknown):
        where = value.at
    elif value.node is not None and value.source is not None:
        where = value.source.location(value.node.start_byte)
    else:
        where = None
    place = f" ({where})" if where is not None and where != said_at else ""
    return f": {value.reason}{place}" if isinstance(value, Unknown) else place
