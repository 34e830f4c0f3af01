"""Shell completions (bash, zsh, fish) and the man page, generated from the argparse parser.

One source: `cli.build_parser()`. The generated files are kept in the repository
(`completions/`, `docs/homeward.1`; the Nix package installs them) and a test fails when they
differ from what this module writes, so a new flag cannot leave them behind. Pure: text out.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import assert_never

from homeward import __version__


class Shell(StrEnum):
    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


class ValueKind(StrEnum):
    NONE = "none"  # a flag: takes no value
    CHOICE = "choice"  # one of `choices`
    FILE = "file"
    DIR = "dir"
    FREE = "free"  # any word


@dataclass(frozen=True, slots=True)
class Arg:
    """One option or positional of a command, as completion needs it."""

    flags: tuple[str, ...]  # () for a positional
    help: str
    kind: ValueKind
    choices: tuple[str, ...] = ()
    metavar: str = ""
    repeat: bool = False  # `action="append"`: may be given more than once
    values: int = 1  # words an option consumes (`--override-input NAME PATH`: 2)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    help: str
    usage: str
    description: str
    args: tuple[Arg, ...]


def _rule_codes() -> tuple[str, ...]:
    from homeward.lint.rules import RULES

    return tuple(RULES)


def _metavar(action: argparse.Action) -> str:
    metavar = action.metavar
    if isinstance(metavar, tuple):
        return " ".join(metavar)
    return metavar or action.dest.upper()


def _arg(action: argparse.Action) -> Arg:
    flags = tuple(action.option_strings)
    help_text = (action.help or "").replace("%(default)s", str(action.default))
    repeat = isinstance(action, argparse._AppendAction)
    if action.nargs == 0:
        return Arg(flags, help_text, ValueKind.NONE, repeat=repeat)
    metavar = _metavar(action)
    values = action.nargs if isinstance(action.nargs, int) else 1
    if action.choices is not None:
        choices = tuple(str(c) for c in action.choices)
        return Arg(flags, help_text, ValueKind.CHOICE, choices, metavar, repeat, values)
    if metavar in ("CODE", "CODES"):  # rule codes: `rule CODE`, `--select CODES`
        return Arg(flags, help_text, ValueKind.CHOICE, _rule_codes(), metavar, repeat, values)
    if action.type is Path or metavar.endswith("PATH"):
        kind = ValueKind.DIR if metavar in ("DIR", "NAME PATH") else ValueKind.FILE
        return Arg(flags, help_text, kind, (), metavar, repeat, values)
    return Arg(flags, help_text, ValueKind.FREE, (), metavar, repeat, values)


def _subparsers(
    parser: argparse.ArgumentParser,
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    raise AssertionError("the parser has no commands")


def _args(parser: argparse.ArgumentParser) -> tuple[Arg, ...]:
    return tuple(
        _arg(a)
        for a in parser._actions
        if not isinstance(a, argparse._SubParsersAction | argparse._VersionAction)
        or a.option_strings
    )


def commands(parser: argparse.ArgumentParser) -> tuple[Command, ...]:
    sub = _subparsers(parser)
    helps = {c.dest: c.help or "" for c in sub._choices_actions}
    found = []
    for name, p in sub.choices.items():
        assert isinstance(p, argparse.ArgumentParser)
        usage = " ".join(p.format_usage().removeprefix("usage:").split())
        found.append(Command(name, helps.get(name, ""), usage, p.description or "", _args(p)))
    return tuple(found)


def top_options(parser: argparse.ArgumentParser) -> tuple[Arg, ...]:
    return tuple(a for a in _args(parser) if a.flags)


def completion_script(parser: argparse.ArgumentParser, shell: Shell) -> str:
    prog = parser.prog
    match shell:
        case Shell.BASH:
            return _bash(prog, top_options(parser), commands(parser))
        case Shell.ZSH:
            return _zsh(prog, top_options(parser), commands(parser))
        case Shell.FISH:
            return _fish(prog, top_options(parser), commands(parser))
        case _:
            assert_never(shell)


# bash ---------------------------------------------------------------------------------------


def _bash_words(args: Sequence[Arg]) -> str:
    return " ".join(f for a in args for f in a.flags)


def _bash_value(kind: ValueKind, choices: Sequence[str]) -> str:
    if kind is ValueKind.CHOICE:
        return f'COMPREPLY=($(compgen -W "{" ".join(choices)}" -- "$cur"))'
    if kind is ValueKind.DIR:
        return 'COMPREPLY=($(compgen -d -- "$cur"))'
    if kind is ValueKind.FILE:
        return 'COMPREPLY=($(compgen -f -- "$cur"))'
    return "COMPREPLY=()"


def _bash(prog: str, top: Sequence[Arg], cmds: Sequence[Command]) -> str:
    fn = f"_{prog}"
    lines = [
        f"# bash completion for {prog} (generated by `{prog} completions bash`; do not edit)",
        f"{fn}() {{",
        '  local cur="${COMP_WORDS[COMP_CWORD]}" prev="${COMP_WORDS[COMP_CWORD-1]}"',
        '  local cmd="" i',
        "  for ((i = 1; i < COMP_CWORD; i++)); do",
        '    case "${COMP_WORDS[i]}" in',
        "      -*) ;;",
        '      *) cmd="${COMP_WORDS[i]}"; break ;;',
        "    esac",
        "  done",
        '  case "$cmd" in',
        '    "")',
        (
            f'      COMPREPLY=($(compgen -W "{" ".join(c.name for c in cmds)} {_bash_words(top)}" '
            '-- "$cur"))'
        ),
        "      ;;",
    ]
    for c in cmds:
        options = [a for a in c.args if a.flags]
        positionals = [a for a in c.args if not a.flags]
        lines.append(f"    {c.name})")
        valued = [a for a in options if a.kind is not ValueKind.NONE]
        if valued:
            lines.append('      case "$prev" in')
            for a in valued:
                lines.append(f"        {'|'.join(a.flags)})")
                lines.append(f"          {_bash_value(a.kind, a.choices)}")
                lines.append("          return ;;")
            lines.append("      esac")
        lines.append('      if [[ "$cur" == -* ]]; then')
        lines.append(f'        COMPREPLY=($(compgen -W "{_bash_words(options)}" -- "$cur"))')
        if positionals:
            first = positionals[0]
            lines.append("      else")
            lines.append(f"        {_bash_value(first.kind, first.choices)}")
        lines.append("      fi")
        lines.append("      ;;")
    lines += ["  esac", "}", f"complete -o default -F {fn} {prog}", ""]
    return "\n".join(lines)


# zsh ----------------------------------------------------------------------------------------


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _zsh_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]").replace(":", "\\:")


def _zsh_action(a: Arg) -> str:
    if a.kind is ValueKind.CHOICE:
        return "(" + " ".join(a.choices) + ")"
    if a.kind is ValueKind.DIR:
        return "_files -/"
    if a.kind is ValueKind.FILE:
        return "_files"
    return " "


def _zsh_spec(a: Arg) -> str:
    helptext = _zsh_help(a.help)
    if not a.flags:
        return _zsh_quote(f"::{a.metavar}:{_zsh_action(a)}")
    values = ""
    if a.kind is not ValueKind.NONE:
        names = a.metavar.split() if a.values > 1 else [a.metavar]
        actions = [" "] * (len(names) - 1) + [_zsh_action(a)]
        values = "".join(f":{name}:{action}" for name, action in zip(names, actions, strict=True))
    star = "*" if a.repeat else ""
    if len(a.flags) == 1:
        return _zsh_quote(f"{star}{a.flags[0]}[{helptext}]{values}")
    exclusive = "(" + " ".join(a.flags) + ")"
    braces = "{" + ",".join(a.flags) + "}"
    return _zsh_quote(exclusive) + braces + _zsh_quote(f"[{helptext}]{values}")


def _zsh(prog: str, top: Sequence[Arg], cmds: Sequence[Command]) -> str:
    fn = f"_{prog}"
    lines = [
        f"#compdef {prog}",
        f"# zsh completion for {prog} (generated by `{prog} completions zsh`; do not edit)",
        f"{fn}() {{",
        '  local curcontext="$curcontext" state line',
        "  typeset -A opt_args",
        "  _arguments -C \\",
    ]
    lines += [f"    {_zsh_spec(a)} \\" for a in top]
    lines += [
        "    '1:command:->command' \\",
        "    '*::arg:->args'",
        "  case $state in",
        "    command)",
        "      local -a commands",
        "      commands=(",
    ]
    lines += [f"        {_zsh_quote(c.name + ':' + c.help.replace(':', ' '))}" for c in cmds]
    lines += [
        "      )",
        f"      _describe -t commands '{prog} command' commands",
        "      ;;",
        "    args)",
        "      case $line[1] in",
    ]
    for c in cmds:
        lines.append(f"        {c.name})")
        specs = []
        for a in c.args:
            if a.flags:
                specs.append(_zsh_spec(a))
        for n, a in enumerate((a for a in c.args if not a.flags), start=1):
            action = _zsh_action(a)
            specs.append(_zsh_quote(f"{n}:{a.metavar}:{action}"))
        lines.append("          _arguments \\")
        lines += [f"            {s} \\" for s in specs[:-1]]
        lines.append(f"            {specs[-1]}")
        lines.append("          ;;")
    lines += ["      esac", "      ;;", "  esac", "}", f'{fn} "$@"', ""]
    return "\n".join(lines)


# fish ---------------------------------------------------------------------------------------


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _fish_lines(prog: str, condition: str, a: Arg) -> Iterator[str]:
    parts = [f"complete -c {prog} -n {_fish_quote(condition)}"]
    if a.flags:
        for flag in a.flags:
            parts.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
        if a.kind is ValueKind.CHOICE:
            parts.append(f"-x -a {_fish_quote(' '.join(a.choices))}")
        elif a.kind is ValueKind.DIR:
            parts.append("-x -a '(__fish_complete_directories)'")
        elif a.kind is ValueKind.FILE:
            parts.append("-r -F")
        elif a.kind is ValueKind.FREE:
            parts.append("-x")
    elif a.kind is ValueKind.CHOICE:
        parts.append(f"-a {_fish_quote(' '.join(a.choices))}")
    elif a.kind is ValueKind.DIR:
        parts.append("-a '(__fish_complete_directories)'")
    elif a.kind is ValueKind.FILE:
        parts.append("-F")
    else:
        return
    if a.help:
        parts.append(f"-d {_fish_quote(a.help)}")
    yield " ".join(parts)


def _fish(prog: str, top: Sequence[Arg], cmds: Sequence[Command]) -> str:
    lines = [
        f"# fish completion for {prog} (generated by `{prog} completions fish`; do not edit)",
        f"complete -c {prog} -f",
    ]
    for a in top:
        lines += _fish_lines(prog, "__fish_use_subcommand", a)
    for c in cmds:
        lines.append(
            f"complete -c {prog} -n __fish_use_subcommand -a {c.name} -d {_fish_quote(c.help)}"
        )
    for c in cmds:
        for a in c.args:
            lines += _fish_lines(prog, f"__fish_seen_subcommand_from {c.name}", a)
    lines.append("")
    return "\n".join(lines)


# man ----------------------------------------------------------------------------------------


def _roff(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\n".join(
        "\\&" + line if line.startswith((".", "'")) else line for line in text.split("\n")
    )


def _roff_flags(a: Arg) -> str:
    flags = ", ".join(f"\\fB{_roff(f)}\\fR" for f in a.flags)
    if a.kind is ValueKind.NONE:
        return flags
    if a.kind is ValueKind.CHOICE and len(a.choices) <= 6:
        return f"{flags} {{{_roff(','.join(a.choices))}}}"
    return f"{flags} \\fI{_roff(a.metavar)}\\fR"


def man_page(parser: argparse.ArgumentParser, exit_codes: Sequence[tuple[int, str]]) -> str:
    """The man page (roff, `man 7 man` macros); no date in it, so that builds reproduce."""
    prog = parser.prog
    lines = [
        f'.TH {prog.upper()} 1 "" "{prog} {__version__}" "User Commands"',
        ".SH NAME",
        f"{prog} \\- {_roff((parser.description or '').rstrip('.'))}",
        ".SH SYNOPSIS",
        f".B {prog}",
        _roff(" ".join(parser.format_usage().removeprefix("usage:").split()[1:])),
        ".SH OPTIONS",
    ]
    for a in top_options(parser):
        lines += [".TP", _roff_flags(a), _roff(a.help)]
    lines.append(".SH COMMANDS")
    for c in commands(parser):
        lines += [f".SS {c.name}", f".B {_roff(c.usage)}", ".PP", _roff(c.description or c.help)]
        for a in c.args:
            name = _roff_flags(a) if a.flags else f"\\fI{_roff(a.metavar)}\\fR"
            lines += [".TP", name, _roff(a.help)]
    lines.append(".SH EXIT STATUS")
    for code, meaning in exit_codes:
        lines += [".TP", f"\\fB{code}\\fR", _roff(meaning)]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fIhomeward.toml\\fR",
        _roff(
            "at the repository root: defaults for check and migrate "
            "(select, ignore, backup-extension, features)"
        ),
        ".TP",
        "\\fI.git/homeward/cache/\\fR",
        _roff(
            "what check, graph and migrate --dry-run/--check found, answered again while "
            "nothing it depends on changed (outside git: $XDG_CACHE_HOME/homeward/, "
            "~/.cache/homeward/ by default; $HOMEWARD_CACHE_DIR instead of either); "
            "--no-cache or HOMEWARD_NO_CACHE=1 go without it"
        ),
        ".SH SEE ALSO",
        _roff(
            "docs/rules.md (the rules of check, also `homeward rule CODE`), "
            "docs/integrations.md (nix run, nix flake check, pre-commit, CI)"
        ),
        "",
    ]
    return "\n".join(lines)
