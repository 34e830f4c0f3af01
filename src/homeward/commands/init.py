"""`homeward init`: scaffold the layout in a directory; refuses to overwrite anything.

The files come from `plan/init.py` and are written by the one apply driver, which validates
every one (tree-sitter, and `nix-instantiate --parse` when nix is installed) before writing
any. `--dry-run` prints the table and the files as a diff and writes nothing.
"""

from __future__ import annotations

import os
import shlex
import socket
from dataclasses import dataclass
from pathlib import Path

from homeward.apply import git
from homeward.apply.transaction import recover, session
from homeward.apply.write import compute_changes, unified_diff, validate_changes
from homeward.errors import HomewardError, UsageError
from homeward.knowledge.releases import EOL_RELEASES, release_problem
from homeward.plan.init import (
    RELEASE,
    InitSpec,
    host_problem,
    is_darwin,
    plan_init,
    system_problem,
    user_problem,
)
from homeward.plan.types import Plan
from homeward.render import console
from homeward.syntax.parse import parse_source


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    user: str | None = None
    host: str | None = None
    system: str = "x86_64-linux"
    hardware_config: Path | None = None
    release: str | None = None
    dry_run: bool = False
    json: bool = False


def default_user() -> str | None:
    return os.environ.get("USER") or None


def default_host() -> str:
    """This machine's short host name (`desk` of `desk.example.org`)."""
    return socket.gethostname().split(".", 1)[0]


def resolve_spec(opts: Options) -> InitSpec:
    """The user, host and platform to scaffold for; usage errors for names that cannot be."""
    user = opts.user if opts.user is not None else default_user()
    if not user:
        raise UsageError("cannot tell the user: $USER is not set", hint="pass --user NAME")
    problem = user_problem(user)
    if problem:
        hint = "pass --user NAME" if opts.user is None else None
        raise UsageError(problem, hint=hint)
    host = opts.host if opts.host is not None else default_host()
    problem = host_problem(host)
    if problem:
        raise UsageError(problem, hint="pass --host NAME" if opts.host is None else None)
    problem = system_problem(opts.system)
    if problem:
        raise UsageError(problem)
    release = opts.release or RELEASE
    problem = release_problem(release)
    if problem:
        raise UsageError(problem, hint=f"pass --release {RELEASE} (the newest, supported)")
    hardware = read_hardware_config(opts.hardware_config) if opts.hardware_config else None
    return InitSpec(user=user, host=host, system=opts.system, hardware=hardware, release=release)


def read_hardware_config(path: Path) -> bytes:
    """The bytes of the user's hardware-configuration.nix, checked to be Nix."""
    if not path.is_file():
        raise UsageError(
            f"--hardware-config `{path}` is not a file",
            hint="generate it with `nixos-generate-config --show-hardware-config > FILE`",
        )
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise HomewardError(f"cannot read `{path}`: {exc.strerror or exc}") from None
    parse_source(text, path).check()
    from homeward.nix.run import nix_available, parse_check

    if nix_available():
        error = parse_check(text.decode(), path)
        if error is not None:
            raise HomewardError(error.message, at=error.at, hint="fix the file and run again")
    return text


def refuse_existing(root: Path, plan: Plan) -> None:
    """Refuse before anything is written, naming the files in the way (the first three)."""
    existing = [
        str(f.path)
        for f in plan.new_files
        if (root / f.path).exists() or (root / f.path).is_symlink()
    ]
    if existing:
        shown = ", ".join(f"`{p}`" for p in existing[:3])
        if len(existing) > 3:
            shown += f" and {len(existing) - 3} more of the files it would write"
        raise HomewardError(
            f"{_dir_name(root)} already has {shown}; homeward init does not overwrite files",
            hint="run it in an empty directory, or use `homeward migrate` on an existing "
            "configuration",
        )


def _dir_name(root: Path) -> str:
    try:
        rel = root.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return f"`{root}`"
    return "this directory" if str(rel) == "." else f"`{rel}`"


def run(opts: Options) -> int:
    spec = resolve_spec(opts)
    plan = plan_init(spec)
    root = opts.dir
    if root.exists() and not root.is_dir():
        raise UsageError(f"`{root}` exists and is not a directory")
    # An interrupted init here is rolled back first, as by any command: what it left is not
    # the user's to protect.
    recover(root)
    refuse_existing(root, plan)
    rows = [[str(f.path), f.why] for f in plan.new_files]
    if opts.dry_run:
        changes = compute_changes(root.resolve(), plan)
        validate_changes(changes)
        if opts.json:
            _report(plan, applied=False)
            return 0
        console.table(["file", "what"], rows, title=f"homeward init would create (in {root}):")
        console.out("")
        console.diff(unified_diff(changes))
        console.out("dry run: nothing was written")
        return 0
    with session(root, "init", allow_dirty=True) as s:
        # A new directory is made by the write itself, journalled, and removed on rollback.
        s.apply(s.prepare(plan))
    if opts.json:
        _report(plan, applied=True)
        return 0
    console.table(["file", "what"], rows, title=f"created in {root}:")
    if spec.release in EOL_RELEASES:
        console.err(
            f"homeward: warning: NixOS {spec.release} is past its end of life; "
            f"{RELEASE} is supported"
        )
    console.out("")
    console.out(next_steps(root, spec))
    return 0


def _report(plan: Plan, *, applied: bool) -> None:
    console.print_json(
        "init",
        {
            "applied": applied,
            "files": [{"path": str(f.path), "change": "new"} for f in plan.new_files],
        },
    )


def next_steps(root: Path, spec: InitSpec) -> str:
    """What to do next, as commands to copy, each group with a comment saying why."""
    u, h = spec.user, spec.host
    steps: list[tuple[str, list[str]]] = []
    if root.resolve() != Path.cwd().resolve():
        steps.append(("", [f"cd {shlex.quote(str(root))}"]))
    darwin = is_darwin(spec)
    if spec.hardware is None and not darwin:
        steps.append(
            (
                (
                    f"on {h} itself: replace the placeholder, then pick a boot loader in "
                    f"hosts/{h}/default.nix"
                ),
                [
                    (
                        "nixos-generate-config --show-hardware-config"
                        f" > hosts/{h}/hardware-configuration.nix"
                    )
                ],
            )
        )
    in_git = git.available() and git.toplevel(root) is not None
    commands = ["git add -A"] if in_git else ["git init", "git add -A"]
    steps.append(("flakes only see files git tracks", commands))
    steps.append(("pin nixpkgs and home-manager (needs the network)", ["nix flake lock"]))
    rebuild = "darwin-rebuild" if darwin else "nixos-rebuild"
    steps.append(
        (f"build and switch {h}, with {u}'s home", [f"sudo {rebuild} switch --flake .#{h}"])
    )
    steps.append(
        (
            "optional, standalone: apply changes under home/ without a system rebuild",
            [f"home-manager switch --flake .#{u}@{h}"],
        )
    )
    lines = ["next steps:"]
    for why, commands in steps:
        if why:
            lines.append(f"  # {why}")
        lines.extend(f"  {cmd}" for cmd in commands)
    return "\n".join(lines)
