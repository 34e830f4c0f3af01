"""Hosts a framework assembles from a directory, as `migrate` sees them.

ez-configs, snowfall-lib, blueprint and nixos-unified build a host from its directory
(`nixos-configurations/<host>/`, `systems/<arch>/<host>/`, ...): no module list is written
anywhere that homeward could wire home-manager into, and the framework decides what else the
host imports. Until homeward migrates within each convention, such hosts are read (check lints
them, graph draws them) but `migrate` treats them as consumers it does not rewire: every file
they reach stays byte-identical (docs/architecture.md, rule 10), and a warning names the
framework, the hosts and what is not supported.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePosixPath

from homeward.diagnostics import Diagnostic, Severity
from homeward.model.repo import Repo, SystemConfig

OUTPUT = {
    "nixos": "nixosConfigurations",
    "darwin": "darwinConfigurations",
    "home": "homeConfigurations",
}


def assembled(repo: Repo) -> dict[str, SystemConfig]:
    """The hosts and homes of `repo` a framework assembles, by their name in the model."""
    found = {n: c for n, c in repo.hosts.items() if c.framework}
    found |= {n: c for n, c in repo.homes.items() if c.framework}
    found |= {n: c for n, c in repo.others.items() if c.framework}
    return found


def without_assembled(repo: Repo) -> tuple[Repo, list[Diagnostic]]:
    """`repo` with the hosts and homes a framework assembles moved to the consumers homeward
    reads but does not rewire (`others`, their files frozen), and the warnings that say so."""
    found = assembled(repo)
    if not found:
        return repo, []
    names = {n for n in found if n in repo.hosts or n in repo.homes}
    others = dict(repo.others)
    why: dict[str, str] = {}
    for name in sorted(names):
        config = found[name]
        key = f"{OUTPUT.get(config.kind, 'nixosConfigurations')}.{name}"
        others[key] = replace(config, name=key)
        why[name] = (
            f"`{key}` is assembled by {config.framework}, which homeward does not migrate yet"
        )
    modules = {}
    for key, info in repo.modules.items():
        reached = info.hosts & names
        if not reached:
            modules[key] = info
            continue
        frozen = dict(info.frozen)
        for name in sorted(reached):
            frozen.setdefault(name, why[name])
        modules[key] = replace(info, hosts=info.hosts - names, frozen=frozen)
    restricted = replace(
        repo,
        hosts={n: c for n, c in repo.hosts.items() if n not in names},
        homes={n: c for n, c in repo.homes.items() if n not in names},
        modules=modules,
        others=others,
    )
    return restricted, _warnings(found)


def _warnings(found: dict[str, SystemConfig]) -> list[Diagnostic]:
    by_framework: dict[str, list[SystemConfig]] = {}
    for config in found.values():
        by_framework.setdefault(config.framework, []).append(config)
    warnings = []
    for framework, configs in sorted(by_framework.items()):
        shown = []
        for config in sorted(configs, key=lambda c: c.name):
            entry = config.location.path if config.location is not None else None
            where = f" ({PurePosixPath(entry)})" if entry is not None else ""
            shown.append(f"`{config.name.rpartition('.')[2] or config.name}`{where}")
        first = min(configs, key=lambda c: c.name)
        warnings.append(
            Diagnostic(
                Severity.WARNING,
                f"{framework} assembles {_count(len(configs))} from their directories: "
                f"{', '.join(shown)}; homeward reads them but does not migrate hosts a "
                "framework assembles yet, so every file they read is left as it is",
                first.location,
                hint=f"move users' packages into their home-manager configuration by hand, in "
                f"{framework}'s layout; homeward migrates the hosts whose `nixosSystem` call "
                "it can see",
            )
        )
    return warnings


def _count(n: int) -> str:
    return f"{n} configuration" if n == 1 else f"{n} configurations"
