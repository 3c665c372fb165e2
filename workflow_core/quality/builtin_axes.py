"""The built-in quality axes, registered in the order reports show them. Each names the function of its own
module that measures a page (`Axis.measure`); the weights are what a visitor and the business lose when the
axis fails (docs/quality.md says why). A new axis is one more `register_axis` here, or in a plugin's module."""

from __future__ import annotations

from workflow_core.quality.accessibility import fallback_accessibility, rendered_accessibility
from workflow_core.quality.axes import Axis, PageToCheck, register_axis
from workflow_core.quality.brand import check_brand
from workflow_core.quality.grounding import check_grounding
from workflow_core.quality.integrity import check_integrity
from workflow_core.quality.personalisation import check_personalisation
from workflow_core.quality.responsive import fallback_responsive, rendered_responsive
from workflow_core.quality.substance import check_substance
from workflow_core.quality.wants import check_wants
from workflow_core.records import AxisResult

# Module-level functions, not lambdas: a page worker process (`run.offload`) receives the axes it measures
# pickled, and a function pickles by its name.


def _accessibility(p: PageToCheck) -> AxisResult:
    if p.rendered is not None:
        return rendered_accessibility(p.rendered)
    return fallback_accessibility(p.html, p.page, p.why_not_rendered)


def _responsive(p: PageToCheck) -> AxisResult:
    if p.rendered is not None:
        return rendered_responsive(p.rendered, p.available_files, p.page)
    return fallback_responsive(p.page, p.available_files, p.why_not_rendered)


def _grounding(p: PageToCheck) -> AxisResult:
    return check_grounding(p.text, p.sources)


def _integrity(p: PageToCheck) -> AxisResult:
    return check_integrity(p.text, p.sources, p.page.root)


def _personalisation(p: PageToCheck) -> AxisResult | None:
    return check_personalisation(p.text, p.sources)


def _wants(p: PageToCheck) -> AxisResult | None:
    return check_wants(p.text, p.sources)


def _brand(p: PageToCheck) -> AxisResult | None:
    return check_brand(p.page, p.text, p.sources)


def _substance(p: PageToCheck) -> AxisResult:
    return check_substance(p.text, p.sources)


register_axis(
    Axis(
        "accessibility",
        "axe-core in headless Chromium at 1280 and 390 px: violations by impact "
        "(static checks as a labelled fallback when Chromium is missing)",
        default_weight=2.0,
        measure=_accessibility,
        calibrated=False,
    )
)
register_axis(
    Axis(
        "responsive",
        "rendered at 390 px: no sideways overflow, no text under 12 px, tap targets; broken "
        "resources and console errors at both widths",
        default_weight=1.0,
        measure=_responsive,
        calibrated=False,
    )
)
register_axis(
    Axis(
        "grounding",
        "every factual claim (figures, money, dates, contact details, names, certifications) is "
        "supported by the run's sources",
        default_weight=2.0,
        measure=_grounding,
    )
)
register_axis(
    Axis(
        "integrity",
        "no leaked instructions or meta-talk, no template residue, no cut-off text, no speaking as "
        "the visitor's company, no negative claims about the seller",
        default_weight=2.0,
        blocking=True,
        measure=_integrity,
    )
)
register_axis(
    Axis(
        "personalisation",
        "addresses the visitor's segment and needs without reciting their profile",
        default_weight=1.5,
        measure=_personalisation,
    )
)
register_axis(
    Axis(
        "wants",
        "speaks to what the visitor said they want: the share of the words of their goals, interests, "
        "needs and recent activity the page's copy uses (full marks at half)",
        default_weight=2.0,
        measure=_wants,
        # Measured against people's blind rankings (the preference set), not labelled defects.
        calibrated=False,
    )
)
register_axis(
    Axis(
        "brand",
        "the guidelines' rules: banned words, parseable tone rules, call to action, named sections",
        default_weight=1.0,
        measure=_brand,
    )
)
register_axis(
    Axis(
        "substance",
        "a page at all: a headline that offers something, an offer, an ask and a close that asks; "
        "nothing said twice",
        default_weight=2.0,
        blocking=True,
        measure=_substance,
    )
)
register_axis(
    Axis(
        "judge",
        "an LLM judge's answers to a fixed yes/no checklist (optional)",
        default_weight=1.0,
        calibrated=False,
    )
)
register_axis(
    Axis("people", "people's blind pairwise votes (in the lab)", default_weight=2.0, calibrated=False)
)
