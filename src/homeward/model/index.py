"""The facts every command reads, computed once from a `Repo`: the index.

`Repo` says what the flake outputs and which modules each configuration reaches; the commands
ask the same questions of it over and over (which users are there, which modules does a host
use, which of them define `users`, which release of home-manager does the flake track, who
has home-manager where). Answering them by scanning the model per question made `migrate`
quadratic in the fleet (issue #9) and let the answers drift apart between commands. The index
answers each once, in one pass over the modules, and `check`, `graph`, `migrate`, `add` and
`verify` read it. Pure; built by `build_index` right after loading.

Outputs are first class whatever their kind: NixOS hosts, nix-darwin hosts (a `SystemCall` of
kind "darwin") and standalone home-manager configurations. `consumers` says, for each module,
which outputs evaluate it: a file may be edited only when every one of them is known.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import PurePath, PurePosixPath
from types import MappingProxyType

from homeward.knowledge.mapping import hm_input_name
from homeward.knowledge.mapping import hm_release as release_of
from homeward.knowledge.releases import NEWEST_VERSION
from homeward.model.lock import darwin_primary_user
from homeward.model.repo import (
    Context,
    ModuleInfo,
    ModuleKind,
    ModuleRef,
    Repo,
    SystemConfig,
    User,
    hosts_nixpkgs,
)
from homeward.model.values import Attrs
from homeward.syntax.find import DYNAMIC, Definition, function_formals, string_of
from homeward.syntax.nodes import string_value, unparen


class OutputKind(StrEnum):
    NIXOS = "nixos"  # nixosConfigurations.<name>
    DARWIN = "darwin"  # darwinConfigurations.<name>
    HOME = "home"  # homeConfigurations.<name> (standalone home-manager)


@dataclass(frozen=True, slots=True)
class Output:
    """A configuration the flake outputs: what consumes modules."""

    kind: OutputKind
    name: str

    @property
    def attr(self) -> str:
        return f"{self.kind}Configurations"


@dataclass(frozen=True, slots=True)
class HostFacts:
    """One system configuration (NixOS or nix-darwin) and what the planner needs of it."""

    name: str
    kind: OutputKind
    config: SystemConfig
    modules: tuple[ModuleInfo, ...]  # its system modules, in the model's order
    home_modules: tuple[ModuleInfo, ...]  # modules home-manager's module evaluates on it
    hm_users: Mapping[str, tuple[Definition, ...]]  # user -> `home-manager.users.<user>...`
    state_version: str | None  # `system.stateVersion` as a `YY.MM` string
    custom_pkgs: bool  # its package set differs beyond allowUnfree (overlays, a `pkgs`, config)
    allows_unfree: bool  # `nixpkgs.config.allowUnfree = true`


# What needs `system.primaryUser` on current nix-darwin (its `system.requiresPrimaryUser`): the
# user-level defaults, Homebrew (run as that user) and the user's launchd agents.
_NEEDS_PRIMARY_USER = (("system", "defaults"), ("homebrew",), ("launchd", "user"))


@dataclass(frozen=True, slots=True)
class PrimaryUser:
    """What a Mac says of `system.primaryUser` (nix-darwin 25.05 on: the user that user-level
    defaults, Homebrew and user agents apply to; before, whoever ran darwin-rebuild)."""

    written: bool  # some module of the Mac sets it (or the whole of `system`)
    needed_by: Definition | None  # the first definition that needs it
    user: str | None  # who it is, when that can be told
    users: tuple[str, ...]  # the Mac's users (accounts and home-manager users), sorted
    computed: bool  # a user's name is computed: the users are not all known
    # The Mac's nix-darwin has the option (25.05 on, or master not pinned before it); None:
    # which nix-darwin builds the Mac is not known.
    option: bool | None = True


def decide_primary_user(
    modules: Sequence[ModuleInfo], heads: Mapping[str, Mapping[str, Sequence[Definition]]]
) -> PrimaryUser:
    """`system.primaryUser` on a Mac of `modules`: the Mac's one user; among several, the one
    `nix-homebrew.user` names (nix-homebrew owns the Homebrew prefix as that user, and
    nix-darwin's `homebrew` runs `brew` as the primary user: they are one); else undecided."""
    written = computed = False
    needed: Definition | None = None
    users: set[str] = set()
    homebrew_user: str | None = None
    for info in modules:
        by_head = heads.get(info.key, _EMPTY)
        for d in by_head.get("system", ()):
            if d.path[:2] == ("system", "primaryUser") or d.path == ("system",):
                written = True
        for d in (d for head in ("system", "homebrew", "launchd") for d in by_head.get(head, ())):
            if needed is None and any(d.path[: len(p)] == p for p in _NEEDS_PRIMARY_USER):
                needed = d
        for head in ("users", "home-manager"):
            for d in by_head.get(head, ()):
                if len(d.path) > 2 and d.path[1] == "users":
                    if d.path[2] == DYNAMIC:
                        computed = True
                    elif d.path[2] != "root" and not d.path[2].startswith("_"):
                        users.add(d.path[2])  # `_name`: macOS's service accounts
        for d in by_head.get("nix-homebrew", ()):
            if d.path == ("nix-homebrew", "user"):
                homebrew_user = string_value(d.value, d.source.text) or homebrew_user
    found = sorted(users)
    user = None
    if not computed:
        if len(found) == 1:
            user = found[0]
        elif homebrew_user in users:
            user = homebrew_user
    return PrimaryUser(written, needed, user, tuple(found), computed)


def flake_release(
    inputs: Mapping[str, object], nixpkgs_name: str | None = None
) -> tuple[int, int] | None:
    """The home-manager release a flake tracks: its home-manager input's branch; without a
    home-manager input, the one nixpkgs' branch asks for. None: master (the newest).

    The one place this is decided (docs/architecture.md, rule 8): a flake on home-manager master
    with nixpkgs 25.05 is on master, for `migrate`, `check` and `add` alike.
    """
    hm_name = hm_input_name(inputs)
    if hm_name is not None:
        return release_of(getattr(inputs[hm_name], "url", None))
    # The nixpkgs the hosts are built with (`nixpkgs-stable`), which the new input follows.
    nixpkgs = inputs.get(nixpkgs_name or "nixpkgs")
    return release_of(getattr(nixpkgs, "url", None)) if nixpkgs is not None else None


# The newest release homeward knows: knowledge/releases.py's, as a tuple (one fact, one place:
# init pins it, and a flake on master gets it as home.stateVersion).
NEWEST_RELEASE = NEWEST_VERSION
"""The newest home-manager release homeward knows (the mapping's renames are written for it):
what a flake on master gets as `home.stateVersion` and option names in new files."""


def release_text(release: tuple[int, int] | None, newest: tuple[int, int] = NEWEST_RELEASE) -> str:
    """`YY.MM` for a release; `newest` for master."""
    found = release or newest
    return f"{found[0]:02d}.{found[1]:02d}"


@dataclass(frozen=True, slots=True, eq=False)
class Index:
    repo: Repo
    outputs: tuple[Output, ...]
    hosts: Mapping[str, HostFacts]  # the NixOS configurations homeward migrates, by name
    users: Mapping[str, User]  # every `users.users.<name>` some host defines
    consumers: Mapping[str, frozenset[Output]]  # module key -> the outputs that evaluate it
    hm_input: str | None  # the name of the home-manager input, if any
    release: tuple[int, int] | None  # the home-manager release the flake tracks; None: master
    nixpkgs: str | None  # the nixpkgs input every host is built with, when they agree
    heads: Mapping[str, Mapping[str, Sequence[Definition]]]  # module key -> head -> defs
    accounts: Mapping[str, tuple[ModuleInfo, ...]]  # user -> NixOS modules defining users.users.<u>
    under_home: tuple[ModuleInfo, ...]  # NixOS modules in home/ (where user files live)
    inline_homes: Mapping[str, Sequence[Definition]]  # user -> home config written in NixOS code
    # id of a definition of `inline_homes` -> the NixOS module it is written in
    inline_modules: Mapping[int, ModuleInfo]
    # What homeward leaves byte-identical (rule 10): the modules some consumer it does not
    # rewire reads, in the model's order, and each such consumer -> the reason the first of
    # them gives
    frozen: tuple[ModuleInfo, ...]
    frozen_why: Mapping[str, str]
    entries: Mapping[str, PurePosixPath]  # user -> the entry file of their home configuration
    # user -> host -> the home file home-manager's NixOS module starts their home from there
    host_entries: Mapping[str, Mapping[str, PurePosixPath]]
    # user -> every home file a NixOS module names for them, in the model's order
    wired_homes: Mapping[str, tuple[ModuleInfo, ...]]
    # home file (repo-relative) -> the users whose home starts from it (any of the three above)
    home_users: Mapping[str, frozenset[str]]
    homes_of: Mapping[str, tuple[ModuleInfo, ...]]  # user -> home-manager modules configuring them
    # configuration name (a host, a `homeConfigurations` entry) -> the modules it reaches, of
    # every context, in the model's order
    reached: Mapping[str, tuple[ModuleInfo, ...]]
    standalone: Mapping[str, tuple[str, ...]]  # user -> their `homeConfigurations` names
    # user -> the home-manager modules their standalone configurations read, each once
    standalone_modules: Mapping[str, tuple[ModuleInfo, ...]]
    nixpkgs_homes: frozenset[str]  # users a home-manager module of theirs sets `nixpkgs.*` for
    # user -> the hosts where `home-manager.users.<user>` is defined (who has home-manager where)
    hm_hosts: Mapping[str, frozenset[str]]
    # accounts some NixOS module declares with `isSystemUser = true`: home-manager does not
    # manage them, and their packages stay
    system_users: frozenset[str]
    # each of those -> the hosts reading such a module (an account may be a system one on a
    # server and a person's on a desktop: `system_on`)
    system_hosts: Mapping[str, frozenset[str]] = field(default_factory=dict)
    # Every system configuration's kind, keyed as the model names it: a host by its name, a
    # frozen one by its output (`darwinConfigurations.mac`, a Mac named like a NixOS host).
    kinds: Mapping[str, OutputKind] = field(default_factory=dict)
    # Every nix-darwin host, keyed as `kinds`, and its system modules (what check's Mac rules
    # read: a Mac read as a host and a frozen one alike).
    macs: Mapping[str, tuple[ModuleInfo, ...]] = field(default_factory=dict)
    # Each Mac of `macs` -> what it says of `system.primaryUser` (one answer for check and
    # migrate, decided in the index's one pass: flake.lock read once, not per question).
    primary_users: Mapping[str, PrimaryUser] = field(default_factory=dict)
    # Who has home-manager's module where: every host and Mac (a frozen one too), keyed as
    # `kinds` -> user -> the first `home-manager.users.<user>` definition in its modules.
    hm_wired: Mapping[str, Mapping[str, Definition]] = field(default_factory=dict)
    _host_heads: dict[tuple[str, str], tuple[Definition, ...]] = field(
        default_factory=dict, repr=False
    )
    _entry_args: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False)
    # file -> the imports of it (`importers`), built on the first question (holds one dict)
    _importers: list[Mapping[str, tuple[ModuleRef, ...]]] = field(default_factory=list, repr=False)

    @property
    def normal_users(self) -> list[User]:
        return [u for u in self.users.values() if u.normal]

    def system_on(self, hosts: Collection[str]) -> frozenset[str]:
        """The accounts a module of one of `hosts` declares with `isSystemUser = true`."""
        return frozenset(name for name, on in self.system_hosts.items() if not on.isdisjoint(hosts))

    def primary_user(self, host: str) -> PrimaryUser:
        """What the Mac `host` says of `system.primaryUser` (one answer for check and migrate)."""
        return self.primary_users[host]

    def importers(self, path: PurePath) -> tuple[ModuleRef, ...]:
        """Who imports the file `path` (repo-relative): the elements of a host's `modules` and
        of modules' `imports` naming it, in the model's order (one view for check and migrate;
        built on the first question, as a configuration without user files never asks)."""
        if not self._importers:
            repo = self.repo
            found: dict[str, list[ModuleRef]] = {}
            for refs in (
                *(host.modules for host in repo.hosts.values()),
                *(info.imports for info in repo.modules.values()),
            ):
                for ref in refs:
                    if ref.path is not None:
                        found.setdefault(str(ref.path), []).append(ref)
            self._importers.append({key: tuple(refs) for key, refs in found.items()})
        return self._importers[0].get(str(path), ())

    def is_mac(self, host: str) -> bool:
        """`host` (as the model names it) is a nix-darwin host."""
        return self.kinds.get(host) is OutputKind.DARWIN

    def mac_config(self, host: str) -> SystemConfig:
        """The `SystemConfig` of a Mac of `macs`."""
        return self.repo.hosts.get(host) or self.repo.others[host]

    def by_head(self, info: ModuleInfo) -> Mapping[str, Sequence[Definition]]:
        return self.heads.get(info.key, _EMPTY)

    def host_definitions(self, host: str, head: str) -> tuple[Definition, ...]:
        """The definitions under `head` in the system modules of `host` (cached)."""
        found = self._host_heads.get((host, head))
        if found is None:
            facts = self.hosts.get(host)
            modules = facts.modules if facts is not None else ()
            heads = self.heads
            found = self._host_heads[(host, head)] = tuple(
                d for info in modules for d in heads[info.key].get(head, ())
            )
        return found

    def definitions(self, host: str) -> Iterator[tuple[ModuleInfo, Definition]]:
        """Every definition of the system modules of `host`, with its module."""
        facts = self.hosts.get(host)
        for info in facts.modules if facts is not None else ():
            for d in info.module.definitions:
                yield info, d

    def hm_user_hosts(self, user: str) -> set[str]:
        """Hosts where `home-manager.users.<user>` is defined."""
        return set(self.hm_hosts.get(user, ()))

    def user_homes(self, user: str) -> tuple[ModuleInfo, ...]:
        """The home-manager modules that configure `user` (any wiring), in the model's order."""
        return self.homes_of.get(user, ())

    def standalone_here(self, user: str) -> tuple[ModuleInfo, ...]:
        """The modules of `user`'s standalone configurations that the hosts' homes may share:
        `"<user>@<host>"` for a host of this flake, or `<user>` alone. Not those of a machine
        that is no host here (`"<user>@<machine>"`, home-manager alone there): the hosts'
        homes never read them (`existing_entry`), so nothing there meets what migrate moves."""
        hosts = frozenset(self.repo.hosts)
        here = {
            home
            for home in self.repo.homes
            if home.partition("@")[0] == user and not _elsewhere(home, user, hosts)
        }
        return tuple(m for m in self.standalone_modules.get(user, ()) if m.hosts & here)

    def home_sets_nixpkgs(self, user: str) -> bool:
        """A home-manager module of `user` (through the NixOS module or a standalone
        configuration of theirs) sets `nixpkgs.*`."""
        return user in self.nixpkgs_homes

    def existing_entry(self, user: str) -> PurePosixPath | None:
        """The file a user's existing home-manager configuration starts from: the module that
        `home-manager.users.<user>` names in a host's NixOS modules, else the first module file
        every standalone configuration of theirs lists (`homeConfigurations.ham`, `"ham@desk"`)
        and no other user's does, else the first of one of theirs. None when that file is
        read only by their standalone configurations of machines none of their hosts is
        (`"<user>@<machine>"`, home-manager alone there): the hosts' homes do not start from
        it (what they would get there, those machines would get too; what it sets, the hosts
        never had)."""
        entry = self.entries.get(user)
        if entry is None or self.hm_user_hosts(user) or user not in self.users:
            return entry
        accounts = frozenset(self.users[user].hosts)
        info = self.repo.modules.get(str(entry))
        readers = [
            name
            for name in (info.hosts if info is not None else ())
            if name in self.repo.homes and name.partition("@")[0] == user
        ]
        if accounts and readers and all(_elsewhere(n, user, accounts) for n in readers):
            return None
        return entry

    def entry_stays(self, path: PurePosixPath, user: str) -> bool:
        """The file `path`, which `user`'s home starts from, stays byte-identical, and what it
        would get for them (their feature files, what a standalone configuration needs) goes
        beside it: something homeward does not rewire reads it (rule 10), or another user's
        home starts from it too (`home-manager.users.bob = import ./home/common.nix;` beside
        ann's: what one user gets there, the others would get too), or `user`'s home on a host
        where they have no account homeward can see does (what their other hosts get there
        would reach that one), or their standalone configuration of a machine that is none of
        their hosts does (`"<user>@<machine>"`: the same)."""
        key = str(path)
        info = self.repo.modules.get(key)
        if info is not None and info.frozen:
            return True
        if info is not None and user in self.users:
            accounts = frozenset(self.users[user].hosts)
            if any(u == user and h not in accounts for h, u in info.pairs):
                return True  # a host without the account reads it (its home only)
            if any(
                name in self.repo.homes and _elsewhere(name, user, accounts) for name in info.hosts
            ):
                return True  # their standalone home of a machine that is none of their hosts
        return not self.home_users.get(key, frozenset()) <= {user}


