"""The decomposition lab's analysis on hand-made run records: summaries, what-if pricing, the
coordination fit, TCO, charts and export (no engine, no network)."""

from __future__ import annotations

import json
import math

import pytest

from tests.helpers import PAGES, hand_made_experiment
from workflow_core.lab.analysis import analyse, headline, pareto_front
from workflow_core.lab.charts import (
    against_k,
    coordination_fit,
    cost_quality,
    node_cost_stacks,
    tco_chart,
    timeline,
    timelines,
)
from workflow_core.lab.coordination import M_EXPLANATION, CostPoint, fit_coordination
from workflow_core.lab.experiment import load_experiment, save_experiment
from workflow_core.lab.export import (
    experiment_screenshots,
    report_html,
    results_csv,
    results_json,
    write_exports,
)
from workflow_core.lab.similarity import dissimilarity, distinctiveness
from workflow_core.lab.tables import node_breakdown, pages
from workflow_core.lab.tco import TcoInputs, TcoVariant, tco, tco_variants
from workflow_core.lab.trials import with_repeat_seed
from workflow_core.lab.whatif import reprice_experiment, reprice_run, repriceable_nodes
from workflow_core.page.site import visible_text
from workflow_core.pricing.book import PriceBook
from workflow_core.run.store import Store
from workflow_core.workflow.templates import load_template


def test_summaries_per_variant() -> None:
    exp = hand_made_experiment()
    by = {s.variant: s for s in exp.summaries()}
    seed = by["seed"]
    assert seed.k == 3 and seed.runs == 2 and seed.failures == 0
    assert seed.calls == 2
    assert seed.input_tokens == 4300
    assert seed.output_tokens == pytest.approx((1500 + 1600) / 2)
    assert seed.cost_usd == pytest.approx((0.0031 + 0.0031 * 1.05) / 2)
    assert seed.qa_mean == pytest.approx(0.81)
    assert seed.qa_std == pytest.approx(0.01)
    assert seed.critical_path_s == pytest.approx(4.06)
    assert 0.5 < (seed.distinctiveness or 0) <= 1.0
    rows = node_breakdown(exp)
    dev = next(r for r in rows if r.variant == "seed" and r.node == "developer")
    assert dev.input_tokens == 1800 and dev.output_tokens == 925
    side = pages(exp, "bo")
    assert [r["variant"] for r in side] == ["single", "seed", "deep"]
    assert all("Hello from" in (r["page_html"] or "") for r in side)


def test_distinctiveness_reads_visible_text_only() -> None:
    assert "ignored" not in visible_text(PAGES["ana"])
    assert visible_text(PAGES["ana"]).startswith("Hello Ana")
    same = "<p>one two three four five</p>"
    assert dissimilarity(visible_text(same), visible_text(same)) == 0.0
    assert distinctiveness({"a": [same], "b": [same]}) == 0.0
    assert distinctiveness({"a": [PAGES["ana"]], "b": [PAGES["bo"]]}) == pytest.approx(1.0)
    assert distinctiveness({"a": [PAGES["ana"]]}) is None


def test_pareto_front() -> None:
    front = pareto_front(
        [("cheap-bad", 1.0, 0.5), ("dear-good", 3.0, 0.9), ("dominated", 3.5, 0.6), ("x", 2, None)]
    )
    assert sorted(front) == ["cheap-bad", "dear-good"]


def test_repeat_seed_changes_only_later_repeats() -> None:
    wf = load_template("seed")
    assert with_repeat_seed(wf, 0) is wf
    again = with_repeat_seed(wf, 2)
    seeds = {n.id: n.params.seed for n in again.nodes if n.kind == "agent"}
    assert seeds and all(s == 2 for s in seeds.values())
    assert all(n.params.seed is None for n in wf.nodes if n.kind == "agent")


