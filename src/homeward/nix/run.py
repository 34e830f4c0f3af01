"""Building and running nix command lines; every nix call goes through `run_nix`."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
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


_STDIN_AT = re.compile(r"at «stdin»:(\d+):(\d+)")


def parse_check(text: str, shown_as: Path) -> NixError | None:
    """Ask `nix-instantiate --parse` whether `text` is Nix; the error, located, or None."""
    p = run_instantiate(["--parse", "-"], stdin=text)
    if p.ok:
        return None
    first = next((line for line in p.stderr.splitlines() if line.strip()), "").strip()
    match = _STDIN_AT.search(p.stderr)
    at = Location(shown_as, int(match[1]), int(match[2])) if match else None
    message = _STDIN_AT.sub("", first).removeprefix("error:").strip().rstrip(",")
    return NixError(f"nix-instantiate rejects the text: {message}", at=at)


def parse_check_many(texts: dict[Path, str]) -> NixError | None:
    """`nix-instantiate --parse` over many texts in one process; the first error, located at
    the repo-relative path it names, or None."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="homeward-parse-") as tmp:
        root = Path(tmp)
        files = []
        for rel, text in texts.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
            files.append(str(target))
        p = run_instantiate(["--parse", *files])
        if p.ok:
            return None
        match = re.search(r"at (/[^:]+):(\d+):(\d+)", p.stderr)
        at = None
        if match:
            try:
                shown = Path(match[1]).relative_to(root)
            except ValueError:
                shown = Path(match[1])
            at = Location(shown, int(match[2]), int(match[3]))
        first = next((line for line in p.stderr.splitlines() if line.strip()), "").strip()
        message = first.removeprefix("error:").strip().rstrip(",")
        return NixError(f"nix-instantiate rejects the text: {message}", at=at)
