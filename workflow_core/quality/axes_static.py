"""The static checks of `page/checks` as axes: the labelled fallback of the rendered accessibility and
responsive axes when no browser can render the page."""

from __future__ import annotations

from workflow_core.page.checks.accessibility import check_accessibility
from workflow_core.page.checks.assets import check_assets
from workflow_core.page.checks.common import Check, LoadedPage
from workflow_core.page.checks.structure import check_parse
from workflow_core.quality.model import AxisResult, score_of_checks


def _axis(axis: str, checks: list[Check], note: str = "") -> AxisResult:
    findings = [f.model_copy(update={"axis": axis}) for c in checks for f in c.findings]
    return AxisResult(
        axis=axis,
        score=round(score_of_checks([(c.score, c.weight) for c in checks]), 4),
        findings=findings,
        note=note,
    )


def static_accessibility(html: str, page: LoadedPage, why: str) -> AxisResult:
    return _axis("accessibility", check_parse(page) + check_accessibility(page), note=why)


def static_responsive(page: LoadedPage, available_files: set[str] | None) -> AxisResult:
    return _axis("responsive", check_assets(page, available_files))