def test_reprice_matches_hand_calculation_to_the_cent() -> None:
    exp = hand_made_experiment()
    book = PriceBook()
    big, small = book.unit_prices("openai/gpt-4.1"), book.unit_prices("openai/gpt-4.1-mini")
    assert big is not None and small is not None
    # The genai-prices catalogue: gpt-4.1 $2 / $8, gpt-4.1-mini $0.40 / $1.60 per million tokens.
    assert (big.input_per_mtok, big.output_per_mtok) == (2.0, 8.0)
    assert (small.input_per_mtok, small.output_per_mtok) == (0.4, 1.6)
    single_run = exp.trials[0].run
    assert single_run is not None
    r = reprice_run(single_run, {"*": "openai/gpt-4.1"}, book)
    hand = 3000 * 2.0 / 1e6 + 1500 * 8.0 / 1e6  # 0.018
    assert round(r.cost_usd, 2) == round(hand, 2)
    assert r.cost_usd == pytest.approx(hand, abs=1e-9)
    assert r.estimate is True
    assert r.measured_cost_usd == pytest.approx(0.004)

    # Personalizer on the frontier model, the rest on its smaller sibling, over the whole experiment.
    rp = reprice_experiment(exp, {"personalizer": "openai/gpt-4.1", "*": "openai/gpt-4.1-mini"}, book)
    seed = next(s for s in rp.summaries if s.variant == "seed")
    hand_seed = [
        (2500 * 2.0 + (600 + 50 * i) * 8.0) / 1e6 + (1800 * 0.4 + (900 + 50 * i) * 1.6) / 1e6 for i in (0, 1)
    ]
    assert round(seed.cost_usd, 4) == round(sum(hand_seed) / 2, 4)
    assert round(seed.cost_total_usd, 2) == round(sum(hand_seed), 2)
    assert rp.estimate
    # Mapping a node onto the model it ran on is not an estimate and keeps the measured cost.
    same = reprice_run(single_run, {"web": "local/qwen2.5-coder-0.5b"}, book)
    assert not same.estimate and same.cost_usd == pytest.approx(0.004)


def test_headline() -> None:
    exp = hand_made_experiment()
    text = headline(exp.summaries())
    # seed is the cheapest variant with more agents than single.
    s = {v.variant: v for v in exp.summaries()}
    pct = (s["single"].cost_usd - s["seed"].cost_usd) / s["single"].cost_usd * 100
    assert text.startswith("decomposed (seed, k=3) vs single (single, k=1)")
    assert f"{pct:.0f}% cheaper" in text
    # seed 0.80/0.82, single 0.70/0.72: with two runs each the 95% intervals overlap, so no claim is made.
    assert "quality 0.81 [0.68–0.94] vs 0.71 [0.58–0.84]: no clear difference" in text


def test_coordination_fit_recovers_m() -> None:
    pts = []
    for k in (1, 2, 3, 4, 6, 8):
        for n in (500.0, 1200.0, 2000.0):
            pts.append(CostPoint(k=k, n=n + 37 * k, cost=0.001 + 2e-6 * (n + 37 * k) + 0.0004 * k**1.5))
    fit = fit_coordination(pts)
    assert fit.m == pytest.approx(1.5, abs=0.01)
    assert fit.c == pytest.approx(0.0004, rel=0.05)
    assert fit.r2 > 0.999
    assert not fit.warnings
    assert "m = 1.50" in fit.explanation() and "doubling the agents" in fit.explanation()
    assert fit.overhead_measured
    assert "k^m" in M_EXPLANATION or "k" in M_EXPLANATION


def test_coordination_fit_warns_with_few_points() -> None:
    fit = analyse(hand_made_experiment(), PriceBook()).fit  # 6 runs, 3 distinct k: just enough runs
    assert 1 < fit.m <= 2 and not math.isnan(fit.r2)
    few = fit_coordination(fit.points[:3])
    assert any("Only 3 runs" in w for w in few.warnings)


def test_tco_break_even_moves_later_with_engineering_cost() -> None:
    variants = [TcoVariant("single", 1, 0.004), TcoVariant("seed", 3, 0.001)]
    cheap = tco(variants, TcoInputs(engineering_cost_per_agent=300, requests_per_month=100_000, months=36))
    dear = tco(variants, TcoInputs(engineering_cost_per_agent=3000, requests_per_month=100_000, months=36))
    b1, b2 = cheap.break_evens[0], dear.break_evens[0]
    # 2 extra agents × $300 / $0.003 saved per request = 200,000 requests: month 2.
    assert b1.volume == pytest.approx(200_000) and b1.month == 2
    assert b2.volume == pytest.approx(2_000_000) and b2.month == 20
    assert b2.month > b1.month
    grown = tco(variants, TcoInputs(3000, 100_000, monthly_growth=0.2, months=36))
    assert grown.break_evens[0].month is not None and grown.break_evens[0].month < 20
    never = tco([TcoVariant("single", 1, 0.001), TcoVariant("deep", 6, 0.002)], TcoInputs())
    assert never.break_evens[0].month is None and never.break_evens[0].volume is None
    assert cheap.cumulative["seed"][0] == pytest.approx(900 + 100)
    assert len(cheap.table()) == 72
    assert [v.name for v in tco_variants(hand_made_experiment().summaries())] == ["single", "seed", "deep"]
    assert tco_chart(cheap).data


