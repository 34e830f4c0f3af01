"""The only place homeward runs git.

Every call is batched: a migrate asks git a constant number of questions whatever the number of
files (where the repository is, its status, the whole index once; one `update-index` for the
moves and removals, one `add --intent-to-add` for the new files). Paths given to git are
relative to the work tree's top and read literally (no globs), through stdin where there can be
many of them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from homeward import proc
from homeward.errors import HomewardError

NO_SHA = "0" * 40
_ENV = {"GIT_LITERAL_PATHSPECS": "1", "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}

# What `git` leaves in its directory while an operation waits for the user.
_IN_PROGRESS = (
    ("MERGE_HEAD", "a merge"),
    ("rebase-merge", "a rebase"),
    ("rebase-apply", "a rebase (or `git am`)"),
    ("CHERRY_PICK_HEAD", "a cherry-pick"),
    ("REVERT_HEAD", "a revert"),
)


class GitMissingError(HomewardError):
    """`git` is not on PATH where it is needed: exit 3, before anything changes."""


INTENT_TO_ADD = 0x20000000  # git's CE_INTENT_TO_ADD (`git add -N`)
SKIP_WORKTREE = 0x40000000  # CE_SKIP_WORKTREE (`git update-index --skip-worktree`)
ASSUME_VALID = 0x8000  # CE_VALID (`git update-index --assume-unchanged`)
FLAGS = INTENT_TO_ADD | SKIP_WORKTREE | ASSUME_VALID


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One stage-0 index entry: what `git ls-files -s` shows, and the flags an index line
    cannot say (`--index-info` writes plain entries), which are put back separately."""

    mode: str
    sha: str
    flags: int = 0  # of FLAGS only


