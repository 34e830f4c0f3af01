"""`homeward add user`: the account, `home/NAME/`, and its wiring on each host.
Functions over the `Adder` (`plan/add.py`)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.errors import HomewardError, UsageError
from homeward.model.repo import ModuleKind, SystemConfig
from homeward.plan.addhost import account
from homeward.plan.flake import HomeWiring
from homeward.plan.hostwire import wire_modules
from homeward.plan.init import (
    InitSpec,
    cli_nix,
    git_nix,
    home_nix,
    user_problem,
)
from homeward.plan.types import NewFile
from homeward.syntax import emit as nix
from homeward.syntax.edit import insert_binding
from homeward.syntax.find import read_module

if TYPE_CHECKING:
    from homeward.plan.add import Adder


def add_user(adder: Adder) -> None:
    from homeward.plan import darwin

    name = adder.spec.name
    problem = user_problem(name)
    if problem:
        raise UsageError(problem)
    hosts = list(adder.spec.hosts) or sorted(adder.repo.hosts)
    unknown = [h for h in hosts if h not in adder.repo.hosts]
    if unknown:
        raise UsageError(
            f"no host `{unknown[0]}` in flake.nix (hosts: {', '.join(sorted(adder.repo.hosts))})"
        )
    if not hosts:
        raise HomewardError(
            "this flake has no nixosConfigurations or darwinConfigurations to put a user on",
            hint="run `homeward add host NAME` first",
        )
    macs = [h for h in hosts if adder.index.is_mac(h)]
    # A home for Macs only is written for a Mac (`/Users/<u>`, darwin-rebuild); for a
    # user on both platforms, its directory is chosen by `pkgs.stdenv.isDarwin`.
    system = "x86_64-linux"
    if len(macs) == len(hosts):
        system = next((s for s in (_system(adder, h) for h in macs) if s), "aarch64-darwin")
    spec = InitSpec(user=name, host=hosts[0], system=system, release=adder.release())
    home = PurePosixPath("home") / name
    adder.refuse_unseen(home / "default.nix", f"`{name}`'s entry point")
    if not adder.repo.files.taken(home / "default.nix"):
        text = home_nix(spec)
        both = darwin.mac_home_directory_edit(text, name) if macs else None
        if both is not None:
            start, end, new = both
            text = text[:start] + new + text[end:]
        adder.files.append(
            NewFile(Path(home / "default.nix"), text, f"`{name}`'s home-manager entry point")
        )
        for feature, make in (("cli", cli_nix), ("git", git_nix)):
            path = home / "features" / f"{feature}.nix"
            adder.refuse_unseen(path, f"the `{feature}` feature")
            if not adder.repo.files.taken(path):
                adder.files.append(NewFile(Path(path), make(spec), feature))
    add_account(adder, name, [h for h in hosts if h not in macs])
    entry = PurePosixPath("home") / name / "default.nix"
    wired: set[str] = set()  # inline modules wired by this plan (a helper's is shared)
    rest = [h for h in hosts if not wire_user(adder, name, adder.repo.hosts[h], wired)]
    if rest:
        # Once for all of them: hosts built by one helper share its module list. On a Mac
        # the settings module also gets the account's `/Users/<u>` (plan/darwin.py).
        wire_modules(
            adder.flake,
            {h: [HomeWiring(name, (h,), entry)] for h in rest},
            adder.flake.home_manager_ref(),
        )
    adder.home_entries([(name, h) for h in hosts])


def _system(adder: Adder, host: str) -> str | None:
    try:
        return adder.flake.host_system(adder.repo.hosts[host])
    except HomewardError:
        return None


def add_account(adder: Adder, name: str, hosts: list[str]) -> None:
    """The NixOS account of `name` on `hosts` (a Mac's is written with its wiring)."""
    user = adder.index.users.get(name)
    if not hosts or (user is not None and any(h in adder.nixos for h in user.hosts)):
        return
    users_file = PurePosixPath("modules/system/users.nix")
    info = adder.repo.modules.get(str(users_file))
    binding = nix.emit_binding(*account(name))
    if info is not None and set(hosts) == info.hosts:
        body = info.module.body
        assert body is not None
        span = insert_binding(body, info.source.text, binding, blank_before=True)
        adder.splice(users_file, span, f"the account of `{name}`")
        return
    for host in hosts:
        host_file = _host_file(adder.repo.hosts[host])
        source = adder.repo.ev.files.source(adder.repo.root / host_file)
        body = read_module(source).body
        if body is None:
            raise HomewardError(
                f"cannot edit `{host_file}`: it is not an attribute set", at=source.location(0)
            )
        span = insert_binding(body, source.text, binding, blank_before=True)
        adder.splice(host_file, span, f"the account of `{name}`")


def _host_file(host: SystemConfig) -> PurePosixPath:
    for ref in host.modules:
        if ref.kind is ModuleKind.FILE and ref.path is not None:
            return PurePosixPath(ref.path)
    raise HomewardError(
        f"host `{host.name}` has no module file to put the account in", at=host.location
    )


def wire_user(adder: Adder, name: str, host: SystemConfig, wired: set[str]) -> bool:
    """`home-manager.users.<name> = ...` next to the other users, written as they are, in
    the host's inline module (`wired`: modules this plan wired already); False when the
    host has no such module (home-manager's module is to be added to its list)."""
    text = adder.repo.flake.text
    line = adder.user_wiring(name, f"./home/{name}")
    for ref in host.modules:
        if (
            ref.kind is not ModuleKind.INLINE
            or ref.node is None
            or ref.source is not adder.repo.flake
        ):
            continue
        info = adder.repo.modules.get(f"{ref.source.path}@{ref.node.start_byte}")
        if info is None or info.module.body is None:
            continue
        if info.key in wired:
            return True
        users = [d for d in info.module.definitions if d.path[:2] == ("home-manager", "users")]
        if any(d.path[2] == name for d in users):
            return True
        if users:
            if adder.index.is_mac(host.name) and not _mac_home(adder, name, host.name):
                # nix-darwin leaves `home` null, and home-manager's darwin module reads it.
                home = nix.emit_binding(("users", "users", name, "home"), f"/Users/{name}")
                line = f"{line}\n{home}"
            span = insert_binding(info.module.body, text, line, after=users[-1].binding)
            adder.splice(
                PurePosixPath(adder.repo.flake.path), span, f"wire `{name}` on `{host.name}`"
            )
            wired.add(info.key)
            return True
    return False


def _mac_home(adder: Adder, user: str, host: str) -> bool:
    """Some module of the Mac `host` sets `users.users.<user>.home`."""
    return any(
        d.path[2:3] == (user,) and d.path[3:4] in ((), ("home",))
        for d in adder.index.host_definitions(host, "users")
        if d.path[:2] == ("users", "users")
    )
