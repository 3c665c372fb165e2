"""Rendered QA benchmark: every quality axis of one design-system page against the example scenario's sources
(headless Chromium at 1280 and 390 px, axe-core, layout measures, JPEG screenshots, then the text axes and
substance), cold (browser start + first page)
and warm (per page on the running browser), against two baselines measured in the same run: showing the
same page at both widths and nothing more (a fresh context, a bare `set_content`, a resize: what any
browser check pays), and the static checks (what the fallback costs). Target: warm rendered QA of one
page ≤ 3 s on a 2-core machine."""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from workflow_core.bench.load import load_note
from workflow_core.page.artist import vector_svg
from workflow_core.page.design_system import render_page
from workflow_core.page.site import data_uri
from workflow_core.quality import Renderer, Sources, check_page
from workflow_core.quality.browser import LAUNCH_ARGS
from workflow_core.quality.render import NEXT_FRAME
from workflow_core.quality.rendered import DESKTOP, MOBILE

TARGET_S = 3.0
_PALETTE = {"primary": "#1d4e89", "secondary": "#00b2ca", "accent": "#f79256", "background": "#fbfbfb"}
_VISUALS = {
    "Fleet dashboard": "A dashboard of truck availability by site",
    "Workshop crew": "Mechanics servicing a haul truck",
    "Parts map": "A map of spare parts depots",
}


def bench_page(n: int) -> str:
    """A realistic page of our design system (hero, offerings with images, pain points, testimonials,
    contact form), numbered so that each is a new page to the renderer."""
    spec = {
        "headline": f"Keep every haul truck earning (page {n})",
        "subheadline": "Maintenance planning and parts logistics for open-pit mines.",
        "hero_image": "Fleet dashboard",
        "cta_text": "Book a fleet review",
        "intro": "We plan maintenance around your production targets and keep the parts where the trucks are.",
        "offerings": [
            {"title": title, "text": text, "image": label}
            for (title, text), label in zip(
                [
                    ("Availability planning", "Service windows that follow the mine plan."),
                    ("Workshop support", "Crews and tooling when the backlog grows."),
                    ("Parts logistics", "Critical spares staged at each pit."),
                ],
                _VISUALS,
                strict=True,
            )
        ],
        "pain_points": [
            {"title": "Unplanned downtime", "text": "A stopped truck costs a shift's output."},
            {"title": "Parts delays", "text": "Waiting on a part takes longer than the repair."},
        ],
        "testimonial_intro": "Operators across three states work with us.",
        "closing_headline": "Ready for a steadier fleet?",
        "closing_text": "Tell us about your fleet and we will map the first month for free.",
    }
    images = {
        label: data_uri("image/svg+xml", vector_svg(label, text, _PALETTE))
        for label, text in _VISUALS.items()
    }
    logo = data_uri(
        "image/svg+xml",
        "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 4 4'><rect width='4' height='4'/></svg>",
    )
    return render_page(
        spec,
        company={
            "name": "Ridgeline Fieldworks",
            "email": "hello@ridgeline.example",
            "phone": "+61 8 5550 0100",
        },
        palette=_PALETTE,
        logo_data_uri=logo,
        images=images,
        testimonials=[
            {"quote": "Availability went up in a quarter.", "author": "Sam Lee", "company": "Redgum"}
        ],
        profile={"name": "Dana"},
        image_descriptions=_VISUALS,
    )


def _bare_loads(executable: str | None, pages: list[str]) -> list[float]:
    """Seconds per page to show it at both widths and nothing more, as the renderer does (a fresh context,
    one load at 1280 px, a resize to 390 px and a painted frame), on a browser started here (not timed)."""
    from playwright.sync_api import sync_playwright

    samples = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            for html in pages:
                started = time.perf_counter()
                context = browser.new_context(viewport={"width": DESKTOP, "height": 800})
                page = context.new_page()
                page.set_content(html, wait_until="load")
                page.set_viewport_size({"width": MOBILE, "height": 844})
                page.evaluate(NEXT_FRAME)
                context.close()
                samples.append(time.perf_counter() - started)
        finally:
            browser.close()
    return samples


def measure_rendered_qa(pages: int = 5) -> dict[str, Any]:
    """Cold and warm rendered QA and the two baselines, in seconds per page (warm and baselines: the median
    of `pages` distinct pages)."""
    from workflow_core.nodes.retrieve import default_passages
    from workflow_core.scenario import load_scenario
    from workflow_core.workspace import EXAMPLE_SCENARIO

    htmls = [bench_page(n) for n in range(pages + 1)]
    # Every axis at work, as on a run's page: the text axes and substance read the example's sources.
    scenario = load_scenario(EXAMPLE_SCENARIO)
    sources = Sources.of(scenario, "dana-mining", default_passages(scenario, "dana-mining"))
    load_start = os.getloadavg()[0]
    static = []
    for html in htmls[1:]:
        started = time.perf_counter()
        check_page(html, sources, render=False)
        static.append(time.perf_counter() - started)
    renderer = Renderer()
    try:
        started = time.perf_counter()
        first = check_page(htmls[0], sources, render=renderer)
        cold = time.perf_counter() - started
        warm = []
        for html in htmls[1:]:
            started = time.perf_counter()
            report = check_page(html, sources, render=renderer)
            warm.append(time.perf_counter() - started)
            if report.axes["accessibility"].note:
                raise RuntimeError(report.axes["accessibility"].note)
    finally:
        renderer.close()
    if first.axes["accessibility"].note:
        raise RuntimeError(first.axes["accessibility"].note)
    bare = _bare_loads(renderer.executable, htmls[1:])
    warm_median = statistics.median(warm)
    bare_median = statistics.median(bare)
    return {
        "pages": pages,
        "widths": [DESKTOP, MOBILE],
        "executable": renderer.executable or "Playwright's Chromium",
        "load_average_start": load_start,
        "load_average_end": os.getloadavg()[0],
        "cold_s": cold,
        "warm_samples_s": warm,
        "warm_median_s": warm_median,
        "bare_samples_s": bare,
        "bare_median_s": bare_median,
        "static_median_s": statistics.median(static),
        "warm_over_bare": warm_median / bare_median if bare_median else None,
        "screenshot_kb": {str(w): round(len(b) / 1024) for w, b in first.screenshots.items()},
        "target_s": TARGET_S,
    }


def format_rendered_qa(r: dict[str, Any]) -> str:
    verdict = "OK" if r["warm_median_s"] <= TARGET_S else "OVER TARGET"
    shots = ", ".join(f"{w} px {kb} KB" for w, kb in r["screenshot_kb"].items())
    return (
        "rendered QA: every axis of one design-system page against the example's sources, rendered at 1280 "
        f"and 390 px (axe-core, layout measures, JPEG screenshots: {shots}); {r['executable']}\n"
        f"  {load_note(r['load_average_start'])} ({r['load_average_end']:.1f} at the end)\n"
        f"  cold (browser start + first page) {r['cold_s']:6.2f} s\n"
        f"  warm, per page (median of {r['pages']})    {r['warm_median_s']:6.2f} s   "
        f"(target ≤ {TARGET_S:g} s): {verdict}\n"
        f"  baseline: bare set_content at both widths {r['bare_median_s']:6.2f} s   "
        f"rendered QA / bare load: {r['warm_over_bare']:.1f}×\n"
        f"  baseline: static checks only      {r['static_median_s']:6.2f} s\n"
    )
