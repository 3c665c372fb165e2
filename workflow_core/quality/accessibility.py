"""The accessibility axis: axe-core's violations in headless Chromium at 1280 and 390 px, one finding per
violated rule quoting the offending elements. Without a browser, the static checks stand in, labelled as such.

Score: each violated rule costs `IMPACT_WEIGHTS[impact] × (1 + ½·ln n)` for its n offending elements (both
widths together), and the axis scores exp(−total cost). So one critical violation scores 0.74, one serious
0.82, one moderate 0.95 and one minor 0.98; ten elements failing one rule cost 2.15 times one element; the
score never reaches 0, so a page with more violations always scores lower.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from workflow_core.page.checks.common import LoadedPage
from workflow_core.quality.axes_static import static_accessibility
from workflow_core.quality.model import AxisResult
from workflow_core.quality.rendered import IMPACTS, AxeViolation, Element, Rendered
from workflow_core.records import QAFinding

IMPACT_WEIGHTS = {"critical": 0.30, "serious": 0.20, "moderate": 0.05, "minor": 0.02}
EVIDENCE_ELEMENTS = 5  # elements quoted per finding; the message counts them all


def cost(weight: float, count: int) -> float:
    """What a defect found on `count` elements costs an axis: more elements cost more, less than linearly."""
    return weight * (1 + 0.5 * math.log(max(count, 1)))


def score_of_costs(costs: Iterable[float]) -> float:
    """An axis's score from its defects' costs: exp(−total), 1.0 with none."""
    return round(math.exp(-sum(costs)), 4)


def quote(elements: Iterable[Element]) -> str:
    """Evidence naming each element by selector and opening tag, with what is wrong with it."""
    items = list(elements)
    lines = [f"{e.evidence} ({e.detail})" if e.detail else e.evidence for e in items[:EVIDENCE_ELEMENTS]]
    if len(items) > EVIDENCE_ELEMENTS:
        lines.append(f"… and {len(items) - EVIDENCE_ELEMENTS} more")
    return "\n".join(lines)


def at_widths(widths: Iterable[int]) -> str:
    return " and ".join(f"{w}" for w in sorted(set(widths), reverse=True)) + " px"


def skipped(axis: str, reason: str) -> QAFinding:
    """The finding that says an axis fell back to static checks, and why (weight 0: it is not the page's
    fault, but it is never silent)."""
    return QAFinding(
        check=f"{axis}.rendered",
        axis=axis,
        passed=False,
        message=f"rendered checks skipped: {reason}",
        weight=0.0,
    )


def rendered_accessibility(rendered: Rendered) -> AxisResult:
    """The accessibility axis from axe-core's violations at every width rendered."""
    merged: dict[str, tuple[AxeViolation, dict[tuple[str, str], Element], set[int]]] = {}
    for width in sorted(rendered.widths, reverse=True):
        for v in rendered.widths[width].violations:
            _, elements, widths = merged.setdefault(v.rule, (v, {}, set()))
            widths.add(width)
            for e in v.elements:
                elements.setdefault((e.selector, e.html), e)
    findings = []
    worst_first = sorted(merged.values(), key=lambda m: (_rank(m[0].impact), m[0].rule))
    for v, elements, widths in worst_first:
        n = len(elements)
        findings.append(
            QAFinding(
                check=f"accessibility.{v.rule}",
                axis="accessibility",
                passed=False,
                message=(
                    f"{v.help} ({v.impact}; axe-core rule {v.rule}, {n} element{'s' * (n != 1)} at "
                    f"{at_widths(widths)}). How to fix: {v.help_url}"
                ),
                evidence=quote(elements.values()),
                weight=round(cost(IMPACT_WEIGHTS.get(v.impact, IMPACT_WEIGHTS["minor"]), n), 4),
            )
        )
    if not findings:
        findings.append(
            QAFinding(
                check="accessibility.axe",
                axis="accessibility",
                passed=True,
                message=f"axe-core {rendered.axe_version} found no violations at {at_widths(rendered.widths)}.",
            )
        )
    return AxisResult(
        axis="accessibility",
        score=score_of_costs(f.weight for f in findings if not f.passed),
        findings=findings,
    )


def fallback_accessibility(html: str, page: LoadedPage, reason: str) -> AxisResult:
    """The static checks, labelled: on the axis's note and as a finding."""
    axis = static_accessibility(html, page, f"rendered checks skipped: {reason}")
    return axis.model_copy(update={"findings": [skipped("accessibility", reason), *axis.findings]})


def _rank(impact: str) -> int:
    return IMPACTS.index(impact) if impact in IMPACTS else len(IMPACTS)
