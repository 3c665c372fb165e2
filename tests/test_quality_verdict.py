"""One shape for a page's quality, from the check to the QA node's record, the run's record, the store and
report.json, carrying its weights and the checker version; a QA verdict is cached under that version, so a
change to the checks recomputes it (and only it); runs stored in the flat shape before still read and show
as they did."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from studio import quality_view
from workflow_core.lab.intervals import run_quality
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import PriceBook
from workflow_core.quality import version
from workflow_core.quality.axes import default_weights
from workflow_core.quality.model import page_score
from workflow_core.records import QAFinding, QualityReport, RunRecord
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.report import run_report
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario, scenario_inputs
from workflow_core.workflow.templates import load_template

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"


async def _run_seed_qa(registry, store: Store) -> RunRecord:
    scenario = load_scenario(EXAMPLE)
    engine = Engine(registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    workflow = load_template("seed-qa").with_models(all_models="fake/small")
    return await engine.run(workflow, RunInputs(scenario_inputs(scenario, "dana-mining"), scenario))


def _stored_json(store_path: Path, run_id: str) -> dict:
    with sqlite3.connect(store_path) as db:
        (raw,) = db.execute("SELECT record FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return json.loads(raw)


async def test_a_change_of_checker_version_recomputes_the_cached_qa_verdict_alone(
    fake_openai, fake_registry, tmp_path, monkeypatch
):
    store = Store(tmp_path / "runs.sqlite3")
    first = await _run_seed_qa(fake_registry, store)
    assert first.status == "ok" and not first.node("qa").cached
    agents = [n.id for n in first.nodes if n.kind == "agent"]
    assert agents, "seed-qa has model nodes before its QA"

    same = await _run_seed_qa(fake_registry, store)
    assert same.node("qa").cached and all(same.node(a).cached for a in agents)
    assert same.qa is not None and first.qa is not None and same.qa.checker == first.qa.checker

    asked = len(fake_openai.requests)
    monkeypatch.setattr(version, "CHECKER_VERSION", "2")
    changed = await _run_seed_qa(fake_registry, store)
    assert not changed.node("qa").cached, "a verdict from before the checks changed answered for them"
    assert all(changed.node(a).cached for a in agents)
    # The only call is the QA node's own review: the model nodes upstream were not asked again.
    assert [
        r for r in fake_openai.requests[asked:] if "approve" not in json.dumps(r.get("response_format"))
    ] == []
    assert (
        changed.qa is not None and changed.qa.checker.startswith("2.") and first.qa.checker.startswith("1.")
    )
    assert changed.node("qa").qa is not None and changed.node("qa").qa.checker == changed.qa.checker


async def test_one_shape_from_the_check_to_the_record_the_store_and_the_report(
    fake_openai, fake_registry, tmp_path
):
    store = Store(tmp_path / "runs.sqlite3")
    run = await _run_seed_qa(fake_registry, store)
    node_verdict, verdict = run.node("qa").qa, run.qa
    assert isinstance(node_verdict, QualityReport) and isinstance(verdict, QualityReport)
    assert verdict.axis_scores == node_verdict.axis_scores and verdict.score == node_verdict.score
    # The weights travel with it: the score is the page score of its axes under them.
    assert verdict.weights == {a: default_weights()[a] for a in verdict.axes}
    assert verdict.score == page_score(verdict.axis_scores, verdict.findings, verdict.weights)
    assert verdict.checker == version.checker_version()
    report = run_report(run)
    assert report["qa_score"] == verdict.score and report["qa_axes"] == verdict.axis_scores
    assert report["qa_publishable"] == verdict.publishable and report["qa_notes"] == verdict.notes
    assert report["qa_findings"] == [f.model_dump() for f in verdict.findings]
    assert report["qa_weights"] == verdict.weights and report["qa_checker"] == verdict.checker
    stored = store.get_run(run.run_id)
    assert stored is not None and stored.qa is not None
    assert stored.qa.model_dump(exclude={"screenshots"}) == verdict.model_dump(exclude={"screenshots"})
    raw = _stored_json(tmp_path / "runs.sqlite3", run.run_id)
    assert "qa_score" not in raw and "screenshots" not in raw["qa"]
    assert all("screenshots" not in (n.get("qa") or {}) for n in raw["nodes"])


FINDINGS = [
    {"check": "integrity.voice", "axis": "integrity", "passed": False, "message": "Speak as the seller.",
     "evidence": "At Acme, we"},
    {"check": "substance.offer", "axis": "substance", "passed": True, "message": "The page makes an offer."},
    {"check": "judge.call_to_action", "axis": "judge", "passed": False, "message": "No call to action."},
]  # fmt: skip
NOTES = [
    "accessibility: rendered checks skipped: Chromium not found",
    "judge: fake/small (cached, apart from the workflow's cost)",
]
MEASURES = {"originality.written": 0.62, "originality.repeated": 0.05}
AXES = {"accessibility": 0.9, "integrity": 0.5, "substance": 1.0, "judge": 0.75}
OLD_RUN = {  # as runs were stored before the one shape: the verdict in flat fields, the node's without judge
    "run_id": "old",
    "workflow": "seed-qa",
    "started_at": 1.0,
    "status": "ok",
    "page_html": "<html><body><h1>Hi</h1></body></html>",
    "qa_score": 0.3125,
    "qa_publishable": False,
    "qa_axes": AXES,
    "qa_findings": FINDINGS,
    "qa_notes": NOTES,
    "qa_measures": MEASURES,
    "nodes": [
        {
            "id": "qa",
            "kind": "qa",
            "status": "ok",
            "qa": {
                "score": 0.3,
                "publishable": False,
                "axes": {a: s for a, s in AXES.items() if a != "judge"},
                "weights": {"accessibility": 2.0, "integrity": 2.0, "substance": 2.0},
                "findings": FINDINGS[:2],
                "notes": NOTES[:1],
                "measures": MEASURES,
                "feedback": "Shorter headline.",
                "sent_back": True,
            },
        }
    ],
}
PRE_AXES_RUN = {  # before the axes: a score and findings filed under categories
    "run_id": "older",
    "workflow": "seed",
    "started_at": 0.5,
    "status": "ok",
    "qa_score": 0.8,
    "qa_findings": [
        {"check": "structure.h1", "category": "structure", "passed": False, "message": "Add an h1."}
    ],
    "nodes": [
        {
            "id": "qa",
            "kind": "qa",
            "status": "ok",
            "qa": {
                "score": 0.8,
                "category_scores": {"structure": 0.8},
                "findings": [
                    {"check": "structure.h1", "category": "structure", "passed": False, "message": "m"}
                ],
            },
        }
    ],
}


def _old_store(path: Path, *records: dict) -> Store:
    """A store whose runs hold `records` as they were written, JSON for JSON."""
    store = Store(path)
    for record in records:
        store.save_run(RunRecord(run_id=record["run_id"], workflow=record["workflow"], started_at=0))
    with sqlite3.connect(path) as db:
        for record in records:
            db.execute("UPDATE runs SET record = ? WHERE run_id = ?", (json.dumps(record), record["run_id"]))
    return store


def test_runs_stored_in_the_flat_shape_read_and_show_as_before(tmp_path) -> None:
    store = _old_store(tmp_path / "old.sqlite3", OLD_RUN, PRE_AXES_RUN)
    run = store.get_run("old")
    assert run is not None and run.qa is not None
    assert (run.qa_score, run.qa_publishable, run.qa_axes) == (0.3125, False, AXES)
    assert run.qa_findings == [QAFinding.model_validate(f) for f in FINDINGS]
    assert (run.qa_notes, run.qa_measures) == (NOTES, MEASURES)
    assert run.qa.axes["judge"].note == "fake/small (cached, apart from the workflow's cost)"
    report = run_report(run)
    assert report["qa_findings"] == [QAFinding.model_validate(f).model_dump() for f in FINDINGS]
    assert (report["qa_score"], report["qa_axes"], report["qa_notes"]) == (0.3125, AXES, NOTES)
    assert report["qa_checker"] == "" and report["qa_weights"] == {}
    # The Run page's score and metrics: what the flat fields gave.
    findings = [QAFinding.model_validate(f) for f in FINDINGS]
    assert run_quality(run) == page_score(AXES, findings)
    lines = quality_view.axis_lines(run)
    assert [(x.name, x.score, x.failed) for x in lines] == [
        ("accessibility", 0.9, 0),
        ("integrity", 0.5, 1),
        ("substance", 1.0, 0),
        ("judge", 0.75, 1),
    ]
    node = run.node("qa").qa
    assert node is not None and node.weights == OLD_RUN["nodes"][0]["qa"]["weights"]
    assert (node.feedback, node.sent_back, node.measures, node.notes) == (
        "Shorter headline.",
        True,
        MEASURES,
        NOTES[:1],
    )
    # Saved again, it is written in the one shape and reads back the same.
    store.save_run(run)
    assert store.get_run("old") == run and "qa_axes" not in _stored_json(tmp_path / "old.sqlite3", "old")

    older = store.get_run("older")
    assert older is not None and (older.qa_score, older.qa_axes) == (0.8, {})
    assert [(f.axis, f.check) for f in older.qa_findings] == [("structure", "structure.h1")]
    assert run_quality(older) == 0.8 and run_report(older)["qa_findings"][0]["axis"] == "structure"
    assert older.node("qa").qa is not None and older.node("qa").qa.findings[0].message == "m"
    assert RunRecord(run_id="r", workflow="w", started_at=0).qa is None
