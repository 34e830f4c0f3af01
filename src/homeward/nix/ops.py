"""What homeward reads out of a flake with the real nix, as typed data.

`extract_flake` runs `nix eval --json <flake>#nixosConfigurations --apply ...` (and the same for
`darwinConfigurations` and `homeConfigurations`) with `extract.nix` applied to the output, so that one evaluation per
output gives every host, user and standalone home configuration. Tests call
`extract_outputs_standins` and `record_standins` instead: they evaluate a flake's `outputs`
with the stand-in nixpkgs and home-manager through `nix-instantiate`, without the flake
machinery (see `standins.nix`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from homeward.errors import HomewardError, Location, NixError
from homeward.model.extract import Extract, expect_mapping
from homeward.nix import run
from homeward.quoting import quote_string

HERE = Path(__file__).resolve().parent
EXTRACT_NIX = HERE / "extract.nix"
STANDINS_NIX = HERE / "standins.nix"

OUTPUTS = ("nixosConfigurations", "darwinConfigurations", "homeConfigurations")
HOME_MANAGER_PATH = "home-manager-path"


# -- what record_standins returns ------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ModuleArg:
    """One element of a module list as nixosSystem/homeManagerConfiguration received it."""

    kind: str  # "path" | "function" | "attrs" | "other"
    path: str | None = None  # path: repo-relative when inside the repository, else absolute
    key: str | None = None  # attrs: its `key`
    names: tuple[str, ...] = ()  # attrs: its attribute names; function: its formal arguments


@dataclass(frozen=True, slots=True)
class CallRecord:
    modules: tuple[ModuleArg, ...]
    special_args: tuple[str, ...]  # names of specialArgs / extraSpecialArgs
    system: str | None = None


@dataclass(frozen=True, slots=True)
class Recording:
    hosts: Mapping[str, CallRecord]
    homes: Mapping[str, CallRecord]


# -- flakes through nix eval -----------------------------------------------------------------
@cache
def _extract_text() -> str:
    return EXTRACT_NIX.read_text()


def apply_expression(output: str, keep: Sequence[str] | None = None) -> str:
    """The `--apply` function: extract.nix (shipped text) on one output, or on the attributes
    `keep` of it (`--host`/`--user`; the others are never evaluated, nix being lazy).

    The names are the flake's attribute names the static reader found, any string nix
    allows (`nixosConfigurations."desk+1"`): written as Nix strings, quoted and escaped
    (`keep_expression`), never as code; nothing else of the user's is in the text."""
    if output not in OUTPUTS:
        raise ValueError(output)
    value = "value" if keep is None else keep_expression(keep)
    return f"value: ({_extract_text()}) {{ outputs = {{ {output} = {value}; }}; }}"


def keep_expression(keep: Sequence[str]) -> str:
    """`value` with only the attributes `keep`, each name a quoted Nix string."""
    names = " ".join(f"{quote_string(name)} = null;" for name in keep)
    return f"(builtins.intersectAttrs {{ {names} }} value)"


def override_args(override_inputs: Sequence[tuple[str, str]]) -> list[str]:
    """`--override-input NAME REF` for each; local directories become absolute paths."""
    args: list[str] = []
    for name, ref in override_inputs:
        args += ["--override-input", name, normalize_ref(ref)]
    return args


def normalize_ref(ref: str) -> str:
    """Relative paths (`../x`, `path:../x`) -> absolute: nix cannot resolve them in the store."""
    scheme, sep, rest = ref.partition(":")
    if sep and scheme == "path" and not rest.startswith("/"):
        return "path:" + str(Path(rest).expanduser().resolve())
    if not sep or "/" in scheme or scheme in (".", "..", "~"):
        local = Path(ref).expanduser()
        if local.exists():
            return str(local.resolve())
    return ref


def flake_ref(flake_dir: Path) -> str:
    path = str(flake_dir.resolve())
    if "#" in path or "?" in path:
        raise HomewardError(
            f"nix cannot address a flake in `{path}`: the path contains `#` or `?`",
            hint="move the configuration to a directory without those characters",
        )
    return path


