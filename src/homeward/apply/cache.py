"""The result cache of the commands that only read: `check`, `graph`, `migrate --dry-run`.

A repeated run on a configuration that did not change (a pre-commit hook, an editor, a CI
re-run, `migrate --dry-run` twice) answers from what the last run found instead of reading the
model again. What is kept is the command's result as data (the findings, the graph, the plan's
summary and diff), rendered afresh by each run: the terminal, `--format` and colour follow the
run that prints. A first run costs what it did, plus the key (a stat of each file) and a write.

The key holds everything the answer depends on (a stale answer is worse than a slow one):
- homeward itself: its version, the size and times of each of its files (an editable install
  changes without a new version), the schema of the entries, Python's version, `sys.path` and
  the distributions installed there (the grammar's version);
- the command, the options that change its result, the directory as given and the current
  directory (paths are shown relative to them), the `HOMEWARD_*` environment variables, and for
  a command that runs a program (migrate's `nix-instantiate --parse`), which program it is (its
  file's path, size and times), nix's settings (`NIX_*`, nix.conf);
- the configuration (docs/architecture.md, rule 12): every entry under the boundary (the git work
  tree holding the flake, else the flake's directory), `.git` aside, by its path, type and mode;
  a file by its size, times and inode, a symlink by its target and where it leads; in git also
  what the index tracks (paths and modes: `git add -N` changes what nix sees). Files git does
  not track are in the key too: homeward reads one a module imports, and `migrate` must not
  write over one.

A file's stat data stands for its contents, as in git's index. ctime cannot be set back, so an
edit changes the key, except one within the same tick of the file system's clock as the
previous (a "racy" edit, which can leave every time as it was): no answer is kept while a file
changed less than RACY_NS before the key was made.

A run that stores its answer watches what it does (an audit hook): a file read or a directory
listed outside the boundary (and outside Python's and homeward's own files), anything written,
or a program the key does not name, and the answer is not kept: the key may not cover it.

Entries are JSON (data, never code) in `<git dir>/homeward/cache/` or, outside git,
`$XDG_CACHE_HOME/homeward/<hash of the directory>/` (`HOMEWARD_CACHE_DIR` instead of either):
never in the configuration, which a `path:` flake copies into the world-readable store. They
are written atomically (a temporary file renamed), the last KEEP of each command kept. Whatever
goes wrong with the cache (a corrupt entry, a full disk, a directory that cannot be written) is
a run without it: the answer and the exit code never depend on the cache. `--no-cache` or
`HOMEWARD_NO_CACHE=1` go without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from pathlib import Path, PurePath, PurePosixPath
from typing import Any, Self, TypeVar

import homeward
from homeward import __version__
from homeward.model.files import git_dir, index_entries, work_tree_top
from homeward.proc import debug

try:  # Why not hashlib: it loads OpenSSL (3.5 MiB), which nothing else of a cached run needs
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - another Python
    from hashlib import blake2b

T = TypeVar("T")
_PACKAGE = os.path.dirname(os.path.abspath(homeward.__file__))  # all of homeward, not apply/

SCHEMA = 1
"""The layout of an entry and of the key; a change makes every older entry a miss."""
KEEP = 4
"""Entries kept per command and configuration (the newest used)."""
MAX_ENTRIES = 30_000
"""Beyond this many entries under the boundary, making the key could cost more than it saves:
the command runs without the cache (a configuration inside a large monorepo or a home)."""
RACY_NS = 3_000_000_000
"""A file changed this recently (ns) may change again within its clock's tick unseen (2 s on
FAT, 1 s on some file systems): no answer is kept."""
MAX_ENTRY_BYTES = 256 << 20
NO_CACHE_ENV = "HOMEWARD_NO_CACHE"
DIR_ENV = "HOMEWARD_CACHE_DIR"
_NOT_KEYED = (NO_CACHE_ENV, DIR_ENV)  # where the cache is, not what the answer depends on


def disabled(no_cache: bool = False) -> bool:
    """`--no-cache`, or `HOMEWARD_NO_CACHE` set to anything but `0` or nothing."""
    return no_cache or os.environ.get(NO_CACHE_ENV, "") not in ("", "0")


def cached(
    command: str,
    directory: Path,
    options: Mapping[str, object],
    compute: Callable[[], T],
    encode: Callable[[T], object],
    decode: Callable[[object], T],
    *,
    no_cache: bool = False,
    programs: Sequence[str] = (),
) -> T:
    """`compute()`, or what it returned last time for the same key.

    `options`: what else the result depends on (JSON values); `encode`/`decode` turn the
    result into JSON data and back; `programs`: the programs `compute` may run (named in the
    key). An exception of `compute` goes through, and nothing is kept."""
    if disabled(no_cache):
        return compute()
    try:
        key = make_key(command, directory, options, programs)
    except Exception as exc:  # noqa: BLE001 - whatever fails here, the command runs without
        debug("homeward: cache: not used: %s", exc)
        return compute()
    found = key.load()
    if found is not None:
        try:
            value = decode(found)
        except Exception as exc:  # noqa: BLE001 - an entry of another shape: a miss
            debug("homeward: cache: unreadable entry: %s", exc)
        else:
            debug("homeward: cache: %s answered from %s", command, key.path)
            return value
    with _Watch(key) as watch:
        value = compute()
    problem = watch.problem or key.racy
    if problem:
        debug("homeward: cache: %s not kept: %s", command, problem)
        return value
    try:
        key.store(encode(value))
    except Exception as exc:  # noqa: BLE001 - a full disk, a read-only git dir: no entry
        debug("homeward: cache: %s not kept: %s", command, exc)
    else:
        debug("homeward: cache: %s kept in %s", command, key.path)
    return value


# -- the key ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Key:
    command: str
    digest: str
    folder: Path  # where the entries of this configuration live
    boundary: str  # what the command may read: resolved, without a trailing separator
    escapes: tuple[str, ...]  # symlinks under the boundary that lead out of it
    git: tuple[str, ...]  # what of git the key holds: the `.git` file and the index
    programs: tuple[str, ...]  # what the command may run
    racy: str  # why no answer may be kept ("" when one may)

    @property
    def path(self) -> Path:
        return self.folder / f"{self.command}-{self.digest}.json"

    def load(self) -> object:
        """The data kept under this key, None when there is none or it cannot be read."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            return None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_ENTRY_BYTES:
                return None
            with os.fdopen(fd, "rb", closefd=False) as handle:
                entry = json.loads(handle.read())
        except (OSError, ValueError, RecursionError):
            return None
        finally:
            os.close(fd)
        if not isinstance(entry, dict) or entry.get("homeward-cache") != SCHEMA:
            return None
        if entry.get("command") != self.command or entry.get("key") != self.digest:
            return None
        try:  # the newest used is kept longest
            os.utime(self.path)
        except OSError:
            pass
        return entry.get("data")

    def store(self, data: object) -> None:
        """Keep `data` under this key (atomically), and only the last KEEP of the command."""
        text = json.dumps(
            {"homeward-cache": SCHEMA, "command": self.command, "key": self.digest, "data": data},
            separators=(",", ":"),
        )
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = self.folder / f".{self.command}-{self.digest}.{os.getpid()}.tmp"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(text.encode())
            os.replace(temp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        self._prune()

    def _prune(self) -> None:
        entries = []
        with os.scandir(self.folder) as found:
            for entry in found:
                if entry.name.startswith(f"{self.command}-") and entry.name.endswith(".json"):
                    with contextlib.suppress(OSError):
                        entries.append((entry.stat(follow_symlinks=False).st_mtime_ns, entry.path))
        for _mtime, path in sorted(entries, reverse=True)[KEEP:]:
            with contextlib.suppress(OSError):
                os.unlink(path)


class _TooLargeError(Exception):
    pass


def make_key(
    command: str, directory: Path, options: Mapping[str, object], programs: Sequence[str] = ()
) -> Key:
    """The key of `command` run on `directory` now (OSError when a part cannot be read)."""
    since = time.time_ns() - RACY_NS
    resolved = Path(os.path.realpath(directory))
    top = work_tree_top(resolved)
    boundary = os.fspath(top or resolved)
    parts = [
        f"homeward-cache\0{SCHEMA}\0{__version__}",
        f"python\0{sys.version}\0{sys.executable}\0{sys.flags.optimize}",
        f"tag\0{sys.implementation.cache_tag}",
        f"fs\0{sys.getfilesystemencoding()}\0{sys.getfilesystemencodeerrors()}",
        f"command\0{command}\0{json.dumps(dict(options), sort_keys=True, default=str)}",
        f"where\0{os.getcwd()}\0{os.fspath(directory)}\0{resolved}\0{boundary}",
    ]
    parts += _code()
    parts += _environment(programs)
    git: tuple[str, ...] = ()
    if top is not None:
        entries = index_entries(top)
        tracked = "\0".join(f"{path}\0{mode}" for path, mode in entries or ())
        parts.append(f"index\0{entries is not None}\0{_digest([tracked])}")
        where = git_dir(top)
        git = (os.path.join(top, ".git"), os.path.realpath(where / "index"))
        folder = where / "homeward" / "cache"
    else:
        folder = _cache_home() / "homeward" / _digest([boundary])[:16]
    chosen = os.environ.get(DIR_ENV, "")
    if os.path.isabs(chosen):
        folder = Path(chosen) / _digest([boundary])[:16]
    escapes, racy = _walk(boundary, parts, since)
    return Key(
        command,
        _digest(parts),
        folder,
        boundary,
        tuple(escapes),
        git,
        tuple(os.path.basename(p) for p in programs),
        f"`{racy}` changed too recently to trust its times" if racy else "",
    )


def _digest(parts: Sequence[str]) -> str:
    h = blake2b(digest_size=20)
    for part in parts:
        data = part.encode("utf-8", "surrogateescape")
        h.update(b"%d:" % len(data))
        h.update(data)
    return h.hexdigest()


def _cache_home() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "")
    return Path(base) if os.path.isabs(base) else Path.home() / ".cache"