@dataclass(frozen=True, slots=True)
class GitRepo:
    top: Path  # the work tree's top directory, resolved
    git_dir: Path  # absolute; a linked work tree has its own

    def rel(self, path: Path) -> str:
        """`path` (absolute) as git names it: relative to the top, `/`-separated."""
        return Path(os.path.normpath(path)).relative_to(self.top).as_posix()

    def operation_in_progress(self) -> str | None:
        """A merge, rebase, cherry-pick or revert waiting for the user, or None."""
        for name, what in _IN_PROGRESS:
            if (self.git_dir / name).exists():
                return what
        return None

    def status(self, under: Path) -> list[list[str]]:
        """The changed paths under `under` (untracked included), one list per `git status`
        entry (a rename has two), relative to the top."""
        p = _git(["status", "--porcelain", "-z", "--untracked-files=normal", "--", "."], under)
        if not p.ok:
            raise HomewardError(f"`git status` failed in `{under}`: {proc.tail(p.stderr, 3)}")
        entries: list[list[str]] = []
        fields = iter(p.stdout.split("\0"))
        for field in fields:
            if len(field) > 3:
                entries.append([field[3:]])
                if field[0] in "RC":
                    entries[-1].append(next(fields, ""))
        return entries

    def index(self) -> dict[str, IndexEntry]:
        """Every stage-0 entry of the index, by top-relative path (one call)."""
        p = _git(["ls-files", "--stage", "--debug", "-z"], self.top)
        if not p.ok:
            raise HomewardError(f"`git ls-files` failed: {proc.tail(p.stderr, 3)}")
        entries: dict[str, IndexEntry] = {}
        # `mode sha stage\tpath\0` and then five lines `  ctime: ...` to `  size: ... flags: X`.
        chunks = p.stdout.split("\0")
        for i, record in enumerate(chunks[:-1]):
            if i:
                record = record.split("\n", 5)[5]
            meta, _, path = record.partition("\t")
            mode, sha, stage = meta.split(" ")
            debug = chunks[i + 1].split("\n", 5)[:5]
            flags = int(debug[4].rpartition("flags:")[2], 16) if len(debug) == 5 else 0
            if stage == "0":
                entries[path] = IndexEntry(mode, sha, flags & FLAGS)
        return entries

    def set_index(self, entries: Mapping[str, IndexEntry | None]) -> None:
        """Set (or, for None, remove) these index entries in one `git update-index` call.

        This is what `git mv` and `git rm --cached` do to the index, without touching the
        files; it is also how a rollback puts back exactly the entries this run changed.
        """
        if not entries:
            return
        lines = []
        for path, entry in sorted(entries.items()):
            plain = entry is not None and not entry.flags & INTENT_TO_ADD
            mode, sha = (entry.mode, entry.sha) if plain and entry is not None else ("0", NO_SHA)
            lines.append(f"{mode} {sha}\t{path}\0")
        p = _git(["update-index", "-z", "--index-info"], self.top, stdin="".join(lines))
        if not p.ok:
            raise HomewardError(f"`git update-index` failed: {proc.tail(p.stderr, 3)}")
        # The flags an index line cannot carry (issue 10: a rollback put an intent-to-add file
        # back as a staged empty file): extra calls only where an entry has them.
        flagged = {path: e for path, e in entries.items() if e is not None and e.flags}
        intents = sorted(p for p, e in flagged.items() if e.flags & INTENT_TO_ADD)
        if intents:
            self.add_intent(intents)
        for flag, option in (
            (SKIP_WORKTREE, "--skip-worktree"),
            (ASSUME_VALID, "--assume-unchanged"),
        ):
            paths = sorted(p for p, e in flagged.items() if e.flags & flag)
            if paths:
                q = _git(
                    ["update-index", option, "-z", "--stdin"],
                    self.top,
                    stdin="".join(f"{path}\0" for path in paths),
                )
                if not q.ok:
                    raise HomewardError(f"`git update-index` failed: {proc.tail(q.stderr, 3)}")

    def head(self) -> str | None:
        """The commit HEAD names, read from the git directory (no git process: a write makes a
        fixed number of git calls); None without commits."""
        try:
            text = (self.git_dir / "HEAD").read_text().strip()
            common = self.git_dir
            if (self.git_dir / "commondir").is_file():
                common = (self.git_dir / (self.git_dir / "commondir").read_text().strip()).resolve()
            if not text.startswith("ref: "):
                return text or None
            ref = text.removeprefix("ref: ")
            for base in (self.git_dir, common):
                if (base / ref).is_file():
                    return (base / ref).read_text().strip() or None
            packed = common / "packed-refs"
            if packed.is_file():
                for line in packed.read_text().splitlines():
                    sha, _, name = line.partition(" ")
                    if name == ref:
                        return sha
        except OSError:
            return None
        return None

    def ignored(self, paths: Iterable[str]) -> list[tuple[str, str]]:
        """Of `paths` (relative to the top), those git ignores, each with the rule that does:
        `(path, "file:line", pattern)` flattened as `(path, "`file:line` (`pattern`)")`. Empty
        when git cannot tell (`add_intent` says so then)."""
        listed = sorted(paths)
        if not listed:
            return []
        # Not through `_git`: check-ignore refuses the literal pathspecs its environment asks.
        env = {k: v for k, v in _ENV.items() if k != "GIT_LITERAL_PATHSPECS"}
        p = proc.run(
            ["git", "check-ignore", "--verbose", "-z", "--stdin"],
            cwd=self.top,
            stdin="".join(f"{path}\0" for path in listed),
            env=proc.environ(env),
        )
        if p.returncode not in (0, 1):
            return []
        fields = p.stdout.split("\0")
        found: list[tuple[str, str]] = []
        for at in range(0, len(fields) - 3, 4):
            source, line, pattern, path = fields[at : at + 4]
            if not pattern.startswith("!"):  # a negated rule that matched keeps the path
                found.append((path, f"`{shown(self.top / source)}:{line}` (`{pattern}`)"))
        return found

    def refuse_ignored(self, paths: Iterable[str]) -> None:
        """Raise (exit 3) when git ignores any of the new files `paths` (relative to the top):
        `git add --intent-to-add` refuses them, so migrate does (`--dry-run` says so first)."""
        ignored = self.ignored(paths)
        if ignored:
            said = [f"{shown(self.top / path)} (ignored by {rule})" for path, rule in ignored]
            more = f", and {len(said) - 3} more" if len(said) > 3 else ""
            raise HomewardError(
                f"nothing was changed: git ignores {len(said)} new "
                f"file{'s' if len(said) > 1 else ''} this would write: "
                f"{', '.join(said[:3])}{more}",
                hint="a flake only sees the files git tracks: let git see them (a `!` rule "
                "in that `.gitignore`), then run again",
            )

    def add_intent(self, paths: Iterable[str]) -> None:
        """`git add --intent-to-add` for new files (flakes only see what git tracks); one call."""
        listed = sorted(paths)
        if not listed:
            return
        p = _git(
            ["add", "--intent-to-add", "--pathspec-from-file=-", "--pathspec-file-nul"],
            self.top,
            stdin="".join(f"{path}\0" for path in listed),
        )
        if not p.ok:
            # Why here, not before the write: git's calls per write are a fixed few
            # (tests/test_crash.py); the journal puts back what was written.
            self.refuse_ignored(listed)
            raise HomewardError(
                f"`git add --intent-to-add` failed: {proc.tail(p.stderr, 3)}",
                hint="is the path ignored by .gitignore? flakes only see files git tracks",
            )