def extract_flake(
    flake_dir: Path,
    override_inputs: Sequence[tuple[str, str]] = (),
    *,
    label: str = "the working tree",
    source_root: Path | None = None,
    input_urls: Mapping[str, str] | None = None,
    keep: Mapping[str, Sequence[str]] | None = None,
    on_output: Callable[[str], None] | None = None,
) -> Extract:
    """Every host, user and standalone home of the flake in `flake_dir`, evaluated by nix.

    `source_root` is the directory nix copies (the git checkout holding the flake); nix's
    error positions are shown relative to it. `input_urls` (input name -> URL, as the caller
    read them from flake.nix) name the input nix could not fetch. `keep` (output -> names)
    limits an output to those attributes; `on_output` is told before each `nix eval` starts.
    """
    if not (flake_dir / "flake.nix").is_file():
        raise HomewardError(f"no flake.nix in `{flake_dir}` ({label})")
    result = Extract({}, {})
    for output in OUTPUTS:
        names = keep.get(output) if keep is not None else None
        if names is not None and not names:
            continue
        if on_output is not None:
            on_output(output)
        data = eval_output(
            flake_dir,
            output,
            override_inputs,
            label=label,
            source_root=source_root,
            input_urls=input_urls,
            keep=names,
        )
        if data is not None:
            result = result.merged(Extract.from_json(data))
    return result


def eval_output(
    flake_dir: Path,
    output: str,
    override_inputs: Sequence[tuple[str, str]] = (),
    *,
    label: str = "the working tree",
    source_root: Path | None = None,
    input_urls: Mapping[str, str] | None = None,
    keep: Sequence[str] | None = None,
) -> object | None:
    """extract.nix on one output of the flake; None when the flake has no such output."""
    args = [
        "eval",
        "--json",
        "--no-write-lock-file",
        f"{flake_ref(flake_dir)}#{output}",
        *override_args(override_inputs),
        "--apply",
        apply_expression(output, keep),
    ]
    try:
        stdout = run.run_nix(args, cwd=flake_dir)
    except NixError as exc:
        if "does not provide attribute" in exc.stderr and f"'{output}'" in exc.stderr:
            return None
        # Show the command with the (long, shipped) --apply text named rather than spelled out.
        shown = NixError(
            "nix failed",
            argv=[*exc.argv[:-1], f"<{EXTRACT_NIX.name} on {output}>"],
            stderr=exc.stderr,
        )
        raise explain(
            shown, f"evaluating `{output}` of {label}", source_root or flake_dir, input_urls
        ) from None
    try:
        parsed: object = json.loads(stdout)
    except json.JSONDecodeError as exc:
        raise NixError(f"nix printed something that is not JSON: {exc}", argv=args) from None
    return parsed


# -- nix's errors ----------------------------------------------------------------------------
_AT = re.compile(r"\bat (/[^\s:]+):(\d+):(\d+)")
_STORE = re.compile(r"^/nix/store/[0-9a-z]{32}-[^/]+/?(.*)$")
_FETCH = (
    "unable to download",
    "Couldn't resolve host",
    "Could not resolve host",
    "unable to access",
    "Failed to connect",
    "cannot fetch",
    "unable to fetch",
    "failed to fetch",
)


def error_summary(stderr: str) -> str:
    """The first lines of nix's `error:` message (without warnings and code excerpts)."""
    lines = stderr.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("error:")), None)
    if start is None:
        return next((line.strip() for line in lines if line.strip()), "no message")
    picked = [lines[start].removeprefix("error:").strip()]
    for line in lines[start + 1 : start + 6]:
        if not line.strip() or line.lstrip().startswith(("at ", "…", "(use")):
            break
        picked.append(line.strip())
    return " ".join(part for part in picked if part)


def error_location(stderr: str, roots: Sequence[Path]) -> Location | None:
    """The first position nix names inside the user's files, as a path relative to a root."""
    for match in _AT.finditer(stderr):
        file, line, col = match[1], int(match[2]), int(match[3])
        store = _STORE.match(file)
        candidates: list[Path] = []
        if store:
            candidates = [Path(store[1])] if store[1] else []
        else:
            for root in roots:
                try:
                    candidates.append(Path(file).resolve().relative_to(root.resolve()))
                except ValueError:
                    continue
        for rel in candidates:
            for root in roots:
                if (root / rel).is_file():
                    return Location(rel, line, col)
    return None


def fetched_input(stderr: str, input_urls: Mapping[str, str]) -> str | None:
    """The flake input (of `input_urls`: name -> URL) whose URL nix failed to fetch."""
    text = stderr.lower()
    for name, item_url in input_urls.items():
        if not item_url:
            continue
        url = item_url.split("?")[0].lower()
        scheme, _, rest = url.partition(":")
        parts = [p for p in rest.split("/") if p]
        if scheme in ("github", "gitlab", "sourcehut") and len(parts) >= 2:
            needle = f"{parts[0]}/{parts[1]}"
        else:
            needle = rest.strip("/")
        if needle and needle in text:
            return name
    return None


