"""The Run page's "Serve this workflow" panel shows the command for the workflow chosen, and a curl."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import goto_page, pick, shot, wait_idle


def test_the_serve_panel_follows_the_chosen_workflow_and_models(page: Page) -> None:
    goto_page(page, "Run")
    pick(page, "run_source", "template: duo")
    pick(page, "run_all_models", "fake/small")
    page.get_by_text("Serve this workflow").click()
    wait_idle(page)
    code = page.locator("[data-testid='stCode']")
    expect(code.first).to_contain_text("decompose serve duo --scenario")
    expect(code.first).to_contain_text("--all-models fake/small")
    expect(code.nth(1)).to_contain_text("curl -s -X POST http://127.0.0.1:8000/v1/pages")
    expect(code.nth(1)).to_contain_text('"profile_id": "arjun-utilities"')
    expect(page.get_by_text("What visitors get is safe by construction")).to_be_visible()  # the gate, said
    expect(page.get_by_text("--allow-unpublishable")).to_be_visible()
    shot(page, "run-serve-panel")
    shot(page, "run-serve-panel", width=390)
