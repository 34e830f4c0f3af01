"""A Nix string literal: the one quoting of everything homeward writes as a Nix string, for
the code it emits (`syntax/emit.py`) and the `--apply` text it gives `nix eval`
(`nix/ops.py`). A leaf: both may import it, neither imports the other (tests/test_layers.py)."""

from __future__ import annotations


def quote_string(value: str) -> str:
    """`value` as a double-quoted Nix string that reads back as `value`, never as code: `\\`,
    `"` and `${` escaped (so `$${` stays `$${`), line breaks and tabs as `\\n`, `\\r`, `\\t`."""
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("${", "\\${")
    out = out.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return f'"{out}"'
