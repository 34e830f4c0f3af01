"""`homeward migrate --adopt-dotfiles DIR --user U`: a stow-style tree of dotfiles in the
repository becomes home-manager `home.file`/`xdg.configFile` entries (issue 13).

DIR mirrors `$HOME` (`DIR/.config/foot/foot.ini` is `~/.config/foot/foot.ini`), or holds stow
packages that each do (`DIR/foot/.config/foot/foot.ini`): a DIR whose entries are all
directories without a leading dot is read as packages. Every file becomes one entry, in
`home/<user>/features/dotfiles.nix`, which the user's `home/<user>/default.nix` imports:

- under `.config/`: `xdg.configFile."foot/foot.ini".source = ../../../DIR/.config/foot/foot.ini;`
- elsewhere: `home.file.".zshrc".source = ../../../DIR/.zshrc;`

The source is a path in the flake, so home-manager links the file from its store copy: an edit
in the checkout takes effect at the next switch. With `--out-of-store CHECKOUT` the entries use
`config.lib.file.mkOutOfStoreSymlink`, which links to the checkout itself (edits take effect at
once); it needs the checkout's absolute path on the machine (inside a flake `./x` is the store
copy), bound once as `flakeDir`. Files already present in `$HOME` are in the way of the links:
home-manager moves them aside with `home-manager.backupFileExtension`, which migrate sets.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.errors import HomewardError, Location, UsageError
from homeward.model.index import Index
from homeward.model.repo import Context
from homeward.plan.nixcode import list_binding, relative_import
from homeward.plan.types import Edit, Moved, NewFile, Plan
from homeward.syntax import emit as nix
from homeward.syntax.edit import append_to_list, indent_at, insert_binding
from homeward.syntax.emit import quote_string
from homeward.syntax.find import read_module
from homeward.syntax.nodes import bindings_of, named_children, node_text, unparen

if TYPE_CHECKING:
    from tree_sitter import Node

FEATURE = "dotfiles"
# A path literal may hold these characters only; another file name is written as a string
# appended to a path (`./. + "/a b"`), which nix reads the same.
_PATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+/")


@dataclass(frozen=True, slots=True)
class AdoptSpec:
    directory: PurePosixPath  # repo-relative
    user: str
    out_of_store: str | None = None  # the checkout's absolute path on the user's machine


@dataclass(frozen=True, slots=True)
class Dotfile:
    source: PurePosixPath  # repo-relative
    target: PurePosixPath  # relative to $HOME

    @property
    def option(self) -> tuple[str, str]:
        """(`xdg.configFile` or `home.file`, the attribute name)."""
        if self.target.parts[0] == ".config" and len(self.target.parts) > 1:
            return "xdg.configFile", str(PurePosixPath(*self.target.parts[1:]))
        return "home.file", str(self.target)


def find_dotfiles(files: frozenset[PurePosixPath], directory: PurePosixPath) -> list[Dotfile]:
    """The files under `directory` and the $HOME paths they stand for, sorted by target."""
    below = sorted(f for f in files if directory in f.parents)
    if not below:
        return []
    tops = {f.relative_to(directory).parts[0] for f in below}
    nested = {
        f.relative_to(directory).parts[0] for f in below if len(f.relative_to(directory).parts) > 1
    }
    # Stow packages: every entry a directory not named like a dotfile.
    packages = tops == nested and not any(t.startswith(".") for t in tops)
    found = []
    for f in below:
        rel = f.relative_to(directory)
        target = PurePosixPath(*rel.parts[1:]) if packages else rel
        found.append(Dotfile(f, target))
    return sorted(found, key=lambda d: str(d.target))


def _nix_path(path: PurePosixPath, directory: PurePosixPath) -> str:
    rel = relative_import(path, directory)
    if set(rel) <= _PATH_CHARS and "//" not in rel:
        return rel
    head, _, tail = rel.rpartition("/")
    return f"{head} + {quote_string('/' + tail)}" if head else f"./. + {quote_string('/' + tail)}"


def render_feature(
    user: str, dotfiles: list[Dotfile], feature: PurePosixPath, out_of_store: str | None
) -> str:
    lines = [
        f"# {user}'s dotfiles, adopted from the repository by `homeward migrate --adopt-dotfiles`."
    ]
    if out_of_store is None:
        lines += [
            "# home-manager links each file from the flake's store copy: edits take effect at the",
            "# next switch. Files already in $HOME are moved aside (home-manager.backupFileExtension).",
        ]
    else:
        lines += [
            "# Linked to the checkout itself (mkOutOfStoreSymlink): edits take effect at once.",
            "# `flakeDir` must be where this repository is checked out on the machine. Files already",
            "# in $HOME are moved aside (home-manager.backupFileExtension).",
        ]
    links: list[nix.Item] = []
    for d in dotfiles:
        value: object = nix.Raw(_nix_path(d.source, feature.parent))
        if out_of_store is not None:
            where = nix.Interpolated([nix.Raw("flakeDir"), f"/{d.source}"])
            value = nix.Call("config.lib.file.mkOutOfStoreSymlink", [where])
        links.append((_link_key(d.option), value))
    body: object = nix.Attrs(links, expand=True)
    formals = []
    if out_of_store is not None:
        formals = ["config"]
        body = nix.Let(nix.Attrs([("flakeDir", out_of_store.rstrip("/"))]), body)
    return "\n".join(lines) + "\n" + nix.emit_file(nix.Func(formals, body)).decode()


def _link_key(option: tuple[str, str]) -> nix.Key:
    """`home.file."<name>".source` (the name always quoted)."""
    group, name = option
    return (*group.split("."), nix.Raw(quote_string(name)), "source")


def plan_adopt_dotfiles(index: Index, spec: AdoptSpec) -> Plan:
    repo = index.repo
    files = repo.files
    if not files.has_dir(spec.directory):
        raise UsageError(f"`{spec.directory}` is not a directory of the repository")
    entry = PurePosixPath("home") / spec.user / "default.nix"
    is_home = any(
        info.context is Context.HOME and info.path is not None and PurePosixPath(info.path) == entry
        for info in repo.modules.values()
    )
    if not (is_home or files.has_file(entry)):
        raise HomewardError(
            f"`{spec.user}` has no home-manager entry point `{entry}`",
            hint="run `homeward migrate` first (or `homeward add user`)",
        )
    dotfiles = find_dotfiles(files.files, spec.directory)
    if not dotfiles:
        raise UsageError(f"`{spec.directory}` holds no files")
    feature = entry.parent / "features" / f"{FEATURE}.nix"
    text = render_feature(spec.user, dotfiles, feature, spec.out_of_store)
    edits = _import_into(index, entry, relative_import(feature, entry.parent))
    if files.taken(feature):
        existing = (
            repo.ev.files.source(repo.root / feature).text if files.has_file(feature) else b""
        )
        if existing == text.encode() and not edits:
            return Plan()  # adopted already: a second run changes nothing
        raise HomewardError(
            f"`{feature}` already exists; homeward does not overwrite files",
            hint="move it out of the way, or add the entries to it by hand",
        )
    ledger = []
    for d in dotfiles:
        option, name = d.option
        ledger.append(
            Moved(
                str(d.source),
                Location(Path(d.source), 1, 1),
                Path(feature),
                f"{option}.{quote_string(name)}.source",
                f"~/{d.target}",
            )
        )
    notes = (
        Diagnostic(
            Severity.NOTE,
            "files already in $HOME at these paths are in the way of home-manager's links: "
            "activation moves them aside with `home-manager.backupFileExtension` (which "
            '`homeward migrate` sets); without it activation stops at "would be clobbered"',
        ),
    )
    return Plan(
        edits=tuple(edits),
        new_files=(NewFile(Path(feature), text.encode(), f"{spec.user}'s adopted dotfiles"),),
        diagnostics=notes,
        ledger=tuple(ledger),
    )


def _import_into(index: Index, entry: PurePosixPath, rel: str) -> list[Edit]:
    """Edits adding `rel` to the imports of the module at `entry` (none when it is there)."""
    repo = index.repo
    source = repo.ev.files.source(repo.root / entry)
    module = read_module(source)
    if module.body is None:
        raise HomewardError(
            f"cannot edit `{entry}`: it is not an attribute set", at=source.location(0)
        )
    why = f"import {rel}"
    for d in module.find_exact(("imports",)):
        value = unparen(d.value)
        if value.type != "list_expression":
            continue
        existing = {node_text(e, source.text) for e in named_children(value)}
        if rel in existing:
            return []
        return [
            Edit(Path(entry), s.start_byte, s.end_byte, s.new, why)
            for s in append_to_list(value, source.text, [rel])
        ]
    first = next(iter(bindings_of(module.body)), None)
    code = list_binding("imports", [rel])
    if first is None:
        s = insert_binding(module.body, source.text, code)
        return [Edit(Path(entry), s.start_byte, s.end_byte, s.new, why)]
    indent = indent_at(source.text, first.start_byte)
    new = f"{code}\n\n{indent}".encode()
    return [Edit(Path(entry), first.start_byte, first.start_byte, new, why)]


# -- dotfiles NixOS manages for a user: tmpfiles links ---------------------------------------

# `L /home/ham/.config/x - - - - ` before `${./x}`: a link (`L+` replaces what is there); `C`
# a copy made when the target is missing (`C+`: made again each time).
_LINK_RULE = re.compile(r"([LC]\+?)\s+(/\S+)\s+-\s+-\s+-\s+-\s+")


@dataclass(frozen=True, slots=True)
class Link:
    """A NixOS tmpfiles rule (or activation script line) putting a file of the repository into
    a user's home: a link (home.file), or a mutable copy (`copy`: a tmpfiles `C`/`C+` rule)."""

    target: PurePosixPath  # relative to $HOME
    source: PurePosixPath  # repo-relative: the file linked to
    replaces: bool  # `L+`/`C+`: what is in the way is replaced
    copy: bool = False

    @property
    def option(self) -> tuple[str, str]:
        return Dotfile(self.source, self.target).option


