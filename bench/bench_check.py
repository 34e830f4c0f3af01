"""Benchmark `homeward check` against its floor: parsing the same files with tree-sitter.

    python bench/bench_check.py                  # a generated tree of 2,000 module files
    python bench/bench_check.py --files 5000     # another size
    python bench/bench_check.py DIR              # any flake directory
    python bench/bench_check.py --json           # figures as JSON

Two ways of timing, both reported:

- process: the wall time of `homeward check DIR` as a user runs it, against the wall time of a
  process that imports the grammar and parses exactly the files `check` read (Python start-up
  and imports are in both);
- in process: `check`'s work (load the Repo, run every rule, suppression) against a loop that
  reads and parses the same files, both after imports.

The target is a ratio of at most 2 and `homeward --help` under 150 ms. Each figure is the
median of `--runs` runs. The generated tree is written under bench/out/ (ignored by git).

The processes run with Python's bytecode cache, as an installed homeward does (a wheel's
install compiles it): `PYTHONDONTWRITEBYTECODE` is dropped for them and the cache goes to
bench/out/pycache, warmed by one untimed run of each command. Without it, a checkout whose
environment sets `PYTHONDONTWRITEBYTECODE` compiles homeward's sources in every `check` process
(20 to 40 ms) while the floor's grammar package is compiled already.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "out" / "check-tree"

FLOOR = """
import sys, time
from tree_sitter_language_pack import get_parser
parser = get_parser("nix")
for name in open(sys.argv[1]).read().splitlines():
    with open(name, "rb") as f:
        parser.parse(f.read())
"""

# -- the generated tree ---------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


PACKAGES = _words(  # what users install: never in SYSTEM_PACKAGES, so the tree lints clean
    "ripgrep fd bat eza jq yq htop btop tmux fzf zoxide tree curl wget unzip zip file ncdu "
    "duf dust procs hyperfine direnv starship atuin fastfetch rsync gnupg age sops just entr "
    "lsof strace nmap dig mtr yt-dlp ffmpeg imagemagick pandoc xclip wl-clipboard nh nvd "
    "gcc clang gnumake cmake python3 nodejs go rustc cargo gdb nil nixd nixfmt-rfc-style "
    "shellcheck kubectl terraform firefox thunderbird mpv vlc gimp inkscape libreoffice "
    "obsidian keepassxc kitty alacritty pavucontrol zathura"
)
HOME_PROGRAMS = _words(
    "bat fzf htop eza zoxide starship direnv tmux neovim git gh lazygit yazi btop atuin "
    "kitty alacritty zathura mpv firefox helix jq ripgrep fd less man"
)
SYSTEM_PACKAGES = _words(
    "vim git pciutils usbutils lm_sensors smartmontools ethtool iproute2 nftables "
    "cryptsetup btrfs-progs e2fsprogs dosfstools parted efibootmgr sbctl"
)
SERVICES = _words(
    "openssh tailscale printing avahi pipewire fwupd thermald upower udisks2 blueman "
    "syncthing power-profiles-daemon smartd fstrim locate earlyoom"
)


def _packages(rnd: random.Random, low: int, high: int, pool: list[str] = PACKAGES) -> str:
    names = rnd.sample(pool, rnd.randint(low, high))
    return "\n".join(f"    {n}" for n in names)


def _system_module(rnd: random.Random, i: int) -> str:
    service = rnd.choice(SERVICES)
    return f"""# System module {i}: {service} and friends.
{{ config, lib, pkgs, ... }}:
let
  cfg = config.services.{service};
  port = {1000 + i};
in
{{
  services.{service} = {{
    enable = lib.mkDefault true;
    openFirewall = false;
  }};

  networking.firewall.allowedTCPPorts = lib.mkIf cfg.enable [ port ];

  environment.systemPackages = with pkgs; [
{_packages(rnd, 1, 6, SYSTEM_PACKAGES)}
  ];

  systemd.services."job-{i}" = {{
    description = "periodic job {i}";
    wantedBy = [ "multi-user.target" ];
    serviceConfig = {{
      Type = "oneshot";
      ExecStart = "${{pkgs.coreutils}}/bin/true";
    }};
  }};

  boot.kernel.sysctl."vm.option{i}" = {i % 7};
}}
"""


def _feature(rnd: random.Random, user: str, i: int) -> str:
    program = rnd.choice(HOME_PROGRAMS)
    return f"""# {user}'s feature {i}: {program}.
{{ config, lib, pkgs, ... }}:
{{
  programs.{program} = {{
    enable = true;
  }};

  home.packages = with pkgs; [
{_packages(rnd, 2, 12)}
  ];

  home.sessionVariables = {{
    FEATURE_{i} = "on";
    FEATURE_{i}_DIR = "${{config.home.homeDirectory}}/.local/share/f{i}";
  }};

  xdg.configFile."feature-{i}/config.toml".text = ''
    # generated
    name = "{user}"
    level = {i % 5}
  '';
}}
"""


def _home_module(i: int) -> str:
    return f"""# A shared home-manager module declaring an option of its own.
{{ config, lib, ... }}:
let
  cfg = config.my.module{i};
