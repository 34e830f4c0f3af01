"""`homeward man`: the man page (roff), from the parser itself; `man -l <(homeward man)`."""

from __future__ import annotations

from dataclasses import dataclass

from homeward.errors import Exit


@dataclass(frozen=True, slots=True)
class Options:
    pass


def run(opts: Options) -> int:
    from homeward.cli import EXIT_CODES, build_parser
    from homeward.render.console import out
    from homeward.render.shell import man_page

    del opts
    out(man_page(build_parser(), EXIT_CODES))
    return int(Exit.OK)
