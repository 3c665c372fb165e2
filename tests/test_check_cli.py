"""`decompose check` as a user runs it (a real subprocess; the judge over real HTTP to the scripted server),
and the judge axis: its checklist, its cache and its cost kept apart."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.test_cli import EXAMPLE, decompose
from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.quality import Sources
from workflow_core.quality.judge import CHECKLIST, axis_from_answers, judge_page
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply

ROOT = Path(__file__).resolve().parents[1]
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><title>Ridgeline</title></head><body><main>'
    "<h1>Haul trucks that stay on the road</h1><p>Talk to Ridgeline Fieldworks about uptime.</p>"
    "</main></body></html>"
)


def test_check_prints_axes_and_json_parses(cli_env, tmp_path):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    text = decompose(cli_env, "check", str(page), "--scenario", str(EXAMPLE), "--profile", "dana-mining")
    assert text.stdout.startswith("quality ")
    assert "accessibility" in text.stdout and "personalisation" in text.stdout
    out = decompose(cli_env, "check", str(page), "--scenario", str(EXAMPLE), "--json").stdout
    doc = json.loads(out)
    assert set(doc) >= {"score", "axes", "findings"}
    assert 0.0 <= doc["score"] <= 1.0
    assert all(set(f) >= {"axis", "check", "passed", "message", "evidence"} for f in doc["findings"])
    assert {f["axis"] for f in doc["findings"]} <= set(doc["axes"])


def test_check_reads_a_page_with_a_control_character(cli_env, tmp_path):
    """A stray vertical tab (small models write them) stopped the check with "This is a bug in decompose"."""
    page = tmp_path / "page.html"
    page.write_text(PAGE.replace("stay on", "stay\x0b on"), encoding="utf-8")
    text = decompose(cli_env, "check", str(page), "--scenario", str(EXAMPLE), "--profile", "dana-mining")
    assert text.stdout.startswith("quality "), text.stdout + text.stderr
    assert "bug" not in text.stdout + text.stderr


def test_check_weights_change_the_score(cli_env, tmp_path):
    # A publishable page: an unpublishable one scores half its axes' mean, whatever the weights.
    page = ROOT / "tests/quality_cases/pages/ridgeline-dana-ds.html"
    args = ["check", str(page), "--scenario", str(EXAMPLE), "--profile", "dana-mining", "--json"]
    plain = json.loads(decompose(cli_env, *args).stdout)
    only_a11y = ",".join(f"{a}=0" for a in plain["axes"] if a != "accessibility")
    weighted = json.loads(decompose(cli_env, *args, "--weights", only_a11y).stdout)
    assert plain["publishable"] is True and weighted["publishable"] is True
    assert weighted["score"] == pytest.approx(plain["axes"]["accessibility"], abs=1e-4)


def test_check_says_whether_a_page_is_publishable_and_marks_what_blocks_it(cli_env, tmp_path):
    page = ROOT / "tests/quality_cases/pages/ridgeline-dana-ds--issue22_close_without_ask.html"
    args = ["check", str(page), "--scenario", str(EXAMPLE), "--profile", "dana-mining"]
    doc = json.loads(decompose(cli_env, *args, "--json").stdout)
    assert doc["publishable"] is False
    blocking = [f for f in doc["findings"] if f["blocking"]]
    assert [f["check"] for f in blocking] == ["substance.close"]
    assert not any(f["blocking"] for f in doc["findings"] if f["passed"])
    assert doc["score"] == pytest.approx(
        0.5 * sum(doc["axes"][a] * w for a, w in doc["weights"].items()) / sum(doc["weights"].values()),
        abs=1e-3,
    )
    text = decompose(cli_env, *args).stdout
    assert "NOT publishable: 1 blocking finding" in text and "⛔ substance.close" in text
    # The tiny page of the other tests is no page at all: no headline that offers, no offer, no ask.
    tiny = tmp_path / "tiny.html"
    tiny.write_text(PAGE, encoding="utf-8")
    doc = json.loads(decompose(cli_env, "check", str(tiny), "--scenario", str(EXAMPLE), "--json").stdout)
    assert doc["publishable"] is False and doc["score"] == 0.0
    assert any(f["check"] == "substance.empty" and f["blocking"] for f in doc["findings"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope.html"], "is not a file"),
        (["PAGE", "--profile", "nobody"], "profile 'nobody' is not in"),
        (["PAGE", "--weights", "grounding"], "is not AXIS=WEIGHT"),
        (["PAGE", "--weights", "beauty=2"], "unknown quality axis beauty"),
    ],
)
def test_check_bad_input_is_one_clear_line(cli_env, tmp_path, args, message):
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    args = [str(page) if a == "PAGE" else a for a in args]
    proc = decompose(cli_env, "check", *args, "--scenario", str(EXAMPLE), check=False)
    assert proc.returncode == 1 and message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_check_with_a_judge_calls_it_once_then_reads_the_cache(cli_env, tmp_path, fake_openai):
    answers = {qid: True for qid, _, _ in CHECKLIST} | {"publishable": False}
    fake_openai.set_responder(lambda body: FakeReply(json.dumps(answers)))
    page = tmp_path / "page.html"
    page.write_text(PAGE, encoding="utf-8")
    args = [
        "check",
        str(page),
        "--scenario",
        str(EXAMPLE),
        "--profile",
        "dana-mining",
        "--judge",
        "fake/large",
    ]
    first = json.loads(decompose(cli_env, *args, "--json").stdout)
    assert first["axes"]["judge"] == pytest.approx(round(8 / 9, 4))
    assert first["judge"]["model"] == "fake/large" and first["judge"]["cost_usd"] > 0
    assert not first["judge"]["cached"]
    calls = len(fake_openai.requests)
    body = fake_openai.requests[-1]
    assert body["response_format"]["json_schema"]["schema"]["required"] == [q for q, _, _ in CHECKLIST]
    second = json.loads(decompose(cli_env, *args, "--json").stdout)
    assert second["judge"]["cached"] and second["axes"]["judge"] == first["axes"]["judge"]
    assert len(fake_openai.requests) == calls
    failed = [f for f in second["findings"] if f["axis"] == "judge" and not f["passed"]]
    assert [f["check"] for f in failed] == ["judge.publishable"]


async def test_judge_answer_that_is_not_json_is_an_error_and_is_not_cached(
    fake_registry, fake_openai, tmp_path
):
    fake_openai.set_responder(lambda body: FakeReply("I think the page is fine."))
    sources = Sources.of(load_scenario(EXAMPLE), "dana-mining")
    store = Store(tmp_path / "runs.sqlite3")
    with pytest.raises(DecomposeError, match="did not answer with the JSON"):
        await judge_page(PAGE, sources, "fake/large", fake_registry, PriceBook(), store)
    fake_openai.set_responder(lambda body: FakeReply(json.dumps({q: True for q, _, _ in CHECKLIST})))
    judged = await judge_page(PAGE, sources, "fake/large", fake_registry, PriceBook(), store)
    assert not judged.cached and judged.axis.score == 1.0


def test_missing_answers_count_as_failed_questions():
    axis = axis_from_answers({"speaks_to_visitor": True, "publishable": "yes"}, "m")
    assert axis.score == pytest.approx(1 / len(CHECKLIST), abs=1e-4)
    assert sum(f.passed for f in axis.findings) == 1


async def test_a_judged_run_keeps_the_judges_cost_apart(fake_openai, fake_registry, tmp_path):
    from workflow_core.nodes.hooks import standard_hooks
    from workflow_core.run.engine import Engine
    from workflow_core.run.inputs import RunInputs
    from workflow_core.workflow.templates import load_template

    def responder(body):
        props = set(
            ((body.get("response_format") or {}).get("json_schema") or {})
            .get("schema", {})
            .get("properties", {})
        )
        if props == {q for q, _, _ in CHECKLIST}:
            return FakeReply(json.dumps({q: q != "publishable" for q, _, _ in CHECKLIST}))
        return None

    fake_openai.set_responder(responder)
    scenario = load_scenario(EXAMPLE)
    store = Store(tmp_path / "runs.sqlite3")
    prices = PriceBook(overrides={"fake/large": ModelPrice(input_per_mtok=2.0, output_per_mtok=8.0)})
    hooks = standard_hooks(store, judge="fake/large", registry=fake_registry, prices=prices)
    engine = Engine(fake_registry, prices=prices, store=store, hooks=hooks)
    wf = load_template("seed").with_models(all_models="fake/small")
    run = await engine.run(wf, RunInputs.for_profile(scenario, "dana-mining"))
    assert run.status == "ok" and not run.warnings
    assert run.qa_axes["judge"] == pytest.approx(round(8 / 9, 4), abs=1e-4)
    assert run.judge_cost_usd > 0
    assert run.total_cost_usd == pytest.approx(sum(n.cost_usd for n in run.nodes))
    assert any(n.startswith("judge: fake/large") for n in run.qa_notes)
    stored = store.get_run(run.run_id)
    assert (
        stored is not None and stored.qa_axes == run.qa_axes and stored.judge_cost_usd == run.judge_cost_usd
    )


async def test_a_judge_that_fails_leaves_a_warning_and_the_run_stands(fake_openai, fake_registry, tmp_path):
    from workflow_core.nodes.hooks import standard_hooks
    from workflow_core.run.engine import Engine
    from workflow_core.run.inputs import RunInputs
    from workflow_core.workflow.templates import load_template

    def responder(body):
        if "judge" in str(body.get("messages")) or "true or false" in str(body.get("messages")):
            return FakeReply("not json at all")
        return None

    fake_openai.set_responder(responder)
    store = Store(tmp_path / "runs.sqlite3")
    prices = PriceBook()
    hooks = standard_hooks(store, judge="fake/large", registry=fake_registry, prices=prices)
    engine = Engine(fake_registry, prices=prices, store=store, hooks=hooks)
    wf = load_template("seed").with_models(all_models="fake/small")
    run = await engine.run(wf, RunInputs.for_profile(load_scenario(EXAMPLE), "dana-mining"))
    assert run.status == "ok" and run.page_html
    assert "judge" not in run.qa_axes
    assert any(w.startswith("JudgePage:") and "did not answer with the JSON" in w for w in run.warnings)
    assert store.get_run(run.run_id) is not None


def test_calibrate_measures_the_judge_against_the_labels(cli_env, tmp_path, fake_openai):
    # Three labelled pages: a good one, one with a leaked instruction (integrity), one reciting the profile
    # (personalisation). The scripted judge catches both defects and wrongly calls the good page unpublishable.
    cases_dir = ROOT / "tests" / "quality_cases"
    (tmp_path / "pages").mkdir()
    chosen = [
        "ridgeline-dana-ds",
        "ridgeline-dana-ds--leaked_instruction",
        "ridgeline-dana-ds--profile_recital",
    ]
    manifest = json.loads((cases_dir / "cases.json").read_text(encoding="utf-8"))["cases"]
    cases = []
    for entry in manifest:
        if Path(entry["file"]).stem in chosen:
            shutil.copy(cases_dir / entry["file"], tmp_path / entry["file"])
            cases.append({**entry, "scenario": str(ROOT / entry["scenario"])})
    (tmp_path / "cases.json").write_text(json.dumps({"cases": cases}), encoding="utf-8")

    def responder(body):
        page = body["messages"][-1]["content"]
        answers = {qid: True for qid, _, _ in CHECKLIST}
        if "This page is tailored" in page:
            answers["no_instructions"] = False
        elif "is Head of Operations at" in page:
            answers["no_recital"] = False
        else:
            answers["publishable"] = False
        return FakeReply(json.dumps(answers))

    fake_openai.set_responder(responder)
    out = decompose(cli_env, "calibrate", str(tmp_path), "--judge", "fake/large", "--skip-axes").stdout
    assert "3 pages, 1 good" in out and "answered 3 of 3 pages" in out
    assert "| integrity | 1 | 0 | 0 | 1.00 | 1.00 |" in out
    assert "| personalisation | 1 | 0 | 0 | 1.00 | 1.00 |" in out
    assert "| any defect | 2 | 1 | 0 | 0.67 | 1.00 |" in out
    assert "| publishable | 1/1 | 0/2 |" in out and "| no_instructions | 0/1 | 1/2 |" in out
    calls = len(fake_openai.requests)
    decompose(cli_env, "calibrate", str(tmp_path), "--judge", "fake/large", "--skip-axes")
    assert len(fake_openai.requests) == calls  # the judge's answers are cached
