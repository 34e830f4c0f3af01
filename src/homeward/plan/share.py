"""`homeward migrate --share`: a feature file two or more users get with the same content is
written once, as `home/modules/<feature>.nix`, and imported by each of them (issue 13; the
layout's optional shared-modules folder; docs/architecture.md rule 13: imported by exactly
those users).

Only files the plan creates are shared, and only where the result is provably the same:
- the content is byte-identical (the users' names do not appear in it);
- it holds no relative path (`./x`, `../x`), which would mean another file once moved;
- each user's entry point is written by the same plan (created, or rewritten by its edits) and
  imports the feature once as `./features/<feature>.nix`, which becomes `../modules/<feature>.nix`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path, PurePosixPath

from homeward.plan.types import Moved, NewFile, Plan

# A path literal: `./x`, `../x` after a space, `[`, `(`, `=` or at a line start.
_RELATIVE = re.compile(rb"(^|[\s\[(=])\.\.?/", re.MULTILINE)


def share_features(plan: Plan, taken: Callable[[PurePosixPath], bool]) -> Plan:
    """`plan` with identical per-user feature files written once under `home/modules/`."""
    files = {PurePosixPath(f.path): f for f in plan.new_files}
    by_content: dict[tuple[str, bytes], list[str]] = defaultdict(list)
    for path, new in files.items():
        parts = path.parts
        if len(parts) == 4 and parts[0] == "home" and parts[2] == "features":
            by_content[(parts[3], new.text)].append(parts[1])
    # The code the plan writes into each entry point: a new file's text, or the new text of
    # the edits of an existing one (moved `home/<u>.nix`, rewritten).
    texts: dict[tuple[PurePosixPath, int], bytes] = {
        (PurePosixPath(f.path), -1): f.text for f in plan.new_files
    }
    for i, e in enumerate(plan.edits):
        texts[(PurePosixPath(e.path), i)] = e.new
    renamed: dict[PurePosixPath, PurePosixPath] = {}
    added: list[NewFile] = []
    for (name, text), users in sorted(by_content.items()):
        shared = PurePosixPath("home") / "modules" / name
        if _RELATIVE.search(text) or taken(shared) or shared in files:
            continue
        old = f"./features/{name}".encode()
        moved = f"../modules/{name}".encode()
        importing = []
        for user in sorted(users):
            entry = PurePosixPath("home") / user / "default.nix"
            found = [k for k, t in texts.items() if k[0] == entry and old in t]
            if user.encode() in text or len(found) != 1 or texts[found[0]].count(old) != 1:
                continue
            importing.append((user, found[0]))
        if len(importing) < 2:
            continue
        for user, key in importing:
            texts[key] = texts[key].replace(old, moved)
            renamed[PurePosixPath("home") / user / "features" / name] = shared
        users_text = " and ".join(u for u, _ in importing)
        added.append(NewFile(Path(shared), text, f"shared by {users_text}"))
    if not added:
        return plan
    new_files = [
        replace(f, text=texts[(PurePosixPath(f.path), -1)])
        for f in plan.new_files
        if PurePosixPath(f.path) not in renamed
    ]
    edits = [replace(e, new=texts[(PurePosixPath(e.path), i)]) for i, e in enumerate(plan.edits)]
    ledger = [
        _retarget(m, renamed[PurePosixPath(m.target)]) if PurePosixPath(m.target) in renamed else m
        for m in plan.ledger
    ]
    return replace(plan, new_files=(*new_files, *added), edits=tuple(edits), ledger=tuple(ledger))


def _retarget(m: Moved, target: PurePosixPath) -> Moved:
    return replace(m, target=Path(target))
