"""What each NixOS option in a user file becomes: the mapping table, kept as data.

`Row`s say which NixOS option groups have an exact home-manager counterpart and under which
name; everything else found in a user file is either system-level (it moves to a system module)
or user-level without an exact counterpart (it stays a NixOS option, and the report says why).
Option names were checked against home-manager's and nixpkgs' sources; `tests/test_mapping.py`
checks every row against `knowledge/data/hm_options.json`, the list of option paths read from
home-manager's module tree.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Fate(StrEnum):
    HOME = "home"  # moves to home-manager (maybe renamed)
    PACKAGES = "packages"  # `users.users.<u>.packages` -> `home.packages`
    SYSTEM = "system"  # system-level: stays a NixOS option (in a system module)
    KEEP = "keep"  # user-level without an exact home-manager counterpart: stays NixOS, reported


class Feature(StrEnum):
    """The feature files a user's home configuration is split into."""

    GIT = "git"
    CLI = "cli"  # terminal tools, shell settings (variables, aliases)
    EDITORS = "editors"
    DESKTOP = "desktop"  # graphical applications
    DEV = "dev"  # development toolchains
    PACKAGES = "packages"  # packages of no known category
    DOTFILES = "dotfiles"  # files in $HOME (home.file, xdg.configFile)


@dataclass(frozen=True, slots=True)
class Row:
    """One NixOS option group and its home-manager counterpart.

    `supported` lists the first names below `nixos` that correspond exactly (after `renames`);
    a group that sets anything else stays whole on the NixOS side, so that a program is never
    half moved (its NixOS settings would stop applying once `enable` left).
    """

    nixos: tuple[str, ...]
    home: tuple[str, ...]
    supported: frozenset[str]
    feature: Feature
    renames: dict[str, str] = field(default_factory=dict)
    per_leaf: bool = False  # each attribute below moves on its own (variables, aliases)
    scalar_values: bool = False  # only string/number values correspond (no lists, paths, null)
    attrs_values: bool = False  # home-manager takes only attribute sets (NixOS also lists)
    # Names older home-manager releases use instead: (release before which they apply, renames).
    legacy: tuple[tuple[int, int], dict[str, str]] | None = None
    needs_shell: bool = False  # only takes effect when home-manager manages the user's shell
    note: str = ""
    source: str = ""  # where home-manager declares it
    # A group split between the layers (a login shell): first names that stay NixOS options
    # while the rest moves, and first names written on both sides (`enable`: NixOS keeps the
    # login shell, home-manager must manage the shell for the moved parts to apply).
    split: frozenset[str] = frozenset()
    copied: frozenset[str] = frozenset()
    # First names whose values must be strings or numbers (aliases: home-manager's attrsOf str).
    scalar_below: frozenset[str] = frozenset()
    # Supported names home-manager has only from a release: before it, a group setting them
    # stays NixOS (`autosuggestions`: `enableAutosuggestions` before 24.05, another shape).
    since: tuple[tuple[str, tuple[int, int]], ...] = ()

    def stays(self, path: tuple[str, ...]) -> bool:
        """A definition of a split group that stays on the NixOS side (copied ones too)."""
        n = len(self.nixos)
        return len(path) > n and path[n] in self.split | self.copied

    def missing_in(self, path: tuple[str, ...], release: tuple[int, int] | None) -> str:
        """The supported name below `path` that the release lacks (None: master), or ""."""
        rest = path[len(self.nixos) :]
        for name, first in self.since:
            parts = tuple(name.split("."))
            if release is not None and release < first and rest[: len(parts)] == parts:
                return name
        return ""


def _row(
    nixos: str,
    home: str,
    supported: str,
    feature: Feature,
    renames: dict[str, str] | None = None,
    **kw: object,
) -> Row:
    return Row(
        tuple(nixos.split(".")),
        tuple(home.split(".")),
        frozenset(supported.split()),
        feature,
        renames or {},
        **kw,  # type: ignore[arg-type]
    )


