"""`homeward undo [DIR]`: put back the state before the last write (`migrate`, `add`, `init`,
`check --fix`): files, staged renames and intent-to-add entries, exactly as they were."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from homeward.errors import Exit, RollbackIncompleteError


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    dry_run: bool = False


def run(opts: Options) -> int:
    from homeward.apply import undo
    from homeward.apply.transaction import session
    from homeward.apply.write import rollback
    from homeward.render import console

    # The lock, and the recovery of an interrupted run, as for every write; a dirty tree is
    # what the last write left, so it is not refused.
    with session(opts.dir, "undo", writes=not opts.dry_run, allow_dirty=True) as s:
        record = undo.read(s.state)
        if record is None:
            console.out("nothing to undo: no homeward write is recorded here")
            return int(Exit.OK)
        restore = undo.plan_undo(record, s.repo)
        command = record.journal.command
        lines = [f"  restore {p}" for p in restore.restored]
        lines += [f"  remove  {p}" for p in restore.removed]
        if opts.dry_run:
            console.out(f"would undo `{command}`:")
            for line in lines:
                console.out(line)
            if restore.index:
                console.out(f"  and reset {len(restore.index)} git index entries")
            console.out("dry run: nothing was changed")
            return int(Exit.OK)
        problems = rollback(record.journal, s.repo)
        if problems:
            raise RollbackIncompleteError(
                f"undo of `{command}` did not finish: {problems[0]}",
                hint="fix that and run `homeward undo` again; the record is kept",
            )
        undo.forget(s.state)
        console.out(f"undone: `{command}`")
        for line in lines:
            console.out(line)
        return int(Exit.OK)
