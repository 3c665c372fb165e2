"""`check_page`: measure a page on every axis that has something to check, and weigh them."""

from __future__ import annotations

from collections.abc import Mapping

import workflow_core.quality.builtin_axes  # noqa: F401  (the built-in axes: page workers preload them here)
from workflow_core.page.checks.common import load_page
from workflow_core.quality.axes import Axis, PageToCheck, measured_axes
from workflow_core.quality.browser import RenderError
from workflow_core.quality.model import QualityReport, report_of
from workflow_core.quality.render import Renderer, shared_renderer
from workflow_core.quality.rendered import Rendered
from workflow_core.quality.sources import Sources
from workflow_core.quality.text import page_text
from workflow_core.quality.version import checker_version
from workflow_core.run.offload import offload, preload

# Page workers (`run.offload`) import the checks and build the icon index as they start, not with their
# first page.
preload("workflow_core.quality.check")
preload("workflow_core.page.icons:icon_set")

NOT_REQUESTED = "not requested (static checks were chosen: --static-checks, render=False); static checks only"


def check_page(
    html: str,
    sources: Sources | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    available_files: set[str] | None = None,
    render: bool | Rendered | Renderer | None = True,
) -> QualityReport:
    """Check a page on every registered axis that applies (`quality.axes`) and score it in [0, 1] (the
    weighted mean of the axes, their default weights overridden by `weights`). `available_files` are the relative paths that exist next to
    the page (None: the page must be self-contained).

    `render`: True renders the page in headless Chromium for the accessibility and responsive axes (with
    the shared renderer, blocking while it renders; a `Renderer` renders with that one); a `Rendered` uses
    a page already rendered; False or None, or a browser that is missing or fails, uses the static checks
    instead, labelled on the axis's note and as a finding ("rendered checks skipped: …")."""
    rendered, why = _rendered_now(html, render)
    return _report(html, sources, weights, available_files, rendered, why, measured_axes(), checker_version())


async def check_page_async(
    html: str,
    sources: Sources | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    available_files: set[str] | None = None,
    render: bool | Rendered | Renderer | None = True,
) -> QualityReport:
    """`check_page` for async callers, whose loop only waits: the page renders on the browser's thread, then
    is parsed and measured in a page worker process (`run.offload`). The worker is handed the axes to measure
    and the checker version as this process has them: an axis registered here is measured there too."""
    rendered: Rendered | None = None
    why = NOT_REQUESTED
    if isinstance(render, Rendered):
        rendered, why = render, ""
    elif render is True or isinstance(render, Renderer):
        renderer = render if isinstance(render, Renderer) else shared_renderer()
        try:
            rendered, why = await renderer.render_async(html), ""
        except RenderError as exc:
            why = str(exc)
    weights = dict(weights) if weights is not None else None  # a plain dict pickles whatever it came as
    checker = checker_version()
    return await offload(
        _report, html, sources, weights, available_files, rendered, why, measured_axes(), checker
    )


def _rendered_now(html: str, choice: bool | Rendered | Renderer | None) -> tuple[Rendered | None, str]:
    if isinstance(choice, Rendered):
        return choice, ""
    if not choice:
        return None, NOT_REQUESTED
    renderer = choice if isinstance(choice, Renderer) else shared_renderer()
    try:
        return renderer.render(html), ""
    except RenderError as exc:
        return None, str(exc)


def _report(
    html: str,
    sources: Sources | None,
    weights: Mapping[str, float] | None,
    available_files: set[str] | None,
    rendered: Rendered | None,
    why_not_rendered: str,
    measured: tuple[Axis, ...],
    checker: str,
) -> QualityReport:
    page = load_page(html)
    subject = PageToCheck(
        html, page, page_text(page.root), sources or Sources(), available_files, rendered, why_not_rendered
    )
    results = [a.measure(subject) for a in measured if a.measure is not None]
    screenshots = rendered.screenshots if rendered is not None else None
    return report_of([r for r in results if r is not None], weights, screenshots, checker)