def tmpfiles_links(
    value: Node, text: bytes, home: str, directory: PurePosixPath
) -> list[Link] | str:
    """The links of a `systemd.tmpfiles.rules` list written in a file of `directory`, when
    every rule is a link of a repository file (`${./x}`) into `home`; else why not.

    Each is exactly what home-manager's `home.file.<target>.source` makes: a link into the
    store copy of that file (home-manager also replaces a file in the way, after backing it up).
    """
    node = value
    while node.type == "parenthesized_expression":
        node = named_children(node)[0]
    if node.type != "list_expression":
        return "the rules are not written as a list"
    links = []
    for element in named_children(node):
        if element.type == "comment":
            continue
        parts = [c for c in named_children(element) if c.type != "comment"]
        if element.type != "string_expression" or [p.type for p in parts] != [
            "string_fragment",
            "interpolation",
        ]:
            return f"`{node_text(element, text)}` is not a link to a file of the repository"
        rule = _LINK_RULE.fullmatch(node_text(parts[0], text))
        path = named_children(parts[1])
        if rule is None or len(path) != 1 or path[0].type != "path_expression":
            return f"`{node_text(element, text)}` is not an `L`/`L+` link to a repository file"
        target = rule[2]
        if not target.startswith(home.rstrip("/") + "/"):
            return f"`{target}` is not in `{home}`"
        literal = node_text(path[0], text)
        if not literal.startswith(("./", "../")):
            return f"`{literal}` is not a path of the repository"
        source = PurePosixPath(posixpath.normpath(str(directory / literal)))
        if source.parts[:1] == ("..",):
            return f"`{literal}` leaves the repository"
        rel = PurePosixPath(target[len(home.rstrip("/")) + 1 :])
        links.append(Link(rel, source, rule[1].endswith("+"), rule[1].startswith("C")))
    if not links:
        return "no link rules"
    return links


