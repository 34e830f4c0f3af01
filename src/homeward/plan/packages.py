"""`users.users.<u>.packages` to the user's `home.packages`, split into feature files: placed
(`plan/place.py`), cut into a `PackageCut` (data), then taken into the plan."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Diagnostic, Severity
from homeward.knowledge.mapping import Feature, package_feature
from homeward.plan.chunks import (
    CannotMove,
    Chunk,
    PackageItem,
    binding_chunk,
    binding_comments,
    covering_step,
    package_items,
)
from homeward.plan.place import Placement, place_packages
from homeward.plan.priority import HINT, HOME_PACKAGES, OWN_HINT, first_met, own_priority, own_why
from homeward.plan.state import PlanState, UserPlan
from homeward.plan.types import Moved
from homeward.plan.writes import HomeWrites, Item, Open, Put, take_writes
from homeward.syntax.edit import indent_at, leading_comments, reindent
from homeward.syntax.nodes import node_text

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source


@dataclass(frozen=True, slots=True)
class PackageCut:
    """What the cut phase makes of one placed package list: its writes into the user's home
    files (`home`: the files it fills, in the order they are planned, then its items or its
    whole value by file), the ledger's lines, the binding it takes out of its module; or,
    where it stays (`removed` None), why."""

    placement: Placement
    home: HomeWrites = field(default_factory=HomeWrites)
    ledger: tuple[Moved, ...] = ()
    removed: Node | None = None  # None: the list stays where it is
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def kept(self) -> bool:
        return self.removed is None

    @property
    def files(self) -> tuple[PurePosixPath, ...]:
        return tuple(w.path for w in self.home.writes if isinstance(w, Open))

    @property
    def items(self) -> tuple[tuple[PurePosixPath, PackageItem], ...]:
        return tuple((w.path, w.item) for w in self.home.writes if isinstance(w, Item))

    @property
    def chunks(self) -> tuple[tuple[PurePosixPath, Chunk], ...]:
        return tuple((w.path, w.chunk) for w in self.home.writes if isinstance(w, Put))


def move_all_packages(st: PlanState, up: UserPlan) -> tuple[PackageCut, ...]:
    """The user's package lists placed, cut, and taken into the plan."""
    home = st.home_of(up)
    cuts = []
    for placement in place_packages(st.index, home):
        met = first_met(st.priorities(up.user.name), [HOME_PACKAGES]) if placement.moves else None
        own = own_priority(placement.definition) if placement.moves else None
        if met is not None:
            # A priority on `home.packages` in the user's home: what moves there would be
            # dropped, or drop what is there (plan/priority.py).
            placement = replace(placement, why=met[0].why(met[1], up.user.name), hint=HINT)
        elif own is not None:
            # A list with a priority of its own would be ranked against the home's packages,
            # and the package of each program the home (or migrate) enables.
            beside = "every definition of (the home-manager command, programs' packages)"
            why = own_why(own, HOME_PACKAGES, up.user.name, beside)
            placement = replace(placement, why=why, hint=OWN_HINT)
        cut = cut_packages(st, placement)
        take_packages(st, up, cut)
        cuts.append(cut)
    return tuple(cuts)


def take_packages(st: PlanState, up: UserPlan, cut: PackageCut) -> None:
    """Fold one package cut into the plan: its files, their contents, its ledger lines."""
    st.diagnostics.extend(cut.diagnostics)
    take_writes(st, up, cut.home)
    if cut.removed is not None:
        st.removed[cut.placement.module.key].append(cut.removed)
    st.ledger.extend(cut.ledger)


