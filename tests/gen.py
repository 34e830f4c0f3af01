"""Hypothesis strategies for whole flake configurations in the shapes of REAL-CONFIGS.md.

A generated repo is a dict path -> text: a flake with 1-3 hosts (written out, or built by a
`mkHost` helper), 1-3 users with accounts in a shared module, packages written in the forms
people use (`with pkgs; [ ... ]`, `[ pkgs.x ]`, let-bound lists joined with `++`), per-host
packages in host files, user files under home/ imported by some hosts, and comments in lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import strategies as st

HOSTS = ("desk", "laptop", "server")
USERS = ("ham", "eve", "kim")
PACKAGES = (
    "git",
    "ripgrep",
    "fd",
    "htop",
    "jq",
    "firefox",
    "neovim",
    "tmux",
    "vlc",
    "gcc",
    "curl",
    "bat",
)


@dataclass
class Config:
    files: dict[str, str] = field(default_factory=dict)
    hosts: tuple[str, ...] = ()
    users: tuple[str, ...] = ()


def _package_list(draw: st.DrawFn, names: list[str], indent: str) -> str:
    """A package list in one of the forms people write, with an occasional comment."""
    form = draw(st.sampled_from(["with", "pkgs", "one-line"]))
    if form == "one-line" and len(names) == 1:
        return f"[ pkgs.{names[0]} ]"
    lines = []
    for name in names:
        if draw(st.integers(0, 4)) == 0:
            lines.append(
                f"{indent}  # {draw(st.sampled_from(['tools', 'for work', 'old: pkgs.foo']))}"
            )
        element = name if form == "with" else f"pkgs.{name}"
        trailing = " # pinned" if draw(st.integers(0, 5)) == 0 else ""
        lines.append(f"{indent}  {element}{trailing}")
    head = "with pkgs; [" if form == "with" else "["
    return head + "\n" + "\n".join(lines) + f"\n{indent}]"


@st.composite
def configs(draw: st.DrawFn) -> Config:
    hosts = tuple(draw(st.lists(st.sampled_from(HOSTS), min_size=1, max_size=3, unique=True)))
    users = tuple(draw(st.lists(st.sampled_from(USERS), min_size=1, max_size=3, unique=True)))
    pick = st.lists(st.sampled_from(PACKAGES), min_size=1, max_size=4, unique=True)
    files: dict[str, str] = {}
    helper = draw(st.booleans()) and len(hosts) > 1

    # modules/system/users.nix: every account, some with packages.
    accounts = []
    let_lists = []
    for user in users:
        body = ["    isNormalUser = true;"]
        if draw(st.booleans()):
            names = draw(pick)
            if draw(st.integers(0, 3)) == 0:
                let_lists.append(f"  {user}Tools = with pkgs; [ {' '.join(names[:1])} ];")
                rest = names[1:] or ["jq"]
                body.append(f"    packages = {user}Tools ++ [ pkgs.{rest[0]} ];")
            else:
                body.append(f"    packages = {_package_list(draw, names, '    ')};")
        accounts.append(f"  users.users.{user} = {{\n" + "\n".join(body) + "\n  };")
    let = f"let\n{chr(10).join(let_lists)}\nin\n" if let_lists else ""
    files["modules/system/users.nix"] = (
        "{ pkgs, ... }:\n" + let + "{\n" + "\n\n".join(accounts) + "\n}\n"
    )

    # home/<user>.nix: user files, imported by a subset of the hosts.
    imported: dict[str, list[str]] = {h: [] for h in hosts}
    for user in users:
        if not draw(st.booleans()):
            continue
        body = []
        if draw(st.booleans()):
            body.append(f"  users.users.{user}.packages = {_package_list(draw, draw(pick), '  ')};")
        if draw(st.booleans()):
            body.append(
                f'  programs.git.enable = true;\n  programs.git.config.user.name = "{user.title()}";'
            )
        if draw(st.booleans()):
            body.append('  environment.sessionVariables.PAGER = "less";')
        if not body:
            body.append(f"  users.users.{user}.packages = [ pkgs.curl ];")
        files[f"home/{user}.nix"] = (
            "# " + user + "'s things\n{ pkgs, ... }:\n{\n" + "\n\n".join(body) + "\n}\n"
        )
        for host in draw(st.lists(st.sampled_from(hosts), min_size=1, unique=True)):
            imported[host].append(f"../../home/{user}.nix")

    for host in hosts:
        lines = [f'  networking.hostName = "{host}";']
        if draw(st.integers(0, 2)) == 0:
            user = draw(st.sampled_from(users))
            lines.append(
                f"  # only on {host}\n  users.users.{user}.packages = [ pkgs.{draw(st.sampled_from(PACKAGES))} ];"
            )
        lines.append('  system.stateVersion = "25.05";')
        imports = ["../../modules/system/users.nix", *imported[host]]
        files[f"hosts/{host}/default.nix"] = (
            "{ pkgs, ... }:\n{\n  imports = [\n"
            + "".join(f"    {i}\n" for i in imports)
            + "  ];\n\n"
            + "\n".join(lines)
            + "\n}\n"
        )

    if helper:
        listed = "".join(f'        "{h}"\n' for h in hosts)
        outputs = (
            "    let\n      mkHost =\n        name:\n        nixpkgs.lib.nixosSystem {\n"
            '          system = "x86_64-linux";\n          modules = [ ./hosts/${name} ];\n        };\n'
            "    in\n    {\n      nixosConfigurations = nixpkgs.lib.genAttrs [\n"
            f"{listed}      ] mkHost;\n    }}"
        )
    else:
        entries = "".join(
            f"      nixosConfigurations.{h} = nixpkgs.lib.nixosSystem {{\n"
            '        system = "x86_64-linux";\n'
            f"        modules = [ ./hosts/{h} ];\n      }};\n"
            for h in hosts
        )
        outputs = "    {\n" + entries + "    }"
    files["flake.nix"] = (
        '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n\n'
        "  outputs =\n    { self, nixpkgs, ... }:\n" + outputs + ";\n}\n"
    )
    return Config(files, hosts, users)
