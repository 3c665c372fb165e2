"""Compare's "Which node needs the big model?" tab in the browser: estimate a search, confirm it, watch its
progress, read the recommendation and save the recommended workflow (issue 26)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import click_tab, goto_page, pick, remove, shot, wait_idle
from workflow_core.testing.fake_server import FakeOpenAIServer


def clear(page: Page, key: str) -> None:
    page.locator(f".st-key-{key}").get_by_role("button", name="Clear all").click()
    wait_idle(page)


def test_search_the_model_of_each_node_and_save_the_answer(page: Page, fake_server: FakeOpenAIServer) -> None:
    goto_page(page, "Compare")
    click_tab(page, "Which node needs the big model?")
    pick(page, "search_workflow", "seed")
    clear(page, "search_models")  # it offers the local models first: the scripted ones here
    pick(page, "search_models", "fake/small")
    pick(page, "search_models", "fake/large")
    page.keyboard.press("Escape")  # close the models' list: it covers the visitors
    remove(page, "search_profiles", "arjun-utilities")  # the first three visitors are offered: keep one
    remove(page, "search_profiles", "kiri-mining")
    pins = page.locator(".st-key-search_pinned input")  # nodes that keep their own model: none here
    pins.click()
    expect(page.get_by_role("option", name="developer (local/qwen2.5-coder-0.5b)")).to_be_visible()
    page.keyboard.press("Escape")
    page.locator(".st-key-search_estimate button").click()
    wait_idle(page)
    prediction = page.get_by_text(re.compile(r"exhaustive: 4 assignments × 1 visitor is small enough"))
    expect(prediction).to_be_visible()
    shot(page, "search-estimate")
    fake_server.latency_s = 1.0  # slow enough to watch the progress
    try:
        page.locator(".st-key-search_start button").click()
        expect(page.get_by_text(re.compile(r"evaluation \d/~4: personalizer=small"))).to_be_visible(
            timeout=20_000
        )
        expect(page.locator(".st-key-search_cancel button")).to_be_visible()
        shot(page, "search-running")
        expect(page.get_by_role("heading", name="optimise seed")).to_be_visible(timeout=120_000)
    finally:
        fake_server.latency_s = 0.05
    wait_idle(page)
    answer = page.locator("[data-testid='stCode']").filter(has_text="recommended:")
    expect(answer).to_be_visible()
    expect(answer).to_contain_text(
        re.compile(r"recommended: personalizer=(small|large) developer=(small|large)")
    )
    expect(page.get_by_text(re.compile(r"evaluations: 4 \(exhaustive search: 4\)"))).to_be_visible()
    effects = page.locator("[data-testid='stTable']").filter(has_text="instead")
    expect(effects).to_contain_text("personalizer")
    expect(effects).to_contain_text("developer")
    shot(page, "search-answer")
    shot(page, "search-answer", width=390)
    page.get_by_role("button", name="Save the recommended workflow").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"Saved seed-optimised\.yaml"))).to_be_visible()
    # The saved workflow is a variant like any other now.
    click_tab(page, "New experiment")
    box = page.locator(".st-key-lab_variants input")
    box.click()
    box.fill("optimised")
    expect(page.get_by_role("option", name=re.compile("seed-optimised"))).to_be_visible()
