"""Runs that explain their waits (issue 27): each running node says what its model call waits on, a free call
slot of its provider, its prompt being processed (with its estimated tokens), then how fast it generates."""

from __future__ import annotations

import time

from workflow_core.pricing.book import PriceBook
from workflow_core.providers.config import ProviderEntry
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.background import BackgroundRun, RunProgress
from workflow_core.run.context import RunEvent
from workflow_core.run.engine import Engine
from workflow_core.workflow.files import parse_workflow

TWO_AT_ONCE = """
name: two
nodes:
  - {id: left, model: fake/small, prompt: "Describe the left branch of a river delta in a short paragraph."}
  - {id: right, model: fake/small, prompt: "Describe the right branch."}
"""


async def test_a_node_says_it_waits_for_a_slot_then_for_its_prompt_then_generates(fake_openai) -> None:
    fake_openai.latency_s = 0.2
    registry = ProviderRegistry()
    registry.add_configured(
        "fake", ProviderEntry(base_url=fake_openai.base_url, models=["small"], max_concurrency=1)
    )
    seen: list[RunEvent] = []
    async with Engine(registry, prices=PriceBook()) as engine:
        run = await engine.run(parse_workflow(TWO_AT_ONCE), on_event=seen.append)
    assert run.status == "ok"
    said = {
        n: [e.text for e in seen if e.kind == "node_status" and e.node_id == n] for n in ("left", "right")
    }
    # Both start together; one provider slot: one of them waits for it first.
    waited = [n for n, texts in said.items() if texts and texts[0].startswith("waiting for a free call slot")]
    assert len(waited) == 1 and "max_concurrency 1" in said[waited[0]][0]
    for texts in said.values():
        processing = [t for t in texts if t.startswith("processing the prompt")]
        assert processing and "tokens) on fake/small" in processing[0]
        assert texts[-1] == "generating on fake/small"


def test_the_progress_says_what_a_running_node_waits_on_and_how_fast_it_writes() -> None:
    now = time.time()
    progress = RunProgress(
        state="running", records={}, streamed={}, run=None, error=None, elapsed_s=12.0,
        status={"personalizer": ("processing the prompt (≈1,240 tokens) on local/qwen", now - 9.2),
                "developer": ("generating on local/qwen", now - 4.0)},
        tokens={"developer": 40},
    )  # fmt: skip
    assert progress.waits("personalizer", now) == "processing the prompt (≈1,240 tokens) on local/qwen · 9 s"
    assert progress.waits("developer", now) == "generating on local/qwen: 40 tokens, 10.0 tokens/s"
    assert progress.waits("artist", now) == "working"


def test_a_background_run_keeps_each_nodes_latest_status(fake_openai) -> None:
    fake_openai.latency_s = 0.3
    registry = ProviderRegistry()
    registry.add_configured(
        "fake", ProviderEntry(base_url=fake_openai.base_url, models=["small"], max_concurrency=1)
    )
    engine = Engine(registry, prices=PriceBook())
    background = BackgroundRun(engine, engine.plan(parse_workflow(TWO_AT_ONCE)))
    deadline = time.time() + 10
    seen: set[str] = set()
    while not background.done and time.time() < deadline:
        progress = background.poll()
        seen |= {progress.waits(n) for n, r in progress.records.items() if r.status == "running"}
        time.sleep(0.02)
    assert background.poll().state == "finished"
    assert any(w.startswith("waiting for a free call slot of fake") for w in seen), seen
    assert any(w.startswith("processing the prompt") for w in seen), seen
