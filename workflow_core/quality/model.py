"""The quality of a page as named axes: each a score in [0, 1] with findings that quote their evidence, and
the page's score as the weighted mean of the axes that were measured (weights the user sees and can change).
The report's shape (`QualityReport`, `AxisResult`) lives with the records, which keep it; the rules that score
and judge it live here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from workflow_core.quality.axes import axes, default_weights
from workflow_core.quality.version import checker_version
from workflow_core.records import AxisResult, QAFinding, QualityReport

__all__ = ["AxisResult", "QualityReport"]  # re-exported: where the quality code has always found them

# Defects of presentation: text a visitor cannot see or read where it stands (under a fixed header, drawn over
# other text, too faint, off the side of a phone) or a page in the browser's default styles. Blind raters put
# every such page below any page whose copy needs edits (docs/quality.md).
PRESENTATION = frozenset(
    {
        "responsive.covered",
        "responsive.overlap",
        "responsive.styled",
        "responsive.overflow",
        "accessibility.color-contrast",
    }
)
# The verdict "publishable": no failing finding of these checks. Each is a defect a business would not put in
# front of a visitor: every integrity and substance failure, invented claims (not a run of capitalised words no
# source has, which is as often Title Case copy as an invented name), the visitor's own data shown back
# or another segment's testimonials and offerings, a word the guidelines ban, and every defect of presentation
# (docs/quality.md says why). Which axes block as a whole, each axis says (`quality.axes.Axis.blocking`).
BLOCKING_CHECKS = PRESENTATION | frozenset(
    {
        "grounding.contact",
        "grounding.figures",
        "grounding.certifications",
        "grounding.testimonials",
        "grounding.causes",
        "personalisation.recital",
        "personalisation.record",
        "personalisation.private",
        "personalisation.goal_figures",
        "personalisation.third_person",
        "personalisation.fit",
        "brand.banned_words",
    }
)
# A page that is not publishable scores this share of its axes' weighted mean, so it ranks below the
# publishable pages, and half that again with a defect of presentation; one with no copy (`NOT_A_PAGE`) scores 0.
UNPUBLISHABLE = 0.5
NOT_A_PAGE = "substance.empty"


def is_blocking(f: QAFinding) -> bool:
    """Whether a failing finding keeps the page from being published."""
    if f.passed:
        return False
    found = axes().get(f.axis)
    return (found is not None and found.blocking) or f.check in BLOCKING_CHECKS


def blocking(findings: Iterable[QAFinding]) -> list[QAFinding]:
    """The failing findings that keep a page from being published."""
    return [f for f in findings if is_blocking(f)]


def publishable(axis_scores: Mapping[str, float], findings: Iterable[QAFinding]) -> bool | None:
    """True when no blocking finding failed; None for a page checked before the verdict existed (no
    substance axis), whose findings cannot say."""
    if "substance" not in axis_scores:
        return None
    return not blocking(findings)


def page_score(
    axis_scores: Mapping[str, float],
    findings: Iterable[QAFinding],
    weights: Mapping[str, float] | None = None,
) -> float:
    """A page's quality: the weighted mean of its axes; `UNPUBLISHABLE` times that with a blocking defect
    (several defects lower the mean further), and `UNPUBLISHABLE` squared with a defect of presentation; 0 for
    a page with no copy. A page checked before the verdict existed (no substance axis) keeps its weighted
    mean: as for `publishable`, its findings cannot say."""
    if "substance" not in axis_scores:
        return weighted_score(axis_scores, weights)
    failing = blocking(findings)
    if any(f.check == NOT_A_PAGE for f in failing):
        return 0.0
    mean = weighted_score(axis_scores, weights)
    if not failing:
        return mean
    shown_badly = any(f.check in PRESENTATION for f in failing)
    return round(mean * UNPUBLISHABLE ** (2 if shown_badly else 1), 4)


def report_of(
    results: Iterable[AxisResult],
    weights: Mapping[str, float] | None = None,
    screenshots: Mapping[int, bytes] | None = None,
    checker: str | None = None,
) -> QualityReport:
    """The report of these measured axes: their page score under `weights` (`page_score`), the verdict, the
    weights it used, and the checker version that measured them (this process's `checker_version()` unless
    given)."""
    measured = {a.axis: a for a in results}
    scores = {name: a.score for name, a in measured.items()}
    findings = [f for a in measured.values() for f in a.findings]
    return QualityReport(
        score=page_score(scores, findings, weights),
        publishable=publishable(scores, findings),
        axes=measured,
        weights=weights_of(measured, weights),
        checker=checker_version() if checker is None else checker,
        screenshots=dict(screenshots or {}),
    )


def with_axis(
    report: QualityReport, result: AxisResult, weights: Mapping[str, float] | None = None
) -> QualityReport:
    """`report` with the axis `result` joined (an axis of that name is replaced in its place), rescored under
    `weights`, else under the weights it was scored with (a new axis weighs its default): how the judge's
    and people's axes join a run's verdict after its checks."""
    joined = report.model_copy(update={"axes": {**report.axes, result.axis: result}})
    used = weights if weights is not None else (report.weights or None)
    return joined.model_copy(
        update={
            "score": page_score(joined.axis_scores, joined.findings, used),
            "weights": weights_of(joined.axes, used),
        }
    )


def weighted_score(axis_scores: Mapping[str, float], weights: Mapping[str, float] | None = None) -> float:
    """The weighted mean of the axes given (missing weights count as the default, unknown axes as 1.0); the
    plain mean when every weight is 0, and 1.0 when no axis was measured."""
    if not axis_scores:
        return 1.0
    w = effective_weights(weights)
    total = sum(w.get(a, 1.0) for a in axis_scores)
    if total <= 0:
        return round(sum(axis_scores.values()) / len(axis_scores), 4)
    return round(sum(s * w.get(a, 1.0) for a, s in axis_scores.items()) / total, 4)


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """`weights` if every axis is known and every weight is a number ≥ 0; else a ValueError that says which."""
    known = axes()
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise ValueError(f"unknown quality axis {', '.join(unknown)}; the axes are {', '.join(known)}")
    bad = [a for a, w in weights.items() if not isinstance(w, int | float) or w < 0]
    if bad:
        raise ValueError(f"the weight of {', '.join(bad)} must be a number ≥ 0")
    return {a: float(w) for a, w in weights.items()}


def parse_weights(text: str) -> dict[str, float]:
    """ "grounding=3,brand=0" as a weights map; a ValueError that says what was wrong and how to write it."""
    out: dict[str, float] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        axis, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[axis.strip()] = float(value)
        except ValueError:
            raise ValueError(f"{part!r} is not AXIS=WEIGHT; write e.g. grounding=3,brand=0.5") from None
    return check_weights(out)


def effective_weights(weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The axes' default weights (`quality.axes`) with the user's changes applied."""
    return {**default_weights(), **(weights or {})}


def weights_of(axes: Iterable[str], weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The weights of the axes given, in the registry's order: what a score over those axes weighed."""
    names = set(axes)
    return {a: w for a, w in effective_weights(weights).items() if a in names}


def weights_text(weights: Mapping[str, float] | None = None) -> str:
    """ "accessibility 2, responsive 1, …": the weights given, or all the defaults when `weights` is None."""
    shown = effective_weights() if weights is None else weights
    return ", ".join(f"{a} {w:g}" for a, w in shown.items())


def score_of_checks(scores_and_weights: list[tuple[float, float]]) -> float:
    """An axis's score from its checks' (score, weight) pairs: their weighted mean, 1.0 with none."""
    total = sum(w for _, w in scores_and_weights)
    return sum(s * w for s, w in scores_and_weights) / total if total else 1.0