def _elsewhere(home: str, user: str, accounts: frozenset[str]) -> bool:
    """`home` is `user`'s standalone configuration of a machine none of their hosts is
    (`"<user>@<machine>"`): what their hosts get must not reach it."""
    name, _, machine = home.partition("@")
    return name == user and bool(machine) and machine not in accounts


_EMPTY: Mapping[str, Sequence[Definition]] = MappingProxyType({})


def build_index(repo: Repo) -> Index:
    """The index of `repo`: one pass over the modules, then per-host facts from it."""
    heads: dict[str, dict[str, Sequence[Definition]]] = {}
    by_host: dict[tuple[str, Context], list[ModuleInfo]] = {}
    reached: dict[str, list[ModuleInfo]] = {}
    consumers: dict[str, frozenset[Output]] = {}
    homes_of: dict[str, list[ModuleInfo]] = {}
    accounts: dict[str, list[ModuleInfo]] = {}
    under_home: list[ModuleInfo] = []
    nixpkgs_homes: set[str] = set()
    system_users: set[str] = set()
    system_hosts: dict[str, set[str]] = {}
    frozen_macs: dict[str, list[ModuleInfo]] = {}
    frozen: list[ModuleInfo] = []
    frozen_why: dict[str, str] = {}
    kinds = {name: _kind(config) for name, config in repo.hosts.items()}
    # Hosts of other kinds, keyed as the model walks them (`darwinConfigurations.mac`).
    other_names = {key: key.partition(".")[2] or key for key in repo.others}
    for key, config in repo.others.items():
        kinds[key] = _kind(config)
    # Why made once each: most modules are read by one host, so thousands of them have the
    # same consumers; one `Output` per configuration and one set per distinct set of them
    # (at 200 hosts: 7,411 sets of one output became 200).
    made: dict[str, Output] = {}
    shared: dict[frozenset[Output], frozenset[Output]] = {}
    for key, info in repo.modules.items():
        # Why a tuple for a name defined once: most are (a list each was 0.5 MiB at 200 hosts).
        index: dict[str, Sequence[Definition]] = {}
        for d in info.module.definitions:
            if d.path:
                head = d.path[0]
                found = index.get(head)
                if found is None:
                    index[head] = (d,)
                elif isinstance(found, list):
                    found.append(d)
                else:
                    index[head] = [*found, d]
        heads[key] = index
        if info.context is Context.NIXOS:
            if info.under_home:
                under_home.append(info)
            names: set[str] = set()
            for d in index.get("users", ()):
                path = d.path
                if len(path) > 2 and path[1] == "users":
                    if path[2] != DYNAMIC:
                        names.add(path[2])
                    if path[3:] == ("isSystemUser",) and d.value_text.strip() == "true":
                        system_users.add(path[2])
                        system_hosts.setdefault(path[2], set()).update(info.hosts)
            for name in sorted(names):
                accounts.setdefault(name, []).append(info)
        if info.context is Context.HOME:
            for user in info.users:
                homes_of.setdefault(user, []).append(info)
            if "nixpkgs" in index:
                nixpkgs_homes.update(info.users)
                nixpkgs_homes.update(h.split("@", 1)[0] for h in info.hosts if h in repo.homes)
        outputs: set[Output] = set()
        for host in info.hosts:
            by_host.setdefault((host, info.context), []).append(info)
            reached.setdefault(host, []).append(info)
            if info.context is Context.HOME and host in repo.homes:
                outputs.add(Output(OutputKind.HOME, host))
            if host in kinds:
                output = made.get(host)
                if output is None:
                    output = made[host] = Output(kinds[host], other_names.get(host, host))
                outputs.add(output)
        if info.frozen:
            frozen.append(info)
        for other, why in info.frozen.items():  # hosts of other kinds read it without walking it
            frozen_why.setdefault(other, why)
            if other in kinds:
                outputs.add(Output(kinds[other], other_names.get(other, other)))
                if other in repo.others and info.context is Context.NIXOS:
                    frozen_macs.setdefault(other, []).append(info)
        consumer = frozenset(outputs)
        consumers[key] = shared.setdefault(consumer, consumer)
    # Why not tuples: converting every module's lists cost more than the pass that made them.
    frozen_heads: Mapping[str, Mapping[str, Sequence[Definition]]] = heads

    hosts: dict[str, HostFacts] = {}
    for name, config in repo.hosts.items():
        modules = tuple(by_host.get((name, Context.NIXOS), ()))
        hosts[name] = _host_facts(name, kinds[name], config, modules, by_host, frozen_heads)
    outputs_list = [Output(kinds[n], n) for n in repo.hosts]
    outputs_list += [Output(OutputKind.HOME, n) for n in repo.homes]
    outputs_list += [Output(kinds[key], name) for key, name in other_names.items()]
    nixpkgs = hosts_nixpkgs(repo)
    inline_homes, inline_modules = _inline_homes(repo, frozen_heads)
    entries, host_entries, wired_homes = _home_entries(repo)
    hm_hosts: dict[str, set[str]] = {}
    for host_name, host_facts in hosts.items():
        for user in host_facts.hm_users:
            hm_hosts.setdefault(user, set()).add(host_name)
    standalone: dict[str, list[str]] = {}
    for name in repo.homes:
        standalone.setdefault(name.split("@", 1)[0], []).append(name)
    standalone_modules = {
        user: tuple(
            dict.fromkeys(m for name in names for m in by_host.get((name, Context.HOME), ()))
        )
        for user, names in standalone.items()
    }
    macs: dict[str, tuple[ModuleInfo, ...]] = {}
    for key, kind in kinds.items():
        if kind is OutputKind.DARWIN:
            facts = hosts.get(key)
            macs[key] = facts.modules if facts is not None else tuple(frozen_macs.get(key, ()))
    primary_users = {
        key: replace(
            decide_primary_user(modules, frozen_heads),
            option=darwin_primary_user(
                repo.root, repo.inputs, (repo.hosts.get(key) or repo.others[key]).call.function
            ),
        )
        for key, modules in macs.items()
    }
    hm_wired = {
        key: _hm_wired(modules, frozen_heads)
        for key, modules in {**{n: f.modules for n, f in hosts.items()}, **macs}.items()
    }
    return Index(
        repo=repo,
        outputs=tuple(outputs_list),
        hosts=MappingProxyType(hosts),
        users=MappingProxyType(_users(hosts, frozen_heads, system_hosts)),
        consumers=MappingProxyType(consumers),
        hm_input=hm_input_name(repo.inputs),
        release=flake_release(repo.inputs, nixpkgs),
        nixpkgs=nixpkgs,
        heads=MappingProxyType(frozen_heads),
        entries=MappingProxyType(entries),
        host_entries=MappingProxyType(host_entries),
        wired_homes=MappingProxyType(wired_homes),
        home_users=MappingProxyType(_home_users(repo, entries, host_entries, wired_homes)),
        homes_of=MappingProxyType({u: tuple(ms) for u, ms in homes_of.items()}),
        reached=MappingProxyType({name: tuple(ms) for name, ms in reached.items()}),
        standalone=MappingProxyType({u: tuple(names) for u, names in standalone.items()}),
        standalone_modules=MappingProxyType(standalone_modules),
        nixpkgs_homes=frozenset(nixpkgs_homes),
        hm_hosts=MappingProxyType({u: frozenset(hs) for u, hs in hm_hosts.items()}),
        system_users=frozenset(system_users),
        system_hosts=MappingProxyType({u: frozenset(hs) for u, hs in system_hosts.items()}),
        accounts=MappingProxyType({u: tuple(ms) for u, ms in accounts.items()}),
        under_home=tuple(under_home),
        inline_homes=MappingProxyType(inline_homes),
        inline_modules=MappingProxyType(inline_modules),
        frozen=tuple(frozen),
        frozen_why=MappingProxyType(frozen_why),
        kinds=MappingProxyType(kinds),
        macs=MappingProxyType(macs),
        primary_users=MappingProxyType(primary_users),
        hm_wired=MappingProxyType(hm_wired),
    )


