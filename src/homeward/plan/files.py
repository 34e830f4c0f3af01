"""The render phase: the files a plan writes, as data, and their text.

A `DestFile` collects what the earlier phases decided for it (moved bindings, package items,
imports, an entry point's identity), replayed from their write records in order
(`plan/writes.take_write`, the one place it changes); `render_dest` turns it into the file's
bytes, formatted as nixfmt would: header comments, `{ args, ... }:`, the `let` bindings moved
code needs, the bindings. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from homeward.model.repo import User
from homeward.plan.chunks import Chunk, Needs, PackageItem
from homeward.plan.types import Edit, NewFile
from homeward.syntax import emit as nix


@dataclass(eq=False)
class DestFile:
    """A file the plan writes: a home-manager module or a NixOS module."""

    path: PurePosixPath  # repo-relative
    home: bool
    chunks: list[Chunk] = field(default_factory=list)
    items: list[PackageItem] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)  # path texts relative to this file
    entry: User | None = None  # a user's entry point (default.nix)
    header: str = ""  # comment lines kept from the file this replaces
    extra: list[str] = field(default_factory=list)  # generated bindings (code at indent 0)
    identity: str = ""  # entry: home.username, home.homeDirectory, home.stateVersion
    tail: str = ""  # entry: programs.home-manager.enable
    hm_package: bool = False  # entry: install the home-manager command (both wirings)
    verbatim: str = ""  # a whole module written as it is (a home written inline, moved)
    copies: list[str] = field(default_factory=list)  # its systemd.user.tmpfiles rules

    @property
    def dir(self) -> PurePosixPath:
        return self.path.parent

    @property
    def empty(self) -> bool:
        return not (
            self.chunks
            or self.items
            or self.imports
            or self.entry
            or self.extra
            or self.verbatim
            or self.identity
        )


def render_files(
    dests: Sequence[DestFile], replaced: Mapping[PurePosixPath, int], *, rendered: bool = True
) -> tuple[list[Edit], list[NewFile]]:
    """The plan's new files as text: a new file each, or an edit replacing a file's whole text
    where one is there already (`replaced`: path -> length of the text it replaces). Empty
    files are not written. Not `rendered`: the same files and edits with no bytes in them
    (where the plan writes, not what)."""
    edits: list[Edit] = []
    files: list[NewFile] = []
    for dest in dests:
        if dest.empty:
            continue
        text = render_dest(dest) if rendered else b""
        if dest.path in replaced:
            why = "rewritten as a home-manager module"
            edits.append(Edit(Path(dest.path), 0, replaced[dest.path], text, why))
        else:
            files.append(NewFile(Path(dest.path), text, "new file"))
    return edits, sorted(files, key=lambda f: str(f.path))


def render_dest(dest: DestFile) -> bytes:
    """A destination file: header comments, `{ args, ... }:`, carried `let`s, the bindings."""
    if dest.verbatim:
        return dest.verbatim.encode()
    needs = Needs()
    for chunk in dest.chunks:
        needs.update(chunk.needs)
    for item in dest.items:
        needs.update(item.needs)
    blocks: list[str] = []
    if dest.imports:
        imports = nix.List([nix.Raw(i) for i in dest.imports], expand=len(dest.imports) > 1)
        blocks.append(nix.emit_binding("imports", imports))
    if dest.identity:
        needs.args.add("lib")
        if "pkgs." in dest.identity:  # a home on a Mac and on Linux: `pkgs.stdenv.isDarwin`
            needs.args.add("pkgs")
        blocks.append(dest.identity)
    packages = _packages_block(dest, needs)
    if packages:
        blocks.append(packages)
    declarations = [c.code for c in dest.chunks if c.declaration]
    blocks.extend(c.code for c in dest.chunks if not c.packages and not c.declaration)
    blocks.extend(dest.extra)
    if declarations:
        # A module that declares options must put its definitions under `config`.
        config = [b for b in blocks if not b.startswith("imports = ")]
        imports_ = [b for b in blocks if b.startswith("imports = ")]
        blocks = [*imports_, *declarations]
        if config:
            blocks.append(nix.emit_binding("config", nix.Attrs(_body(config), expand=True)))
    if dest.tail:
        blocks.append(dest.tail)
    module: object = nix.Attrs(_body(blocks), expand=True)
    lets = [code for _start, (_name, code) in sorted(needs.lets.items())]
    if lets:
        module = nix.Let(nix.Attrs([nix.Raw(code) for code in lets]), module)
    args = sorted(needs.args)
    if args:
        module = nix.Func(args, module)
    code = nix.emit(module, in_binding=True)
    return (f"{dest.header}\n{code}\n" if dest.header else f"{code}\n").encode()


def _body(blocks: list[str]) -> list[nix.Item]:
    """The blocks as a set's items, separated by an empty line, except one-line bindings
    that follow each other."""
    items: list[nix.Item] = []
    for i, block in enumerate(blocks):
        if i:
            single = "\n" not in block and "\n" not in blocks[i - 1] and not block.startswith("#")
            if not single:
                items.append(nix.Blank())
        items.append(nix.Raw(block))
    return items


def _packages_block(dest: DestFile, needs: Needs) -> str:
    values: list[object] = []
    items = list(dest.items)
    if dest.hm_package:
        items.insert(
            0, PackageItem("pkgs.home-manager", "home-manager", "", Needs(args={"pkgs"}), None)
        )
        needs.args.add("pkgs")
    by_env: dict[str, list[PackageItem]] = defaultdict(list)
    envs = {item.env for item in items if item.env}
    for item in items:
        # An item written without `with` reads only lexical names (`pkgs.x`), which win over
        # any `with`: it can join the one `with pkgs; [ ... ]` list unchanged.
        by_env[item.env or (next(iter(envs)) if len(envs) == 1 else "")].append(item)
    for env, items in by_env.items():
        single = len(items) == 1 and "\n" not in items[0].code and "#" not in items[0].code
        entries: list[object] = []
        for n, i in enumerate(items):
            if i.blank_before and n:
                entries.append(nix.Blank())
            entries.append(nix.Raw(i.code))
        packages = nix.List(entries, expand=not single)
        values.append(nix.With(env, packages) if env else packages)
    values.extend(nix.Raw(c.value_code) for c in dest.chunks if c.packages)
    leading = [nix.Raw(c.leading) for c in dest.chunks if c.packages and c.leading]
    if not values:
        return ""
    if len(values) == 1:
        return nix.emit_bindings([*leading, (("home", "packages"), values[0])])
    needs.args.add("lib")
    codes = [nix.emit(v) for v in values]
    merged = [nix.Raw(c) if _is_list_literal(c) else nix.Paren(nix.Raw(c)) for c in codes]
    value = nix.Call("lib.mkMerge", [nix.List(merged, expand=True)])
    return nix.emit_bindings([*leading, (("home", "packages"), value)])


def _is_list_literal(code: str) -> bool:
    """`[ ... ]` as a whole (not `[ a ] ++ b`): what may stand in a list without parentheses."""
    from homeward.syntax.parse import parse_tree

    root = parse_tree(code.encode()).root_node
    expr = root.child_by_field_name("expression")
    return expr is not None and expr.type == "list_expression"