in
{{
  options.my.module{i}.enable = lib.mkEnableOption "module {i}";

  config = lib.mkIf cfg.enable {{
    home.file.".config/module-{i}".text = "enabled";
  }};
}}
"""


def generate_tree(root: Path, files: int = 2000, seed: int = 1) -> Path:
    """Write a multi-host, multi-user flake with `files` module files (besides flake.nix)."""
    rnd = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    hosts = [f"host{i:02d}" for i in range(10)]
    users = [f"user{i:02d}" for i in range(10)]
    per_host = 3  # default.nix, hardware-configuration.nix, disks.nix
    per_user = 2  # default.nix, <host>.nix
    fixed = len(hosts) * per_host + len(users) * per_user + 3  # + users.nix, 2 default.nix
    remaining = max(files - fixed, 0)
    shared = remaining // 5
    home_modules = remaining // 10
    features = remaining - shared - home_modules
    write = _writer(root)

    flake_hosts = " ".join(f'"{h}"' for h in hosts)
    standalone = "\n".join(
        f'        "{u}@{h}" = mkHome "{u}" "{h}";' for u, h in zip(users, hosts, strict=True)
    )
    write(
        "flake.nix",
        f"""{{
  description = "a generated fleet";

  inputs = {{
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.05";
    home-manager = {{
      url = "github:nix-community/home-manager/release-25.05";
      inputs.nixpkgs.follows = "nixpkgs";
    }};
  }};

  outputs =
    {{ self, nixpkgs, home-manager, ... }}@inputs:
    let
      mkHost =
        name:
        nixpkgs.lib.nixosSystem {{
          system = "x86_64-linux";
          specialArgs = {{ inherit inputs; }};
          modules = [
            ./hosts/${{name}}
            home-manager.nixosModules.home-manager
          ];
        }};
      mkHome =
        user: host:
        home-manager.lib.homeManagerConfiguration {{
          pkgs = nixpkgs.legacyPackages.x86_64-linux;
          modules = [ ./home/${{user}}/${{host}}.nix ];
        }};
    in
    {{
      nixosConfigurations = nixpkgs.lib.genAttrs [ {flake_hosts} ] mkHost;
      homeConfigurations = {{
{standalone}
      }};
    }};
}}
""",
    )
    write(
        "modules/system/default.nix",
        "{ ... }:\n{\n  imports = [\n    ./users.nix\n"
        + "".join(f"    ./m{i:04d}.nix\n" for i in range(shared))
        + "  ];\n}\n",
    )
    accounts = "\n".join(
        f'  users.users.{u} = {{\n    isNormalUser = true;\n    extraGroups = [ "wheel" ];\n  }};'
        for u in users
    )
    write("modules/system/users.nix", f"{{ pkgs, ... }}:\n{{\n{accounts}\n}}\n")
    for i in range(shared):
        write(f"modules/system/m{i:04d}.nix", _system_module(rnd, i))
    for hi, host in enumerate(hosts):
        user = users[hi]
        write(
            f"hosts/{host}/default.nix",
            f"""# {host}
{{ pkgs, ... }}:
{{
  imports = [
    ./hardware-configuration.nix
    ./disks.nix
    ../../modules/system
  ];

  networking.hostName = "{host}";
  time.timeZone = "Europe/Berlin";
  nixpkgs.config.allowUnfree = true;

  home-manager.useGlobalPkgs = true;
  home-manager.useUserPackages = true;
  home-manager.users.{user} = import ../../home/{user}/{host}.nix;

  environment.systemPackages = with pkgs; [
    vim
    git
  ];

  system.stateVersion = "25.05";
}}
""",
        )
        write(
            f"hosts/{host}/hardware-configuration.nix",
            """{ config, lib, modulesPath, ... }:
{
  imports = [ (modulesPath + "/installer/scan/not-detected.nix") ];

  boot.initrd.availableKernelModules = [ "xhci_pci" "ahci" "nvme" "usbhid" ];
  boot.kernelModules = [ "kvm-amd" ];
  hardware.cpu.amd.updateMicrocode = lib.mkDefault config.hardware.enableRedistributableFirmware;
  nixpkgs.hostPlatform = lib.mkDefault "x86_64-linux";
}
""",
        )
        write(
            f"hosts/{host}/disks.nix",
            """{ ... }:
{
  fileSystems."/" = {
    device = "/dev/disk/by-label/nixos";
    fsType = "ext4";
  };
  fileSystems."/boot" = {
    device = "/dev/disk/by-label/boot";
    fsType = "vfat";
    options = [ "fmask=0077" "dmask=0077" ];
  };
  swapDevices = [ ];
}
""",
        )
    write(
        "home/modules/default.nix",
        "{ ... }:\n{\n  imports = [\n"
        + "".join(f"    ./hm{i:04d}.nix\n" for i in range(home_modules))
        + "  ];\n}\n",
    )
    for i in range(home_modules):
        write(f"home/modules/hm{i:04d}.nix", _home_module(i))
    split = [features // len(users) + (1 if k < features % len(users) else 0) for k in range(10)]
    for ui, user in enumerate(users):
        names = [f"f{k:04d}.nix" for k in range(split[ui])]
        write(
            f"home/{user}/default.nix",
            f"""# {user}'s home
{{ lib, ... }}:
{{
  imports = [
    ../modules
"""
            + "".join(f"    ./features/{n}\n" for n in names)
            + f"""  ];

  home.username = lib.mkDefault "{user}";
  home.homeDirectory = lib.mkDefault "/home/{user}";
  home.stateVersion = "25.05";
}}
""",
        )
        write(f"home/{user}/{hosts[ui]}.nix", "{ ... }:\n{\n  imports = [ ./default.nix ];\n}\n")
        for k, name in enumerate(names):
            write(f"home/{user}/features/{name}", _feature(rnd, user, k))
    return root


def _writer(root: Path) -> Callable[[str, str], None]:
    def write(rel: str, text: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)

    return write


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Figures:
    directory: str
    files_read: int
    findings: int
    check_process_s: float
    floor_process_s: float
    process_ratio: float
    check_in_process_s: float
    floor_in_process_s: float
    in_process_ratio: float
    files_per_s: float
    help_s: float
    runs: int
    machine: str


def _median_wall(argv: list[str], runs: int, env: dict[str, str]) -> float:
    subprocess.run(argv, capture_output=True, check=False, env=env)  # warm-up: page cache, pyc
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _process_env() -> dict[str, str]:
    """The environment of the timed processes: with a bytecode cache (see the docstring)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(HERE / "out" / "pycache")
    return env


