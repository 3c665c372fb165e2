"""The rendered quality axes in real headless Chromium (Debian's /usr/bin/chromium) with axe-core: the
labelled set in tests/quality_cases/rendered/, what the renderer sees and blocks, its timeout, its async
face, and the labelled fallback when there is no browser."""

from __future__ import annotations

import asyncio
import io
import time

import pytest

from tests.quality_cases.rendered.cases import DEFECTS, cases, clean_pages, tally
from workflow_core.quality import (
    BrowserUnavailable,
    QualityReport,
    Renderer,
    RenderError,
    check_page,
    check_page_async,
    shared_renderer,
)

pytest.importorskip("axe_playwright_python")

CASES = cases()
MV = '<meta name="viewport" content="width=device-width, initial-scale=1">'


@pytest.fixture(scope="module")
def reports() -> dict[str, QualityReport]:
    return {c.name: check_page(c.html) for c in CASES}


@pytest.mark.parametrize("case", [c for c in CASES if c.defect], ids=lambda c: c.name)
def test_each_injected_defect_is_found_on_its_axis_with_evidence(case, reports) -> None:
    report = reports[case.name]
    found = [f for f in report.failures if f.check == case.defect.check]
    assert found, [f.check for f in report.failures]
    assert all(f.axis == case.defect.axis for f in found)
    assert all(f.evidence or case.defect.check == "responsive.viewport" for f in found)
    assert report.axes[case.defect.axis].note == ""


@pytest.mark.parametrize("page", list(clean_pages()))
def test_each_clean_page_passes_the_rendered_axes_and_outscores_its_twins(page, reports) -> None:
    clean = reports[page]
    assert [f.message for f in clean.failures if f.axis in ("accessibility", "responsive")] == []
    for defect in DEFECTS:
        twin = reports[f"{page}+{defect.name}"]
        assert clean.axes[defect.axis].score > twin.axes[defect.axis].score, defect.name
        assert clean.score > twin.score, defect.name


def test_precision_and_recall_on_the_set_are_perfect(reports) -> None:
    # The figures docs/quality.md reports ("Rendered axes").
    failed = {name: {f.axis for f in r.failures} for name, r in reports.items()}
    for t in tally(failed):
        assert (t.precision, t.recall) == (1.0, 1.0), t


def test_axe_findings_quote_the_element_and_weigh_by_impact(reports) -> None:
    alt = next(f for f in reports["third_party+missing_alt"].failures if f.check == "accessibility.image-alt")
    assert "critical" in alt.message and "at 1280 and 390 px" in alt.message
    assert alt.evidence.startswith('img: <img src="data:image/svg+xml;') and 'width="640"' in alt.evidence
    assert "does not have an alt attribute" in alt.evidence
    contrast = next(
        f for f in reports["third_party+low_contrast"].failures if f.check == "accessibility.color-contrast"
    )
    assert "serious" in contrast.message and "#b4b4b4" in contrast.evidence
    # One critical violation costs more than one serious one.
    assert (
        reports["third_party+missing_alt"].axis_scores["accessibility"]
        < (reports["third_party+low_contrast"].axis_scores["accessibility"])
    )


def test_overflow_names_the_widest_element(reports) -> None:
    overflow = [
        f for f in reports["design_system+fixed_width_overflow"].failures if f.check == "responsive.overflow"
    ]
    assert len(overflow) == 1 and "At 390 px the page is" in overflow[0].message
    assert '<table style="width:1200px">' in overflow[0].evidence and "1200 px wide" in overflow[0].evidence


def test_screenshots_are_small_jpegs_at_both_widths(reports) -> None:
    from PIL import Image

    shots = reports["design_system"].screenshots
    assert set(shots) == {1280, 390}
    for width, data in shots.items():
        image = Image.open(io.BytesIO(data))
        assert image.format == "JPEG"
        assert image.width == width and 800 <= image.height <= 4000
        assert len(data) < 400_000
    assert all(not f.evidence.startswith("\xff\xd8") for f in reports["design_system"].findings)
    again = QualityReport.model_validate_json(reports["design_system"].model_dump_json())
    assert again.screenshots == shots


