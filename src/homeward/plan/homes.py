"""Per-(host, user) home entries (docs/architecture.md, rules 1 and 13; issue 11's "orphan file").

A user's home-manager configuration may start from a different file on each host
(`home-manager.users.kim = import ./hosts/<h>/home.nix;`): the layout keeps that. Each host's
wiring, and `homeConfigurations."<user>@<host>"`, start from that host's own file, and a per-host
file (`home/<user>/<host>.nix`) is imported by the host's entry when that entry is read by that
host alone: both wirings then read it through the one file they share. Pure: the model in,
paths out.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath

from homeward.model.repo import Context, Repo


def host_entries(repo: Repo, user: str) -> dict[str, PurePosixPath]:
    """host -> the home-manager file home-manager's NixOS module starts `user`'s home from
    there. When a host names several, the one most of the user's hosts read (the shared
    `home/<u>`, not a `home/<u>/<host>.nix` a module of that host alone imports beside it),
    else the first one the model met."""
    found: dict[str, PurePosixPath] = {}
    shared: dict[str, int] = {}
    for parent, child in repo.edges:
        up, info = repo.modules.get(parent), repo.modules.get(child)
        if up is None or info is None or info.path is None:
            continue
        if up.context is not Context.NIXOS or info.context is not Context.HOME:
            continue
        if user not in info.users:
            continue
        readers = sum(1 for _host, who in info.pairs if who == user)
        for host, who in sorted(info.pairs):
            if who != user or host not in up.hosts:
                continue
            if host not in found or readers > shared[host]:
                found[host] = PurePosixPath(info.path)
                shared[host] = readers
    return found


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
