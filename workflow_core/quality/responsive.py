"""The responsive axis: the page rendered at 390 px (a phone) must not scroll sideways, must set a mobile
viewport, and must keep visible text at 12 px or more and tap targets at 24x24 px or more; at both widths
its images and resources must load and its scripts must not fail. Without a browser, the static check of
asset references stands in, labelled as such.

Score: exp(−total cost) as on the accessibility axis, with these costs per defect (n offending elements or
requests): sideways overflow 0.5 per width, no mobile viewport 0.4, a load that never finished 0.2, broken
images 0.25 × (1 + ½·ln n), failed requests 0.2 × (…), small text and small tap targets 0.15 × (…),
console errors 0.1 × (…). So a page that overflows at 390 px scores 0.61 on this axis.
"""

from __future__ import annotations

from workflow_core.page.checks.common import LoadedPage, short
from workflow_core.quality.accessibility import at_widths, cost, quote, score_of_costs, skipped
from workflow_core.quality.axes_static import static_responsive
from workflow_core.quality.model import AxisResult
from workflow_core.quality.rendered import MIN_FONT_PX, MIN_TARGET_PX, Element, Rendered
from workflow_core.records import QAFinding

OVERFLOW_COST = 0.5
VIEWPORT_COST = 0.4
TIMEOUT_COST = 0.2
BROKEN_IMAGE_COST = 0.25
FAILED_REQUEST_COST = 0.2
SMALL_TEXT_COST = 0.15
SMALL_TARGET_COST = 0.15
CONSOLE_ERROR_COST = 0.1


