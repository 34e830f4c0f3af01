"""`homeward verify`: prove with the real nix that a change (typically a migration) lost nothing.

Both sides are evaluated by `nix eval` (`nix/ops.py`): the working tree, and a git revision
checked out with `git worktree add` into a temporary directory (removed afterwards). For every
host and user the package names and user settings are compared, through the NixOS module
wiring and through each standalone `homeConfigurations."<user>@<host>"`. When the revision has
no standalone output for that user and host, the standalone output is compared with the module
wiring of the revision: that is what a migration promises.

Exit 0 when everything is the same, 1 when a package or setting was lost, added or changed.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from homeward import proc
from homeward.errors import Exit, HomewardError, UsageError
from homeward.model.repo import find_flake
from homeward.nix import ops
from homeward.nix.run import require as require_nix
from homeward.render import console

HOME_MANAGER_CLI = "home-manager"


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    against: str = "HEAD"
    override_input: Sequence[Sequence[str]] = ()
    json: bool = False


# -- what is compared ------------------------------------------------------------------------
class Kind(StrEnum):
    MODULE = "module"  # nixosConfigurations.<host>: users.users and home-manager.users
    STANDALONE = "standalone"  # homeConfigurations."<user>@<host>" (with the host's NixOS side)


@dataclass(frozen=True, slots=True)
class View:
    """What one user gets on one side, one way."""

    label: str
    kind: Kind
    packages: frozenset[str]
    settings: Mapping[str, str]
    programs: frozenset[str] = frozenset()  # installed system-wide by NixOS programs.<p>


EMPTY = View("nothing", Kind.MODULE, frozenset(), {})


@dataclass(frozen=True, slots=True)
class PackageDiff:
    same: tuple[str, ...]
    added: tuple[str, ...]
    lost: tuple[str, ...]
    # Added or lost on the user's side, yet not a difference, and why.
    accounted: Mapping[str, str] = field(default_factory=dict)

    @property
    def differs(self) -> bool:
        return bool(self.added or self.lost)


@dataclass(frozen=True, slots=True)
class SettingsDiff:
    same: tuple[str, ...]
    added: Mapping[str, str]
    lost: Mapping[str, str]
    changed: Mapping[str, tuple[str, str]]  # key -> (before, after)

    @property
    def differs(self) -> bool:
        return bool(self.added or self.lost or self.changed)


@dataclass(frozen=True, slots=True)
class Comparison:
    output: str  # the working tree's side: `desk: ham` or `ham@desk (standalone)`
    baseline: str  # the revision's side it is compared with
    kind: Kind
    host: str | None
    user: str | None
    packages: PackageDiff
    settings: SettingsDiff

    @property
    def differs(self) -> bool:
        return self.packages.differs or self.settings.differs


@dataclass(frozen=True, slots=True)
class Report:
    against: str
    revision: str
    comparisons: tuple[Comparison, ...]

    @property
    def equal(self) -> bool:
        return not any(c.differs for c in self.comparisons)

    def to_json(self) -> dict[str, Any]:
        return {
            "against": self.against,
            "revision": self.revision,
            "equal": self.equal,
            "comparisons": [
                {
                    "output": c.output,
                    "baseline": c.baseline,
                    "kind": str(c.kind),
                    "host": c.host,
                    "user": c.user,
                    "differs": c.differs,
                    "packages": {
                        "same": list(c.packages.same),
                        "added": list(c.packages.added),
                        "lost": list(c.packages.lost),
                        "accounted": dict(c.packages.accounted),
                    },
                    "settings": {
                        "same": list(c.settings.same),
                        "added": dict(c.settings.added),
                        "lost": dict(c.settings.lost),
                        "changed": {
                            k: {"before": b, "after": a} for k, (b, a) in c.settings.changed.items()
                        },
                    },
                }
                for c in self.comparisons
            ],
        }


# -- comparing (pure) ------------------------------------------------------------------------
def split_home(name: str) -> tuple[str | None, str]:
    """`ham@desk` -> (`desk`, `ham`); `ham` -> (None, `ham`)."""
    user, sep, host = name.rpartition("@")
    return (host, user) if sep and user and host else (None, name)


def standalone_view(extract: ops.Extract, name: str) -> View | None:
    """A standalone home configuration with what the host's NixOS side still gives the user."""
    home = extract.homes.get(name)
    if home is None:
        return None
    host_name, user_name = split_home(name)
    host = extract.hosts.get(host_name) if host_name else None
    user = host.users.get(user_name) if host else None
    return View(
        f"{name} (standalone)",
        Kind.STANDALONE,
        frozenset(home.packages) | frozenset(user.nixos_packages if user else ()),
        {**(user.nixos_settings if user else {}), **home.settings},
        frozenset(host.programs) if host else frozenset(),
    )