def test_the_page_cannot_reach_the_network_and_its_errors_are_reported() -> None:
    html = (
        f'<!DOCTYPE html><html lang="en"><head>{MV}<title>t</title>'
        '<link rel="stylesheet" href="https://cdn.example.com/site.css"></head><body><main><h1>Hi</h1>'
        '<img src="https://cdn.example.com/hero.png" alt="Hero"><img src="images/local.png" alt="Local">'
        "<script>fetch('https://tracker.example.com/p').catch(() => {}); console.error('widget failed');"
        "missingFunction();</script></main></body></html>"
    )
    rendered = shared_renderer().render(html)
    # Loaded once at 1280 px, then resized: what happens during the load is filed under 1280.
    loaded = rendered.widths[1280]
    assert {u for u, _ in loaded.failed_requests} == {
        "https://cdn.example.com/site.css",
        "https://cdn.example.com/hero.png",
        "https://tracker.example.com/p",
    }
    assert all("blocked" in why for _, why in loaded.failed_requests)
    assert loaded.console_errors == (
        "widget failed",
        "Uncaught ReferenceError: missingFunction is not defined",
    )
    for r in rendered.widths.values():
        assert {img.url for img in r.broken_images} == {
            "https://cdn.example.com/hero.png",
            "images/local.png",
        }
    report = check_page(html, render=rendered, available_files={"images/local.png"})
    by_check = {f.check: f for f in report.failures}
    assert set(by_check) >= {"responsive.images", "responsive.requests", "responsive.console"}
    assert "hero.png" in by_check["responsive.images"].evidence
    assert "local.png" not in by_check["responsive.images"].evidence  # a file of the site
    assert "site.css" in by_check["responsive.requests"].evidence
    assert "hero.png" not in by_check["responsive.requests"].evidence  # said once, as an image


def test_a_page_that_hangs_is_cut_off_said_so_and_the_next_page_renders() -> None:
    renderer = Renderer(timeout_s=3)
    try:
        report = check_page("<p>x</p><script>while (true) {}</script>", render=renderer)
        for axis in ("accessibility", "responsive"):
            assert "did not finish rendering within 3 s" in report.axes[axis].note
        with pytest.raises(RenderError, match="did not finish rendering within 3 s"):
            renderer.render("<p>y</p><script>while (true) {}</script>")
        ok = renderer.render(
            f"<html lang='en'><head>{MV}<title>t</title></head><body><main><h1>ok</h1></main></body></html>"
        )
        assert set(ok.widths) == {1280, 390}
    finally:
        renderer.close()


def test_without_a_browser_the_static_checks_stand_in_and_say_so() -> None:
    renderer = Renderer(executable="/nonexistent/chromium")
    with pytest.raises(
        BrowserUnavailable, match=r"apt-get install chromium.*pip install playwright axe-playwright-python"
    ):
        renderer.render("<p>x</p>")
    report = check_page(clean_pages()["third_party"], render=renderer)
    for axis in ("accessibility", "responsive"):
        assert report.axes[axis].note.startswith(
            "rendered checks skipped: No browser at /nonexistent/chromium"
        )
        skipped = [f for f in report.axes[axis].findings if f.check == f"{axis}.rendered"]
        assert len(skipped) == 1 and "apt-get install chromium" in skipped[0].message
        assert not skipped[0].passed and skipped[0].weight == 0
    assert report.screenshots == {}
    static = check_page(clean_pages()["third_party"], render=False)
    assert "not requested (static checks were chosen" in static.axes["accessibility"].note
    assert any(f.check == "accessibility.alt_text" for f in static.findings)  # the static checks ran


async def test_rendering_from_the_event_loop_leaves_the_loop_free() -> None:
    ticks = 0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.02)

    ticker = asyncio.create_task(tick())
    html = clean_pages()["third_party"].replace("Talk to us", "Talk to us today")  # not cached
    started = time.perf_counter()
    report = await check_page_async(html)
    elapsed = time.perf_counter() - started
    done.set()
    await ticker
    assert set(report.screenshots) == {1280, 390}
    # A loop blocked for the render would have ticked once or twice; a free one ticks about every 20 ms.
    assert ticks >= 0.3 * elapsed / 0.02, (ticks, elapsed)


def test_a_renderer_without_memory_renders_every_page_afresh_and_the_default_one_remembers() -> None:
    page = clean_pages()["third_party"]
    fresh, remembering = Renderer(recent_pages=0), Renderer()
    try:
        first, again = fresh.render(page), fresh.render(page)
        assert first is not again and set(first.widths) == set(again.widths) == {1280, 390}
        assert remembering.render(page) is remembering.render(page)
    finally:
        fresh.close()
        remembering.close()


