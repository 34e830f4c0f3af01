"""Phase 1 of a load: references to modules, and the modules they name, read once."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.errors import HomewardError, Location
from homeward.model.frameworks import UnreadModule
from homeward.model.load.state import LoadState
from homeward.model.repo import (
    UNTRACKED,
    Context,
    ModuleInfo,
    ModuleKind,
    ModuleRef,
    Problem,
    ProblemKind,
    placed_ref,
)
from homeward.model.values import (
    Attrs,
    Choice,
    External,
    Lambda,
    ListValue,
    Maybe,
    PathValue,
    Thunk,
    Unknown,
    Value,
)
from homeward.syntax.find import ImportKind, ImportRef, Module, import_target, read_module
from homeward.syntax.nodes import unparen
from homeward.syntax.parse import NotTextError, Source
from homeward.syntax.slots import slot_setters

if TYPE_CHECKING:
    from tree_sitter import Node


_new = object.__new__
_REF_SET, _REF_REST = slot_setters(ModuleRef, ("kind", "path", "node", "source"))

RELEASE_BATCH = 256
"""Module files read between two looks for trees to let go (`Reader.release`): few enough
to keep the peak low, many enough that the check for names defined twice runs in batches
(`load_repo`)."""


class Refs(LoadState):
    """Module references: a module list's elements, an import, a path, each made a `ModuleRef`;
    and a referenced module read into a `ModuleInfo` (once)."""

    def _module_list(self, value: Value, what: str) -> list[ModuleRef]:
        if not isinstance(value, ListValue):
            self._unresolved(value, what)
            # One opaque module: the host is still a host (docs/architecture.md, rule 9).
            label = value.reason if isinstance(value, Unknown) else "the module list is not a list"
            ref = ModuleRef(ModuleKind.UNKNOWN, node=value.node, source=value.source, label=label)
            self._opaque_values[id(ref)] = value
            return [ref]
        found: list[ModuleRef] = []
        for item, forced in self._definitions(value.items):
            if isinstance(forced, Choice):  # one of several modules: each, maybe
                for option in forced.options:
                    found.append(self._module_ref(Maybe(option, forced.reason), option))
            else:
                found.append(self._module_ref(forced, item))
                if found[-1].kind is ModuleKind.UNKNOWN:
                    self._opaque_values[id(found[-1])] = forced
        return found

    def _definitions(self, items: list[Thunk]) -> list[tuple[Thunk, Value]]:
        """Each module of a module list, forced: a value the module system merged from several
        definitions (`flake.modules.<class>.<name>` in several files) is each of them."""
        found: list[tuple[Thunk, Value]] = []
        todo = list(reversed(items))
        while todo:
            item = todo.pop()
            forced = self.ev.force(item)
            if isinstance(forced, Attrs) and len(forced.parts) > 1:
                todo.extend(reversed(forced.parts))
                continue
            found.append((item, forced))
        return found

    def _module_ref(self, value: Value, thunk: Thunk, *, quiet: bool = False) -> ModuleRef:
        if isinstance(value, Maybe):
            inner = self._module_ref(self.ev.force(value.item), value.item, quiet=quiet)
            return ModuleRef(
                inner.kind, inner.path, inner.node, inner.source, inner.label, value.reason
            )
        node = value.node if value.node is not None else thunk.expr
        source = value.source if value.source is not None else thunk.source
        if isinstance(value, PathValue):
            return self._file_ref(value.path, node, source)
        if (
            isinstance(value, Lambda | Attrs)
            and value.node is not None
            and value.source is not None
        ):
            if _is_file_module(value.node, value.source) and value.source is not self.flake:
                # `import ./x.nix` evaluated: the module is the file itself; also
                # `import ./x.nix { isWSL = true; }` of a file `{ isWSL }: { pkgs, ... }: { … }`
                # (a module made by a function of the file: its definitions are the file's).
                return self._file_ref(self.root / value.source.path, node, source)
            return ModuleRef(ModuleKind.INLINE, node=value.node, source=value.source)
        if isinstance(value, External):
            return ModuleRef(ModuleKind.EXTERNAL, node=node, source=source, label=value.name)
        reason = value.reason if isinstance(value, Unknown) else f"a {type(value).__name__.lower()}"
        ref = ModuleRef(ModuleKind.UNKNOWN, node=node, source=source, label=reason)
        if quiet or isinstance(value, UnreadModule):  # (said where it is not read: `_unread`)
            return ref
        made_by = value.function if isinstance(value, Unknown) else ""
        self.problem(
            ProblemKind.UNRESOLVED,
            f"cannot tell which module this is: {reason}",
            ref.location,
            f"`{made_by}` makes it, and homeward does not read what an input's function makes"
            if made_by
            else "homeward reads module lists statically; write the path out",
        )
        return ref

    def _outside(self, text: str, *, normal: bool) -> tuple[str, str]:
        """What an import that leads outside the repository is, said and as a label: a link
        of the repository (`hardware-configuration.nix -> /etc/nixos/hardware-configuration.nix`)
        by its path in the repository and where it points; any other path as written."""
        full = text if normal else os.path.abspath(text)
        parent, name = os.path.split(full)
        link = os.path.join(os.path.realpath(parent), name)
        if link.startswith(self._prefix) and os.path.islink(link):
            shown, target = self.ev.files.shown_real(link), os.readlink(link)
            return (
                f"the import `{shown}` is a link to `{target}`, outside the repository",
                f"{shown} -> {target}",
            )
        return f"the import `{Path(text)}` leads outside the repository", str(Path(text))

    def _file_ref(
        self,
        path: Path | str,
        node: Node | None,
        source: Source | None,
        *,
        normal: bool = False,
        via: ImportRef | None = None,
    ) -> ModuleRef:
        # Why strings and one stat: this runs for every import of trees of thousands of files.
        # `normal`: `path` is absolute and normalized already. `via`: the import it is made
        # from, kept instead of its node (`placed_ref`); `node` and `source` are then unused.
        def at() -> Location | None:
            if via is not None:
                return via.location
            return source.location(node.start_byte) if source and node is not None else None

        text = os.fspath(path)
        shown = self._file_refs.get(text)
        if shown is not None:
            # Led to a file before in this load: the same file, with nothing to say about it.
            # (Where it is was told to `_found` then: `_info` has read it since, or it reads
            # it still, or found it cannot.)
            return self._found_ref(shown, node, source, via)
        resolved, mode = self.ev.files.real(text, normal=normal)
        prefix = self._prefix
        if not resolved.startswith(prefix) and not os.path.join(resolved, "").startswith(prefix):
            said, label = self._outside(text, normal=normal)
            self.problem(
                ProblemKind.OUTSIDE,
                said,
                at(),
                "homeward reads and edits only files inside the git work tree (outside git, "
                "the flake's directory)",
            )
            if via is not None:
                return placed_ref(ModuleKind.EXTERNAL, via, label=label)
            return ModuleRef(ModuleKind.EXTERNAL, node=node, source=source, label=label)
        if mode is None:
            try:
                mode = os.stat(resolved).st_mode
            except OSError:
                mode = 0
        hidden = self.ev.files.hidden_at(os.fspath(path)) if mode else None
        if stat.S_ISDIR(mode) and hidden is None:
            default = os.path.join(resolved, "default.nix")
            if not self.ev.files.is_file(default):
                hidden = self.ev.files.hidden_at(default)
        if hidden is not None:
            # On disk but not in git: nix does not see it (rule 12). An opaque module, as a
            # missing file is: never read, so nothing in it is moved or edited.
            name = self.ev.files.shown_real(hidden)
            self.problem(
                ProblemKind.UNTRACKED,
                f"the import `{name}` is not tracked by git: nix does not see it",
                at(),
                "`git add` it (`git add --intent-to-add` is enough; `-f` if .gitignore names it): "
                "a flake in a git repository sees only the files git tracks; until then homeward "
                "does not read it",
            )
            if via is not None:
                return placed_ref(ModuleKind.UNKNOWN, via, name, UNTRACKED)
            return ModuleRef(
                ModuleKind.UNKNOWN, path=name, node=node, source=source, label=UNTRACKED
            )
        if stat.S_ISDIR(mode):
            if not self.ev.files.is_file(os.path.join(resolved, "default.nix")):
                self.problem(
                    ProblemKind.NO_DEFAULT,
                    f"the import `{self.ev.files.shown_real(resolved)}/` is a directory without "
                    "default.nix",
                    at(),
                    "add default.nix to that directory or import a file in it",
                )
                if via is not None:
                    return placed_ref(ModuleKind.UNKNOWN, via, label="no default.nix")
                return ModuleRef(
                    ModuleKind.UNKNOWN, node=node, source=source, label="no default.nix"
                )
            resolved = os.path.join(resolved, "default.nix")
        elif not mode:
            loop = _symlink_loop(os.fspath(path))
            name = self.ev.files.shown_real(resolved)
            self.problem(
                ProblemKind.LOOP if loop else ProblemKind.MISSING,
                f"the import `{name}` is a symlink loop"
                if loop
                else f"the import `{name}` does not exist",
                at(),
                "point the symlink at a file, or remove the import"
                if loop
                else "create the file or remove the import",
            )
            if via is not None:
                return placed_ref(ModuleKind.UNKNOWN, via, name, "missing")
            return ModuleRef(
                ModuleKind.UNKNOWN,
                path=name,
                node=node,
                source=source,
                label="missing",
            )
        # The path as the source's (`shown_real`), the same object: made once.
        shown = self.ev.files.shown_real(resolved)
        if not stat.S_ISDIR(mode):
            key = str(shown)
            if key not in self.modules:  # Why: read already, it is found by its key
                self._found[key] = (resolved, mode)
        self._file_refs[text] = shown
        return self._found_ref(shown, node, source, via)

    def _found_ref(
        self, shown: Path, node: Node | None, source: Source | None, via: ImportRef | None
    ) -> ModuleRef:
        """The reference to the module file shown as `shown`, written at `via` (or `node`)."""
        if via is not None:
            return placed_ref(ModuleKind.FILE, via, shown)
        ref = _new(ModuleRef)
        set_kind, set_path, set_node, set_source = _REF_SET
        set_kind(ref, ModuleKind.FILE)
        set_path(ref, shown)
        set_node(ref, node)
        set_source(ref, source)
        for setter, default in _REF_REST:
            setter(ref, default)
        return ref  # ModuleRef(FILE, path=..., node=node, source=source), built through its slots

    def _info(self, ref: ModuleRef, context: Context) -> ModuleInfo | None:
        if ref.kind is ModuleKind.FILE and ref.path is not None:
            key = str(ref.path)
            info = self.modules.get(key)
            if info is None:
                if key in self._unreadable or key in self._not_text:
                    return None
                # Where `_file_ref` found the file: resolving `root / path` again would stat it.
                # Taken out: once read, the module is found by its key (`self.modules`).
                place: tuple[str, int | None] | None = self._found.pop(key, None)
                real, mode = place or self.ev.files.real(os.path.join(self.root, key))
                try:
                    source = self.ev.files.source_at(real, mode)
                except NotTextError as exc:
                    # An opaque module (issue 11: "bytes that are not text: opaque"): read on
                    # the machine that can decrypt it; never edited, as it is never read.
                    self._not_text[key] = exc.reason
                    self.problem(
                        ProblemKind.NOT_TEXT,
                        f"`{key}` cannot be read: {exc.message}",
                        exc.at,
                        exc.hint or "",
                    )
                    return None
                except HomewardError as exc:
                    self._unreadable[key] = self._unreadable_problem(key, exc.message, exc.at)
                    return None
                found = self.reuse.get(id(source))
                if found is not None and found[0] is not source:
                    found = None
                # A file read before (`load_planned`) was not empty: its tree may be let go.
                if found is None and source.root.child_by_field_name("expression") is None:
                    self._unreadable[key] = self._unreadable_problem(
                        key, "the file is empty", source.location(0)
                    )
                    return None
                if found is None:
                    module = read_module(source)
                    found = (source, module, module.imports(), None)
                info = self.modules[key] = self._make_info(
                    key, found[1], ref.path, context, found[2], found[3]
                )
                if self.reusable and not self.ev.files.planned:
                    # What a planned read may take: the imports as resolved on the disk (a
                    # planned read's are the overlay's, and it offers none).
                    self.read[id(source)] = (source, found[1], found[2], info.imports)
                self._read_now.append(source)
                if len(self._read_now) >= RELEASE_BATCH:
                    self.ev.files.release(self._read_now)
            return info
        if ref.kind is ModuleKind.INLINE and ref.node is not None and ref.source is not None:
            key = f"{ref.source.path}@{ref.node.start_byte}"
            if key not in self.modules:
                module = read_module(ref.source, ref.node)
                self.modules[key] = self._make_info(key, module, None, context)
            return self.modules[key]
        return None

    def _unreadable_problem(self, key: str, why: str, at: Location | None) -> Problem:
        problem = Problem(
            ProblemKind.UNREADABLE,
            f"`{key}` cannot be read: {why}",
            at,
            "fix the file so that `nix-instantiate --parse` accepts it, then run again (until "
            "then, the hosts that import it are skipped)",
        )
        self.problem(problem.kind, problem.message, problem.at, problem.hint)
        return problem

    def _make_info(
        self,
        key: str,
        module: Module,
        path: Path | None,
        context: Context,
        imports: list[ImportRef] | None = None,
        resolved: list[ModuleRef] | None = None,
    ) -> ModuleInfo:
        """The module's record; `resolved`: its `imports` as an earlier load of the disk
        resolved them, taken where the plan changes nothing they name (`_still_resolved`)."""
        info = ModuleInfo(key, module, path, context)
        refs = module.imports() if imports is None else imports
        if resolved is not None and self._still_resolved(refs, resolved):
            info.imports = resolved
        else:
            info.imports = [self._import_ref(r) for r in refs]
        if context is Context.NIXOS and self._may_name_host(module.source, inline=path is None):
            name = _literal_host_name(module)
            if name is not None:
                self._host_names[key] = (len(self._host_names), name)
        return info

    def _may_name_host(self, source: Source, *, inline: bool) -> bool:
        """Whether the text of `source` may set `networking.hostName` (a name is written, or
        a string escape may write it). For a module written inline, looked for once per file:
        the modules inline in one file (a planned flake.nix of 200 hosts, 0.6 MB) each
        searched all of it, twice, 13% of a planned read. (A module file is asked once.)"""
        if not inline:
            return _may_name_host(source.text)
        found = self._names_host.get(source)
        if found is None:
            found = self._names_host[source] = _may_name_host(source.text)
        return found

    def _still_resolved(self, refs: list[ImportRef], resolved: list[ModuleRef]) -> bool:
        """Whether `_import_ref` would resolve each of `refs` (an unchanged file's imports) to
        what `resolved` holds, an earlier load's resolution on the disk. Why it may be taken:
        the disk is the same, and `Reader.real` answers from it wherever the overlay (the
        planned tree) decides nothing. Each file import must have led to a file (a missing,
        outside or directory import was a problem: resolved again, to say it again); the
        overlay may write that file anew (it is still the file there), but neither remove it
        nor make it a directory; and it must decide nothing at the path written, unless that
        is the directory whose default.nix the import led to and it only writes files under
        it (the directory is still one, its default.nix still the module)."""
        if len(refs) != len(resolved):
            return False
        files = self.ev.files
        for ref, done in zip(refs, resolved, strict=True):
            if ref.kind is not ImportKind.FILE:
                continue  # inline, external, computed: what is written, whatever the files
            target = import_target(ref)
            if target is None or done.kind is not ModuleKind.FILE or done.path is None:
                return False
            base = self._dirs.get(ref.source)
            if base is None:
                base = self._dirs[ref.source] = os.path.dirname(
                    os.path.join(self.root, ref.source.path)
                )
            target = os.path.normpath(os.path.join(base, target))
            found = os.path.normpath(os.path.join(files.root, done.path))
            if files.planned_at(found) not in (None, "file"):
                return False
            named = files.real(target, normal=target[:1] == "/")[0]
            if named == found:
                continue
            at_named = files.planned_at(named)
            if at_named is not None and (
                at_named != "directory" or found != os.path.join(named, "default.nix")
            ):
                return False
        return True

    def _import_ref(self, ref: ImportRef) -> ModuleRef:
        target = import_target(ref) if ref.kind is ImportKind.FILE else None
        if target is not None:
            base = self._dirs.get(ref.source)
            if base is None:
                base = self._dirs[ref.source] = os.path.dirname(
                    os.path.join(self.root, ref.source.path)
                )
            target = _joined(base, target)
            return self._file_ref(target, None, None, normal=target[:1] == "/", via=ref)
        if ref.kind is ImportKind.INLINE:
            return placed_ref(ModuleKind.INLINE, ref)
        if ref.kind is ImportKind.EXTERNAL:
            return placed_ref(ModuleKind.EXTERNAL, ref, label=ref.label)
        # Computed: expanded per host where its values are known (`_visit`), else reported there.
        return placed_ref(ModuleKind.UNKNOWN, ref, label=ref.label, dynamic=True)


def _joined(base: str, target: str) -> str:
    """`os.path.normpath(os.path.join(base, target))` for a normalized `base`; a target
    written `./a/b.nix` (no `.` or `..` after the first, no `//`, no `/` at the end) is
    joined as text. Why: nearly every import is written so, and `normpath` is most of it."""
    if (
        target[:2] == "./"
        and base[-1:] != "/"
        and target[-1:] != "/"
        and "/." not in target[1:]
        and "//" not in target
        and len(target) > 2
    ):
        return f"{base}/{target[2:]}"
    return os.path.normpath(os.path.join(base, target))


def _is_file_module(node: Node, source: Source) -> bool:
    """`node` is a file's whole expression, or the body of the functions it is (curried)."""
    top = source.root.child_by_field_name("expression")
    while top is not None:
        top = unparen(top)
        if (top.start_byte, top.end_byte) == (node.start_byte, node.end_byte):
            return True
        if top.type != "function_expression":
            return False
        top = top.child_by_field_name("body")
    return False


def _symlink_loop(path: str) -> bool:
    """`path` is a symlink that leads back to itself (not one whose target is missing)."""
    try:
        os.stat(path)
    except OSError as exc:
        return exc.errno == errno.ELOOP
    return False


def _may_name_host(written: bytes) -> bool:
    """Whether a text may set `networking.hostName`: the name is written, or a string escape
    may write it (`"host\\Name"`)."""
    return b"hostName" in written or b"\\" in written


def _literal_host_name(module: Module) -> str | None:
    """The first `networking.hostName` `module` sets to a literal string, None if none.
    Asked only of modules whose file may name it (`Refs._may_name_host`): few do."""
    for d in module.definitions:
        if d.path == ("networking", "hostName"):
            text = d.value_text.strip()
            if len(text) > 1 and text[0] == text[-1] == '"' and "$" not in text:
                return text[1:-1]
    return None
