"""`check_page`: measure a page on every axis that has something to check, and weigh them."""

from __future__ import annotations

from collections.abc import Mapping

import workflow_core.quality.axes_static as axes_static
from workflow_core.page.checks.common import load_page
from workflow_core.quality.model import DEFAULT_WEIGHTS, AxisResult, QualityReport, weighted_score
from workflow_core.quality.sources import Sources


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
    axes: list[AxisResult | None] = [
        axes_static.static_accessibility(html, page, "static checks only: rendered checks are not wired yet"),
        axes_static.static_responsive(page, available_files),
        axes_static.personalisation(page, sources),
        axes_static.brand(page, sources),
    ]
    measured = {a.axis: a for a in axes if a is not None}
    scores = {name: a.score for name, a in measured.items()}
    used = {name: w for name, w in {**DEFAULT_WEIGHTS, **(weights or {})}.items() if name in measured}
    return QualityReport(score=weighted_score(scores, weights), axes=measured, weights=used)
