"""The design system's hero headline: set smaller the longer it is, so a long headline from a small model
does not push the first screen's copy and buttons below the fold."""

from __future__ import annotations

import pytest

from tests.helpers import HAS_CHROMIUM, SPEC, launch_chromium, realistic_page
from workflow_core.page.design_system import headline_size

SHORT = "Harvest routes that hold"
MID = "Harvest routes planned before the first truck leaves"
LONG = "Dust and diesel particulate exposure compliance for open-pit mines in the Bowen Basin"


def test_the_headline_size_follows_its_length() -> None:
    assert [headline_size(h) for h in (SHORT, MID, LONG)] == ["", "long", "longer"]
    assert '<h1 id="hero-title" class="longer">' in realistic_page({**SPEC, "headline": LONG})
    assert '<h1 id="hero-title">' in realistic_page({**SPEC, "headline": SHORT})


@pytest.mark.skipif(not HAS_CHROMIUM, reason="no Chromium")
def test_a_long_headline_keeps_the_first_screen() -> None:
    """In Chromium a long headline took seven lines at the full size, at 1280 and at 390 px."""
    sync_api = pytest.importorskip("playwright.sync_api")
    measure = """() => { const h = document.querySelector('#hero-title'); const s = getComputedStyle(h);
      const cta = document.querySelector('.hero-actions .btn').getBoundingClientRect();
      return {lines: Math.round(h.getBoundingClientRect().height / parseFloat(s.lineHeight)),
              size: parseFloat(s.fontSize), ctaBottom: cta.bottom}; }"""
    with sync_api.sync_playwright() as p:
        browser = launch_chromium(p)
        got = {}
        for width, height in ((1280, 800), (390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height})
            for name, headline in (("short", SHORT), ("mid", MID), ("long", LONG)):
                page.set_content(realistic_page({**SPEC, "headline": headline}))
                got[name, width] = page.evaluate(measure)
            page.close()
        browser.close()
    for width in (1280, 390):
        sizes = [got[name, width]["size"] for name in ("short", "mid", "long")]
        assert sizes[0] > sizes[1] > sizes[2] >= 27, (width, sizes)  # 27 px: still a headline on a phone
    assert got["long", 1280]["lines"] <= 4 and got["long", 390]["lines"] <= 5, got
    # The hero's call to action is on the first screen at 1280 px.
    assert got["long", 1280]["ctaBottom"] <= 800, got
