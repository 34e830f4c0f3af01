"""docs/mapping.md, rendered from the tables in `knowledge/mapping.py` (a test keeps them in sync)."""

from __future__ import annotations

from homeward.knowledge.mapping import (
    KEEP,
    PACKAGE_FEATURES,
    ROWS,
    SYSTEM_PREFIXES,
    SYSTEM_REASONS,
    Feature,
    home_path,
)

# How much of the corpus the table covers (issue 13), measured 2026-11-30 with the corpus
# tool `optfreq.py` (homeward's reader and model; `lint.facts.is_user_level` over every NixOS
# definition in user-level files): label -> (definitions, of which the table moves).
CORPUS_SNAPSHOTS = 72
COVERAGE = {
    "all user-level files (630 files in 65 configurations)": (11082, 175),
    "strict: host entry files left out (526 files in 61 configurations)": (7412, 68),
}


def render() -> str:
    lines = [
        "# What `homeward migrate` moves, and where",
        "",
        "Generated from `src/homeward/knowledge/mapping.py` by",
        "`python -m homeward.knowledge.mapping_doc > docs/mapping.md`; `tests/test_mapping.py` fails",
        "when this page and the tables disagree.",
        "",
        "## Where definitions go",
        "",
        "- `users.users.<user>.packages`, wherever it is defined and however it is written, becomes",
        "  `home.packages` of that user. Plain lists are split by the feature table below;",
        "  anything else (a let-bound list, `++`, `builtins.attrValues`, `lib.mkIf`) moves whole.",
        "- In a user's own files (`home/<user>.nix`, `home/<user>/...` imported by a host), each",
        "  option group follows the mapping table. A group moves only if every option it sets has",
        "  an exact counterpart, so that a program is never half moved.",
        "- Files NixOS puts into a user's home from their file become home-manager's, in",
        "  `home/<user>/features/dotfiles.nix`, when every rule or line does only that with a",
        "  repository file (`${./file}`): a `systemd.tmpfiles.rules` link",
        "  (`L`/`L+ <home>/<path> - - - - ${./file}`) and an activation script's `ln -s` become",
        '  `xdg.configFile."<path below .config>".source` or `home.file."<path>".source` (the same',
        "  link into the store copy); a `C` rule and an activation script's `cp` (a mutable copy,",
        "  which home.file is not) become home-manager's `systemd.user.tmpfiles.rules` (`C`, and",
        "  `C+` for `cp`: copied again each time, as the script did). A list or script with",
        "  anything else (`d`, `f`, `mkdir`, `deps`, a link elsewhere), `environment.etc`",
        "  (system-wide, even with one reader) stays a NixOS option, and the report says why.",
        "  `homeward migrate --adopt-dotfiles DIR --user U` adopts a stow-style tree Nix does not",
        "  manage yet (see README).",
        "- System-level options found there move to `modules/system/<file>.nix`, which the hosts",
        "  import instead; user-level options without an exact counterpart go there too, and the",
        "  report says why.",
        "- A definition that reaches every host of its user goes to",
        "  `home/<user>/features/<feature>.nix`; one that reaches a single host goes to",
        "  `home/<user>/<host>.nix`; one that reaches some hosts goes to a shared feature file",
        "  that those hosts' files import. `--features none` keeps everything in `default.nix`.",
        "- `config.X` read by moved code becomes `osConfig.X` (the NixOS configuration, as",
        "  home-manager's NixOS module passes it); for the standalone `homeConfigurations` entry",
        "  homeward passes `osConfig = self.nixosConfigurations.<host>.config` through",
        "  `extraSpecialArgs`, so the condition means the same in both wirings.",
        "",
        "## NixOS options with a home-manager counterpart",
        "",
        "| NixOS | home-manager | options that move | feature | note |",
        "|---|---|---|---|---|",
    ]
    for row in ROWS:
        names = sorted(row.supported)
        moved = ", ".join(
            f"`{n}` → `{'.'.join(home_path(row, (*row.nixos, *n.split('.')))[len(row.home) :])}`"
            if n.split(".")[0] in row.renames
            else f"`{n}`"
            for n in names
        )
        notes = [row.note] if row.note else []
        if row.split:
            stay = ", ".join(f"`{n}`" for n in sorted(row.split))
            both = ", ".join(f"`{n}`" for n in sorted(row.copied))
            notes.append(f"split: {both} written on both sides; {stay} stay NixOS options")
        for name, (major, minor) in row.since:
            notes.append(f"`{name}` only from home-manager {major}.{minor:02d}")
        if row.scalar_below:
            notes.append(
                ", ".join(f"`{n}`" for n in sorted(row.scalar_below))
                + ": strings and numbers only, written one by one"
            )
        if row.legacy is not None:
            release = "{}.{:02d}".format(*row.legacy[0])
            renames = ", ".join(f"`{a}` → `{b}`" for a, b in row.legacy[1].items())
            notes.append(f"before home-manager {release}: {renames}")
        if row.needs_shell:
            notes.append("homeward enables the user's shell in home-manager")
        if row.scalar_values:
            notes.append("strings and numbers only")
        lines.append(
            f"| `{'.'.join(row.nixos)}` | `{'.'.join(row.home)}` | {moved} | {row.feature} "
            f"| {'; '.join(notes)} |"
        )
    lines += [
        "",
        "## User-level NixOS options that stay NixOS options",
        "",
        "| NixOS | why |",
        "|---|---|",
    ]
    lines += [f"| `{'.'.join(prefix)}` | {why} |" for prefix, why in KEEP.items()]
    lines += [
        "",
        "Any other option in a user file that is neither in these tables nor system-level stays",
        "a NixOS option too: homeward knows no exact counterpart for it.",
        "",
        "## System-level prefixes",
        "",
        "These never move into home-manager and are never dropped:",
        "",
        ", ".join(f"`{'.'.join(p)}`" for p in SYSTEM_PREFIXES),
        "",
        "Programs among them that look user-level, and why they stay:",
        "",
        "| NixOS | why it stays |",
        "|---|---|",
    ]
    lines += [f"| `{'.'.join(prefix)}` | {why} |" for prefix, why in SYSTEM_REASONS.items()]
    lines += [
        "",
        "## How much of real configurations this covers",
        "",
        f"Measured on the corpus of {CORPUS_SNAPSHOTS} real configurations: every NixOS definition",
        "in a user-level file (a NixOS module under `home/`, `users/` or `user/`, or one defining",
        "`users.users.<u>`), counted by whether this table moves it (`users.users.<u>.packages`",
        "included). Most of the rest is system-level by nature: account settings",
        "(`users.users.<u>.extraGroups`, `shell`, `openssh`), `environment.systemPackages`,",
        "services, `systemd.services`, groups; the largest user-facing remainder is the shells",
        "(`programs.zsh`, `programs.fish`), which stay with the login shell (above).",
        "",
        "| files | definitions | moved by this table |",
        "|---|---|---|",
    ]
    for label, (total, covered) in COVERAGE.items():
        share = f"{100 * covered / total:.1f}%" if total else "-"
        lines.append(f"| {label} | {total} | {covered} ({share}) |")
    lines += [
        "",
        "## Packages by feature file",
        "",
        "| feature file | packages |",
        "|---|---|",
    ]
    for feature, packages in PACKAGE_FEATURES.items():
        lines.append(f"| `features/{feature}.nix` | {', '.join(sorted(packages))} |")
    lines.append(f"| `features/{Feature.PACKAGES}.nix` | every other package |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
