"""`verify`'s text output: a table per comparison, the details, one summary line."""

from __future__ import annotations

from homeward.model.compare import Comparison, Report
from homeward.render import console


def render_report(report: Report) -> None:
    console.out(f"verify: the working tree against {report.against} ({report.revision[:12]})")
    if not report.comparisons:
        console.out("no hosts, users or home configurations to compare")
    for c in report.comparisons:
        console.out()
        console.table(
            ["", "same", "added", "lost", "changed"],
            [
                [
                    "packages",
                    str(len(c.packages.same)),
                    str(len(c.packages.added)),
                    str(len(c.packages.lost)),
                    "-",
                ],
                [
                    "settings",
                    str(len(c.settings.same)),
                    str(len(c.settings.added)),
                    str(len(c.settings.lost)),
                    str(len(c.settings.changed)),
                ],
            ],
            title=f"{c.output}  (compared with {c.baseline})",
        )
        for line in details(c):
            console.out(f"  {line}")
    console.out()
    console.out(summary(report))


def details(c: Comparison) -> list[str]:
    lines: list[str] = []
    if c.packages.lost:
        lines.append("lost packages: " + ", ".join(c.packages.lost))
    if c.packages.added:
        lines.append("added packages: " + ", ".join(c.packages.added))
    for key, value in c.settings.lost.items():
        lines.append(f"lost setting {key} = `{value}`")
    for key, value in c.settings.added.items():
        lines.append(f"added setting {key} = `{value}`")
    for key, (b, a) in c.settings.changed.items():
        lines.append(f"changed setting {key}: `{b}` -> `{a}`")
    for name, why in c.packages.accounted.items():
        # Why: an accounted package was added or lost, as expected; it is not "the same".
        verb = "lost" if name in c.packages.lost_as_expected else "added"
        lines.append(f"{verb}, as expected: {name} ({why})")
    return lines


def summary(report: Report) -> str:
    if report.equal and report.uncompared:
        return "no difference in what was compared; not compared: " + ", ".join(report.uncompared)
    if report.equal:
        return "no difference"
    parts: list[str] = []
    for c in report.comparisons:
        if not c.differs:
            continue
        counts = [
            (len(c.packages.lost), "package lost", "packages lost"),
            (len(c.packages.added), "package added", "packages added"),
            (len(c.settings.lost), "setting lost", "settings lost"),
            (len(c.settings.added), "setting added", "settings added"),
            (len(c.settings.changed), "setting changed", "settings changed"),
        ]
        said = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in counts if n)
        parts.append(f"{c.output}: {said}")
    return "differences: " + "; ".join(parts)
