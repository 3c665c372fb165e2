from __future__ import annotations

import sqlite3

from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.estimate import estimate_run
from workflow_core.run.hooks import SaveRun
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.workflow.spec import parse_workflow

WF = parse_workflow(
    """
name: est
nodes:
  - {id: a, model: fake/small, prompt: "Write about {{ topic }}", params: {max_tokens: 300}}
  - {id: b, model: fake/small, prompt: "Summarise: {{ a }}", params: {max_tokens: 100}}
edges: [{source: a, target: b}]
"""
)
TOPIC = RunInputs({"topic": "haul trucks"})
PRICES = PriceBook(overrides={"fake/small": ModelPrice(1.0, 2.0, source="test")})


def test_store_migrates_once_and_reopens(tmp_path):
    path = tmp_path / "db.sqlite3"
    store = Store(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 3
    store.close()
    Store(path).close()  # reopening an up-to-date database runs no migration twice


async def test_an_older_database_keeps_its_history_for_estimates(tmp_path, fake_registry):
    """Migration 3 moves output tokens out of the runs' JSON into their own table: a database written before
    it still informs estimates."""
    path = tmp_path / "old.sqlite3"
    store = Store(path)
    run = await Engine(fake_registry, prices=PRICES, store=store, hooks=[SaveRun(store)]).run(WF, TOPIC)
    store.close()
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE node_outputs; PRAGMA user_version = 2;")
    db.close()
    reopened = Store(path)
    assert reopened.past_output_tokens(WF.name) == {
        "a": run.node("a").output_tokens,
        "b": run.node("b").output_tokens,
    }
    assert estimate_run(WF, TOPIC, PRICES, reopened).nodes["a"].output_from_history


def test_estimate_before_any_run_uses_max_tokens(tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    before = estimate_run(WF, TOPIC, PRICES, store)
    a = before.nodes["a"]
    assert a.output_tokens == 300 and not a.output_from_history
    # b's prompt holds a's output: its input estimate grows with a's max_tokens, not just the template text.
    assert before.nodes["b"].input_tokens >= 300
    assert before.cost_usd == sum(n.cost_usd for n in before.nodes.values()) > 0


async def test_estimate_after_a_run_uses_measured_output_tokens(tmp_path, fake_openai, fake_registry):
    store = Store(tmp_path / "db.sqlite3")
    run = await Engine(fake_registry, prices=PRICES, store=store, hooks=[SaveRun(store)]).run(WF, TOPIC)
    assert run.estimated_cost_usd > 0
    listed = store.list_runs()
    assert [r["run_id"] for r in listed] == [run.run_id]
    assert store.get_run(run.run_id).total_cost_usd == run.total_cost_usd
    after = estimate_run(WF, TOPIC, PRICES, store)
    assert after.nodes["a"].output_from_history
    assert after.nodes["a"].output_tokens == run.node("a").output_tokens
