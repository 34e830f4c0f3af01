"""The rules of `homeward check`: one small function per rule, registered in `RULES`.

Each rule reads `Facts` (a Repo and what is derived from it) and yields `Finding`s; `lint()`
turns them into `Diagnostic`s with the rule's code, severity and hint. Pure: no IO, no output.
The text of each rule, with a bad and a good example, is in docs/rules.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import Location
from homeward.knowledge.hmdata import HomeOptions
from homeward.knowledge.mapping import renames_for
from homeward.lint.facts import (
    MODULE_KEYWORDS,
    ROW_HEADS,
    Facts,
    HomeConfig,
    HomeKind,
    binding_location,
    is_user_packages,
    mapped_row,
)
from homeward.lint.packages import PackageRef, package_refs
from homeward.model.index import release_text
from homeward.model.repo import (
    ModuleInfo,
    ModuleKind,
    ModuleRef,
    ProblemKind,
    no_host_framework,
    stays_system,
    under_home,
)
from homeward.syntax.find import DYNAMIC, Definition, walk_definitions
from homeward.syntax.nodes import WRAPPERS, call_parts, dotted_name, function_leaf, unparen

FIXABLE = "fixable: run `homeward migrate`"


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found; severity and hint default to the rule's."""

    at: Location | None
    message: str
    severity: Severity | None = None
    hint: str | None = None
    # The option path the finding is about, in the file of `at`: a fixable rule's finding is
    # fixable only where `homeward migrate` moves that path, or, without one, edits its line.
    subject: tuple[str, ...] = ()
    # About a part homeward cannot read (docs/architecture.md, rule 9): an error with
    # `check --strict`. None: the rule's.
    opaque: bool | None = None
    # Its severity where `homeward migrate` keeps the definition on purpose: migrate's output
    # must pass check (issue 11), so what it keeps is not then an error. None: unchanged.
    if_kept: Severity | None = Severity.WARNING


Check = Callable[[Facts], Iterable[Finding]]
# Why `homeward migrate` does not fix a finding at a place about an option path (None: it does).
Fixed = Callable[[Location, tuple[str, ...]], str | None]
KEPT = "`homeward migrate` keeps it where it is: `homeward migrate --dry-run` says why"
# What stays a NixOS option but leaves a user's file that migrate moves into home-manager (a
# host with other users): it goes to a system module, and the finding with it (that module is
# no user file).
KEPT_MOVED = (
    "`homeward migrate` keeps it a NixOS option and moves it to `{}`: "
    "`homeward migrate --dry-run` says why"
)
_KEPT_MARK = "`homeward migrate` keeps it"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    summary: str  # the one-line description (docs/rules.md, SARIF, `--select` errors)
    hint: str
    fixable: bool
    check: Check
    opaque: bool = False  # its findings are about what homeward cannot read (`--strict`)

    @property
    def name(self) -> str:
        """A PascalCase name for SARIF's `reportingDescriptor.name`."""
        return self.check.__name__.removeprefix("check_").title().replace("_", "")


RULES: dict[str, Rule] = {}


def rule(
    code: str,
    severity: Severity,
    summary: str,
    hint: str,
    *,
    fixable: bool = False,
    opaque: bool = False,
) -> Callable[[Check], Check]:
    def register(fn: Check) -> Check:
        assert code not in RULES, code
        RULES[code] = Rule(code, severity, summary, hint, fixable, fn, opaque)
        return fn

    return register


def lint(
    facts: Facts,
    codes: Collection[str] | None = None,
    fixed: Fixed | None = None,
    *,
    strict: bool = False,
) -> list[Diagnostic]:
    """Run the rules in `codes` (all when None); diagnostics sorted by place, then code.

    A fixable rule's finding about an option path is called fixable only if `fixed` says that
    `homeward migrate` moves it (issue 13: fixable means fixed); without `fixed`, by the rule.
    With `strict`, a finding about a part homeward cannot read is an error (`check --strict`).
    """
    found: list[Diagnostic] = []
    seen: set[tuple[str, Location | None, str]] = set()
    for code, r in RULES.items():
        if codes is not None and code not in codes:
            continue
        for f in r.check(facts):
            key = (code, f.at, f.message)
            if key in seen:
                continue
            seen.add(key)
            hint = r.hint if f.hint is None else f.hint
            fixable = r.fixable
            severity = f.severity or r.severity
            if fixable and fixed is not None and f.at is not None:
                why = fixed(f.at, f.subject)
                if why is not None:
                    fixable = False
                    hint = f"{hint}; {why}" if hint else why
                    if why.startswith(_KEPT_MARK) and f.if_kept is not None:
                        severity = f.if_kept
            if fixable:
                hint = f"{hint} ({FIXABLE})" if hint else FIXABLE
            if strict and (r.opaque if f.opaque is None else f.opaque):
                severity = Severity.ERROR
            found.append(Diagnostic(severity, f.message, f.at, code, hint, fixable))
    found.sort(key=_order)
    return found


