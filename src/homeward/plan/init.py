"""`homeward init`: the layout of docs/architecture.md as a Plan of new files. Pure.

    flake.nix                       nixpkgs + home-manager; nixosConfigurations.<host> with
                                    home-manager's NixOS module; homeConfigurations."<user>@<host>"
    hosts/<host>/default.nix        system-only concerns
    hosts/<host>/hardware-configuration.nix
    modules/system/users.nix        the account; no packages
    home/<user>/default.nix         the home-manager entry point
    home/<user>/features/cli.nix    command-line tools
    home/<user>/features/git.nix    git

Every file is built with `syntax/emit.py`, so it is formatted as nixfmt would format it. Option
names were checked against home-manager's sources of the pinned release (`nixos/common.nix`,
`modules/home-environment.nix`, `modules/misc/version.nix`, `modules/programs/git.nix`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from homeward.knowledge.releases import NEWEST_RELEASE
from homeward.plan.types import NewFile, Plan
from homeward.syntax.emit import (
    Attrs,
    Blank,
    Call,
    Comment,
    Func,
    Inherit,
    Item,
    Key,
    List,
    NixPath,
    Raw,
    attr_key,
    emit_file,
)

RELEASE = NEWEST_RELEASE
"""The NixOS release the scaffold pins by default; home-manager's release branch follows it."""

BACKUP_EXTENSION = "hm-backup"

# home-manager 25.11 merged `programs.git.{userName,userEmail,extraConfig,aliases}` into
# `programs.git.settings`; release-25.05 has no `settings` and fails on it. Both accept
# `extraConfig` (25.11 renames it to `settings` with a warning).
GIT_SETTINGS_SINCE = (25, 11)

# Whole-string matches (`fullmatch`): `$` would also match before a trailing newline.
_USER = re.compile(r"[a-z_][a-z0-9_-]{0,31}")
_HOST = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_FEATURE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]{0,63}")
# Nix keywords: as an attribute name each would need quotes everywhere it is written.
NIX_KEYWORDS = frozenset(
    {"if", "then", "else", "assert", "with", "let", "in", "rec", "inherit", "or"}
)
SYSTEMS = (
    "x86_64-linux",
    "aarch64-linux",
    "i686-linux",
    "riscv64-linux",
    "armv7l-linux",
    "armv6l-linux",
)
DARWIN_SYSTEMS = ("aarch64-darwin", "x86_64-darwin")  # a Mac: nix-darwin instead of NixOS
DARWIN_STATE_VERSION = 6  # nix-darwin's `system.stateVersion` is an integer (6 since 25.05)


@dataclass(frozen=True, slots=True)
class InitSpec:
    user: str
    host: str
    system: str = "x86_64-linux"
    hardware: bytes | None = None  # the text of `--hardware-config FILE`; a placeholder if None
    release: str = RELEASE


def user_problem(user: str) -> str | None:
    """Why `user` cannot be a NixOS account and a Nix attribute name, or None."""
    if user == "root":
        return "`root` is not a normal user; home-manager is set up for a normal account"
    if not _USER.fullmatch(user):
        return (
            f"`{user!s}` is not a valid user name: use lowercase letters, digits, `_` and `-`, "
            "starting with a letter or `_`, at most 32 characters"
        ).replace("\n", "\\n")
    return _keyword_problem(user, "user")


def _keyword_problem(name: str, kind: str) -> str | None:
    if name in NIX_KEYWORDS:
        return (
            f"`{name}` cannot be a {kind} name: it is a Nix keyword, which would need quotes "
            "everywhere the name is written"
        )
    return None


def feature_problem(name: str) -> str | None:
    """Why `name` cannot be a feature (a file `features/<name>.nix`), or None."""
    if not _FEATURE.fullmatch(name):
        return (
            f"`{name}` is not a good feature name: use ASCII letters, digits, `-` and `_`, "
            "not starting with `-`, at most 64 characters"
        ).replace("\n", "\\n")
    return _keyword_problem(name, "feature")


def host_problem(host: str) -> str | None:
    """Why `host` cannot be a host name (and `nixosConfigurations` attribute), or None."""
    if not _HOST.fullmatch(host):
        return (
            f"`{host}` is not a valid host name: use ASCII letters, digits and `-` (not first "
            "or last), at most 63 characters"
        ).replace("\n", "\\n")
    return _keyword_problem(host, "host")


def system_problem(system: str) -> str | None:
    if system not in SYSTEMS and system not in DARWIN_SYSTEMS:
        known = ", ".join((*SYSTEMS, *DARWIN_SYSTEMS))
        return f"`{system}` is not a platform homeward knows: one of {known}"
    return None


