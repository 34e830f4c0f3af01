"""Findings as data, shared by every command that reports them (`lint`, the planners)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from homeward.errors import Location


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    message: str
    at: Location | None = None
    code: str = ""
    hint: str = ""
    fixable: bool = False  # `homeward migrate` removes it (check's FIXABLE findings)

    def render(self) -> str:
        where = f"{self.at}: " if self.at else ""
        code = f"{self.code} " if self.code else ""
        text = f"{where}{self.severity}: {code}{self.message}"
        return text + (f"\n  hint: {self.hint}" if self.hint else "")