def test_charts_are_figures() -> None:
    exp = hand_made_experiment()
    analysis = analyse(exp, PriceBook())
    fig = cost_quality(analysis.measured)
    names = {t.name for t in fig.data}
    assert "Pareto front" in names
    labels = [x for t in fig.data if t.name == "Pareto front" for x in t.text]
    assert any(lbl.startswith("seed") for lbl in labels)
    assert len(against_k(analysis.measured.summaries).data) == 4
    stacks = node_cost_stacks(analysis.nodes, ["single", "seed", "deep"])
    assert {t.name for t in stacks.data} >= {"web", "personalizer", "developer"}
    titles = [f.layout.title.text for f in timelines(analysis.timelines)]
    assert len(titles) == 3 and titles[0].startswith("Timeline: single (k=1)")
    assert "runs at measured costs" in {t.name for t in coordination_fit(analysis.fit).data}
    run = exp.trials[2].run
    assert run is not None
    gantt = timeline(run)
    assert len(gantt.data) == len(run.nodes)


def test_store_round_trip(tmp_path) -> None:
    store = Store(tmp_path / "db.sqlite3")
    exp = hand_made_experiment()
    save_experiment(exp, store)
    again = load_experiment("exp1", store)
    assert again.summaries() == exp.summaries()
    assert store.list_experiments()[0]["experiment_id"] == "exp1"


def test_exports(tmp_path) -> None:
    exp = hand_made_experiment()
    analysis = analyse(exp, PriceBook(), {"*": "openai/gpt-4.1-mini"}, TcoInputs())
    html = report_html(analysis)
    assert html.count("<script") >= 5
    assert "Content-Security-Policy" in html and "cdn.plot.ly" not in html.split("</style>")[0]
    assert "decomposed (seed, k=3)" in html
    csv_text = results_csv(analysis)
    assert csv_text.splitlines()[0].startswith("variant,workflow,k,")
    assert len(csv_text.splitlines()) == 4
    data = results_json(analysis)
    json.dumps(data)
    assert data["whatif"]["estimate"] is True and data["tco"]["break_even"]
    paths = write_exports(analyse(exp, PriceBook(), tco_inputs=TcoInputs()), tmp_path / "out")
    assert all(p.exists() for p in paths.values())
    assert len(list((tmp_path / "out" / "pages").glob("*.html"))) == 6


def test_the_analysis_picks_standouts_and_fits_on_the_costs_it_names() -> None:
    exp = hand_made_experiment()
    measured = analyse(exp, PriceBook(), tco_inputs=TcoInputs())
    assert measured.whatif is None and measured.priced is measured.measured
    assert measured.cheapest is not None and measured.cheapest.variant == "seed"
    assert measured.best_quality is not None and measured.best_quality.variant == "seed"
    assert measured.fastest is not None and measured.fastest.variant == "single"
    assert measured.measured.pareto_front == ["seed"]
    assert measured.fit.costs == "measured costs" and "at measured costs" in measured.fit.explanation()
    assert [p.cost for p in measured.fit.points] == [t.cost_usd for t in exp.trials]
    assert repriceable_nodes(exp)[:2] == ["web", "personalizer"]

    # Under a what-if, the fit and the TCO take the re-priced costs, and say so; the measured part stays.
    whatif = analyse(exp, PriceBook(), {"*": "openai/gpt-4.1"}, TcoInputs())
    rp = reprice_experiment(exp, {"*": "openai/gpt-4.1"}, PriceBook())
    assert whatif.whatif is not None and whatif.priced is whatif.whatif
    assert whatif.priced.label == "what-if prices (estimate)" == whatif.fit.costs
    assert [p.cost for p in whatif.fit.points] == [rp.trial_costs[i] for i in range(len(exp.trials))]
    assert whatif.fit.m != measured.fit.m
    assert whatif.headline == measured.headline
    assert whatif.whatif.headline.endswith("(estimated prices)")
    assert whatif.tco is not None and measured.tco is not None
    per_request = {v.name: v.cost_per_request for v in whatif.tco.variants}
    assert per_request == {s.variant: s.cost_usd for s in rp.summaries}
    data = results_json(whatif)
    assert data["coordination_fit"]["costs"] == data["tco"]["costs"] == "what-if prices (estimate)"
    assert data["coordination_fit"]["m"] == whatif.fit.m


