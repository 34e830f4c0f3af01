"""Rules for nix-darwin hosts (issue 12): the traps a Mac has that a NixOS host has not.

The rules every host has run on Macs too (`check` reads them as hosts, as `migrate` does);
these are the ones only a Mac has. They read the index's Macs (`Index.macs`): each
`darwinConfigurations` host and its system modules, a Mac read as a host and one frozen (named
like a NixOS host) alike. Registered with the other rules when `homeward.lint.rules` is
imported.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from homeward.diagnostics import Severity
from homeward.lint.facts import Facts, HomeKind, binding_location
from homeward.lint.rules import Finding, rule
from homeward.model.repo import Context
from homeward.syntax.find import DYNAMIC, Definition

DARWIN = "darwinConfigurations."
# `"/home/ham"`, also under `lib.mkDefault` (a default a standalone home on a Mac keeps).
_UNDER_HOME = re.compile(r'^(?:(?:lib\.)?mk(?:Default|Force)\s+)?"/home/([^"$/]*)')


def mac_name(host: str) -> str:
    """A Mac as messages name it: `darwinConfigurations.<name>`."""
    return host if host.startswith(DARWIN) else DARWIN + host


def _wired(d: Definition) -> str | None:
    """The user of a `home-manager.users.<u>...` definition."""
    if d.path[:2] == ("home-manager", "users") and len(d.path) > 2 and d.path[2] != DYNAMIC:
        return d.path[2]
    return None


@rule(
    "HW018",
    Severity.ERROR,
    "a home-manager user on a nix-darwin host without `users.users.<name>.home`",
    'set `users.users.<name>.home = "/Users/<name>";` in the host\'s configuration',
)
def check_darwin_user_home(facts: Facts) -> Iterator[Finding]:
    # Why (#12): nix-darwin leaves `users.users.<u>.home` null unless set, and home-manager's
    # darwin module takes `home.homeDirectory` from it: the host does not evaluate.
    opaque = facts.opaque_macs
    for host, modules in facts.index.macs.items():
        if host in opaque:
            continue  # a module homeward cannot see may set it
        wired = facts.index.hm_wired.get(host, {})
        accounts = [
            d
            for info in modules
            for d in facts.index.by_head(info).get("users", ())
            if d.path[:2] == ("users", "users") and len(d.path) > 2
        ]
        if any(d.path[2] == DYNAMIC for d in accounts):
            continue  # a user's name homeward cannot read may be any of them
        homes = {d.path[2] for d in accounts if len(d.path) == 3 or d.path[3] == "home"}
        for user, d in sorted(wired.items()):
            if user in homes:
                continue
            yield Finding(
                binding_location(d, 3),
                f"`home-manager.users.{user}` on the nix-darwin host `{mac_name(host)}`, which "
                "does not "
                f"set `users.users.{user}.home`: home-manager's darwin module cannot evaluate",
                hint=f'set `users.users.{user}.home = "/Users/{user}";` in a module of '
                f"`{mac_name(host)}`",
            )


@rule(
    "HW019",
    Severity.ERROR,
    "`home.homeDirectory` under `/home` in a home for a Mac",
    "a Mac's homes are under `/Users`: write `/Users/<name>`, or `/home/<name>` on Linux only",
)
def check_darwin_home_directory(facts: Facts) -> Iterator[Finding]:
    repo = facts.repo
    index = facts.index
    seen: set[tuple[str, int]] = set()

    def finding(d: Definition, where: str) -> Iterator[Finding]:
        match = _UNDER_HOME.match(d.value_text)
        if match is None or (str(d.source.path), d.value.start_byte) in seen:
            return
        seen.add((str(d.source.path), d.value.start_byte))
        name = match.group(1) or "<name>"
        value = "/home/" + match.group(1)
        yield Finding(
            binding_location(d, len(d.path)),
            f"`home.homeDirectory` is `{value}` in {where}, a Mac, whose homes are under `/Users`",
            hint=f'write `home.homeDirectory = "/Users/{name}";`',
        )

    for home in facts.homes:  # wired by home-manager's darwin module: its files and inline
        if home.kind is HomeKind.MODULE and home.host is not None and index.is_mac(home.host):
            defs = list(facts.home_definitions(home, ("home", "homeDirectory")))
            for d in _winning(defs):
                yield from finding(d, f"the home of `{home.user}` on `{mac_name(home.host)}`")
    for host, modules in index.macs.items():  # a frozen Mac's inline homes
        for info in modules:
            for d in info.module.definitions:
                if _wired(d) is not None and d.path[3:] == ("home", "homeDirectory"):
                    yield from finding(d, f"the home of `{d.path[2]}` on `{mac_name(host)}`")
    macs = {k.removeprefix(DARWIN) for k in index.macs}
    for name, config in repo.homes.items():
        mac = (config.system or "").endswith("-darwin") or name.partition("@")[2] in macs
        if not mac:
            continue
        defs = [
            d
            for info in index.reached.get(name, ())
            if info.context is Context.HOME
            for d in info.module.definitions
            if d.path == ("home", "homeDirectory")
        ]
        for d in _winning(defs):
            yield from finding(d, f'`homeConfigurations."{name}"`')


def _winning(defs: list[Definition]) -> list[Definition]:
    """The definitions whose value wins: a Linux default `mkForce`d to `/Users/...` in the
    Mac's own module is fine (carschandler/nixos home/mac/default.nix)."""
    first = min(map(_priority, defs), default=0)
    return [d for d in defs if _priority(d) == first]