def explain(
    exc: NixError, doing: str, source_root: Path, input_urls: Mapping[str, str] | None = None
) -> NixError:
    """A NixError that says what failed, where (file:line:col) and what to do next."""
    stderr = exc.stderr
    summary = error_summary(stderr)
    if any(marker in stderr for marker in _FETCH):
        name = fetched_input(stderr, input_urls or {})
        which = f"the input `{name}`" if name else "an input"
        example = name or "nixpkgs"
        return NixError(
            f"{doing}: nix cannot fetch {which} offline: {summary}",
            argv=exc.argv,
            stderr=stderr,
            hint="point it at a local copy: `--override-input NAME PATH` "
            f"(for example `--override-input {example} ~/src/{example}`)",
        )
    untracked = _untracked(stderr, source_root)
    if untracked is not None:
        return NixError(
            f"{doing} failed: nix does not see `{untracked}`: flakes only see files git tracks",
            argv=exc.argv,
            stderr=stderr,
            hint=f"run `git add --intent-to-add {untracked}` and verify again",
        )
    at = error_location(stderr, [source_root])
    return NixError(
        f"{doing} failed: {summary}",
        argv=exc.argv,
        stderr=stderr,
        at=at,
        hint="fix the evaluation error above; `nix eval --show-trace` shows how it was reached",
    )


_MISSING = re.compile(r"getting status of '(/nix/store/[^']+)': No such file or directory")


def _untracked(stderr: str, source_root: Path) -> Path | None:
    """A file nix misses in the flake's store copy although it exists on disk."""
    for match in _MISSING.finditer(stderr):
        store = _STORE.match(match[1])
        if store and store[1] and (source_root / store[1]).exists():
            return Path(store[1])
    return None


# -- outputs with the stand-ins, without flakes (tests) --------------------------------------
def _instantiate_standins(repo_dir: Path, standins_dir: Path, mode: str) -> object:
    args = [
        "--eval",
        "--strict",
        "--json",
        str(STANDINS_NIX),
        "--argstr",
        "repo",
        str(repo_dir.resolve()),
        "--argstr",
        "standins",
        str(standins_dir.resolve()),
        "--argstr",
        "mode",
        mode,
    ]
    p = run.run_instantiate(args, cwd=repo_dir)
    if not p.ok:
        failed = NixError("nix-instantiate failed", argv=p.argv, stderr=p.stderr)
        raise explain(failed, f"evaluating the outputs of `{repo_dir}`", repo_dir) from None
    parsed: object = json.loads(p.stdout)
    return parsed


def extract_outputs_standins(repo_dir: Path, standins_dir: Path) -> Extract:
    """Like `extract_flake`, but `(import <repo>/flake.nix).outputs` called directly with the
    stand-ins in `standins_dir` (`nixpkgs/`, `home-manager/`, `flake-parts/`) as inputs."""
    return Extract.from_json(_instantiate_standins(repo_dir, standins_dir, "extract"))


def record_standins(repo_dir: Path, standins_dir: Path) -> Recording:
    """What each `nixosSystem` and `homeManagerConfiguration` call of the flake received."""
    data = expect_mapping(
        _instantiate_standins(repo_dir, standins_dir, "record"),
        "the record",
        source=STANDINS_NIX.name,
    )
    root = repo_dir.resolve()

    def module(raw: object) -> ModuleArg:
        m = expect_mapping(raw, "a module", source=STANDINS_NIX.name)
        path = m.get("path")
        if isinstance(path, str):
            try:
                path = str(Path(path).relative_to(root))
            except ValueError:
                pass
        key = m.get("key")
        names = m.get("names", m.get("args", []))
        return ModuleArg(
            kind=str(m.get("kind")),
            path=path if isinstance(path, str) else None,
            key=key if isinstance(key, str) else None,
            names=tuple(str(n) for n in names) if isinstance(names, list) else (),
        )

    def call(raw: object, special: str) -> CallRecord:
        c = expect_mapping(raw, "a call", source=STANDINS_NIX.name)
        modules = c.get("modules", [])
        system = c.get("system")
        return CallRecord(
            modules=tuple(module(m) for m in modules) if isinstance(modules, list) else (),
            special_args=tuple(str(n) for n in c.get(special, [])),
            system=system if isinstance(system, str) else None,
        )

    return Recording(
        hosts={
            n: call(c, "special_args")
            for n, c in expect_mapping(data["hosts"], "hosts", source=STANDINS_NIX.name).items()
        },
        homes={
            n: call(c, "extra_special_args")
            for n, c in expect_mapping(data["homes"], "homes", source=STANDINS_NIX.name).items()
        },
    )