def test_a_poor_fit_at_the_edge_of_the_range_says_so():
    from workflow_core.lab.coordination import CostPoint, fit_coordination

    # Cost falls as k grows: nothing like a + b·n + c·k^m with c > 0.
    points = [
        CostPoint(k=k, n=100.0 + i, cost=1.0 / k + (i % 3) * 0.3)
        for i, k in enumerate([1, 1, 2, 2, 3, 3, 6, 6])
    ]
    fit = fit_coordination(points)
    assert fit.c < 0 and fit.m == pytest.approx(1.005)
    text = " ".join(fit.warnings)
    # Issue 14: no overhead, so no growth factor and no talk of m's range next to "no measurable overhead".
    assert "came out negative" in text and "edge of its allowed range" not in text
    assert not fit.overhead_measured
    assert "No measurable coordination overhead" in fit.explanation()
    assert "doubling" not in fit.explanation() and "×" not in fit.explanation()


def test_an_overhead_at_the_edge_of_the_range_says_m_is_a_bound():
    from workflow_core.lab.coordination import CostPoint, fit_coordination

    # Cost grows faster than k²: the fit pins m at 2.
    points = [CostPoint(k=k, n=100.0, cost=0.001 * k**3) for k in (1, 2, 3, 4, 6, 8)]
    fit = fit_coordination(points)
    assert fit.c > 0 and fit.m == pytest.approx(2.0)
    assert "edge of its allowed range" in " ".join(fit.warnings)


def test_cost_ticks_get_the_digits_that_tell_them_apart():
    """Issue 14: the what-if chart wrote $0.00155, $0.0016 and $0.00165 all as "$0.0016"."""
    from workflow_core.lab.charts import tick_digits

    values = [0.00155, 0.00162, 0.00171]
    digits = tick_digits(values)
    step = 0.00002  # a tick step plotly picks for this range (a 1-2-5 step, about a tenth of it)
    ticks = [0.0015 + i * step for i in range(12)]
    labels = [f"{t:.{digits}g}" for t in ticks]
    assert len(set(labels)) == len(labels)
    assert tick_digits([0.5, 1.0, 2.0]) == 2 and tick_digits([]) == 2


def test_a_cached_runs_timeline_uses_the_times_its_nodes_took_when_computed():
    """Issue 14: a cached run's bars are cache reads (ms); the tables count computed latencies. The
    timeline draws each node from its last parent's end for its computed latency."""
    from workflow_core.lab.analysis import computed_spans
    from workflow_core.lab.charts import timeline
    from workflow_core.records import NodeRecord, RunRecord
    from workflow_core.workflow.files import dump_workflow
    from workflow_core.workflow.spec import Edge, Node, Workflow

    wf = Workflow(
        name="w",
        nodes=[Node(id="a", kind="profile"), Node(id="b", kind="profile"), Node(id="c", kind="profile")],
        edges=[Edge(source="a", target="b"), Edge(source="a", target="c")],
    )
    nodes = [
        NodeRecord(id=i, kind="profile", status="ok", cached=True, started_at=100.0, finished_at=100.001)
        for i in "abc"
    ]
    run = RunRecord(run_id="r", workflow="w", started_at=100.0, nodes=nodes, workflow_yaml=dump_workflow(wf))
    spans = computed_spans(run, {"a": 2.0, "b": 3.0, "c": 1.0})
    assert spans == {"a": (0.0, 2.0), "b": (2.0, 3.0), "c": (2.0, 1.0)}
    bars = {bar.y[0]: (bar.base[0], bar.x[0]) for bar in timeline(run, spans=spans).data}
    assert bars["b"] == (2.0, 3.0)


def test_the_report_shows_each_runs_screenshots_side_by_side(tmp_path) -> None:
    exp = hand_made_experiment()
    store = Store(tmp_path / "runs.sqlite3")
    first = next(t.run for t in exp.trials if t.run is not None and t.run.page_html)
    store.save_screenshots(first.page_html, {1280: ("image/jpeg", b"wide"), 390: ("image/jpeg", b"narrow")})
    shots = experiment_screenshots(exp, store)
    assert set(shots) >= {first.run_id}
    html = report_html(analyse(exp, PriceBook()), screenshots=shots)
    assert "Screenshots at 1280 and 390 px" in html
    assert "data:image/jpeg;base64,d2lkZQ==" in html and "data:image/jpeg;base64,bmFycm93" in html
    assert "Screenshots at 1280" not in report_html(analyse(exp, PriceBook()))


