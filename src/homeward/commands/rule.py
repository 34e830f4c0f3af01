"""`homeward rule CODE`: explain one rule of `check` (its section of docs/rules.md)."""

from __future__ import annotations

from dataclasses import dataclass

from homeward.errors import Exit, UsageError


@dataclass(frozen=True, slots=True)
class Options:
    code: str
    json: bool = False


def run(opts: Options) -> int:
    from homeward.lint.explain import rule_infos

    infos = {i.code: i for i in rule_infos()}
    info = infos.get(opts.code.strip().upper())
    if info is None:
        raise UsageError(
            f"unknown rule `{opts.code}`",
            hint=f"the rules are {', '.join(infos)}; `homeward rules` lists them",
        )
    if opts.json:
        from dataclasses import asdict

        from homeward.render.console import print_json

        print_json("rule", asdict(info))
        return int(Exit.OK)
    from homeward.render.console import out

    out(f"# {info.code} ({info.name})")
    out()
    out(info.text)
    out(f"\n{info.url}")
    return int(Exit.OK)