def module_view(extract: ops.Extract, host_name: str, user_name: str) -> View | None:
    """What the NixOS configuration gives a user; None when a standalone output takes its place
    (home-manager not wired into the host for that user, `<user>@<host>` exists)."""
    host = extract.hosts.get(host_name)
    user = host.users.get(user_name) if host else None
    if host is None or user is None:
        return None
    if not user.home_manager and f"{user_name}@{host_name}" in extract.homes:
        return None
    return View(
        f"{host_name}: {user_name}",
        Kind.MODULE,
        user.packages,
        user.settings,
        frozenset(host.programs),
    )


def diff_packages(before: View, after: View) -> PackageDiff:
    added = after.packages - before.packages
    lost = before.packages - after.packages
    accounted: dict[str, str] = {}
    for name in sorted(added):
        if name in before.programs:
            accounted[name] = "installed system-wide by a NixOS program before"
        elif name == HOME_MANAGER_CLI and after.kind is Kind.STANDALONE:
            accounted[name] = "the CLI standalone home-manager installs"
        elif name == HOME_MANAGER_CLI:
            accounted[name] = "the home-manager command, installed with home-manager's NixOS module"
        elif name in ("bash", "bashInteractive"):
            accounted[name] = "bash is part of every NixOS system"
    for name in sorted(lost):
        if name in after.programs:
            accounted[name] = "installed system-wide by a NixOS program now"
    return PackageDiff(
        same=tuple(sorted((before.packages & after.packages) | accounted.keys())),
        added=tuple(sorted(added - accounted.keys())),
        lost=tuple(sorted(lost - accounted.keys())),
        accounted=accounted,
    )


def diff_settings(before: Mapping[str, str], after: Mapping[str, str]) -> SettingsDiff:
    both = before.keys() & after.keys()
    return SettingsDiff(
        same=tuple(sorted(k for k in both if before[k] == after[k])),
        added={k: after[k] for k in sorted(after.keys() - before.keys())},
        lost={k: before[k] for k in sorted(before.keys() - after.keys())},
        changed={k: (before[k], after[k]) for k in sorted(both) if before[k] != after[k]},
    )


def _compare(
    before: View | None, after: View | None, host: str | None, user: str | None, rev: str
) -> Comparison:
    b = before or EMPTY
    a = after or EMPTY
    return Comparison(
        output=a.label if after else f"{b.label} (gone)",
        baseline=f"{b.label} at {rev}" if before else "nothing (a new output)",
        kind=a.kind if after else b.kind,
        host=host,
        user=user,
        packages=diff_packages(b, a),
        settings=diff_settings(b.settings, a.settings),
    )


def compare(before: ops.Extract, after: ops.Extract, rev: str = "HEAD") -> tuple[Comparison, ...]:
    """Every host/user and every standalone home, the working tree against the revision."""
    found: list[Comparison] = []
    for host in sorted(before.hosts.keys() | after.hosts.keys()):
        users: set[str] = set()
        for side in (before, after):
            if host in side.hosts:
                users |= side.hosts[host].users.keys()
        for user in sorted(users):
            b = module_view(before, host, user)
            a = module_view(after, host, user)
            if b is not None and a is None and f"{user}@{host}" in after.homes:
                continue  # the standalone output took over: compared below
            if b is None and a is None:
                continue
            found.append(_compare(b, a, host, user, rev))
    for name in sorted(before.homes.keys() | after.homes.keys()):
        host_name, user_name = split_home(name)
        b = standalone_view(before, name)
        a = standalone_view(after, name)
        if b is None and host_name is not None:
            # No such output at the revision: what the NixOS configuration gave the user there.
            b = module_view(before, host_name, user_name)
        found.append(_compare(b, a, host_name, user_name, rev))
    return tuple(found)


# -- git -------------------------------------------------------------------------------------
def _git(args: Sequence[str], cwd: Path) -> proc.Completed:
    if proc.which("git") is None:
        raise HomewardError(
            "`git` is not installed", hint="verify compares with a git revision; install git"
        )
    return proc.run(["git", *args], cwd=cwd)


def git_toplevel(directory: Path) -> Path:
    p = _git(["rev-parse", "--show-toplevel"], directory)
    if not p.ok:
        raise HomewardError(
            f"`{directory}` is not in a git repository: verify compares with a git revision",
            hint="commit the configuration to git (`git init && git add -A && git commit`), "
            "then run verify",
        )
    return Path(p.stdout.strip()).resolve()


def resolve_revision(top: Path, rev: str) -> str:
    p = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], top)
    if not p.ok:
        raise UsageError(
            f"`{rev}` is not a commit of this repository",
            hint="give a branch, a tag or a commit (`git log --oneline` lists them); "
            "a new repository needs a first commit",
        )
    return p.stdout.strip()