def _stat_part(label: str, path: str) -> str:
    try:
        st = os.stat(path)
    except OSError:
        return f"{label}\0{path}\0absent"
    return f"{label}\0{path}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0{st.st_ino}"


def _code() -> list[str]:
    """What homeward runs: its own files, and the distributions on `sys.path`."""
    parts = []
    package = _PACKAGE
    stack = [package]
    while stack:
        current = stack.pop()
        with os.scandir(current) as found:
            for entry in sorted(found, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False):
                    if entry.name != "__pycache__":
                        stack.append(entry.path)
                    continue
                st = entry.stat(follow_symlinks=False)
                rel = entry.path[len(package) :]
                parts.append(f"code\0{rel}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}")
    for where in sys.path:
        installed: list[str] = []
        if where and os.path.isdir(where):
            installed = sorted(
                n for n in os.listdir(where) if n.endswith((".dist-info", ".egg-info", ".pth"))
            )
        parts.append("\0".join(("path", where, *installed)))
    return parts


def _environment(programs: Sequence[str]) -> list[str]:
    """The environment variables homeward reads; the programs it runs and their settings."""
    names = sorted(n for n in os.environ if (n.startswith("HOMEWARD_") and n not in _NOT_KEYED))
    parts = [f"env\0{n}\0{os.environ[n]}" for n in names]
    grammar = os.environ.get("HOMEWARD_NIX_GRAMMAR", "")
    if grammar:
        parts.append(_stat_part("grammar", grammar))
        parts.append(_stat_part("grammar", os.path.join(grammar, "parser")))
    if not programs:
        return parts
    import shutil

    for program in programs:
        found = shutil.which(program)
        parts.append(_stat_part("program", os.path.realpath(found)) if found else program)
    nix = sorted(n for n in os.environ if n.startswith(("NIX_", "XDG_CONFIG")))
    parts += [f"env\0{n}\0{os.environ[n]}" for n in nix]
    conf = [os.path.join(os.environ.get("NIX_CONF_DIR", "/etc/nix"), "nix.conf")]
    config_home = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    for base in (config_home, *os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":")):
        conf.append(os.path.join(base, "nix", "nix.conf"))
    conf += os.environ.get("NIX_USER_CONF_FILES", "").split(":")
    parts += [_stat_part("nix.conf", path) for path in conf if path]
    return parts


