"""Experiments and `decompose compare` against the scripted fake server on the example scenario."""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import SlowChecks, assert_renders_offline
from workflow_core.cli.compare import compare_cli
from workflow_core.errors import DecomposeError
from workflow_core.lab.experiment import ExperimentSpec, Variant, load_experiment
from workflow_core.lab.trials import ExperimentProgress, run_experiment
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
PRICES = PriceBook(
    overrides={"fake/small": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, source="test")}
)


def _page_responder(body: dict[str, Any]) -> FakeReply | None:
    """Schema requests get the default schema example; free-text ones a small page echoing the prompt."""
    if body.get("response_format"):
        return None
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    words = re.findall(r"[A-Za-z]{4,}", str(users[-1].get("content", "")) if users else "")[:60]
    return FakeReply(
        content="<!DOCTYPE html><html lang='en'><head><title>Offer</title></head><body><main>"
        f"<h1>{' '.join(words[:5])}</h1><p>{' '.join(words)}</p></main></body></html>"
    )


@pytest.fixture
def lab_store(tmp_path: Path) -> Store:
    return Store(tmp_path / "lab.sqlite3")


def _profiles(n: int) -> list[str]:
    return sorted(load_scenario(SCENARIO).profiles)[:n]


async def test_experiment_runs_repeats_and_reuses_the_cache(fake_openai, fake_registry, lab_store) -> None:
    fake_openai.set_responder(_page_responder)
    scenario = load_scenario(SCENARIO)
    spec = ExperimentSpec(
        name="depths",
        variants=[Variant(name=n, workflow=n, all_models="fake/small") for n in ("single", "seed", "deep")],
        profiles=_profiles(2),
        repeats=2,
    )
    seen: list[ExperimentProgress] = []

    engine = Engine(fake_registry, prices=PRICES, store=lab_store, hooks=standard_hooks(lab_store))
    exp = await run_experiment(spec, scenario, engine, seen.append)
    assert len(exp.trials) == 3 * 2 * 2
    assert all(t.ok for t in exp.trials), [t.error for t in exp.trials if not t.ok]
    assert exp.k["single"] < exp.k["seed"] < exp.k["deep"]
    assert [p.phase for p in seen].count("trial_finished") == 12
    assert any(p.phase == "node" for p in seen) and seen[-1].phase == "experiment_finished"

    # The second repeat is a real repeat: its model calls were not served from the cache. (Later variants
    # may share identical nodes with earlier ones, which the cache rightly serves; the first variant cannot.)
    second = [t for t in exp.trials if t.repeat == 1 and t.variant == "single"]
    agents = [n for t in second if t.run for n in t.run.nodes if n.kind == "agent"]
    assert agents and not any(n.cached for n in agents), "repeat 1 must call the models again"
    seeded = [r for r in fake_openai.requests if r.path.endswith("/chat/completions") and r.get("seed") == 1]
    assert len(seeded) >= len(agents)

    summaries = {s.variant: s for s in exp.summaries()}
    assert summaries["seed"].calls >= 2 and summaries["single"].calls >= 1
    assert summaries["deep"].cost_usd > 0 and summaries["seed"].input_tokens > 0
    assert summaries["seed"].qa_mean is not None
    assert summaries["single"].distinctiveness is not None

    # Re-running the same experiment is served entirely from the cache, at the same (uncached) costs.
    calls = len(fake_openai.requests)
    again = await run_experiment(spec, scenario, engine)
    assert len(fake_openai.requests) == calls
    assert all(n.cached for t in again.trials if t.run for n in t.run.nodes if n.kind == "agent")
    for s in again.summaries():
        assert s.cost_usd == pytest.approx(summaries[s.variant].cost_usd)
        assert s.critical_path_s > 0

    reopened = load_experiment(exp.experiment_id, lab_store)
    assert reopened.summaries() == exp.summaries()


async def test_a_broken_variant_is_a_failed_trial_not_a_crash(fake_openai, fake_registry, lab_store) -> None:
    fake_openai.set_responder(_page_responder)
    spec = ExperimentSpec(
        name="broken",
        variants=[
            Variant(name="single", workflow="single", all_models="fake/small"),
            Variant(name="nope", workflow="no-such-template"),
        ],
        profiles=_profiles(1),
    )
    exp = await run_experiment(
        spec,
        load_scenario(SCENARIO),
        Engine(fake_registry, prices=PRICES, store=lab_store, hooks=standard_hooks(lab_store)),
    )
    by = {s.variant: s for s in exp.summaries()}
    assert by["single"].failures == 0 and by["nope"].failures == 1
    assert "no-such-template" in (exp.trials_of("nope")[0].error or "")


