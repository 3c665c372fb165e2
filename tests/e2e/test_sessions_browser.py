"""Two browser sessions at once: each one's workflow and runs are its own."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import goto_page, pick, wait_idle


def _session(browser: Browser, app_url: str) -> Page:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(app_url)
    wait_idle(page)
    return page


def _start(page: Page, template: str) -> None:
    goto_page(page, "Run")
    pick(page, "run_source", f"template: {template}")
    pick(page, "run_all_models", "fake/small")
    page.locator(".st-key-run_start button").click()


def test_two_sessions_running_at_once_do_not_mix(browser: Browser, app_url: str) -> None:
    first, second = _session(browser, app_url), _session(browser, app_url)
    try:
        _start(first, "seed")
        _start(second, "deep")
        for page in (first, second):
            page.get_by_text("Downloads", exact=True).wait_for(timeout=90_000)
            wait_idle(page)
        seed_table = first.locator("[data-testid='stTable']").first
        deep_table = second.locator("[data-testid='stTable']").first
        expect(deep_table).to_contain_text("copywriter")
        expect(seed_table).to_contain_text("developer")
        expect(seed_table).not_to_contain_text("copywriter")
        expect(seed_table).not_to_contain_text("layout")
    finally:
        first.context.close()
        second.context.close()
