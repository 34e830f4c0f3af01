"""The mapping table against the option names read from home-manager's and nixpkgs' sources.

`homeward/knowledge/data/hm_options.json` and `homeward/knowledge/data/nixos_options.json` list
option paths (and the file declaring each) as read from `nix-community/home-manager` and `NixOS/nixpkgs`; their
`source` blocks name the commit of every file read. These tests need no nix.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from homeward.knowledge.mapping import (
    KEEP,
    ROWS,
    SYSTEM_PREFIXES,
    SYSTEM_REASONS,
    Fate,
    Row,
    classify,
    home_path,
)

DATA_FILES = ("hm_options.json", "nixos_options.json")


@cache
def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        resources.files("homeward.knowledge.data").joinpath(name).read_text()
    )
    return data


def hm() -> dict[str, Any]:
    return load("hm_options.json")


def nixos() -> dict[str, Any]:
    return load("nixos_options.json")


def declared(options: dict[str, str], path: str) -> bool:
    """Whether `path` is an option, or a prefix of options (an option group)."""
    return path in options or any(o.startswith(path + ".") for o in options)


def below(options: dict[str, str], path: str) -> list[str]:
    """The options inside the group `path`, as suffixes (`lfs` -> `enable`, `package`)."""
    return sorted(o[len(path) + 1 :] for o in options if o.startswith(path + "."))


def dotted(parts: tuple[str, ...]) -> str:
    return ".".join(parts)


def row_id(row: Row) -> str:
    return dotted(row.nixos)


# One case per supported sub-name of every row: (row, NixOS path, home-manager path).
NAMED = [
    (row, dotted((*row.nixos, name)), dotted(home_path(row, (*row.nixos, *name.split(".")))))
    for row in ROWS
    if "*" not in row.supported
    for name in sorted(row.supported)
]
NAMED_IDS = [nixos_path for _, nixos_path, _ in NAMED]
WILDCARD = [row for row in ROWS if "*" in row.supported]


# --- the data files themselves -------------------------------------------------------------


@pytest.mark.parametrize("name", DATA_FILES)
def test_data_file_is_canonical_json(name: str) -> None:
    """Why: the files are diffed by reviewers; sorted keys and 2-space indent keep diffs small."""
    text = resources.files("homeward.knowledge.data").joinpath(name).read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def file_of(entry: str | dict[str, str]) -> str:
    """The declaring file of an option (`hm_options.json` also records its type)."""
    return entry if isinstance(entry, str) else entry["file"]


def test_nixos_options_name_a_file_that_was_read() -> None:
    """Why: each option path must be traceable to the file (and commit) it was read from."""
    source = nixos()["source"]
    assert source["repository"] == "NixOS/nixpkgs"
    assert len(source["commit"]) == 40
    for path, file in nixos()["options"].items():
        assert file in source["files"], f"{path}: {file} is not listed in source.files"
        assert len(source["files"][file]) == 40


def test_home_options_are_the_evaluated_tree() -> None:
    """Why: HW004 checks full paths against this tree, so it must be the whole of home-manager
    at one recorded commit (scripts/hm_options.py), every option with its file and type."""
    data = hm()
    source = data["source"]
    assert source["repository"] == "nix-community/home-manager"
    assert len(source["commit"]) == 40
    assert len(source["lib"]["commit"]) == 40
    assert source["generated_by"] == "scripts/hm_options.py"
    options = data["options"]
    assert len(options) > 5000
    for path, entry in options.items():
        assert entry["file"].endswith(".nix") and entry["type"], path
        # Relative to home-manager (or `nixpkgs/` for what the stub stands for), never a path
        # of the machine that ran the script.
        assert not entry["file"].startswith("/"), path
    # Deep options, options below submodules, removed and renamed ones are all there.
    assert options["programs.git.settings"]["type"] == "either"
    assert options["home.file"]["subtree"] == "walked"
    assert options["home.file.<name>.source"]["type"] == "path"
    assert options["programs.zsh.oh-my-zsh.plugins"]["type"] == "listOf"
    assert options["programs.thefuck"]["removed"]
    assert options["programs.git.userName"]["alias"] == "programs.git.settings.user.name"
    assert not any(p.startswith("programs.nano.") for p in options)


# --- every row against both sides ----------------------------------------------------------


@pytest.mark.parametrize(("row", "nixos_path", "hm_path"), NAMED, ids=NAMED_IDS)
def test_supported_name_exists_in_home_manager(row: Row, nixos_path: str, hm_path: str) -> None:
    """Why: moving a definition to a home-manager path that does not exist fails evaluation."""
    assert declared(hm()["options"], hm_path), f"{nixos_path} -> {hm_path}: no such HM option"


@pytest.mark.parametrize(("row", "nixos_path", "hm_path"), NAMED, ids=NAMED_IDS)
def test_supported_name_exists_in_nixos(row: Row, nixos_path: str, hm_path: str) -> None:
    """Why: a supported name NixOS does not have can never be found in a user file."""
    assert declared(nixos()["options"], nixos_path), f"{nixos_path}: no such NixOS option"


@pytest.mark.parametrize(("row", "nixos_path", "hm_path"), NAMED, ids=NAMED_IDS)
def test_supported_name_has_the_same_shape(row: Row, nixos_path: str, hm_path: str) -> None:
    """Why: a group moves whole, so each NixOS option in it needs an HM option of that name.

    A NixOS leaf must map to an HM leaf and a NixOS group's options must all exist below the HM
    path (`programs.firefox.nativeMessagingHosts.packages` has no HM counterpart at
    `...nativeMessagingHosts.packages`; `programs.git.lfs.enablePureSSHTransfer` has none).
    """
    nixos_opts, hm_opts = nixos()["options"], hm()["options"]
    if nixos_path in nixos_opts:
        assert hm_path in hm_opts, f"{nixos_path} is an option, {hm_path} only a group"
    missing = [s for s in below(nixos_opts, nixos_path) if not declared(hm_opts, f"{hm_path}.{s}")]
    assert not missing, f"{nixos_path}.{{{','.join(missing)}}} have no HM counterpart"


@pytest.mark.parametrize(("row", "nixos_path", "hm_path"), NAMED, ids=NAMED_IDS)
def test_supported_name_is_settable_in_home_manager(
    row: Row, nixos_path: str, hm_path: str
) -> None:
    """Why: HM's `programs.vim.package` is read-only (the result); defining it fails."""
    assert hm_path not in hm()["read_only"], f"{nixos_path} -> {hm_path} is read-only in HM"


