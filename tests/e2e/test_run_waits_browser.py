"""A run that waits says on what (issue 27): while a node's call is under way, the Run page names the node and
what it waits on, here its prompt being processed on a slow scripted server."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import goto_page, pick, remove, shot, wait_idle
from workflow_core.testing.fake_server import FakeOpenAIServer


def test_a_slow_node_says_what_it_waits_on(page: Page, fake_server: FakeOpenAIServer) -> None:
    goto_page(page, "Run")
    pick(page, "run_source", "template: single")
    remove(page, "run_profiles", "arjun-utilities")
    pick(page, "run_profiles", "marcus-agriculture")
    pick(page, "run_all_models", "fake/large")  # a model no other browser test runs: no cache hit
    fake_server.latency_s = 4.0
    try:
        page.locator(".st-key-run_start button").click()
        waits = page.get_by_text(
            re.compile(r"processing the prompt \(≈[\d,]+ tokens\) on fake/large · \d+ s")
        )
        expect(waits.first).to_be_visible(timeout=20_000)
        shot(page, "run-waits")
        page.get_by_text("Downloads", exact=True).wait_for(timeout=60_000)
    finally:
        fake_server.latency_s = 0.05
    wait_idle(page)
    expect(page.get_by_text(re.compile("processing the prompt"))).to_have_count(0)
