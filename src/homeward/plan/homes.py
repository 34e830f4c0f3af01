"""Per-(host, user) home entries (docs/architecture.md, rules 1 and 13; issue 11's "orphan file").

A user's home-manager configuration may start from a different file on each host
(`home-manager.users.kim = import ./hosts/<h>/home.nix;`): the layout keeps that. Each host's
wiring, and `homeConfigurations."<user>@<host>"`, start from that host's own file, and a per-host
file (`home/<user>/<host>.nix`) is imported by the host's entry when that entry is read by that
host alone: both wirings then read it through the one file they share. Which file each host
starts from is the index's (`Index.host_entries`, model/index.py). Pure: the model in, paths
out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from homeward.model.repo import Context, ModuleRef, Repo


def own_entry(
    repo: Repo,
    entry: PurePosixPath,
    host: str,
    user: str,
    entries: Mapping[str, PurePosixPath],
) -> bool:
    """`entry` is read by `user` on `host` alone: no other of the user's hosts starts from it
    (`entries`: each of the user's hosts -> the file its home starts from), no other user or
    host reaches it, and nothing homeward does not rewire reads it. A file imported there is
    then read by exactly that (host, user) pair, through both wirings."""
    info = repo.modules.get(str(entry))
    if info is None or info.frozen or info.context is not Context.HOME:
        return False
    if any(e == entry for h, e in entries.items() if h != host):
        return False
    if any(pair != (host, user) for pair in info.pairs):
        return False
    return info.hosts <= {host, f"{user}@{host}"}


def standalone_companions(
    repo: Repo, user: str, host: str, entry: PurePosixPath
) -> tuple[list[PurePosixPath], list[ModuleRef]]:
    """The other files of the user's standalone configuration on `host`
    (`homeConfigurations."<user>@<host>"`, else `"<user>"`) when its module list starts the home
    from `entry` too, in their order; and the elements of that list that are no file of the
    repository (an input's module, an inline module), which the host's wiring does not read.
    The host's home-manager module then reads what `home-manager switch` reads there (issue 11,
    "managed twice": a Mac lost the file that set its `/Users` home)."""
    for name in (f"{user}@{host}", user):
        config = repo.homes.get(name)
        if config is None:
            continue
        files = [PurePosixPath(ref.path) for ref in config.modules if ref.path is not None]
        if entry not in files:
            return [], []
        others = [ref for ref in config.modules if ref.path is None]
        return [f for f in dict.fromkeys(files) if f != entry], others
    return [], []
