"""The per-node model search (`lab.search`) on the scripted server, where the right answer is known: the page
writer's model decides the page's quality (the large model writes a page, the small one an empty one), the
three nodes before it make no difference to the page, and the large model costs ten
times the small one. Every strategy must recommend the small model everywhere but the page writer; coordinate
ascent and halving must get there with at most half of exhaustive search's evaluations."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.test_cli import decompose
from workflow_core.errors import DecomposeError
from workflow_core.lab.analysis import analyse
from workflow_core.lab.experiment import load_experiment
from workflow_core.lab.export import report_html
from workflow_core.lab.search.scores import Measured, Outcome, Rule
from workflow_core.lab.search.search import ModelSearch, SearchProgress, SearchRequest
from workflow_core.lab.search.space import Assignment, build_space
from workflow_core.lab.search.strategies import Search, run_strategy
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply
from workflow_core.workflow.files import load_workflow_file, parse_workflow

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
PRICES = PriceBook(
    overrides={
        "fake/small": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, source="test"),
        "fake/large": ModelPrice(input_per_mtok=10.0, output_per_mtok=20.0, source="test"),
    }
)
CHAIN = """
name: chain4
nodes:
  - {id: brief, model: fake/small, prompt: "Brief for {{ profile }}"}
  - {id: angle, model: fake/small, prompt: "Angle on {{ brief }}"}
  - {id: words, model: fake/small, prompt: "Words for {{ angle }}"}
  - {id: page, model: fake/small, output_format: html, prompt: "WRITE THE PAGE from {{ words }}"}
  - {id: site, kind: assemble}
edges:
  - {source: brief, target: angle}
  - {source: angle, target: words}
  - {source: words, target: page}
  - {source: page, target: site}
"""
GOOD = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Ridgeline Fieldworks</title></head>
<body><header><nav><a href="#main">Ridgeline Fieldworks</a></nav></header><main id="main">
<h1>Keep your haul trucks running with sensors that warn you early</h1>
<p>We fit vibration and temperature sensors to your fleet, so your crews fix a bearing before it fails.</p>
<h2>What you get</h2><p>Alerts on your phone when a wheel motor runs hot. A weekly report your workshop can
act on.</p><p><a href="mailto:hello@ridgeline.example">Book a site assessment</a></p></main>
<footer><p>hello@ridgeline.example</p></footer></body></html>"""
BAD = '<!DOCTYPE html><html lang="en"><head><title>Page</title></head><body><main></main></body></html>'
KNOWN = (("brief", "fake/small"), ("angle", "fake/small"), ("words", "fake/small"), ("page", "fake/large"))


def _responder(body: dict[str, Any]) -> FakeReply | None:
    prompt = str(body["messages"][-1]["content"])
    if prompt.startswith("WRITE THE PAGE"):
        return FakeReply(content=GOOD if body["model"] == "large" else BAD)
    return None  # the default reply: the same text whatever the model


@pytest.fixture
def chain_file(tmp_path: Path) -> Path:
    path = tmp_path / "chain4.yaml"
    path.write_text(CHAIN)
    return path


def _engine(registry, store: Store) -> Engine:
    return Engine(registry, prices=PRICES, store=store, hooks=standard_hooks(store, render=False))


async def _search(registry, tmp_path: Path, chain_file: Path, strategy: str, **kw: Any):
    store = Store(tmp_path / f"{strategy}.sqlite3")  # its own cache: no strategy rides on another's
    request = SearchRequest(
        workflow=str(chain_file),
        models=("fake/small", "fake/large"),
        profiles=tuple(sorted(load_scenario(SCENARIO).profiles)[:4]),
        strategy=strategy,
        **kw,
    )
    search = ModelSearch(request, load_scenario(SCENARIO), _engine(registry, store))
    seen: list[SearchProgress] = []
    result, experiment = await search.run(seen.append)
    return search, result, experiment, seen, store


async def test_every_strategy_finds_the_known_assignment_and_the_cheap_ones_need_half_the_evaluations(
    fake_openai, fake_registry, tmp_path, chain_file
) -> None:
    fake_openai.set_responder(_responder)
    counts: dict[str, int] = {}
    for strategy in ("exhaustive", "coordinate", "halving"):
        _, result, experiment, seen, store = await _search(fake_registry, tmp_path, chain_file, strategy)
        assert result.recommended == KNOWN, (strategy, result.lines())
        counts[strategy] = result.evaluations
        assert result.exhaustive_evaluations == 16 * 4
        # Progress: a start and an end per evaluation, the end with what it measured.
        assert sum(1 for p in seen if p.outcome is not None) == result.evaluations
        # The result is one experiment in the lab: a variant per tried assignment, a trial per evaluation.
        saved = load_experiment(experiment.experiment_id, store)
        assert len(saved.trials) == result.evaluations
        assert {t.variant for t in saved.trials} == {v.name for v in saved.spec.variants}
        store.close()
    assert counts["exhaustive"] == 64
    assert counts["coordinate"] <= counts["exhaustive"] // 2, counts
    assert counts["halving"] <= counts["exhaustive"] // 2, counts


