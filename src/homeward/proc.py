"""The one place homeward starts other programs (nix, git, dot, the rebuild commands)."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

LOGGER = "homeward"

DEFAULT_TIMEOUT = 600.0
# Exit codes of the results of programs that never ran or never finished (as a shell says them).
TIMED_OUT = 124
CANNOT_EXECUTE = 126
NOT_FOUND = 127


@dataclass(frozen=True, slots=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    raw: bytes = b""  # stdout as the program wrote it (an image from `dot`)

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def debug(message: str, *args: object) -> None:
    """`logging.getLogger("homeward").debug(message, *args)`, when logging is imported. Why
    not a module-level logger: importing logging costs every run 0.3 MiB, for debug lines
    that go nowhere unless something set logging up (`--debug`), which imports it first."""
    logging = sys.modules.get("logging")
    if logging is not None:
        logging.getLogger(LOGGER).debug(message, *args)


def which(program: str) -> str | None:
    return shutil.which(program)


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    stdin: str | bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    capture: bool = True,
    to_stderr: bool = False,
) -> Completed:
    """Run argv (a list, never a shell string) and return what it said; never raises on failure.

    `capture=False` lets the program talk to the terminal (for `switch`); `to_stderr` then sends
    its stdout to stderr, keeping stdout for homeward's own `--json`.
    """
    debug("$ %s", shlex.join(argv))
    data: bytes | None
    data = stdin.encode() if isinstance(stdin, str) else stdin
    try:
        p = subprocess.run(
            list(argv),
            cwd=cwd,
            input=data,
            env=dict(env) if env is not None else None,
            capture_output=capture,
            stdout=2 if to_stderr and not capture else None,  # fd 2: stderr, even when replaced
            check=False,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return Completed(tuple(argv), TIMED_OUT, "", f"`{argv[0]}` timed out after {timeout:g} s")
    except OSError as exc:  # no such program or directory, not executable: it never ran
        code = NOT_FOUND if isinstance(exc, FileNotFoundError) else CANNOT_EXECUTE
        what = exc.filename if exc.filename is not None else argv[0]
        return Completed(tuple(argv), code, "", f"cannot run `{argv[0]}`: {exc.strerror}: {what}")
    out = p.stdout.decode(errors="replace") if capture and p.stdout else ""
    err = p.stderr.decode(errors="replace") if capture and p.stderr else ""
    raw = p.stdout if capture and p.stdout else b""
    return Completed(tuple(argv), p.returncode, out, err, raw)


def environ(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with `extra` set."""
    return {**os.environ, **extra}


def tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])