def _hm_wired(
    modules: Sequence[ModuleInfo], heads: Mapping[str, Mapping[str, Sequence[Definition]]]
) -> Mapping[str, Definition]:
    """user -> the first `home-manager.users.<user>` definition of `modules` (a computed name
    left out)."""
    found: dict[str, Definition] = {}
    for info in modules:
        for d in heads[info.key].get("home-manager", ()):
            if len(d.path) > 2 and d.path[1] == "users" and d.path[2] != DYNAMIC:
                found.setdefault(d.path[2], d)
    return MappingProxyType(found)


def _kind(config: SystemConfig) -> OutputKind:
    if config.context is Context.HOME:
        return OutputKind.HOME
    darwin = "darwin" in (config.kind, config.call.kind)
    return OutputKind.DARWIN if darwin else OutputKind.NIXOS


def _host_facts(
    name: str,
    kind: OutputKind,
    config: SystemConfig,
    modules: tuple[ModuleInfo, ...],
    by_host: Mapping[tuple[str, Context], list[ModuleInfo]],
    heads: Mapping[str, Mapping[str, Sequence[Definition]]],
) -> HostFacts:
    def under(head: str) -> Iterator[Definition]:
        for info in modules:
            yield from heads[info.key].get(head, ())

    hm_users: dict[str, list[Definition]] = {}
    for d in under("home-manager"):
        if len(d.path) >= 3 and d.path[1] == "users":
            hm_users.setdefault(d.path[2], []).append(d)
    state_version = None
    for d in under("system"):
        if d.path == ("system", "stateVersion"):
            value = string_of(d)
            if value and re.fullmatch(r"\d\d\.\d\d", value):
                state_version = value if state_version is None else min(state_version, value)
    args = config.call.args
    custom = isinstance(args, Attrs) and "pkgs" in args.attrs
    unfree = False
    for d in under("nixpkgs"):
        if d.path[:2] in (("nixpkgs", "overlays"), ("nixpkgs", "pkgs")) or (
            d.path[:2] == ("nixpkgs", "config") and d.path[2:] != ("allowUnfree",)
        ):
            custom = True
        if d.path == ("nixpkgs", "config", "allowUnfree") and d.value_text.strip() == "true":
            unfree = True
    return HostFacts(
        name=name,
        kind=kind,
        config=config,
        modules=modules,
        home_modules=tuple(by_host.get((name, Context.HOME), ())),
        hm_users=MappingProxyType({u: tuple(ds) for u, ds in hm_users.items()}),
        state_version=state_version,
        custom_pkgs=custom,
        allows_unfree=unfree,
    )