async def test_the_answer_says_per_node_what_a_change_of_model_does(
    fake_openai, fake_registry, tmp_path, chain_file
) -> None:
    fake_openai.set_responder(_responder)
    _, result, experiment, _, store = await _search(fake_registry, tmp_path, chain_file, "exhaustive")
    saved = load_experiment(experiment.experiment_id, store)
    store.close()
    # The answer travels with the experiment: Compare shows it, and the report has it first.
    assert (
        saved.search is not None
        and saved.search.recommended == "brief=small angle=small words=small page=large"
    )
    analysis = analyse(saved, PRICES)
    assert analysis.measured.headline.startswith("Every variant has the same number of agents")
    assert ".." not in analysis.headline  # the sentence and what its quality rests on: one full stop between
    report = report_html(analysis)
    assert "<h2>Which node needs the big model?</h2>" in report
    assert "recommended: brief=small angle=small words=small page=large" in report
    assert report.index("Which node needs the big model?") < report.index("Results per variant")
    assert "<h3>Per node: what changing its model does</h3>" in report and "keep the large" in report
    effects = {e.node: e for e in result.effects}
    page = effects["page"]  # large → small: much cheaper, clearly worse
    assert page.cost_change is not None and page.cost_change < -0.3
    assert page.quality is not None and page.quality.clearly_negative
    assert "keep the large" in page.sentence()
    brief = effects["brief"]  # small → large: dearer, no change in quality
    assert brief.cost_change is not None and brief.cost_change > 0
    assert brief.quality is not None and not brief.quality.clearly_negative
    assert "no clear change: use the small" in brief.sentence()
    lines = result.lines()
    assert any(
        line.startswith("recommended: brief=small angle=small words=small page=large") for line in lines
    )
    # The front: the recommended assignment is on it (nothing is cheaper at its quality), as is the cheapest.
    assert KNOWN in result.front
    assert (
        ("brief", "fake/small"),
        ("angle", "fake/small"),
        ("words", "fake/small"),
        ("page", "fake/small"),
    ) in (result.front)


async def test_the_search_stops_at_its_budget_with_what_it_has(
    fake_openai, fake_registry, tmp_path, chain_file
) -> None:
    fake_openai.set_responder(_responder)
    request = SearchRequest(
        workflow=str(chain_file),
        models=("fake/small", "fake/large"),
        profiles=("dana-mining",),
        strategy="exhaustive",
    )
    store = Store(tmp_path / "budget.sqlite3")
    probe = ModelSearch(request, load_scenario(SCENARIO), _engine(fake_registry, store))
    budget = 2 * probe.predict_one(probe.space.cheapest(), "dana-mining")  # room for a few evaluations
    search = ModelSearch(
        replace(request, budget_usd=budget), load_scenario(SCENARIO), _engine(fake_registry, store)
    )
    result, _ = await search.run()
    store.close()
    assert result.stopped is not None and "budget" in result.stopped
    assert 0 < result.paid_usd <= budget
    assert 0 < result.evaluations < 16
    assert any("stopped early by the search budget" in line for line in result.lines())


async def test_a_target_quality_and_the_prediction(fake_openai, fake_registry, tmp_path, chain_file) -> None:
    fake_openai.set_responder(_responder)
    store = Store(tmp_path / "p.sqlite3")
    request = SearchRequest(
        workflow=str(chain_file),
        models=("fake/large", "fake/small"),
        profiles=("dana-mining", "kiri-mining"),
        strategy="auto",
        rule=Rule(target_quality=0.0),  # anything will do: the cheapest assignment wins
    )
    search = ModelSearch(request, load_scenario(SCENARIO), _engine(fake_registry, store))
    assert search.space.models("page") == ("fake/small", "fake/large"), (
        "candidates are ordered cheapest first"
    )
    prediction = search.predict()
    assert prediction.strategy == "coordinate" and "only 2 visitors to halve over" in prediction.reason
    assert prediction.cost_usd > 0 and prediction.evaluations <= 16 * 2
    result, _ = await search.run()
    store.close()
    assert result.recommended == tuple((node, "fake/small") for node, _ in KNOWN)