def is_darwin(spec: InitSpec) -> bool:
    return spec.system in DARWIN_SYSTEMS


def _release_tuple(release: str) -> tuple[int, int]:
    major, minor = release.split(".")
    return int(major), int(minor)


def plan_init(spec: InitSpec) -> Plan:
    """The files of a new configuration for `spec.user` on `spec.host`."""
    u, h = spec.user, spec.host
    host_dir = Path("hosts") / h
    home_dir = Path("home") / u
    if is_darwin(spec):
        return Plan(
            new_files=(
                NewFile(Path("flake.nix"), flake_nix(spec), "the flake: inputs and both outputs"),
                NewFile(host_dir / "default.nix", darwin_host_nix(spec), f"the Mac `{h}`"),
                NewFile(Path("modules/system/users.nix"), users_nix(spec), f"`{u}`'s account"),
                NewFile(home_dir / "default.nix", home_nix(spec), f"`{u}`'s home entry point"),
                NewFile(home_dir / "features/cli.nix", cli_nix(spec), "command-line tools"),
                NewFile(home_dir / "features/git.nix", git_nix(spec), "git"),
            )
        )
    files = [
        NewFile(Path("flake.nix"), flake_nix(spec), "the flake: inputs and both outputs"),
        NewFile(host_dir / "default.nix", host_nix(spec), f"`{h}`'s system configuration"),
        NewFile(
            host_dir / "hardware-configuration.nix",
            spec.hardware if spec.hardware is not None else hardware_placeholder(spec),
            "copied from --hardware-config"
            if spec.hardware is not None
            else "a placeholder: replace it with the machine's own",
        ),
        NewFile(Path("modules/system/users.nix"), users_nix(spec), f"the account of `{u}`"),
        NewFile(home_dir / "default.nix", home_nix(spec), f"`{u}`'s home-manager entry point"),
        NewFile(home_dir / "features/cli.nix", cli_nix(spec), "command-line tools"),
        NewFile(home_dir / "features/git.nix", git_nix(spec), "git"),
    ]
    return Plan(new_files=tuple(files))


def _with_header(header: list[str], body: bytes) -> bytes:
    return "".join(f"# {line}\n" if line else "#\n" for line in header).encode() + body


def flake_nix(spec: InitSpec) -> bytes:
    u, h = spec.user, spec.host
    darwin = is_darwin(spec)
    hm_module = Attrs(
        [
            (("home-manager", "useGlobalPkgs"), True),
            (("home-manager", "useUserPackages"), True),
            Comment("Existing dotfiles in the way are renamed, not an error (`.hm-backup`)."),
            (("home-manager", "backupFileExtension"), BACKUP_EXTENSION),
            (("home-manager", "extraSpecialArgs"), Attrs([Inherit(("inputs",))])),
            (("home-manager", "users", u), Call("import", [NixPath(f"./home/{u}")])),
        ]
    )
    outputs = Attrs(
        [
            (
                ("darwinConfigurations" if darwin else "nixosConfigurations", h),
                Call(
                    "nix-darwin.lib.darwinSystem" if darwin else "nixpkgs.lib.nixosSystem",
                    [
                        Attrs(
                            [
                                ("specialArgs", Attrs([Inherit(("inputs",))])),
                                (
                                    "modules",
                                    [
                                        NixPath(f"./hosts/{h}"),
                                        Raw(
                                            "home-manager.darwinModules.home-manager"
                                            if darwin
                                            else "home-manager.nixosModules.home-manager"
                                        ),
                                        hm_module,
                                    ],
                                ),
                            ]
                        )
                    ],
                ),
            ),
            Blank(),
            Comment(f"Standalone: `home-manager switch --flake .#{u}@{h}`."),
            (
                ("homeConfigurations", f"{u}@{h}"),
                Call(
                    "home-manager.lib.homeManagerConfiguration",
                    [
                        Attrs(
                            [
                                ("pkgs", Raw(f"nixpkgs.legacyPackages.{attr_key(spec.system)}")),
                                ("extraSpecialArgs", Attrs([Inherit(("inputs",))])),
                                ("modules", [NixPath(f"./home/{u}")]),
                            ]
                        )
                    ],
                ),
            ),
        ]
    )
    nixpkgs_url = f"github:NixOS/nixpkgs/nixos-{spec.release}"
    darwin_input: list[tuple[Key, object]] = []
    if darwin:
        # nix-darwin asserts that its release matches nixpkgs': both on the darwin branches.
        nixpkgs_url = f"github:NixOS/nixpkgs/nixpkgs-{spec.release}-darwin"
        darwin_input.append(
            (
                "nix-darwin",
                Attrs(
                    [
                        ("url", f"github:nix-darwin/nix-darwin/nix-darwin-{spec.release}"),
                        (("inputs", "nixpkgs", "follows"), "nixpkgs"),
                    ]
                ),
            )
        )
    kind = "nix-darwin" if darwin else "NixOS"
    args = ["nixpkgs", "nix-darwin", "home-manager"] if darwin else ["nixpkgs", "home-manager"]
    flake = Attrs(
        [
            ("description", f"{kind} and home-manager configuration of {u} on {h}"),
            Blank(),
            (
                "inputs",
                Attrs(
                    [
                        (("nixpkgs", "url"), nixpkgs_url),
                        *darwin_input,
                        (
                            "home-manager",
                            Attrs(
                                [
                                    (
                                        "url",
                                        f"github:nix-community/home-manager/release-{spec.release}",
                                    ),
                                    (("inputs", "nixpkgs", "follows"), "nixpkgs"),
                                ]
                            ),
                        ),
                    ]
                ),
            ),
            Blank(),
            ("outputs", Func(args, outputs, at="inputs")),
        ]
    )
    return emit_file(flake)


