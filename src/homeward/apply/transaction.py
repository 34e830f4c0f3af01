"""The one driver every writing command uses: lock -> recover -> plan -> changes -> validate ->
diff -> apply.

`session()` holds the repository's lock for the whole command, first rolls back whatever an
interrupted run left (and says so), refuses what cannot be written safely (a merge or rebase in
progress, uncommitted changes, no git where git is needed), and hands the command a `Session`
whose `prepare()` computes and validates the changes and whose `apply()` writes them through
the journal. Read-only commands run inside `reading()`: the recovery, then a shared lock.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from homeward.apply import git, journal
from homeward.errors import HomewardError, RollbackIncompleteError

# Why the writer's modules are imported where they are used: `check` and `graph` only take
# the shared lock here (`reading`), and importing the writer cost them 30 ms.
if TYPE_CHECKING:
    from homeward.apply.git import GitRepo
    from homeward.model.repo import Repo
    from homeward.plan.types import FileChange, Plan


@dataclass(frozen=True, slots=True)
class Session:
    root: Path
    repo: GitRepo | None
    state: Path
    command: str

    def prepare(
        self,
        plan: Plan,
        *,
        validate: bool = True,
        repo: Repo | None = None,
        users: Collection[str] = (),
    ) -> list[FileChange]:
        """What every touched file will hold; validated (nothing written). With the `repo`
        the plan was made from (and its index's `users`), its new files are checked to be read by exactly the hosts
        whose definitions they hold (rule 11): a plan that breaks it is a bug, exit 4."""
        from homeward.apply.write import compute_changes, validate_changes

        read = None
        if repo is not None:
            files = repo.ev.files

            def read(rel: Path) -> bytes | None:  # the bytes the plan was made from
                source = files.source_of(self.root / rel)
                return None if source is None else source.text

        changes = compute_changes(self.root, plan, read)
        parsed = validate_changes(changes) if validate else {}
        if repo is not None:
            from homeward.plan.invariants import check_plan

            check_plan(repo, users, plan, changes, parsed)
        return changes

    def apply(self, changes: list[FileChange]) -> None:
        head = self.repo.head() if self.repo is not None else None
        from homeward.apply import undo
        from homeward.apply.write import apply_changes

        record = apply_changes(
            self.root, changes, command=self.command, repo=self.repo, state=self.state
        )
        problem = undo.remember(self.state, record, head)
        if problem is not None:  # the write is complete: a warning, not a failure
            sys.stderr.write(f"homeward: warning: {problem}; `homeward undo` is not possible\n")


def _existing(path: Path) -> Path:
    return next(p for p in (path, *path.parents) if p.is_dir())


@contextmanager
def session(
    directory: Path,
    command: str,
    *,
    writes: bool = True,
    allow_dirty: bool = False,
    need_git: bool = False,
    no_git: bool = False,
) -> Iterator[Session]:
    """The lock (when writing), the recovery of an interrupted run, and the refusals."""
    journal.reset_faults()
    root = directory.resolve()
    repo = git.locate(_existing(root))
    if writes and need_git and repo is None and not no_git:
        raise HomewardError(
            f"`{directory}` is not in a git repository; {command} refuses to rewrite files "
            "that nothing else can restore",
            hint="commit the configuration first (`git init && git add -A && git commit`), or "
            "pass --no-git (then homeward's journal is the only way back from an interrupted run)",
        )
    state = journal.state_dir(root, repo)
    if not writes:
        recover(directory)
        yield Session(root, repo, state, command)
        return
    with journal.lock(state, root):
        _recover_locked(state, repo)
        if repo is not None:
            what = repo.operation_in_progress()
            if what is not None:
                raise HomewardError(
                    f"{what} is in progress in this repository; nothing was changed",
                    hint="finish it or abort it first (`git status` says how)",
                )
            if not allow_dirty and root.is_dir():
                ensure_clean(repo, root)
        yield Session(root, repo, state, command)


def ensure_clean(repo: GitRepo, root: Path) -> None:
    """Refuse a dirty work tree: the user must be able to see and undo exactly what we did.
    What an earlier homeward run wrote, unchanged since, is that run's own, not the user's."""
    entries = repo.status(root)
    listed = [path for entry in entries for path in entry]
    from homeward.apply.own import homewards_own

    own = homewards_own(repo.top, repo.git_dir, listed) if listed else set()
    dirty = [entry[0] for entry in entries if not all(path in own for path in entry)]
    if dirty:
        count = len(dirty)
        raise HomewardError(
            f"the git work tree has uncommitted changes ({count} path{'s' if count != 1 else ''},"
            f" e.g. `{dirty[0]}`)",
            hint="commit or stash them first so the change can be reviewed and undone, "
            "or pass --allow-dirty",
        )


def recover(directory: Path) -> None:
    """Roll back what an interrupted run left in this repository, if anything (any command
    calls this first). Takes the lock only when there is a journal."""
    _recover(directory.resolve())


def _recover(root: Path) -> GitRepo | None:
    """`recover` of the resolved `root`; the git repository holding it (None outside git, or
    without git), which `reading` asks for next."""
    try:
        # A directory that does not exist (yet) may be one an interrupted `init` was making.
        repo = git.locate(_existing(root))
    except git.GitMissingError:
        return None  # nothing can be rolled back without git; a writing command says so
    state = journal.state_dir(root, repo)
    if not (state / journal.JOURNAL).exists():
        return repo
    with journal.lock(state, root):
        _recover_locked(state, repo)
    return repo


@contextmanager
def reading(directory: Path) -> Iterator[None]:
    """What a read-only command runs inside: an interrupted run rolled back first, then the
    shared lock for the whole command (a writer waits for no reader: it exits 3)."""
    root = directory.resolve()
    # Why the repository `recover` found: asking git again (a process) for the same directory
    # gave the same answer at twice the cost.
    repo = _recover(root)
    if not root.is_dir():
        yield
        return
    with journal.shared_lock(journal.state_dir(root, repo), root):
        yield


def _recover_locked(state: Path, repo: GitRepo | None) -> None:
    record = journal.read_journal(state)
    if record is None:
        return
    from homeward.apply.write import rollback

    problems = rollback(record, repo)
    if problems:
        raise RollbackIncompleteError(
            f"an interrupted {record.command} left a journal, and rolling it back did not "
            f"finish: {problems[0]}",
            hint=f"fix that, then run homeward again; the journal `{state / journal.JOURNAL}` "
            "is kept until the rollback finishes",
        )
    journal.remove_journal(state)
    count = len(record.files)
    sys.stderr.write(
        f"homeward: an interrupted {record.command} was rolled back "
        f"({count} file{'s' if count != 1 else ''} put back as they were)\n"
    )


def apply_plan(directory: Path, plan: Plan, *, command: str = "apply") -> list[FileChange]:
    """Lock, validate and apply a plan in one go (tests and simple callers)."""
    with session(directory, command, allow_dirty=True) as s:
        changes = s.prepare(plan)
        s.apply(changes)
        return changes