def _users(
    hosts: Mapping[str, HostFacts],
    heads: Mapping[str, Mapping[str, Sequence[Definition]]],
    system: Mapping[str, Collection[str]],
) -> dict[str, User]:
    """Every `users.users.<name>`: the hosts defining it, its definitions (once each, in the
    order the hosts reach them), whether it is a normal (login) user: one on a host where no
    module declares it a system account (`system`: account -> those hosts), and then its hosts
    are those."""
    on: dict[str, set[str]] = {}
    defs: dict[str, list[Definition]] = {}
    seen: set[int] = set()
    normal: set[str] = set()
    for host, facts in hosts.items():
        for info in facts.modules:
            for d in heads[info.key].get("users", ()):
                path = d.path
                if len(path) < 3 or path[1] != "users" or path[2] == DYNAMIC:
                    continue
                name = path[2]
                on.setdefault(name, set()).add(host)
                defs.setdefault(name, [])
                if id(d) not in seen:
                    seen.add(id(d))
                    defs[name].append(d)
                if host in system.get(name, ()):
                    continue  # a system account here (`isSystemUser = true`)
                if (path[3:] == ("isNormalUser",) and d.value_text == "true") or path[3:4] == (
                    "packages",
                ):
                    normal.add(name)
                elif facts.kind is OutputKind.DARWIN and path[3:] == ("home",):
                    normal.add(name)  # nix-darwin has no isNormalUser: a home is a person's
    # A person's account is on the hosts where it is not a system one: home-manager is wired
    # for them there, not where the name is a system account's.
    return {
        name: User(
            name,
            tuple(sorted(on[name].difference(system.get(name, ()) if name in normal else ()))),
            tuple(defs[name]),
            name in normal,
        )
        for name in sorted(on)
    }