# -- packages ---------------------------------------------------------------------------------
def cut_packages(st: PlanState, placement: Placement) -> PackageCut:
    """A placed `users.users.<u>.packages` as the items (or the whole value) that go to the
    user's home files, by feature; reads the plan state, changes nothing."""
    d, info = placement.definition, placement.module
    if not placement.moves:
        # Why (issue 14): `# homeward: ignore[HW002]` is a decision to keep the list here;
        # moving it carried the comment into home.packages.
        at = d.source.location(d.binding.start_byte)
        severity = Severity.WARNING if placement.hint else Severity.NOTE
        why = Diagnostic(
            severity,
            f"`{d.dotted}` stays where it is: {placement.why}",
            at,
            hint=placement.hint,
        )
        return PackageCut(placement, diagnostics=(why,))
    renderer = st.renderer(info, home=True)
    packages_path = placement.destination(Feature.PACKAGES)
    renderer.rebase = (PurePosixPath(info.source.path).parent, packages_path.parent)
    files = [packages_path]
    items_to: list[tuple[PurePosixPath, PackageItem]] = []
    chunks_to: list[tuple[PurePosixPath, Chunk]] = []
    try:
        items = package_items(d, renderer)
        if items:
            binding = d.steps[covering_step(d, 4)].node
            comments = _leading_comment_text(binding, d.source)
            inside = binding_comments(binding, d.value, d.source).replace(
                "\n" + indent_at(d.source.text, binding.start_byte), "\n"
            )
            lines = "\n".join(c for c in (comments, inside) if c)
            if lines:
                items[0].code = f"{lines}\n{items[0].code}"
        targets: list[PurePosixPath] = []
        names_to: dict[PurePosixPath, list[str]] = {}  # the ledger's package -> file
        overrides = dict(st.opts.package_features)
        if items is not None:
            for item in items:
                feature = package_feature(item.name, overrides) if item.name else Feature.PACKAGES
                path = placement.destination(feature)
                files.append(path)
                items_to.append((path, item))
                if path not in targets:
                    targets.append(path)
                if item.name:
                    names_to.setdefault(path, []).append(item.name)
        else:
            chunk = binding_chunk([d], 4, ("home", "packages"), {}, renderer)
            chunk.packages = True
            names = re.findall(r"[A-Za-z_][\w'-]*", chunk.value_code)
            path = placement.destination(
                _majority(
                    [
                        package_feature(n, overrides)
                        for n in names
                        if package_feature(n, overrides) is not Feature.PACKAGES
                    ]
                ),
            )
            files.append(path)
            chunks_to.append((path, chunk))
            targets.append(path)
    except CannotMove as why:
        node = why.node or d.binding
        warning = Diagnostic(
            Severity.WARNING,
            f"`{d.dotted}` {st.stays(info)}: {why.why}",
            d.source.location(node.start_byte),
            hint="move it by hand, or make it readable without that name",
        )
        opened = HomeWrites((Open(packages_path, placement.reach),))
        return PackageCut(placement, opened, diagnostics=(warning,))
    ledger = tuple(
        Moved(
            d.dotted,
            d.location,
            Path(target),
            "home.packages",
            packages=tuple(names_to.get(target, ())),
        )
        for target in targets
    )
    reach = placement.reach
    home = HomeWrites(
        (
            *(Open(path, reach) for path in files),
            *(Item(path, item) for path, item in items_to),
            *(Put(path, chunk) for path, chunk in chunks_to),
        ),
        # the moved code reads the NixOS configuration (`osConfig`) on those hosts
        osconfig=frozenset(reach) if "osConfig" in renderer.needs.args else frozenset(),
    )
    return PackageCut(
        placement,
        home,
        ledger=ledger,
        removed=d.steps[covering_step(d, 4)].node,
    )


def _leading_comment_text(node: Node, source: Source) -> str:
    """The comment lines directly above a binding, at indentation 0."""
    comments = leading_comments(node, source.text)
    return "\n".join(
        reindent(node_text(c, source.text), indent_at(source.text, c.start_byte), "")
        for c in comments
    )


def _majority(features: list[Feature]) -> Feature:
    """The feature most of the packages belong to; `packages` when no feature has most."""
    counts: dict[Feature, int] = defaultdict(int)
    for f in features:
        counts[f] += 1
    for feature, count in counts.items():
        if count * 2 > len(features):
            return feature
    return Feature.PACKAGES
