"""Building frozen dataclass instances through their slots, where `__init__` is too slow.

A frozen dataclass sets each field with `object.__setattr__`; on the hot paths of `check`
(a Definition per binding, a reference per import, on trees of thousands of files) that is a
third of the cost of reading a module. The slot descriptors set the same fields directly.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from typing import Any


def slot_setters(
    cls: type, given: tuple[str, ...], later: tuple[str, ...] = ()
) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """The slot setters of the fields in `given`, in that order, and (setter, default) for
    every other field but those in `later` (set by the caller afterwards, or left unset)."""
    setters = [cls.__dict__[name].__set__ for name in given]
    rest = [
        (cls.__dict__[f.name].__set__, f.default)
        for f in fields(cls)
        if f.name not in given and f.name not in later
    ]
    assert all(default is not MISSING for _setter, default in rest), cls
    return setters, rest
