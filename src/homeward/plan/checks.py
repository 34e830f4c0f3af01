"""Checks of the whole configuration before any plan: what migrate refuses and what it warns
about (REAL-CONFIGS.md). Pure functions of the index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.model.index import Index
from homeward.model.repo import ModuleInfo, ModuleKind, ProblemKind
from homeward.plan.flake import hm_branch, hm_url, hm_url_branch
from homeward.syntax.find import DYNAMIC, Definition, interpolated, module_body, string_of
from homeward.syntax.nodes import ancestors, let_binding, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source


def mismatches(index: Index, standalone: set[str] | None = None) -> list[Diagnostic]:
    """What REAL-CONFIGS says to warn about: home-manager on another branch than nixpkgs or
    not following it, a host named unlike its `networking.hostName`, imports from outside.
    `standalone`: the hosts that get a standalone `<user>@<host>` entry (None: every host)."""
    found: list[Diagnostic] = []
    hm_name = index.hm_input
    hm = index.repo.inputs.get(hm_name) if hm_name else None
    # The nixpkgs home-manager is built with: the one it follows, else the hosts' own.
    followed = dict(hm.follows).get("nixpkgs") if hm is not None else None
    nixpkgs = index.repo.inputs.get(followed or index.nixpkgs or "nixpkgs")
    if hm is not None and nixpkgs is not None:
        tracked = "home-manager" in (hm.url or "").lower()
        if tracked and hm_branch(nixpkgs.url) != hm_url_branch(hm.url):
            found.append(
                Diagnostic(
                    Severity.WARNING,
                    f"the `{hm_name}` input ({hm.url}) does not track nixpkgs' branch "
                    f"({nixpkgs.url}); homeward leaves it as it is",
                    None,
                    hint=f"use {hm_url(nixpkgs.url)}, as home-manager's release notes ask",
                )
            )
        if followed is None:
            found.append(
                Diagnostic(
                    Severity.WARNING,
                    f'the `{hm_name}` input does not follow nixpkgs (inputs.nixpkgs.follows = "nixpkgs")',
                    None,
                    hint="without it nixpkgs is evaluated twice and packages may differ",
                )
            )
    for host in index.repo.hosts:
        for d in index.host_definitions(host, "networking"):
            if d.path == ("networking", "hostName"):
                name = string_of(d)
                if name and name != host and standalone is not None and host not in standalone:
                    found.append(
                        Diagnostic(
                            Severity.WARNING,
                            f'host `{host}` sets networking.hostName = "{name}", unlike its name '
                            "in the flake; no standalone configuration is written for it, and "
                            f"`home-manager switch` looks for `<user>@{name}` by default",
                            d.location,
                            hint=f"name a standalone configuration you add by hand `<user>@{name}`",
                        )
                    )
                elif name and name != host:
                    found.append(
                        Diagnostic(
                            Severity.WARNING,
                            f'host `{host}` sets networking.hostName = "{name}": homeward uses '
                            f"the flake's name, so the standalone configuration is `<user>@{host}` "
                            f"(home-manager looks for `<user>@{name}` by default)",
                            d.location,
                            hint=f"run `home-manager switch --flake .#<user>@{host}`",
                        )
                    )
    for info in index.repo.modules.values():
        for ref in info.imports:
            if ref.kind is ModuleKind.EXTERNAL and ref.label.startswith("absolute path"):
                found.append(
                    Diagnostic(
                        Severity.WARNING,
                        f"{_who(info)} imports {ref.label[len('absolute path ') :]}, outside "
                        "the repository: flakes cannot read it in pure evaluation",
                        ref.location,
                        hint="copy the file into the repository and import it from there",
                    )
                )
    return found


def _who(info: ModuleInfo) -> str:
    """`hosts/box.nix`, or an inline module with the file it is written in."""
    if info.path is not None:
        return f"`{info.path}`"
    return f"an inline module of `{info.key.split('@', 1)[0]}`"


def unread_accounts(index: Index) -> list[Diagnostic]:
    """Accounts whose packages homeward cannot see: say so rather than stay silent. Once per
    definition, however many hosts read it; a computed name is `dynamic_users`'s to name."""
    found: list[Diagnostic] = []
    seen: set[int] = set()  # a module every host reads: said once, where it is written
    for host in index.repo.hosts:
        for d in index.host_definitions(host, "users"):
            if id(d) in seen or d.path[2:3] == (DYNAMIC,):
                continue
            seen.add(id(d))
            if d.path[:2] == ("users", "extraUsers") and d.path[3:4] == ("packages",):
                found.append(
                    Diagnostic(
                        Severity.WARNING,
                        f"`{d.dotted}` is not moved: `users.extraUsers` is an old name of `users.users`",
                        d.source.location(d.binding.start_byte),
                        hint="rename it to `users.users`, then run again",
                    )
                )
            elif (
                d.path[:2] == ("users", "users")
                and len(d.path) == 3
                and unparen(d.value).type not in ("attrset_expression", "rec_attrset_expression")
            ):
                found.append(
                    Diagnostic(
                        Severity.WARNING,
                        f"`{d.dotted}` is computed (`{d.value_text[:40]}`): packages in it are not moved",
                        d.source.location(d.binding.start_byte),
                        hint=f"write `users.users.{d.path[2]}.packages = [ ... ];` out, then run again",
                    )
                )
    return found


