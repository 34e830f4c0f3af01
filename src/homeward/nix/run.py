"""Building and running nix command lines; every nix call goes through `run_nix`."""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

from homeward import proc
from homeward.errors import Location, NixError

FEATURES = ("--extra-experimental-features", "nix-command flakes")
TIMEOUT = 600.0


@cache
def nix_program(name: str = "nix") -> str | None:
    return proc.which(name)


def nix_available() -> bool:
    return nix_program("nix") is not None and nix_program("nix-instantiate") is not None


def require(name: str = "nix") -> str:
    found = nix_program(name)
    if found is None:
        raise NixError(
            f"`{name}` is not installed",
            hint="install nix (on Debian: `apt-get install nix-bin`) and run again",
        )
    return found


def run_nix(args: Sequence[str], *, cwd: Path | None = None, stdin: str | None = None) -> str:
    """`nix --extra-experimental-features 'nix-command flakes' ARGS`; stdout, or NixError."""
    argv = [require("nix"), *FEATURES, *args]
    p = proc.run(argv, cwd=cwd, stdin=stdin, timeout=TIMEOUT, env=_env())
    if p.returncode:
        raise NixError(
            f"nix failed (exit {p.returncode})", argv=argv, stderr=proc.tail(p.stderr, 20)
        )
    return p.stdout


def run_instantiate(
    args: Sequence[str], *, cwd: Path | None = None, stdin: str | None = None
) -> proc.Completed:
    argv = [require("nix-instantiate"), *args]
    return proc.run(argv, cwd=cwd, stdin=stdin, timeout=TIMEOUT, env=_env())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Never reach for the network from homeward's own evaluations.
    env.setdefault("NIX_CONFIG", "")
    return env


def error_line(stderr: str) -> str:
    """Nix's own error line: the first that starts with `error:` (nix prints warnings first, such
    as "the group 'nixbld' specified in 'build-users-group' does not exist"); else the first
    line that is not a warning."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("error:"):
            return line
    return next(
        (line for line in lines if not line.startswith("warning:")), lines[0] if lines else ""
    )


_STDIN_AT = re.compile(r"at «stdin»:(\d+):(\d+)")


def parse_check(text: str, shown_as: Path) -> NixError | None:
    """Ask `nix-instantiate --parse` whether `text` is Nix; the error, located, or None."""
    p = run_instantiate(["--parse", "-"], stdin=text)
    if p.ok:
        return None
    first = error_line(p.stderr)
    match = _STDIN_AT.search(p.stderr)
    at = Location(shown_as, int(match[1]), int(match[2])) if match else None
    message = _STDIN_AT.sub("", first).removeprefix("error:").strip().rstrip(",")
    return NixError(f"nix-instantiate rejects the text: {message}", at=at)


def parse_check_many(texts: dict[Path, str]) -> NixError | None:
    """`nix-instantiate --parse` over many texts in one process, through stdin: one list
    expression holding every text in parentheses (no temporary tree: on a slow disk, writing
    and removing one cost more than the parse). When the whole is rejected, each text alone,
    to name the file and the line: the first error, or None."""
    if not texts:
        return None
    whole = "[\n" + "".join(f"(\n{text}\n)\n" for text in texts.values()) + "]\n"
    if run_instantiate(["--parse", "-"], stdin=whole).ok:
        return None
    for shown_as, text in texts.items():
        error = parse_check(text, shown_as)
        if error is not None:
            return error
    return NixError("nix-instantiate rejects the new texts taken together")


def start_parse_check_many(texts: dict[Path, str]) -> Callable[[], NixError | None]:
    """`parse_check_many` in the background (nix runs while the caller does other checks);
    the function returned waits for its answer (and raises what it raised)."""
    answer: list[NixError | None] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            answer.append(parse_check_many(texts))
        except BaseException as e:  # noqa: BLE001 (handed to the caller by `wait`)
            failure.append(e)

    thread = threading.Thread(target=work, name="nix-parse", daemon=True)
    thread.start()

    def wait() -> NixError | None:
        thread.join()
        if failure:
            raise failure[0]
        return answer[0]

    return wait
