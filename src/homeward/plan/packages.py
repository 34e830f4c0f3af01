"""`users.users.<u>.packages` to the user's `home.packages`, split into feature files."""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from homeward.diagnostics import Severity
from homeward.knowledge.mapping import Fate, Feature, classify, package_feature
from homeward.model.repo import ModuleInfo, stays_system
from homeward.plan.chunks import (
    CannotMove,
    binding_chunk,
    binding_comments,
    covering_step,
    package_items,
)
from homeward.plan.files import DestFile
from homeward.plan.state import PlanState, UserPlan
from homeward.plan.types import Moved
from homeward.syntax.edit import indent_at, leading_comments, reindent
from homeward.syntax.find import Definition
from homeward.syntax.nodes import node_text
from homeward.syntax.suppress import is_suppressed

if TYPE_CHECKING:
    from tree_sitter import Node

    from homeward.syntax.parse import Source


def move_all_packages(st: PlanState, up: UserPlan) -> bool:
    moved = False
    name = up.user.name
    hosts = st.user_hosts[name]
    st.note_frozen(up.user)
    for info in st.index.accounts.get(name, ()):
        if info.frozen or hosts.isdisjoint(info.hosts):
            continue
        # Only `users.users.<name>.packages` (and below) is PACKAGES for this user.
        for d in st.index.by_head(info).get("users", ()):
            path = d.path
            if len(path) < 4 or path[1] != "users" or path[2] != name or d.dynamic:
                continue
            if stays_system(d, st.system_users):
                continue
            if classify(path, name).fate is Fate.PACKAGES:
                moved |= move_packages(st, up, info, d)
    return moved


# -- packages ---------------------------------------------------------------------------------
def move_packages(st: PlanState, up: UserPlan, info: ModuleInfo, d: Definition) -> bool:
    reach = st.reach(up, info)
    if not reach:
        return False
    if is_suppressed(d.source.text, d.location.line, "HW002"):
        # Why (issue 14): `# homeward: ignore[HW002]` is a decision to keep the list here;
        # moving it carried the comment into home.packages.
        st.kept_packages.add(id(d))
        st.note(
            f"`{d.dotted}` stays where it is: `# homeward: ignore[HW002]` keeps it",
            Severity.NOTE,
            d.binding,
            d.source,
        )
        return False
    renderer = st.renderer(info, home=True)
    target_dir = st.home_dest(up, reach, Feature.PACKAGES).dir
    renderer.rebase = (PurePosixPath(info.source.path).parent, target_dir)
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
        targets: list[DestFile] = []
        names_to: dict[PurePosixPath, list[str]] = {}  # the ledger's package -> file
        overrides = dict(st.opts.package_features)
        if items is not None:
            for item in items:
                feature = package_feature(item.name, overrides) if item.name else Feature.PACKAGES
                dest = st.home_dest(up, reach, feature)
                dest.items.append(item)
                if dest not in targets:
                    targets.append(dest)
                if item.name:
                    names_to.setdefault(dest.path, []).append(item.name)
        else:
            chunk = binding_chunk([d], 4, ("home", "packages"), {}, renderer)
            chunk.packages = True
            names = re.findall(r"[A-Za-z_][\w'-]*", chunk.value_code)
            target = st.home_dest(
                up,
                reach,
                _majority(
                    [
                        package_feature(n, overrides)
                        for n in names
                        if package_feature(n, overrides) is not Feature.PACKAGES
                    ]
                ),
            )
            target.chunks.append(chunk)
            targets.append(target)
    except CannotMove as why:
        st.kept_packages.add(id(d))
        st.note(
            f"`{d.dotted}` {st.stays(info)}: {why.why}",
            Severity.WARNING,
            why.node or d.binding,
            d.source,
            "move it by hand, or make it readable without that name",
        )
        return False
    if "osConfig" in renderer.needs.args:
        up.osconfig_hosts.update(reach)
    st.remove(info, d, 4)
    for target in targets:
        st.ledger.append(
            Moved(
                d.dotted,
                d.location,
                Path(target.path),
                "home.packages",
                packages=tuple(names_to.get(target.path, ())),
            )
        )
    return True


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
