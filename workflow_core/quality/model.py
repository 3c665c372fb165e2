"""The quality of a page as named axes: each a score in [0, 1] with findings that quote their evidence, and
the page's score as the weighted mean of the axes that were measured (weights the user sees and can change)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from workflow_core.records import QAFinding

# What each axis measures, in the order reports show them.
AXES: dict[str, str] = {
    "accessibility": "axe-core in headless Chromium at 1280 and 390 px: violations by impact "
    "(static checks as a labelled fallback when Chromium is missing)",
    "responsive": "rendered at 390 px: no sideways overflow, no text under 12 px, tap targets; broken "
    "resources and console errors at both widths",
    "grounding": "every factual claim (figures, money, dates, contact details, names, certifications) is "
    "supported by the run's sources",
    "integrity": "no leaked instructions or meta-talk, no template residue, no cut-off text, no speaking as "
    "the visitor's company, no negative claims about the seller",
    "personalisation": "addresses the visitor's segment and needs without reciting their profile",
    "brand": "the guidelines' rules: banned words, parseable tone rules, call to action, named sections",
    "substance": "a page at all: a headline that offers something, an offer, an ask and a close that asks; "
    "nothing said twice",
    "judge": "an LLM judge's answers to a fixed yes/no checklist (optional)",
    "people": "people's blind pairwise votes (in the lab)",
}

# Defaults (docs/quality.md says why): what a visitor and the business lose when the axis fails.
DEFAULT_WEIGHTS: dict[str, float] = {
    "accessibility": 2.0,
    "responsive": 1.0,
    "grounding": 2.0,
    "integrity": 2.0,
    "personalisation": 1.5,
    "brand": 1.0,
    "substance": 2.0,
    "judge": 1.0,
    "people": 2.0,
}


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
# (docs/quality.md says why).
BLOCKING_AXES = frozenset({"integrity", "substance"})
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
        "personalisation.fit",
        "brand.banned_words",
    }
)
# A page that is not publishable scores this share of its axes' weighted mean, so it ranks below the
# publishable pages, and half that again with a defect of presentation; one with no copy (`NOT_A_PAGE`) scores 0.
UNPUBLISHABLE = 0.5
NOT_A_PAGE = "substance.empty"


@lru_cache(maxsize=1)
def checks_version() -> str:
    """A digest of the quality checks' own code (this package's modules, the rendered measures, the static
    checks and the text helpers they use): part of every cached verdict's key, so a change to any check is
    never answered by a verdict from before it."""
    here, page = Path(__file__).parent, Path(__file__).parent.parent / "page"
    files = [*here.glob("*.py"), here / "measures.js", *(page / "checks").glob("*.py")]
    files += [page / name for name in ("copy.py", "words.py", "html5.py", "safety.py")]
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def is_blocking(f: QAFinding) -> bool:
    """Whether a failing finding keeps the page from being published."""
    return not f.passed and (f.axis in BLOCKING_AXES or f.check in BLOCKING_CHECKS)


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


class AxisResult(BaseModel):
    """One axis measured on one page: its score in [0, 1] and its findings. `note` says how it was measured
    when that is not the standard way (e.g. "rendered checks skipped: Chromium not found; install it with
    `apt-get install chromium`"): a fallback is never silent."""

    axis: str
    score: float
    findings: list[QAFinding] = Field(default_factory=list)
    note: str = ""
    # What the axis measured beside its score, not weighed in it (e.g. the share of copy written for the
    # visitor): "originality.written" -> 0.62.
    measures: dict[str, float] = Field(default_factory=dict)

    @property
    def failures(self) -> list[QAFinding]:
        return [f for f in self.findings if not f.passed]


class QualityReport(BaseModel):
    """Every axis measured on a page and their weighted mean; `screenshots` are the rendered page's JPEGs by
    viewport width (empty when it was not rendered), base64 in JSON."""

    model_config = ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    score: float
    axes: dict[str, AxisResult] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)
    screenshots: dict[int, bytes] = Field(default_factory=dict, repr=False)

    @classmethod
    def of(
        cls,
        axes: Iterable[AxisResult],
        weights: Mapping[str, float] | None = None,
        screenshots: Mapping[int, bytes] | None = None,
    ) -> QualityReport:
        """The report of these axes: their weighted mean under `weights`, and the weights it used."""
        measured = {a.axis: a for a in axes}
        return cls(
            score=page_score(
                {name: a.score for name, a in measured.items()},
                [f for a in measured.values() for f in a.findings],
                weights,
            ),
            axes=measured,
            weights=weights_of(measured, weights),
            screenshots=dict(screenshots or {}),
        )

    @property
    def findings(self) -> list[QAFinding]:
        return [f for a in self.axes.values() for f in a.findings]

    @property
    def failures(self) -> list[QAFinding]:
        return [f for f in self.findings if not f.passed]

    @property
    def blocking(self) -> list[QAFinding]:
        """The failing findings that keep the page from being published."""
        return blocking(self.findings)

    @property
    def publishable(self) -> bool | None:
        """Whether a business could put the page in front of a visitor (None: checked without the verdict)."""
        return publishable(self.axis_scores, self.findings)

    @property
    def measures(self) -> dict[str, float]:
        """Every axis's measures (see `AxisResult.measures`)."""
        return {k: v for a in self.axes.values() for k, v in a.measures.items()}

    @property
    def axis_scores(self) -> dict[str, float]:
        return {name: a.score for name, a in self.axes.items()}

    @property
    def notes(self) -> list[str]:
        return [f"{name}: {a.note}" for name, a in self.axes.items() if a.note]


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
    unknown = sorted(set(weights) - set(AXES))
    if unknown:
        raise ValueError(f"unknown quality axis {', '.join(unknown)}; the axes are {', '.join(AXES)}")
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
    """DEFAULT_WEIGHTS with the user's changes applied."""
    return {**DEFAULT_WEIGHTS, **(weights or {})}


def weights_of(axes: Iterable[str], weights: Mapping[str, float] | None = None) -> dict[str, float]:
    """The weights of the axes given, in AXES order: what a score over those axes weighed."""
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
