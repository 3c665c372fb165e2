"""The exported HTML report opens in headless Chromium with no network, and its charts render."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from test_compare_analysis import _experiment

from workflow_core.lab.analysis import analyse
from workflow_core.lab.export import write_exports
from workflow_core.lab.tco import TcoInputs
from workflow_core.pricing.book import PriceBook

CHROMIUM = "/usr/bin/chromium"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists() and not shutil.which("chromium"), reason="no Chromium"
)


def assert_renders_offline(report: Path, min_charts: int = 6) -> None:
    """Open `report` in headless Chromium (offline): the plotly charts draw, no script fails, and no request
    leaves the file (or 127.0.0.1)."""
    playwright = pytest.importorskip("playwright.sync_api")
    requests: list[str] = []
    errors: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(offline=True)
            page = context.new_page()
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.as_uri())
            page.wait_for_selector(".plotly svg.main-svg", timeout=20_000)
            charts = page.locator(".js-plotly-plot").count()
            svgs = page.locator(".plotly svg.main-svg").count()
            points = page.locator(".plotly .scatterlayer .point").count()
            bars = page.locator(".plotly .barlayer .point").count()
        finally:
            browser.close()
    assert charts >= min_charts
    assert svgs >= charts
    assert points > 0 and bars > 0
    assert not errors, errors
    leaving = [
        u for u in requests if not u.startswith(("file:", "about:", "data:", "blob:", "http://127.0.0.1"))
    ]
    assert not leaving, leaving


def test_report_renders_offline(tmp_path: Path) -> None:
    analysis = analyse(_experiment(), PriceBook(), {"*": "openai/gpt-4.1-mini"}, TcoInputs())
    paths = write_exports(analysis, tmp_path)
    assert_renders_offline(paths["report.html"])
