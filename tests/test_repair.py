"""Repair once (`nodes.repair`): a page the checks find unpublishable goes back to its developer with the
fields its blocking findings point at; only those fields are taken from the answer, the rest stays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from workflow_core.nodes.hooks import standard_hooks
from workflow_core.nodes.repair import faulted_fields, merge_repair, repair_request
from workflow_core.pricing.book import PriceBook
from workflow_core.records import QAFinding
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario, scenario_inputs
from workflow_core.testing.fake_server import FakeReply, example_for_schema
from workflow_core.workflow.templates import load_template

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"

SPEC = {
    "headline": "Unplanned haul truck downtime",
    "subheadline": "We keep your trucks moving.",
    "pain_points": [{"source": "a", "title": "Trucks that stop", "text": "A stopped truck blocks the ramp."}],
    "offerings": [{"id": "x", "text": "Sensors tell the workshop first.", "image": "i"}],
    "closing_headline": "Let's talk",
    "closing_text": "Book a site assessment.",
}


def _finding(evidence: str, check: str = "integrity.source") -> QAFinding:
    return QAFinding(
        check=check, axis=check.split(".")[0], passed=False, message="research as copy", evidence=evidence
    )


def test_findings_are_traced_to_the_fields_that_hold_their_evidence() -> None:
    faulted = faulted_fields(SPEC, [_finding("Unplanned haul truck downtime"), _finding("blocks the ramp")])
    assert set(faulted) == {("headline",), ("pain_points", 0, "text")}
    request = repair_request(SPEC, faulted, "Shorter, please.")
    assert '- headline: "Unplanned haul truck downtime": research as copy' in request
    assert "pain_points 1, text" in request and "A reviewer asked" in request
    revised = {
        **SPEC,
        "headline": "Keep your trucks on the ramp",
        "subheadline": "CHANGED",
        "pain_points": [{"source": "a", "title": "CHANGED", "text": "Every stop costs a shift."}],
    }
    merged = merge_repair(SPEC, revised, faulted)
    assert merged["headline"] == "Keep your trucks on the ramp"
    assert merged["pain_points"][0] == {
        "source": "a",
        "title": "Trucks that stop",
        "text": "Every stop costs a shift.",
    }
    assert merged["subheadline"] == SPEC["subheadline"]  # not faulted: kept as written
    # An empty rewrite keeps the original (the design system then drops what cannot be published).
    assert merge_repair(SPEC, {"headline": ""}, faulted)["headline"] == SPEC["headline"]


async def test_seed_qa_sends_the_faulted_fields_back_and_keeps_the_rest(
    fake_openai, fake_registry, tmp_path
) -> None:
    scenario = load_scenario(EXAMPLE)
    # A headline of a segment and filler words promises nothing (substance.headline, a blocking finding) and the
    # design system keeps it: a research note's title, once used here, is now dropped before any check sees
    # it, and one offering's name, used next, now passes (it names the offer).
    title = "Mining Industry Solutions"

    def responder(body: dict[str, Any]) -> FakeReply | None:
        fmt = (body.get("response_format") or {}).get("json_schema") or {}
        props = set((fmt.get("schema") or {}).get("properties", {}))
        if "approve" in props:
            return FakeReply(content='{"approve": true, "feedback": ""}')
        if "headline" not in props:
            return None
        spec = example_for_schema(fmt["schema"])
        spec["subheadline"] = (
            "We keep your haul trucks and pumps running, so your crews can get on with the job."
        )
        spec["closing_headline"] = "Let's plan your next shift"
        spec["closing_text"] = "Book a site assessment and we will walk your pit with you."
        spec["pain_points"] = []
        repairing = "The checks found problems" in str(body.get("messages"))
        spec["headline"] = "Keep every haul truck on the ramp" if repairing else title
        if repairing:
            spec["subheadline"] = "CHANGED BY THE REPAIR"
        return FakeReply(content=json.dumps(spec))

    fake_openai.set_responder(responder)
    store = Store(tmp_path / "runs.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    wf = load_template("seed-qa").with_models(all_models="fake/small")
    run = await engine.run(wf, RunInputs(scenario_inputs(scenario, "dana-mining"), scenario))
    qa = run.node("qa")
    assert qa.status == "ok", qa.error
    repairs = [r for r in fake_openai.requests if "The checks found problems" in str(r.get("messages"))]
    assert len(repairs) == 1 and f'headline: "{title}"' in repairs[0]["messages"][-1]["content"]
    page = run.page_html or ""
    assert "Keep every haul truck on the ramp" in page and title not in page.split("<h1")[1][:300]
    assert "CHANGED BY THE REPAIR" not in page  # the subheadline was not faulted
    assert any("repaired once" in w for w in qa.warnings)
    assert qa.calls == 2  # the review and the repair are the QA node's calls
    store.close()