# zsh, split between the layers. The login shell stays NixOS: `users.users.<u>.shell =
# pkgs.zsh` asserts `programs.zsh.enable`, and NixOS writes /etc/zshrc, which zsh reads before
# ~/.zshrc; `enable` is written on both sides. The user's interactive settings move to
# home-manager's ~/.zshrc, each to the option that writes the same thing there: aliases
# (`alias`), oh-my-zsh (the same ZSH, plugins, theme, custom, ZSH_CACHE_DIR under
# ~/.cache), autosuggestions and syntax highlighting (the same plugin sourced; NixOS's
# `highlightStyle` default is the plugin's own), `interactiveShellInit` as `initContent` (both
# before the aliases), `histSize` as `history.size` (HISTSIZE and, through `history.save`'s
# default, SAVEHIST). What NixOS does for every user or at login (`promptInit`, completion,
# `setOptions`, `shellInit`, `histFile`) stays. NixOS's options apply to every user of the
# host, so a group moves only when one normal user is on it.
SHELL_ZSH = _row(
    "programs.zsh",
    "programs.zsh",
    "enable shellAliases interactiveShellInit histSize ohMyZsh.enable ohMyZsh.plugins "
    "ohMyZsh.theme ohMyZsh.custom ohMyZsh.package autosuggestions.enable "
    "autosuggestions.strategy syntaxHighlighting.enable syntaxHighlighting.styles",
    Feature.CLI,
    {
        "ohMyZsh": "oh-my-zsh",
        "autosuggestions": "autosuggestion",
        "interactiveShellInit": "initContent",
        "histSize": "history.size",
    },
    # home-manager 25.05 introduced `initContent`; before it the same text is `initExtra`.
    legacy=(
        (25, 5),
        {
            "ohMyZsh": "oh-my-zsh",
            "autosuggestions": "autosuggestion",
            "interactiveShellInit": "initExtra",
            "histSize": "history.size",
        },
    ),
    split=frozenset(
        "promptInit enableCompletion enableGlobalCompInit enableBashCompletion enableLsColors "
        "shellInit loginShellInit setOptions histFile".split()
    ),
    copied=frozenset({"enable"}),
    scalar_below=frozenset({"shellAliases"}),
    since=(("autosuggestions", (24, 5)), ("autosuggestions.strategy", (24, 11))),
    note="`programs.zsh.enable` stays NixOS for the login shell; NixOS's options apply to "
    "every user of the host; NixOS's oh-my-zsh turned its default prompt off, which the "
    "system side keeps doing; completion stays NixOS's (home-manager's `enableCompletion = "
    "false`: no second compinit)",
    source="modules/programs/zsh/",
)

# fish, split as zsh is: `enable` (the login shell) on both sides; NixOS's /etc/fish/config.fish
# runs before home-manager's ~/.config/fish/config.fish, and both write aliases (`alias`),
# abbreviations (`abbr`, global), `shellInit`, `loginShellInit` (in `status is-login`) and
# `interactiveShellInit` (in `status is-interactive`) alike. `promptInit` (none in
# home-manager), babelfish and the vendor directories stay.
SHELL_FISH = _row(
    "programs.fish",
    "programs.fish",
    "enable shellAliases shellAbbrs shellInit loginShellInit interactiveShellInit",
    Feature.CLI,
    split=frozenset({"promptInit", "useBabelfish", "vendor"}),
    copied=frozenset({"enable"}),
    scalar_below=frozenset({"shellAliases", "shellAbbrs"}),
    note="`programs.fish.enable` stays NixOS for the login shell; NixOS's options apply to "
    "every user of the host",
    source="modules/programs/fish.nix",
)

# bash: NixOS configures it always (no `enable`); its /etc/bashrc runs before home-manager's
# ~/.bashrc, whose `initExtra` is the interactive part (after `[[ $- == *i* ]] || return`), as
# NixOS's `interactiveShellInit` is (inside `if [ -n "$PS1" ]`). homeward writes home-manager's
# `programs.bash.enable`. The prompt, completion and login/profile code stay.
SHELL_BASH = _row(
    "programs.bash",
    "programs.bash",
    "shellAliases interactiveShellInit",
    Feature.CLI,
    {"interactiveShellInit": "initExtra"},
    split=frozenset({"promptInit", "shellInit", "loginShellInit", "enableCompletion"}),
    scalar_below=frozenset({"shellAliases"}),
    note="NixOS's options apply to every user of the host; the user's init runs from ~/.bashrc, "
    "after /etc/bashrc's aliases and prompt",
    source="modules/programs/bash.nix",
)

