"""Benchmark `homeward migrate --dry-run` on a generated configuration (a script, not a test).

    python bench/bench_migrate.py [--hosts 50] [--users 10] [--runs 3]

The configuration: `nixosConfigurations` written out for every host; a shared
`modules/system/users.nix` with every account and a package list each; per host a file with
per-host packages for two users; `home/<user>.nix` user files (git, a session variable, more
packages), each imported by half of the hosts. Prints the median wall time of separate
processes and their peak memory (max RSS), and the size of the plan.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGES = [
    "git",
    "ripgrep",
    "fd",
    "htop",
    "jq",
    "firefox",
    "neovim",
    "tmux",
    "vlc",
    "curl",
    "bat",
    "gcc",
]


def generate(root: Path, hosts: int, users: int, modules: int = 0) -> None:
    """Write the configuration; `modules`: that many more small system modules per host."""
    host_names = [f"host{i:02d}" for i in range(hosts)]
    user_names = [f"user{i:02d}" for i in range(users)]
    (root / "modules/system").mkdir(parents=True)
    (root / "home").mkdir()
    accounts = []
    for n, user in enumerate(user_names):
        pkgs = "\n".join(f"      {PACKAGES[(n + k) % len(PACKAGES)]}" for k in range(4))
        accounts.append(
            f"  users.users.{user} = {{\n    isNormalUser = true;\n    # {user}'s tools\n"
            f"    packages = with pkgs; [\n{pkgs}\n    ];\n  }};"
        )
    (root / "modules/system/users.nix").write_text(
        "{ pkgs, ... }:\n{\n" + "\n".join(accounts) + "\n}\n"
    )
    for n, user in enumerate(user_names):
        (root / "home" / f"{user}.nix").write_text(
            "{ pkgs, ... }:\n{\n"
            f'  programs.git.enable = true;\n  programs.git.config.user.name = "{user}";\n'
            '  environment.sessionVariables.EDITOR = "nvim";\n'
            f"  users.users.{user}.packages = [ pkgs.{PACKAGES[n % len(PACKAGES)]} ];\n}}\n"
        )
    entries = []
    for h, host in enumerate(host_names):
        d = root / "hosts" / host
        d.mkdir(parents=True)
        imports = ["../../modules/system/users.nix"] + [
            f"../../home/{u}.nix" for i, u in enumerate(user_names) if (i + h) % 2 == 0
        ]
        for k in range(modules):
            imports.append(f"./m{k:02d}.nix")
            (d / f"m{k:02d}.nix").write_text(
                "{ pkgs, lib, ... }:\n{\n"
                f"  # {host}: part {k}\n"
                f"  services.s{k}.enable = lib.mkDefault true;\n"
                f"  environment.systemPackages = [ pkgs.{PACKAGES[(h + k) % len(PACKAGES)]} ];\n"
                f'  environment.etc."s{k}.conf".text = "port = {8000 + k}";\n}}\n'
            )
        extra = "\n".join(
            f"  users.users.{u}.packages = [ pkgs.{PACKAGES[(h + i) % len(PACKAGES)]} ];"
            for i, u in enumerate(user_names[:2])
        )
        (d / "default.nix").write_text(
            "{ pkgs, ... }:\n{\n  imports = [\n"
            + "".join(f"    {i}\n" for i in imports)
            + f'  ];\n  networking.hostName = "{host}";\n{extra}\n  system.stateVersion = "25.05";\n}}\n'
        )
        entries.append(
            f"      nixosConfigurations.{host} = nixpkgs.lib.nixosSystem {{\n"
            f'        system = "x86_64-linux";\n        modules = [ ./hosts/{host} ];\n      }};'
        )
    (root / "flake.nix").write_text(
        '{\n  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";\n  outputs =\n'
        "    { self, nixpkgs, ... }:\n    {\n" + "\n".join(entries) + "\n    };\n}\n"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    # Run homeward's main in a fresh interpreter that reports its own peak memory at exit
    # (nix-instantiate, which it starts, is measured apart).
    probe = (
        "import resource, sys\n"
        "from homeward.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        generate(root, args.hosts, args.users)
        files = sum(1 for _ in root.rglob("*.nix"))
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            p = subprocess.run(
                [sys.executable, "-c", probe, "migrate", str(root), "--dry-run", "--json"],
                capture_output=True,
                text=True,
                check=False,
            )
            times.append(time.perf_counter() - start)
            if p.returncode != 0:
                print(p.stderr, file=sys.stderr)
                return 1
        plan = json.loads(p.stdout)
        peak = int(p.stderr.strip().splitlines()[-1]) / 1024
        nix_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"configuration: {args.hosts} hosts x {args.users} users, {files} .nix files")
    print(f"plan: {len(plan['moved'])} moved definitions, {len(plan['files'])} files changed")
    print(
        f"migrate --dry-run: median {statistics.median(times):.2f} s, min {min(times):.2f} s over {args.runs} runs"
    )
    print(
        f"peak memory of homeward (max RSS): {peak:.0f} MiB; of any process it ran: {nix_peak:.0f} MiB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