def _walk(boundary: str, parts: list[str], since_ns: int) -> tuple[list[str], str]:
    """Every entry under `boundary` (not `.git` directories) into `parts`: the symlinks that
    lead out of it, and a file changed since `since_ns` ("" when none)."""
    inside = os.path.join(boundary, "")
    escapes: list[str] = []
    racy = ""
    count = 0
    stack = [("", boundary)]
    while stack:
        rel, current = stack.pop()
        with os.scandir(current) as found:
            listed = sorted(found, key=_name)
        count += len(listed)
        if count > MAX_ENTRIES:
            raise _TooLargeError(f"more than {MAX_ENTRIES:,} entries under `{boundary}`")
        for entry in listed:
            name = entry.name
            st = entry.stat(follow_symlinks=False)
            mode = st.st_mode
            kind = stat.S_IFMT(mode)
            if kind == stat.S_IFDIR:
                if name == ".git":
                    continue
                parts.append(f"d\0{rel}{name}\0{mode}")
                stack.append((f"{rel}{name}/", entry.path))
            elif kind == stat.S_IFLNK:
                real = os.path.realpath(entry.path)
                parts.append(f"l\0{rel}{name}\0{os.readlink(entry.path)}\0{real}")
                if real != boundary and not real.startswith(inside):
                    escapes.append(entry.path)
            else:
                if not rel and name == ".git":
                    continue  # the `.git` file of a linked work tree: the index is in the key
                parts.append(
                    f"f\0{rel}{name}\0{mode}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}"
                    f"\0{st.st_ino}"
                )
                if not racy and max(st.st_mtime_ns, st.st_ctime_ns) >= since_ns:
                    racy = f"{rel}{name}"
    return escapes, racy