ROWS: tuple[Row, ...] = (
    _row(
        "programs.git",
        "programs.git",
        "enable package config lfs.enable lfs.package",
        Feature.GIT,
        {"config": "settings"},
        # home-manager 25.11 introduced `settings`; 25.05 and older take the same attrs as
        # `extraConfig` (25.11 still accepts it with a warning).
        legacy=((25, 11), {"config": "extraConfig"}),
        attrs_values=True,
        note="NixOS writes /etc/gitconfig, home-manager ~/.config/git/config",
        source="modules/programs/git.nix",
    ),
    _row(
        "environment.variables",
        "home.sessionVariables",
        "*",
        Feature.CLI,
        per_leaf=True,
        needs_shell=True,
        scalar_values=True,
        note="home-manager applies session variables only in shells it manages",
        source="modules/home-environment.nix",
    ),
    _row(
        "environment.sessionVariables",
        "home.sessionVariables",
        "*",
        Feature.CLI,
        per_leaf=True,
        needs_shell=True,
        scalar_values=True,
        note="home-manager applies session variables only in shells it manages",
        source="modules/home-environment.nix",
    ),
    _row(
        "environment.shellAliases",
        "home.shellAliases",
        "*",
        Feature.CLI,
        per_leaf=True,
        needs_shell=True,
        scalar_values=True,
        note="home-manager applies shell aliases only in shells it manages",
        source="modules/home-environment.nix",
    ),
    _row(
        "programs.tmux",
        "programs.tmux",
        "enable package extraConfig clock24 baseIndex escapeTime keyMode shortcut terminal "
        "historyLimit newSession plugins aggressiveResize customPaneNavigationAndResize "
        "reverseSplit secureSocket resizeAmount",
        Feature.CLI,
        needs_shell=True,
        note="`secureSocket` sets TMUX_TMPDIR through home.sessionVariables",
        source="modules/programs/tmux.nix",
    ),
    _row(
        "programs.direnv",
        "programs.direnv",
        "enable package nix-direnv silent direnvrcExtra",
        Feature.CLI,
        {"direnvrcExtra": "stdlib"},
        needs_shell=True,
        note="the hook goes into the shell's init file, which home-manager must manage",
        source="modules/programs/direnv.nix",
    ),
    _row(
        "programs.starship",
        "programs.starship",
        "enable package settings presets",
        Feature.CLI,
        needs_shell=True,
        source="modules/programs/starship.nix",
    ),
    _row(
        "programs.htop",
        "programs.htop",
        "enable package settings",
        Feature.CLI,
        source="modules/programs/htop.nix",
    ),
    _row(
        "programs.bat",
        "programs.bat",
        "enable package extraPackages",
        Feature.CLI,
        note="NixOS `settings` takes integers and writes booleans as --x=true; home-manager's "
        "`config` does neither, so a group that sets it stays NixOS",
        source="modules/programs/bat.nix",
    ),
    _row(
        "programs.zoxide",
        "programs.zoxide",
        "enable package flags",
        Feature.CLI,
        {"flags": "options"},
        needs_shell=True,
        source="modules/programs/zoxide.nix",
    ),
    _row(
        "programs.neovim",
        "programs.neovim",
        "enable package defaultEditor viAlias vimAlias withRuby withPython3 withNodeJs",
        Feature.EDITORS,
        needs_shell=True,
        note="`defaultEditor` sets EDITOR through home.sessionVariables",
        source="modules/programs/neovim/default.nix",
    ),
    _row(
        "programs.vim",
        "programs.vim",
        "enable defaultEditor",
        Feature.EDITORS,
        needs_shell=True,
        note="home-manager's `package` is read-only (`packageConfigurable`)",
        source="modules/programs/vim.nix",
    ),
    _row(
        "programs.firefox",
        "programs.firefox",
        "enable package languagePacks",
        Feature.DESKTOP,
        note="NixOS writes `policies` to /etc/firefox, home-manager wraps the package; "
        "`preferences`, `autoConfig` and `nativeMessagingHosts.packages` differ in shape",
        source="modules/programs/firefox/default.nix",  # options written in mkFirefoxModule.nix
    ),
    _row(
        "programs.lazygit",
        "programs.lazygit",
        "enable package settings",
        Feature.GIT,
        source="modules/programs/lazygit.nix",
    ),
    # NixOS installs the package and sources its setup hook in every shell's init, which sets
    # JAVA_HOME to `<jdk>/lib/openjdk`; home-manager installs it and sets the same JAVA_HOME
    # (`package.home`) through home.sessionVariables.
    _row(
        "programs.java",
        "programs.java",
        "enable package",
        Feature.DEV,
        needs_shell=True,
        note="JAVA_HOME comes through home.sessionVariables",
        source="modules/programs/java.nix",
    ),
    # Same option names and defaults (the shell hooks on for bash, zsh and fish); both source
    # the package's command-not-found.sh from the shell's init file.
    _row(
        "programs.nix-index",
        "programs.nix-index",
        "enable package enableBashIntegration enableZshIntegration enableFishIntegration",
        Feature.CLI,
        needs_shell=True,
        note="the command-not-found hook goes into the shell's init file",
        source="modules/programs/nix-index.nix",
    ),
    # NixOS `settings.{yazi,theme,keymap}` are home-manager's `settings`, `theme` and `keymap`
    # one level up: a group setting them stays NixOS (homeward renames first names only).
    _row(
        "programs.yazi",
        "programs.yazi",
        "enable package",
        Feature.CLI,
        note="NixOS `settings.yazi`/`settings.theme`/`settings.keymap` are home-manager's "
        "`settings`/`theme`/`keymap`: a group that sets them stays NixOS",
        source="modules/programs/yazi.nix",
    ),
    SHELL_ZSH,
    SHELL_FISH,
    SHELL_BASH,
)

