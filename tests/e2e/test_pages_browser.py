"""Every page at 1280 px and at 800 px (sidebar open): screenshots to look at, and no page scrolls sideways;
the app's own navigation on every URL, a deep link on a freshly started server included."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import flow, goto_page, serve_app, shot, wait_idle
from workflow_core.testing.fake_server import FakeOpenAIServer

WIDTHS = (1280, 800)
TITLES = ["Home", "Designer", "Scenario", "Run", "Compare", "Settings"]


def _no_sideways_scroll(page: Page) -> None:
    overflow = page.evaluate(
        "() => { const m = document.querySelector(\"[data-testid='stMain']\");"
        " return m ? m.scrollWidth - m.clientWidth : 0; }"
    )
    assert overflow <= 1, f"the main area scrolls sideways by {overflow} px"


@pytest.mark.parametrize("title", ["Home", "Scenario", "Settings"])
def test_page_reads_at_both_widths(page: Page, title: str) -> None:
    if title != "Home":
        goto_page(page, title)
    for width in WIDTHS:
        shot(page, f"page-{title.lower()}", width=width)
        _no_sideways_scroll(page)
    expect(page.locator("[data-testid='stException']")).to_have_count(0)


def test_designer_with_a_node_selected_at_both_widths(page: Page) -> None:
    goto_page(page, "Designer")
    flow(page).locator(".react-flow__node[data-id='personalizer']").click()
    wait_idle(page)
    expect(page.get_by_label("Node id")).to_have_value("personalizer")
    for width in WIDTHS:
        shot(page, "page-designer-selected", width=width)
        _no_sideways_scroll(page)


def test_a_deep_link_on_a_fresh_server_shows_the_apps_navigation(
    browser: Browser, fake_server: FakeOpenAIServer, tmp_path: Path
) -> None:
    # Its own server: nobody may have opened / on it before (Streamlit's file-name mode lasts until then).
    with serve_app(fake_server, tmp_path) as url:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{url}/compare")
        wait_idle(page)
        nav = page.locator("[data-testid='stSidebarNav']")
        expect(nav.get_by_role("link")).to_have_count(len(TITLES))
        for title in TITLES:
            expect(nav.get_by_role("link", name=title)).to_be_visible()
        expect(nav.get_by_role("link", name="app", exact=True)).to_have_count(0)
        page.get_by_role("heading", name="Compare").first.wait_for()
        # The shell ran too: its page title and no "page not found" dialog.
        assert "Decompose Studio" in page.title()
        expect(page.get_by_role("dialog")).to_have_count(0)
        assert page.url.endswith("/compare")
        for width in WIDTHS:
            shot(page, "cold-deep-link-compare", width=width)
        # What the user types on that first page survives the next run, which goes through app.py.
        name = page.locator(".st-key-lab_name input")
        name.fill("cold start")
        name.press("Enter")
        wait_idle(page)
        expect(name).to_have_value("cold start")
        goto_page(page, "Settings")
        assert page.url.endswith("/settings")
        context.close()