def test_bad_requests_say_what_to_fix() -> None:
    wf = parse_workflow(CHAIN)
    with pytest.raises(DecomposeError, match=r"pinned node.*nowhere.*Its nodes: brief, angle, words, page"):
        build_space(wf, ["fake/small"], pinned={"nowhere": "fake/small"})
    with pytest.raises(DecomposeError, match="at least one model"):
        build_space(wf, [" "])
    pinned = {n: "fake/small" for n in ("brief", "angle", "words", "page")}
    with pytest.raises(DecomposeError, match="no model-backed node left to search"):
        build_space(wf, ["fake/small"], pinned=pinned)


def test_decompose_optimise_prints_the_recommendation_and_writes_the_workflow(
    fake_openai, cli_env, tmp_path, chain_file
) -> None:
    fake_openai.set_responder(_responder)
    out = tmp_path / "search"
    args = [
        "optimise", str(chain_file), "--models", "fake/small,fake/large", "--scenario", str(SCENARIO),
        "--profiles", "dana-mining,kiri-mining", "--strategy", "exhaustive", "--static-checks", "--out", str(out),
    ]  # fmt: skip
    proc = decompose(cli_env, *args)
    assert (
        "exhaustive, as asked (16 assignments × 2 visitors in the space)" in proc.stderr
    )  # the prediction, first
    assert "[32/~32]" in proc.stderr
    lines = proc.stdout.splitlines()
    assert "recommended: brief=small angle=small words=small page=large" in proc.stdout
    assert any(line.startswith("  page: large → small saves") and "keep the large" in line for line in lines)
    assert len([line for line in lines if line.startswith("brief=")]) == 16  # the table: every assignment
    answer = json.loads((out / "search.json").read_text())
    assert answer["recommended"] == dict(KNOWN) and answer["evaluations"] == 32
    saved = load_workflow_file(out / "recommended.yaml")
    assert {n.id: n.model for n in saved.nodes if n.model} == dict(KNOWN)
    # The experiment opens in the lab: one trial per evaluation.
    store = Store(cli_env["DECOMPOSE_DB"])
    try:
        assert len(load_experiment(answer["experiment"], store).trials) == 32
    finally:
        store.close()


def test_decompose_optimise_says_what_is_wrong_without_a_traceback(cli_env, chain_file) -> None:
    proc = decompose(
        cli_env, "optimise", str(chain_file), "--models", "fake/small,nowhere/model", "--scenario", str(SCENARIO),
        check=False,
    )  # fmt: skip
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "cannot search these models: nowhere/model" in proc.stderr
    proc = decompose(
        cli_env, "optimise", str(chain_file), "--models", "fake/small", "--scenario", str(SCENARIO),
        "--target-quality", "7", check=False,
    )  # fmt: skip
    assert "--target-quality is a quality between 0 and 1, got 7.0" in proc.stderr


async def test_a_cancelled_search_keeps_what_it_measured_and_says_so(
    fake_openai, fake_registry, tmp_path, chain_file
) -> None:
    fake_openai.set_responder(_responder)
    store = Store(tmp_path / "cancel.sqlite3")
    cancel = asyncio.Event()
    request = SearchRequest(
        workflow=str(chain_file),
        models=("fake/small", "fake/large"),
        profiles=("dana-mining",),
        strategy="exhaustive",
    )

    def progress(p: SearchProgress) -> None:
        if p.outcome is None and p.done == 3:  # the fourth evaluation starts: the user cancels
            cancel.set()

    result, experiment = await ModelSearch(
        request, load_scenario(SCENARIO), _engine(fake_registry, store)
    ).run(progress, cancel)
    store.close()
    assert result.stopped == "a cancel" and result.evaluations == 3
    assert len(experiment.trials) == 3 and all(t.ok for t in experiment.trials)
    assert any("stopped early by a cancel" in line for line in result.lines())


async def test_auto_keeps_within_the_budget_and_a_search_cut_short_still_answers(
    fake_openai, fake_registry, tmp_path, chain_file
) -> None:
    fake_openai.set_responder(_responder)
    store = Store(tmp_path / "auto.sqlite3")
    request = SearchRequest(
        workflow=str(chain_file),
        models=("fake/small", "fake/large"),
        profiles=("arjun-utilities", "dana-mining", "kiri-mining"),
    )
    probe = ModelSearch(request, load_scenario(SCENARIO), _engine(fake_registry, store))
    assert probe.strategy == "halving"
    halving, coordinate = probe.predict("halving").cost_usd, probe.predict("coordinate").cost_usd
    assert coordinate < halving
    budget = (coordinate + halving) / 2  # halving would pass it, coordinate ascent would not
    search = ModelSearch(
        replace(request, budget_usd=budget), load_scenario(SCENARIO), _engine(fake_registry, store)
    )
    assert search.strategy == "coordinate"
    assert (
        search.reason.startswith("coordinate: halving would cost about $")
        and "over the search budget" in search.reason
    )
    # Cut short on the first visitor: the answer compares what was tried there, and says so.
    tiny = replace(
        request,
        strategy="halving",
        budget_usd=3 * probe.predict_one(probe.space.cheapest(), "arjun-utilities"),
    )
    result, _ = await ModelSearch(tiny, load_scenario(SCENARIO), _engine(fake_registry, store)).run()
    store.close()
    assert result.stopped is not None and result.recommended is not None
    assert any(
        line.startswith("no assignment was tried on every visitor: the answer compares them on 1 of the 3")
        for line in result.lines()
    )