@pytest.mark.parametrize("row", WILDCARD, ids=row_id)
def test_wildcard_row_prefixes_exist(row: Row) -> None:
    """Why: per-leaf rows (variables, aliases) move attribute names, so only prefixes matter."""
    assert declared(hm()["options"], dotted(row.home))
    assert declared(nixos()["options"], dotted(row.nixos))


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_row_source_is_the_declaring_file(row: Row) -> None:
    """Why: `source` is shown to users as where to read about the counterpart."""
    hm_opts = hm()["options"]
    paths = (
        [dotted(row.home)]
        if "*" in row.supported
        else [dotted(home_path(row, (*row.nixos, *n.split(".")))) for n in row.supported]
    )
    files = {
        file_of(f) for p in paths for o, f in hm_opts.items() if o == p or o.startswith(p + ".")
    }
    if row.source.endswith("/"):  # a module split into files (zsh/default.nix, history.nix...)
        assert files and all(f.startswith(row.source) for f in files), sorted(files)
    else:
        assert files == {row.source}, f"{row_id(row)}: declared in {sorted(files)}"


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_row_needs_shell_when_home_manager_acts_through_the_shell(row: Row) -> None:
    """Why: HM hooks (direnv, starship, zoxide, TMUX_TMPDIR) land in HM-managed shell files only."""
    names = ["*"] if "*" in row.supported else sorted(row.supported)
    paths = [dotted(row.home)] + [
        dotted((*row.home, row.renames.get(n, n))) for n in names if n != "*"
    ]
    dependent = [
        p for p in paths for s in hm()["shell_dependent"] if p == s or p.startswith(s + ".")
    ]
    if dependent:
        assert row.needs_shell, f"{row_id(row)}: {sorted(set(dependent))} act through the shell"


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_row_home_prefix_is_a_home_manager_namespace(row: Row) -> None:
    """Why: a prefix outside HM's namespaces (`environment`, `users`) cannot be set in HM."""
    assert row.home[0] in hm()["namespaces"]
    assert dotted(row.home[:1]) not in hm()["nixos_only"]
    assert dotted(row.home[:2]) not in hm()["nixos_only"]


def test_namespaces_and_nixos_only_are_disjoint() -> None:
    """Why: a name cannot be both an HM namespace and absent from HM."""
    assert not set(hm()["namespaces"]) & set(hm()["nixos_only"])
    for name in ("home", "programs", "services", "xdg", "systemd"):
        assert name in hm()["namespaces"]
    for name in ("environment", "users", "boot", "networking", "hardware", "fileSystems"):
        assert name in hm()["nixos_only"]


# --- the home-manager entry points homeward emits ------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "programs.home-manager.enable",
        "home.stateVersion",
        "home.username",
        "home.homeDirectory",
        "home.packages",
        "programs.bash.enable",
        "programs.zsh.enable",
        "programs.fish.enable",
        "home-manager.useGlobalPkgs",
        "home-manager.useUserPackages",
        "home-manager.backupFileExtension",
        "home-manager.overwriteBackup",
        "home-manager.backupCommand",
        "home-manager.extraSpecialArgs",
        "home-manager.users",
        "home-manager.sharedModules",
        "lib.homeManagerConfiguration.pkgs",
        "lib.homeManagerConfiguration.modules",
        "lib.homeManagerConfiguration.extraSpecialArgs",
    ],
)
def test_emitted_option_exists(path: str) -> None:
    """Why: `init`/`migrate` write these names; a typo would only show up in `nix eval`."""
    assert path in hm()["options"]


