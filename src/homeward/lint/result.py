"""`check`'s result as data: what `lint/run.py` finds, `render/check.py` prints and the result
cache keeps (homeward/apply/cache.py). Light to import: a cached `check` reads nothing else of lint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import Location


@dataclass(frozen=True, slots=True)
class CheckResult:
    root: Path  # absolute: the directory holding flake.nix
    diagnostics: tuple[Diagnostic, ...]  # what remains after suppression comments
    suppressed: int
    files: int  # Nix files read
    seen: Seen | None = None  # how much of the configuration homeward could read

    @property
    def errors(self) -> int:
        return sum(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity is Severity.WARNING for d in self.diagnostics)


@dataclass(frozen=True, slots=True)
class Seen:
    """How much `check` saw (docs/architecture.md, rule 9: partial knowledge is normal, and said)."""

    hosts: int  # NixOS hosts read
    others: int  # hosts of other kinds (nix-darwin)
    homes: int  # homeConfigurations entries read
    users: int
    files: int
    opaque: int  # modules homeward could not look into
    skipped: int  # hosts skipped: a file of theirs cannot be read
    unresolved: int = 0  # outputs or imports homeward could not compute
    unresolved_outputs: int = 0  # of which outputs (hosts, their arguments), not imports
    through: str = ""  # the framework that builds the hosts, when one does ("flake-parts")

    def text(self) -> str:
        """The first line of `check`'s text output: how much it read (issue 11)."""

        def n(count: int, word: str) -> str:
            return f"{count} {word}" + ("" if count == 1 else "s")

        parts = [n(self.hosts, "host")]
        if self.others:
            parts.append(n(self.others, "nix-darwin host"))
        parts += [n(self.homes, "home"), n(self.users, "user"), n(self.files, "file")]
        text = "read " + ", ".join(parts)
        if self.through:
            text += f" (built with {self.through})"
        if self.skipped:
            text += f"; {n(self.skipped, 'host')} skipped"
        if self.unresolved_outputs:
            text += f"; {n(self.unresolved_outputs, 'output')} not resolved"
        text += f"; {n(self.opaque, 'opaque module')}" if self.opaque else "; nothing opaque"
        return text


CLASSES: dict[str, type] = {
    c.__name__: c for c in (CheckResult, Seen, Diagnostic, Severity, Location)
}
"""The types a kept result is made of (`cache.from_data`)."""
