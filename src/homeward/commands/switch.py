"""`homeward switch`: run (or print) the host's rebuild, which activates the homes.

`nixos-rebuild ACTION --flake DIR#HOST` (through sudo when not root; ACTION switch, boot, test
or build); for a `darwinConfigurations` host, `darwin-rebuild ACTION --flake DIR#HOST` (current
nix-darwin activates as root, so through sudo too), which has switch and build but no boot or
test. Which one is the host's kind in the flake, not the machine homeward runs on. home-manager's NixOS module activates the homes the host wires, and re-activates its
generation at boot: a standalone `home-manager switch` after it would be double work and a
second, competing generation. So the standalone `home-manager switch --flake DIR#USER@HOST -b
EXT` runs only with --home, or for a user the host does not wire. Before activating on a
running NixOS system, the new system is built and compared with /run/current-system (nvd or
dix when installed, `nix store diff-closures` otherwise); --ask asks before activating. `--nh`
uses nh, which does both itself. Arguments after `--` are passed on. Which outputs exist is read
from the flake statically, so a missing host or `USER@HOST` is refused before anything runs.

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
from enum import StrEnum
from pathlib import Path

from homeward import proc
from homeward.errors import HomewardError, UsageError
from homeward.model.files import shown_root
from homeward.model.repo import Repo, load_repo
from homeward.render import console
from homeward.syntax.nodes import string_value

DEFAULT_BACKUP_EXTENSION = "hm-backup"
CURRENT_SYSTEM = "/run/current-system"  # the running NixOS system, compared before activating
NEW_SYSTEM = "NEW"  # stands for the store path the build step prints
NIX = ("nix", "--extra-experimental-features", "nix-command flakes")


class Action(StrEnum):
    """What the rebuild does, as `nixos-rebuild` names it."""

    SWITCH = "switch"  # build, activate now and at boot
    BOOT = "boot"  # build, activate at the next boot
    TEST = "test"  # build, activate now, not at boot
    BUILD = "build"  # build only


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    host: str | None = None
    user: str | None = None
    dry_run: bool = False
    system_only: bool = False
    home: bool = False
    action: str = Action.SWITCH.value
    ask: bool = False
    nh: bool = False
    json: bool = False
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Step:
    what: str  # shown before it runs
    argv: tuple[str, ...]
    kind: str = "activate"  # or "build" (the new system, for the closure diff), "diff"


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
    if (
        full in repo.hosts
        or darwin_host(repo, full)
        or any(h.endswith(f"@{full}") for h in repo.homes)
    ):
        return full
    return short


def darwin_host(repo: Repo, host: str) -> str | None:
    """`darwinConfigurations.<host>` when the flake has that nix-darwin host (and no NixOS host
    of the name), else None."""
    key = f"darwinConfigurations.{host}"
    return key if host not in repo.hosts and key in repo.others else None


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


def host_names(repo: Repo) -> list[str]:
    """The NixOS and nix-darwin hosts of the flake, by name."""
    darwin = [k.partition(".")[2] for k in repo.others if k.startswith("darwinConfigurations.")]
    return sorted({*repo.hosts, *darwin})


def _names(names: Sequence[str]) -> str:
    return ", ".join(f"`{n}`" for n in names) if names else "none"


def _unresolved_note(repo: Repo) -> str:
    if not repo.problems:
        return ""
    return f"; homeward could not read every output: {repo.problems[0].message}"


def wired_by_module(repo: Repo, host: str, user: str) -> bool:
    """Whether `host`'s NixOS or nix-darwin configuration activates `user`'s home (home-manager's
    module)."""
    from homeward.model.index import build_index

    key = darwin_host(repo, host) or host  # a Mac as the model names it
    return user in build_index(repo).hm_wired.get(key, {})


def closure_diff_tool() -> list[str]:
    """nvd or dix when installed (as nh does), else nix's own `store diff-closures`."""
    for tool in ("nvd", "dix"):
        path = proc.which(tool)
        if path is not None:
            return [tool, "diff"] if tool == "nvd" else [tool]
    return [*NIX, "store", "diff-closures"]


def flake_dir_ref(shown: Path) -> str:
    """The flake's directory as the user named it, written so that nix reads it as a path
    (`config` alone would be a registry name): the printed commands run from the cwd."""
    text = str(shown)
    if shown.is_absolute() or text in (".", "..") or text.startswith(("./", "../")):
        return text
    return f"./{text}"


