"""People's judgement in the browser: a finished experiment with three variants (built on the fake server),
six blind votes cast with the keyboard, the ratings table with intervals, the votes kept over a reload, the
pairwise judge run from the page, and the run diff tab. Screenshots of the voting view at 1280 and 800 px go
to /tmp/people-shots/."""

from __future__ import annotations

import asyncio
import itertools
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ROOT, click_tab, pick, serve_app, wait_idle
from tests.helpers import echo_responder
from workflow_core.lab.experiment import ExperimentSpec, Variant
from workflow_core.lab.trials import run_experiment
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeOpenAIServer

SHOTS = Path("/tmp/people-shots")
VARIANTS = ("single", "seed", "deep")


def _build_experiment(fake_server: FakeOpenAIServer, db: Path) -> str:
    """Run single, seed and deep on two profiles on the fake server into `db`; the experiment's id."""

    async def run() -> str:
        registry = ProviderRegistry()
        registry.add(OpenAICompatProvider("fake", fake_server.base_url, None), models=["small", "large"])
        store = Store(db)
        scenario = load_scenario(ROOT / "assets" / "example_scenario")
        spec = ExperimentSpec(
            name="three depths",
            variants=[Variant(name=n, workflow=n, all_models="fake/small") for n in VARIANTS],
            profiles=sorted(scenario.profiles)[:2],
        )
        engine = Engine(registry, store=store, hooks=standard_hooks(store))
        try:
            exp = await run_experiment(spec, scenario, engine, store=store)
        finally:
            await registry.aclose()
            store.close()
        assert all(t.ok for t in exp.trials), [t.error for t in exp.trials]
        return exp.experiment_id

    # Playwright's sync API keeps an event loop on this thread: run ours on another.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


@pytest.fixture(scope="module")
def lab_url(fake_server: FakeOpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("votes")
    fake_server.set_responder(echo_responder)  # pages that differ by variant and profile
    try:
        _build_experiment(fake_server, tmp / "runs.sqlite3")
    finally:
        fake_server.set_responder(None)
    with serve_app(fake_server, tmp) as url:
        yield url


def _open_experiment(page: Page, url: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.get_by_role("link", name="Compare").first.click()
    wait_idle(page)
    click_tab(page, "Saved experiments")
    page.locator(".st-key-lab_saved_open button").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="three depths")).to_be_visible()


def _shot(page: Page, name: str, width: int) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.set_viewport_size({"width": width, "height": 900})
    wait_idle(page)
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": width, "height": max(900, min(int(height), 6000))})
    page.wait_for_timeout(400)
    path = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path))
    page.set_viewport_size({"width": 1280, "height": 900})
    return path


def _vote_count(page: Page) -> int:
    heading = page.get_by_role("heading", name=re.compile(r"Ratings from \d+ vote")).inner_text()
    return int(re.search(r"(\d+)", heading).group(1))


