"""Every page at 1280 px and at 800 px (sidebar open): screenshots to look at, and no page scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import flow, goto_page, shot, wait_idle

WIDTHS = (1280, 800)


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
