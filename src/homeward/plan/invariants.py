"""Rules 11 and 13 (docs/architecture.md), checked on the planned tree before anything is written:
every new file is reachable from exactly the (host, user) pairs whose definitions it holds,
through both wirings (home-manager's NixOS module and `homeConfigurations."<user>@<host>"`), and
from no other host. No configuration gains what the plan writes for another user: a new file of
`home/<u>/` (what migrate writes for `u`: moved definitions, or ones it adds, such as the
home-manager command, which no ledger line names) is read by `u`'s configurations only.

What a new file holds comes from the ledger: each moved definition's origin, looked up in the
model read before the plan, gives the hosts (and users) that read it there. What reaches the file
afterwards is not taken from the planner: the plan is applied in memory (`FileChange`s) and the
configuration is read again (`load_planned`), so the import graph is the one Nix will see.
A violation is a homeward bug: `PlanInvariantError` ends the command with exit 4 before any
write.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from homeward.errors import Location
from homeward.model.repo import SHARED_MODULES, Context, ModuleInfo, Repo, load_planned
from homeward.plan.types import FileChange, Moved, Plan
from homeward.syntax.nodes import named_children, node_text, unparen
from homeward.syntax.parse import Source

ANY = ""
"""The user of a pair when the definition does not name one (an option of a user's own file)."""


class PlanInvariantError(Exception):
    """A plan that would leave a new file reachable from the wrong hosts: a homeward bug."""


@dataclass(frozen=True, slots=True)
class Expected:
    """Who must read a new file: (host, user) pairs for a home-manager file, hosts for a
    NixOS module; `user` is ANY when the origin does not say whose definition it is."""

    pairs: frozenset[tuple[str, str]]
    home: bool


def check_plan(
    repo: Repo,
    users: Collection[str],
    plan: Plan,
    changes: Sequence[FileChange],
    parsed: Mapping[Path, Source] | None = None,
) -> None:
    """Raise PlanInvariantError when a new file of `plan` would be read by other hosts (or
    users) than those whose definitions it holds, or by none. `users`: the configuration's
    users, the index's answer (`Index.users`; its names, so that the index need not stay
    alive through the check, the command's peak of memory). `parsed`: new texts tree-sitter
    has parsed already (their validation), by path: not parsed again."""
    if plan.empty:
        return
    # Without garbage collection passes while the planned tree is read and looked at: what
    # the read makes stays alive until the check ends (and is then mostly freed at once), and
    # each full pass scanned the first read's objects again (half of the check at 200 hosts).
    enabled = gc.isenabled()
    gc.disable()
    try:
        problems = _problems(repo, users, plan, changes, parsed or {})
    finally:
        if enabled:
            gc.enable()
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise PlanInvariantError(
            f"{problems[0]}{more}: the plan breaks rules 11 and 13 (a new file is read by "
            "exactly the hosts whose definitions it holds, through both wirings), nothing was "
            "written\n" + "\n".join(problems[1:])
        )


def _problems(
    repo: Repo,
    users: Collection[str],
    plan: Plan,
    changes: Sequence[FileChange],
    parsed: Mapping[Path, Source],
) -> list[str]:
    """What is wrong with who reads the new files, in the configuration read again from the
    planned tree."""
    files = {c.path.as_posix(): c.new for c in changes}
    after = Planned.of(load_planned(repo, files, {p.as_posix(): s for p, s in parsed.items()}))
    expected = expected_readers(repo, users, plan.ledger)
    problems: list[str] = []
    known = _consumers(repo)
    names = frozenset(users)
    for path in _new_files(plan):
        owner = _owner(path, names)
        problems.extend(violations(after, path, expected.get(path), known, owner))
    problems.extend(different_homes(repo, after, frozenset(plan.unread)))
    problems.extend(edited_shared_homes(repo, after, changes))
    return problems


def edited_shared_homes(before: Repo, planned: Planned, changes: Sequence[FileChange]) -> list[str]:
    """An existing home-manager file the plan edits, which several users' configurations read
    after it, gains no definition (its imports aside): what one user would get there, the
    others would get too (`home.stateVersion` written for ann into the file bob reads)."""
    after = planned.repo
    problems: list[str] = []
    for change in changes:
        if change.old is None or change.new is None or change.moved_from is not None:
            continue
        path = change.path.as_posix()
        new = after.modules.get(path)
        old = before.modules.get(path)
        if new is None or old is None or new.context is not Context.HOME:
            continue
        reached = _reached(new, new.hosts | set(new.frozen), planned.homes)
        users = sorted({u for _, u in reached if u != ANY})
        if len(users) < 2:
            continue
        added = Counter(_definitions(new)) - Counter(_definitions(old))
        if added:
            what = ", ".join(f"`{d}`" for d in sorted({d for d, _ in added}))
            problems.append(
                f"`{path}`, which {_names(users)} read, gains {what} (the plan edits it: what "
                "one of them gets there, the others get too)"
            )
    return problems


def _definitions(info: ModuleInfo) -> list[tuple[str, str]]:
    """A module's definitions as (option, value text), its imports aside."""
    return [(d.dotted, d.value_text) for d in info.module.definitions if d.path[:1] != ("imports",)]


def different_homes(
    before: Repo, planned: Planned, unread: Collection[str] = frozenset()
) -> list[str]:
    """A new `homeConfigurations."<user>@<host>"` reads the home-manager files that the NixOS
    module gives the user on that host, no more and no fewer (both wirings hold the same
    content, rule 13): the laptop's home wired for the desk is a bug. An existing one, beside
    a NixOS home after the plan, differs from it in nothing the plan wires (`_wired_apart`):
    what the two read differently before the plan is the user's to keep. `unread`: the
    existing ones the plan leaves without what their NixOS home gets, and says so
    (`Plan.unread`: a helper's list); what they have moved definitions of is checked still
    (`violations`)."""
    after = planned.repo
    problems: list[str] = []
    # Who reads each home-manager file, gathered once (not per entry: 500 entries times
    # thousands of modules was a second of a 50-host run).
    by_consumer: dict[str, set[str]] = {}
    by_pair: dict[tuple[str, str], set[str]] = {}
    for info in after.modules.values():
        if info.path is None or info.context is not Context.HOME:
            continue
        path = info.path.as_posix()
        for consumer in info.hosts | set(info.frozen):
            by_consumer.setdefault(consumer, set()).add(path)
        for pair in info.pairs:
            by_pair.setdefault(pair, set()).add(path)
    for name, (host, user) in sorted(planned.homes.items()):
        if host == ANY or not _has(planned.nixos, host, user):
            continue
        standalone = by_consumer.get(name, set())
        # The host's `home-manager.sharedModules` files are in every home of its NixOS
        # wiring (model/load/freeze.py names them so): the standalone one lists them too.
        shared = by_consumer.get(f"{SHARED_MODULES} of `{host}`", set())
        nixos = by_pair.get((host, user), set()) | shared
        extra, missing = sorted(standalone - nixos), sorted(nixos - standalone)
        if name in before.homes:
            if name in unread:
                missing = []
            problems.extend(_wired_apart(before, after, name, (host, user), extra, missing))
            continue
        if extra or missing:
            what = [
                f"reads {_files(extra)}" if extra else "",
                f"misses {_files(missing)}" if missing else "",
            ]
            problems.append(
                f'`homeConfigurations."{name}"` {" and ".join(w for w in what if w)}, unlike '
                f"{_module_of(after, host)} for `{user}` on `{host}`"
            )
    return problems


def _wired_apart(
    before: Repo,
    after: Repo,
    name: str,
    pair: tuple[str, str],
    extra: Iterable[str],
    missing: Iterable[str],
) -> list[str]:
    """Rule 13 for an existing `homeConfigurations` entry `name` and the NixOS home of
    `pair`: of the files one of them reads and the other does not (`extra`: the standalone
    configuration's, `missing`: the NixOS home's), each one the plan wired so (a new file, or
    one that wiring did not read before or the other did) is a line. Only the files read
    apart are looked up in the model before the plan: no walk of its own."""
    host, user = pair
    nixos = _module_of(after, host)
    standalone = f'`homeConfigurations."{name}"`'
    problems = []
    for path in missing:
        old = before.modules.get(path)
        if old is None or pair not in old.pairs or _reads(old, name):
            problems.append(
                f"{standalone} does not read `{path}`, which {nixos} reads for `{user}` on "
                f"`{host}` (both wirings read what the plan wires)"
            )
    for path in extra:
        old = before.modules.get(path)
        if old is None or not _reads(old, name) or pair in old.pairs:
            problems.append(
                f"{nixos} does not read `{path}` for `{user}` on `{host}`, which {standalone} "
                "reads (both wirings read what the plan wires)"
            )
    return problems


def _reads(info: ModuleInfo, name: str) -> bool:
    """Whether the output `name` reads `info` (a module's consumers)."""
    return name in info.hosts or name in info.frozen


def _module_of(repo: Repo, host: str) -> str:
    """Home-manager's module as wired on `host`: nix-darwin's on a Mac (issue 12)."""
    config = repo.hosts.get(host)
    darwin = config is not None and config.kind == "darwin"
    return f"home-manager's {'nix-darwin' if darwin else 'NixOS'} module"


def _files(paths: Iterable[str]) -> str:
    return ", ".join(f"`{p}`" for p in paths)


def _new_files(plan: Plan) -> list[str]:
    """New Nix files of the plan (created, or moved to a new path), repo-relative."""
    paths = [f.path for f in plan.new_files] + [m.dst for m in plan.moves]
    return sorted({p.as_posix() for p in paths if p.suffix == ".nix"})


def expected_readers(
    repo: Repo, users: Collection[str], ledger: Iterable[Moved]
) -> dict[str, Expected]:
    """For each target of the ledger, who read its definitions before the plan (`users`:
    the index's)."""
    found: dict[str, set[tuple[str, str]]] = {}
    home: dict[str, bool] = {}
    by_file = {str(m.path): m for m in repo.modules.values() if m.path is not None}
    inline: dict[str, list[ModuleInfo]] = {}
    for m in repo.modules.values():
        if m.path is None:
            inline.setdefault(m.source.path.as_posix(), []).append(m)
    users = {u for m in repo.modules.values() for u in m.users} | set(users)
    for moved in ledger:
        origin = _origin_module(by_file, inline, moved.origin)
        if origin is None:
            continue  # not a module homeward read (a dotfile): nothing to say who reads it
        target = PurePosixPath(moved.target).as_posix()
        pairs = found.setdefault(target, set())
        home[target] = home.get(target, False) or moved.to_home
        user = _user_of(moved.what, users)
        pairs.update(_readers(repo, origin, user))
    return {path: Expected(frozenset(pairs), home[path]) for path, pairs in found.items() if pairs}


def _user_of(what: str, users: Iterable[str]) -> str:
    """`users.users.ham.packages` -> ham; `users.users.j.doe.packages` -> j.doe (the ledger
    writes names unquoted: the longest known user name that fits)."""
    for head in ("users.users.", "home-manager.users."):
        if what.startswith(head):
            rest = what[len(head) :].replace('"', "")
            fits = [u for u in users if rest == u or rest.startswith(f"{u}.")]
            return max(fits, key=len) if fits else rest.split(".", 1)[0]
    return ANY


def _readers(repo: Repo, info: ModuleInfo, user: str) -> set[tuple[str, str]]:
    """The (host, user) pairs that read `info`: a NixOS module by its hosts (with `user`); a
    home-manager module by its pairs and its `homeConfigurations` entries."""
    consumers = info.hosts | set(info.frozen)
    if info.context is Context.NIXOS:
        return {(host, user) for host in consumers}
    found = {(h, u) for h, u in info.pairs if user in (ANY, u)}
    for name in (n for n in consumers if n in repo.homes):
        host, name_user = _home_pair(name)
        if user in (ANY, name_user):
            found.add((host, name_user))
    return found


def _home_pair(name: str) -> tuple[str, str]:
    """`homeConfigurations."ham@desk"` -> (desk, ham); a bare `ham` is on any host (ANY)."""
    user, _, host = name.partition("@")
    return host or ANY, user


def _origin_module(
    by_file: dict[str, ModuleInfo], inline: dict[str, list[ModuleInfo]], at: Location | None
) -> ModuleInfo | None:
    """The module a ledger entry's definition was read from: the file, or the innermost module
    written inline in it (flake.nix) around the definition."""
    if at is None:
        return None
    path = PurePosixPath(at.path).as_posix()
    candidates = inline.get(path)
    if not candidates:
        return by_file.get(path)
    text = candidates[0].source.text
    start = 0
    for _ in range(at.line - 1):
        start = text.find(b"\n", start) + 1
        if start == 0:
            return by_file.get(path)
    byte = start + at.col - 1
    holding = []
    for m in candidates:
        node = m.module.function or m.module.body
        if node is not None and node.start_byte <= byte < node.end_byte:
            holding.append((node.end_byte - node.start_byte, m))
    if holding:
        return min(holding, key=lambda item: item[0])[1]
    return by_file.get(path)


@dataclass(frozen=True, slots=True)
class Planned:
    """The configuration read from the planned tree, with who is wired where (once)."""

    repo: Repo
    homes: dict[str, tuple[str, str]]  # `homeConfigurations` name -> (host, user)
    nixos: dict[str, set[str]]  # host -> users home-manager's NixOS module configures there
    standalone: dict[str, set[str]]  # host -> users with a `homeConfigurations` entry there

    @classmethod
    def of(cls, repo: Repo) -> Planned:
        # Why not the homes a framework makes: homeward does not wire them (plan/assembled.py);
        # what they read is checked as any consumer's homeward does not rewire.
        homes = {name: _home_pair(name) for name, c in repo.homes.items() if not c.framework}
        nixos: dict[str, set[str]] = {}
        for info in repo.modules.values():
            for host, user in info.pairs:
                nixos.setdefault(host, set()).add(user)
        standalone: dict[str, set[str]] = {}
        for host, user in homes.values():
            standalone.setdefault(host, set()).add(user)
        return cls(repo, homes, nixos, standalone)


def _has(wired: dict[str, set[str]], host: str, user: str) -> bool:
    users = wired.get(host, set())
    return bool(users) if user == ANY else user in users


def _consumers(repo: Repo) -> set[str]:
    """Every output that read a module before the plan, rewired by homeward or not."""
    found = set(repo.hosts) | set(repo.homes) | set(repo.others) | set(repo.skipped)
    for info in repo.modules.values():
        found.update(info.frozen)
    return found


def _owner(path: str, users: Collection[str]) -> str | None:
    """The user a new file is written for: `home/<u>/…` (plan/place.py's `Home.path`), when
    `u` is a user of the configuration."""
    parts = path.split("/", 2)  # repo-relative, as `_new_files` writes it
    if len(parts) == 3 and parts[0] == "home" and parts[1] in users:
        return parts[1]
    return None


def violations(
    planned: Planned,
    path: str,
    expected: Expected | None,
    known: set[str] | None = None,
    owner: str | None = None,
) -> list[str]:
    """What is wrong with who reads the new file `path` in the planned tree. `known`: the
    consumers there were before the plan (one the plan adds, a new host, is its own). `owner`:
    the user it is written for (`_owner`), whose configurations only may read it."""
    after = planned.repo
    info = after.modules.get(path)
    if info is None:
        what = f" (it holds definitions of {_shown(expected.pairs)})" if expected else ""
        return [f"`{path}` is read by no host{what}"]
    homes = planned.homes
    consumers = info.hosts | set(info.frozen)
    # Skipped hosts are known ones whose files do not parse: theirs, not someone else's.
    # (Each consumer looked up: a set minus 2,000 names per new file was most of the check.)
    unknown = {
        name
        for name in consumers
        if name not in homes and name not in after.hosts and name not in after.skipped
    }
    others = sorted(name for name in unknown if known is None or name in known)
    problems = [
        f"`{path}` is also read by `{name}`, which homeward does not rewire" for name in others
    ]
    if expected is None:
        if not consumers and not info.pairs:
            problems.append(f"`{path}` is read by no host")
        if owner is not None and info.context is Context.HOME:
            # What the plan adds that no ledger line names (the home-manager command).
            problems.extend(
                _gained(info, path, {owner}, _reached(info, consumers, homes), planned.repo)
            )
        return problems
    if not expected.home or info.context is Context.NIXOS:
        hosts = {h for h, _ in expected.pairs}
        read = {name for name in consumers if name in after.hosts}
        if read != hosts:
            problems.append(
                f"`{path}` holds definitions of the hosts {_names(hosts)} but is read by "
                f"{_names(read) or 'none'}"
            )
        return problems
    nixos: dict[str, set[str]] = {}
    for host, user in info.pairs:
        nixos.setdefault(host, set()).add(user)
    standalone: dict[str, set[str]] = {}
    for name in (n for n in consumers if n in homes):
        host, user = homes[name]
        standalone.setdefault(host, set()).add(user)
    reached = {(h, u) for h, users in (*nixos.items(), *standalone.items()) for u in users}
    stray = sorted(p for p in reached if not _matches(*p, expected.pairs))
    if stray:
        owners = {u for _, u in expected.pairs}
        if ANY in owners:  # an origin that does not say whose: the file's place does
            owners = {owner} if owner is not None else set()
        gains = [p for p in stray if owners and p[1] not in owners]
        problems.extend(_gained(info, path, owners, gains, planned.repo))
        problems.extend(
            f"`{path}` is read by {_pair(host, user)}, whose definitions it does not hold"
            for host, user in stray
            if (host, user) not in gains
        )
    for host, user in sorted(expected.pairs):
        through = []
        if _has(planned.nixos, host, user):
            through.append((_module_of(after, host), nixos))
        if _has(planned.standalone, host, user):
            through.append((f'`homeConfigurations."{user}@{host}"`', standalone))
        if not through:
            problems.append(
                f"`{path}` holds definitions of {_pair(host, user)}, whom nothing wires any more"
            )
        for wiring, readers in through:
            if not _has(readers, host, user):
                problems.append(
                    f"`{path}` holds definitions of {_pair(host, user)} but {wiring} does not "
                    "read it there"
                )
    return problems


def _reached(
    info: ModuleInfo, consumers: Iterable[str], homes: Mapping[str, tuple[str, str]]
) -> set[tuple[str, str]]:
    """The (host, user) pairs that read `info`, through both wirings."""
    found = set(info.pairs)
    found.update(homes[name] for name in consumers if name in homes)
    return found


def _gained(
    info: ModuleInfo,
    path: str,
    owners: Collection[str],
    reached: Iterable[tuple[str, str]],
    repo: Repo,
) -> list[str]:
    """A line for each configuration of `reached` that is no owner's: it gains what `path`
    holds (named once, and only when some configuration does)."""
    others = sorted((h, u) for h, u in reached if u not in owners and u != ANY)
    if not others:
        return []
    what = _holds(info)
    whose = " and ".join(f"`{u}`'s" for u in sorted(owners))
    return [
        f"{_pair(host, user)} gains {what} through `{path}`, a file of {whose} "
        f"({_importers(repo, path)})"
        for host, user in others
    ]


def _holds(info: ModuleInfo) -> str:
    """What a module defines, for a message: each option, with the elements of a list."""
    shown = []
    for d in info.module.definitions:
        if d.path[:1] == ("imports",):
            continue
        value = unparen(d.value)
        names = named_children(value) if value.type == "list_expression" else []
        listed = ", ".join(f"`{node_text(n, d.source.text)}`" for n in names)
        shown.append(f"`{d.dotted}` ({listed})" if listed else f"`{d.dotted}`")
    return ", ".join(dict.fromkeys(shown)) or "its imports"


def _importers(repo: Repo, path: str) -> str:
    """Which files import `path` in the planned tree (for the message)."""
    found = sorted(
        str(m.path)
        for m in repo.modules.values()
        if m.path is not None
        and any(ref.path is not None and ref.path.as_posix() == path for ref in m.imports)
    )
    return f"imported by {_files(found)}" if found else "imported by a configuration"


def _matches(host: str, user: str, pairs: frozenset[tuple[str, str]]) -> bool:
    """Some pair of `pairs` is (host, user), where ANY on either side matches anything."""
    if host != ANY:  # looked up, not scanned: a shared file's pairs are hosts x users
        return (host, user) in pairs or (host, ANY) in pairs
    return any(u in (ANY, user) for _, u in pairs)


def _pair(host: str, user: str) -> str:
    if host == ANY:
        return f"`{user}` on any host"
    return f"`{user}@{host}`" if user != ANY else f"`{host}`"


def _names(hosts: Iterable[str]) -> str:
    return ", ".join(f"`{h}`" for h in sorted(hosts))


def _shown(pairs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(_pair(h, u) for h, u in sorted(pairs))