def test_decompose_optimise_defaults_to_every_configured_model(cli_env, chain_file) -> None:
    """Without --models every configured model is a candidate; a budget too small for one evaluation stops the
    search before any model is called, and says so."""
    proc = decompose(
        cli_env, "optimise", str(chain_file), "--scenario", str(SCENARIO), "--profiles", "dana-mining",
        "--search-budget-usd", "0.0000001", check=False,
    )  # fmt: skip
    assert "Traceback" not in proc.stderr
    assert re.search(
        r"models: .*fake/small,fake/large.* \(every configured model; --models to choose\)", proc.stderr
    )
    assert "stopped early by the search budget" in proc.stdout
    assert "recommended: nothing" in proc.stdout and proc.returncode == 1


def _measured(table: dict[str, tuple[float, list[float | None]]]) -> tuple[Measured, dict[str, Assignment]]:
    """Outcomes by hand: assignment name -> (cost per page, quality per visitor; None: the run failed)."""
    measured, named = Measured(), {}
    for name, (cost, qualities) in table.items():
        assignment = (("writer", f"fake/{name}"),)
        named[name] = assignment
        for i, q in enumerate(qualities):
            outcome = Outcome(q is not None, cost, cost, 1.0, q, None, None if q is not None else "failed")
            measured.add(assignment, f"v{i}", outcome)
    return measured, named


def test_the_rule_says_when_it_cannot_be_met_and_never_recommends_a_failure() -> None:
    visitors = ["v0", "v1", "v2"]
    measured, named = _measured(
        {
            "cheap": (0.001, [0.40, 0.42, 0.41]),
            "dear": (0.010, [0.70, 0.72, 0.71]),
            "broken": (0.0, [None] * 3),
        }
    )
    everything = list(named.values())
    chosen, notes = Rule().choose(measured, everything, visitors)
    assert chosen == named["dear"] and notes == []  # cheap is clearly below: the dearer one
    chosen, notes = Rule(target_quality=0.9).choose(measured, everything, visitors)
    assert chosen == named["dear"] and notes[0].startswith("no assignment reached the target quality 0.90")
    chosen, notes = Rule(max_cost_per_page_usd=0.005).choose(measured, everything, visitors)
    assert chosen == named["dear"] and "no assignment good enough costs under $0.005000" in notes[0]
    chosen, notes = Rule().choose(measured, [named["broken"]], visitors)
    assert chosen is None and notes == ["every assignment tried failed on every visitor"]


def test_identical_differences_on_two_visitors_are_not_certain() -> None:
    measured, named = _measured({"a": (0.001, [0.50, 0.50]), "b": (0.002, [0.56, 0.56])})
    diff = measured.difference(named["a"], named["b"])
    assert diff is not None and diff.n == 2 and diff.high - diff.low == pytest.approx(0.2)
    assert not diff.clearly_negative  # 0.06 on two visitors with no spread: not enough
    measured, named = _measured({"a": (0.001, [0.30, 0.30]), "b": (0.002, [0.56, 0.56])})
    assert measured.difference(named["a"], named["b"]).clearly_negative


async def test_halving_never_culls_the_best_so_far() -> None:
    """Four models on one node, all within 0.05 on the first visitor: the cheap half would go on alone, but
    the best so far stays, since the rule measures the others against it."""
    quality = {"m1": 0.50, "m2": 0.52, "m3": 0.53, "m4": 0.54}
    cost = {"m1": 1.0, "m2": 2.0, "m3": 3.0, "m4": 4.0}
    workflow = parse_workflow("nodes:\n  - {id: writer, model: fake/m1, prompt: hi}\n")
    space = build_space(
        workflow,
        ["fake/m1", "fake/m2", "fake/m3", "fake/m4"],
        cost_of={f"fake/{m}": c for m, c in cost.items()},
    )

    async def evaluate(assignment: Assignment, profile: str | None) -> Outcome:
        model = dict(assignment)["writer"].split("/")[1]
        return Outcome(True, cost[model], cost[model], 1.0, quality[model], True)

    search = Search(space, ["v0", "v1"], Rule(), evaluate)
    await run_strategy(search, "halving")
    survivors = {a for a in search.measured.assignments() if search.measured.has(a, "v1")}
    assert survivors == {(("writer", "fake/m1"),), (("writer", "fake/m4"),)}
