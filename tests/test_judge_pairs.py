"""The pairwise LLM judge against the fake server: both orders, stored apart from people's votes, priced
apart from the workflow, cached; its position consistency and agreement; and the `decompose judge-pairs`
and `decompose votes` commands."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import echo_responder
from workflow_core.cli.main import main
from workflow_core.errors import DecomposeError
from workflow_core.judgement.agreement import agreement
from workflow_core.judgement.judge import SYSTEM, judge_pairs, parse_verdict
from workflow_core.judgement.votes import Vote, load_votes, save_votes
from workflow_core.lab.experiment import Experiment, ExperimentSpec, Variant
from workflow_core.lab.trials import run_experiment
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.providers.base import content_text
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply

SCENARIO = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
SCENARIO_REL = "assets/example_scenario"  # as a preference set names it, from the repository root
PRICES = PriceBook(
    overrides={
        "fake/small": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, source="test"),
        "fake/large": ModelPrice(input_per_mtok=10.0, output_per_mtok=20.0, source="test"),
    }
)


def _page(text: str, marker: str) -> str:
    start = text.index(f"Page {marker} (visible text):") + len("Page A (visible text):")
    # Page A's text runs to page B's first screenshot (or its text when the judge sees none).
    ends = ("Page B at", "Page B (visible text):") if marker == "A" else ("Which page",)
    end = min(i for i in (text.find(e, start) for e in ends) if i >= 0)
    return text[start:end]


def judging_responder(body: dict[str, Any]) -> FakeReply | None:
    """The pipeline's nodes get replies that follow their prompts; the judge on `small` prefers the longer
    page whichever side it is on (consistent), on `large` always page A (position-biased)."""
    messages = body.get("messages", [])
    if not messages or messages[0].get("content") != SYSTEM:
        return echo_responder(body)
    text = content_text(messages[-1])
    if body["model"] == "large":
        winner = "A"
    else:
        a, b = len(_page(text, "A")), len(_page(text, "B"))
        winner = "A" if a > b else "B" if b > a else "tie"
    return FakeReply(content=json.dumps({"winner": winner, "reason": "test"}))


@pytest.fixture
async def experiment(fake_openai, fake_registry, tmp_path: Path) -> tuple[Experiment, Store]:
    fake_openai.set_responder(judging_responder)
    store = Store(tmp_path / "lab.sqlite3")
    spec = ExperimentSpec(
        name="three",
        variants=[Variant(name=n, workflow=n, all_models="fake/small") for n in ("single", "seed", "deep")],
        profiles=sorted(load_scenario(SCENARIO).profiles)[:1],
    )
    engine = Engine(fake_registry, prices=PRICES, store=store, hooks=standard_hooks(store))
    exp = await run_experiment(spec, load_scenario(SCENARIO), engine, store=store)
    assert all(t.ok for t in exp.trials)
    return exp, store


async def test_the_judge_compares_every_pair_in_both_orders_cached_and_priced_apart(
    experiment, fake_openai, fake_registry
) -> None:
    exp, store = experiment
    before = len(fake_openai.requests)
    workflow_cost = sum(t.cost_usd for t in exp.trials)
    report = await judge_pairs(exp, "fake/small", fake_registry, PRICES, store, {"x": "y"})
    assert report.errors == []
    assert report.comparisons == 6 and report.cached == 0  # 3 pairs × 2 orders
    judged = [r for r in fake_openai.requests[before:] if r["messages"][0]["content"] == SYSTEM]
    assert len(judged) == 6 and all(r["temperature"] == 0.0 for r in judged)
    assert report.cost_usd > 0 and report.cost_usd == pytest.approx(
        (report.input_tokens * 1.0 + report.output_tokens * 2.0) / 1e6
    )
    votes = load_votes(store, exp.experiment_id)
    assert len(votes) == 6 and all(v.judge == "fake/small" for v in votes)
    assert load_votes(store, exp.experiment_id, people_only=True) == []
    orders = {(v.left_run, v.right_run) for v in votes}
    assert all((right, left) in orders for left, right in orders)  # both orders of every pair
    assert sum(t.cost_usd for t in exp.trials) == workflow_cost  # the variants' costs are untouched

    again = await judge_pairs(exp, "fake/small", fake_registry, PRICES, store)
    assert (again.comparisons, again.skipped, again.cost_usd) == (0, 6, 0.0)
    # The same pages in another experiment: verdicts come from the cache, no call, no cost.
    twin = exp.model_copy(update={"experiment_id": "twin"})
    asked = len(fake_openai.requests)
    cached = await judge_pairs(twin, "fake/small", fake_registry, PRICES, store, {"x": "y"})
    assert (cached.comparisons, cached.cached, cached.cost_usd) == (6, 6, 0.0)
    assert cached.cost_if_uncached_usd == pytest.approx(report.cost_usd)
    assert len(fake_openai.requests) == asked and len(load_votes(store, twin.experiment_id)) == 6


async def test_position_consistency_and_agreement_with_people(experiment, fake_registry) -> None:
    exp, store = experiment
    await judge_pairs(exp, "fake/small", fake_registry, PRICES, store)
    await judge_pairs(exp, "fake/large", fake_registry, PRICES, store)
    votes = load_votes(store, exp.experiment_id)
    consistent, biased = agreement(votes, "fake/small"), agreement(votes, "fake/large")
    assert consistent.position_consistency == 1.0 and consistent.pairs_both_orders == 3
    assert biased.position_consistency == 0.0  # always page A: every pair flips with the sides
    # A person agrees with the consistent judge on every pair.
    person = {"judge": None, "cost_usd": 0.0, "vote_id": "", "voter": "ana"}
    people = [Vote(**(v.model_dump() | person)) for v in votes if v.judge == "fake/small"]
    assert save_votes(store, people) == 6
    votes = load_votes(store, exp.experiment_id)
    assert agreement(votes, "fake/small").agreement == 1.0
    # The biased judge's verdicts are all ties (its orders disagree): it agrees only where people tied.
    ties = sum(v.winner == "tie" for v in people) / len(people)
    assert ties < 1 and agreement(votes, "fake/large").agreement == pytest.approx(ties)
    assert agreement(votes, "fake/large").decisive == 0


async def test_the_judge_sees_each_page_at_both_widths_and_a_text_only_judge_does_not(
    experiment, fake_openai, fake_registry
):
    exp, store = experiment
    before = len(fake_openai.requests)
    await judge_pairs(exp, "fake/small", fake_registry, PRICES, store, {"x": "y"})
    judged = [r for r in fake_openai.requests[before:] if r["messages"][0]["content"] == SYSTEM]
    assert len(judged) == 6
    shots: dict[str, dict[int, str]] = {}
    for t in exp.trials:
        assert t.run is not None and t.run.page_html
        stored = store.screenshots(t.run.page_html)
        assert set(stored) == {1280, 390}  # the runs were checked in Chromium, which kept them
        shots[t.variant] = {
            w: "data:image/jpeg;base64," + base64.b64encode(d).decode() for w, (_, d) in stored.items()
        }
    seen_orders = set()
    for r in judged:
        parts = r["messages"][-1]["content"]
        labels = [p["text"] for p in parts if p["type"] == "text" and p["text"].endswith("px wide:")]
        assert labels == [
            "Page A at 1280 px wide:",
            "Page A at 390 px wide:",
            "Page B at 1280 px wide:",
            "Page B at 390 px wide:",
        ]
        urls = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
        # Each image follows its label, and is the stored screenshot of the page on that side.
        pages = (
            [v for v, by_width in shots.items() if by_width[1280] == urls[0]],
            [v for v, by_width in shots.items() if by_width[1280] == urls[2]],
        )
        left, right = pages[0][0], pages[1][0]
        assert urls == [shots[left][1280], shots[left][390], shots[right][1280], shots[right][390]]
        seen_orders.add((left, right))
    assert len(seen_orders) == 6  # every pair, both orders
    # A model that takes no images gets the pages' text alone.
    before = len(fake_openai.requests)
    await judge_pairs(exp, "fake/large", fake_registry, PRICES, store, see_pages=False)
    judged = [r for r in fake_openai.requests[before:] if r["messages"][0]["content"] == SYSTEM]
    assert judged and all(isinstance(r["messages"][-1]["content"], str) for r in judged)


async def test_a_judge_that_cannot_be_used_or_answers_nonsense_says_so(
    experiment, fake_openai, fake_registry
) -> None:
    exp, store = experiment
    with pytest.raises(Exception, match="nope"):
        await judge_pairs(exp, "fake/nope", fake_registry, PRICES, store)
    fake_openai.set_responder(lambda body: FakeReply(content="I like both"))
    report = await judge_pairs(exp, "fake/small", fake_registry, PRICES, store)
    assert report.comparisons == 0 and len(report.errors) == 6
    assert "did not answer with JSON" in report.errors[0]
    assert load_votes(store, exp.experiment_id) == []
    assert parse_verdict('```json\n{"winner": "B", "reason": "x"}\n```') == "right"


def test_decompose_judge_pairs_and_votes_from_the_command_line(
    experiment, fake_openai, tmp_path: Path, monkeypatch, capsys
) -> None:
    exp, store = experiment
    providers = tmp_path / "providers.yaml"
    providers.write_text(fake_openai.providers_yaml())
    monkeypatch.setenv("DECOMPOSE_DB", str(store.path))
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    assert main(["judge-pairs", exp.experiment_id, "--judge", "fake/small"]) == 0
    out = capsys.readouterr().out
    assert "6 comparison(s) (0 from the cache" in out and "position consistency 100% of 3" in out
    assert "not part of the variants' costs" in out

    file = tmp_path / "votes.csv"
    assert main(["votes", "export", str(file), "--experiment", exp.experiment_id]) == 0
    assert "wrote 6 vote(s)" in capsys.readouterr().err
    other = tmp_path / "other.sqlite3"
    monkeypatch.setenv("DECOMPOSE_DB", str(other))
    assert main(["votes", "import", str(file)]) == 0
    assert "6 new, 0 already here" in capsys.readouterr().err
    assert main(["votes", "import", str(file)]) == 0
    assert "0 new, 6 already here" in capsys.readouterr().err

    monkeypatch.setenv("DECOMPOSE_DB", str(store.path))
    assert main(["votes", "ratings", exp.experiment_id]) == 0
    out = capsys.readouterr().out
    assert "0 people's vote(s)" in out and "single" in out and "≥ 5 votes" in out
    assert main(["votes", "ratings", "nope"]) == 1
    assert "no experiment 'nope'" in capsys.readouterr().err
    assert main(["judge-pairs", exp.experiment_id, "--judge", "fake/nope"]) == 1


async def test_a_judge_is_measured_on_a_preference_set_in_both_orders(
    fake_openai, fake_registry, tmp_path: Path
):
    """`decompose calibrate --judge`: the judge sees every pair of one visitor's pages in both orders, with
    their screenshots; a pair it decides the same way both times counts toward its agreement with the raters,
    one it flips is a tie (position bias)."""
    from workflow_core.judgement.calibration import judge_preference
    from workflow_core.quality.preference import load_preference_set

    fake_openai.set_responder(judging_responder)
    _pair_set(tmp_path)
    pset = load_preference_set(tmp_path)
    store = Store(tmp_path / "judge.sqlite3")
    before = len(fake_openai.requests)
    consistent = await judge_preference(pset, "fake/small", fake_registry, PRICES, store, "t")
    asked = [r for r in fake_openai.requests[before:] if r["messages"][0]["content"] == SYSTEM]
    assert len(asked) == 2 and all(
        sum(p["type"] == "image_url" for p in r["messages"][-1]["content"]) == 4 for r in asked
    )
    a = consistent.agreement
    assert (a.agree, a.pairs, a.decisive_agree, a.decisive_pairs) == (1, 1, 1, 1)
    assert (consistent.consistent, consistent.pairs) == (1, 1) and consistent.run.cost_usd > 0
    biased = await judge_preference(pset, "fake/large", fake_registry, PRICES, store, "t", see_pages=False)
    assert (biased.agreement.agree, biased.agreement.ties, biased.consistent) == (0, 1, 0)


def _pair_set(tmp_path: Path) -> Path:
    """A preference set of one visitor's two pages, the longer ranked first by both raters."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    body = "<p>Haul trucks stay on the road when bearings are caught running hot.</p>"
    pages = {"long": body * 3, "short": body}
    for name, html in pages.items():
        (tmp_path / f"{name}.html").write_text(f"<!doctype html><html lang='en'><body>{html}</body></html>")
    (tmp_path / "ratings").mkdir()
    for rater in ("r1", "r2"):
        visitor = {"ranking": ["t/long", "t/short"], "scores": {}, "reasons": {}}
        (tmp_path / "ratings" / f"{rater}.json").write_text(
            json.dumps({"rater": rater, "visitors": {f"{SCENARIO_REL}/dana-mining": visitor}})
        )
    manifest = {
        "big": ["long"],
        "decomposed": ["short"],
        "splits": {"t": "test"},
        "pages": [
            {
                "id": f"t/{n}",
                "file": f"{n}.html",
                "split": "t",
                "scenario": SCENARIO_REL,
                "profile": "dana-mining",
                "variant": n,
            }
            for n in pages
        ],
        "ratings": ["ratings/r1.json", "ratings/r2.json"],
    }
    (tmp_path / "set.json").write_text(json.dumps(manifest))
    return tmp_path


def test_calibrate_judges_the_splits_asked_for_by_their_text(
    fake_openai, tmp_path: Path, monkeypatch, capsys
) -> None:
    """`decompose calibrate --judge REF --text-only --split NAME`: a model that takes no images is measured on
    the pages' text, on the splits named; a split the set does not have is one clear error."""
    from workflow_core.cli.calibrate import _print_judge_preference

    folder = _pair_set(tmp_path / "set")
    providers = tmp_path / "providers.yaml"
    providers.write_text(fake_openai.providers_yaml())
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    fake_openai.set_responder(judging_responder)
    before = len(fake_openai.requests)
    _print_judge_preference(folder, "fake/small", text_only=True, only="t")
    out = capsys.readouterr().out
    assert "reading each page's text" in out and "| t | 1/1 | 1/1 | 1/1 | 0 |" in out
    asked = [r for r in fake_openai.requests[before:] if r["messages"][0]["content"] == SYSTEM]
    assert len(asked) == 2 and all(isinstance(r["messages"][-1]["content"], str) for r in asked)
    with pytest.raises(DecomposeError, match=r"no split nope in .*: it has t"):
        _print_judge_preference(folder, "fake/small", only="nope")
