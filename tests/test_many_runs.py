"""The runner for many runs against the scripted server: overlap up to the limit, per-provider call slots,
the budget, cancellation and progress."""

from __future__ import annotations

import argparse
import asyncio

import pytest

from tests.helpers import SlowChecks
from workflow_core.errors import DecomposeError
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.providers.config import ProviderEntry
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.many import Budget, Callbacks, ManyProgress, RunJob, run_many
from workflow_core.run.store import Store
from workflow_core.workflow.files import parse_workflow

ONE_CALL = """
name: one-call
nodes:
  - {id: a, model: fake/small, prompt: "say hello to {{ who }}", params: {max_tokens: 50}}
"""

PRICES = PriceBook(
    overrides={"fake/small": ModelPrice(input_per_mtok=1000.0, output_per_mtok=1000.0, source="test")}
)


def _max_overlap(intervals: list[tuple[float, float]]) -> int:
    points = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals])
    now = best = 0
    for _, step in points:
        now += step
        best = max(best, now)
    return best


def _jobs(n: int, first: int = 0) -> list[RunJob]:
    wf = parse_workflow(ONE_CALL)
    return [RunJob(f"job-{i}", wf, RunInputs({"who": f"visitor {i}"})) for i in range(first, first + n)]


async def test_runs_overlap_up_to_the_limit_and_no_further(fake_openai, fake_registry, tmp_path) -> None:
    fake_openai.latency_s = 0.2
    store = Store(tmp_path / "runs.sqlite3")
    seen: list[ManyProgress] = []
    async with Engine(fake_registry, prices=PRICES, store=store, hooks=standard_hooks(store)) as engine:
        outcomes = await run_many(
            engine, _jobs(8), concurrency=3, callbacks=Callbacks(on_progress=seen.append)
        )
    assert [o.job.key for o in outcomes] == [f"job-{i}" for i in range(8)]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    spans = [(o.run.started_at, o.run.finished_at) for o in outcomes if o.run and o.run.finished_at]
    assert _max_overlap(spans) == 3
    final = seen[-1]
    assert (final.done, final.total, final.running, final.failed) == (8, 8, 0, 0)
    assert final.cost_usd == sum(o.cost_usd for o in outcomes) > 0
    assert any(p.eta_s is not None and p.done < p.total for p in seen)
    assert len(store.list_runs()) == 8  # every run saved through the shared store


async def test_a_provider_limit_caps_calls_across_runs(fake_openai, tmp_path) -> None:
    fake_openai.latency_s = 0.2
    registry = ProviderRegistry()
    registry.add_configured(
        "fake", ProviderEntry(base_url=fake_openai.base_url, models=["small"], max_concurrency=2)
    )
    async with Engine(registry, prices=PRICES) as engine:
        outcomes = await run_many(engine, _jobs(6), concurrency=6)
    assert all(o.ok for o in outcomes)
    calls = [(o.run.nodes[0].started_at, o.run.nodes[0].finished_at) for o in outcomes if o.run]
    # The runs all start together; their calls take the provider's two slots in turn: three waves of 0.2 s.
    runs = [(o.run.started_at, o.run.finished_at) for o in outcomes if o.run]
    assert _max_overlap(runs) == 6
    waves = max(e for _, e in calls) - min(s for s, _ in calls)
    assert waves >= 3 * 0.2 * 0.95


async def test_the_budget_stops_before_the_run_that_would_exceed_it(fake_registry, tmp_path) -> None:
    store = Store(tmp_path / "runs.sqlite3")
    async with Engine(fake_registry, prices=PRICES, store=store, hooks=standard_hooks(store)) as engine:
        first = await run_many(engine, _jobs(1))  # one saved run: the estimates know the output length
        one_run = first[0].cost_usd
        budget = Budget(limit_usd=one_run * 3.5)
        outcomes = await run_many(engine, _jobs(10, first=1), concurrency=2, budget=budget)
    ran = [o for o in outcomes if o.state == "ran"]
    stopped = [o for o in outcomes if o.state == "budget"]
    assert 2 <= len(ran) <= 3 and len(ran) + len(stopped) == 10
    assert budget.spent_usd <= budget.limit_usd + max(o.cost_usd - o.estimate_usd for o in ran)
    assert "budget has $" in (stopped[0].error or "") and "next run is estimated" in (stopped[0].error or "")