def _order(d: Diagnostic) -> tuple[str, int, int, str]:
    if d.at is None:
        return ("", 0, 0, d.code)
    return (d.at.path.as_posix(), d.at.line, d.at.col, d.code)


def _dotted(path: Iterable[str]) -> str:
    return ".".join(path)


# -- HW001 ---------------------------------------------------------------------------------------


@rule(
    "HW001",
    Severity.ERROR,
    "a host or system module imports a user file",
    "import it from the user's home-manager configuration (`home-manager.users.<user>`)",
    fixable=True,
)
def check_imports_user_file(facts: Facts) -> Iterator[Finding]:
    repo = facts.repo

    def child_of(ref: ModuleRef, words: Callable[[], str]) -> Finding | None:
        child = facts.imported_user_file(ref)
        if child is None or ref.path is None:
            return None
        why = "a user file" if under_home(ref.path) else "a file of user-level definitions only"
        return Finding(
            ref.location,
            f"`{ref.path}` is {why}, imported here as {words()}",
            # A home-manager module imported as a NixOS module as well is wrong wherever it is.
            if_kept=Severity.ERROR if child.users else Severity.WARNING,
        )

    for name, host in repo.hosts.items():
        words = "a nix-darwin module" if facts.index.is_mac(name) else "a NixOS module"
        for ref in host.modules:
            if (found := child_of(ref, partial(str, words))) is not None:
                yield found
    for info in facts.nixos_modules:
        if not info.imports or facts.is_user_file(info):
            continue  # user files importing each other: reported once, where they enter
        for ref in info.imports:
            # Why lazily: what a module is called is needed only for an import it reports.
            if (found := child_of(ref, partial(facts.system_words, info))) is not None:
                yield found


# -- HW002 ---------------------------------------------------------------------------------------


@rule(
    "HW002",
    Severity.ERROR,
    "`users.users.<name>.packages` is set: user packages belong in `home.packages`",
    "move the list to `home.packages` in the user's home configuration",
    fixable=True,
)
def check_user_packages(facts: Facts) -> Iterator[Finding]:
    index = facts.index
    for info in facts.nixos_modules:
        for d in facts.by_head(info).get("users", ()):
            # A system account on a host reading the module: its packages stay (per host: the
            # same name may be a person's account on another).
            if is_user_packages(d.path) and not stays_system(d, index.system_on(info.hosts)):
                if d.path[2] == DYNAMIC:
                    # Why a warning (issue 11): whose account it is cannot be told (a system
                    # account's packages stay), and `migrate` leaves it, saying so.
                    yield Finding(
                        binding_location(d, 4),
                        f"`{_dotted(d.path[:4])}` is set for an account whose name is "
                        "computed: if it is a normal user's, the packages belong in "
                        "`home.packages`",
                        severity=Severity.WARNING,
                        hint="move the list to the user's home configuration by hand",
                        subject=d.path[:4],
                    )
                    continue
                yield Finding(
                    binding_location(d, 4),
                    f"`{_dotted(d.path[:4])}` is set: user packages belong in `home.packages`",
                    subject=d.path[:4],
                )


# -- HW003 ---------------------------------------------------------------------------------------

_SYSTEM_WIDE_OK = frozenset({"enable", "package"})


@rule(
    "HW003",
    Severity.WARNING,
    "a user-level NixOS option that home-manager covers, in a system module",
    "define it in the user's home configuration instead",
    fixable=True,
)
def check_user_level_option(facts: Facts) -> Iterator[Finding]:
    for info in facts.nixos_modules:
        if info.users:
            continue  # a home-manager module a host imports as well: that import is HW001
        heads = facts.by_head(info)
        if heads.keys().isdisjoint(ROW_HEADS):
            continue
        user_file = facts.is_user_file(info)
        groups: dict[tuple[str, ...], list[Definition]] = {}
        for d in (d for head in ROW_HEADS for d in heads.get(head, ())):
            row = mapped_row(d.path)
            if row is None or ((row.per_leaf or row.split) and not user_file):
                # Session variables, aliases and shell settings in a host module are
                # system-wide on purpose.
                continue
            depth = len(row.nixos) + 1 if row.per_leaf else len(row.nixos)
            groups.setdefault(d.path[:depth], []).append(d)
        for group, defs in groups.items():
            row = mapped_row(defs[0].path)
            assert row is not None
            leaves = {d.path[len(row.nixos)] for d in defs}
            if not user_file and leaves <= _SYSTEM_WIDE_OK:
                continue  # `programs.tmux.enable` on a host installs it for everyone
            target = _dotted(row.home) + (f".{group[-1]}" if row.per_leaf else "")
            renames = renames_for(row, facts.release)
            renamed = [f"`{k}` is `{renames[k]}`" for k in sorted(leaves) if k in renames]
            where = "a user file" if user_file else facts.system_words(info)
            message = f"`{_dotted(group)}` in {where}: home-manager has `{target}`"
            if renamed:
                message += f" ({', '.join(renamed)} there)"
            hint = f"define `{target}` in the user's home configuration instead"
            if row.note:
                hint += f"; note: {row.note}"
            yield Finding(binding_location(defs[0], len(group)), message, hint=hint, subject=group)