# User-level NixOS options with no exact home-manager counterpart: they stay NixOS options.
KEEP: dict[tuple[str, ...], str] = {
    (
        "programs",
        "fzf",
    ): "NixOS sets fzf key bindings system-wide; home-manager's programs.fzf differs",
    (
        "programs",
        "gnupg",
    ): "NixOS starts a gpg agent in every user's session; home-manager's counterpart, "
    "services.gpg-agent, has other option names",
    (
        "programs",
        "ssh",
    ): "NixOS programs.ssh writes /etc/ssh/ssh_config; home-manager's programs.ssh differs",
    ("xdg", "mime"): "NixOS writes a system-wide mimeapps.list; home-manager has xdg.mimeApps",
    ("environment", "etc"): "files in /etc are system-wide; home-manager writes files in $HOME",
    ("systemd", "user"): "home-manager's systemd.user units use a different schema",
    (
        "programs",
        "less",
    ): "NixOS sets LESSOPEN, LESSKEYIN_SYSTEM and its lesskey `commands` for every user; "
    "home-manager's programs.less has `keys`/`options` and no input preprocessor",
    (
        "programs",
        "npm",
    ): "NixOS writes /etc/npmrc as text (`npmrc`) and points NPM_CONFIG_GLOBALCONFIG at it; "
    "home-manager's programs.npm takes `settings` as attributes for ~/.npmrc",
}

# Why the user-facing-looking programs among SYSTEM_PREFIXES stay NixOS options.
SYSTEM_REASONS: dict[tuple[str, ...], str] = {
    (
        "programs",
        "zsh",
    ): "the login shell: users.users.<u>.shell = pkgs.zsh needs it (an assertion), "
    "and it writes /etc/zshrc for every user; only `enable` and "
    "what NixOS does at login or for every user stay, the rest of the group moves (see the `programs.zsh` row): promptInit, completion, "
    "setOptions, shellInit, histFile",
    ("programs", "bash"): "every user's /etc/bashrc and /etc/profile: the prompt, completion and "
    "login code stay, the aliases and interactive init move (see the `programs.bash` row)",
    ("programs", "fish"): "the login shell and /etc/fish for every user: `enable`, the prompt, "
    "babelfish and the vendor directories stay, the rest moves (see the `programs.fish` row)",
    ("programs", "steam"): "opens firewall ports, adds udev rules and 32-bit graphics drivers",
    ("programs", "gamemode"): "a setuid helper, a system daemon and the `gamemode` group",
    ("programs", "hyprland"): "a session file for the display manager, polkit, portals, "
    "graphics drivers; home-manager's wayland.windowManager.hyprland only configures it",
    ("programs", "sway"): "a session file for the display manager, polkit, PAM for swaylock; "
    "home-manager's wayland.windowManager.sway only configures it",
    ("programs", "dconf"): "the system dconf database and D-Bus service home-manager's "
    "dconf.settings needs (HM-FACTS pitfall 10)",
    ("programs", "adb"): "udev rules for Android devices and the `adbusers` group",
    ("programs", "wireshark"): "a capture helper with capabilities and the `wireshark` group",
    ("programs", "kdeconnect"): "opens firewall ports 1714-1764 for device discovery",
    ("programs", "nix-ld"): "installs the dynamic loader at /lib64 for every program",
    ("virtualisation",): "kernel modules, system daemons (docker, libvirtd) and groups",
}

