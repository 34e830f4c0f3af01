"""`check`'s findings as text (colored on a terminal), JSON (the versioned envelope) or SARIF.

Paths are shown as the user named the directory (`examples/legacy/home/ham.nix`), so that
editors and CI annotations can open them from where `check` ran.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from homeward import __version__
from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import Location

if TYPE_CHECKING:
    from homeward.lint.result import CheckResult

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def place(d: Diagnostic, shown: Path) -> Location:
    """Where to show `d`: under the directory as the user named it; flake.nix when nowhere."""
    at = d.at or Location(Path("flake.nix"), 1, 1)
    return Location(at.path if at.path.is_absolute() else shown / at.path, at.line, at.col)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def summary(result: CheckResult) -> str:
    text = (
        f"{_plural(result.errors, 'error')}, {_plural(result.warnings, 'warning')}"
        if result.diagnostics
        else "no findings"
    )
    if result.suppressed:
        text += f" ({result.suppressed} suppressed)"
    return text


def text_lines(result: CheckResult, shown: Path) -> list[str]:
    """How much was read, the findings, the summary (issue 11: check says what it saw)."""
    lines: list[str] = []
    if result.seen is not None:
        lines.append(result.seen.text())
    for d in result.diagnostics:
        lines.append(f"{place(d, shown)}: {d.code} {d.severity}: {d.message}")
        if d.hint:
            lines.append(f"  hint: {d.hint}")
    lines.append(summary(result))
    return lines


def print_text(result: CheckResult, shown: Path) -> None:
    from homeward.render.console import out, rich_console

    console = rich_console()
    if console is None:
        for line in text_lines(result, shown):
            out(line)
        return
    from rich.text import Text

    if result.seen is not None:
        console.print(Text(result.seen.text(), style="dim"))
    for d in result.diagnostics:
        color = "red" if d.severity is Severity.ERROR else "yellow"
        console.print(
            Text.assemble(
                (f"{place(d, shown)}:", "bold"),
                " ",
                (f"{d.code} {d.severity}:", f"bold {color}"),
                f" {d.message}",
            )
        )
        if d.hint:
            console.print(Text(f"  hint: {d.hint}", style="dim"))
    style = "bold red" if result.errors else "bold yellow" if result.warnings else "bold green"
    console.print(Text(summary(result), style=style))


def json_payload(result: CheckResult, shown: Path) -> dict[str, Any]:
    findings = []
    for d in result.diagnostics:
        at = place(d, shown)
        findings.append(
            {
                "code": d.code,
                "severity": str(d.severity),
                "message": d.message,
                "hint": d.hint,
                "fixable": d.fixable,
                "path": at.path.as_posix(),
                "line": at.line,
                "col": at.col,
            }
        )
    return {
        "root": shown.as_posix(),
        "findings": findings,
        "summary": {
            "errors": result.errors,
            "warnings": result.warnings,
            "suppressed": result.suppressed,
            "files": result.files,
        },
        "seen": _seen(result),
    }


def _seen(result: CheckResult) -> dict[str, int | str]:
    seen = result.seen
    if seen is None:
        return {}
    return {
        "hosts": seen.hosts,
        "darwin_hosts": seen.others,
        "homes": seen.homes,
        "users": seen.users,
        "files": seen.files,
        "opaque_modules": seen.opaque,
        "skipped_hosts": seen.skipped,
        "unresolved": seen.unresolved,
        "unresolved_outputs": seen.unresolved_outputs,
        "built_with": seen.through,
    }


def _uri(path: Path) -> dict[str, str]:
    if path.is_absolute():
        return {"uri": path.as_uri()}
    from urllib.parse import quote  # Why here: SARIF only

    return {"uri": quote(path.as_posix()), "uriBaseId": "%SRCROOT%"}


def sarif_log(result: CheckResult, shown: Path) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run; every rule is described, results point at them."""
    # Why here: the rules' module reads the model's; the text and JSON of a cached run need
    # neither (homeward/apply/cache.py).
    from homeward.lint.explain import help_uri
    from homeward.lint.rules import FIXABLE, RULES

    index = {code: i for i, code in enumerate(RULES)}
    rules = [
        {
            "id": r.code,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "help": {"text": r.hint + (f" ({FIXABLE})" if r.fixable else "")},
            "helpUri": help_uri(r.code),
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
            "properties": {"fixable": r.fixable},
        }
        for r in RULES.values()
    ]
    results = []
    for d in result.diagnostics:
        at = place(d, shown)
        item: dict[str, Any] = {
            "ruleId": d.code,
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": _uri(at.path),
                        "region": {"startLine": at.line, "startColumn": at.col},
                    }
                }
            ],
        }
        if d.code in index:
            item["ruleIndex"] = index[d.code]
        if d.hint:
            item["properties"] = {"hint": d.hint}
        results.append(item)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "homeward",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": rules,
                    }
                },
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