def _home_entries(
    repo: Repo,
) -> tuple[
    dict[str, PurePosixPath],
    dict[str, Mapping[str, PurePosixPath]],
    dict[str, tuple[ModuleInfo, ...]],
]:
    """Where each user's existing home starts, in one pass over the imports from NixOS modules
    into home files (asked per user and per host, the scans were one per user, twice):

    - user -> the first home file a NixOS module names for them; of several, the one the most
      hosts read (`home/<u>` on every host, not `home/<u>/<host>.nix` wired beside it by one
      host's own module, which comes first when the host's modules precede the shared ones);
      else the first module file every standalone configuration of theirs lists and no
      other user's does (else the first of one of theirs);
    - user -> host -> the file home-manager's NixOS module starts their home from there
      (plan/homes.py: a host may have its own), chosen the same way among a host's files;
      for a user no NixOS module wires, the file their `"<user>@<host>"` starts from;
    - user -> every such home file, in the model's order (`entry_arguments` reads them)."""
    found: dict[str, PurePosixPath] = {}
    reach: dict[str, int] = {}
    per_host: dict[str, dict[str, PurePosixPath]] = {}
    shared: dict[tuple[str, str], int] = {}
    wired: dict[str, dict[str, ModuleInfo]] = {}
    for parent, child in repo.edges:
        up, info = repo.modules.get(parent), repo.modules.get(child)
        if up is None or info is None or info.path is None:
            continue
        if up.context is not Context.NIXOS or info.context is not Context.HOME:
            continue
        path = PurePosixPath(info.path)
        for user in info.users:
            wired.setdefault(user, {}).setdefault(info.key, info)
            hosts = sorted(host for host, who in info.pairs if who == user)
            readers = len(hosts)
            count = readers or len(info.hosts)
            if user not in found or count > reach[user]:
                found[user] = path
                reach[user] = count
            for host in hosts:
                if host not in up.hosts:
                    continue
                mine = per_host.setdefault(user, {})
                if host not in mine or readers > shared[(user, host)]:
                    mine[host] = path
                    shared[(user, host)] = readers
    # Module files of standalone configurations -> the configurations listing them.
    listed: dict[str, set[str]] = {}
    configs: dict[str, set[str]] = {}  # user -> their standalone configurations
    for key, home in repo.homes.items():
        configs.setdefault(key.split("@", 1)[0], set()).add(key)
        for ref in home.modules:
            if ref.kind is ModuleKind.FILE and ref.path is not None:
                listed.setdefault(str(ref.path), set()).add(key)
    for key, home in sorted(repo.homes.items()):
        user = key.split("@", 1)[0]
        if user in found:
            continue
        files = [
            ref.path for ref in home.modules if ref.kind is ModuleKind.FILE and ref.path is not None
        ]
        # The first file every configuration of the user lists and no other user's does
        # (`[ ./home/shared ./home/ann ]` starts from `home/ann`: what ann's home gets
        # there, bob's would get too through `home/shared`).
        own = [path for path in files if listed[str(path)] == configs[user]]
        if own or files:
            found[user] = PurePosixPath((own or files)[0])
    # A user no NixOS module wires a home for on host `h`, whose standalone configuration
    # there starts from another file (`"ann@a"` from `home/ann/a-home.nix`, `"ann@b"` from
    # `home/ann/b-home.nix`; or ann wired through NixOS on `a` only, `"ann@b"` from
    # `home/ann/standalone.nix`): the home of `h` starts from the file `"<user>@h"` starts
    # from, the first of its files no other user's configuration lists (rule 13: both wirings
    # of a host read the same files), unless it reads the user's entry already.
    for key, home in sorted(repo.homes.items()):
        user, _, host = key.partition("@")
        if user not in found or host not in repo.hosts:
            continue
        if any((host, user) in info.pairs for info in wired.get(user, {}).values()):
            continue  # a NixOS module wires this home: it starts where that one does
        read = [
            PurePosixPath(ref.path)
            for ref in home.modules
            if ref.kind is ModuleKind.FILE and ref.path is not None
        ]
        if not read or found[user] in read:
            continue
        theirs = [path for path in read if listed[str(path)] <= configs[user]]
        per_host.setdefault(user, {}).setdefault(host, (theirs or read)[0])
    return (
        found,
        {user: MappingProxyType(hosts) for user, hosts in per_host.items()},
        {user: tuple(infos.values()) for user, infos in wired.items()},
    )


