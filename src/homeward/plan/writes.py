"""What the phases write into the plan's new files, as data, in order.

A destination file renders its chunks in the order they arrived, and several phases fill the
same file (a user's package lists, then each of their files: links, copies, option groups,
then the finishing of their home), so the writes of one package list, user file, inline home
or user's finish are one ordered record (`HomeWrites`): the home files it opens (for the
hosts that read them), package items, chunks of moved code, copies into $HOME, generated
bindings, a module written verbatim (a home written inline), the system module a user's
file leaves and the header its entry point keeps, per-host imports, identities and the new
entry point. `take_writes` replays it into the destination files the render phase reads,
where the phases once wrote directly, so the files read as they did. A phase that reads
what it wrote before taking it asks the plan state with its `Pending` writes over it
(`PlanState.filled`). Nothing here reads the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from homeward.plan.chunks import Chunk, Needs, PackageItem
from homeward.plan.nixcode import list_binding

if TYPE_CHECKING:
    from homeward.model.repo import User
    from homeward.plan.files import DestFile
    from homeward.plan.state import PlanState, UserPlan
    from homeward.syntax.find import Definition

TMPFILES = ("systemd", "user", "tmpfiles", "rules")


@dataclass(frozen=True, slots=True)
class Open:
    """The home file `path`, for definitions that reach `reach` of the user's hosts (one for
    some hosts only is wired up by `plan/wire.place_per_host`, unless nothing fills it); not
    `home`: a NixOS module (the system module a user's file leaves), which no reach wires."""

    path: PurePosixPath
    reach: tuple[str, ...]
    home: bool = True


@dataclass(frozen=True, slots=True)
class Put:
    """A chunk of moved code, appended to the file's bindings."""

    path: PurePosixPath
    chunk: Chunk


@dataclass(frozen=True, slots=True)
class Item:
    """One element of a package list, into the file's `home.packages` (`first`: before the
    elements already there)."""

    path: PurePosixPath
    item: PackageItem
    first: bool = False


@dataclass(frozen=True, slots=True)
class Copy:
    """A copy into $HOME: one rule of home-manager's `systemd.user.tmpfiles.rules`, whose one
    binding per file collects every rule, in order, where the first one arrived."""

    path: PurePosixPath
    rule: str  # with the comments above the definition it came from, for the first rule
    origin: Definition


@dataclass(frozen=True, slots=True)
class Line:
    """A binding homeward generates (code at indentation 0), after the moved code."""

    path: PurePosixPath
    code: str


@dataclass(frozen=True, slots=True)
class Verbatim:
    """A whole module written as it is (a home written inline in a NixOS module, moved)."""

    path: PurePosixPath
    text: str


@dataclass(frozen=True, slots=True)
class Header:
    """The comment lines at the top of the file a new file replaces, kept above its code."""

    path: PurePosixPath
    text: str


@dataclass(frozen=True, slots=True)
class Import:
    """An import of the home file `path` (a path text relative to it), unless it has that
    one already; the file is opened if it is not yet (a per-host file)."""

    path: PurePosixPath
    code: str


@dataclass(frozen=True, slots=True)
class Identity:
    """`home.username`, `home.homeDirectory`, `home.stateVersion` for the home file `path`,
    unless it has its own already; the file is opened if it is not yet."""

    path: PurePosixPath
    code: str


@dataclass(frozen=True, slots=True)
class Entry:
    """The user's new entry point at `path`: its imports (path texts relative to it, in
    place of those it had), identity, last lines and whether it installs the home-manager
    command (both wirings)."""

    path: PurePosixPath
    user: User
    imports: tuple[str, ...]
    identity: str
    tail: str
    hm_package: bool


@dataclass(frozen=True, slots=True)
class SystemImports:
    """The imports of the system module `path` a user's file leaves (what the file imported,
    resolved by the cut phase), in place of any it had; the module is opened if it is not."""

    path: PurePosixPath
    codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comment:
    """Comment lines of a file that is deleted or rewritten, which no moved binding carries,
    put above the package item (`item`) or chunk of moved code at `index` of file `path`."""

    path: PurePosixPath
    code: str
    index: int
    item: bool


Write = (
    Open
    | Item
    | Put
    | Copy
    | Line
    | Verbatim
    | Header
    | Import
    | Identity
    | Entry
    | SystemImports
    | Comment
)


def fills(write: Write) -> bool:
    """The write gives its file something to render (what `DestFile.empty` counts)."""
    if isinstance(write, Identity):
        return bool(write.code)
    if isinstance(write, Verbatim):
        return bool(write.text)
    if isinstance(write, SystemImports):
        return bool(write.codes)
    return not isinstance(write, Open | Header | Comment)


@dataclass(frozen=True, slots=True)
class HomeWrites:
    """The writes of one user file (or package list, or inline home), in the order they were
    decided, and what they tell the
    wire phase about the user's home: the login shells whose `programs.<s>.enable` moved code
    sets, the hosts where moved code reads `osConfig`, whether a shell must be managed."""

    writes: tuple[Write, ...] = ()
    shells: frozenset[str] = frozenset()
    osconfig: frozenset[str] = frozenset()
    needs_shell: bool = False


@dataclass
class Pending:
    """The writes a phase decides while it works (a later group of the same file reads what
    an earlier one wrote: a shell enabled, a completion line); `done()` freezes them."""

    writes: list[Write] = field(default_factory=list)
    shells: set[str] = field(default_factory=set)
    osconfig: set[str] = field(default_factory=set)
    needs_shell: bool = False

    def into(self, path: PurePosixPath, reach: tuple[str, ...]) -> None:
        """Definitions reaching `reach` go to the home file `path` (`Open`)."""
        self.writes.append(Open(path, reach))

    def put(self, path: PurePosixPath, chunk: Chunk) -> None:
        self.writes.append(Put(path, chunk))

    def copy(self, path: PurePosixPath, rule: str, origin: Definition) -> None:
        self.writes.append(Copy(path, rule, origin))

    def line(self, path: PurePosixPath, code: str) -> None:
        self.writes.append(Line(path, code))

    def system(self, path: PurePosixPath, reach: tuple[str, ...], code: Sequence[Chunk]) -> None:
        """What of a user's file stays NixOS options, into the system module `path`."""
        self.writes.append(Open(path, reach, home=False))
        self.writes.extend(Put(path, chunk) for chunk in code)

    def header(self, path: PurePosixPath, reach: tuple[str, ...], text: str) -> None:
        """The home file `path` replaces a user's file and keeps its `text` at its top."""
        self.into(path, reach)
        self.writes.append(Header(path, text))

    def fills(self, path: PurePosixPath) -> bool:
        """A pending write gives the file `path` something to render."""
        return any(w.path == path and fills(w) for w in self.writes)

    def imports(self, path: PurePosixPath) -> list[Import]:
        """The pending imports of the home file `path`."""
        return [w for w in self.writes if isinstance(w, Import) and w.path == path]

    def opened(self) -> frozenset[PurePosixPath]:
        """The home files pending writes open (or write into)."""
        return frozenset(w.path for w in self.writes if not isinstance(w, Open) or w.home)

    def lines(self, path: PurePosixPath) -> list[str]:
        return [w.code for w in self.writes if isinstance(w, Line) and w.path == path]

    def done(self) -> HomeWrites:
        return HomeWrites(
            tuple(self.writes),
            frozenset(self.shells),
            frozenset(self.osconfig),
            self.needs_shell,
        )


def take_writes(st: PlanState, up: UserPlan, home: HomeWrites) -> None:
    """Replay one user file's writes into the plan's destination files, in order, and what
    they tell about the user's home into their plan."""
    for write in home.writes:
        if isinstance(write, Open) and write.home:
            st.home_file(up, write.reach, write.path)
        else:
            take_write(st, write)
    up.enabled_shells |= home.shells
    up.osconfig_hosts |= home.osconfig
    up.needs_shell |= home.needs_shell


def take_write(st: PlanState, write: Write) -> None:
    """One write into the plan's destination files (a home file `Open`ed for some of a
    user's hosts is recorded in their plan: `take_writes`). The one place a `DestFile`
    changes."""
    if isinstance(write, Open):
        st.dest(write.path, home=write.home)
        return
    if isinstance(write, Import | Identity | Entry):
        take_entry_write(st.dest(write.path, home=True), write)
        return
    if isinstance(write, SystemImports):
        st.dest(write.path, home=False).imports = list(write.codes)
        return
    dest = st.new_files[write.path]
    if isinstance(write, Item):
        if write.first:
            dest.items.insert(0, write.item)
        else:
            dest.items.append(write.item)
    elif isinstance(write, Put):
        dest.chunks.append(write.chunk)
    elif isinstance(write, Line):
        dest.extra.append(write.code)
    elif isinstance(write, Verbatim):
        dest.verbatim = write.text
    elif isinstance(write, Header):
        dest.header = write.text
    elif isinstance(write, Comment):
        # A copy with the lines above: the record's chunk or item stays as it was decided.
        if write.item:
            item = dest.items[write.index]
            dest.items[write.index] = replace(item, code=f"{write.code}\n{item.code}")
        else:
            moved = dest.chunks[write.index]
            dest.chunks[write.index] = replace(moved, code=f"{write.code}\n{moved.code}")
    else:
        chunk = next((c for c in dest.chunks if c.home_path == TMPFILES), None)
        if chunk is None:
            chunk = Chunk(TMPFILES, "", Needs(), [], write.origin.binding)
            dest.chunks.append(chunk)
            dest.copies.clear()
        dest.copies.append(write.rule)
        chunk.origin.append(write.origin)
        chunk.code = list_binding(TMPFILES, dest.copies)


def take_entry_write(dest: DestFile, write: Import | Identity | Entry) -> None:
    """An import, an identity or a whole new entry point, into the home file `dest`."""
    if isinstance(write, Import):
        if write.code not in dest.imports:
            dest.imports.append(write.code)
    elif isinstance(write, Identity):
        dest.identity = dest.identity or write.code
    else:
        dest.entry = write.user
        dest.imports = list(write.imports)
        dest.identity, dest.tail, dest.hm_package = write.identity, write.tail, write.hm_package
