"""The engine against a real HTTP server (the scripted fake on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import time

import pytest

from workflow_core.errors import WorkflowError
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.run.calls import RetryPolicy
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.testing.fake_server import FakeReply
from workflow_core.workflow.files import parse_workflow

DIAMOND = """
name: diamond
nodes:
  - {id: a, model: fake/small, prompt: "start"}
  - {id: b, model: fake/small, prompt: "left of {{ a }}"}
  - {id: c, model: fake/small, prompt: "right of {{ a }}"}
  - {id: d, model: fake/small, prompt: "join {{ b }} and {{ c }}"}
edges:
  - {source: a, target: b}
  - {source: a, target: c}
  - {source: b, target: d}
  - {source: c, target: d}
"""

PRICES = PriceBook(
    overrides={"fake/small": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, source="test")}
)


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "runs.sqlite3")
    yield s
    s.close()


def engine_for(registry, store=None, **kw) -> Engine:
    kw.setdefault("hooks", standard_hooks(store))
    return Engine(registry, prices=PRICES, store=store, retry=RetryPolicy(base_delay_s=0.05), **kw)


async def test_diamond_branches_overlap(fake_openai, fake_registry, store):
    fake_openai.latency_s = 0.3
    run = await engine_for(fake_registry, store).run(parse_workflow(DIAMOND))
    assert run.status == "ok"
    b, c = run.node("b"), run.node("c")
    assert b.started_at < c.finished_at and c.started_at < b.finished_at, "B and C must run concurrently"
    assert run.node("d").started_at >= max(b.finished_at, c.finished_at)
    # The critical path is the longest chain: a, the slower of b and c, then d.
    chain = run.node("a").latency_s + max(b.latency_s, c.latency_s) + run.node("d").latency_s
    assert run.critical_path_s == pytest.approx(chain, rel=0.2)


async def test_prompts_see_upstream_outputs_and_costs_add_up(fake_openai, fake_registry, store):
    run = await engine_for(fake_registry, store).run(parse_workflow(DIAMOND))
    d = run.node("d")
    assert run.node("b").output_text in d.messages[-1]["content"]
    assert all(n.input_tokens > 0 and n.output_tokens > 0 for n in run.nodes)
    for n in run.nodes:
        assert n.cost_usd == pytest.approx((n.input_tokens * 1.0 + n.output_tokens * 2.0) / 1e6)
    assert run.total_cost_usd == pytest.approx(sum(n.cost_usd for n in run.nodes))
    assert run.estimated_cost_usd > 0


async def test_second_run_is_served_from_cache(fake_openai, fake_registry, store):
    wf = parse_workflow(DIAMOND)
    first = await engine_for(fake_registry, store).run(wf)
    calls = len(fake_openai.requests)
    second = await engine_for(fake_registry, store).run(wf)
    assert len(fake_openai.requests) == calls, "a cached run must not call the model"
    assert all(n.cached for n in second.nodes)
    assert second.total_cost_usd == 0
    assert [n.output_text for n in second.nodes] == [n.output_text for n in first.nodes]
    assert [n.cost_if_uncached_usd for n in second.nodes] == [n.cost_usd for n in first.nodes]


class _CountingStore(Store):
    """A store that counts its cache transactions and the results in each."""

    def __init__(self, path) -> None:
        super().__init__(path)
        self.transactions: list[int] = []

    def cache_put_many(self, entries, wait=True):
        holding = super().cache_put_many(entries, wait)
        if holding:
            self.transactions.append(len(entries))
        return holding


class _BusyStore(_CountingStore):
    """A store that another thread always holds when a write would be made without waiting, and whose waited
    writes are slow: the engine's cache writes must go to a thread and land before the run ends."""

    def cache_put_many(self, entries, wait=True):
        if not wait:
            return False
        time.sleep(0.05)
        return super().cache_put_many(entries, wait)


async def test_quick_results_are_cached_in_one_transaction_that_lands_before_the_run_ends(
    fake_openai, fake_registry, tmp_path
):
    busy = _BusyStore(tmp_path / "busy.sqlite3")
    try:
        run = await engine_for(fake_registry, busy).run(parse_workflow(DIAMOND))
        # The scripted server answers in milliseconds: all four results are quick, written together at the end.
        assert busy.transactions == [4] and all(n.warnings == [] for n in run.nodes)
        assert all(busy.cache_get(n.cache_key) is not None for n in run.nodes if n.cache_key)
        again = await engine_for(fake_registry, busy).run(parse_workflow(DIAMOND))
        assert all(n.cached for n in again.nodes)
    finally:
        busy.close()