def test_the_fit_says_first_whether_it_says_anything_and_gives_no_share_when_it_does_not() -> None:
    from workflow_core.lab.coordination import CostPoint, fit_coordination

    good = fit_coordination(
        [
            CostPoint(k=k, n=n + 37 * k, cost=0.001 + 2e-6 * (n + 37 * k) + 0.0004 * k**1.5)
            for k in (1, 2, 3, 4, 6)
            for n in (500.0, 1200.0, 2000.0)
        ]
    )
    assert good.says_something and good.m_interval is not None
    assert good.m_interval[0] <= 1.5 <= good.m_interval[1] and good.m_interval[1] - good.m_interval[0] < 0.2
    assert good.explanation().startswith("The fit describes these runs (R² = 1.00, m between")
    assert "15 runs at measured costs" in good.verdict()
    assert "% of a run's cost" in good.explanation()

    # Issue 27: R² 0.29, a negative per-token cost, and "57% of a run's cost at 6 agents" after it.
    noisy = [
        CostPoint(k=k, n=n, cost=c)
        for k, n, c in [
            (1, 900.0, 0.0011), (1, 400.0, 0.0024), (2, 1200.0, 0.0007), (2, 300.0, 0.0019),
            (3, 800.0, 0.0024), (3, 1500.0, 0.0009), (6, 700.0, 0.0031), (6, 1600.0, 0.0012),
        ]
    ]  # fmt: skip
    poor = fit_coordination(noisy)
    assert not poor.says_something
    assert poor.explanation().startswith("The fit says little about coordination here (R² = ")
    assert "% of a run's cost" not in poor.explanation() and "doubling" not in poor.explanation()
    assert poor.story() == "" and poor.summary()["says_something"] is False


def test_a_specialised_models_training_is_paid_once_up_front(tmp_path, monkeypatch) -> None:
    variants = [TcoVariant("single", 1, 0.004), TcoVariant("seed", 3, 0.001, training_usd=600.0)]
    inputs = TcoInputs(engineering_cost_per_agent=300, requests_per_month=100_000, months=36)
    # (2 extra agents × $300 + $600 of training) / $0.003 saved per request = 400,000 requests: month 4.
    result = tco(variants, inputs)
    assert result.break_evens[0].volume == pytest.approx(400_000) and result.break_evens[0].month == 4
    assert result.cumulative["seed"][0] == pytest.approx(900 + 600 + 100)

    # The lab reads the training's cost from the adapter's card, for the variants whose runs used it.
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path))
    folder = tmp_path / "adapters" / "dev"
    folder.mkdir(parents=True)
    (folder / "adapter.gguf").write_bytes(b"GGUF")
    card = {"student": "local/qwen2.5-coder-0.5b", "training_cost_usd": 600.0}
    (folder / "card.json").write_text(json.dumps(card))
    exp = hand_made_experiment()
    for trial in exp.trials:
        for node in trial.run.nodes if trial.variant == "seed" and trial.run else ():
            if node.id == "developer":
                node.model = "local/qwen2.5-coder-0.5b+dev"
            elif node.id == "personalizer":
                node.model = "local/qwen2.5-coder-0.5b+gone"  # its card was deleted: said, not counted
    plain = analyse(hand_made_experiment(), PriceBook(), tco_inputs=inputs)
    analysis = analyse(exp, PriceBook(), tco_inputs=inputs)
    assert analysis.training["seed"].usd == 600.0 and set(analysis.training) == {"seed"}
    assert analysis.training_notes == [
        "seed: training dev $600.0000 once; no card for gone: its training is not counted"
    ]
    assert plain.tco is not None and analysis.tco is not None
    before = {b.variant: b.volume for b in plain.tco.break_evens}
    after = {b.variant: b.volume for b in analysis.tco.break_evens}
    assert after["seed"] is not None and before["seed"] is not None and after["seed"] > before["seed"]
    assert after["deep"] == before["deep"]
    # A visitor the adapter was trained on is no test of it: said.
    visitor = next(t.profile for t in exp.trials if t.variant == "seed" and t.profile)
    (folder / "card.json").write_text(json.dumps(card | {"examples": {"train_visitors": [visitor]}}))
    note = analyse(exp, PriceBook(), tco_inputs=inputs).training_notes[0]
    assert f"it ran on {visitor}, which its adapter was trained on" in note
