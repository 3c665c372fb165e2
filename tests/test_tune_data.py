"""Distillation's training data (`tune.data`): a scripted teacher's stored runs on the example scenario become
train and validation examples, split by visitor, with the teacher's failing pages left out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from workflow_core.errors import DecomposeError
from workflow_core.lab.trials import with_repeat_seed
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply
from workflow_core.tune.data import MIN_TRAIN, collect
from workflow_core.workflow.files import parse_workflow

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
PRICES = PriceBook(overrides={f"fake/{m}": ModelPrice(1.0, 2.0, source="test") for m in ("small", "large")})
WORKFLOW = parse_workflow(
    """
name: teach
nodes:
  - {id: writer, model: fake/large, output_format: html, prompt: "Write the page for {{ profile }}"}
  - {id: site, kind: assemble}
edges: [{source: writer, target: site}]
"""
)
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Ridgeline Fieldworks</title></head>
<body><!-- take {seed} --><header><nav><a href="#main">Ridgeline Fieldworks</a></nav></header><main id="main">
<h1>Keep your haul trucks running with sensors that warn you early</h1>
<p>We fit vibration and temperature sensors to your fleet, so your crews fix a bearing before it fails.</p>
<h2>What you get</h2><p>Alerts on your phone when a wheel motor runs hot. A weekly report your workshop can
act on.</p><p><a href="mailto:hello@ridgeline.example">Book a site assessment</a></p></main>
<footer><p>hello@ridgeline.example</p></footer></body></html>"""
EMPTY = '<!DOCTYPE html><html lang="en"><head><title>Page</title></head><body><main></main></body></html>'


def _responder(body: dict[str, Any]) -> FakeReply:
    prompt = str(body["messages"][-1]["content"])
    if (
        body["model"] == "small" or "Marcus" in prompt
    ):  # the student, and the teacher's bad day on one visitor
        return FakeReply(content=EMPTY)
    return FakeReply(content=PAGE.format(seed=body.get("seed", 0)))


async def _runs(
    registry, store: Store, *, repeats: int, profiles: list[str], model: str = "fake/large"
) -> None:
    scenario = load_scenario(SCENARIO)
    engine = Engine(registry, prices=PRICES, store=store, hooks=standard_hooks(store, render=False))
    for profile in profiles:
        for repeat in range(repeats):
            workflow = with_repeat_seed(WORKFLOW.with_models({"writer": model}), repeat)
            await engine.run(workflow, RunInputs.for_profile(scenario, profile))


async def test_the_teachers_passing_runs_become_examples_split_by_visitor(
    fake_openai, fake_registry, tmp_path
):
    fake_openai.set_responder(_responder)
    store = Store(tmp_path / "runs.sqlite3")
    profiles = sorted(load_scenario(SCENARIO).profiles)
    await _runs(fake_registry, store, repeats=3, profiles=profiles)
    await _runs(fake_registry, store, repeats=1, profiles=profiles, model="fake/small")  # not the teacher
    await _runs(fake_registry, store, repeats=1, profiles=profiles[:1])  # the same calls again: duplicates
    data = collect(store, "teach", "writer", "fake/large", min_quality=0.05)
    # 15 teacher runs, 5 of the student, 1 repeated; Marcus's 3 fail the gate
    assert (data.runs_seen, data.teacher_runs, data.kept_runs) == (21, 16, 13)
    kept = data.train + data.validation
    assert len(kept) == 12, "one example per distinct prompt and answer"
    assert all("marcus" not in e.visitor for e in kept)
    train_visitors, held = {e.visitor for e in data.train}, {e.visitor for e in data.validation}
    assert len(held) == 1 and not train_visitors & held and len(data.train) == 9 >= MIN_TRAIN
    assert data.summary().startswith(
        "9 training examples (3 visitors) and 3 for validation (1 other visitors)"
    )
    train, _ = data.write(tmp_path / "data")
    first = json.loads(train.read_text().splitlines()[0])
    assert [m["role"] for m in first["messages"]] == ["user", "assistant"]
    assert first["messages"][0]["content"].startswith("Write the page for")
    assert "haul trucks" in first["messages"][-1]["content"]
    # Publishable is the default gate: none of these pages is, so nothing is kept, and the error says what to do.
    with pytest.raises(
        DecomposeError, match=r"too few examples .* Pages must be publishable.*Make at least 8 more"
    ):
        collect(store, "teach", "writer", "fake/large", how_to_make_more="decompose batch teach ...")
    store.close()


async def test_one_visitor_cannot_validate_itself(fake_openai, fake_registry, tmp_path):
    fake_openai.set_responder(_responder)
    store = Store(tmp_path / "runs.sqlite3")
    await _runs(fake_registry, store, repeats=9, profiles=["dana-mining"])
    with pytest.raises(DecomposeError, match=r"every example comes from one visitor \(dana-mining\)"):
        collect(store, "teach", "writer", "fake/large", min_quality=0.05)
    store.close()
