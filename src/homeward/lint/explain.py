"""The text of a rule, for `homeward rule CODE` and `homeward rules`: its section of
docs/rules.md (shipped as package data), or the registry's summary when the section is missing."""

from __future__ import annotations

import re
from dataclasses import dataclass

from homeward import REPOSITORY
from homeward.lint.fixable import FIXES, Safety
from homeward.lint.rules import RULES

DOCS_URL = f"{REPOSITORY}/blob/main/docs/rules.md"
"""Where docs/rules.md is read online (SARIF `helpUri`): the anchor of a rule is its code."""

_SECTION = re.compile(r"^## (HW\d{3})\s*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class RuleInfo:
    code: str
    name: str
    severity: str
    summary: str
    fixable: str  # "migrate", "check --fix", "check --fix --unsafe-fixes", "" (by hand)
    url: str
    text: str  # the section of docs/rules.md, without its heading


def help_uri(code: str) -> str:
    return f"{DOCS_URL}#{code.lower()}"


def _sections() -> dict[str, str]:
    # Why here: importlib.resources imports tempfile and `random` (0.9 MiB, 4 ms), and `check`
    # imports this module for `help_uri` only.
    from importlib import resources

    try:
        doc = (
            resources.files("homeward.knowledge.data")
            .joinpath("rules.md")
            .read_text(encoding="utf-8")
        )
    except (FileNotFoundError, OSError):
        return {}
    heads = list(_SECTION.finditer(doc))
    found: dict[str, str] = {}
    for n, head in enumerate(heads):
        end = heads[n + 1].start() if n + 1 < len(heads) else len(doc)
        found[head.group(1)] = doc[head.end() : end].strip()
    return found


def _fixed_by(code: str, by_migrate: bool) -> str:
    if by_migrate:
        return "migrate"
    if code in FIXES:
        return "check --fix" if FIXES[code] is Safety.SAFE else "check --fix --unsafe-fixes"
    return ""


def rule_infos() -> list[RuleInfo]:
    sections = _sections()
    return [
        RuleInfo(
            code=r.code,
            name=r.name,
            severity=str(r.severity),
            summary=r.summary,
            fixable=_fixed_by(r.code, r.fixable),
            url=help_uri(r.code),
            text=sections.get(r.code, f"**{r.severity}** — {r.summary}\n\nhint: {r.hint}"),
        )
        for r in RULES.values()
    ]
