"""The Compare page (the decomposition lab) through Streamlit's AppTest, on the scripted fake server."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workflow_core.cli.main import main
from workflow_core.lab.experiment import Experiment, ExperimentSpec, Variant, save_experiment
from workflow_core.lab.runner import BackgroundExperiment
from workflow_core.records import Measurement
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeOpenAIServer
from workflow_core.workflow.files import dump_workflow
from workflow_core.workflow.templates import load_template
from workflow_core.workspace import new_engine

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def lab_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAIServer) -> Iterator[Path]:
    providers = tmp_path / "providers.yaml"
    providers.write_text(fake_openai.providers_yaml())
    scenario = tmp_path / "scenario"
    shutil.copytree(ROOT / "assets" / "example_scenario", scenario)
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DECOMPOSE_SCENARIO", str(scenario))
    monkeypatch.chdir(ROOT)
    yield scenario


@pytest.fixture
def experiment(lab_env: Path) -> Experiment:
    """single on the large model vs seed and deep on the small one, two profiles: stored like the page does."""
    scenario = load_scenario(lab_env)
    spec = ExperimentSpec(
        name="depths",
        variants=[
            Variant(name="single", workflow="single", all_models="fake/large"),
            Variant(name="seed", workflow="seed", all_models="fake/small"),
            Variant(name="deep", workflow="deep", all_models="fake/small"),
        ],
        profiles=sorted(scenario.profiles)[:2],
    )
    status = BackgroundExperiment(spec, scenario, new_engine).wait(60)
    assert status.state == "finished", status.error
    assert status.experiment is not None
    return status.experiment


def _compare(shown: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/compare.py")
    if shown:
        at.session_state["lab_shown"] = shown
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [w.value for w in at.warning] + [e.value for e in at.error]
    parts += [i.value for i in at.info] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def _table_cells(at: AppTest) -> str:
    return "\n".join(t.value.to_string() for t in at.table)


def test_a_stored_experiment_shows_its_table_headline_fit_and_exports(experiment: Experiment) -> None:
    at = _compare(experiment.experiment_id)
    text = _texts(at)
    assert "decomposed (seed, k=3) vs single (single, k=1)" in text and "cheaper" in text
    summary = at.dataframe[0].value
    assert list(summary["variant"]) == ["single", "seed", "deep"]
    assert list(summary["k"]) == [1, 3, 6]
    assert summary["quality [95%]"][0].startswith("0.") or summary["quality [95%]"][0] == "1.00"
    assert {m.label for m in at.metric} >= {"Cheapest per run", "Best QA", "m", "R²"}
    assert "coordination" in text.lower() and "R² = " in text and "m says how fast coordination grows" in text
    assert {b.label for b in at.get("download_button")} == {"report.html", "results.csv", "results.json"}


def test_a_what_if_model_reprices_and_is_marked_as_an_estimate(experiment: Experiment) -> None:
    at = _compare(experiment.experiment_id)
    assert "Pick a model above" in _texts(at)
    at.selectbox(key="lab_whatif_all").set_value("openai/gpt-4.1").run()
    assert not at.exception
    text = _texts(at)
    assert "Estimate" in text and "tokens measured on another model" in text
    assert "(estimated prices)" in text
    cells = _table_cells(at)
    assert "what-if / run" in cells and "+" in cells  # gpt-4.1 costs more than the fake small/large prices
    # The node a user names keeps its own model: re-price the personalizer only, the rest stays measured.
    at.selectbox(key="lab_whatif_all").set_value("").run()
    at.selectbox(key="lab_whatif_node_personalizer").set_value("openai/gpt-4.1-mini").run()
    assert not at.exception
    assert "Estimate" in _texts(at)


def test_a_higher_engineering_cost_moves_the_break_even_later(experiment: Experiment) -> None:
    at = _compare(experiment.experiment_id)
    at.number_input(key="lab_tco_req").set_value(1000.0).run()
    # Engineering costs large enough that the break-even volume is far from its whole-request rounding.
    at.number_input(key="lab_tco_eng").set_value(1.0).run()
    cheap = at.table[-1].value
    at.number_input(key="lab_tco_eng").set_value(100.0).run()
    dear = at.table[-1].value
    assert not at.exception
    seed_cheap = cheap[cheap["variant"] == "seed"].iloc[0]
    seed_dear = dear[dear["variant"] == "seed"].iloc[0]
    volume = {
        name: float(str(row["pays off after (requests)"]).replace(",", ""))
        for name, row in (("cheap", seed_cheap), ("dear", seed_dear))
    }
    assert volume["dear"] == pytest.approx(volume["cheap"] * 100, rel=0.02)


def test_running_an_experiment_from_the_page_shows_its_results(lab_env: Path) -> None:
    at = _compare()
    assert "Pick variants and profiles" in _texts(at)
    at.multiselect(key="lab_variants").set_value(["single", "seed"])
    at.multiselect(key="lab_profiles").set_value(["arjun-utilities"])
    at.selectbox(key="lab_all_models").set_value("fake/small")
    at.text_input(key="lab_name").set_value("from the page")
    at.button(key="lab_start").click().run()
    assert not at.exception
    deadline = time.time() + 30
    while "lab_shown" not in at.session_state and time.time() < deadline:
        time.sleep(0.3)
        at.run()
        assert not at.exception
    assert at.subheader[0].value == "from the page"
    summary = at.dataframe[0].value
    assert list(summary["variant"]) == ["single", "seed"] and list(summary["failed"]) == [0, 0]
    # Saved: it can be reopened from the list.
    assert at.selectbox(key="lab_saved").value.startswith("from the page · ")


def test_reopening_a_saved_experiment_and_a_missing_one(experiment: Experiment) -> None:
    at = _compare()
    picker = at.selectbox(key="lab_saved")
    picker.set_value(next(o for o in picker.options if o.startswith("depths · ")))
    at.button(key="lab_saved_open").click().run()
    assert not at.exception and at.subheader[0].value == "depths"
    at.session_state["lab_shown"] = "no-such-id"
    at.run()
    assert not at.exception
    assert any("cannot be opened" in e.value for e in at.error)


def test_a_broken_saved_workflow_is_a_message_not_a_traceback(lab_env: Path, tmp_path: Path) -> None:
    folder = tmp_path / "home" / "workflows"
    folder.mkdir(parents=True)
    (folder / "broken.yaml").write_text("name: broken\nnodes: [ {id: a, kind: nope} ]\n")
    at = _compare()
    at.multiselect(key="lab_variants").set_value(["single", f"saved:{folder / 'broken.yaml'}"])
    at.button(key="lab_start").click().run()
    assert not at.exception
    assert any("cannot start" in e.value for e in at.error)


def test_cancel_stops_the_experiment_and_keeps_what_finished(
    lab_env: Path, fake_openai: FakeOpenAIServer
) -> None:
    fake_openai.latency_s = 0.5
    at = _compare()
    at.multiselect(key="lab_variants").set_value(["single", "seed", "deep"])
    at.selectbox(key="lab_all_models").set_value("fake/small")
    at.button(key="lab_start").click().run()
    assert at.button(key="lab_cancel")
    at.button(key="lab_cancel").click().run()
    deadline = time.time() + 30
    while "lab_shown" not in at.session_state and time.time() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception
    assert any("Cancelled" in w.value for w in at.warning)
    trials = at.dataframe[-1].value
    assert "cancelled" in set(trials["error"].fillna(""))


def test_a_disturbed_measurement_is_said_and_re_measured_from_the_page(
    experiment: Experiment, fake_openai: FakeOpenAIServer, lab_env: Path
) -> None:
    # The engine flags a disturbed measurement as it is made (tests/test_disturbed_measurements.py); here
    # the stored experiment carries one, as a comparison that reused it from the cache would.
    trial = next(t for t in experiment.trials if t.variant == "seed" and t.run is not None)
    assert trial.run is not None
    node = next(n for n in trial.run.nodes if n.id == "personalizer")
    node.measured = Measurement(at=time.time(), load_1m=3.1, cores=2, expected_s=9.0, disturbed="took 44.0 s")
    store = Store(Path(os.environ["DECOMPOSE_DB"]))
    save_experiment(experiment, store)
    store.close()
    at = _compare(experiment.experiment_id)
    text = _texts(at)
    assert "Measured while the machine was busy?" in text and "took 44.0 s" in text
    assert "This rests on 1 disturbed measurement" in text  # the headline says so
    sent = len(fake_openai.requests)
    at.button(key="lab_remeasure").click().run()
    deadline = time.time() + 30
    while "lab_background" in at.session_state and time.time() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception
    # Only that node's model was called again; every other result came from the cache.
    assert len(fake_openai.requests) - sent == 1
    text = _texts(at)
    assert "Measured while the machine was busy?" not in text and "disturbed measurement" not in text
    assert at.session_state["lab_shown"] == experiment.experiment_id


def test_an_experiment_whose_runs_all_failed_still_shows_without_a_traceback(
    lab_env: Path, fake_openai: FakeOpenAIServer
) -> None:
    at = _compare()
    at.selectbox(key="lab_all_models").set_value("fake/small")
    fake_openai.stop()  # every model call now fails
    at.button(key="lab_start").click().run()
    deadline = time.time() + 30
    while "lab_shown" not in at.session_state and time.time() < deadline:
        time.sleep(0.3)
        at.run()
    assert not at.exception
    assert any("runs failed" in w.value for w in at.warning)
    assert "No run finished" in _texts(at)


# ---------------------------------------------------------------- one analysis, three views


def _cli_run(lab_env: Path, out: Path, capsys: pytest.CaptureFixture[str], what_if: list[str]) -> str:
    """`decompose compare` on single (large model) vs seed and deep (small model) on two profiles, with the
    TCO inputs of `TCO`; returns what it printed. The variants are YAML files because --all-models would
    put every variant on one model."""
    variants = []
    for name, model in (("single", "fake/large"), ("seed", "fake/small"), ("deep", "fake/small")):
        path = out.parent / f"{name}.yaml"
        path.write_text(dump_workflow(load_template(name).with_models(None, model)))
        variants.append(str(path))
    argv = ["compare", "--variants", ",".join(variants), "--scenario", str(lab_env), "--out", str(out)]
    argv += ["--profiles", ",".join(sorted(load_scenario(lab_env).profiles)[:2])]
    argv += ["--engineering-cost", str(TCO["lab_tco_eng"]), "--requests-per-month", str(TCO["lab_tco_req"])]
    for pair in what_if:
        argv += ["--what-if", pair]
    assert main(argv) == 0
    return capsys.readouterr().out


TCO = {"lab_tco_eng": 1.0, "lab_tco_req": 1000.0}


def _page(experiment_id: str, what_if: list[str]) -> AppTest:
    """The Compare page on a stored experiment with the TCO inputs of `TCO` and the what-if NODE=REF pairs."""
    at = _compare(experiment_id)
    for key, value in TCO.items():
        at.number_input(key=key).set_value(value).run()
    for node, _, ref in (pair.partition("=") for pair in what_if):
        key = "lab_whatif_all" if node == "*" else f"lab_whatif_node_{node}"
        at.selectbox(key=key).set_value(ref).run()
    assert not at.exception
    return at


def _page_break_evens(at: AppTest) -> dict[str, tuple[str, str]]:
    table = at.table[-1].value
    return {
        row["variant"]: (str(row["pays off after (requests)"]), str(row["in month"]))
        for _, row in table.iterrows()
    }


WHAT_IF = ["web=openai/gpt-4.1", "*=openai/gpt-4.1-mini"]  # single's one agent on the frontier model


@pytest.mark.parametrize("what_if", [[], WHAT_IF], ids=["measured", "what-if"])
def test_the_report_the_cli_and_the_page_show_one_analysis(
    lab_env: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], what_if: list[str]
) -> None:
    out = tmp_path / "out"
    printed = _cli_run(lab_env, out, capsys, what_if)
    data = json.loads((out / "results.json").read_text(encoding="utf-8"))
    report = html.unescape((out / "report.html").read_text(encoding="utf-8"))

    # decompose compare: the headline, the what-if headline, m and the break-evens it printed.
    m = f"{data['coordination_fit']['m']:.2f}"
    costs = "what-if prices (estimate)" if what_if else "measured costs"
    assert data["coordination_fit"]["costs"] == data["tco"]["costs"] == costs
    assert data["headline"] in printed.splitlines()
    explanation = data["coordination_fit"]["explanation"]
    assert f"coordination: {explanation}" in printed and f"at {costs}" in explanation
    # m only with an overhead, and only from a fit that can be read (issue 27: no share from a poor fit).
    readable = data["coordination_fit"]["c"] > 0 and data["coordination_fit"]["says_something"]
    assert (f"m = {m}" in explanation) == readable
    assert explanation.startswith(("The fit describes these runs", "The fit says little about coordination"))
    break_evens = {
        b["variant"]: (
            "never" if b["volume"] is None else f"{b['volume']:,.0f}",
            "–" if b["month"] is None else str(b["month"]),
        )
        for b in data["tco"]["break_even"]
    }
    assert any(v != "never" for v, _ in break_evens.values()), "some variant must pay off against single"
    for variant, (volume, month) in break_evens.items():
        if volume != "never":
            assert f"{variant} pays off against single after {volume} requests (month {month})" in printed
        # report.html: the same break-even table as the page.
        row = f"<td class='t'>{variant}</td><td class='t'>single</td>"
        assert re.search(
            f"{row}<td[^>]*>[^<]*</td><td class='t'>{volume}</td><td class='t'>{month}</td>", report
        )
    # report.html: the same headline, m and cost basis.
    assert f"<p class='headline'>{data['headline']}</p>" in report
    assert explanation in report and f"fitted to each run's {costs}" in report
    # The Compare page, on the experiment the CLI stored, with the same what-if and TCO inputs.
    at = _page(data["experiment_id"], what_if)
    text = _texts(at)
    # The page sets the comparison as the heading and what its quality rests on under it.
    comparison = data["headline"].removesuffix(f". {data['quality_basis']}")
    assert comparison != data["headline"] and "rule verdict" in data["quality_basis"]
    assert f"#### :material/insights: {comparison}" in text and data["quality_basis"] in text
    shown_m = m if readable else "–"  # no overhead, or a fit that says little: m means nothing, shown as –
    assert next(x.value for x in at.metric if x.label == "m") == shown_m
    assert f"fitted to each run's {costs}" in text and explanation in text
    assert _page_break_evens(at) == break_evens
    if what_if:
        whatif_headline = data["whatif"]["headline"]
        assert whatif_headline.endswith("(estimated prices)")
        assert f"what-if {', '.join(WHAT_IF)}: {whatif_headline}" in printed
        assert f"<p class='headline'>{whatif_headline}</p>" in report
        assert f"#### {whatif_headline}" in text
    else:
        assert "whatif" not in data and "what-if" not in printed


def test_a_link_with_the_experiment_opens_it_in_a_new_session(experiment: Experiment) -> None:
    """Issue 14: `?experiment=<id>` (a reload, a bookmark) opens that experiment; the page names it there."""
    at = _compare(experiment.experiment_id)
    assert at.query_params["experiment"] == experiment.experiment_id
    fresh = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    fresh.switch_page("pages/compare.py")  # the reload lands on /compare?experiment=...
    fresh.query_params["experiment"] = experiment.experiment_id
    fresh.run()
    assert not fresh.exception
    assert any(s.value == experiment.spec.name for s in fresh.subheader)
