"""Names from newer Pythons, without importing third-party modules at start-up."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

F = TypeVar("F", bound=Callable[..., object])

if TYPE_CHECKING:
    from typing_extensions import override
elif sys.version_info >= (3, 12):
    from typing import override
else:  # pragma: no cover - Python 3.11 at run time

    def override(fn: F) -> F:
        return fn


__all__ = ["override"]