# -- HW004 ---------------------------------------------------------------------------------------


@rule(
    "HW004",
    Severity.ERROR,
    "a home-manager module sets an option home-manager does not have",
    "NixOS options belong in a system module (hosts/<host>/ or modules/system/)",
)
def check_home_option_exists(facts: Facts) -> Iterator[Finding]:
    options: HomeOptions | None = None  # read for the first path to check (`Facts`)
    declared = facts.declared_options
    declared_heads = {p[0] for p in declared if p}
    external: dict[str, bool] = {}
    for home in facts.homes:
        # Modules from outside the repository, or ones homeward cannot see, may declare options.
        hidden = home.external or home.opaque
        for info in home.modules:
            external[info.key] = external.get(info.key, False) or hidden
    # A home-manager module of no home homeward reads is lenient too: it may be imported next to
    # modules from outside the repository (impermanence's home.persistence, nix-index-database);
    # on the corpus, 85 of the 86 HW004 findings were such names before this (issue 13).
    sources: list[tuple[bool, Iterable[Definition]]] = [
        (external.get(m.key, True), m.module.definitions) for m in facts.home_modules
    ]
    sources.extend((h.external or h.opaque, h.inline) for h in facts.homes if h.inline)
    # Why one verdict per path: the same paths (`home.packages`, `programs.<x>.enable`) come
    # back in module after module of every home.
    verdicts: dict[tuple[str, ...], tuple[tuple[str, ...], str, str | None] | None] = {}
    for lenient, defs in sources:
        reported: set[tuple[str, ...]] = set()
        for d in defs:
            path = d.path
            if path in verdicts:
                verdict = verdicts[path]
            else:
                if options is None:
                    options = facts.home_options
                    if options is None:
                        return  # no option data in this installation: HW004 is skipped
                verdict = verdicts[path] = _option_verdict(path, options, declared, declared_heads)
            if verdict is None:
                continue
            prefix, kind, hint = verdict
            if kind != "nixos" and lenient:
                continue
            if prefix in reported:
                continue
            reported.add(prefix)
            if kind == "nixos":
                message = f"`{_written(prefix)}` is a NixOS option: home-manager has no such option"
            elif kind == "removed":
                message = f"home-manager removed `{_written(prefix)}`"
            else:
                message = f"home-manager has no option `{_written(prefix)}`"
            yield Finding(binding_location(d, len(prefix)), message, hint=hint)


def _written(path: Iterable[str]) -> str:
    """An option path as nix code writes it (`home.file.".vimrc".source`)."""
    # Why here: the Nix builder is 15 classes (7 ms to import) that only this finding needs.
    from homeward.syntax.emit import attr_key

    return ".".join(map(attr_key, path))


def _option_verdict(
    path: tuple[str, ...],
    options: HomeOptions,
    declared: list[tuple[str, ...]],
    declared_heads: set[str],
) -> tuple[tuple[str, ...], str, str | None] | None:
    """(the prefix to report, "nixos" | "removed" | "unknown", a hint) for a home-manager
    definition at `path`; None when it is fine (or homeward cannot tell)."""
    if not path or path[0] in MODULE_KEYWORDS or DYNAMIC in path[:2]:
        return None
    if (path[0] in declared_heads or DYNAMIC in declared_heads) and _declared(path, declared):
        return None
    nixos = options.nixos_only_prefix(path)
    if nixos is not None:
        return nixos, "nixos", None
    unknown = options.unknown_path(path, DYNAMIC)
    if unknown is None:
        return None
    if unknown.removed:
        return unknown.prefix, "removed", None
    hint = None
    if unknown.near is not None:
        hint = f"did you mean `{_written((*unknown.prefix[:-1], unknown.near))}`?"
    return unknown.prefix, "unknown", hint


