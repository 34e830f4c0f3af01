"""`homeward switch`: run (or print) the two rebuild commands of the layout.

`nixos-rebuild switch --flake DIR#HOST` (through sudo when not root) and
`home-manager switch --flake DIR#USER@HOST -b EXT`, or `nh os switch` / `nh home switch` with
`--nh` when nh is installed. Which outputs exist is read from the flake statically (the repo
model), so a missing host or `USER@HOST` is refused before anything runs; no nix is needed.

`-b EXT`: home-manager stops when a file it would write already exists (HM-FACTS pitfall 1);
the standalone command gets the extension the flake gives `home-manager.backupFileExtension`
for the NixOS module, or `hm-backup`.
"""

from __future__ import annotations

import os
import shlex
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from homeward import proc
from homeward.errors import HomewardError, UsageError
from homeward.model.repo import Repo, load_repo
from homeward.render import console
from homeward.syntax.nodes import string_value

DEFAULT_BACKUP_EXTENSION = "hm-backup"


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    host: str | None = None
    user: str | None = None
    dry_run: bool = False
    system_only: bool = False
    home_only: bool = False
    nh: bool = False


@dataclass(frozen=True, slots=True)
class Step:
    what: str  # shown before it runs
    argv: tuple[str, ...]


def is_root() -> bool:
    return os.geteuid() == 0


def hostname() -> str:
    return socket.gethostname()


def current_user() -> str | None:
    return os.environ.get("USER") or os.environ.get("LOGNAME")


def pick_host(repo: Repo, wanted: str | None) -> str:
    """--host, or this machine's name (its short form when the flake uses that)."""
    if wanted:
        return wanted
    full = hostname()
    short = full.split(".")[0]
    if full in repo.hosts or any(h.endswith(f"@{full}") for h in repo.homes):
        return full
    return short


def backup_extension(repo: Repo, host: str) -> str:
    """`home-manager.backupFileExtension` as the flake writes it for `host` (a string literal)."""
    hosts = [host] if host in repo.hosts else sorted(repo.hosts)
    for name in hosts:
        for _info, d in repo.definitions(name):
            if d.path == ("home-manager", "backupFileExtension"):
                value = string_value(d.value, d.source.text)
                if value:
                    return value
    return DEFAULT_BACKUP_EXTENSION


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def _unresolved_note(repo: Repo) -> str:
    if not repo.problems:
        return ""
    return f"; homeward could not read every output: {repo.problems[0].message}"


def plan(opts: Options, repo: Repo) -> list[Step]:
    host = pick_host(repo, opts.host)
    root = str(repo.root)
    steps: list[Step] = []
    use_nh = opts.nh and proc.which("nh") is not None
    if opts.nh and not use_nh:
        console.err("homeward: `nh` is not installed; using nixos-rebuild and home-manager")

    if not opts.home_only:
        if host not in repo.hosts:
            raise UsageError(
                f"the flake has no `nixosConfigurations.{host}`",
                hint=f"pass --host; hosts in this flake: {_names(sorted(repo.hosts))}"
                + _unresolved_note(repo),
            )
        if use_nh:
            argv: list[str] = ["nh", "os", "switch", root, "--hostname", host]
        else:
            argv = ["nixos-rebuild", "switch", "--flake", f"{root}#{host}"]
            if not is_root():
                argv = ["sudo", *argv]
        steps.append(Step(f"NixOS configuration `{host}`", tuple(argv)))

    if not opts.system_only:
        user = opts.user or current_user()
        if not user:
            raise UsageError("cannot tell which user to switch", hint="pass --user")
        name = f"{user}@{host}"
        if name not in repo.homes:
            raise UsageError(
                f'the flake has no `homeConfigurations."{name}"`',
                hint="pass --user/--host, or --system-only when home-manager runs as a NixOS "
                f"module; home configurations in this flake: {_names(sorted(repo.homes))}"
                + _unresolved_note(repo),
            )
        ext = backup_extension(repo, host)
        if use_nh:
            argv = ["nh", "home", "switch", root, "--configuration", name]
            argv += ["--backup-extension", ext]
        else:
            argv = ["home-manager", "switch", "--flake", f"{root}#{name}", "-b", ext]
        steps.append(Step(f"home configuration `{name}`", tuple(argv)))
    return steps


def run(opts: Options) -> int:
    repo = load_repo(opts.dir)
    steps = plan(opts, repo)
    if opts.dry_run:
        for step in steps:
            console.out(shlex.join(step.argv))
        return 0
    for step in steps:
        program = step.argv[0]
        if proc.which(program) is None:
            raise HomewardError(
                f"`{program}` is not installed, so the {step.what} cannot be switched",
                hint="install it, or run `homeward switch --dry-run` to see the commands",
            )
    for step in steps:
        console.err(f"homeward: switching the {step.what}: {shlex.join(step.argv)}")
        sys.stderr.flush()
        p = proc.run(step.argv, cwd=repo.root, capture=False, timeout=24 * 3600)
        if p.returncode:
            # A program that never ran has no output above: proc says why in `stderr`.
            why = f": {p.stderr}" if p.stderr else ""
            raise HomewardError(
                f"`{shlex.join(step.argv)}` failed (exit {p.returncode}){why}",
                hint="its output above says why; nothing after it was run",
            )
    return 0