async def test_a_slow_result_is_committed_as_soon_as_it_exists(fake_openai, fake_registry, tmp_path):
    """What took a while to make survives a crash later in the run: it is written before its children run."""
    fake_openai.latency_s = 0.3  # over cache_writes.QUICK_S
    store_ = _CountingStore(tmp_path / "counting.sqlite3")
    seen_by_d: list[bool] = []

    def responder(body):
        if body["messages"][-1]["content"].startswith("join"):  # d runs: a, b and c must be in the store
            seen_by_d.extend(store_.cache_get(n) is not None for n in keys.values())
        return None

    fake_openai.set_responder(responder)
    keys: dict[str, str] = {}
    try:
        first = await engine_for(fake_registry, store_).run(parse_workflow(DIAMOND))
        keys.update({n.id: n.cache_key for n in first.nodes if n.id != "d"})
        store_.cache_clear()
        store_.transactions.clear()
        await engine_for(fake_registry, store_).run(parse_workflow(DIAMOND))
        assert store_.transactions == [1, 1, 1, 1]
        assert seen_by_d[-3:] == [True, True, True]
    finally:
        store_.close()


async def test_a_held_quick_result_serves_the_same_call_later_in_its_run(fake_openai, fake_registry, store):
    twice = """
name: twice
nodes:
  - {id: a, model: fake/small, prompt: "start"}
  - {id: b, model: fake/small, prompt: "again"}
  - {id: c, model: fake/small, prompt: "again"}
edges:
  - {source: a, target: b}
  - {source: b, target: c}
"""
    run = await engine_for(fake_registry, store).run(parse_workflow(twice))
    assert [n.cached for n in run.nodes] == [False, False, True]
    assert len(fake_openai.requests) == 2
    assert run.node("c").output_text == run.node("b").output_text


async def test_changed_prompt_misses_cache_only_downstream(fake_openai, fake_registry, store):
    await engine_for(fake_registry, store).run(parse_workflow(DIAMOND))
    changed = parse_workflow(DIAMOND.replace("right of", "to the right of"))
    run = await engine_for(fake_registry, store).run(changed)
    assert {n.id: n.cached for n in run.nodes} == {"a": True, "b": True, "c": False, "d": False}


async def test_failed_node_skips_descendants_and_unrelated_branch_finishes(fake_openai, fake_registry, store):
    def responder(body):
        if "left of" in body["messages"][-1]["content"]:
            return FakeReply(status=400, error_body={"error": {"message": "bad request for left"}})
        return None

    fake_openai.set_responder(responder)
    with_side_branch = DIAMOND.replace(
        "edges:", '  - {id: e, model: fake/small, prompt: "side {{ c }}"}\nedges:\n  - {source: c, target: e}'
    )
    wf = parse_workflow(with_side_branch)
    run = await engine_for(fake_registry, store).run(wf)
    status = {n.id: n.status for n in run.nodes}
    assert status == {"a": "ok", "b": "failed", "c": "ok", "d": "skipped", "e": "ok"}
    assert "bad request for left" in run.node("b").error
    assert run.node("b").attempts == 1, "a 400 is not retried"
    assert run.status == "failed"


async def test_retries_honour_retry_after(fake_openai, fake_registry):
    fake_openai.enqueue(FakeReply(status=429, headers={"Retry-After": "0.4"}))
    fake_openai.enqueue(FakeReply(status=503))
    wf = parse_workflow("nodes:\n  - {id: a, model: fake/small, prompt: hi}\n")
    t0 = time.perf_counter()
    run = await engine_for(fake_registry).run(wf)
    assert run.node("a").status == "ok"
    assert run.node("a").attempts == 3
    assert time.perf_counter() - t0 >= 0.4, "the engine must wait as long as Retry-After says"


async def test_retries_give_up_after_the_limit(fake_openai, fake_registry):
    for _ in range(3):
        fake_openai.enqueue(FakeReply(status=500))
    wf = parse_workflow("nodes:\n  - {id: a, model: fake/small, prompt: hi, params: {retries: 1}}\n")
    run = await engine_for(fake_registry).run(wf)
    assert run.node("a").status == "failed"
    assert run.node("a").attempts == 2


async def test_node_timeout(fake_openai, fake_registry):
    fake_openai.latency_s = 2.0
    wf = parse_workflow(
        "nodes:\n  - {id: a, model: fake/small, prompt: hi, params: {timeout_s: 0.3, retries: 0}}\n"
    )
    run = await engine_for(fake_registry).run(wf)
    assert run.node("a").status == "failed"
    assert "timeout" in run.node("a").error


async def test_cancellation_stops_running_and_pending_nodes(fake_openai, fake_registry):
    fake_openai.latency_s = 1.5
    cancel = asyncio.Event()
    engine = engine_for(fake_registry)

    async def cancel_soon():
        await asyncio.sleep(0.3)
        cancel.set()

    t0 = time.perf_counter()
    run, _ = await asyncio.gather(engine.run(parse_workflow(DIAMOND), cancel=cancel), cancel_soon())
    assert time.perf_counter() - t0 < 1.4
    assert run.status == "cancelled"
    assert {n.status for n in run.nodes} == {"cancelled"}