def _declared(path: tuple[str, ...], declared: list[tuple[str, ...]]) -> bool:
    return any(_covers(p, path) for p in declared)


def _covers(declared: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """Whether a declaration at `declared` covers a definition at `path` (one is a prefix of the
    other); a computed name in the declaration (`options.${namespace}.zsh`, snowfall-lib's
    namespace) stands for any name."""
    return all(d == p or d == DYNAMIC for d, p in zip(declared, path, strict=False))


# -- HW005 ---------------------------------------------------------------------------------------


@rule(
    "HW005",
    Severity.WARNING,
    'a user wired through home-manager\'s NixOS module has no `homeConfigurations."<user>@<host>"`',
    "`home-manager switch --flake .#<user>@<host>` needs that name; `homeward add user` writes it",
)
def check_home_configuration_name(facts: Facts) -> Iterator[Finding]:
    # Why a warning (issue 11): the NixOS module is authoritative (docs/architecture.md), so a
    # user wired only through it is configured; the standalone entry is the layout's
    # convenience. A bare `homeConfigurations."<user>"` is that user's on every host, and a
    # `homeConfigurations` written out empty declines standalone homes on purpose.
    if facts.standalone_declined:
        return
    for home in facts.homes:
        if home.kind is not HomeKind.MODULE or home.user is None or home.host is None:
            continue
        if facts.standalone_of(home.user, home.host) is None:
            name = f"{home.user}@{home.host}"
            yield Finding(
                home.at,
                f"`{home.user}` is wired into `{home.host}` through {home.module_words}, "
                f'but there is no `homeConfigurations."{name}"`',
                hint=f'add `homeConfigurations."{name}"` so that '
                f"`home-manager switch --flake .#{name}` works (`homeward add user`)",
            )


# -- HW006 ---------------------------------------------------------------------------------------


@rule(
    "HW006",
    Severity.WARNING,
    "the `home-manager` input does not follow `nixpkgs`",
    'add `inputs.nixpkgs.follows = "nixpkgs";` to the `home-manager` input',
)
def check_follows_nixpkgs(facts: Facts) -> Iterator[Finding]:
    repo = facts.repo
    if "nixpkgs" not in repo.inputs:
        return
    for name, flake_input in repo.inputs.items():
        is_home_manager = name == "home-manager" or "home-manager" in (flake_input.url or "")
        if not is_home_manager or any(sub == "nixpkgs" for sub, _ in flake_input.follows):
            continue
        yield Finding(
            _input_location(facts, name),
            f"the `{name}` input does not follow `nixpkgs`: it evaluates a second nixpkgs, "
            "and home-manager's packages can mismatch the system's",
            hint=f'add `inputs.nixpkgs.follows = "nixpkgs";` to the `{name}` input',
        )


def _input_location(facts: Facts, name: str) -> Location:
    flake = facts.repo.flake
    top = flake.root.child_by_field_name("expression")
    if top is not None:
        for d in walk_definitions(flake, top):
            if d.path[:2] == ("inputs", name):
                return binding_location(d, 2)
    return flake.location(0)


# -- HW007 ---------------------------------------------------------------------------------------


@rule(
    "HW007",
    Severity.ERROR,
    "a home-manager configuration without `home.stateVersion`",
    "set `home.stateVersion` to the home-manager release you first used (never bump it blindly)",
)
def check_state_version(facts: Facts) -> Iterator[Finding]:
    # Why (issue 14): one missing `home.stateVersion` in a user's entry file is missing from every
    # configuration that uses the file (each host's NixOS module, each standalone one): one
    # finding at the file, with the value homeward knows, not one per output on flake.nix lines.
    # Open world (issue 11): "does not set" is an error only where homeward sees every module
    # of the home. A module from outside the files it reads (an input's, or the flake's own
    # `self.homeModules.*`, which it does not follow) may set it: then it is a note.
    release = release_text(facts.release)
    hint = (
        f'add `home.stateVersion = "{release}";` (the home-manager release this flake tracks); '
        "once set, never change it"
    )
    by_entry: dict[str, tuple[ModuleInfo, list[HomeConfig]]] = {}
    for home in facts.homes:
        if home.opaque:
            continue  # a module homeward cannot see may set it
        if _sets_state_version(facts, home):
            continue
        entry = _entry_of(facts, home)
        if entry is None:
            unseen = _unseen_modules([home])
            yield Finding(
                home.at,
                f"{home.title} does not set `home.stateVersion`{unseen}",
                Severity.NOTE if unseen else None,
            )
            continue
        by_entry.setdefault(entry.key, (entry, []))[1].append(home)
    for entry, homes in by_entry.values():
        body = entry.module.body
        at = entry.source.location(body.start_byte if body is not None else 0)
        users = sorted({h.user or h.name for h in homes})
        hosts = sorted({h.host for h in homes if h.host is not None})
        used = f"the home of {_names(users)}" + (f" on {_names(hosts)}" if hosts else "")
        # An error when one configuration using the entry file is seen whole.
        unseen = _unseen_modules(homes) if all(h.external for h in homes) else ""
        yield Finding(
            at,
            f"`{entry.path}` does not set `home.stateVersion`{unseen} ({used}, {len(homes)} "
            f"configuration{'s' if len(homes) != 1 else ''})",
            Severity.NOTE if unseen else None,
            hint=f"if none of them sets it, {hint}" if unseen else hint,
        )


def _unseen_modules(homes: list[HomeConfig]) -> str:
    """ " unless …" naming the modules from outside that the homes import; "" when every
    module of some home is seen."""
    if not all(h.external for h in homes):
        return ""
    names = sorted(
        {
            ref.label
            for h in homes
            for info in h.modules
            for ref in info.imports
            if ref.kind is ModuleKind.EXTERNAL and ref.label
        }
    )
    which = f" ({_names(names)})" if names else ""
    return f" unless a module homeward cannot see sets it{which}"


def _names(names: list[str]) -> str:
    return ", ".join(f"`{n}`" for n in names)


def _entry_of(facts: Facts, home: HomeConfig) -> ModuleInfo | None:
    """The user's entry file (the index's) when this configuration uses it."""
    entry = facts.index.entries.get(home.user or "")
    if entry is None:
        return None
    return next((m for m in home.modules if m.path is not None and m.path == Path(entry)), None)


def _sets_state_version(facts: Facts, home: HomeConfig) -> bool:
    """`home.stateVersion` (or the whole of `home`) among the definitions of `home`."""
    for info in home.modules:  # Why by head: only `home.*` can set it
        for d in facts.by_head(info).get("home", ()):
            if d.path[:2] == ("home", "stateVersion") or d.path == ("home",):
                return True
    return any(d.path[:2] == ("home", "stateVersion") or d.path == ("home",) for d in home.inline)


# -- HW008 ---------------------------------------------------------------------------------------


@rule(
    "HW008",
    Severity.WARNING,
    "`home-manager.useGlobalPkgs` is not set while the host sets `nixpkgs.config` or "
    "`nixpkgs.overlays`",
    "set `home-manager.useGlobalPkgs = true;` so that home-manager uses the host's pkgs",
)
def check_global_pkgs(facts: Facts) -> Iterator[Finding]:
    for host in facts.repo.hosts:
        home_manager = list(facts.host_definitions(host, "home-manager"))
        if not home_manager or any(d.path[1:2] == ("useGlobalPkgs",) for d in home_manager):
            continue
        first = next(
            (
                d
                for d in facts.host_definitions(host, "nixpkgs")
                if d.path[1:2] in (("config",), ("overlays",))
            ),
            None,
        )
        if first is not None:
            yield Finding(
                binding_location(first, 2),
                f"`{_dotted(first.path[:2])}` does not apply to home-manager on `{host}`: "
                "`home-manager.useGlobalPkgs` is not set",
            )


# -- HW009 ---------------------------------------------------------------------------------------


@rule(
    "HW009",
    Severity.WARNING,
    "an import of a file nix does not see (missing, or not tracked by git: an opaque module); "
    "a feature file nothing imports",
    "create the file or remove the import",
)
def check_missing_and_unused(facts: Facts) -> Iterator[Finding]:
    repo = facts.repo
    for problem in repo.problems:
        if problem.kind is ProblemKind.LOOP:
            yield Finding(problem.at, problem.message, Severity.ERROR, problem.hint or None)
        elif problem.kind is ProblemKind.UNTRACKED:
            # Rule 12: in git, nix sees what git tracks. What a fresh clone (CI) says of it: a
            # missing file, with what makes nix see it.
            yield Finding(
                problem.at,
                f"{problem.message} until it is added: an opaque module",
                hint=problem.hint or None,
                opaque=True,
            )
        elif problem.kind in (ProblemKind.MISSING, ProblemKind.NO_DEFAULT):
            # An opaque module (docs/architecture.md, rules 9 and 12): a gitignored
            # `hardware-configuration.nix` is generated on the machine that builds the host.
            yield Finding(
                problem.at,
                f"{problem.message}"
                f"{' in the repository' if problem.kind is ProblemKind.MISSING else ''}: an "
                "opaque module, read on the machine that builds the host",
                hint="homeward cannot see what it defines; if the machine does not generate it "
                "(as `nixos-generate-config` writes `hardware-configuration.nix`), "
                + (problem.hint or "create the file or remove the import"),
                opaque=True,
            )
    if any(p.kind is ProblemKind.UNRESOLVED for p in repo.problems) or repo.skipped:
        return  # an import homeward cannot follow may be the one that uses them
    if not (repo.hosts or repo.homes or repo.others):
        return  # the hosts were not found (HW016): nothing says what they import
    if not facts.feature_files:
        return  # Why: no feature file to look for among the thousands of modules read
    used = {m.path.as_posix() for m in repo.modules.values() if m.path is not None}
    used.update(p.as_posix() for p in _shared_module_files(facts))
    for path in facts.feature_files:
        if path not in used:
            yield Finding(
                Location(Path(path), 1, 1),
                f"`{path}` is not imported by any configuration",
                severity=Severity.WARNING,
                hint="import it from the user's `default.nix`, or delete it",
            )


def _shared_module_files(facts: Facts) -> set[Path]:
    """Files listed in `home-manager.sharedModules` (not followed by the model)."""
    from homeward.syntax.find import ImportKind, import_refs

    found: set[Path] = set()
    root = facts.repo.root
    for defs in facts.shared_modules.values():
        for d in defs:
            for ref in import_refs(d.source, d.value, d.conditions):
                if ref.kind is ImportKind.FILE and ref.target is not None:
                    target = facts.repo.ev.files.import_target(
                        root / d.source.path.parent / ref.target
                    )
                    if target.is_relative_to(root):
                        found.add(target.relative_to(root))
    return found


# -- HW010 ---------------------------------------------------------------------------------------


@rule(
    "HW010",
    Severity.WARNING,
    "the same package in `environment.systemPackages` and a user's `home.packages`",
    "keep it in one place: `environment.systemPackages` for everyone, `home.packages` for the user",
)
def check_duplicate_packages(facts: Facts) -> Iterator[Finding]:
    per_module: dict[str, dict[str, Definition]] = {}
    system: dict[str, dict[str, Definition]] = {}
    mentions: dict[str, _Mentions] = {}
    words: dict[int, list[bytes]] = {}  # the words of each package list, read once
    refs: dict[int, list[PackageRef]] = {}  # a module shared by configurations is read once
    for home in facts.homes:
        if home.host is None:
            continue
        if home.host not in system:
            system[home.host] = _system_packages(facts, home.host, per_module)
        on_host = system[home.host]
        if not on_host:
            continue
        mentioned = mentions.get(home.host)
        if mentioned is None:
            mentioned = mentions[home.host] = _Mentions(on_host, words)
        for d in facts.home_definitions(home, ("home", "packages")):
            if not mentioned(d):
                continue  # Why: no system package is even named there; skip reading the list
            if id(d) not in refs:
                refs[id(d)] = package_refs(d.value, d.source.text)
            for ref in refs[id(d)]:
                there = on_host.get(ref.name)
                if there is not None:
                    where = _package_location(there, ref.name)
                    yield Finding(
                        d.source.location(ref.node.start_byte),
                        f"`{ref.name}` is in `home.packages` of `{home.user}` and in "
                        f"`environment.systemPackages` of `{home.host}` ({where})",
                    )


_WORD = re.compile(rb"[\w'-]+")


class _Mentions:
    """Whether a definition's value names any of `names` as a whole attribute name: what
    `_mentions(names).search(text, start, end)` answers.

    Why words: a host's package names are looked for in every package list of every home on
    it; the words of a list (runs of `[\\w'-]`) are found once and compared as a set. A name
    of other characters is looked for with the pattern.
    """

    def __init__(self, names: Iterable[str], words: dict[int, list[bytes]]) -> None:
        leaves = {n.rsplit(".", 1)[-1].encode() for n in names}
        simple = all(_WORD.fullmatch(leaf) for leaf in leaves)
        self.leaves = frozenset(leaves) if simple else None
        self.pattern = None if simple else _mentions(names)
        self.words = words

    def __call__(self, d: Definition) -> bool:
        text, start, end = d.source.text, d.value.start_byte, d.value.end_byte
        if self.pattern is not None:
            return self.pattern.search(text, start, end) is not None
        assert self.leaves is not None
        found = self.words.get(id(d))
        if found is None:
            found = _WORD.findall(text, start, end)
            glued = _WORD.match(text, start - 1, start + 1) if start else None
            if glued is not None and glued.end() == start + 1:
                found = found[1:]  # the first word goes on before the value: not a whole one
            self.words[id(d)] = found
        return not self.leaves.isdisjoint(found)


def _mentions(names: Iterable[str]) -> re.Pattern[bytes]:
    """Any of `names` as a whole attribute name (`vim` but not `neovim` or `vim-full`)."""
    leaves = sorted({n.rsplit(".", 1)[-1] for n in names}, key=len, reverse=True)
    alternatives = b"|".join(re.escape(n.encode()) for n in leaves)
    return re.compile(rb"(?<![\w'-])(?:" + alternatives + rb")(?![\w'-])")


def _system_packages(
    facts: Facts, host: str, per_module: dict[str, dict[str, Definition]]
) -> dict[str, Definition]:
    """Package name -> the `environment.systemPackages` definition naming it, on `host`."""
    found: dict[str, Definition] = {}
    on_host: list[dict[str, Definition]] = []
    for info in facts.host_modules.get(host, ()):
        names = per_module.get(info.key)
        if names is None:
            names = per_module[info.key] = {}
            for d in facts.by_head(info).get("environment", ()):
                if d.path == ("environment", "systemPackages"):
                    for ref in package_refs(d.value, d.source.text):
                        names.setdefault(ref.name, d)
        if names:
            on_host.append(names)
    # The first module that names a package is where it is: merged from the last one back.
    # (The order of the names is not used: only looking them up and their set of names.)
    for names in reversed(on_host):
        found.update(names)
    return found


def _package_location(d: Definition, name: str) -> Location:
    for ref in package_refs(d.value, d.source.text):
        if ref.name == name:
            return d.source.location(ref.node.start_byte)
    return d.location


# -- HW011 ---------------------------------------------------------------------------------------


@rule(
    "HW011",
    Severity.WARNING,
    "one user managed twice for a host, with conflicting definitions",
    "import the same modules from `home-manager.users.<user>` and "
    '`homeConfigurations."<user>@<host>"`',
)
def check_managed_twice(facts: Facts) -> Iterator[Finding]:
    standalone = {h.name: h for h in facts.homes if h.kind is HomeKind.STANDALONE}
    for home in facts.homes:
        if home.kind is not HomeKind.MODULE:
            continue
        other = standalone.get(f"{home.user}@{home.host}")
        if other is None:
            continue
        shared = {m.key for m in home.modules} & {m.key for m in other.modules}
        mine = _values(home, shared)
        theirs = _values(other, shared)
        for path, defs in mine.items():
            if path not in theirs:
                continue
            a = {v for v, _ in defs}
            b = {v for v, _ in theirs[path]}
            if a == b:
                continue
            there = theirs[path][0][1]
            yield Finding(
                defs[0][1].location,
                f"`{_dotted(path)}` of `{home.user}` on `{home.host}` is "
                f"`{_short(sorted(a))}` through {home.module_words} but "
                f'`{_short(sorted(b))}` in `homeConfigurations."{other.name}"` '
                f"({there.location})",
            )


def _values(
    home: HomeConfig, shared: set[str]
) -> dict[tuple[str, ...], list[tuple[str, Definition]]]:
    found: dict[tuple[str, ...], list[tuple[str, Definition]]] = {}
    # `home.definitions()`, skipping the shared modules whole
    for info in home.modules:
        if info.key in shared:
            continue
        for d in info.module.definitions:
            if not d.path or d.path[0] in MODULE_KEYWORDS:
                continue
            found.setdefault(d.path, []).append((_normalized(d), d))
    for d in home.inline:
        if f"{d.source.path}@inline" in shared or not d.path or d.path[0] in MODULE_KEYWORDS:
            continue
        found.setdefault(d.path, []).append((_normalized(d), d))
    return found


def _normalized(d: Definition) -> str:
    """The value as written, without layout and without `mkDefault`-like wrappers."""
    node = unparen(d.value)
    fn, args = call_parts(node)
    if args and function_leaf(dotted_name(fn, d.source.text)) in WRAPPERS:
        node = unparen(args[-1])
    text = d.source.text[node.start_byte : node.end_byte].decode(errors="replace")
    return " ".join(text.split())


def _short(values: list[str]) -> str:
    text = " | ".join(values)
    return text if len(text) <= 60 else text[:57] + "..."


# -- HW012-HW014: what the model could not follow ------------------------------------------------


@rule(
    "HW012",
    Severity.WARNING,
    "part of the configuration cannot be followed statically: findings may be incomplete",
    "write the path or name out, or build it with a helper homeward follows",
    opaque=True,
)
def check_unresolved(facts: Facts) -> Iterator[Finding]:
    for problem in facts.repo.problems:
        if problem.kind is ProblemKind.UNRESOLVED:
            yield Finding(problem.at, problem.message, hint=problem.hint or None)
    for host in sorted(facts.computed_homes):
        for d in facts.host_definitions(host, "home-manager"):
            if d.path == ("home-manager", "users"):
                yield Finding(
                    binding_location(d, 2),
                    "`home-manager.users` is computed: homeward cannot see which homes it "
                    "defines, nor their modules",
                    hint="write `home-manager.users.<name> = …` out for each user",
                )
            elif d.path[1:3] == ("users", DYNAMIC):
                yield Finding(
                    binding_location(d, 3),
                    "cannot tell whose home `home-manager.users.${…}` is: the name is computed",
                    hint="write the user's name out, or bind it where homeward reads it "
                    "(`specialArgs`, a `let` in flake.nix)",
                )


@rule(
    "HW013",
    Severity.ERROR,
    "modules import each other in a cycle (nix overflows its stack)",
    "remove one of the imports so that the files form a tree",
)
def check_cycles(facts: Facts) -> Iterator[Finding]:
    for problem in facts.repo.problems:
        if problem.kind is ProblemKind.CYCLE:
            yield Finding(problem.at, problem.message, hint=problem.hint or None)


@rule(
    "HW014",
    Severity.WARNING,
    "an import leaves the repository: pure flake evaluation cannot read it",
    "copy the file into the repository and import it from there",
    opaque=True,
)
def check_outside(facts: Facts) -> Iterator[Finding]:
    for problem in facts.repo.problems:
        if problem.kind is ProblemKind.OUTSIDE:
            yield Finding(problem.at, problem.message)
    for info in facts.repo.modules.values():
        for ref in info.imports:
            if ref.kind is ModuleKind.EXTERNAL and ref.label.startswith("absolute path"):
                target = ref.label.removeprefix("absolute path ")
                yield Finding(
                    ref.location,
                    f"the import `{target}` is outside the repository: pure flake "
                    "evaluation cannot read it",
                )


# -- HW015-HW016: what could not be read at all ---------------------------------------------------


@rule(
    "HW015",
    Severity.ERROR,
    "a module file cannot be read: a syntax error or an empty file skips its hosts; encrypted "
    "bytes are opaque",
    "fix the file so that `nix-instantiate --parse` accepts it",
    opaque=True,
)
def check_unreadable(facts: Facts) -> Iterator[Finding]:
    repo = facts.repo
    for problem in repo.problems:
        if problem.kind is ProblemKind.UNREADABLE:
            skipped = sorted(h for h, p in repo.skipped.items() if p == problem)
            which = f" (skipped: {', '.join(skipped)})" if skipped else ""
            yield Finding(problem.at, problem.message + which)
        elif problem.kind is ProblemKind.NOT_TEXT:
            # An opaque module (issue 11): the hosts that import it are read and migrated
            # around it; `--strict` makes it an error.
            yield Finding(
                problem.at,
                f"{problem.message}: an opaque module, read on the machine that builds the host",
                Severity.WARNING,
                hint=f"homeward cannot see what it defines; {problem.hint}"
                if problem.hint
                else None,
            )


@rule(
    "HW016",
    Severity.ERROR,
    "no host can be read: the flake's hosts cannot be found",
    "define `nixosConfigurations` in flake.nix, or see which frameworks homeward follows in "
    "docs/rules.md",
    opaque=True,
)
def check_no_hosts(facts: Facts) -> Iterator[Finding]:
    repo = facts.repo
    if repo.hosts or repo.homes or repo.others:
        return
    framework = no_host_framework(repo)
    if framework is not None:
        message, at = framework
        yield Finding(at or repo.flake.location(0), message)
    elif repo.skipped:
        yield Finding(repo.flake.location(0), "no host can be read: every host is skipped")
    else:
        yield Finding(
            repo.flake.location(0),
            "no host found: flake.nix has no `nixosConfigurations`, `darwinConfigurations` or "
            "`homeConfigurations` that homeward can read",
        )


# -- HW017: suppressions that silence nothing -----------------------------------------------------


@rule(
    "HW017",
    Severity.WARNING,
    "a suppression comment names an unknown rule, or silences nothing",
    "remove the comment, or correct the code it names (`homeward rules` lists them)",
)
def check_unused_suppressions(_facts: Facts) -> Iterator[Finding]:
    """Reported by `lint/run.py`, which knows which comments silenced what (as ruff's RUF100)."""
    return iter(())


# -- HW018-HW019: nix-darwin's traps (in their own module) ----------------------------------------

import homeward.lint.darwin  # noqa: F401  (registers HW018 and HW019)
