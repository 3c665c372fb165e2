"""`check_page`: measure a page on every axis that has something to check, and weigh them."""

from __future__ import annotations

from collections.abc import Mapping

from workflow_core.page.checks.common import load_page
from workflow_core.quality.accessibility import fallback_accessibility, rendered_accessibility
from workflow_core.quality.brand import check_brand
from workflow_core.quality.grounding import check_grounding
from workflow_core.quality.integrity import check_integrity
from workflow_core.quality.model import AxisResult, QualityReport
from workflow_core.quality.personalisation import check_personalisation
from workflow_core.quality.render import Renderer, RenderError, shared_renderer
from workflow_core.quality.rendered import Rendered
from workflow_core.quality.responsive import fallback_responsive, rendered_responsive
from workflow_core.quality.sources import Sources
from workflow_core.quality.substance import check_substance
from workflow_core.quality.text import page_text
from workflow_core.run.offload import offload

NOT_REQUESTED = "not requested (static checks were chosen: --static-checks, render=False); static checks only"


def check_page(
    html: str,
    sources: Sources | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    available_files: set[str] | None = None,
    render: bool | Rendered | Renderer | None = True,
) -> QualityReport:
    """Check a page on every axis that applies and score it in [0, 1] (the weighted mean of the axes,
    `DEFAULT_WEIGHTS` overridden by `weights`). `available_files` are the relative paths that exist next to
    the page (None: the page must be self-contained).

    `render`: True renders the page in headless Chromium for the accessibility and responsive axes (with
    the shared renderer, blocking while it renders; a `Renderer` renders with that one); a `Rendered` uses
    a page already rendered; False or None, or a browser that is missing or fails, uses the static checks
    instead, labelled on the axis's note and as a finding ("rendered checks skipped: …")."""
    return _report(html, sources, weights, available_files, *_rendered_now(html, render))


async def check_page_async(
    html: str,
    sources: Sources | None = None,
    *,
    weights: Mapping[str, float] | None = None,
    available_files: set[str] | None = None,
    render: bool | Rendered | Renderer | None = True,
) -> QualityReport:
    """`check_page` for async callers, whose loop only waits: the page renders on the browser's thread, then
    is parsed and measured in a page worker process (`run.offload`)."""
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
    return await offload(_report, html, sources, weights, available_files, rendered, why)


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
) -> QualityReport:
    sources = sources or Sources()
    page = load_page(html)
    text = page_text(page.root)
    if rendered is not None:
        rendered_axes = [
            rendered_accessibility(rendered),
            rendered_responsive(rendered, available_files, page),
        ]
    else:
        rendered_axes = [
            fallback_accessibility(html, page, why_not_rendered),
            fallback_responsive(page, available_files, why_not_rendered),
        ]
    axes: list[AxisResult | None] = [
        *rendered_axes,
        check_grounding(text, sources),
        check_integrity(text, sources, page.root),
        check_personalisation(text, sources),
        check_brand(page, text, sources),
        check_substance(text, sources),
    ]
    return QualityReport.of(
        [a for a in axes if a is not None], weights, rendered.screenshots if rendered is not None else None
    )