def test_compare_cli_writes_report_csv_and_json(
    fake_openai, fake_registry, lab_store, tmp_path, capsys
) -> None:
    fake_openai.set_responder(_page_responder)
    out = tmp_path / "out"
    profiles = _profiles(2)
    args = argparse.Namespace(
        variants="single,seed,seed-qa,deep",
        scenario=str(SCENARIO),
        profiles=",".join(profiles),
        repeats=1,
        all_models="fake/small",
        out=str(out),
    )
    code = compare_cli(
        args,
        engine_factory=lambda: Engine(
            fake_registry, prices=PRICES, store=lab_store, hooks=standard_hooks(lab_store)
        ),
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "[8/8]" in captured.err
    assert "USD/run" in captured.out and "decomposed (" in captured.out
    for name in ("report.html", "results.csv", "results.json", "runs.csv", "nodes.csv"):
        assert (out / name).exists(), name
    rows = list(csv.DictReader((out / "results.csv").open(encoding="utf-8")))
    assert [r["variant"] for r in rows] == ["single", "seed", "seed-qa", "deep"]
    assert all(float(r["cost_usd"]) > 0 for r in rows)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert len(data["runs"]) == 8 and "m" in data["coordination_fit"]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "plotly" in html and "<script src=" not in html
    assert len(list((out / "pages").glob("*.html"))) == 8
    if Path("/usr/bin/chromium").exists():
        assert_renders_offline(out / "report.html")


def test_compare_cli_reprices_what_if_and_takes_tco_inputs(
    fake_openai, fake_registry, lab_store, tmp_path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    fake_openai.set_responder(_page_responder)
    out = tmp_path / "out"
    args = argparse.Namespace(
        variants="single,seed",
        scenario=str(SCENARIO),
        profiles=_profiles(1)[0],
        repeats=1,
        all_models="fake/small",
        out=str(out),
        what_if=["*=openai/gpt-4.1-mini", "personalizer=openai/gpt-4.1"],
        engineering_cost=50.0,
        requests_per_month=1_000_000.0,
        growth=0.1,
    )
    code = compare_cli(
        args,
        engine_factory=lambda: Engine(
            fake_registry, prices=PRICES, store=lab_store, hooks=standard_hooks(lab_store)
        ),
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "what-if *=openai/gpt-4.1-mini, personalizer=openai/gpt-4.1: decomposed (" in captured.out
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "openai/gpt-4.1-mini" in html and "$50 per agent" in html


def test_compare_cli_rejects_a_malformed_what_if(fake_registry, lab_store, tmp_path) -> None:
    args = argparse.Namespace(
        variants="single",
        scenario=str(SCENARIO),
        profiles=_profiles(1)[0],
        repeats=1,
        all_models="fake/small",
        out=str(tmp_path),
        what_if=["personalizer:gpt"],
    )
    with pytest.raises(DecomposeError, match="NODE=PROVIDER/MODEL"):
        compare_cli(
            args,
            engine_factory=lambda: Engine(
                fake_registry, prices=PRICES, store=lab_store, hooks=standard_hooks(lab_store)
            ),
        )


@pytest.mark.parametrize("concurrency", [1, 2])
async def test_one_trial_at_a_time_runs_each_to_its_end(
    fake_openai, fake_registry, lab_store, concurrency
) -> None:
    """At concurrency 1 the lab's latencies are undisturbed: no trial calls a model while the last one is
    still being checked. Above 1 the next trials call models while the last ones are checked."""
    fake_openai.set_responder(_page_responder)
    checks = SlowChecks()
    spec = ExperimentSpec(
        name="timing",
        variants=[Variant(name="single", workflow="single", all_models="fake/small")],
        profiles=_profiles(2),
        repeats=2,
    )
    engine = Engine(fake_registry, prices=PRICES, store=lab_store, hooks=[checks])
    exp = await run_experiment(spec, load_scenario(SCENARIO), engine, concurrency=concurrency)
    assert all(t.ok for t in exp.trials), [t.error for t in exp.trials]
    starts = sorted(n.started_at for t in exp.trials if t.run for n in t.run.nodes if n.kind == "agent")
    during_checks = [s for s in starts if any(a < s < b for a, b in checks.spans)]
    if concurrency == 1:
        assert len(starts) == 4 and not during_checks, (starts, checks.spans)
    else:
        assert during_checks