def _in_process(directory: Path, runs: int) -> tuple[float, float, list[Path], int]:
    from homeward.lint.run import check_directory, selected_codes
    from homeward.syntax.parse import parse_tree

    codes = selected_codes("", "")
    told: list[str] = []  # real paths
    result = check_directory(directory, codes, on_read=told.append)  # warm-up, and the files
    read = [Path(p) for p in told]
    check_times, floor_times = [], []
    for _ in range(runs):
        gc.disable()  # as `homeward check` runs it (commands/check.py)
        start = time.perf_counter()
        check_directory(directory, codes)
        check_times.append(time.perf_counter() - start)
        gc.enable()
        gc.collect()
        start = time.perf_counter()
        for path in read:
            parse_tree(path.read_bytes())
        floor_times.append(time.perf_counter() - start)
    found = len(result.diagnostics)
    return statistics.median(check_times), statistics.median(floor_times), read, found


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()}"


def measure(directory: Path, runs: int) -> Figures:
    check_in, floor_in, read, findings = _in_process(directory, runs)
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as listing:
        listing.write("\n".join(str(p) for p in read))
    try:
        env = _process_env()
        check_argv = [sys.executable, "-m", "homeward", "check", str(directory)]
        check_proc = _median_wall(check_argv, runs, env)
        floor_proc = _median_wall([sys.executable, "-c", FLOOR, listing.name], runs, env)
    finally:
        os.unlink(listing.name)
    help_s = _median_wall([sys.executable, "-m", "homeward", "--help"], runs, env)
    return Figures(
        directory=str(directory),
        files_read=len(read),
        findings=findings,
        check_process_s=round(check_proc, 4),
        floor_process_s=round(floor_proc, 4),
        process_ratio=round(check_proc / floor_proc, 2),
        check_in_process_s=round(check_in, 4),
        floor_in_process_s=round(floor_in, 4),
        in_process_ratio=round(check_in / floor_in, 2),
        files_per_s=round(len(read) / check_proc),
        help_s=round(help_s, 4),
        runs=runs,
        machine=_machine(),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dir", nargs="?", type=Path, help="a flake directory (default: generate)")
    parser.add_argument("--files", type=int, default=2000, help="module files to generate")
    parser.add_argument("--runs", type=int, default=5, help="runs per figure (median)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where to generate")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    opts = parser.parse_args(argv)
    directory = opts.dir if opts.dir is not None else generate_tree(opts.out, opts.files)
    figures = measure(directory.resolve(), opts.runs)
    if opts.json:
        print(json.dumps(asdict(figures), indent=2))
        return 0
    print(f"directory        {figures.directory}")
    print(f"machine          {figures.machine}")
    print(f"files read       {figures.files_read}  (findings: {figures.findings})")
    print(
        f"process          check {figures.check_process_s:.3f} s  floor "
        f"{figures.floor_process_s:.3f} s  ratio {figures.process_ratio:.2f}"
    )
    print(
        f"in process       check {figures.check_in_process_s:.3f} s  floor "
        f"{figures.floor_in_process_s:.3f} s  ratio {figures.in_process_ratio:.2f}"
    )
    print(f"files per second {figures.files_per_s}")
    print(f"homeward --help  {figures.help_s * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