# `ln -s ${./x} /home/ham/.x` (with -f, -n, -T in any order) or `cp ${./x} /home/ham/.x`, the
# target optionally quoted; nothing else on the line.
_SCRIPT_LINE = re.compile(r"(ln\s+-[sfnT]*s[sfnT]*|cp(?:\s+-[fT]+)?)\s+(\S+)\s+\"?(/[^\s\"]+)\"?")


def script_links(value: Node, text: bytes, home: str, directory: PurePosixPath) -> list[Link] | str:
    """The files an activation script puts into `home`, when every line of it is `ln -s` (a
    link, like home.file) or `cp` (a copy, made again at each activation: a `C+` rule) of a
    repository file (`${./x}`) into `home`; else why not."""
    node = value
    while node.type == "parenthesized_expression":
        node = named_children(node)[0]
    if node.type not in ("string_expression", "indented_string_expression"):
        return "the script is not written as a string"
    # The script's text with each `${./path}` replaced by a placeholder naming the path.
    pieces: list[str] = []
    paths: list[str] = []
    for part in named_children(node):
        if part.type == "interpolation":
            inner = named_children(part)
            if len(inner) != 1 or inner[0].type != "path_expression":
                return f"`{node_text(part, text)}` is not a file of the repository"
            paths.append(node_text(inner[0], text))
            pieces.append(f"\x00{len(paths) - 1}\x00")
        elif part.type == "comment":
            continue
        else:
            pieces.append(node_text(part, text))
    links = []
    for line in "".join(pieces).splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = _SCRIPT_LINE.fullmatch(line)
        if m is None:
            return f"`{line.replace(chr(0), '')}` is not `ln -s` or `cp` of a repository file"
        ref = re.fullmatch(r"\x00(\d+)\x00", m[2])
        if ref is None:
            return f"`{m[2]}` is not a file of the repository"
        literal = paths[int(ref[1])]
        if not literal.startswith(("./", "../")):
            return f"`{literal}` is not a path of the repository"
        source = PurePosixPath(posixpath.normpath(str(directory / literal)))
        if source.parts[:1] == ("..",):
            return f"`{literal}` leaves the repository"
        target = m[3]
        if not target.startswith(home.rstrip("/") + "/"):
            return f"`{target}` is not in `{home}`"
        rel = PurePosixPath(target[len(home.rstrip("/")) + 1 :])
        copy = m[1].startswith("cp")
        links.append(Link(rel, source, True, copy))
    if not links:
        return "the script does nothing"
    return links


def copy_rule(link: Link, directory: PurePosixPath) -> str:
    """home-manager's systemd.user.tmpfiles rule for a copy, in a file of `directory`."""
    kind = "C+" if link.replaces else "C"
    path = nix.Raw(_nix_path(link.source, directory))
    source = nix.Paren(path) if " " in path.code else path  # `${./. + "/a b"}`
    return nix.emit(nix.Interpolated([f"{kind} %h/{link.target} - - - - ", source]))


def link_code(link: Link, directory: PurePosixPath) -> str:
    """The home-manager binding for a link, in a file of `directory`."""
    return nix.emit_binding(_link_key(link.option), nix.Raw(_nix_path(link.source, directory)))