def plan(opts: Options, repo: Repo) -> list[Step]:
    """The commands to run, in order: the host's rebuild (which activates the homes wired
    through home-manager's NixOS module), and the standalone `home-manager switch` only with
    --home or for a user the host does not wire (a second, competing generation otherwise)."""
    host = pick_host(repo, opts.host)
    action = Action(opts.action)
    root = flake_dir_ref(shown_root(opts.dir, repo.root))
    extra = tuple(opts.extra_args)
    steps: list[Step] = []
    use_nh = opts.nh and proc.which("nh") is not None
    if opts.nh and not use_nh:
        console.err("homeward: `nh` is not installed; using nixos-rebuild and home-manager")

    user = opts.user or current_user()
    name = f"{user}@{host}" if user else ""
    system = not opts.home
    darwin = darwin_host(repo, host) is not None
    if system and darwin and action in (Action.BOOT, Action.TEST):
        raise UsageError(
            f"`--action {action.value}`: `{host}` is a nix-darwin host, and darwin-rebuild has "
            "switch, build and check, no boot or test",
            hint="use `--action switch` or `--action build`",
        )
    if system and host not in repo.hosts and not darwin:
        if opts.host is None and name in repo.homes:
            system = False  # not a NixOS machine of this flake: its home is standalone
        else:
            raise UsageError(
                f"the flake has no `nixosConfigurations.{host}`",
                hint=f"pass --host; hosts in this flake: {_names(host_names(repo))}"
                + _unresolved_note(repo),
            )
    home = opts.home or (
        not system
        or (
            not opts.system_only
            and bool(user)
            and name in repo.homes
            and not wired_by_module(repo, host, user or "")
        )
    )

    if system:
        flake_ref = f"{root}#{host}"
        what = f"nix-darwin configuration `{host}`" if darwin else f"NixOS configuration `{host}`"
        if use_nh:
            argv: list[str] = ["nh", "darwin" if darwin else "os", action.value, root]
            argv += ["--hostname", host]
            if opts.ask:
                argv.append("--ask")
            steps.append(Step(what, (*argv, *extra)))
        elif darwin:
            argv = ["darwin-rebuild", action.value, "--flake", flake_ref]
            if action is not Action.BUILD and not is_root():
                argv = ["sudo", *argv]
            steps.append(Step(what, (*argv, *extra)))
        else:
            if action is not Action.BUILD and Path(CURRENT_SYSTEM).exists():
                toplevel = f"{root}#nixosConfigurations.{host}.config.system.build.toplevel"
                steps.append(
                    Step(
                        f"new system of `{host}`",
                        (*NIX, "build", "--no-link", "--print-out-paths", toplevel, *extra),
                        "build",
                    )
                )
                steps.append(
                    Step(
                        "closure difference",
                        (*closure_diff_tool(), CURRENT_SYSTEM, NEW_SYSTEM),
                        "diff",
                    )
                )
            argv = ["nixos-rebuild", action.value, "--flake", flake_ref]
            if action is not Action.BUILD and not is_root():
                argv = ["sudo", *argv]
            steps.append(Step(what, (*argv, *extra)))

    if home:
        if not user:
            raise UsageError("cannot tell which user to switch", hint="pass --user")
        if name not in repo.homes:
            raise UsageError(
                f'the flake has no `homeConfigurations."{name}"`',
                hint="pass --user/--host; without --home the host's rebuild activates the "
                f"homes; home configurations in this flake: {_names(sorted(repo.homes))}"
                + _unresolved_note(repo),
            )
        ext = backup_extension(repo, host)
        verb = "build" if action is Action.BUILD else "switch"
        if use_nh:
            argv = ["nh", "home", verb, root, "--configuration", name]
            argv += ["--backup-extension", ext]
        else:
            argv = ["home-manager", verb, "--flake", f"{root}#{name}", "-b", ext]
        steps.append(Step(f"home configuration `{name}`", (*argv, *extra)))
    return steps


def run(opts: Options) -> int:
    repo = load_repo(opts.dir)
    steps = plan(opts, repo)
    if opts.dry_run:
        if opts.json:
            _report(steps, ran=False)
        else:
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
    built = ""
    for step in steps:
        argv = tuple(built if a == NEW_SYSTEM else a for a in step.argv)
        if step.kind == "build":
            console.err(f"homeward: building the {step.what}: {shlex.join(argv)}")
            p = proc.run(argv, timeout=24 * 3600)
            if p.returncode or not p.stdout.strip():
                raise HomewardError(
                    f"`{shlex.join(argv)}` failed (exit {p.returncode}): {proc.tail(p.stderr, 5)}",
                    hint="nothing was activated",
                )
            built = p.stdout.strip().splitlines()[-1]
            continue
        if step.kind == "diff":
            console.err(f"homeward: what changes: {shlex.join(argv)}")
            sys.stderr.flush()
            proc.run(argv, capture=False, to_stderr=True)
            if opts.ask and not _confirm("activate it?"):
                console.err("homeward: nothing was activated")
                return 0
            continue
        console.err(f"homeward: switching the {step.what}: {shlex.join(argv)}")
        sys.stderr.flush()
        p = proc.run(argv, capture=False, to_stderr=opts.json, timeout=24 * 3600)
        if p.returncode:
            # A program that never ran has no output above: proc says why in `stderr`.
            why = f": {p.stderr}" if p.stderr else ""
            raise HomewardError(
                f"`{shlex.join(argv)}` failed (exit {p.returncode}){why}",
                hint="its output above says why; nothing after it was run",
            )
    if opts.json:
        _report(steps, ran=True)
    return 0


def _confirm(question: str) -> bool:
    """Ask on the terminal; no answer (end of input) is no."""
    sys.stderr.write(f"homeward: {question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline().strip().lower()
    return answer in ("y", "yes")


def _report(steps: list[Step], *, ran: bool) -> None:
    console.print_json(
        "switch",
        {
            "ran": ran,
            "steps": [{"what": s.what, "kind": s.kind, "argv": list(s.argv)} for s in steps],
        },
    )
