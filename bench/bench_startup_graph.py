"""Benchmark: `homeward --help` start-up, and `homeward graph` on a 1,000-module flake.

    python bench/bench_startup_graph.py [--runs N] [--modules N] [--profile]

Prints the machine, then the figures; exits 1 when `--help` imports a third-party module (the
start-up contract of STYLE.md section 6). Record the results in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import io
import os
import platform
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

HOMEWARD = [sys.executable, "-m", "homeward"]


def machine() -> str:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def timed(argv: Sequence[str], runs: int, cwd: Path | None = None) -> list[float]:
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        p = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if p.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed:\n{p.stderr.decode()}")
    return times


def _imported(argv: Sequence[str]) -> set[str]:
    """Top-level names that `python -X importtime ARGV` reports importing."""
    p = subprocess.run(
        [sys.executable, "-X", "importtime", *argv], capture_output=True, text=True, check=False
    )
    names: set[str] = set()
    for line in p.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name.split(".", 1)[0])
    return names


def third_party_imports() -> list[str]:
    """Top-level modules `--help` imports that are neither stdlib nor homeward.

    What the interpreter imports by itself (`site`, `.pth` hooks) is not counted, nor probes
    that find nothing (`copy` tries `org.python.core`, which exists only on Jython).
    """
    extra = _imported(["-m", "homeward", "--help"]) - _imported(["-c", "pass"])
    found: list[str] = []
    for name in sorted(extra):
        if name in sys.stdlib_module_names or name in ("homeward", "__main__"):
            continue
        if importlib.util.find_spec(name) is None:
            continue
        found.append(name)
    return found


def make_flake(root: Path, modules: int, hosts: int = 10) -> int:
    """A flake of `hosts` hosts importing a tree of nested module files; returns the count.

    Each host: default.nix -> 9 area files -> leaves; plus shared modules every host imports.
    """
    per_host = max(1, (modules - 10) // hosts)
    areas = 9
    leaves = max(0, -(-(per_host - 1 - areas) // areas))  # rounded up: at least `modules`
    count = 0

    def write(rel: str, text: str) -> None:
        nonlocal count
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        count += 1

    names = [f"h{i:02d}" for i in range(hosts)]
    host_list = "\n".join(f'        "{n}"' for n in names)
    write(
        "flake.nix",
        f"""{{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
  inputs.home-manager.url = "github:nix-community/home-manager/release-25.05";

  outputs =
    {{ nixpkgs, home-manager, ... }}@inputs:
    let
      mkHost =
        name:
        nixpkgs.lib.nixosSystem {{
          specialArgs = {{ inherit inputs; }};
          modules = [
            ./hosts/${{name}}
            ./modules/shared
            home-manager.nixosModules.home-manager
          ];
        }};
    in
    {{
      nixosConfigurations = nixpkgs.lib.genAttrs [
{host_list}
      ] mkHost;
    }};
}}
""",
    )
    shared = [f"./m{i}.nix" for i in range(9)]
    write(
        "modules/shared/default.nix",
        "{\n  imports = [\n    " + "\n    ".join(shared) + "\n  ];\n}\n",
    )
    for i in range(9):
        write(f"modules/shared/m{i}.nix", f'{{\n  environment.etc."shared-{i}".text = "{i}";\n}}\n')
    for n in names:
        area_imports = "\n    ".join(f"./{a}" for a in (f"area{j}" for j in range(areas)))
        write(
            f"hosts/{n}/default.nix",
            f'{{\n  imports = [\n    {area_imports}\n  ];\n  networking.hostName = "{n}";\n}}\n',
        )
        for j in range(areas):
            leaf_imports = "\n    ".join(f"./leaf{k}.nix" for k in range(leaves))
            write(
                f"hosts/{n}/area{j}/default.nix",
                f"{{ lib, ... }}:\n{{\n  imports = [\n    {leaf_imports}\n  ];\n"
                f"  services.area{j}.enable = lib.mkDefault true;\n}}\n",
            )
            for k in range(leaves):
                write(
                    f"hosts/{n}/area{j}/leaf{k}.nix",
                    f"""# leaf {k} of area {j} on {n}
{{ config, lib, pkgs, ... }}:
let
  cfg = config.services.area{j};
in
{{
  config = lib.mkIf cfg.enable {{
    environment.systemPackages = with pkgs; [
      hello
      jq
    ];
    users.users.ham.packages = [ pkgs.ripgrep ];
    systemd.services."leaf-{j}-{k}".wantedBy = [ "multi-user.target" ];
  }};
}}
""",
                )
    return count - 1  # flake.nix is not a module


def profile_graph(root: Path) -> str:
    from homeward.model.graph import build_graph
    from homeward.model.repo import load_repo
    from homeward.render.graph import to_mermaid

    profiler = cProfile.Profile()
    profiler.enable()
    repo = load_repo(root)
    repo.fatal()
    to_mermaid(build_graph(repo))
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
    return out.getvalue()


def in_process_graph(root: Path, runs: int) -> list[float]:
    from homeward.model.graph import build_graph
    from homeward.model.repo import load_repo
    from homeward.render.graph import to_mermaid

    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        repo = load_repo(root)
        repo.fatal()
        to_mermaid(build_graph(repo))
        times.append(time.perf_counter() - start)
    return times


def ms(values: list[float]) -> str:
    return (
        f"{statistics.median(values) * 1000:.0f} ms (min {min(values) * 1000:.0f}, n={len(values)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="start-up runs (default 21)")
    parser.add_argument("--graph-runs", type=int, default=5, help="graph runs (default 5)")
    parser.add_argument("--modules", type=int, default=1000, help="module files (default 1000)")
    parser.add_argument("--profile", action="store_true", help="print a profile of graph")
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(f"python -c pass:           {ms(timed([sys.executable, '-c', 'pass'], args.runs))}")
    print(f"homeward --help:          {ms(timed([*HOMEWARD, '--help'], args.runs))}")
    extra = third_party_imports()
    print(f"third-party imports for --help: {', '.join(extra) if extra else 'none'}")

    with tempfile.TemporaryDirectory(prefix="homeward-bench-") as tmp:
        root = Path(tmp) / "flake"
        count = make_flake(root, args.modules)
        print(f"generated flake: {count} module files, 10 hosts")
        graph = [*HOMEWARD, "graph", str(root)]
        print(f"homeward graph (process): {ms(timed(graph, args.graph_runs))}")
        print(f"graph in-process:         {ms(in_process_graph(root, args.graph_runs))}")
        if args.profile:
            print(profile_graph(root))
    return 1 if extra else 0


if __name__ == "__main__":
    sys.exit(main())