@pytest.mark.parametrize("at_once", [1, 2])
async def test_pages_render_side_by_side_up_to_the_limit(at_once: int) -> None:
    renderer = Renderer(pages_at_once=at_once, recent_pages=0)
    inner = renderer._render_afresh
    in_flight, most = 0, 0

    async def counted(html: str):
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        try:
            return await inner(html)
        finally:
            in_flight -= 1

    renderer._render_afresh = counted  # type: ignore[method-assign]
    pages = [clean_pages()["third_party"].replace("Talk to us", f"Talk to us, visitor {i}") for i in range(3)]
    try:
        rendered = await asyncio.gather(*(renderer.render_async(p) for p in pages))
    finally:
        await asyncio.to_thread(renderer.close)
    assert len(rendered) == 3 and all(set(r.widths) == {1280, 390} for r in rendered)
    assert most == at_once


def test_text_over_text_leaves_out_what_is_meant_to_pass_over_or_is_hidden() -> None:
    """Only text a visitor sees drawn over other text counts: not a skip link off-screen, a visually hidden
    label, a sticky header over the page, text clipped out of view, or a sentence's bold words beside it."""
    quiet = (
        "<a href='#main' style='position:absolute;top:-4rem'>Skip to content</a>"
        "<header style='position:sticky;top:0;background:#fff'><p>Ridgeline Fieldworks</p></header>"
        "<main id='main'><p style='margin-top:-30px'>Sensors for <b>remote</b> <i>equipment</i>.</p>"
        "<p>Talk to us <span style='position:absolute;width:1px;height:1px;overflow:hidden;"
        "clip:rect(0 0 0 0)'>about a site visit</span> today.</p>"
        "<div style='overflow:hidden;height:1.5em;position:relative'><p style='margin:0'>Slide one</p>"
        "<p style='position:absolute;top:3em;margin:0'>Slide two</p></div><p style='margin:0'>After.</p></main>"
    )
    page = f'<!DOCTYPE html><html lang="en"><head>{MV}<title>Quiet</title></head><body>{quiet}</body></html>'
    report = check_page(page)
    overlap = [f for f in report.findings if f.check == "responsive.overlap"]
    assert [f.passed for f in overlap] == [True], [f.message for f in overlap]
    loud = page.replace(
        "<p>Talk to us",
        "<p style='position:relative'>Talk to us<span style='position:absolute;left:0;top:0'>Call now</span>",
    )
    found = [f for f in check_page(loud).failures if f.check == "responsive.overlap"]
    assert found and "'Talk to us" in found[0].evidence and "Call now" in found[0].evidence


def _seen(rendered) -> dict:
    """What the rendered axes read at each width, screenshots and timings aside."""
    return {
        w: (
            sorted(v.rule for v in r.violations),
            r.layout_width,
            r.scroll_width,
            r.small_text_count,
            r.overlap_count,
            [e.selector for e in r.overflow],
            r.failed_requests,
            r.console_errors,
        )
        for w, r in rendered.widths.items()
    }


def test_a_page_leaves_nothing_behind_for_the_next_one() -> None:
    """Pages share a tab (`browser.Tab`), not what is in it: a page that keeps a timer running, leaves
    globals and listeners, opens a window and logs errors late changes nothing in how the next page reads."""
    clean = f"<html lang='en'><head>{MV}<title>t</title></head><body><main><h1>ok</h1><p>Words.</p></main></body></html>"
    saboteur = (
        f"<html lang='en'><head>{MV}<title>s</title></head><body><main><h1>s</h1></main><script>"
        "window.leftover = 1; window.open('about:blank');"
        "setInterval(() => { document.body.innerHTML = '<p style=\"font-size:3px;width:4000px\">x</p>';"
        "console.error('late'); }, 5);"
        "window.addEventListener('resize', () => { throw new Error('resized'); });"
        "</script></body></html>"
    )
    alone = Renderer(pages_at_once=1, recent_pages=0)
    shared = Renderer(pages_at_once=1, recent_pages=0)
    try:
        expected = _seen(alone.render(clean))
        shared.render(saboteur)
        # The tab waits on a blank page: none of the saboteur's scripts runs on meanwhile.
        (tab,) = shared._idle
        left = shared._browser.submit(tab.page.evaluate("typeof window.leftover"))
        assert left.result(timeout=10) == "undefined"
        after = shared.render(clean)
        assert _seen(after) == expected
        assert not any(r.console_errors for r in after.widths.values())
        assert len(shared._idle) == 1  # the same tab served both pages
    finally:
        alone.close()
        shared.close()
