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
from homeward.model.frameworks import PER_SYSTEM
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
            f"`{key}` is under `packages.<system>`, which homeward does not migrate"
            if config.framework == PER_SYSTEM
            else f"`{key}` is assembled by {config.framework}, which homeward does not migrate yet"
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
        first = min(configs, key=lambda c: c.name)
        shown = _per_output(configs) if framework == PER_SYSTEM else _with_entries(configs)
        message, hint = _said(framework, len(configs), shown)
        warnings.append(Diagnostic(Severity.WARNING, message, first.location, hint=hint))
    return warnings


def _name(config: SystemConfig) -> str:
    return f"`{config.name.rpartition('.')[2] or config.name}`"


def _with_entries(configs: list[SystemConfig]) -> str:
    """`box` (systems/x86_64-linux/box/default.nix), ...: each with the file it starts from."""
    shown = []
    for config in sorted(configs, key=lambda c: c.name):
        at = config.location
        shown.append(_name(config) + (f" ({PurePosixPath(at.path)})" if at is not None else ""))
    return ", ".join(shown)


def _per_output(configs: list[SystemConfig]) -> str:
    """`nixosConfigurations` `box`, `lab`; `homeConfigurations` `kim`: by the output they are in
    (their builder call is often one helper's, so its place names no host)."""
    by_output: dict[str, list[str]] = {}
    for config in configs:
        output = OUTPUT.get(config.kind, "nixosConfigurations")
        by_output.setdefault(output, []).append(_name(config))
    return "; ".join(
        f"`{output}` {', '.join(sorted(names))}"
        for output, names in sorted(
            by_output.items(), key=lambda i: list(OUTPUT.values()).index(i[0])
        )
    )


def _said(framework: str, n: int, shown: str) -> tuple[str, str]:
    """The warning and its hint for the configurations `framework` builds."""
    if framework == PER_SYSTEM:
        message = (
            f"{_count(n)} under `packages.<system>`: {shown}; nixos-rebuild, darwin-rebuild and "
            "home-manager do not read them there, and homeward reads them but does not migrate "
            "them, so every file they read is left as it is"
        )
        hint = (
            "move them to the flake's top-level `nixosConfigurations`, `darwinConfigurations` "
            "or `homeConfigurations` (outside `eachDefaultSystem`): homeward migrates those"
        )
        return message, hint
    message = (
        f"{framework} assembles {_count(n)} from their directories: {shown}; homeward reads them "
        "but does not migrate hosts a framework assembles yet, so every file they read is left "
        "as it is"
    )
    hint = (
        "move users' packages into their home-manager configuration by hand, in the layout "
        f"{framework} reads; homeward migrates the hosts whose `nixosSystem` call it can see"
    )
    return message, hint


def not_migrated(frameworks: list[str]) -> str:
    """`nothing migrated: ...` for the configurations of `frameworks` that migrate left alone."""
    named = [f for f in frameworks if f != PER_SYSTEM]
    parts = [f"the hosts {' and '.join(named)} assembles yet"] if named else []
    if PER_SYSTEM in frameworks:
        parts.append("the configurations under `packages.<system>`")
    return (
        f"nothing migrated: homeward does not migrate {' and '.join(parts)} (see the warning above)"
    )


def _count(n: int) -> str:
    return f"{n} configuration" if n == 1 else f"{n} configurations"
