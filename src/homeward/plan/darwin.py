"""nix-darwin hosts in a migration (issue 12): what a Mac needs that a NixOS host does not.

The planner treats a `darwinConfigurations.<mac>` host as it treats a NixOS host (its modules,
users and per-host files); these are the places a Mac differs, asked by `plan/migrate.py` and
`plan/flake.py`:

- home-manager comes in through `darwinModules.home-manager`, not `nixosModules`;
- nix-darwin leaves `users.users.<u>.home` null, and home-manager's darwin module reads it: the
  settings module sets `/Users/<u>` where no module of the Mac does;
- `home.homeDirectory` is `/Users/<u>` on a Mac, `/home/<u>` on Linux (both, for a user on both);
- current nix-darwin (25.05 on) asserts `system.primaryUser` once user-level defaults
  (`system.defaults`, `homebrew`) are set: added for the Mac's one user when it is missing;
- a Mac on a nixpkgs input of its own (`nixpkgs-25.05-darwin`) gets a home-manager input
  following that one (nix-darwin and home-manager assert their releases match nixpkgs');
- the standalone `homeConfigurations."<u>@<mac>"` reads `darwinConfigurations`.
Pure (reads the index only).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.model.index import Index, OutputKind
from homeward.model.repo import ModuleInfo, SystemConfig, User, host_nixpkgs
from homeward.plan.init import InitSpec, darwin_host_nix
from homeward.syntax import emit as nix
from homeward.syntax.emit import quote_string
from homeward.syntax.find import DYNAMIC
from homeward.syntax.nodes import string_value

if TYPE_CHECKING:
    from homeward.plan.flake import FlakeEditor

DARWIN_HM_INPUT = "home-manager-darwin"


def is_mac(index: Index, host: str) -> bool:
    facts = index.hosts.get(host)
    return facts is not None and facts.kind is OutputKind.DARWIN


def configurations_attr(index: Index, host: str) -> str:
    """The output a host is in: `darwinConfigurations` or `nixosConfigurations`."""
    return "darwinConfigurations" if is_mac(index, host) else "nixosConfigurations"


def modules_attr(index: Index, host: str) -> str:
    """home-manager's module for a host: `darwinModules` or `nixosModules`."""
    return "darwinModules" if is_mac(index, host) else "nixosModules"


def module_words(index: Index, user: User) -> str:
    """Which of home-manager's modules wires a user, as the files homeward writes say it."""
    macs = sum(1 for h in user.hosts if is_mac(index, h))
    if not macs:
        return "NixOS module"
    return "nix-darwin module" if macs == len(user.hosts) else "NixOS and nix-darwin modules"


def system_option(index: Index, info: ModuleInfo, what: str = "option") -> str:
    """What a definition of `info` that stays on the system side is, as notes say it: "a NixOS
    option", "a nix-darwin option" when only Macs read the module, both when both do (`what`:
    "option", or "module" for the module itself)."""
    kinds = {o.kind for o in index.consumers.get(info.key, ())} - {OutputKind.HOME}
    if kinds == {OutputKind.DARWIN}:
        return f"a nix-darwin {what}"
    return f"a NixOS and nix-darwin {what}" if OutputKind.DARWIN in kinds else f"a NixOS {what}"


def default_shell(index: Index, user: User) -> str:
    """The login shell of a user who sets none: zsh when all their hosts are Macs (macOS's
    default, and nix-darwin's `programs.zsh.enable`), bash (NixOS's) otherwise."""
    if user.hosts and all(is_mac(index, h) for h in user.hosts):
        return "zsh"
    return "bash"


def _written_homes(index: Index, user: str, mac: bool) -> list[str]:
    """`users.users.<user>.home` as written (a plain string) in modules of Macs or of Linux hosts."""
    found: list[str] = []
    for info in index.accounts.get(user, ()):
        if not any(is_mac(index, h) == mac for h in info.hosts):
            continue
        for d in index.by_head(info).get("users", ()):
            if d.path[1:] == ("users", user, "home"):
                value = string_value(d.value, d.source.text)
                if value and value not in found:
                    found.append(value)
    return found


def home_directory_code(index: Index, user: User) -> str:
    """Nix code for the user's `home.homeDirectory`: `users.users.<u>.home` as written, else
    `/Users/<u>` on Macs and `/home/<u>` on Linux, chosen by `pkgs.stdenv.isDarwin` for a user
    on both."""
    linux_home = next(iter(_written_homes(index, user.name, False)), f"/home/{user.name}")
    macs = [h for h in user.hosts if is_mac(index, h)]
    if not macs:
        return quote_string(linux_home)
    mac_home = next(iter(_written_homes(index, user.name, True)), f"/Users/{user.name}")
    if len(macs) == len(user.hosts) or mac_home == linux_home:
        return quote_string(mac_home)
    return nix.emit(nix.If(nix.Raw("pkgs.stdenv.isDarwin"), mac_home, linux_home))


def _release(url: str | None, prefix: str) -> tuple[int, int] | None:
    match = re.search(rf"{prefix}-(\d\d)\.(\d\d)", url or "")
    return (int(match[1]), int(match[2])) if match else None


