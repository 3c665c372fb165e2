"""The responsive axis: the page rendered at 390 px (a phone) must not scroll sideways, must set a mobile
viewport, and must keep visible text at 12 px or more and tap targets at 24x24 px or more; at both widths
its text must not be drawn over other text, its images and resources must load and its scripts must not
fail. Without a browser, the static check of asset references stands in, labelled as such.

Score: exp(−total cost) as on the accessibility axis, with these costs per defect (n offending elements or
requests): sideways overflow 0.5 per width, no mobile viewport 0.4, text drawn over other text 0.3 × (…) per
width, a load that never finished 0.2, broken images 0.25 × (1 + ½·ln n), failed requests 0.2 × (…), small
text and small tap targets 0.15 × (…), console errors 0.1 × (…), text hidden under a fixed or sticky layer
where the page opens 0.3 × (…) per width, no styles of its own 0.5. So a page that overflows at 390 px
scores 0.61 on this axis. Hidden text and a page with no styles block publishing (`quality.model`).
"""

from __future__ import annotations

from workflow_core.page.checks.common import LoadedPage, short
from workflow_core.quality.accessibility import at_widths, cost, quote, score_of_costs, skipped
from workflow_core.quality.axes_static import static_responsive
from workflow_core.quality.model import AxisResult
from workflow_core.quality.rendered import MIN_FONT_PX, MIN_TARGET_PX, Element, Rendered
from workflow_core.records import QAFinding

OVERFLOW_COST = 0.5
OVERLAP_COST = 0.3
VIEWPORT_COST = 0.4
TIMEOUT_COST = 0.2
BROKEN_IMAGE_COST = 0.25
FAILED_REQUEST_COST = 0.2
SMALL_TEXT_COST = 0.15
SMALL_TARGET_COST = 0.15
CONSOLE_ERROR_COST = 0.1
UNSTYLED_COST = 0.5


def _finding(name: str, passed: bool, message: str, evidence: str = "", weight: float = 0.0) -> QAFinding:
    return QAFinding(
        check=f"responsive.{name}",
        axis="responsive",
        passed=passed,
        message=message,
        evidence=evidence,
        weight=round(weight, 4),
    )


def _counted(name: str, n: int, failed: str, evidence: str, base_cost: float, passed: str) -> QAFinding:
    """A measure that counts offenders: failed (costing `base_cost` scaled by their number) or passed."""
    if n:
        return _finding(name, False, failed, evidence, cost(base_cost, n))
    return _finding(name, True, passed)


def _count(n: int, noun: str, verb: str = "") -> str:
    """ "1 image shows", "2 images show", "1 piece is", "2 pieces are" (`verb` in its plural form)."""
    plural = n != 1
    irregular = {"are": "is"}
    verb = (verb if plural else irregular.get(verb, verb + "s")) if verb else ""
    return f"{n} {noun}{'s' * plural}" + (f" {verb}" if verb else "")