# Prefixes that are system-level whatever file they are in (rule 4: they never move into
# home-manager, and are never dropped).
SYSTEM_PREFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(p.split("."))
    for p in (
        "boot",
        "hardware",
        "networking",
        "services",
        "fonts",
        "security",
        "virtualisation",
        "systemd",
        "nix",
        "nixpkgs",
        "time",
        "i18n",
        "console",
        "sound",
        "powerManagement",
        "fileSystems",
        "swapDevices",
        "zramSwap",
        "system",
        "documentation",
        "location",
        "xdg.portal",
        "environment.systemPackages",
        "environment.etc",
        "environment.pathsToLink",
        "environment.shells",
        "users",
        "programs.zsh",
        "programs.bash",
        "programs.fish",
        "programs.steam",
        "programs.gamemode",
        "programs.hyprland",
        "programs.sway",
        "programs.dconf",
        "programs.nix-ld",
        "programs.appimage",
        "programs.adb",
        "programs.wireshark",
        "programs.kdeconnect",
        "programs.light",
        "programs.command-not-found",
        "programs.nh",
        "programs.virt-manager",
        "programs.thunar",
        "programs.seahorse",
        "programs.xwayland",
        "programs.niri",
        "programs.river",
        "programs.labwc",
        "home-manager",
        "imports",
        "disabledModules",
        "_module",
        "specialisation",
        "qt",
        "stylix",
    )
)


@dataclass(frozen=True, slots=True)
class Verdict:
    fate: Fate
    row: Row | None = None
    group: tuple[str, ...] = ()  # the option group the verdict is about
    why: str = ""


def classify(path: tuple[str, ...], user: str | None = None) -> Verdict:
    """What a NixOS definition at `path` in a user file becomes (not looking at siblings)."""
    if user is not None and path[:4] == ("users", "users", user, "packages"):
        return Verdict(Fate.PACKAGES, group=path[:4])
    if len(path) >= 4 and path[:2] == ("users", "users") and path[3] == "packages":
        return Verdict(Fate.PACKAGES, group=path[:4])
    for row in ROWS:
        if path[: len(row.nixos)] == row.nixos and len(path) > len(row.nixos):
            if row.stays(path):
                why = SYSTEM_REASONS.get(row.nixos, "a system-level option")
                return Verdict(Fate.SYSTEM, row, row.nixos, why)
            return Verdict(Fate.HOME, row, row.nixos)
    for prefix, why in KEEP.items():
        if path[: len(prefix)] == prefix:
            return Verdict(Fate.KEEP, group=prefix, why=why)
    for prefix in SYSTEM_PREFIXES:
        if path[: len(prefix)] == prefix:
            return Verdict(Fate.SYSTEM, group=prefix, why="a system-level option")
    group = path[:2] if path[:1] == ("programs",) else path[:1]
    return Verdict(
        Fate.KEEP, group=group, why="homeward knows no exact home-manager counterpart for it"
    )


def hm_input_name(inputs: Mapping[str, object]) -> str | None:
    """The flake input that is home-manager: named so, or any whose URL names it (`hm`)."""
    if "home-manager" in inputs:
        return "home-manager"
    for name, value in inputs.items():
        if "home-manager" in str(getattr(value, "url", "") or ""):
            return name
    return None


def hm_release(url: str | None) -> tuple[int, int] | None:
    """The release a home-manager (or nixpkgs) URL tracks; None for master/unstable."""
    import re

    # `nixpkgs-25.05-darwin`: the nixpkgs branch Macs follow (nix-darwin's README).
    match = re.search(r"(?:release|nixos|nixpkgs)-(\d\d)\.(\d\d)", url or "")
    return (int(match[1]), int(match[2])) if match else None