def settings_options(
    index: Index, host: SystemConfig, users: list[str], diagnostics: list[Diagnostic]
) -> list[tuple[tuple[str, ...], str]]:
    """What a Mac's home-manager settings module adds for `users`: their `/Users/<u>` home
    where no module of the Mac sets `users.users.<u>.home`, and `system.primaryUser` where
    user-level defaults need it and no module sets it, when whose it is can be told (the
    index's `primary_user`); when it cannot, a warning in `diagnostics` says so. Option
    path -> string value (`plan/settings.py` writes them)."""
    if not is_mac(index, host.name):
        return []
    defs = index.host_definitions(host.name, "users")
    if any(len(d.path) > 2 and d.path[2] == DYNAMIC for d in defs):
        return []  # a name homeward cannot read may be any of these users
    homes = {d.path[2] for d in defs if len(d.path) == 3 or d.path[3:4] == ("home",)}
    options: list[tuple[tuple[str, ...], str]] = [
        (("users", "users", u, "home"), f"/Users/{u}") for u in users if u not in homes
    ]
    primary = index.primary_user(host.name)
    needed = primary.needed_by
    if needed is None or primary.written or primary.option is False:
        return options
    if primary.user is not None:
        options.append((("system", "primaryUser"), primary.user))
    else:
        names = ", ".join(f"`{u}`" for u in primary.users)
        what = ".".join(needed.path[:2])
        diagnostics.append(
            Diagnostic(
                Severity.WARNING,
                f"`system.primaryUser` is not added to `darwinConfigurations.{host.name}`: "
                f"`{what}` needs it (current nix-darwin refuses to build without it), and the "
                f"Mac has several users ({names}): homeward cannot tell whose defaults these are",
                needed.location,
                hint="set `system.primaryUser` to the user who ran `darwin-rebuild` (or "
                "`nix-homebrew.user`, whom homeward then takes)",
            )
        )
    return options


def home_manager_ref(editor: FlakeEditor, host: SystemConfig, hm: str) -> str:
    """How the wiring of `host` names home-manager: `hm`, except for a Mac built on a nixpkgs
    input other than the one `hm` follows, which gets (or has) a home-manager input following
    its own (docs/architecture.md, rule 8)."""
    own = own_home_manager(editor, host)
    if own is None:
        return hm
    name, exists = own
    if not exists and name not in editor.added_inputs:
        from homeward.plan.flake import hm_url

        repo = editor.repo
        mine = host_nixpkgs(repo, host)
        assert mine is not None
        editor.add_input(name, hm_url(repo.inputs[mine].url), mine)
    return editor.reachable_input(name)


def own_home_manager(editor: FlakeEditor, host: SystemConfig) -> tuple[str, bool] | None:
    """The home-manager input of its own a Mac's wiring names (`home_manager_ref`), and
    whether the flake has it already; None: the flake's. Reads only."""
    index = editor.index
    repo = index.repo
    if not is_mac(index, host.name):
        return None
    mine = host_nixpkgs(repo, host)
    main = index.hm_input
    follows = (
        dict(repo.inputs[main].follows).get("nixpkgs")
        if main is not None
        else editor.nixpkgs_name()
    )
    if mine is None or follows is None or mine == follows:
        return None
    for name, found in repo.inputs.items():
        if "home-manager" in (found.url or "") and dict(found.follows).get("nixpkgs") == mine:
            return name, True
    return DARWIN_HM_INPUT, False


# -- `add host NAME --system aarch64-darwin` ----------------------------------------------------
DARWIN_INPUT_NAMES = ("nix-darwin", "darwin")
DARWIN_URL = "github:nix-darwin/nix-darwin"


def darwin_input(editor: FlakeEditor, release: str) -> str:
    """How `outputs` names nix-darwin: the flake's input (`nix-darwin`, `darwin`, or any whose
    URL names it), else a new `nix-darwin` input on the release of the flake (nix-darwin
    asserts it matches nixpkgs'), following the flake's nixpkgs."""
    repo = editor.repo
    for name, found in repo.inputs.items():
        if name in DARWIN_INPUT_NAMES or "nix-darwin" in (found.url or ""):
            return editor.reachable_input(name)
    name = "nix-darwin"
    if name not in editor.added_inputs:
        nixpkgs = repo.inputs.get(editor.nixpkgs_name())
        branch = _release(nixpkgs.url if nixpkgs else None, "(?:release|nixos|nixpkgs)")
        url = f"{DARWIN_URL}/nix-darwin-{release}" if branch is not None else DARWIN_URL
        editor.add_input(name, url, editor.nixpkgs_name(), "nix-darwin")
    return editor.reachable_input(name)


def mac_host_file(spec: InitSpec, users: list[str], *, unfree: bool = False) -> bytes:
    """`init`'s Mac host file for a host added to a flake: the accounts in the file itself
    (nix-darwin leaves `home` null; a NixOS `users.nix` has options nix-darwin does not), and
    unfree packages allowed when the flake's other hosts allow them."""
    homes: list[nix.Item] = [(("users", "users", u, "home"), f"/Users/{u}") for u in users]
    return darwin_host_nix(spec, users_module=False, unfree=unfree, extra=[nix.Blank(), *homes])


def mac_home_directory_edit(source_text: bytes, user: str) -> tuple[int, int, bytes] | None:
    """A home entry written for Linux (`home.homeDirectory = lib.mkDefault "/home/<u>";`)
    that a Mac now uses too: the string becomes `(if pkgs.stdenv.isDarwin then ... else ...)`
    (start, end, new bytes), or None when the entry does not write that string."""
    old = quote_string(f"/home/{user}").encode()
    key = b"home.homeDirectory = lib.mkDefault "
    at = source_text.find(key + old)
    if at < 0 or source_text.count(key) != 1:
        return None
    start = at + len(key)
    choice = nix.If(nix.Raw("pkgs.stdenv.isDarwin"), f"/Users/{user}", nix.Raw(old.decode()))
    return start, start + len(old), nix.emit(nix.Paren(choice)).encode()