def dynamic_users(index: Index) -> list[Diagnostic]:
    """`users.users.${name}` that homeward cannot resolve (the model resolves names from
    `specialArgs` and `let`s): never guess whose it is; it stays, and the rest migrates.
    Named only where it may hold what migrate would move (`packages`, or the account as one
    value): `extraGroups`, `shell` and the like stay NixOS options whoever the user is."""
    found: list[Diagnostic] = []
    seen: set[int] = set()
    for host in index.repo.hosts:
        for d in index.host_definitions(host, "users"):
            if (
                d.path[:2] == ("users", "users")
                and d.path[2:3] == (DYNAMIC,)
                and d.path[3:4] in ((), ("packages",))
            ):
                if id(d) in seen:
                    continue
                seen.add(id(d))
                shown, why, hint = _computed_name(d)
                found.append(
                    Diagnostic(
                        Severity.WARNING,
                        f"cannot tell which user `users.users.${{{shown}}}` is: {why}; "
                        "it is left as it is",
                        d.location,
                        hint=hint,
                    )
                )
    return found


def _computed_name(d: Definition) -> tuple[str, str, str]:
    """For `users.users.${<expr>}`: `<expr>` as shown, where its value comes from, and what
    to do. Why: "pass it in `specialArgs`" was the hint for every such name, also for the
    value of an option (`${cfg.name}`, `cfg = config.my.user;`), which no argument gives."""
    expr = _dynamic_key(d)
    if expr is None:
        return "...", "the name is computed", "write the user name out"
    text = d.source.text_of(expr)
    shown = text if len(text) <= 40 else text[:39] + "…"
    origin = _origin(expr, d.source)
    if origin is not None and origin.split(".")[0] == "config":
        return (
            shown,
            f"the name is the value of `{origin}`, an option homeward does not evaluate",
            "write the user name out",
        )
    if origin is not None and origin.split(".")[0] in module_body(d.source)[1]:
        argument = origin.split(".")[0]
        return (
            shown,
            f"the name is read from the argument `{argument}`, which homeward cannot compute",
            (
                f"write the user name out, or give `{argument}` in the host's `specialArgs` "
                "(homeward does not read `_module.args`)"
            ),
        )
    return shown, "the name is computed", "write the user name out"


def _dynamic_key(d: Definition) -> Node | None:
    """The expression of the `${...}` that names the user in `d` (the third name of its path)."""
    attr = d.written_attr(2)
    return interpolated(attr) if attr is not None else None


def _origin(expr: Node, source: Source, depth: int = 0) -> str | None:
    """`cfg.name` as the names it reads, through the `let`s around it (`cfg = config.my;`,
    `inherit (cfg) name;`): `config.my.name`. None: not a chain of names."""
    expr = unparen(expr)
    if depth > 8 or expr.type not in ("variable_expression", "select_expression"):
        return None
    if expr.type == "select_expression":
        head = expr.child_by_field_name("expression")
        path = expr.child_by_field_name("attrpath")
        if head is None or path is None or expr.child_by_field_name("default") is not None:
            return None
        base = _origin(head, source, depth + 1)
        return None if base is None else f"{base}.{source.text_of(path)}"
    name = source.text_of(expr)
    for up in ancestors(expr):
        bound = let_binding(up, name, source.text) if up.type == "let_expression" else None
        if bound is not None:
            value, inherited = bound
            base = _origin(value, source, depth + 1)
            return base if not inherited or base is None else f"{base}.{name}"
    return name


def partial(index: Index) -> list[Diagnostic]:
    """What the model could not read: named, so that a partial migration says so."""
    repo = index.repo
    found = [
        Diagnostic(
            Severity.WARNING,
            f"host `{name}` is skipped: {problem.message}",
            problem.at,
            hint=problem.hint,
        )
        for name, problem in sorted(repo.skipped.items())
    ]
    for problem in repo.problems:
        if problem.kind is ProblemKind.UNREADABLE:
            continue  # said with the hosts it skips
        # Nix cannot evaluate the host until the file is added: more than a note (rule 12).
        severity = Severity.WARNING if problem.kind is ProblemKind.UNTRACKED else Severity.NOTE
        found.append(Diagnostic(severity, problem.message, problem.at, hint=problem.hint))
    return found
