"""`homeward add host`: the host's files, its `nixosConfigurations` entry (a name in a
`genAttrs` list, one `mkHost` helper, or an entry written like the others) and a Mac's
`darwinConfigurations` entry (issue 12). Functions over the `Adder` (`plan/add.py`)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import UsageError
from homeward.plan.init import (
    DARWIN_SYSTEMS,
    InitSpec,
    hardware_placeholder,
    host_nix,
    host_problem,
)
from homeward.plan.nixcode import copied_text
from homeward.plan.types import NewFile
from homeward.syntax import emit as nix
from homeward.syntax.edit import add_formal, append_to_list
from homeward.syntax.emit import quote_string
from homeward.syntax.find import StepKind, read_module
from homeward.syntax.nodes import (
    bindings_of,
    call_parts,
    dotted_name,
    function_leaf,
    node_text,
    unparen,
)

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.plan.add import Adder

# The accounts every host has (the layout's `modules/system/users.nix`).
USERS_NIX = PurePosixPath("modules/system/users.nix")


def add_host(adder: Adder) -> None:
    name = adder.spec.name
    problem = host_problem(name)
    if problem:
        raise UsageError(problem)
    users = adder.home_users()
    chosen = adder.spec.hosts or ()
    if adder.spec.user:
        wanted = tuple(u.strip() for u in adder.spec.user.split(",") if u.strip())
        missing = [u for u in wanted if u not in users]
        if missing:
            raise UsageError(
                f"`{missing[0]}` has no home/{missing[0]}/default.nix",
                hint="run `homeward add user` first",
            )
        users = {u: users[u] for u in wanted}
    for user, entry in users.items():
        # Rule 12: a home the new host wires is one nix sees (an entry point only on disk
        # is refused, as `add user` and `add feature` refuse it).
        adder.refuse_unseen(entry, f"`{user}`'s entry point")
    del chosen
    system = adder.spec.system or adder.default_system()
    if system in DARWIN_SYSTEMS:
        add_mac(adder, name, system, users)
        return
    host_dir = PurePosixPath("hosts") / name
    release = adder.release()
    spec = InitSpec(user=next(iter(users), "nobody"), host=name, system=system, release=release)
    adder.refuse_unseen(host_dir, f"`{name}`'s configuration")
    new_host_file = not adder.repo.files.taken(host_dir)
    if new_host_file:
        # Rule 12: the new host imports the shared accounts where nix sees them; a file there
        # on disk that git does not track is refused, as every file `add` would import.
        adder.refuse_unseen(USERS_NIX, "the accounts the new host imports")
        shared = shared_accounts(adder)
        others = sorted(set(shared) - set(users))
        # Why (issue 14): the shared users.nix holds accounts of users who get no home
        # here; the new host gets its own users' accounts in its own file (DESIGN: an
        # account on some hosts only lives in those hosts' own files).
        accounts: list[nix.Item] = []
        for u in users if others else ():
            accounts += [nix.Blank(), *shared.get(u, [account(u)])]
        host_text = host_nix(
            spec,
            users_module=adder.repo.files.has_file(USERS_NIX) and not others,
            extra=accounts,
        )
        adder.files.append(
            NewFile(Path(host_dir / "default.nix"), host_text, f"`{name}`'s system configuration")
        )
        adder.files.append(
            NewFile(
                Path(host_dir / "hardware-configuration.nix"),
                hardware_placeholder(spec),
                "a placeholder",
            )
        )
    if name in adder.repo.hosts:
        return
    if append_to_host_list(adder, name):
        # A helper builds every host the same way: it already wires home-manager, and the
        # standalone entries follow.
        pass
    else:
        call = flake_host_entry(adder, name, system, users, platform_in_file=new_host_file)
        if not mkhost_helper(adder, name, call):
            adder.insert_output("nixosConfigurations", name, nix.Raw(call))
    adder.home_entries([(u, name) for u in users], system)


def add_mac(adder: Adder, name: str, system: str, users: dict[str, PurePosixPath]) -> None:
    """A nix-darwin host (issue 12): `hosts/NAME/` as `init --system aarch64-darwin`
    writes it (accounts under /Users, `system.primaryUser`), its `darwinConfigurations`
    entry with home-manager's darwin module, `homeConfigurations."U@NAME"` on the Mac's
    platform, and a home written for Linux made to choose its directory per platform."""
    from homeward.plan import darwin

    if name in adder.repo.hosts or f"darwinConfigurations.{name}" in adder.repo.others:
        return  # there already: nothing to do
    first = next(iter(users), None)
    if first is None:
        raise UsageError(
            "a Mac needs a user with a home (home/<user>/default.nix)",
            hint="run `homeward add user NAME` first, or pass --user",
        )
    host_dir = PurePosixPath("hosts") / name
    spec = InitSpec(user=first, host=name, system=system, release=adder.release())
    # Why: the users' homes are shared with the other hosts; a package they allow as
    # unfree must build on the Mac too (both wirings).
    unfree = any(facts.allows_unfree for facts in adder.index.hosts.values())
    adder.refuse_unseen(host_dir, f"`{name}`'s configuration")
    if not adder.repo.files.taken(host_dir):
        text = darwin.mac_host_file(spec, list(users), unfree=unfree)
        adder.files.append(
            NewFile(Path(host_dir / "default.nix"), text, f"the Mac `{name}`'s configuration")
        )
    flake = adder.flake
    nix_darwin = darwin.darwin_input(flake, adder.release())
    hm = flake.home_manager_ref()
    template = adder.template_host()
    special = flake.special_args_text(template) if template is not None else None
    modules = [
        nix.NixPath(f"./{host_dir}"),
        nix.Raw(f"{hm}.darwinModules.home-manager"),
        adder.host_settings(special, users),
    ]
    items: list[tuple[nix.Key, object]] = []
    if special is not None:
        items.append(("specialArgs", nix.Raw(special)))
    items.append(("modules", modules))
    call = nix.Call(f"{nix_darwin}.lib.darwinSystem", [nix.Attrs(items)])
    adder.insert_output("darwinConfigurations", name, call)
    adder.home_entries([(u, name) for u in users], system, unfree=unfree)
    for user, entry in users.items():
        source = adder.repo.ev.files.source(adder.repo.root / entry)
        found = darwin.mac_home_directory_edit(source.text, user)
        if found is None:
            continue
        start, end, new = found
        adder.edit_file(entry, start, end, new, f"`{user}`'s home under /Users on a Mac")
        module = read_module(source)
        formals = module.function.child_by_field_name("formals") if module.function else None
        if "pkgs" not in module.formals and formals is not None:
            adder.splice(entry, add_formal(formals, source.text, "pkgs"), "`pkgs` for isDarwin")


def shared_accounts(adder: Adder) -> dict[str, list[nix.Item]]:
    """The accounts `modules/system/users.nix` writes, user -> its bindings (copied as
    written; a minimal account for one written together with others)."""
    info = adder.repo.modules.get(str(USERS_NIX))
    if info is None:
        return {}
    text = info.source.text
    found: dict[str, list[Node]] = {}
    for d in info.module.definitions:
        if d.path[:2] != ("users", "users") or len(d.path) < 3:
            continue
        outer = next((st.node for st in d.steps if st.kind is StepKind.BINDING), None)
        if outer is None:
            continue
        path = outer.child_by_field_name("attrpath")
        if path is None or not node_text(path, text).startswith(f"users.users.{d.path[2]}"):
            found.setdefault(d.path[2], [])  # written with others: a minimal account
            continue
        nodes = found.setdefault(d.path[2], [])
        if all(n.start_byte != outer.start_byte for n in nodes):
            nodes.append(outer)
    return {
        user: [nix.Raw(copied_text(n, text)) for n in nodes] if nodes else [account(user)]
        for user, nodes in found.items()
    }


def append_to_host_list(adder: Adder, name: str) -> bool:
    """`nixosConfigurations = lib.genAttrs [ "a" "b" ] mkHost;`: add the name to the list."""
    container = adder.flake.outputs_attrset()
    text = adder.repo.flake.text
    for b in bindings_of(container):
        path = b.child_by_field_name("attrpath")
        value = b.child_by_field_name("expression")
        if path is None or value is None or node_text(path, text) != "nixosConfigurations":
            continue
        fn, args = call_parts(value)
        if (
            function_leaf(dotted_name(fn, text)) == "genAttrs"
            and args
            and unparen(args[0]).type == "list_expression"
        ):
            for span in append_to_list(unparen(args[0]), text, [quote_string(name)]):
                adder.splice(PurePosixPath(adder.repo.flake.path), span, f"add host `{name}`")
            return True
    return False


def flake_host_entry(
    adder: Adder,
    name: str,
    system: str,
    users: dict[str, PurePosixPath],
    *,
    platform_in_file: bool = False,
) -> str:
    """The `nixosSystem` call `add host` writes for `name`, as text."""
    flake = adder.flake
    hm = flake.home_manager_ref()
    nixpkgs = flake.input_ref(flake.nixpkgs_name())
    template = adder.template_host()
    special = flake.special_args_text(template) if template is not None else None
    modules: list[object] = [nix.NixPath(f"./hosts/{name}")]
    if users:
        modules.append(nix.Raw(f"{hm}.nixosModules.home-manager"))
        modules.append(adder.host_settings(special, users))
    items: list[tuple[nix.Key, object]] = []
    # Why (issue 14): the host file homeward writes sets `nixpkgs.hostPlatform`; a second
    # `system = ...` in the flake said the same thing twice (and could disagree).
    if not platform_in_file:
        items.append(("system", system))
    if special is not None:
        items.append(("specialArgs", nix.Raw(special)))
    items.append(("modules", nix.List(modules, expand=True)))
    return nix.emit(nix.Call(f"{nixpkgs}.lib.nixosSystem", [nix.Attrs(items)]))


def mkhost_helper(adder: Adder, name: str, call: str) -> bool:
    """With --mkhost, replace the hosts' repeated calls (and this one) by one `mkHost`
    helper; without, offer it when the calls are alike. Whether the helper was written."""
    from homeward.plan.mkhost import alike, helper_spans, host_entries

    flake = adder.repo.flake
    hosts = list(adder.nixos.values())
    if not hosts:
        return False
    container = adder.flake.outputs_attrset()
    entries = host_entries(flake, container, hosts)
    why = entries if isinstance(entries, str) else alike(flake, entries, name, call)
    if not adder.spec.mkhost:
        if not why:
            count = len(hosts) + 1
            adder.diagnostics.append(
                Diagnostic(
                    Severity.NOTE,
                    f"flake.nix now repeats one `nixosSystem` call for {count} hosts",
                    hint=f"`add host {name} --mkhost` writes one `mkHost` helper instead "
                    "(after this run: `homeward undo` first)",
                )
            )
        return False
    if isinstance(entries, str) or why:
        raise UsageError(
            f"--mkhost: {why}",
            hint="add the host without --mkhost, or write the helper by hand",
        )
    for span in helper_spans(flake, container, entries, name, adder.flake.lib_ref()):
        adder.splice(PurePosixPath(flake.path), span, "one `mkHost` helper for every host")
    return True


def account(user: str) -> tuple[nix.Key, object]:
    """`users.users.<u> = { isNormalUser = true; extraGroups = [ ]; };`"""
    return ("users", "users", user), nix.Attrs([("isNormalUser", True), ("extraGroups", [])])
