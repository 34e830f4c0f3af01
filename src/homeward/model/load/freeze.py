"""Phase 5 of a load: what stays byte-identical, and why."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from homeward.model.frameworks import UnreadModule
from homeward.model.load.state import LoadState
from homeward.model.reach import Reach
from homeward.model.repo import (
    SHARED_MODULES,
    UNTRACKED,
    Context,
    ModuleInfo,
    ModuleKind,
    ModuleRef,
    Problem,
    ProblemKind,
    SystemConfig,
)
from homeward.model.values import Attrs, PathValue, Unknown, Value
from homeward.syntax.parse import Source

_NAMES_NOTHING = frozenset({"missing", "no default.nix", UNTRACKED})
"""Labels of opaque modules that are a path Nix does not read any further (an untracked file
is one it does not see: rule 12)."""


class Freezer(LoadState):
    """What homeward must not edit once the graph is known (rule 10): modules of consumers it
    does not rewire, and what unknown outputs and opaque modules might read."""

    def _skipped(
        self, hosts: dict[str, SystemConfig], homes: dict[str, SystemConfig]
    ) -> dict[str, Problem]:
        """Configurations that reach a file that cannot be read are skipped
        (docs/architecture.md, rule 9): out of `hosts`/`homes`, their files frozen."""
        skipped: dict[str, Problem] = {}
        for configs in (hosts, homes):
            for name in sorted(configs):
                problem = self._skip.get(name)
                if problem is None:
                    continue
                del configs[name]
                skipped[name] = problem
                self._frozen_by[name] = f"`{name}` is skipped: {problem.message}"
        return skipped

    def _freeze(self) -> None:
        """Move consumers that homeward does not rewire out of `hosts` into `frozen`."""
        if not self._frozen_by:
            return
        for info in self.modules.values():
            for name in info.hosts & self._frozen_by.keys():
                info.hosts.discard(name)
                info.freeze(name, self._frozen_by[name])

    def _unknown_reaches(
        self, outputs: Value, configs: tuple[dict[str, SystemConfig], ...]
    ) -> list[tuple[str, str, Reach]]:
        """What each unknown part of the outputs might read (rule 10, `model/reach.py`). A
        host whose module list is written where an unknown part reads it too (a `mkHost`
        helper both use) is skipped: wiring home-manager there would change that output."""
        from homeward.model.reach import reach_of

        if (
            isinstance(outputs, Attrs)
            and outputs.more is not None
            and not isinstance(outputs.more, UnreadModule)  # (registered on its own: `_unread`)
        ):
            self._unknown.append(
                ("the flake's outputs", f"more of the outputs: {outputs.more.reason}", outputs.more)
            )
        found: list[tuple[str, str, Reach]] = []
        for consumer, why, value in self._unknown:
            reach = reach_of(self.ev, value, self._self)
            at = value.at if isinstance(value, Unknown) else None
            where = f" ({at})" if at is not None else ""
            found.append((consumer, f"{why}{where}", reach))
            for group in configs:
                for name, config in group.items():
                    node, source = config.modules_value.node, config.modules_value.source
                    if node is None or source is None or name in self._skip or config.framework:
                        continue  # a framework's host is not rewired (plan/assembled.py)
                    if reach.has_inline(os.fspath(source.path), node.start_byte):
                        self._skip[name] = Problem(
                            ProblemKind.UNRESOLVED,
                            f"the module list of `{name}` is also read by {consumer}, which homeward "
                            f"cannot read: {why}{where}; wiring home-manager into it would "
                            "change that output too",
                            source.location(node.start_byte),
                        )
        return found

    def _freeze_shared_modules(self) -> None:
        """Freeze every file a host lists in `home-manager.sharedModules`, and what it imports
        (rule 10): home-manager reads it in every user's home on that host, which the model
        does not follow. Reached another way too (a user's home), what migrate would add
        there for that user (their feature files) would reach every other user of the host,
        and written as a path beside it, the module system would read it once where it read
        it twice."""
        from homeward.syntax.find import ImportKind, import_refs

        root = Path(os.path.realpath(self.root))
        # Why the text first: a search in C, where reading definitions is per module. Why
        # once per file: the modules written inline in one file (a planned flake.nix of 200
        # hosts, 0.6 MB) each searched all of it.
        names: dict[Source, bool] = {}
        for info in list(self.modules.values()):
            if info.context is not Context.NIXOS or not info.hosts:
                continue
            source = info.source
            found = names.get(source)
            if found is None:
                found = names[source] = b"sharedModules" in source.text
            if not found:
                continue
            for d in info.module.definitions:
                if d.path[:2] != ("home-manager", "sharedModules"):
                    continue
                for ref in import_refs(d.source, d.value, d.conditions):
                    if ref.kind is not ImportKind.FILE or ref.target is None:
                        continue
                    target = self.ev.files.import_target(root / d.source.path.parent / ref.target)
                    if not target.is_relative_to(root):
                        continue
                    key = target.relative_to(root).as_posix()
                    for host in sorted(info.hosts):
                        consumer = f"{SHARED_MODULES} of `{host}`"
                        reason = (
                            f"`{host}` reads it in every user's home there, through "
                            f"`home-manager.sharedModules` ({ref.location})"
                        )
                        self._freeze_from(key, consumer, reason)

    def _freeze_from(self, key: str, consumer: str, reason: str) -> None:
        """Freeze the module `key` and every module it imports, for `consumer`."""
        todo = [key]
        while todo:
            info = self.modules.get(todo.pop())
            if info is None or consumer in info.frozen:
                continue
            info.freeze(consumer, reason)
            todo.extend(str(ref.path) for ref in info.imports if ref.path is not None)

    def _freeze_unknown(self, reaches: list[tuple[str, str, Reach]]) -> None:
        """Freeze every module an unknown part of the outputs might read (rule 10)."""
        for consumer, why, reach in reaches:
            reason = f"{consumer}, which homeward cannot read, may import it: {why}"
            for info in self.modules.values():
                reached = (
                    reach.has_file(str(info.path))
                    if info.path is not None
                    else reach.has_inline(*_inline_place(info.key))
                )
                if reached and consumer not in info.frozen:
                    info.freeze(consumer, reason)

    def _freeze_opaque(self) -> None:
        """Freeze, for the configuration that reads it, every module an opaque module of its
        own list or imports might import (rule 10, `model/reach.py`): it may import it under a
        condition, in another context, or on this host only, so that moving what the file
        defines would change this host's meaning. Its neighbours, which the opaque module
        cannot name, are read by known consumers only and still migrate."""
        from homeward.model.reach import reach_of

        # The modules each opaque import may import, by the import (`key` below). Why once per
        # import: a shared module's opaque import is one per host reading it, and looking at
        # every module for each of them was hosts x modules (2.8 s of a 200-host read).
        reached_by: dict[object, list[ModuleInfo]] = {}
        for consumer, ref in self._opaque:
            # A missing file names nothing more (its own path); nor does a directory without
            # default.nix, which Nix cannot import: walking the directory cost seconds.
            if ref.node is None or ref.source is None or ref.label in _NAMES_NOTHING:
                continue
            unread = self._unreadable.get(str(ref.path)) if ref.kind is ModuleKind.FILE else None
            value = self._opaque_values.get(id(ref))
            if unread is not None:
                # A file that cannot be read: what it names (read as far as it parses), not
                # what the import's expression could name (`./${host}/x.nix`: every host's).
                value = PathValue(Path(os.path.realpath(self.root)) / str(ref.path))
            # Walked without a scope, the same import reads the same files for every host.
            key: object = (
                str(ref.path)
                if unread is not None
                else id(value)
                if value is not None
                else (str(ref.source.path), ref.node.start_byte, ref.node.end_byte)
            )
            reached = reached_by.get(key)
            if reached is None:
                if all(consumer in m.frozen for m in self.modules.values()):
                    continue  # nothing left to freeze for it (an export reads all it reaches)
                try:
                    reach = reach_of(
                        self.ev, value or Unknown(ref.label, ref.node, ref.source), self._self
                    )
                except RecursionError:
                    reach = Reach(everything=True)  # past what can be followed: the safe side
                reached = reached_by[key] = _reached(reach, self.modules.values())
            reason = (
                f"`{consumer}` imports `{ref.path}`, which may import it and which homeward "
                f"cannot read ({unread.at}): {unread.message.split(' cannot be read: ', 1)[-1]}"
                if unread is not None
                else f"an opaque module `{consumer}` reads may import it: {ref.label} "
                f"({ref.location})"
            )
            written_in = ref.source.path.as_posix()
            for info in reached:
                # The file the import is written in: only that element is opaque.
                if info.key != written_in and consumer not in info.frozen:
                    info.freeze(consumer, reason)

    def _opaque_not_text(self) -> None:
        """Each import of a file whose bytes are not text becomes an opaque module: what
        `check`, `graph` and `migrate` know of a module they cannot see."""
        if not self._not_text:
            return

        def opaque(ref: ModuleRef) -> ModuleRef:
            if ref.kind is not ModuleKind.FILE or str(ref.path) not in self._not_text:
                return ref
            label = self._not_text[str(ref.path)]
            return replace(ref, kind=ModuleKind.UNKNOWN, label=label)

        for config in self._all_configs.values():
            config.modules[:] = [opaque(r) for r in config.modules]
        for info in self.modules.values():
            # A new list: the one read may be shared with a later planned read.
            info.imports = [opaque(r) for r in info.imports]


def _reached(reach: Reach, modules: Iterable[ModuleInfo]) -> list[ModuleInfo]:
    """The modules of `modules` (in their order) that `reach` may read."""
    if not (reach.paths or reach.spans or reach.everything):
        return []
    return [
        info
        for info in modules
        if (
            reach.has_file(str(info.path))
            if info.path is not None
            else reach.has_inline(*_inline_place(info.key))
        )
    ]


def _inline_place(key: str) -> tuple[str, int]:
    """`hosts/a.nix@120` -> (`hosts/a.nix`, 120): where an inline module is written."""
    path, _, start = key.rpartition("@")
    return path, int(start) if start.isdigit() else -1
