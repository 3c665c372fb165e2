"""The quality of a generated page on named axes, each with findings that quote their evidence: accessibility
and responsive rendered in a real browser, grounding, integrity, personalisation, brand and substance read
from the page's text against the run's sources, an optional LLM judge, and people's votes in the lab. The axes
are a registry (`quality.axes`; the built-in ones in `quality.builtin_axes`). `check_page` measures a page; `docs/quality.md` gives the default weights and each axis's measured precision
and recall on the labelled set in `tests/quality_cases/`."""

from workflow_core.quality.axes import Axis, axis, register_axis, unregister_axis
from workflow_core.quality.browser import BrowserUnavailable, RenderError
from workflow_core.quality.check import check_page, check_page_async
from workflow_core.quality.model import AxisResult, QualityReport, weighted_score
from workflow_core.quality.render import Renderer, render_async, shared_renderer
from workflow_core.quality.rendered import Rendered
from workflow_core.quality.sources import Sources
from workflow_core.quality.version import checker_version

__all__ = [
    "Axis",
    "AxisResult",
    "BrowserUnavailable",
    "QualityReport",
    "RenderError",
    "Rendered",
    "Renderer",
    "Sources",
    "axis",
    "check_page",
    "check_page_async",
    "checker_version",
    "register_axis",
    "render_async",
    "shared_renderer",
    "unregister_axis",
    "weighted_score",
]