async def test_cancel_stops_the_jobs_not_started(fake_openai, fake_registry) -> None:
    fake_openai.latency_s = 0.3
    cancel = asyncio.Event()

    def stop_after_first(_outcome: object) -> None:
        cancel.set()

    async with Engine(fake_registry, prices=PRICES) as engine:
        outcomes = await run_many(
            engine,
            _jobs(5),
            concurrency=1,
            cancel=cancel,
            callbacks=Callbacks(on_outcome=stop_after_first),
        )
    assert outcomes[0].ok
    assert {o.state for o in outcomes[1:]} == {"cancelled"}


async def test_an_invalid_job_is_an_outcome_and_the_others_run(fake_registry) -> None:
    bad = RunJob("bad", parse_workflow(ONE_CALL), RunInputs({}))  # `who` is missing
    async with Engine(fake_registry, prices=PRICES) as engine:
        outcomes = await run_many(engine, [bad, *_jobs(2)], concurrency=2)
    assert outcomes[0].state == "invalid" and "who" in (outcomes[0].error or "")
    assert [o.ok for o in outcomes[1:]] == [True, True]


def test_compare_runs_trials_concurrently_when_asked(fake_openai, fake_registry, tmp_path, capsys) -> None:
    from pathlib import Path

    from workflow_core.cli.compare import compare_cli
    from workflow_core.lab.experiment import list_experiments, load_experiment

    fake_openai.latency_s = 0.2
    store = Store(tmp_path / "lab.sqlite3")
    args = argparse.Namespace(
        variants="single,seed",
        scenario=str(Path(__file__).resolve().parents[1] / "assets" / "example_scenario"),
        profiles=None,
        repeats=1,
        concurrency=4,
        all_models="fake/small",
        out=str(tmp_path / "out"),
    )
    code = compare_cli(
        args,
        engine_factory=lambda: Engine(fake_registry, prices=PRICES, store=store, hooks=standard_hooks(store)),
    )
    assert code == 0, capsys.readouterr().err
    assert "4 at a time" in capsys.readouterr().err
    exp = load_experiment(str(list_experiments(store)[0]["experiment_id"]), store)
    # Trials come back in variant × profile order, whatever order they finished in.
    n = len(exp.trials) // 2
    assert [t.variant for t in exp.trials] == ["single"] * n + ["seed"] * n
    assert [t.profile for t in exp.trials[:n]] == [t.profile for t in exp.trials[n:]]
    assert all(t.ok for t in exp.trials)
    runs = [(t.run.started_at, t.run.finished_at) for t in exp.trials if t.run and t.run.finished_at]
    assert _max_overlap(runs) == 4


def test_compare_refuses_a_concurrency_below_one(tmp_path) -> None:
    from pathlib import Path

    from workflow_core.cli.compare import compare_cli

    args = argparse.Namespace(
        variants="single",
        scenario=str(Path(__file__).resolve().parents[1] / "assets" / "example_scenario"),
        profiles=None,
        repeats=1,
        concurrency=0,
        out=str(tmp_path),
    )
    with pytest.raises(DecomposeError, match="--concurrency must be 1 or more"):
        compare_cli(args)


async def _timed_runs(fake_registry: ProviderRegistry, finishing: int | None) -> tuple[list, SlowChecks]:
    hook = SlowChecks()
    calls: list[tuple[float, float]] = []
    async with Engine(fake_registry, prices=PRICES, hooks=[hook]) as engine:
        outcomes = await run_many(engine, _jobs(4), concurrency=1, finishing=finishing)
    for o in outcomes:
        assert o.ok, o.error
        calls.append((o.run.nodes[0].started_at, o.run.nodes[0].finished_at))
    return calls, hook