def host_nix(spec: InitSpec, *, users_module: bool = True, extra: Sequence[Item] = ()) -> bytes:
    """A NixOS host's file; `users_module`: it imports `modules/system/users.nix`; `extra`:
    bindings after the rest (`add host`: the accounts of a host that does not import it)."""
    h = spec.host
    imports = [NixPath("./hardware-configuration.nix")]
    if users_module:
        imports.append(NixPath("../../modules/system/users.nix"))
    body = Attrs(
        [
            ("imports", List(imports, expand=True)),
            Blank(),
            Comment("Pick this machine's boot loader (UEFI shown; see `nixos-generate-config`):"),
            Comment("boot.loader.systemd-boot.enable = true;"),
            Comment("boot.loader.efi.canTouchEfiVariables = true;"),
            Blank(),
            (("networking", "hostName"), h),
            (("nixpkgs", "hostPlatform"), spec.system),
            Blank(),
            (("nix", "settings", "experimental-features"), ["nix-command", "flakes"]),
            Blank(),
            Comment("The NixOS release this machine was installed with; do not change it later."),
            (("system", "stateVersion"), spec.release),
            *extra,
        ]
    )
    header = [
        f"{h}: system-level configuration only (hardware, boot, services, accounts).",
        f"User programs and settings live in home-manager, under home/; `{h}` never imports them.",
    ]
    return _with_header(header, emit_file(body))


def darwin_host_nix(
    spec: InitSpec, *, users_module: bool = True, unfree: bool = False, extra: Sequence[Item] = ()
) -> bytes:
    """A Mac's file; `users_module`: it imports `modules/system/users.nix`; `unfree`: it
    allows unfree packages; `extra`: bindings after the rest (`add host`: the accounts)."""
    u, h = spec.user, spec.host
    imports: list[Item] = [("imports", [NixPath("../../modules/system/users.nix")]), Blank()]
    allow: list[Item] = [(("nixpkgs", "config", "allowUnfree"), True)]
    body = Attrs(
        [
            *(imports if users_module else ()),
            (("networking", "hostName"), h),
            (("nixpkgs", "hostPlatform"), spec.system),
            *(allow if unfree else ()),
            Blank(),
            (("nix", "settings", "experimental-features"), ["nix-command", "flakes"]),
            Blank(),
            Comment("The user `system.defaults`, `homebrew` and launchd agents apply to."),
            (("system", "primaryUser"), u),
            Comment("nix-darwin's state version (an integer); do not change it later."),
            (("system", "stateVersion"), Raw(str(DARWIN_STATE_VERSION))),
            *extra,
        ]
    )
    header = [
        f"{h}: system-level configuration only (macOS defaults, Homebrew, services, accounts).",
        f"User programs and settings live in home-manager, under home/; `{h}` never imports them.",
    ]
    return _with_header(header, emit_file(body))


