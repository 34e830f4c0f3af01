"""`homeward.toml`: a repository's own defaults for `check` and `migrate`.

Looked for next to flake.nix, then at the root of the git work tree holding it. Flags on the
command line win over the file, the file over homeward's defaults:

    [check]
    select = ["HW001", "HW002"]   # only these rules (default: all)
    ignore = ["HW005"]            # skip these rules

    [migrate]
    backup-extension = "hm-backup"
    features = "split"            # or "none": keep user definitions in default.nix
    mode = "both"                 # "module", "standalone"

    [features]                    # where migrate puts a package: its feature file
    neovim = "dev"                # git, cli, editors, desktop, dev, packages

Unknown tables, keys or values are errors (exit 3, naming the file), so that a misspelt key
does not silently do nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from homeward.errors import HomewardError, Location

CONFIG_FILE = "homeward.toml"

_FEATURES = ("split", "none")
_MODES = ("both", "module", "standalone")
_FEATURE_FILES = ("git", "cli", "editors", "desktop", "dev", "packages")


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None  # the file read; None when there is none
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    backup_extension: str | None = None
    features: str | None = None
    mode: str | None = None
    package_features: tuple[tuple[str, str], ...] = ()  # (package attribute, feature file)


def find_config(directory: Path) -> Path | None:
    """homeward.toml next to flake.nix, else at the top of the git work tree around it."""
    start = directory.resolve()
    if (start / CONFIG_FILE).is_file():
        return start / CONFIG_FILE
    for parent in start.parents:
        if (parent / ".git").exists():
            found = parent / CONFIG_FILE
            return found if found.is_file() else None
    return None


def load_config(directory: Path) -> Config:
    path = find_config(directory)
    if path is None:
        return Config()
    shown = Path(CONFIG_FILE) if path.parent == directory.resolve() else path
    import tomllib  # Why here: most runs have no config file (2 ms of every command's start)

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise HomewardError(
            f"`{CONFIG_FILE}` is not valid TOML: {str(exc).split(' (at')[0]}",
            at=Location(shown, line, col),
            hint="fix the file, or remove it to use homeward's defaults",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HomewardError(f"cannot read `{shown}`: {exc}") from None
    return _parse(data, shown, path)


def _fail(shown: Path, message: str) -> HomewardError:
    return HomewardError(
        f"`{shown}`: {message}",
        at=Location(shown, 1, 1),
        hint="see `homeward man` (FILES) or docs/integrations.md for what homeward.toml may hold",
    )


def _table(
    data: Mapping[str, Any], name: str, keys: tuple[str, ...], shown: Path
) -> dict[str, Any]:
    table = data.get(name, {})
    if not isinstance(table, dict):
        raise _fail(shown, f"`{name}` must be a table")
    unknown = sorted(set(table) - set(keys)) if keys else []
    if unknown:
        raise _fail(shown, f"unknown key `{name}.{unknown[0]}` (known: {', '.join(keys)})")
    return table


def _codes(table: Mapping[str, Any], key: str, shown: Path) -> tuple[str, ...]:
    from homeward.lint.rules import RULES

    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(shown, f"`check.{key}` must be a list of rule codes")
    codes = tuple(v.strip().upper() for v in value)
    unknown = [c for c in codes if c not in RULES]
    if unknown:
        raise _fail(shown, f"`check.{key}`: unknown rule `{unknown[0]}`")
    return codes


def _choice(
    table: Mapping[str, Any], key: str, allowed: tuple[str, ...], shown: Path
) -> str | None:
    value = table.get(key)
    if value is None:
        return None
    if value not in allowed:
        raise _fail(shown, f"`migrate.{key}` is `{value}`; it must be one of {', '.join(allowed)}")
    return str(value)


def _parse(data: Mapping[str, Any], shown: Path, path: Path) -> Config:
    unknown = sorted(set(data) - {"check", "migrate", "features"})
    if unknown:
        raise _fail(shown, f"unknown table `{unknown[0]}` (known: check, migrate, features)")
    check = _table(data, "check", ("select", "ignore"), shown)
    migrate = _table(data, "migrate", ("backup-extension", "features", "mode"), shown)
    features = _table(data, "features", (), shown)
    backup = migrate.get("backup-extension")
    if backup is not None and (not isinstance(backup, str) or not backup or "/" in backup):
        raise _fail(shown, "`migrate.backup-extension` must be a file extension, like `hm-backup`")
    pairs: list[tuple[str, str]] = []
    for package, feature in sorted(features.items()):
        if feature not in _FEATURE_FILES:
            raise _fail(
                shown,
                f"`features.{package}` is `{feature}`; it must be one of {', '.join(_FEATURE_FILES)}",
            )
        pairs.append((package, feature))
    return Config(
        path=path,
        select=_codes(check, "select", shown),
        ignore=_codes(check, "ignore", shown),
        backup_extension=backup,
        features=_choice(migrate, "features", _FEATURES, shown),
        mode=_choice(migrate, "mode", _MODES, shown),
        package_features=tuple(pairs),
    )