def test_six_blind_votes_by_keyboard_rate_the_variants_and_survive_a_reload(
    browser: Browser, lab_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        _open_experiment(page, lab_url)
        click_tab(page, "People")
        wait_idle(page)
        expect(page.locator(".st-key-vote_pane_left iframe")).to_be_visible()
        main = page.locator("[data-testid='stMain']")
        expect(page.get_by_text("Ratings from 0 vote(s)")).to_be_visible()
        # Blind: the panes name sides, not variants; the pages sit in the sandboxed preview.
        for side in ("left", "right"):
            pane = page.locator(f".st-key-vote_pane_{side}")
            assert not any(v in pane.inner_text() for v in VARIANTS)
            inner = page.frame_locator(f".st-key-vote_pane_{side} iframe").locator("iframe")
            expect(inner).to_have_attribute("sandbox", "allow-scripts")
        expect(page.locator(".st-key-vote_profile")).to_contain_text("The visitor")
        _shot(page, "voting", 1280)
        _shot(page, "voting", 800)
        page.get_by_text("Mobile", exact=True).click()
        wait_idle(page)
        _shot(page, "voting-mobile", 1280)

        pairs = []
        for n, key in enumerate(["1", "2", "t", "1", "2", "1"], start=1):
            page.locator(".st-key-vote_profile").click()  # focus on the page, not a widget
            page.keyboard.press(key)
            expect(page.get_by_text(f"Ratings from {n} vote(s)")).to_be_visible(timeout=15_000)
            revealed = page.get_by_text(re.compile(r"^Voted .*: left was")).inner_text()
            pairs.append(frozenset(re.findall(r"was (\w+)", revealed)))
        assert all(a != b for a, b in itertools.pairwise(pairs))  # never the same pair twice in a row
        table = page.locator(".st-key-vote_ratings [data-testid='stTable']")
        expect(table).to_be_visible()
        cells = table.inner_text()
        assert all(v in cells for v in VARIANTS)
        assert len(re.findall(r"0\.\d\d – [01]\.\d\d", cells)) == 3  # a 95% interval per variant
        assert "The **people** axis" not in main.inner_text()  # rendered as bold, not as markdown source
        expect(page.get_by_text(re.compile(r"≥ 5 votes \(the fewest now: 4\)"))).to_be_visible()
        chart = page.locator(".st-key-vote_ratings_chart")
        expect(chart).to_have_count(1)
        expect(chart.locator(".scatterlayer .point").first).to_be_attached()
        _shot(page, "voted", 1280)

        # The pairwise judge, run from the page (the fake server always answers "A": a position-biased judge).
        pick(page, "vote_judge_model", "fake/small")
        page.locator(".st-key-vote_judge_run button").click()
        wait_idle(page)
        expect(page.get_by_text(re.compile(r"^12 comparison\(s\), 0 from the cache"))).to_be_visible()
        agreement = page.locator(".st-key-vote_agreement [data-testid='stTable']")
        expect(agreement).to_contain_text("fake/small")
        row = [c.strip() for c in agreement.locator("tbody tr").first.locator("td, th").all_inner_texts()]
        assert row[:3] == ["fake/small", "0%", "6"], row  # an always-A judge is never position consistent

        # Reload: the votes are in SQLite; keys on another tab cast no vote.
        _open_experiment(page, lab_url)  # a new session: only the store remembers the votes
        page.get_by_role("heading", name="three depths").click()
        page.keyboard.press("1")
        wait_idle(page)
        click_tab(page, "People")
        wait_idle(page)
        assert _vote_count(page) == 6

        click_tab(page, "Run diff")
        wait_idle(page)
        expect(page.locator(".st-key-diff_nodes [data-testid='stTable']")).to_contain_text("changed")
        expect(page.get_by_text("Δ cost").first).to_be_visible()
        # Run B starts as another variant on run A's profile.
        a_label = page.locator(".st-key-diff_a input").input_value().split("·")
        b_label = page.locator(".st-key-diff_b input").input_value().split("·")
        assert a_label[-1].strip() == b_label[-1].strip() and a_label[0] != b_label[0], (a_label, b_label)
        _shot(page, "run-diff", 1280)
    finally:
        context.close()
    assert not errors, errors


def _pane_boxes(page: Page) -> list[dict[str, float]]:
    boxes = [page.locator(f".st-key-vote_pane_{side}").bounding_box() for side in ("left", "right")]
    assert all(boxes), boxes
    return boxes  # type: ignore[return-value]


def test_the_pages_stack_readable_on_a_phone_and_no_focus_box_is_left_after_a_vote(
    browser: Browser, lab_url: str
) -> None:
    """Issue 27: at 390 px the two pages were unreadable thumbnails side by side, and a vote by keyboard left
    a grey focus box round the main area. On a phone the pages stack, each the full width and laid out at
    it (not a 1280 px layout scaled down); at 1280 px they stay side by side."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto(f"{lab_url}/compare")
        wait_idle(page)
        click_tab(page, "Saved experiments")
        page.locator(".st-key-lab_saved_open button").click()
        wait_idle(page)
        click_tab(page, "People")
        wait_idle(page)
        expect(page.locator(".st-key-vote_pane_right iframe")).to_be_visible()
        left, right = _pane_boxes(page)
        assert abs(left["y"] - right["y"]) < 2 and right["x"] >= left["x"] + left["width"], (left, right)

        page.set_viewport_size({"width": 390, "height": 844})
        page.wait_for_timeout(500)
        left, right = _pane_boxes(page)
        assert right["y"] >= left["y"] + left["height"], ("not stacked", left, right)
        assert min(left["width"], right["width"]) >= 0.9 * 390, (left, right)
        # The page inside is laid out at its frame's width, unscaled: text at its own size.
        inner = page.frame_locator(".st-key-vote_pane_left iframe").locator("iframe")
        shown = inner.evaluate("f => [f.getBoundingClientRect().width, f.parentElement.style.transform]")
        assert shown[0] >= 0.8 * 390 and shown[1] in ("scale(1)", "none"), shown

        page.locator(".st-key-vote_profile").click()  # focuses the main area (it has tabindex 0)
        before = page.get_by_role("heading", name=re.compile(r"Ratings from")).inner_text()
        page.keyboard.press("1")
        expect(page.get_by_role("heading", name=re.compile(r"Ratings from"))).not_to_have_text(before)
        ring = page.evaluate(
            "() => { const m = document.querySelector(\"[data-testid='stMain']\");"
            " return [m.matches(':focus-visible'), getComputedStyle(m, '::before').content]; }"
        )
        assert ring[1] == "none", f"the main area draws its focus ring after a vote: {ring}"
    finally:
        context.close()