def _home_users(
    repo: Repo,
    entries: Mapping[str, PurePosixPath],
    host_entries: Mapping[str, Mapping[str, PurePosixPath]],
    wired_homes: Mapping[str, tuple[ModuleInfo, ...]],
) -> dict[str, frozenset[str]]:
    """home file -> the users whose home starts from it: their entry, the file a host
    starts it from, any home file a NixOS module names for them, or one a standalone
    configuration of theirs lists (`mkHome = user: modules: … modules ++ [ ./home/shared ]`
    gives ann and bob `home/shared`, though bob's home starts from the file he is given: what
    ann's home gets there, bob's would get too)."""
    found: dict[str, set[str]] = {}
    for key, home in repo.homes.items():
        for ref in home.modules:
            if ref.kind is ModuleKind.FILE and ref.path is not None:
                found.setdefault(str(ref.path), set()).add(key.split("@", 1)[0])
    for user, path in entries.items():
        found.setdefault(str(path), set()).add(user)
    for user, hosts in host_entries.items():
        for path in hosts.values():
            found.setdefault(str(path), set()).add(user)
    for user, infos in wired_homes.items():
        for info in infos:
            if info.path is not None:
                found.setdefault(str(info.path), set()).add(user)
    return {path: frozenset(users) for path, users in found.items()}