def shown(path: Path) -> str:
    """`path` as the user opens it from the current directory."""
    try:
        return os.path.relpath(path, Path.cwd())
    except ValueError:
        return str(path)


def available() -> bool:
    return proc.which("git") is not None


def require(
    hint: str = "install git: flakes in a git repository only see the files git tracks",
) -> None:
    """GitMissingError (exit 3) without git; `hint` says what the command needs it for."""
    if not available():
        raise GitMissingError(
            "`git` is not installed (or not on PATH); nothing was changed", hint=hint
        )


def has_dot_git(directory: Path) -> bool:
    """A `.git` in `directory` or above: a repository, whether or not git is installed."""
    return any((d / ".git").exists() for d in (directory, *directory.parents))


def locate(directory: Path) -> GitRepo | None:
    """The repository holding `directory`, or None outside git; GitMissingError when a `.git` is
    there but git is not installed (homeward cannot keep the index right without it)."""
    if not available():
        if has_dot_git(directory):
            require()
        return None
    p = _git(["rev-parse", "--show-toplevel", "--absolute-git-dir"], directory)
    if not p.ok:
        return None
    lines = p.stdout.splitlines()
    if len(lines) != 2:  # a bare repository or the git dir itself: no work tree
        return None
    return GitRepo(Path(lines[0]).resolve(), Path(lines[1]).resolve())


def toplevel(directory: Path) -> Path | None:
    repo = locate(directory)
    return repo.top if repo is not None else None


def run(args: list[str], cwd: Path) -> proc.Completed:
    """Any other git command (verify's throwaway work trees); GitMissingError without git."""
    require()
    return _git(args, cwd)


def commit_of(top: Path, rev: str) -> str | None:
    """The commit `rev` names in the repository at `top`, or None when it names none."""
    p = run(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    return p.stdout.strip() if p.ok else None


@contextmanager
def temporary_checkout(top: Path, commit: str) -> Iterator[Path]:
    """`git worktree add --detach` of `commit` into a temporary directory, removed after
    (verify's "before" side)."""
    # Why here: tempfile imports `random` and its hashes (0.9 MiB), which every command paid
    # for (git's module is imported to find the repository) and only verify uses.
    import tempfile

    require()
    _git(["worktree", "prune"], top)  # entries of checkouts that vanished (an interrupted run)
    tmp = Path(tempfile.mkdtemp(prefix="homeward-verify-"))
    path = tmp / "before"
    # The user's hooks (post-checkout) have no business in a throwaway checkout.
    p = _git(
        ["-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", str(path), commit], top
    )
    if not p.ok:
        shutil.rmtree(tmp, ignore_errors=True)
        raise HomewardError(
            f"cannot check out `{commit[:12]}` with `git worktree add`: {proc.tail(p.stderr, 3)}"
        )
    try:
        yield path
    finally:
        _git(["worktree", "remove", "--force", str(path)], top)
        shutil.rmtree(tmp, ignore_errors=True)
        _git(["worktree", "prune"], top)


def _git(args: list[str], cwd: Path, *, stdin: str | None = None) -> proc.Completed:
    return proc.run(["git", *args], cwd=cwd, stdin=stdin, env=proc.environ(_ENV))
