"""A measurement taken while the machine was busy (here: a scripted server that stalls once) is flagged when
it is made, carried by the cache into a comparison that reuses it, said by the lab's headline and TCO, and
re-measured by one action: the output stays, the timing and a local model's cost are taken again."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from workflow_core.cli.compare import compare_cli, render_text
from workflow_core.lab.analysis import analyse
from workflow_core.lab.disturbance import disturbed_measurements, remeasure_keys
from workflow_core.lab.experiment import ExperimentSpec, Variant, load_experiment
from workflow_core.lab.tco import TcoInputs
from workflow_core.lab.trials import run_experiment
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.run.timing import CallTiming, judge_timing
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeOpenAIServer, FakeReply
from workflow_core.workflow.templates import resolve_workflow

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
MODEL = "local/small"  # priced by compute time, as the embedded local models are
STALL_S = 2.0


class StallOnce:
    """Answers every request at once, except the first chat call after `arm()`, which it holds STALL_S."""

    def __init__(self) -> None:
        self.armed = False

    def arm(self) -> None:
        self.armed = True

    def __call__(self, body: dict[str, Any]) -> FakeReply | None:
        if self.armed:
            self.armed = False
            return FakeReply(latency_s=STALL_S)
        return None


@pytest.fixture
async def local_engine(tmp_path: Path):
    server = FakeOpenAIServer(models=["small"])
    server.start()
    store = Store(tmp_path / "lab.sqlite3")
    registry = ProviderRegistry()
    registry.add(OpenAICompatProvider("local", server.base_url, None), models=["small"])
    engine = Engine(registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    try:
        yield server, store, engine
    finally:
        await registry.aclose()
        store.close()
        server.stop()


def test_a_call_far_slower_than_its_models_recent_calls_predict_is_disturbed() -> None:
    prices = PriceBook()
    history = [CallTiming(800, 200, 5.0), CallTiming(1200, 250, 6.5), CallTiming(600, 150, 4.0)]
    normal = judge_timing(MODEL, 900, 220, 6.0, history, prices)
    slow = judge_timing(MODEL, 900, 220, 30.0, history, prices)
    assert normal is not None and normal.disturbed is None
    assert slow is not None and slow.disturbed and "30.0 s" in slow.disturbed
    assert 4.0 < slow.expected_s < 8.0
    # Too little history says nothing; a short call's jitter is no disturbance.
    assert judge_timing(MODEL, 900, 220, 30.0, history[:2], prices) is None
    fast = [CallTiming(10, 5, 0.02)] * 3
    assert judge_timing(MODEL, 10, 5, 0.2, fast, prices).disturbed is None  # type: ignore[union-attr]


async def test_the_lab_flags_a_disturbed_cached_measurement_and_re_measuring_gives_the_undisturbed_cost(
    local_engine,
) -> None:
    server, store, engine = local_engine
    stall = StallOnce()
    server.set_responder(stall)
    scenario = load_scenario(SCENARIO)
    first, second, third = sorted(scenario.profiles)[:3]
    seed = resolve_workflow("seed").with_models(None, MODEL)

    # The model's history: quiet runs on two visitors.
    for profile in (first, second):
        run = await engine.run(seed, RunInputs.for_profile(scenario, profile))
        assert run.status == "ok", [n.error for n in run.nodes if n.error]

    # A run on a third visitor whose first model call stalls: flagged as it is made, and cached so.
    stall.arm()
    run = await engine.run(seed, RunInputs.for_profile(scenario, third))
    slow = [n for n in run.nodes if n.measured and n.measured.disturbed]
    assert [n.id for n in slow] == ["personalizer"], [(n.id, n.measured) for n in run.nodes]
    assert slow[0].compute_s >= STALL_S and any("looks disturbed" in w for w in slow[0].warnings)
    disturbed_cost = slow[0].cost_usd
    # ... and kept out of the history that later judgements and estimates read.
    assert all(c.compute_s < STALL_S for c in store.model_timings([MODEL])[MODEL])

    # A comparison that reuses it from the cache flags it, and its headline and TCO say so.
    spec = ExperimentSpec(
        name="depths", variants=[Variant(name="seed", workflow="seed", all_models=MODEL)], profiles=[third]
    )
    exp = await run_experiment(spec, scenario, engine)
    [trial] = exp.trials
    assert trial.ok and trial.run is not None
    personalizer = next(n for n in trial.run.nodes if n.id == "personalizer")
    assert personalizer.cached and personalizer.measured and personalizer.measured.disturbed
    assert any("cached result's measurement looks disturbed" in w for w in personalizer.warnings)
    analysis = analyse(exp, PriceBook(), tco_inputs=TcoInputs())
    assert [d.node for d in analysis.disturbed] == ["personalizer"]
    assert "1 disturbed measurement" in analysis.headline
    assert "TCO" in render_text(analysis) and "⚠ This rests on 1 disturbed measurement" in render_text(
        analysis
    )
    assert analysis.runs[0]["disturbed"] == "personalizer"
    costly = trial.cost_usd
    assert costly >= disturbed_cost

    # One action re-measures it: only that node's model is called again; its output is kept.
    calls_before = len(server.requests)
    engine.remeasure = set(remeasure_keys(exp))
    again = await run_experiment(spec, scenario, engine, experiment_id=exp.experiment_id)
    assert len(server.requests) == calls_before + 1
    [trial2] = again.trials
    assert trial2.run is not None
    node = next(n for n in trial2.run.nodes if n.id == "personalizer")
    assert node.output_text == personalizer.output_text
    assert node.measured is not None and node.measured.remeasured and node.measured.disturbed is None
    assert node.compute_s < STALL_S / 4
    assert disturbed_measurements(again) == []
    assert trial2.cost_usd < costly - disturbed_cost * 0.5  # the undisturbed cost
    assert "disturbed" not in analyse(again, PriceBook()).headline
    # It replaced the experiment under its id, and the cache now serves the re-measured timing.
    assert load_experiment(exp.experiment_id, store).trials[0].cost_usd == trial2.cost_usd
    rerun = await engine.run(seed, RunInputs.for_profile(scenario, third))
    assert next(n for n in rerun.nodes if n.id == "personalizer").cost_if_uncached_usd == node.cost_usd


def test_decompose_compare_says_so_and_remeasure_takes_the_timing_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    scenario = load_scenario(SCENARIO)
    first, second, third = sorted(scenario.profiles)[:3]
    stall = StallOnce()
    with FakeOpenAIServer(models=["small"]) as server:
        server.set_responder(stall)

        def engine_factory() -> Engine:
            store = Store(tmp_path / "runs.sqlite3")
            registry = ProviderRegistry()
            registry.add(OpenAICompatProvider("local", server.base_url, None), models=["small"])
            return Engine(registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))

        def compare(**kw: Any) -> str:
            args = argparse.Namespace(what_if=[], concurrency=1, repeats=1, otel=False, **kw)
            compare_cli(args, engine_factory)
            return capsys.readouterr().out

        compare(
            variants="seed",
            scenario=str(SCENARIO),
            profiles=f"{first},{second}",
            all_models=MODEL,
            out=str(tmp_path / "history"),
        )
        stall.arm()
        out = compare(
            variants="seed",
            scenario=str(SCENARIO),
            profiles=third,
            all_models=MODEL,
            out=str(tmp_path / "slow"),
        )
        assert "⚠ This rests on 1 disturbed measurement" in out and "personalizer" in out
        saved = max(
            Store(tmp_path / "runs.sqlite3").list_experiments(), key=lambda e: float(str(e["created_at"]))
        )
        sent = len(server.requests)
        out = compare(remeasure=str(saved["experiment_id"]), out=str(tmp_path / "again"))
        assert len(server.requests) == sent + 1 and "disturbed" not in out