def renames_for(row: Row, release: tuple[int, int] | None) -> dict[str, str]:
    """The renames for a home-manager release (None: master, the newest)."""
    if row.legacy is not None and release is not None and release < row.legacy[0]:
        return row.legacy[1]
    return row.renames


def home_path(
    row: Row, path: tuple[str, ...], release: tuple[int, int] | None = None
) -> tuple[str, ...]:
    """The home-manager path of a NixOS definition covered by `row`."""
    rest = path[len(row.nixos) :]
    renames = renames_for(row, release)
    head = renames.get(rest[0], rest[0]) if rest else None
    # A rename may go deeper: `histSize` is `history.size`.
    return (*row.home, *((*head.split("."), *rest[1:]) if head else ()))


def unsupported(row: Row, paths: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The definitions of a group that keep it from moving as a whole.

    A supported name may be dotted (`lfs.enable`): it covers that sub-path only.
    """
    if "*" in row.supported:
        return []
    allowed = [tuple(name.split(".")) for name in row.supported]
    bad = []
    for p in paths:
        rest = p[len(row.nixos) :]
        if rest and not any(rest[: len(a)] == a for a in allowed):
            bad.append(p)
    return bad


# Packages by feature file. Unknown packages go to `packages.nix`.
PACKAGE_FEATURES: dict[Feature, frozenset[str]] = {
    Feature.GIT: frozenset(
        "git gitFull gh glab git-lfs lazygit delta tig git-crypt gitui git-absorb pre-commit "
        "difftastic jujutsu".split()
    ),
    Feature.EDITORS: frozenset(
        "neovim vim emacs helix vscode vscodium kakoune nano micro zed-editor sublime4 kate "
        "neovide emacs-gtk emacs29 emacs30 jetbrains".split()
    ),
    Feature.DESKTOP: frozenset(
        "firefox chromium google-chrome brave librewolf thunderbird slack discord vesktop "
        "signal-desktop telegram-desktop element-desktop spotify vlc mpv gimp inkscape "
        "libreoffice libreoffice-fresh obsidian zoom-us keepassxc bitwarden-desktop evince "
        "zathura okular kitty alacritty wezterm foot ghostty rofi wofi dmenu pavucontrol "
        "blender krita obs-studio audacity steam lutris prismlauncher nautilus dolphin "
        "thunar pcmanfm feh imv qbittorrent transmission_4-gtk anki zotero calibre "
        "teams-for-linux whatsapp-for-linux".split()
    ),
    Feature.DEV: frozenset(
        "gcc clang gnumake cmake meson ninja pkg-config python3 python311 python312 python313 "
        "nodejs nodejs_20 nodejs_22 yarn pnpm bun deno go gopls rustc cargo rustup "
        "rust-analyzer jdk jdk17 jdk21 maven gradle kotlin ruby php lua luajit ghc cabal-install "
        "stack zig elixir erlang dotnet-sdk gdb lldb valgrind nil nixd nixfmt-rfc-style nixfmt "
        "alejandra shellcheck docker-compose kubectl terraform ansible awscli2 "
        "google-cloud-sdk postgresql sqlite".split()
    ),
    Feature.CLI: frozenset(
        "ripgrep fd bat eza lsd jq yq yq-go htop btop bottom tmux zellij fzf zoxide tree curl "
        "wget unzip zip p7zip file which less man-pages tldr ncdu duf dust procs hyperfine "
        "direnv nix-direnv starship atuin neofetch fastfetch bc rsync openssh gnupg pass "
        "age sops just entr watchexec moreutils coreutils findutils gawk gnused gnugrep "
        "killall lsof strace nmap dig iperf3 mtr wireguard-tools yt-dlp ffmpeg imagemagick "
        "pandoc xclip wl-clipboard home-manager nix-output-monitor nh nvd comma "
        "trash-cli ranger yazi lf nnn broot mosh".split()
    ),
}


def package_feature(name: str, overrides: Mapping[str, Feature] | None = None) -> Feature:
    """The feature file for a package attribute name (`pkgs.ripgrep` -> cli).

    `overrides`: a repository's own table (homeward.toml's `[features]`), consulted first.
    """
    head = name.removeprefix("pkgs.").split(".")[0]
    if overrides and head in overrides:
        return overrides[head]
    for feature, names in PACKAGE_FEATURES.items():
        if head in names:
            return feature
    return Feature.PACKAGES
