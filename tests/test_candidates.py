"""Best of n (`params.candidates`) against the scripted server: n answers at n seeds, every one paid for,
each page rated by the quality verdict, the best kept and the others recorded; the estimate knows; only a
node that writes the page may ask for it."""

from __future__ import annotations

from typing import Any

import pytest

from workflow_core.cli.compare import _variant
from workflow_core.errors import DecomposeError, WorkflowError
from workflow_core.nodes.candidates import seeds
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.run.engine import Engine
from workflow_core.testing.fake_server import FakeReply
from workflow_core.workflow.files import parse_workflow
from workflow_core.workflow.graph import validated_graph

PRICES = PriceBook(
    overrides={"fake/small": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, source="test")}
)

GOOD = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport"
content="width=device-width, initial-scale=1"><title>Solar for your farm</title></head><body><header><nav>
<a href="#offer">Offer</a></nav></header><main><h1>Cut your farm's power bill with rooftop solar</h1>
<p>We design, install and maintain solar arrays for working farms, so your barns and pumps run on your own
power.</p><section id="offer"><h2>What we offer</h2><p>A site survey, a fixed-price installation and ten
years of maintenance.</p></section><section><h2>Talk to us</h2><p>Book a free site survey this month.</p>
<a href="mailto:hello@example.com">Book a survey</a></section></main><footer><p>Example Solar</p></footer>
</body></html>"""
BAD = "<html><body><p>[placeholder] lorem ipsum TODO</p></body></html>"

WORKFLOW = """
name: best-of
nodes:
  - id: developer
    kind: agent
    model: fake/small
    prompt: "Write our landing page in HTML."
    output_format: html
    params: {candidates: CANDIDATES, seed: 7}
"""


def _workflow(n: int) -> Any:
    return parse_workflow(WORKFLOW.replace("CANDIDATES", str(n)))


def _by_seed(pages: dict[int, str]):
    def reply(body: dict[str, Any]) -> FakeReply:
        return FakeReply(content=pages[body["seed"]])

    return reply


async def test_the_page_the_verdict_rates_best_is_kept_and_every_candidate_is_paid_for(
    fake_openai, fake_registry
) -> None:
    fake_openai.set_responder(_by_seed({7: BAD, 8: GOOD, 9: BAD.replace("TODO", "")}))
    run = await Engine(fake_registry, prices=PRICES).run(_workflow(3))
    assert run.status == "ok", [n.error for n in run.nodes]
    rec = run.node("developer")
    assert sorted(r["seed"] for r in fake_openai.requests) == [7, 8, 9]
    assert [c.seed for c in rec.candidates] == [7, 8, 9]
    chosen = [c for c in rec.candidates if c.chosen]
    assert len(chosen) == 1 and chosen[0].seed == 8 and rec.output_text == GOOD
    scores = [c.score for c in rec.candidates]
    assert all(s is not None for s in scores) and chosen[0].score == max(s for s in scores if s is not None)
    assert chosen[0].score > min(s for s in scores if s is not None)
    # Every sample counts: three calls' tokens and cost, each candidate's cost on its entry.
    assert rec.calls == 3 and rec.cost_usd == pytest.approx(sum(c.cost_usd for c in rec.candidates))
    assert all(c.cost_usd > 0 for c in rec.candidates)
    assert any("not independent evidence" in w for w in rec.warnings)


async def test_one_candidate_is_the_one_call_it_always_was(fake_openai, fake_registry) -> None:
    fake_openai.set_responder(_by_seed({7: GOOD}))
    run = await Engine(fake_registry, prices=PRICES).run(_workflow(1))
    rec = run.node("developer")
    assert len(fake_openai.requests) == 1 and rec.candidates == [] and rec.output_text == GOOD
    assert not any("best of" in w for w in rec.warnings)


async def test_an_unusable_candidate_is_recorded_and_the_others_still_compete(
    fake_openai, fake_registry
) -> None:
    def reply(body: dict[str, Any]) -> FakeReply:
        if body["seed"] == 7:
            return FakeReply(status=400, error_body={"error": {"message": "bad request"}})
        return FakeReply(content=GOOD if body["seed"] == 9 else BAD)

    fake_openai.set_responder(reply)
    run = await Engine(fake_registry, prices=PRICES).run(_workflow(3))
    rec = run.node("developer")
    assert run.status == "ok" and rec.output_text == GOOD
    failed = [c for c in rec.candidates if c.error]
    assert [c.seed for c in failed] == [7] and failed[0].score is None and not failed[0].chosen


async def test_the_estimate_counts_every_candidate(fake_registry) -> None:
    engine = Engine(fake_registry, prices=PRICES)
    one = engine.plan(_workflow(1)).estimate
    three = engine.plan(_workflow(3)).estimate
    assert three.cost_usd == pytest.approx(3 * one.cost_usd)
    assert three.critical_path_s > one.critical_path_s


def test_only_a_node_that_writes_the_page_may_ask_for_candidates() -> None:
    wf = parse_workflow(
        WORKFLOW.replace("CANDIDATES", "3").replace("output_format: html", "output_format: json")
    )
    with pytest.raises(WorkflowError, match="needs a node that writes the page"):
        validated_graph(wf)
    assert seeds(wf.nodes[0]) == [7, 8, 9]


def test_compare_spells_best_of_n_on_a_variant() -> None:
    variant = _variant("seed[developer:candidates=3]", "fake/small")
    assert variant.name == "seed+best3" and variant.candidates == {"developer": 3}
    assert variant.resolve().node("developer").params.candidates == 3
    assert variant.resolve().node("personalizer").params.candidates == 1
    with pytest.raises(DecomposeError, match="candidates must be 1 to 8"):
        _variant("seed[developer:candidates=20]", None)
    with pytest.raises(WorkflowError, match="not in workflow"):
        _variant("seed[writer:candidates=2]", None).resolve()
