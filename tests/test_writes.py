"""Only the write record's replay changes a new file of the plan.

Why (issue #9): the phases wrote into the plan's destination files directly (the user-file
phase's system module and header, the inline home, finishing a user's home, the orphan
comments), so what a phase decided could be read only from the plan once it was changed.
Every phase now returns its writes as data (`plan/writes.py`) and the composer replays them
with `take_write`: read from the source with `ast`, no module of `plan/` but `writes.py`
assigns a `DestFile`'s fields or changes its lists.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import homeward.plan
from homeward.plan.files import DestFile

PLAN = Path(homeward.plan.__file__).resolve().parent
FIELDS = frozenset(f.name for f in dataclasses.fields(DestFile)) - {"path", "home"}
LISTS = frozenset(f.name for f in dataclasses.fields(DestFile) if f.default_factory is list)
CHANGES = frozenset({"append", "extend", "insert", "clear", "remove", "pop", "sort", "reverse"})


def changes(tree: ast.AST) -> list[str]:
    """Where `tree` assigns an attribute named like a DestFile field, an element of one of
    its lists, or calls a method that changes one of them."""
    found: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for el in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(el, ast.Attribute) and el.attr in FIELDS:
                    found.append(f"{line}: {ast.unparse(el)} =")
                if (
                    isinstance(el, ast.Subscript)
                    and isinstance(el.value, ast.Attribute)
                    and el.value.attr in LISTS
                ):
                    found.append(f"{line}: {ast.unparse(el)} =")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in CHANGES
            and isinstance(node.func.value, ast.Attribute)
            and node.func.value.attr in LISTS
        ):
            found.append(f"{line}: {ast.unparse(node.func)}()")
    return found


def test_the_scan_sees_a_direct_write() -> None:
    """The scan itself: each way the phases once wrote into a file is found."""
    text = (
        "dest.chunks.append(chunk)\n"
        "dest.items.insert(0, item)\n"
        "st.dest(path, home=True).header = header\n"
        "entry.identity, entry.tail = bindings\n"
        "dest.items[0] = item\n"
    )
    assert len(changes(ast.parse(text))) == 6  # the identity and the tail, each
    assert changes(ast.parse("writes.writes.append(w)\nup.per_host[h] = p\n")) == []


def test_only_the_write_record_changes_a_new_file() -> None:
    assert {"chunks", "items", "imports", "extra", "copies"} <= LISTS
    assert {"header", "identity", "verbatim", "entry"} <= FIELDS
    found = {
        path.name: hits
        for path in sorted(PLAN.glob("*.py"))
        if path.name != "writes.py" and (hits := changes(ast.parse(path.read_text())))
    }
    assert found == {}
    assert changes(ast.parse((PLAN / "writes.py").read_text()))  # where they are
