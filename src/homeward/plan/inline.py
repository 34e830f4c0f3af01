"""A home written inline in a NixOS module (`home-manager.users.<u> = { ... };`) becomes a file
of the user's home when it is portable (issue 11)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.model.repo import ModuleInfo
from homeward.plan.chunks import CannotMove, Chunk, Renderer, covering_step, names_before
from homeward.plan.darwin import system_option
from homeward.plan.state import Mode, PlanState, UserPlan
from homeward.plan.types import Moved
from homeward.plan.writes import HomeWrites, Open, Put, Verbatim, take_writes
from homeward.syntax import emit as nix
from homeward.syntax.edit import indent_at, reindent
from homeward.syntax.find import Definition, StepKind
from homeward.syntax.nodes import unparen

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class InlineCut:
    """What becomes of a home written inline in a NixOS module: the file of the user's home
    it is written to and what is written there (`home`: the file opened for every host of the
    user, its whole text, the moved binding the cut phase reads), the binding cut out of its
    module and the ledger's line; or, where it stays (`path` None), the warning that says
    why."""

    path: PurePosixPath | None = None
    home: HomeWrites = field(default_factory=HomeWrites)
    module: str = ""  # the key of the module it leaves
    removed: Node | None = None
    ledger: Moved | None = None
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def text(self) -> str:
        """The new file, verbatim."""
        return next((w.text for w in self.home.writes if isinstance(w, Verbatim)), "")

    @property
    def chunk(self) -> Chunk | None:
        """What the cut phase reads: the moved binding and its needs."""
        return next((w.chunk for w in self.home.writes if isinstance(w, Put)), None)


# -- a home written inline in a NixOS module ------------------------------------------------
def adopt_inline(st: PlanState, up: UserPlan) -> bool:
    """The user's inline home adopted (`inline_home`) and taken into the plan."""
    cut = inline_home(st, up)
    return cut is not None and take_inline(st, up, cut)


def take_inline(st: PlanState, up: UserPlan, cut: InlineCut) -> bool:
    """Fold an inline home's cut into the plan (its writes replayed as the other phases'
    are); whether it moved."""
    st.diagnostics.extend(cut.diagnostics)
    if cut.path is None or cut.removed is None or cut.ledger is None:
        return False
    take_writes(st, up, cut.home)
    st.removed[cut.module].append(cut.removed)
    st.ledger.append(cut.ledger)
    up.home_modules.append(cut.path)
    up.inline = []
    return True


def inline_home(st: PlanState, up: UserPlan) -> InlineCut | None:
    """`home-manager.users.<u> = { ... };` written in a NixOS module becomes a file of the
    user's home (imported by the entry) when it reads nothing only the NixOS module has, so
    that `homeConfigurations."<u>@<host>"` can use it too (issue 11); otherwise it stays,
    and one warning says why there is no standalone configuration. None: nothing to do.
    Reads the plan state, changes nothing."""
    if not up.inline:
        return None
    if st.opts.mode is Mode.MODULE or "homeConfigurations" in st.output_names():
        return None  # no standalone configuration is added: nothing to gain
    d = up.inline[0]
    info = st.index.inline_modules.get(id(d))
    why, binding = inline_not_portable(st, up, d, info)
    renderer = None
    path = st.free_path(PurePosixPath("home") / up.user.name / "home.nix")
    value = binding.child_by_field_name("expression") if binding is not None else None
    if why is None and value is not None:
        assert info is not None
        renderer = Renderer(
            d.source,
            True,
            frozenset(),
            rebase=(PurePosixPath(d.source.path).parent, path.parent),
        )
        try:
            code = renderer.text(value)
        except CannotMove as cannot:
            why = cannot.why
        else:
            if "osConfig" in renderer.needs.args:
                why = "it reads the NixOS `config`, which a standalone configuration does not have"
    if why is not None:
        where = system_option(st.index, info, "module") if info is not None else "a NixOS module"
        warning = Diagnostic(
            Severity.WARNING,
            f"no `homeConfigurations` for `{up.user.name}`: their home-manager configuration "
            f"is written inside {where} and stays there: {why}",
            d.source.location(d.binding.start_byte),
            hint=f"move `home-manager.users.{up.user.name}` into home/{up.user.name}/ by "
            "hand, then run again",
        )
        return InlineCut(diagnostics=(warning,))
    assert info is not None and renderer is not None and binding is not None
    # Out by the indentation of the value's first line: nixfmt writes a function value on
    # the lines below its name, one level in.
    start = value.start_byte if value is not None else binding.start_byte
    code = reindent(code, indent_at(d.source.text, start), "")
    needs = renderer.needs
    module: object = nix.Raw(needs.wrap(code))
    lets = [text for _start, (_name, text) in sorted(needs.lets.items())]
    if lets:
        module = nix.Let(nix.Attrs([nix.Raw(text) for text in lets]), module)
    if needs.args:
        module = nix.Func(sorted(needs.args), module)
    what = f"home-manager.users.{up.user.name}"
    at = d.source.location(binding.start_byte)
    # Every host of the user reads it (`inline_not_portable`): one file for all of them.
    writes = (
        Open(path, up.hosts),
        Verbatim(path, nix.emit_file(module).decode()),
        Put(path, Chunk((), "", needs, [d], binding)),
    )
    return InlineCut(
        path,
        HomeWrites(writes),
        info.key,
        d.steps[covering_step(d, 3)].node,
        Moved(what, at, Path(path), "a home-manager module"),
    )


def inline_not_portable(
    st: PlanState, up: UserPlan, d: Definition, info: ModuleInfo | None
) -> tuple[str | None, Node | None]:
    """Why the inline home of `up` cannot become a file of their home (None: it can), and
    the binding `home-manager.users.<u> = ...;` that holds it."""
    bindings: set[tuple[int, int]] = set()
    found: Node | None = None
    for x in up.inline:
        try:
            k = covering_step(x, 3)
        except CannotMove:
            return "it is not written as one binding", None
        if x.source is not d.source or names_before(x, k) + len(x.steps[k].names) != 3:
            return "it is written as several definitions", None
        if any(s.kind is not StepKind.BINDING for s in x.steps[:k]):
            return "it is written under a condition", None
        found = x.steps[k].node
        bindings.add((id(x.source), found.start_byte))
    if len(bindings) != 1 or found is None:
        return "it is written as several definitions", None
    if info is None or info.source is st.repo.flake:
        return "it is written in flake.nix, where homeward does not move it from yet", None
    if info.frozen:
        return f"`{info.key}` is left as it is ({min(info.frozen.items())[1]})", None
    if info.hosts != set(up.hosts):
        return f"`{info.key}` applies it on some of `{up.user.name}`'s hosts only", None
    if not up.new_entry:
        return "the user has a home-manager entry file as well", None
    value = found.child_by_field_name("expression")
    value = unparen(value) if value is not None else None
    if value is not None and value.type == "function_expression":
        body = value.child_by_field_name("body")
        if body is None or unparen(body).type != "attrset_expression":
            return "it is a function whose body is not an attribute set", None
    elif value is None or value.type != "attrset_expression":
        return "it is not written as an attribute set", None
    return None, found