def _layout(rendered: Rendered) -> list[QAFinding]:
    findings = [
        _finding(
            "overflow",
            False,
            f"At {width} px the page is {r.scroll_width} px wide and scrolls sideways: give the elements "
            "below a max-width of 100% (or let them wrap, or scroll inside a container).",
            quote(r.overflow),
            OVERFLOW_COST,
        )
        for width, r in sorted(rendered.widths.items(), reverse=True)
        if r.overflows
    ]
    if not findings:
        findings.append(_finding("overflow", True, f"No sideways overflow at {at_widths(rendered.widths)}."))
    crossings = [
        _finding(
            "overlap",
            False,
            f"At {width} px {_count(r.overlap_count, 'piece', 'are')} of text drawn over other text: give "
            "them room (let the row wrap, or hide what does not fit at this width).",
            quote(r.overlapping_text),
            cost(OVERLAP_COST, r.overlap_count),
        )
        for width, r in sorted(rendered.widths.items(), reverse=True)
        if r.overlap_count
    ]
    findings.extend(
        crossings
        or [_finding("overlap", True, f"No text drawn over other text at {at_widths(rendered.widths)}.")]
    )
    hidden = [
        _finding(
            "covered",
            False,
            f"At {width} px {_count(r.covered_count, 'piece', 'are')} of text hidden under a fixed or sticky "
            "layer when the page opens (a header over the headline, a bar over the content): leave room for "
            "the layer, or let it scroll away.",
            quote(r.covered_text),
            cost(OVERLAP_COST, r.covered_count),
        )
        for width, r in sorted(rendered.widths.items(), reverse=True)
        if r.covered_count
    ]
    findings.extend(
        hidden
        or [_finding("covered", True, f"No text hidden under a fixed layer at {at_widths(rendered.widths)}.")]
    )
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
    size, target, at = f"{MIN_FONT_PX:g} px", f"{MIN_TARGET_PX}x{MIN_TARGET_PX} px", f"at {phone.width} px"
    findings.append(
        _counted(
            "text_size",
            phone.small_text_count,
            f"{_count(phone.small_text_count, 'element', 'show')} text under {size} {at}: make body text "
            f"at least 16 px and nothing under {size}.",
            quote(phone.small_text),
            SMALL_TEXT_COST,
            f"All visible text {at} is {size} or more.",
        )
    )
    findings.append(
        _counted(
            "tap_targets",
            len(phone.small_targets),
            f"{_count(len(phone.small_targets), 'tap target')} (links, buttons, fields) {at} "
            f"{'is' if len(phone.small_targets) == 1 else 'are'} smaller than "
            f"{target} with too little space around them (WCAG 2.5.8): pad them to at least 24 px (44 px is "
            "kinder to thumbs).",
            quote(phone.small_targets),
            SMALL_TARGET_COST,
            f"Every tap target {at} is {target} or well spaced.",
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
        # A file of the site (next to the page) is there when the site is served; the renderer has only
        # the page.
        for img in r.broken_images:
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
    other_requests = {u: why for u, why in requests.items() if u not in image_urls}
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
    findings.append(
        _counted(
            "images",
            len(images),
            f"{_count(len(images), 'image', 'show')} nothing (a broken src, a blocked URL or bad data): "
            "inline each image as a data: URI that decodes.",
            quote(images.values()),
            BROKEN_IMAGE_COST,
            f"Every image loads at {widths}.",
        )
    )
    findings.append(
        _counted(
            "requests",
            len(other_requests),
            f"{_count(len(other_requests), 'request')} failed: a landing page must carry everything it "
            "needs (inline styles, scripts and images as data: URIs).",
            "\n".join(f"{short(u, 120)} ({why})" for u, why in other_requests.items()),
            FAILED_REQUEST_COST,
            f"No request failed at {widths}.",
        )
    )
    findings.append(
        _counted(
            "console",
            len(errors),
            f"{_count(len(errors), 'script error')} in the browser console: fix or remove the failing script.",
            "\n".join(f"{e} (at {at_widths(w)})" for e, w in errors.items()),
            CONSOLE_ERROR_COST,
            f"No console errors at {widths}.",
        )
    )
    return findings


def styled(page: LoadedPage) -> QAFinding:
    """Whether the page has any style of its own: with no style sheet rule and no style attribute it shows in
    the browser's defaults (serif text, blue underlined links), which reads as unfinished."""
    own = bool(page.rules) or any(isinstance(e.tag, str) and e.get("style") for e in page.root.iter())
    if own:
        return _finding("styled", True, "The page has styles of its own.")
    return _finding(
        "styled",
        False,
        "The page has no styles of its own (no <style> rule, no style attribute): it shows in the browser's "
        "defaults. Give it the brand's type, colours and layout.",
        page.text[:120],
        UNSTYLED_COST,
    )


def rendered_responsive(
    rendered: Rendered, available_files: set[str] | None = None, page: LoadedPage | None = None
) -> AxisResult:
    """The responsive axis from the rendered layout at the narrowest width and resources at every width.
    `available_files` are files of the site next to the page (not visible to the renderer); with the parsed
    `page`, whether it has styles of its own."""
    findings = _layout(rendered) + _resources(rendered, available_files) + ([styled(page)] if page else [])
    return AxisResult(
        axis="responsive",
        score=score_of_costs(f.weight for f in findings if not f.passed),
        findings=findings,
    )


def fallback_responsive(page: LoadedPage, available_files: set[str] | None, reason: str) -> AxisResult:
    """The static check of asset references, labelled: on the axis's note and as a finding."""
    axis = static_responsive(page, available_files)
    own = styled(page)
    return axis.model_copy(
        update={
            "note": f"rendered checks skipped: {reason}",
            "findings": [skipped("responsive", reason), *axis.findings, own],
            "score": axis.score * (1.0 if own.passed else score_of_costs([own.weight])),
        }
    )
