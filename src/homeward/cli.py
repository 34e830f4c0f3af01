"""Command line: argparse, dispatch to `commands/<name>.py`, exceptions -> exit codes.

Nothing heavy is imported here: each command module is imported only when it runs, so that
`homeward --help` starts fast and imports no third-party module.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import importlib
import io
import signal
import stat
import sys
import threading
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from homeward import __version__
from homeward.errors import Exit, HomewardError, InternalError, Location, Terminated
from homeward.render.console import COLOR_MODES, error, set_color_mode
from homeward.render.source import with_excerpt

COMMANDS = {
    "init": "scaffold the home-manager layout in a directory; refuses to overwrite",
    "migrate": "move an existing flake configuration into the home-manager layout",
    "check": "lint the separation of system and user configuration",
    "graph": "draw the module import graph (System vs User configuration)",
    "verify": "prove with the real nix that nothing was lost between two revisions",
    "switch": "run (or print) the nixos-rebuild and home-manager switch commands",
    "add": "grow the layout: add a feature, a host or a user",
    "rule": "explain a rule of `check` (from docs/rules.md)",
    "rules": "list the rules of `check`",
    "completions": "print the shell completion script for bash, zsh or fish",
    "man": "print the man page (roff)",
    "undo": "put back the state before the last migrate, add, init or check --fix",
}

EXIT_CODES = (
    (0, "done, or nothing to do"),
    (1, "findings of error severity, a pending migration (--check), or verify found a difference"),
    (2, "usage: bad flags, unknown host or user, an invalid name"),
    (3, "nothing was changed: the input or the situation does not allow it"),
    (4, "a homeward bug; nothing is left half-done"),
    (5, "interrupted or failed and the rollback could not finish; the next run restores"),
    (130, "interrupted (SIGINT) after a complete rollback"),
)
"""The exit codes every command shares (README), for the man page."""


def _dir(
    parser: argparse.ArgumentParser,
    help: str = "the directory holding flake.nix, or one below it (default: the current directory)",
) -> None:
    parser.add_argument("dir", nargs="?", type=Path, default=Path("."), metavar="DIR", help=help)


def _json(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--json", action="store_true", help=f"print {what} as JSON (a versioned envelope)"
    )


def _no_cache(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help=f"read the configuration afresh: neither use nor keep {what} of an earlier run "
        "(also HOMEWARD_NO_CACHE=1). The cache is in the git dir (.git/homeward/cache), "
        "outside git in $XDG_CACHE_HOME/homeward; a change to any file of the configuration, "
        "to an option or to homeward makes it read again",
    )


def _common(parser: argparse.ArgumentParser, *, default: bool) -> None:
    """The flags every command takes; defaults only on the top-level parser."""
    parser.add_argument(
        "--debug",
        action="store_true",
        default=False if default else argparse.SUPPRESS,
        help="show tracebacks and the commands run",
    )
    parser.add_argument(
        "--color",
        choices=COLOR_MODES,
        default="auto" if default else argparse.SUPPRESS,
        help="colour the output: auto (a terminal, unless NO_COLOR is set; FORCE_COLOR forces "
        "it), always or never (default: auto)",
    )


def _init_arguments(p: argparse.ArgumentParser) -> None:
    _dir(p, "the directory to create the layout in (default: the current directory)")
    p.add_argument("--user", help="the user (default: $USER)")
    p.add_argument("--host", help="the host (default: this machine's hostname)")
    p.add_argument(
        "--system",
        default="x86_64-linux",
        help="the host's platform (default: x86_64-linux; aarch64-darwin: a Mac with nix-darwin)",
    )
    p.add_argument(
        "--release",
        metavar="YY.MM",
        help="the NixOS and home-manager release to pin (default: the newest stable "
        "homeward knows)",
    )
    p.add_argument(
        "--hardware-config",
        type=Path,
        metavar="FILE",
        help="copy this hardware-configuration.nix into hosts/HOST/",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="show what would be written, write nothing"
    )
    _json(p, "the files created (with --dry-run: that would be)")


def _migrate_arguments(p: argparse.ArgumentParser) -> None:
    _dir(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run", action="store_true", help="print the plan and a diff; write nothing"
    )
    mode.add_argument(
        "--check", action="store_true", help="exit 1 if a migration is pending, else 0"
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the result as JSON (what moved, which files changed); "
        "with --dry-run nothing is written",
    )
    p.add_argument("--allow-dirty", action="store_true", help="run even with uncommitted changes")
    # Defaults are None so that homeward.toml's [migrate] table can fill them in.
    p.add_argument(
        "--no-git",
        action="store_true",
        help="allow a configuration outside git (only homeward's journal can undo it then)",
    )
    p.add_argument(
        "--features",
        choices=("split", "none"),
        help="split user definitions into features/*.nix (default) or keep them in default.nix",
    )
    p.add_argument(
        "--mode",
        choices=("both", "module", "standalone"),
        help="wire home-manager as a NixOS module, standalone homeConfigurations, or both (default)",
    )
    p.add_argument(
        "--backup-extension",
        metavar="EXT",
        help="home-manager.backupFileExtension for files in the way (default: hm-backup)",
    )
    p.add_argument(
        "--adopt-dotfiles",
        metavar="DIR",
        type=Path,
        help="make the files of a stow-style tree in the repository home.file/xdg.configFile "
        "entries of --user (home/<user>/features/dotfiles.nix)",
    )
    p.add_argument("--user", metavar="USER", help="whose dotfiles --adopt-dotfiles adopts")
    p.add_argument(
        "--share",
        action="store_true",
        help="a feature file several users get with the same content goes once into "
        "home/modules/<feature>.nix, imported by each",
    )
    p.add_argument(
        "--out-of-store",
        metavar="CHECKOUT",
        help="with --adopt-dotfiles: link to the checkout at this absolute path "
        "(mkOutOfStoreSymlink; edits take effect at once) instead of the store copy",
    )
    _no_cache(p, "the plan printed by --dry-run or --check")


def _check_arguments(p: argparse.ArgumentParser) -> None:
    _dir(p)
    p.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="ignored (pre-commit passes changed files): the whole flake is always checked",
    )
    p.add_argument(
        "--format",
        choices=("text", "json", "sarif"),
        default="text",
        help="text (default), JSON (a versioned envelope) or SARIF 2.1.0 for code scanning",
    )
    p.add_argument(
        "--select", default="", metavar="CODES", help="only these rules (comma-separated)"
    )
    p.add_argument(
        "--ignore", default="", metavar="CODES", help="skip these rules (comma-separated)"
    )
    p.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when findings of error severity remain (report only)",
    )
    p.add_argument(
        "--fix",
        action="store_true",
        help="fix what can be fixed without changing any existing output (HW005)",
    )
    p.add_argument(
        "--unsafe-fixes",
        action="store_true",
        help="with --fix: also fixes that change what is built (HW006, HW007)",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="with --fix: print the diff; write nothing"
    )
    p.add_argument(
        "--allow-dirty", action="store_true", help="with --fix: run even with uncommitted changes"
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="what homeward cannot read (opaque modules, unresolved outputs, skipped hosts) "
        "is an error",
    )
    _no_cache(p, "the findings")


def _graph_arguments(p: argparse.ArgumentParser) -> None:
    _dir(p)
    p.add_argument(
        "--format",
        choices=("mermaid", "dot", "json"),
        default=None,
        help="the text written to stdout (default: mermaid); with -o, the extension chooses",
    )
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE; .svg and .png are rendered with Graphviz `dot`",
    )
    p.add_argument(
        "--host",
        metavar="HOSTS",
        help="only these hosts (comma-separated) and their USER@HOST homes",
    )
    p.add_argument(
        "--user",
        metavar="USERS",
        help="only these users' homes (comma-separated), with every host's system side",
    )
    p.add_argument(
        "--depth",
        type=int,
        metavar="N",
        help="at most N imports below each host or home (1: the modules it lists)",
    )
    p.add_argument(
        "--summary",
        action="store_true",
        help="one node per directory of module files instead of one per file",
    )
    _no_cache(p, "the graph")


def _verify_arguments(p: argparse.ArgumentParser) -> None:
    _dir(p)
    p.add_argument(
        "--against",
        default="HEAD",
        metavar="REV",
        help="the git revision to compare with (default: HEAD)",
    )
    p.add_argument(
        "--override-input",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "PATH"),
        help="passed to nix: use a local flake for an input (works offline)",
    )
    p.add_argument("--json", action="store_true", help="print the comparison as JSON")
    p.add_argument(
        "--host",
        help="compare this host only (its NixOS configuration and its USER@HOST homes); "
        "the result names what was not compared",
    )
    p.add_argument("--user", help="compare this user only, on every host (or on --host)")


def _switch_arguments(p: argparse.ArgumentParser) -> None:
    _dir(p)
    p.add_argument("--host", help="the host (default: this machine's hostname)")
    p.add_argument("--user", help="the user (default: $USER)")
    p.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    p.add_argument(
        "--action",
        choices=("switch", "boot", "test", "build"),
        default="switch",
        help="as nixos-rebuild: activate now and at boot (switch, default), at the next boot, "
        "now only (test), or only build",
    )
    only = p.add_mutually_exclusive_group()
    only.add_argument(
        "--home",
        "--home-only",
        dest="home",
        action="store_true",
        help="only the standalone `home-manager switch` for USER@HOST (without it, the host's "
        "rebuild activates the homes it wires; a user it does not wire gets the standalone "
        "switch too)",
    )
    only.add_argument(
        "--system-only",
        action="store_true",
        help="only the host's rebuild, even for a user the host does not wire",
    )
    p.add_argument(
        "--ask",
        action="store_true",
        help="show the closure difference (nvd, dix or nix store diff-closures) and ask before "
        "activating",
    )
    p.add_argument("--nh", action="store_true", help="use `nh os` / `nh home` when installed")
    _json(p, "the commands (and whether they ran); their own output goes to stderr")
    p.epilog = "arguments after `--` are passed to the rebuild commands (e.g. -- --show-trace)"


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "kind",
        choices=("feature", "host", "user"),
        help="a feature file under home/USER/features/, a host, or a user",
    )
    p.add_argument("name", metavar="NAME", help="the name of the feature, host or user")
    _dir(p)
    # Why: `add` took `--dir` before DIR became positional as for every other command.
    p.add_argument("--dir", dest="dir_flag", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--user", help="feature: whose (default: the only user); host: its users")
    p.add_argument(
        "--host", help="user: the hosts to put the user on (comma-separated; default: all)"
    )
    p.add_argument(
        "--system", default=None, help="host: its platform (default: as the other hosts)"
    )
    p.add_argument(
        "--mkhost",
        action="store_true",
        help="host: write one `mkHost` helper for every host instead of another copy of the call",
    )
    p.add_argument(
        "--dry-run", action="store_true", help="print the plan and a diff; write nothing"
    )
    _json(p, "the files changed (with --dry-run: that would be)")
    p.add_argument("--allow-dirty", action="store_true", help="run even with uncommitted changes")


_ARGUMENTS: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "init": _init_arguments,
    "migrate": _migrate_arguments,
    "check": _check_arguments,
    "graph": _graph_arguments,
    "verify": _verify_arguments,
    "switch": _switch_arguments,
    "add": _add_arguments,
}
"""The arguments of each command that takes `--debug` and `--color` too, in the order
`--help` lists them."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="homeward",
        description="Move a flake-based NixOS configuration to home-manager, exactly, and keep it healthy.",
        epilog="exit codes: 0 done, 1 findings or pending changes, 2 usage error, 3 nothing "
        "changed (input or situation refused), 4 homeward bug (rolled back), 5 rollback "
        "unfinished (the next run restores), 130/143 interrupted (rolled back)",
    )
    parser.add_argument("--version", action="version", version=f"homeward {__version__}")
    _common(parser, default=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    # Why: `--debug` and `--color` are accepted before and after the command, as ruff's and
    # nh's are; the subcommand's copy only overrides the top-level one when it is given.
    common = argparse.ArgumentParser(add_help=False)
    _common(common, default=False)

    for name, arguments in _ARGUMENTS.items():
        arguments(
            sub.add_parser(name, help=COMMANDS[name], description=COMMANDS[name], parents=[common])
        )

    p = sub.add_parser("rule", help=COMMANDS["rule"], description=COMMANDS["rule"])
    p.add_argument("code", metavar="CODE", help="the rule's code, e.g. HW003")
    p.add_argument("--json", action="store_true", help="print the rule as JSON")

    p = sub.add_parser("rules", help=COMMANDS["rules"], description=COMMANDS["rules"])
    p.add_argument("--json", action="store_true", help="print the rules as JSON")

    p = sub.add_parser(
        "completions", help=COMMANDS["completions"], description=COMMANDS["completions"]
    )
    p.add_argument(
        "shell", choices=("bash", "zsh", "fish"), metavar="SHELL", help="bash, zsh or fish"
    )

    p = sub.add_parser("man", help=COMMANDS["man"], description=COMMANDS["man"])

    p = sub.add_parser("undo", help=COMMANDS["undo"], description=COMMANDS["undo"])
    _dir(p)
    p.add_argument(
        "--dry-run", action="store_true", help="say what would be put back; change nothing"
    )
    return parser


def _options(module: object, ns: argparse.Namespace) -> object:
    options_type = module.Options  # type: ignore[attr-defined]
    names = {f.name for f in dataclasses.fields(options_type)}
    return options_type(**{k: v for k, v in vars(ns).items() if k in names})


EXCERPT_MAX_BYTES = 4 << 20


def _too_deep(directory: Path | None) -> int:
    """Exit 3 for input nested deeper than the walks follow, at the deepest place (issue 10:
    file:line:col, found again by an iterative walk)."""
    from homeward.commands.guard import deepest_in

    hint = "flatten the deepest attribute set or list (or bind parts of it with `let`)"
    found = None
    if directory is not None:
        root = _flake_root(directory)
        with contextlib.suppress(OSError, RecursionError):
            found = deepest_in(root)
    if found is None:
        error(
            "homeward: error: the configuration nests expressions deeper than homeward can "
            f"follow; nothing was changed\n  hint: {hint}"
        )
        return int(Exit.INPUT)
    exc = HomewardError(
        f"this expression nests {found.depth:,} levels deep, more than homeward can follow; "
        "nothing was changed",
        at=found.at,
        hint=hint,
    )
    error(with_excerpt(exc.render(), exc.at, _source_text(exc.at, root)))
    return int(Exit.INPUT)


def _flake_root(directory: Path) -> Path:
    """DIR, or the nearest directory above it holding `flake.nix` (as commands look upward)."""
    for candidate in (directory, *directory.resolve().parents):
        if (candidate / "flake.nix").is_file():
            return candidate
    return directory


def _source_text(at: Location | None, directory: Path | None) -> str | None:
    """The file an error points at, for the excerpt under the message; None if unreadable.

    A location is named as the user can open it, or relative to the flake's directory (DIR):
    the file under DIR comes first, so that a `flake.nix` in the cwd is not taken for DIR's.
    """
    if at is None:
        return None
    candidates = [at.path]
    if directory is not None and not at.path.is_absolute():
        candidates.insert(0, directory / at.path)
    for path in candidates:
        try:
            # Only a regular file of sane size: opening a FIFO the error is about would hang.
            if not stat.S_ISREG(path.stat().st_mode) or path.stat().st_size > EXCERPT_MAX_BYTES:
                continue
            return path.read_bytes().decode("utf-8", errors="replace")
        except OSError:
            continue
    return None


RECURSION_LIMIT = 10_000
READ_ONLY = ("check", "graph", "verify", "switch")
_SIGNALS = ("SIGTERM", "SIGHUP")


def _raise_terminated(signum: int, _frame: object) -> None:
    raise Terminated(signum)


def _install_signal_handlers() -> dict[int, object]:
    """SIGTERM and SIGHUP unwind like SIGINT (every rollback runs); the old handlers are
    returned to be put back (tests call main() in-process)."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, object] = {}
    for name in _SIGNALS:
        signum = getattr(signal, name)
        previous[signum] = signal.signal(signum, _raise_terminated)
    return previous


def _tolerant_streams() -> None:
    """Output a terminal or pipe cannot encode (`→` under PYTHONIOENCODING=ascii) is replaced,
    never a crash."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


def _silence_stdout() -> None:
    from homeward.commands.guard import discard_stdout

    discard_stdout()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = list(sys.argv[1:] if argv is None else argv)
    # Why: `homeward switch -- --show-trace` passes what follows `--` to the rebuild, as nh does.
    extra: tuple[str, ...] = ()
    if "--" in args:
        at = args.index("--")
        args, extra = args[:at], tuple(args[at + 1 :])
    try:
        ns, rest = parser.parse_known_args(args)
        # Why: argparse fills `add KIND NAME [DIR]` in one go, so in `add user bob --host desk
        # config` the DIR that follows an option is left over; take it as DIR, as the user meant.
        if len(rest) == 1 and not rest[0].startswith("-") and ns.command == "add":
            if ns.dir != Path("."):
                parser.error(f"unrecognized arguments: {rest[0]}")
            ns.dir, rest = Path(rest[0]), []
        if rest:
            parser.error(f"unrecognized arguments: {' '.join(rest)}")
        if extra and ns.command != "switch":
            parser.error(f"arguments after `--` are only for `switch`: {' '.join(extra)}")
    except SystemExit as exc:  # argparse: --help/--version exit 0, usage errors exit 2
        return int(exc.code or 0)
    ns.extra_args = extra
    if getattr(ns, "dir_flag", None) is not None:
        ns.dir = ns.dir_flag
    set_color_mode(ns.color)
    if ns.debug:
        import logging  # Why here: 0.45 MiB that only --debug uses (proc.py's debug lines)

        logging.basicConfig(level=logging.DEBUG, format="%(message)s")
    # What is alive now (imported modules, a caller's objects) needs no more garbage
    # collection passes: on a 20 MB file, scanning it again and again cost a second.
    gc.freeze()
    _tolerant_streams()
    # The walks that see nesting as deep as nix accepts (sets, lists, operator chains, `let`
    # chains, `++` lists) keep an explicit stack (tests/test_deep.py runs them at 1,000 frames).
    # The rest recurse (pure-Python frames, cheap since 3.11); this limit is their margin, and
    # deeper than it ends as exit 3 at the place (below).
    sys.setrecursionlimit(max(sys.getrecursionlimit(), RECURSION_LIMIT))
    previous = _install_signal_handlers()
    try:
        code = _dispatch(ns)
        sys.stdout.flush()
        return code
    finally:
        if argv is None:
            # The process ends with this command (`homeward`, `python -m homeward`): what it
            # read, partly in reference cycles, is left to the exit, which frees the memory
            # at once; a last pass over it (what was frozen or not) cost 0.25-0.3 s at 200
            # hosts, after `check` or `graph`.
            gc.freeze()
        else:
            gc.unfreeze()  # an in-process caller (the tests) collects its garbage as before
        for signum, handler in previous.items():
            signal.signal(signum, handler)  # type: ignore[arg-type]


def _dispatch(ns: argparse.Namespace) -> int:
    """Run the command; every way it can end becomes an exit code and at most a short message."""
    try:
        module = importlib.import_module(f"homeward.commands.{ns.command}")
        if ns.command in READ_ONLY and not getattr(ns, "fix", False):
            from homeward.commands.guard import reading

            # Recovered first, then read under the shared lock (`check --fix` takes the
            # writer's lock itself, from reading to writing).
            with reading(ns.dir):
                code: int = module.run(_options(module, ns))
        else:
            if ns.command in READ_ONLY:
                from homeward.commands.guard import recover

                recover(ns.dir)
            code = module.run(_options(module, ns))
        sys.stdout.flush()
        return code
    except HomewardError as exc:
        if ns.debug:
            raise
        directory = getattr(ns, "dir", None)
        # A text homeward generated is not on disk: its excerpt comes with the error.
        shown = exc.text if isinstance(exc, InternalError) else None
        text = shown if shown is not None else _source_text(exc.at, directory)
        error(with_excerpt(exc.render(), exc.at, text))
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("homeward: interrupted; nothing was left half-written", file=sys.stderr)
        return int(Exit.INTERRUPTED)
    except Terminated as exc:
        name = signal.Signals(exc.signum).name
        print(f"homeward: stopped by {name}; nothing was left half-written", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        _silence_stdout()
        return int(Exit.OK)
    except RecursionError:
        if ns.debug:
            traceback.print_exc()
        return _too_deep(getattr(ns, "dir", None))
    except OSError as exc:
        if exc.filename is None:  # writing the output itself failed (a full device)
            _silence_stdout()
            print(
                f"homeward: error: cannot write the output: {exc.strerror or exc}",
                file=sys.stderr,
            )
            return int(Exit.INPUT)
        if ns.debug:
            traceback.print_exc()
        where = f" `{exc.filename}`" if exc.filename else ""
        print(
            f"homeward: error: cannot use{where}: {exc.strerror or exc}; nothing was changed",
            file=sys.stderr,
        )
        return int(Exit.INPUT)
    except Exception as exc:  # noqa: BLE001 (the one place every unexpected error ends: exit 4)
        if ns.debug:
            traceback.print_exc()
        print(
            f"homeward: internal error: {type(exc).__name__}: {_first_line(exc)}; "
            "nothing was left half-written\n"
            "  hint: this is a homeward bug; please report it with the output of --debug "
            "(which shows the traceback)",
            file=sys.stderr,
        )
        return int(Exit.BUG)


def _first_line(exc: BaseException, width: int = 200) -> str:
    """The message's first line, cut between words with an ellipsis past `width` characters
    (`--debug` shows all of it, with the traceback)."""
    text = str(exc).strip()
    if not text:
        return "(no message)"
    line = text.splitlines()[0]
    if len(line) <= width:
        return line
    cut = line[: width + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > width // 2 else line[:width]
    return cut.rstrip(" ,;:") + " …"
