"""The quality of a generated page on named axes (`AXES`), each with findings that quote their evidence:
accessibility and responsive rendered in a real browser, grounding, integrity, personalisation and brand read
from the page's text against the run's sources, an optional LLM judge, and people's votes in the lab.
`check_page` measures a page; `docs/quality.md` gives the default weights and each axis's measured precision
and recall on the labelled set in `tests/quality_cases/`."""

from workflow_core.quality.check import check_page, check_page_async
from workflow_core.quality.model import AXES, DEFAULT_WEIGHTS, AxisResult, QualityReport, weighted_score
from workflow_core.quality.render import (
    BrowserUnavailable,
    Renderer,
    RenderError,
    render_async,
    shared_renderer,
)
from workflow_core.quality.rendered import Rendered
from workflow_core.quality.sources import Sources

__all__ = [
    "AXES",
    "DEFAULT_WEIGHTS",
    "AxisResult",
    "BrowserUnavailable",
    "QualityReport",
    "RenderError",
    "Rendered",
    "Renderer",
    "Sources",
    "check_page",
    "check_page_async",
    "render_async",
    "shared_renderer",
    "weighted_score",
]