@contextmanager
def worktree(top: Path, commit: str) -> Iterator[Path]:
    """`git worktree add --detach` of `commit` into a temporary directory, removed after."""
    _git(["worktree", "prune"], top)  # entries of checkouts that vanished (an interrupted run)
    tmp = Path(tempfile.mkdtemp(prefix="homeward-verify-"))
    path = tmp / "before"
    # The user's hooks (post-checkout) have no business in a throwaway checkout.
    p = _git(
        ["-c", "core.hooksPath=/dev/null", "worktree", "add", "--detach", str(path), commit], top
    )
    if not p.ok:
        shutil.rmtree(tmp, ignore_errors=True)
        raise HomewardError(
            f"cannot check out `{commit[:12]}` with `git worktree add`: {proc.tail(p.stderr, 3)}"
        )
    try:
        yield path
    finally:
        _git(["worktree", "remove", "--force", str(path)], top)
        shutil.rmtree(tmp, ignore_errors=True)
        _git(["worktree", "prune"], top)


# -- the command -----------------------------------------------------------------------------
def verify(opts: Options) -> Report:
    flake_dir = find_flake(opts.dir).parent
    require_nix("nix")
    overrides = [_override(pair) for pair in opts.override_input]
    top = git_toplevel(flake_dir)
    commit = resolve_revision(top, opts.against)
    rel = flake_dir.relative_to(top)
    after = ops.extract_flake(flake_dir, overrides, label="the working tree", source_root=top)
    with worktree(top, commit) as checkout:
        before_dir = checkout / rel
        if not (before_dir / "flake.nix").is_file():
            raise HomewardError(
                f"there is no `{rel / 'flake.nix'}` at `{opts.against}`",
                hint="give a revision that has the flake: `--against REV`",
            )
        before = ops.extract_flake(
            before_dir, overrides, label=f"`{opts.against}`", source_root=checkout
        )
    return Report(opts.against, commit, compare(before, after, opts.against))


def _override(pair: Sequence[str]) -> tuple[str, str]:
    if len(pair) != 2:
        raise UsageError("--override-input takes a NAME and a PATH")
    return pair[0], pair[1]


def run(opts: Options) -> int:
    report = verify(opts)
    if opts.json:
        console.print_json("verify", report.to_json())
    else:
        render(report)
    return int(Exit.OK if report.equal else Exit.FINDINGS)


# -- output ----------------------------------------------------------------------------------
def render(report: Report) -> None:
    console.out(f"verify: the working tree against {report.against} ({report.revision[:12]})")
    if not report.comparisons:
        console.out("no hosts, users or home configurations to compare")
    for c in report.comparisons:
        console.out()
        console.table(
            ["", "same", "added", "lost", "changed"],
            [
                [
                    "packages",
                    str(len(c.packages.same)),
                    str(len(c.packages.added)),
                    str(len(c.packages.lost)),
                    "-",
                ],
                [
                    "settings",
                    str(len(c.settings.same)),
                    str(len(c.settings.added)),
                    str(len(c.settings.lost)),
                    str(len(c.settings.changed)),
                ],
            ],
            title=f"{c.output}  (compared with {c.baseline})",
        )
        for line in details(c):
            console.out(f"  {line}")
    console.out()
    console.out(summary(report))


def details(c: Comparison) -> list[str]:
    lines: list[str] = []
    if c.packages.lost:
        lines.append("lost packages: " + ", ".join(c.packages.lost))
    if c.packages.added:
        lines.append("added packages: " + ", ".join(c.packages.added))
    for key, value in c.settings.lost.items():
        lines.append(f"lost setting {key} = `{value}`")
    for key, value in c.settings.added.items():
        lines.append(f"added setting {key} = `{value}`")
    for key, (b, a) in c.settings.changed.items():
        lines.append(f"changed setting {key}: `{b}` -> `{a}`")
    for name, why in c.packages.accounted.items():
        lines.append(f"same: {name} ({why})")
    return lines


def summary(report: Report) -> str:
    if report.equal:
        return "no difference"
    parts: list[str] = []
    for c in report.comparisons:
        if not c.differs:
            continue
        counts = [
            (len(c.packages.lost), "package lost", "packages lost"),
            (len(c.packages.added), "package added", "packages added"),
            (len(c.settings.lost), "setting lost", "settings lost"),
            (len(c.settings.added), "setting added", "settings added"),
            (len(c.settings.changed), "setting changed", "settings changed"),
        ]
        said = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)
        parts.append(f"{c.output}: {said}")
    return "differences: " + "; ".join(parts)