async def test_a_run_cancelled_from_outside_leaves_no_node_running(fake_openai, fake_registry):
    # The scheduler starts children from done callbacks: once the run's own task is cancelled, no node task
    # may outlive it and no node may start after it.
    fake_openai.latency_s = 0.4
    run_task = asyncio.create_task(engine_for(fake_registry).run(parse_workflow(DIAMOND)))
    await asyncio.sleep(0.6)  # a is done, b and c are running
    run_task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run_task
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    sent = len(fake_openai.requests)
    await asyncio.sleep(0.6)
    assert len(fake_openai.requests) == sent == 3  # d never started


async def test_events_stream_tokens_and_node_lifecycle(fake_openai, fake_registry):
    events = []
    await engine_for(fake_registry).run(parse_workflow(DIAMOND), on_event=events.append)
    kinds = [e.kind for e in events]
    assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
    assert kinds.count("node_started") == 4 and kinds.count("node_finished") == 4
    assert any(e.kind == "token" and e.node_id == "a" for e in events)


async def test_structured_output_fields_reach_downstream_prompts(fake_openai, fake_registry):
    def responder(body):
        if body.get("response_format"):
            return FakeReply(content='{"headline": "Hello Dana", "items": ["x", "y"]}')
        return None

    fake_openai.set_responder(responder)
    wf = parse_workflow(
        """
nodes:
  - id: plan
    model: fake/small
    prompt: plan it
    output_format: json
    output_schema: {type: object, properties: {headline: {type: string}, items: {type: array, items: {type: string}}},
                    required: [headline, items], additionalProperties: false}
  - {id: write, model: fake/small, prompt: "Use {{ plan.headline }} with {{ plan.items | join(',') }}"}
edges: [{source: plan, target: write}]
"""
    )
    run = await engine_for(fake_registry).run(wf)
    assert run.node("plan").output_data == {"headline": "Hello Dana", "items": ["x", "y"]}
    assert "Use Hello Dana with x,y" in run.node("write").messages[-1]["content"]
    body = next(r for r in fake_openai.requests if r.get("response_format"))
    assert body["response_format"]["json_schema"]["schema"]["required"] == ["headline", "items"]


async def test_invalid_workflow_makes_no_call(fake_openai, fake_registry):
    wf = parse_workflow(DIAMOND.replace("join {{ b }}", "join {{ missing }}"))
    with pytest.raises(WorkflowError) as err:
        await engine_for(fake_registry).run(wf)
    assert any(p.node_id == "d" for p in err.value.problems)
    assert fake_openai.requests == []


async def test_retry_after_longer_than_the_timeout_fails_at_once(fake_openai, fake_registry):
    fake_openai.enqueue(FakeReply(status=429, headers={"Retry-After": "120"}))
    wf = parse_workflow("nodes:\n  - {id: a, model: fake/small, prompt: hi, params: {timeout_s: 5}}\n")
    t0 = time.perf_counter()
    run = await engine_for(fake_registry).run(wf)
    assert time.perf_counter() - t0 < 3
    assert run.node("a").status == "failed" and "retry after 120 s" in run.node("a").error


async def test_a_prompt_expression_the_estimate_cannot_satisfy_does_not_break_the_run(
    fake_openai, fake_registry
):
    fake_openai.set_responder(
        lambda body: FakeReply(content='{"score": 5}') if body.get("response_format") else None
    )
    wf = parse_workflow(
        """
nodes:
  - {id: a, model: fake/small, prompt: rate, output_format: json,
     output_schema: {type: object, properties: {score: {type: integer}}, required: [score]}}
  - {id: b, model: fake/small, prompt: "{% if a.score > 3 %}good{% else %}bad{% endif %}"}
edges: [{source: a, target: b}]
"""
    )
    run = await engine_for(fake_registry).run(wf)
    assert run.status == "ok" and run.node("b").messages[-1]["content"] == "good"


async def test_a_cut_off_answer_carries_a_warning(fake_openai, fake_registry):
    fake_openai.enqueue(FakeReply(content="a b c", finish_reason="length"))
    run = await engine_for(fake_registry).run(
        parse_workflow("nodes:\n  - {id: a, model: fake/small, prompt: hi}\n")
    )
    assert any("max_tokens" in w for w in run.node("a").warnings)


def test_overriding_the_model_of_a_node_that_does_not_exist_is_an_error():
    from workflow_core.workflow.templates import load_template

    with pytest.raises(WorkflowError, match="node 'writer'"):
        load_template("seed").with_models({"writer": "local/qwen2.5-coder-1.5b"})