async def test_the_next_run_calls_models_while_the_last_one_is_checked(fake_openai, fake_registry) -> None:
    """`concurrency` bounds runs calling models; a run's checks and save come after it leaves that limit,
    and `concurrency + finishing` (by default twice `concurrency`) bounds the runs under way in all."""
    fake_openai.latency_s = 0.1
    calls, hook = await _timed_runs(fake_registry, finishing=None)
    assert _max_overlap(calls) == 1  # one run calling models at a time
    under_way = [(c[0], h[1]) for c, h in zip(sorted(calls), sorted(hook.spans), strict=True)]
    assert _max_overlap(under_way) == 2  # and two under way at most
    # The second run's call started while the first run's checks were still going.
    first_finish = min(hook.spans)
    assert any(first_finish[0] < start < first_finish[1] for start, _ in calls[1:])


async def test_finishing_zero_keeps_each_run_in_its_place_to_the_end(fake_openai, fake_registry) -> None:
    fake_openai.latency_s = 0.1
    calls, hook = await _timed_runs(fake_registry, finishing=0)
    finishes = sorted(hook.spans)
    # No call starts before the previous run's checks are over.
    for (_, done), (start, _) in zip(finishes, sorted(calls)[1:], strict=False):
        assert start >= done - 0.01


async def test_a_judge_takes_the_providers_slots_like_the_nodes(fake_openai, tmp_path) -> None:
    # The page judge of each run calls the same provider as the nodes; with max_concurrency 1 the scripted
    # server never answers two calls at once, whether a node's or a judge's (issue 28: the judges used to
    # call the provider directly, past its slot, and without retrying).
    fake_openai.latency_s = 0.15
    registry = ProviderRegistry()
    registry.add_configured(
        "fake", ProviderEntry(base_url=fake_openai.base_url, models=["small"], max_concurrency=1)
    )
    from pathlib import Path

    from workflow_core.scenario import load_scenario
    from workflow_core.testing.fake_server import FakeReply
    from workflow_core.workflow.templates import load_template

    page = "<!DOCTYPE html><html lang='en'><head><title>Hi</title></head><body><h1>Hello</h1></body></html>"
    fake_openai.set_responder(lambda body: None if body.get("response_format") else FakeReply(content=page))
    scenario = load_scenario(Path(__file__).resolve().parents[1] / "assets" / "example_scenario")
    workflow = load_template("single").with_models(all_models="fake/small")
    jobs = [RunJob(p, workflow, RunInputs.for_profile(scenario, p)) for p in list(scenario.profiles)[:4]]
    store = Store(tmp_path / "runs.sqlite3")
    hooks = standard_hooks(store, judge="fake/small", registry=registry, prices=PRICES, render=False)
    async with Engine(registry, prices=PRICES, store=store, hooks=hooks) as engine:
        outcomes = await run_many(engine, jobs, concurrency=4)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    judged = [o.run for o in outcomes if o.run is not None and "judge" in o.run.qa_axes]
    assert len(judged) == 4 and all(r.judge_cost_usd > 0 for r in judged)
    assert fake_openai.most_in_flight == 1
    store.close()


async def test_the_page_judge_retries_a_failed_call(fake_openai, fake_registry) -> None:
    from workflow_core.quality.judge import judge_page
    from workflow_core.quality.sources import Sources
    from workflow_core.testing.fake_server import FakeReply

    fake_openai.enqueue(FakeReply(status=503))
    judged = await judge_page(
        "<html><body><h1>Hi</h1></body></html>", Sources(), "fake/small", fake_registry, PRICES
    )
    assert judged.axis.axis == "judge" and judged.cost_usd > 0
    assert len([r for r in fake_openai.requests if str(r.get("path", "")).endswith("/chat/completions")]) == 2