def _name(entry: os.DirEntry[str]) -> str:
    return entry.name


# -- what a run that stores its answer does -------------------------------------------------
_WATCHED = frozenset(
    {"open", "os.listdir", "os.scandir", "subprocess.Popen", "os.system", "os.posix_spawn"}
    | {"os.exec", "os.spawn", "os.fork", "os.forkpty", "socket.connect", "os.chdir"}
)
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC
_MODULES = (".py", ".pyc", ".so", ".pyd", ".pth", ".zip")
_watching: list[_Watch] = []  # the run being watched (at most one)
_hooked: list[bool] = []


_READING = frozenset({None, "r", "rb", "rt"})


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _watching or event not in _WATCHED:
        return
    watch = _watching[-1]
    if watch.problem:
        return
    if event == "open":  # the common case, first: a read of a file of the configuration
        path = args[0]
        if (
            type(path) is str
            and path.startswith(watch.inside)
            and args[1] in _READING
            and not args[2] & _WRITING
            and "/." not in path
            and not watch.key.escapes
        ):
            return
    try:
        watch.see(event, args)
    except Exception as exc:  # noqa: BLE001 - never break what is watched
        watch.problem = f"cannot tell what `{event}` did: {exc}"


class _Watch:
    """What a computation reads, lists, writes and runs, against what its key covers."""

    def __init__(self, key: Key) -> None:
        self.key = key
        self.problem = ""
        self.inside = os.path.join(key.boundary, "")
        package = os.path.join(_PACKAGE, "")
        prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
        self.installed = tuple(
            {package, *(os.path.join(os.path.realpath(p), "") for p in prefixes)}
            | {os.path.join(p, "") for p in prefixes}
        )
        self.modules = tuple(
            {os.path.join(p, "") for p in sys.path if os.path.isabs(p)}
            | {os.path.join(os.path.realpath(p), "") for p in sys.path if os.path.isabs(p)}
        )
        grammar = os.environ.get("HOMEWARD_NIX_GRAMMAR", "")
        self.grammar = os.path.realpath(grammar) if grammar else None

    def __enter__(self) -> Self:
        if not _hooked:
            sys.addaudithook(_hook)
            _hooked.append(True)
        _watching.append(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        _watching.remove(self)

    def see(self, event: str, args: tuple[Any, ...]) -> None:
        if event == "open":
            path, mode, flags = args
            if path is None or isinstance(path, int):
                return
            writes = bool(flags & _WRITING) or (mode is not None and any(c in mode for c in "wax+"))
            self._path(path, writes=writes, listing=False)
        elif event in ("os.listdir", "os.scandir"):
            if args[0] is None or isinstance(args[0], int):
                self._path(".", writes=False, listing=True)
            else:
                self._path(args[0], writes=False, listing=True)
        elif event == "subprocess.Popen":
            program = args[0] if args[0] is not None else args[1][0]
            name = os.path.basename(os.fsdecode(program))
            if name not in self.key.programs:
                self.problem = f"it runs `{name}`"
        else:
            self.problem = f"it does `{event}`"

    def _path(self, path: object, *, writes: bool, listing: bool) -> None:
        if not isinstance(path, str | bytes | os.PathLike):
            return
        text = os.fsdecode(os.fspath(path))
        if not text.startswith("/") or "/." in text:
            text = os.path.realpath(text)
        if text == "/dev/null":
            return
        if text in self.key.git and not writes:
            return  # what git tracks: the index is in the key
        if text == self.key.boundary or text.startswith(self.inside):
            if writes:
                self.problem = f"it writes `{text}`"
            elif any(text == e or text.startswith(os.path.join(e, "")) for e in self.key.escapes):
                self.problem = f"it reads `{text}` through a symlink that leads elsewhere"
            elif "/.git/" in text[len(self.inside) - 1 :] or text.endswith("/.git"):
                self.problem = f"it reads `{text}`, which the key leaves out (`.git`)"
            return
        if text.startswith(self.installed):
            return  # Python's and homeward's own files (imports, homeward's data)
        if text.startswith(self.modules) and (listing or text.endswith(_MODULES)):
            return  # a module imported from `sys.path`
        if self.grammar is not None and os.path.realpath(text) == self.grammar:
            return
        self.problem = f"it {'writes' if writes else 'reads'} `{text}`, outside the key"


# -- results as JSON data ---------------------------------------------------------------------
_FIELDS: dict[type, tuple[str, ...]] = {}  # a dataclass's field names, asked once


def to_data(value: object) -> object:
    """A result made of frozen dataclasses, enums, paths, tuples and scalars as JSON data: a
    list is ["t", items...] (a tuple), ["c", class, fields...], ["e", enum, value], ["p", ...]."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or kind is float or value is None:
        return value
    if kind is tuple:
        items: tuple[object, ...] = value  # type: ignore[assignment]
        if all(type(item) is str for item in items):
            return ["t", *items]
        return ["t", *map(to_data, items)]
    names = _FIELDS.get(kind)
    if names is not None:
        return ["c", kind.__name__, *[to_data(getattr(value, name)) for name in names]]
    if isinstance(value, Enum):
        return ["e", kind.__name__, value.value]
    if isinstance(value, PurePath):
        return ["p", "posix" if kind is PurePosixPath else "path", str(value)]
    if is_dataclass(value) and not isinstance(value, type):
        _FIELDS[kind] = tuple(f.name for f in fields(value))
        return to_data(value)
    raise TypeError(f"a `{kind.__name__}` cannot be kept")


def from_data(data: object, classes: Mapping[str, type]) -> object:
    """`to_data`'s result back, with the dataclasses and enums named in `classes`."""
    if type(data) is not list:
        return data
    tag = data[0]
    if tag == "c":
        return classes[data[1]](*[from_data(item, classes) for item in data[2:]])
    if tag == "t":
        return tuple(from_data(item, classes) for item in data[1:])
    if tag == "e":
        return classes[data[1]](data[2])
    if tag == "p":
        return PurePosixPath(data[2]) if data[1] == "posix" else Path(data[2])
    raise ValueError(f"not a kept value: {tag!r}")


def decoder(classes: Mapping[str, type], kind: type[T]) -> Callable[[object], T]:
    """`from_data` with `classes`, for a result of type `kind` (TypeError when it is not)."""

    def decode(data: object) -> T:
        value = from_data(data, classes)
        if not isinstance(value, kind):
            raise TypeError(f"a kept `{type(value).__name__}` is not a `{kind.__name__}`")
        return value

    return decode
