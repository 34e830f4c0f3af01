"""`homeward verify`: prove with the real nix that a change (typically a migration) lost nothing.

Both sides are evaluated by `nix eval` (`nix/ops.py`): the working tree, and a git revision
checked out by the git module (`apply/git.py`) into a temporary work tree, removed afterwards. The
comparison is `model/compare.py` (pure), its text output `render/verify.py`.

Exit 0 when everything is the same, 1 when a package or setting was lost, added or changed.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from homeward.apply import git
from homeward.errors import Exit, HomewardError, UsageError
from homeward.model.compare import Report, compare
from homeward.model.index import build_index
from homeward.model.repo import EXPORTS, find_flake, load_repo
from homeward.model.values import Attrs
from homeward.nix import ops
from homeward.nix.run import require as require_nix
from homeward.render import console
from homeward.render.verify import render_report


@dataclass(frozen=True, slots=True)
class Options:
    dir: Path = Path(".")
    against: str = "HEAD"
    override_input: Sequence[Sequence[str]] = ()
    json: bool = False
    host: str | None = None
    user: str | None = None


# -- git (through the one git module) -----------------------------------------------------
def git_toplevel(directory: Path) -> Path:
    git.require(hint="verify compares with a git revision; install git")
    top = git.toplevel(directory)
    if top is None:
        raise HomewardError(
            f"`{directory}` is not in a git repository: verify compares with a git revision",
            hint="commit the configuration to git (`git init && git add -A && git commit`), "
            "then run verify",
        )
    return top


def resolve_revision(top: Path, rev: str) -> str:
    commit = git.commit_of(top, rev)
    if commit is None:
        raise UsageError(
            f"`{rev}` is not a commit of this repository",
            hint="give a branch, a tag or a commit (`git log --oneline` lists them); "
            "a new repository needs a first commit",
        )
    return commit


# -- the command -----------------------------------------------------------------------------
def verify(opts: Options) -> Report:
    flake_dir = find_flake(opts.dir).parent
    overrides = [_override(pair) for pair in opts.override_input]
    keep, left_out = selection(flake_dir, opts.host, opts.user)
    require_nix("nix")
    top = git_toplevel(flake_dir)
    commit = resolve_revision(top, opts.against)
    rel = flake_dir.relative_to(top)

    def progress(side: str) -> Callable[[str], None] | None:
        # Why: each `nix eval` can take minutes on a real configuration; say what runs, on a
        # terminal (as nix does), so that scripts read only the result and the errors.
        if not console.is_tty(sys.stderr):
            return None
        return lambda output: console.err(f"homeward: evaluating {output} of {side} with nix")

    after = ops.extract_flake(
        flake_dir,
        overrides,
        label="the working tree",
        source_root=top,
        input_urls=input_urls(flake_dir),
        keep=keep,
        on_output=progress("the working tree"),
    )
    with git.temporary_checkout(top, commit) as checkout:
        before_dir = checkout / rel
        if not (before_dir / "flake.nix").is_file():
            raise HomewardError(
                f"there is no `{rel / 'flake.nix'}` at `{opts.against}`",
                hint="give a revision that has the flake: `--against REV`",
            )
        before = ops.extract_flake(
            before_dir,
            overrides,
            label=f"`{opts.against}`",
            source_root=checkout,
            input_urls=input_urls(before_dir),
            keep=keep,
            on_output=progress(f"`{opts.against}`"),
        )
    comparisons = compare(before, after, opts.against)
    if opts.user is not None:
        left_out += sorted(
            {c.output for c in comparisons if c.user is not None and c.user != opts.user}
        )
        comparisons = tuple(c for c in comparisons if c.user in (None, opts.user))
    return Report(opts.against, commit, comparisons, (*tuple(left_out), *uncompared(flake_dir)))


def selection(
    flake_dir: Path, host: str | None, user: str | None
) -> tuple[dict[str, Sequence[str]] | None, list[str]]:
    """The outputs to evaluate for --host/--user (output -> names), and those left out.

    Names come from the static reader; an unknown host or user is a usage error (exit 2).
    """
    if host is None and user is None:
        return None, []
    repo = load_repo(flake_dir)
    hosts = sorted(repo.hosts)
    homes = sorted(repo.homes)
    if host is not None and host not in hosts and not any(h.endswith(f"@{host}") for h in homes):
        raise UsageError(
            f"the flake has no host `{host}`",
            hint="hosts in this flake: " + (", ".join(f"`{h}`" for h in hosts) or "none"),
        )
    # The index's users (one fact, one place: the accounts every host defines).
    users = {h.split("@", 1)[0] for h in homes} | set(build_index(repo).users)
    if user is not None and user not in users:
        raise UsageError(
            f"the flake has no user `{user}`",
            hint="users in this flake: " + (", ".join(f"`{u}`" for u in sorted(users)) or "none"),
        )
    kept_hosts = [h for h in hosts if host is None or h == host]
    kept_homes = [
        h
        for h in homes
        if (host is None or h.endswith(f"@{host}")) and (user is None or h.startswith(f"{user}@"))
    ]
    left_out = [h for h in hosts if h not in kept_hosts]
    left_out += [h for h in homes if h not in kept_homes]
    keep: dict[str, Sequence[str]] = {
        "nixosConfigurations": kept_hosts,
        "homeConfigurations": kept_homes,
    }
    return keep, left_out


_NOT_CONFIGURATIONS = frozenset(
    {
        "nixosConfigurations",
        "darwinConfigurations",
        "homeConfigurations",
        "packages",
        "legacyPackages",
        "devShells",
        "devShell",
        "formatter",
        "checks",
        "apps",
        "overlays",
        "overlay",
        "lib",
        "templates",
        "defaultTemplate",
        "hydraJobs",
        "defaultPackage",
    }
)


def uncompared(flake_dir: Path) -> tuple[str, ...]:
    """The outputs that may use the configuration's modules but that verify cannot evaluate:
    exported modules (`nixosModules.*`) and anything else that is not a package set
    (`colmena`, `deploy`), as read statically from the working tree."""
    try:
        repo = load_repo(flake_dir)
    except (HomewardError, OSError):
        return ()
    outputs = repo.outputs
    if not isinstance(outputs, Attrs):
        return ()
    found: list[str] = []
    for name in sorted(outputs.attrs):
        if name in _NOT_CONFIGURATIONS:
            continue
        value = repo.ev.force(outputs.attrs[name])
        if name in EXPORTS and isinstance(value, Attrs):
            found.extend(f"{name}.{key}" for key in sorted(value.attrs))
        elif name not in EXPORTS:
            found.append(name)
    found.extend(f"{name} (skipped: a file of it cannot be read)" for name in sorted(repo.skipped))
    return tuple(found)


def input_urls(flake_dir: Path) -> dict[str, str]:
    """The flake's inputs (name -> URL) as read statically, to name one nix cannot fetch."""
    try:
        inputs = load_repo(flake_dir).inputs
    except (HomewardError, OSError):
        return {}
    return {name: item.url for name, item in inputs.items() if item.url}


def _override(pair: Sequence[str]) -> tuple[str, str]:
    """NAME and a flake reference: `path:DIR`, a plain directory, or any reference nix takes."""
    if len(pair) != 2:
        raise UsageError("--override-input takes a NAME and a PATH")
    name, ref = pair[0], pair[1]
    scheme, sep, rest = ref.partition(":")
    local = rest if sep and scheme == "path" else ref if not sep or "/" in scheme else None
    if local is not None and not Path(local).expanduser().is_dir():
        raise UsageError(
            f"--override-input {name}: `{ref}` is not a directory",
            hint="give a local checkout of the input, as a directory or `path:DIR` "
            "(e.g. `--override-input nixpkgs path:$HOME/src/nixpkgs`)",
        )
    return name, ref


def run(opts: Options) -> int:
    report = verify(opts)
    if opts.json:
        console.print_json("verify", report.to_json())
    else:
        render_report(report)
    return int(Exit.OK if report.equal else Exit.FINDINGS)