def hardware_placeholder(spec: InitSpec) -> bytes:
    h = spec.host
    body = Func(
        ["lib"],
        Attrs(
            [
                (
                    "warnings",
                    [f"hosts/{h}/hardware-configuration.nix is a placeholder; replace it"],
                ),
                Blank(),
                Comment("Stand-ins so that the configuration evaluates; the real file replaces"),
                Comment("the file system, and default.nix picks the boot loader."),
                (
                    ("fileSystems", "/"),
                    Call(
                        "lib.mkDefault",
                        [Attrs([("device", "/dev/disk/by-label/nixos"), ("fsType", "ext4")])],
                    ),
                ),
                (("boot", "loader", "grub", "enable"), Call("lib.mkDefault", [False])),
            ]
        ),
    )
    header = [
        "PLACEHOLDER: replace this file with the one generated on the machine:",
        f"  nixos-generate-config --show-hardware-config > hosts/{h}/hardware-configuration.nix",
        "(or run `homeward init --hardware-config FILE` to copy it in).",
    ]
    return _with_header(header, emit_file(body))


def users_nix(spec: InitSpec) -> bytes:
    u = spec.user
    account = Attrs([("isNormalUser", True), ("extraGroups", ["wheel"])])
    if is_darwin(spec):
        # nix-darwin leaves `home` null unless set; home-manager's darwin module needs it.
        account = Attrs([("home", f"/Users/{u}")])
    body = Attrs([(("users", "users", u), account)])
    header = [
        "Accounts, groups and login shells. User packages belong in home/<user>/, not here.",
    ]
    return _with_header(header, emit_file(body))


def home_nix(spec: InitSpec) -> bytes:
    u = spec.user
    darwin = is_darwin(spec)
    kind, base = ("nix-darwin", "/Users") if darwin else ("NixOS", "/home")
    rebuild = "sudo darwin-rebuild" if darwin else "nixos-rebuild"
    body = Func(
        ["lib", "pkgs"],
        Attrs(
            [
                ("imports", [NixPath("./features/cli.nix"), NixPath("./features/git.nix")]),
                Blank(),
                Comment(
                    f"The {kind} module sets these from `users.users.{u}`; standalone uses them."
                ),
                (("home", "username"), Call("lib.mkDefault", [u])),
                (("home", "homeDirectory"), Call("lib.mkDefault", [f"{base}/{u}"])),
                Blank(),
                Comment("The home-manager release this was written for; do not change it later."),
                (("home", "stateVersion"), spec.release),
                Blank(),
                (("programs", "home-manager", "enable"), True),
                Comment(f"Under the {kind} module `programs.home-manager` installs nothing: keep"),
                Comment("the `home-manager` command for standalone switches."),
                (("home", "packages"), [Raw("pkgs.home-manager")]),
            ]
        ),
    )
    header = [
        f"{u}'s home-manager configuration, used by `{rebuild} switch --flake .#{spec.host}`",
        f"and by `home-manager switch --flake .#{u}@{spec.host}`. One concern per file in features/.",
    ]
    return _with_header(header, emit_file(body))


def cli_nix(spec: InitSpec) -> bytes:
    # zsh is macOS's login shell (and nix-darwin's `programs.zsh`), bash NixOS's (issue 12).
    shell, rc = ("zsh", "~/.zshrc") if is_darwin(spec) else ("bash", "~/.bashrc")
    body = Func(
        ["pkgs"],
        Attrs(
            [
                (
                    ("home", "packages"),
                    [Raw("pkgs.fd"), Raw("pkgs.jq"), Raw("pkgs.ripgrep")],
                ),
                Blank(),
                Comment("Let home-manager manage the shell, so that `home.sessionVariables` and"),
                Comment(f"`home.shellAliases` apply (an existing {rc} is renamed *.hm-backup):"),
                Comment(f"programs.{shell}.enable = true;"),
            ]
        ),
    )
    return _with_header(["Command-line tools."], emit_file(body))


def git_nix(spec: InitSpec) -> bytes:
    new_names = _release_tuple(spec.release) >= GIT_SETTINGS_SINCE
    settings = "settings" if new_names else "extraConfig"
    config = Attrs(
        [
            Comment('user.name = "Your Name";'),
            Comment('user.email = "you@example.org";'),
            (("init", "defaultBranch"), "main"),
            (("pull", "rebase"), True),
        ]
    )
    items: list[tuple[Key, object] | Comment | Blank | Inherit] = [("enable", True)]
    if not new_names:
        items.append(
            Comment(
                f"home-manager {GIT_SETTINGS_SINCE[0]}.{GIT_SETTINGS_SINCE[1]} renames this "
                "to `programs.git.settings`."
            )
        )
    items.append((settings, config))
    body = Attrs([(("programs", "git"), Attrs(items))])
    return _with_header(["git: ~/.config/git/config."], emit_file(body))