# --- classify ------------------------------------------------------------------------------


def test_user_packages_become_home_packages() -> None:
    """Why: `users.users.<u>.packages` is the one list that moves into `home.packages`."""
    verdict = classify(("users", "users", "ham", "packages"), user="ham")
    assert verdict.fate is Fate.PACKAGES
    assert verdict.group == ("users", "users", "ham", "packages")


def test_git_config_is_renamed_to_settings() -> None:
    """Why: NixOS `programs.git.config` is HM `programs.git.settings` (HM-FACTS pitfall 6)."""
    path = ("programs", "git", "config", "user", "name")
    verdict = classify(path)
    assert verdict.fate is Fate.HOME
    assert verdict.row is not None
    assert dotted(home_path(verdict.row, path)) == "programs.git.settings.user.name"
    assert "programs.git.settings" in hm()["options"]


def test_openssh_server_stays_system_level() -> None:
    """Why: `services.openssh` is the server; HM declares no such option."""
    assert classify(("services", "openssh", "enable")).fate is Fate.SYSTEM
    assert "services.openssh" in hm()["nixos_only"]
    assert not declared(hm()["options"], "services.openssh")


def test_fzf_keybindings_are_kept() -> None:
    """Why: NixOS fzf has `keybindings`/`fuzzyCompletion`, HM fzf has `enable` + integrations."""
    verdict = classify(("programs", "fzf", "keybindings"))
    assert verdict.fate is Fate.KEEP
    assert verdict.group == ("programs", "fzf")
    assert "programs.fzf.keybindings" in nixos()["options"]


def test_keep_and_system_tables_are_tuples_of_names() -> None:
    """Why: the tables are matched by tuple prefix; a dotted string would never match."""
    for prefix in [*KEEP, *SYSTEM_PREFIXES]:
        assert all(part and "." not in part for part in prefix), prefix


def test_mapping_doc_is_in_sync() -> None:
    """Why: the documented tables are the ones migrate uses."""
    from homeward.knowledge.mapping_doc import render

    doc = Path(__file__).resolve().parent.parent / "docs" / "mapping.md"
    assert doc.read_text() == render(), (
        "run `python -m homeward.knowledge.mapping_doc > docs/mapping.md`"
    )


def test_programs_needing_the_system_stay_with_a_reason() -> None:
    """Why: issue 13 lists programs that need system integration; each stays a NixOS option
    and docs/mapping.md says why."""
    for name in [
        "steam",
        "gamemode",
        "hyprland",
        "sway",
        "dconf",
        "adb",
        "wireshark",
        "kdeconnect",
        "nix-ld",
    ]:
        assert ("programs", name) in SYSTEM_REASONS, name
        assert classify(("programs", name, "enable")).fate is Fate.SYSTEM
    assert classify(("virtualisation", "docker", "enable")).fate is Fate.SYSTEM
    for prefix in SYSTEM_REASONS:
        assert prefix in SYSTEM_PREFIXES


def test_home_manager_has_no_nano_and_no_thefuck() -> None:
    """Why: HM-FACTS: no `programs.nano` in home-manager, `programs.thefuck` was removed; no
    row may target them."""
    options = hm()["options"]
    assert not declared(options, "programs.nano")
    assert options["programs.thefuck"]["removed"]
    for row in ROWS:
        assert row.home[:2] not in {("programs", "nano"), ("programs", "thefuck")}


def test_zsh_login_shell_stays_and_its_interactive_settings_move() -> None:
    """Why: issue 13: `users.users.<u>.shell = pkgs.zsh` asserts NixOS `programs.zsh.enable`,
    so the group is split: `enable` (and what NixOS does at login or for every user) stays, the
    user's interactive settings have home-manager counterparts."""
    assert classify(("programs", "zsh", "enable")).fate is Fate.SYSTEM
    assert classify(("programs", "zsh", "promptInit")).fate is Fate.SYSTEM
    verdict = classify(("programs", "zsh", "histSize"))
    assert verdict.fate is Fate.HOME and verdict.row is not None
    row = verdict.row
    assert dotted(home_path(row, ("programs", "zsh", "histSize"))) == "programs.zsh.history.size"
    init = ("programs", "zsh", "interactiveShellInit")
    assert dotted(home_path(row, init)) == "programs.zsh.initContent"
    assert dotted(home_path(row, init, (24, 11))) == "programs.zsh.initExtra"
    assert row.missing_in(("programs", "zsh", "autosuggestions", "enable"), (23, 11))
    assert not row.missing_in(("programs", "zsh", "autosuggestions", "enable"), (24, 5))
    assert row.missing_in(("programs", "zsh", "autosuggestions", "strategy"), (24, 5))


@pytest.mark.parametrize("row", [r for r in ROWS if r.split], ids=row_id)
def test_split_names_are_nixos_options(row: Row) -> None:
    """Why: the names a split group keeps NixOS-side must be NixOS options of that group."""
    for name in sorted(row.split | row.copied):
        assert declared(nixos()["options"], dotted((*row.nixos, name))), name
