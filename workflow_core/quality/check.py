"""`check_page`: measure a page on every axis that has something to check, and weigh them."""

from __future__ import annotations

from collections.abc import Mapping

import workflow_core.quality.axes_static as axes_static
from workflow_core.page.checks.common import load_page
from workflow_core.quality.brand import check_brand
from workflow_core.quality.grounding import check_grounding
from workflow_core.quality.integrity import check_integrity
from workflow_core.quality.model import DEFAULT_WEIGHTS, AxisResult, QualityReport, weighted_score
from workflow_core.quality.personalisation import check_personalisation
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import page_text


def check_page(
    html: str,
    sources: Sources | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    available_files: set[str] | None = None,
) -> QualityReport:
    """Check a page on every axis that applies and score it in [0, 1] (the weighted mean of the axes,
    `DEFAULT_WEIGHTS` overridden by `weights`). `available_files` are the relative paths that exist next to
    the page (None: the page must be self-contained)."""
    sources = sources or Sources()
    page = load_page(html)
    text = page_text(page.root)
    axes: list[AxisResult | None] = [
        axes_static.static_accessibility(html, page, "static checks only: rendered checks are not wired yet"),
        axes_static.static_responsive(page, available_files),
        check_grounding(text, sources),
        check_integrity(text, sources),
        check_personalisation(text, sources),
        check_brand(page, text, sources),
    ]
    measured = {a.axis: a for a in axes if a is not None}
    scores = {name: a.score for name, a in measured.items()}
    used = {name: w for name, w in {**DEFAULT_WEIGHTS, **(weights or {})}.items() if name in measured}
    return QualityReport(score=weighted_score(scores, weights), axes=measured, weights=used)