def _finding(name: str, passed: bool, message: str, evidence: str = "", weight: float = 0.0) -> QAFinding:
    return QAFinding(
        check=f"responsive.{name}",
        axis="responsive",
        passed=passed,
        message=message,
        evidence=evidence,
        weight=round(weight, 4),
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' * (n != 1)}"


def _layout(rendered: Rendered) -> list[QAFinding]:
    findings = []
    for width, r in sorted(rendered.widths.items(), reverse=True):
        if r.overflows:
            findings.append(
                _finding(
                    "overflow",
                    False,
                    f"At {width} px the page is {r.scroll_width} px wide and scrolls sideways: give the "
                    "elements below a max-width of 100% (or let them wrap or scroll inside a container).",
                    quote(r.overflow),
                    OVERFLOW_COST,
                )
            )
    if not findings:
        findings.append(_finding("overflow", True, f"No sideways overflow at {at_widths(rendered.widths)}."))
    phone = rendered.narrowest()
    if not phone.mobile_viewport:
        what = (
            f"its {phone.viewport_meta} does not"
            if phone.viewport_meta
            else 'it has no <meta name="viewport">'
        )
        findings.append(
            _finding(
                "viewport",
                False,
                f"The page sets no mobile viewport ({what} say width=device-width): a phone lays it out "
                'about 980 px wide and shrinks it to fit, text and all. Add <meta name="viewport" '
                'content="width=device-width, initial-scale=1"> to <head>.',
                phone.viewport_meta,
                VIEWPORT_COST,
            )
        )
    if phone.small_text_count:
        n = phone.small_text_count
        findings.append(
            _finding(
                "text_size",
                False,
                f"{_count(n, 'element')} at {phone.width} px {'show' if n != 1 else 'shows'} text under "
                f"{MIN_FONT_PX:g} px: make "
                f"body text at least 16 px and nothing under {MIN_FONT_PX:g} px.",
                quote(phone.small_text),
                cost(SMALL_TEXT_COST, n),
            )
        )
    else:
        findings.append(
            _finding(
                "text_size", True, f"All visible text at {phone.width} px is {MIN_FONT_PX:g} px or more."
            )
        )
    if phone.small_targets:
        n = len(phone.small_targets)
        findings.append(
            _finding(
                "tap_targets",
                False,
                f"{_count(n, 'tap target')} (links, buttons, fields) at {phone.width} px "
                f"{'are' if n != 1 else 'is'} smaller than {MIN_TARGET_PX}x{MIN_TARGET_PX} px with too little space around them "
                "(WCAG 2.5.8): pad them to at least 24 px (44 px is kinder to thumbs).",
                quote(phone.small_targets),
                cost(SMALL_TARGET_COST, n),
            )
        )
    else:
        findings.append(
            _finding(
                "tap_targets",
                True,
                f"Every tap target at {phone.width} px is {MIN_TARGET_PX}x{MIN_TARGET_PX} px or well spaced.",
            )
        )
    return findings


def _is_site_file(src: str, available_files: set[str] | None) -> bool:
    files = {f.lstrip("./") for f in available_files or ()}
    return bool(src) and src.split("?")[0].split("#")[0].lstrip("./") in files


def _resources(rendered: Rendered, available_files: set[str] | None) -> list[QAFinding]:
    images: dict[tuple[str, str], Element] = {}
    requests: dict[str, str] = {}
    errors: dict[str, set[int]] = {}
    late: list[int] = []
    for width, r in sorted(rendered.widths.items(), reverse=True):
        for img in r.broken_images:
            # A file of the site (next to the page) is there when the site is served; the renderer has
            # only the page.
            if not _is_site_file(img.url, available_files):
                images.setdefault((img.selector, img.html), img)
        for url, why in r.failed_requests:
            requests.setdefault(url, why)
        for e in r.console_errors:
            errors.setdefault(e, set()).add(width)
        if r.load_timed_out:
            late.append(width)
    # A blocked image is reported once, as an image.
    image_urls = {e.url for e in images.values()}
    other_requests = {u: w for u, w in requests.items() if u not in image_urls}
    widths = at_widths(rendered.widths)
    findings = []
    if late:
        findings.append(
            _finding(
                "load",
                False,
                f"The page did not finish loading at {at_widths(late)}: a script or resource kept it busy.",
                weight=TIMEOUT_COST,
            )
        )
    if images:
        n = len(images)
        findings.append(
            _finding(
                "images",
                False,
                f"{_count(n, 'image')} {'show' if n != 1 else 'shows'} nothing (a broken src, a blocked URL or bad data): inline "
                "each image as a data: URI that decodes.",
                quote(images.values()),
                cost(BROKEN_IMAGE_COST, n),
            )
        )
    else:
        findings.append(_finding("images", True, f"Every image loads at {widths}."))
    if other_requests:
        n = len(other_requests)
        findings.append(
            _finding(
                "requests",
                False,
                f"{_count(n, 'request')} failed: a landing page must carry everything it needs (inline "
                "styles, scripts and images as data: URIs).",
                "\n".join(f"{short(u, 120)} ({why})" for u, why in other_requests.items()),
                cost(FAILED_REQUEST_COST, n),
            )
        )
    else:
        findings.append(_finding("requests", True, f"No request failed at {widths}."))
    if errors:
        n = len(errors)
        findings.append(
            _finding(
                "console",
                False,
                f"{_count(n, 'script error')} in the browser console: fix or remove the failing script.",
                "\n".join(f"{e} (at {at_widths(w)})" for e, w in errors.items()),
                cost(CONSOLE_ERROR_COST, n),
            )
        )
    else:
        findings.append(_finding("console", True, f"No console errors at {widths}."))
    return findings


def rendered_responsive(rendered: Rendered, available_files: set[str] | None = None) -> AxisResult:
    """The responsive axis from the rendered layout at the narrowest width and resources at every width.
    `available_files` are files of the site next to the page (not visible to the renderer)."""
    findings = _layout(rendered) + _resources(rendered, available_files)
    return AxisResult(
        axis="responsive",
        score=score_of_costs(f.weight for f in findings if not f.passed),
        findings=findings,
    )


def fallback_responsive(page: LoadedPage, available_files: set[str] | None, reason: str) -> AxisResult:
    """The static check of asset references, labelled: on the axis's note and as a finding."""
    axis = static_responsive(page, available_files)
    return axis.model_copy(
        update={
            "note": f"rendered checks skipped: {reason}",
            "findings": [skipped("responsive", reason), *axis.findings],
        }
    )
