"""`homeward migrate`: not implemented yet."""

from __future__ import annotations

from dataclasses import dataclass

from homeward.errors import UsageError


@dataclass(frozen=True, slots=True)
class Options:
    pass


def run(_opts: Options) -> int:
    raise UsageError("`homeward migrate` is not implemented yet")
