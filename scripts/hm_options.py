"""Regenerate `src/homeward/knowledge/data/hm_options.json`: every option home-manager declares.

    python scripts/hm_options.py --home-manager CHECKOUT --nixpkgs-lib CHECKOUT

Both arguments are git checkouts kept outside this repository (home-manager, and nixpkgs.lib,
whose `lib/` evaluates on nix 2.8); their commits are recorded in the file's `source`. The
option tree comes from evaluating home-manager's own module list (`modules/modules.nix`) with
nixpkgs' lib and a stub `pkgs` (`scripts/hm-options/options.nix`); nothing is built and no
default is forced. A module whose evaluation fails is left out and read statically instead
(its `options.*` declarations through homeward's own parser), and `source.static` names it.

The curated parts of the file (`name_clashes`, `nixos_only`, `shell_dependent`) are kept as
they are; `namespaces`, `options` and `read_only` are replaced. Not run at test time.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "src" / "homeward" / "knowledge" / "data" / "hm_options.json"
EXPRESSION = HERE / "hm-options" / "options.nix"
CURATED = ("name_clashes", "nixos_only", "shell_dependent")
# Names `options.*` declarations are written with, for the static reading.
DECLARERS = frozenset(
    {
        "mkOption",
        "mkEnableOption",
        "mkPackageOption",
        "mkPackageOptionMD",
        "mkSinkUndeclaredOptions",
    }
)
MAX_RETRIES = 40


def commit_of(checkout: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def evaluate(hm: Path, lib: Path, exclude: list[str]) -> tuple[list[dict[str, Any]] | None, str]:
    """The evaluated option list, or None and nix's error text."""
    argv = [
        "nix-instantiate",
        "--eval",
        "--strict",
        "--json",
        str(EXPRESSION),
        "--argstr",
        "homeManager",
        str(hm),
        "--argstr",
        "nixpkgsLib",
        str(lib),
        "--argstr",
        "excludeJson",
        json.dumps(exclude),
    ]
    p = subprocess.run(argv, capture_output=True, text=True, check=False)
    if p.returncode:
        return None, p.stderr
    result: list[dict[str, Any]] = json.loads(p.stdout)
    return result, ""


def failing_module(error: str, hm: Path, modules: list[str]) -> str | None:
    """The module (as listed by modules.nix) whose file the error points into."""
    for match in re.finditer(re.escape(str(hm)) + r"/(modules/[^:\s]+\.nix)", error):
        file = match[1]
        for module in sorted(modules, key=len, reverse=True):
            if file == module or file.startswith(module.rstrip("/") + "/"):
                return module
    return None


def module_list(hm: Path) -> list[str]:
    """The top-level entries of home-manager's module list (files and directories)."""
    roots = ["modules/programs", "modules/services"]
    listed = [f"{r}/{p.name}" for r in roots for p in sorted((hm / r).iterdir())]
    text = (hm / "modules" / "modules.nix").read_text()
    listed += [f"modules/{m}" for m in re.findall(r"^\s*\./([\w./-]+)", text, re.MULTILINE)]
    return listed


def static_options(hm: Path, module: str) -> list[dict[str, Any]]:
    """`options.*` declarations of a module read from its text (the evaluation fallback)."""
    sys.path.insert(0, str(HERE.parent / "src"))
    from homeward.syntax.find import read_module
    from homeward.syntax.nodes import call_parts, dotted_name, function_leaf
    from homeward.syntax.parse import Source

    root = hm / module
    files = sorted(root.rglob("*.nix")) if root.is_dir() else [root]
    found: list[dict[str, Any]] = []
    for file in files:
        text = file.read_bytes()
        from homeward.syntax.parse import parse_tree

        source = Source(file, text, parse_tree(text))
        for d in read_module(source).declarations:
            head, _ = call_parts(d.value)
            if function_leaf(dotted_name(head, text)) in DECLARERS:
                found.append(
                    {
                        "path": list(d.path[1:]),
                        "type": "unknown",
                        "file": str(file.relative_to(hm)),
                    }
                )
    return found


def dotted(path: list[str]) -> str:
    """Option path as written in nix: a name holding a dot is quoted."""
    return ".".join(f'"{n}"' if "." in n else n for n in path)


def option_entry(hm: Path, item: dict[str, Any]) -> dict[str, Any]:
    entry = {k: v for k, v in sorted(item.items()) if k != "path"}
    # A module imported as a directory is declared "in" the directory: name its default.nix.
    if entry.get("file") and (hm / entry["file"]).is_dir():
        entry["file"] += "/default.nix"
    return entry


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home-manager", type=Path, required=True)
    parser.add_argument("--nixpkgs-lib", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args(argv)
    hm, lib = args.home_manager.resolve(), args.nixpkgs_lib.resolve()
    modules = module_list(hm)
    exclude: list[str] = []
    for _ in range(MAX_RETRIES):
        items, error = evaluate(hm, lib, exclude)
        if items is not None:
            break
        module = failing_module(error, hm, modules)
        if module is None or module in exclude:
            print(error, file=sys.stderr)
            return 1
        print(f"evaluation failed in {module}; reading it statically", file=sys.stderr)
        exclude.append(module)
    else:
        return 1
    for module in exclude:
        items += static_options(hm, module)
    options = {dotted(item["path"]): option_entry(hm, item) for item in items}
    old: dict[str, Any] = json.loads(args.out.read_text()) if args.out.exists() else {}
    namespaces = sorted({p.split(".")[0] for p in options if not p.startswith("home-manager.")})
    data: dict[str, Any] = {key: old[key] for key in CURATED if key in old}
    data |= {
        "namespaces": namespaces,
        "options": options,
        "read_only": sorted(p for p, o in options.items() if o.get("readOnly")),
        "source": {
            "repository": "nix-community/home-manager",
            "commit": commit_of(hm),
            "lib": {"repository": "nix-community/nixpkgs.lib", "commit": commit_of(lib)},
            "generated_by": "scripts/hm_options.py",
            "static": sorted(exclude),
        },
    }
    stale = [n for n in data.get("nixos_only", ()) if n in options or n in namespaces]
    if stale:
        print(f"nixos_only names home-manager now declares: {stale}", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"{len(options)} options written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