def entry_arguments(index: Index, name: str) -> tuple[str, ...]:
    """The arguments a user's existing home-manager entry file takes before it is a module:
    `{ isWSL, inputs, ... }: { config, pkgs, ... }: { … }`, wired as
    `home-manager.users.<u> = import ./home.nix { … }`. Listed as it is in a standalone
    configuration's `modules`, home-manager would call it without them. () when every home
    file the NixOS wiring gives the user (on any host) is a module file. Asked once a user."""
    found = index._entry_args.get(name)
    if found is None:
        found = index._entry_args[name] = _entry_arguments(index.repo, index.wired_homes, name)
    return found


def _entry_arguments(
    repo: Repo, wired_homes: Mapping[str, tuple[ModuleInfo, ...]], name: str
) -> tuple[str, ...]:
    for info in wired_homes.get(name, ()):
        source = repo.ev.files.source_of(repo.root / info.path) if info.path is not None else None
        top = source.root.child_by_field_name("expression") if source is not None else None
        if source is None or top is None or unparen(top).type != "function_expression":
            continue
        body = unparen(top).child_by_field_name("body")
        if body is not None and unparen(body).type == "function_expression":
            return tuple(function_formals(unparen(top), source.text)) or ("{ }",)
    return ()


def inline_home_config(index: Index, name: str) -> list[Definition]:
    """`home-manager.users.<name> = { ... }` written in place (not a file): standalone
    `homeConfigurations` cannot use it."""
    return list(index.inline_homes.get(name, ()))


def _inline_homes(
    repo: Repo, heads: Mapping[str, Mapping[str, Sequence[Definition]]]
) -> tuple[dict[str, list[Definition]], dict[int, ModuleInfo]]:
    """user -> the home-manager configuration written inside NixOS modules (every user at once:
    asked per user, the scan over every module was quadratic); and each of those definitions
    (by id) -> its module."""
    found: dict[str, list[Definition]] = {}
    modules: dict[int, ModuleInfo] = {}
    for key, info in repo.modules.items():
        if info.context is not Context.NIXOS:
            continue
        for d in heads[key].get("home-manager", ()):
            if len(d.path) < 3 or d.path[1] != "users" or d.path[3:] == ("imports",):
                continue
            inline = unparen(d.value).type in (
                "attrset_expression",
                "rec_attrset_expression",
                "function_expression",
            )
            if len(d.path) > 3 or inline:
                found.setdefault(d.path[2], []).append(d)
                modules.setdefault(id(d), info)
    return found, modules
