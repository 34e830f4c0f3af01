"""The state a load shares across its phases (`model/load/loader.py`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import Location
from homeward.model.eval import Evaluator
from homeward.model.repo import (
    FileRead,
    ModuleInfo,
    ModuleRef,
    Problem,
    ProblemKind,
    SystemConfig,
)
from homeward.model.scope import Env
from homeward.model.values import Attrs, Choice, Thunk, Unknown, Value
from homeward.syntax.parse import Source

if TYPE_CHECKING:
    from tree_sitter import Node


_COMPOSED = frozenset({"binary_expression", "unary_expression", "parenthesized_expression"})
"""Expressions whose value is made of their operands' (a condition's `&&`, `!`, `==`)."""
_MAX_CAUSE_STEPS = 20


class LoadState:
    """What the load's phases share: the evaluator, the modules read so far, the problems
    found, and the walk's and the freezing's bookkeeping."""

    def __init__(self, ev: Evaluator, root: Path, flake: Source) -> None:
        self.ev = ev
        self.root = root
        self.flake = flake
        self.problems: list[Problem] = []
        self.modules: dict[str, ModuleInfo] = {}
        self.edges: list[tuple[str, str]] = []
        self.inline_values: dict[tuple[str, str], Attrs] = {}  # (config, module key) -> value
        # (config, module key) -> the scope an inline module was written in, for that config
        # (a helper's arguments: `home-manager.users.${user}` in `mkSystem = name: { user }: …`)
        self.inline_envs: dict[tuple[str, str], Env] = {}
        self._edge_set: set[tuple[str, str]] = set()  # Why: membership in the list was quadratic
        self._prefix = os.path.join(ev.boundary, "")  # what may be read: the work tree
        self._found: dict[str, tuple[str, int]] = {}  # repo-relative file -> (real path, mode)
        # Each import path that led to a module file (`Refs._file_ref`): the file's path as
        # shown. Why: an import written in many files (a user's module in each of 100 hosts,
        # 2,000 standalone homes of a planned flake) was resolved again each time, with the
        # same answer. (The paths are the reader's keys already: `Reader.real`.)
        self._file_refs: dict[str, Path] = {}
        self._dirs: dict[Source, str] = {}  # the directory of each file that imports others
        # The import graph walk (`_visit`): modules whose imports have all been followed, and
        # the modules each of them reaches; whether any import cycle was seen.
        self._done: set[str] = set()
        self._reach: dict[str, list[ModuleInfo]] = {}
        self._dead: dict[str, list[ModuleRef]] = {}  # and the imports there that are no module
        self._cycle = False
        self._unreadable: dict[str, Problem] = {}  # module key -> why it cannot be read
        # Module files whose bytes are not text (git-crypt): opaque modules, not skipped hosts.
        self._not_text: dict[str, str] = {}  # module key -> why (the opaque module's label)
        self._skip: dict[str, Problem] = {}  # configuration -> the first unreadable file it reaches
        self._frozen_by: dict[str, str] = {}  # consumer name -> why it is not rewired
        self._per_host: set[str] = set()  # modules whose imports differ per host (computed)
        # (host, user) pairs that reach each module while the graph is walked, by module key;
        # `ModuleInfo.pairs` once it is done (`Walk._freeze_pairs`).
        self._pairs: dict[str, set[tuple[str, str]]] = {}
        # The literal `networking.hostName` each NixOS module that sets one gives, by module key,
        # with the order it was read in; and for each host the first module read of those the
        # walk has found it reaches (`Walk._host_name`).
        self._host_names: dict[str, tuple[int, str]] = {}
        self._named: dict[str, tuple[int, str]] = {}
        self._names_host: dict[Source, bool] = {}  # inline modules' files: may name a host
        self._all_configs: dict[str, SystemConfig] = {}  # every configuration, by name
        # Homes a framework wires into a host it assembles (ez-configs' `userHomeModules`):
        # by the host's name in the model, each user with the entry file of their home.
        self._framework_homes: dict[str, tuple[tuple[str, Path], ...]] = {}
        self.darwin = False  # nix-darwin hosts are hosts (migrate), not frozen `others`
        # Outputs (or parts of them) homeward cannot compute: who, why, and the value, whose
        # files stay byte-identical (rule 10, `model/reach.py`).
        self._unknown: list[tuple[str, str, Value | Thunk]] = []
        # Opaque modules of known configurations: who reads each, and its value where a
        # module list gave one (by id of its ref); what it might import is frozen for them.
        self._opaque: list[tuple[str, ModuleRef]] = []
        self._opaque_values: dict[int, Value] = {}
        self._self: tuple[Thunk, ...] = ()
        # Module files read, by id(source); from an earlier load of the same files (reuse).
        self.read: dict[int, FileRead] = {}
        self.reuse: Mapping[int, FileRead] = {}
        self.reusable = True  # keep `read` for a read of the planned tree (`load_repo`)
        # Module files read since their trees were last let go (`Reader.release`).
        self._read_now: list[Source] = []

    def problem(
        self,
        kind: ProblemKind,
        message: str,
        at: Location | None,
        hint: str = "",
        *,
        first: bool = False,
    ) -> None:
        item = Problem(kind, message, at, hint, first)
        if item not in self.problems:
            self.problems.append(item)

    def _unresolved(self, value: Value, what: str) -> None:
        if isinstance(value, Unknown):
            at = (
                value.source.location(value.node.start_byte)
                if value.node is not None and value.source is not None
                else None
            )
            if value.function and "." in value.function:
                # `clan-core.lib.clan { ... }`: an input's function whose result is the outputs.
                owner = value.function.split(".", 1)[0]
                self.problem(
                    ProblemKind.UNRESOLVED,
                    f"{what} is built by `{value.function}`, a function of the input `{owner}`: "
                    "homeward does not read the hosts it makes",
                    at,
                    "homeward reads hosts built with `nixosSystem` in the repository; hosts "
                    f"that `{owner}` builds stay as they are",
                    first=True,
                )
                return
            self.problem(
                ProblemKind.UNRESOLVED,
                f"cannot resolve {what} statically: {value.reason}{self._unseen_in(at)}",
                at,
                "homeward follows literal attribute sets, let-bound helpers, genAttrs/listToAttrs/mapAttrs over literal lists and flake-parts",
            )
        else:
            at = (
                value.source.location(value.node.start_byte)
                if value.node is not None and value.source is not None
                else None
            )
            said = (
                self._choice_said(value)
                if isinstance(value, Choice)
                else f"it is a {type(value).__name__.lower()}"
            )
            self.problem(
                ProblemKind.UNRESOLVED,
                f"cannot resolve {what} statically: {said}{self._unseen_in(at)}",
                at,
            )

    def _choice_said(self, value: Choice) -> str:
        """What a value chosen under a condition homeward cannot decide is: how many values
        it is one of, the condition (its text, file:line:col) and why it is not known."""
        said = f"it is one of {len(value.options)} values"
        node, source = value.node, value.source
        condition = (
            node.child_by_field_name("condition")
            if node is not None and node.type == "if_expression"
            else None
        )
        env = value.options[0].env if value.options else None
        if condition is None or source is None or env is None:
            return f"{said}: {value.reason}"
        at = source.location(condition.start_byte)
        text = " ".join(source.text_of(condition).split())
        shown = f"`{text}`" if len(text) <= 60 else "an `if`"
        known = self._cause(condition, env, source)
        if isinstance(known, Unknown):
            why = known.reason
            if known.at is not None and known.at != at:
                why += f" ({known.at})"
        else:
            why = f"it is a {type(known).__name__.lower()}, not a boolean"
        return (
            f"{said}, chosen by the condition {shown} ({at}), which is not known statically: {why}"
        )

    def _cause(self, node: Node, env: Env, source: Source) -> Value:
        """The value of the condition `node`; where it is not known and is made of others
        (`a && !b`, `x != ""`, parentheses), the first of those that is not known: what
        makes it so, rather than "`&&` is not followed"."""
        value = self.ev.eval(node, env, source)
        for _ in range(_MAX_CAUSE_STEPS):
            if not isinstance(value, Unknown):
                break
            if node.type == "variable_expression":
                # `big`, bound to `builtins.getEnv "BIG" != ""`: that expression's cause.
                bound = env.lookup(source.text_of(node), self.ev, node, source)
                if bound is None or bound.expr is None or bound.env is None:
                    break
                if bound.source is None or bound.expr.type not in _COMPOSED:
                    break
                node, env, source = bound.expr, bound.env, bound.source
                continue
            if node.type not in _COMPOSED:
                break
            fields = ("expression", "left", "right", "argument")
            for operand in filter(None, map(node.child_by_field_name, fields)):
                inner = self.ev.eval(operand, env, source)
                if isinstance(inner, Unknown):
                    node, value = operand, inner
                    break
            else:
                break
        return value

    def _unseen_in(self, at: Location | None) -> str:
        """What an output computed in the file of `at` may depend on and nix does not see:
        the files that file imports as values (a gitignored machine-local settings file), each
        with where it is imported and why nix does not see it (the `.gitignore` rule that
        ignores it, when one does). "" when there is none."""
        if at is None:
            return ""
        said: list[str] = []
        for where, path, on_disk in self.ev.unseen:
            if where is None or where.path != at.path:
                continue
            why = "is on disk but not tracked by git" if on_disk else "is not in the repository"
            rule = self.ev.files.ignored_by(path)
            if rule is not None:
                name, line, pattern = rule
                why += f" and is ignored by `{name}:{line}` (`{pattern}`)"
            text = f"`{path}` (imported at {where}), which {why}"
            if text not in said:
                said.append(text)
        if not said:
            return ""
        return f"; it may depend on {'; on '.join(said)}: homeward cannot read what it holds"
