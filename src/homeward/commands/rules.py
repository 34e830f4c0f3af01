"""`homeward rules`: list the rules of `check` (code, severity, what fixes it, summary)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from homeward.errors import Exit


@dataclass(frozen=True, slots=True)
class Options:
    json: bool = False


def run(opts: Options) -> int:
    from homeward.lint.explain import rule_infos

    infos = rule_infos()
    if opts.json:
        from homeward.render.console import print_json

        rows = [{k: v for k, v in asdict(i).items() if k != "text"} for i in infos]
        print_json("rules", {"rules": rows})
        return int(Exit.OK)
    from homeward.render.console import table

    table(
        ("code", "severity", "fixed by", "rule"),
        [(i.code, i.severity, i.fixable or "-", i.summary) for i in infos],
    )
    return int(Exit.OK)
