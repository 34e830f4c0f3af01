"""`homeward completions bash|zsh|fish`: the shell completion script, from the parser itself."""

from __future__ import annotations

from dataclasses import dataclass

from homeward.errors import Exit


@dataclass(frozen=True, slots=True)
class Options:
    shell: str


def run(opts: Options) -> int:
    from homeward.cli import build_parser
    from homeward.render.console import out
    from homeward.render.shell import Shell, completion_script

    out(completion_script(build_parser(), Shell(opts.shell)))
    return int(Exit.OK)