_PRIORITY = re.compile(r"(?:lib\.)?(mkForce|mkDefault|mkOptionDefault|mkOverride\s+(\d+))\b")
_PRIORITIES = {"mkForce": 50, "mkDefault": 1000, "mkOptionDefault": 1500}


def _priority(d: Definition) -> int:
    """The module system's priority of a definition (lower wins): 100 unless wrapped."""
    match = _PRIORITY.match(d.value_text.strip())
    if match is None:
        return 100
    return int(match[2]) if match[2] else _PRIORITIES[match[1]]


@rule(
    "HW020",
    Severity.ERROR,
    "a nix-darwin host sets `system.defaults` or `homebrew` without `system.primaryUser`",
    "set `system.primaryUser` to the user these options apply to",
)
def check_darwin_primary_user(facts: Facts) -> Iterator[Finding]:
    # Why (#12): current nix-darwin asserts `system.primaryUser` once user-level defaults are
    # set (they applied to whoever ran darwin-rebuild before); the host does not build.
    opaque = facts.opaque_macs
    for host in facts.index.macs:
        if host in opaque:
            continue  # a module homeward cannot see may set it
        primary = facts.index.primary_user(host)
        first = primary.needed_by
        if first is None or primary.written or primary.option is not True:
            # nix-darwin before 25.05 (or pinned before it) has no `system.primaryUser`; and
            # when which nix-darwin builds the host is not known, nor is whether it needs it.
            continue
        if primary.user is not None:
            hint = f'set `system.primaryUser = "{primary.user}";` (the user these options apply to)'
        elif primary.users and not primary.computed:
            names = ", ".join(f"`{u}`" for u in primary.users)
            hint = (
                "set `system.primaryUser` to the user these options apply to (the one who ran "
                f"`darwin-rebuild`): one of {names}"
            )
        else:
            hint = 'set `system.primaryUser = "<user>";` (the user these options apply to)'
        yield Finding(
            binding_location(first, min(len(first.path), 2)),
            f"`{_written(first.path)}` on the nix-darwin host `{mac_name(host)}`, which does not "
            "set `system.primaryUser`: current nix-darwin refuses to build it",
            hint=hint,
        )


def _written(path: tuple[str, ...]) -> str:
    return ".".join(path[:2])
