"""The report outline (`workflow_core.lab.report`) is the one place a lab chart is added: a toy chart registered
in this file alone shows in the exported report and on the Compare page, in its section, under its title. And
every chart of the outline shows in both under the same title, so neither can lay out charts of its own."""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from studio.compare_tabs import TAB_SECTIONS
from tests.helpers import hand_made_experiment
from workflow_core.lab.analysis import ExperimentAnalysis, analyse
from workflow_core.lab.experiment import save_experiment
from workflow_core.lab.export import write_exports
from workflow_core.lab.report import OUTLINE, Chart, register_chart, section, unregister_chart
from workflow_core.lab.tco import TcoInputs
from workflow_core.pricing.book import PriceBook
from workflow_core.run.store import Store

ROOT = Path(__file__).resolve().parents[1]
TOY_TITLE = "Toy chart: agents per variant"
WHAT_IF = "openai/gpt-4.1-mini"  # priced in the genai-prices catalogue: no provider needed
# The Compare page's tab (its label, after the icon) that draws each section's charts.
PAGE_TAB = {
    "results": "Results",
    "whatif": "What-if pricing",
    "coordination": "Coordination",
    "tco": "TCO",
    "timelines": "Results",
}


def _toy(analysis: ExperimentAnalysis, title: str) -> go.Figure:
    summaries = analysis.measured.summaries
    figure = go.Figure(go.Bar(x=[s.variant for s in summaries], y=[s.k for s in summaries]))
    figure.update_layout(title=title)
    return figure


@pytest.fixture(params=["results", "coordination"])
def toy(request: pytest.FixtureRequest) -> Iterator[str]:
    """A toy chart registered in a section (one with several charts in tabs on the page, one with a chart
    under its tables), and taken out again; yields the section's key."""
    register_chart(request.param, Chart("toy", TOY_TITLE, _toy, label="Toy"))
    try:
        yield request.param
    finally:
        unregister_chart(request.param, "toy")


def _analysis(what_if: bool = False) -> ExperimentAnalysis:
    return analyse(hand_made_experiment(), PriceBook(), {"*": WHAT_IF} if what_if else None, TcoInputs())


def _report(tmp_path: Path, analysis: ExperimentAnalysis) -> str:
    return html.unescape(write_exports(analysis, tmp_path)["report.html"].read_text(encoding="utf-8"))


def _section_html(report: str, key: str) -> str:
    """The report from section `key`'s heading to the next section's."""
    headings = [f"<h2>{s.title}</h2>" for s in OUTLINE if s.title and f"<h2>{s.title}</h2>" in report]
    start = report.index(f"<h2>{section(key).title}</h2>")
    later = [report.index(h) for h in headings if report.index(h) > start]
    return report[start : min(later, default=len(report))]


def _title(figure: go.Figure) -> str:
    return str(figure.layout.title.text)


# ---------------------------------------------------------------- the Compare page


@pytest.fixture
def compare_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The hand-made experiment saved in a fresh store, as the Compare page reads it; returns its id."""
    scenario = tmp_path / "scenario"
    shutil.copytree(ROOT / "assets" / "example_scenario", scenario)
    providers = tmp_path / "providers.yaml"
    providers.write_text("providers: {}\n")
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("DECOMPOSE_SCENARIO", str(scenario))
    monkeypatch.chdir(ROOT)
    experiment = hand_made_experiment()
    save_experiment(experiment, Store(tmp_path / "runs.sqlite3"))
    return experiment.experiment_id


def _page(experiment_id: str, what_if: bool = False) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/compare.py")
    at.session_state["lab_shown"] = experiment_id
    at.run()
    if what_if:
        at.selectbox(key="lab_whatif_all").set_value(WHAT_IF).run()
    assert not at.exception, at.exception
    return at


def _page_charts(at: AppTest) -> dict[str, list[tuple[str, str]]]:
    """Per top-level result tab (its label after the icon): the (widget key, title) of each plotly chart."""
    out: dict[str, list[tuple[str, str]]] = {}
    for tab in at.tabs:
        if not tab.label.startswith(":material/"):
            continue  # a tab inside a result tab: its charts are counted in the tab that holds it
        charts = []
        for element in tab.get("plotly_chart"):
            spec = json.loads(element.proto.spec)
            charts.append((str(element.proto.id), str(spec["layout"]["title"]["text"])))
        out[tab.label.split(": ", 1)[1]] = charts
    return out


# ---------------------------------------------------------------- tests


def test_a_toy_chart_registered_here_is_in_the_exported_report(tmp_path: Path, toy: str) -> None:
    report = _report(tmp_path, _analysis())
    assert TOY_TITLE in _section_html(report, toy)
    assert report.count(TOY_TITLE) == 1


def test_a_toy_chart_registered_here_is_on_the_compare_page(compare_env: str, toy: str) -> None:
    at = _page(compare_env)
    shown = _page_charts(at)[PAGE_TAB[toy]]
    toy_charts = [key for key, title in shown if title == TOY_TITLE]
    assert len(toy_charts) == 1 and toy_charts[0].endswith("lab_fig_toy")
    if toy == "results":  # the Results tab gives each chart a tab of its own, named by the outline
        assert "Toy" in [t.label for t in at.tabs]


def test_every_outline_chart_is_in_both_under_one_title(tmp_path: Path, compare_env: str) -> None:
    """With a what-if, every section has its charts; the report and the page draw each of them, under the
    title the outline gives, in the section (tab) the outline puts it in."""
    analysis = _analysis(what_if=True)
    report = _report(tmp_path, analysis)
    page = _page_charts(_page(compare_env, what_if=True))
    expected = {s.key: [_title(f) for c in s.charts for f in c.figures(analysis)] for s in OUTLINE}
    assert expected["whatif"] == ["Cost vs quality (what-if prices)"]  # the one title both show
    for key, titles in expected.items():
        for title in titles:
            assert title in _section_html(report, key), (key, title)
            assert title in [t for _, t in page[PAGE_TAB[key]]], (key, title)
    assert "re-priced" not in report


def test_every_section_is_drawn_by_one_page_tab() -> None:
    drawn = [key for keys in TAB_SECTIONS.values() for key in keys]
    assert sorted(drawn) == sorted(s.key for s in OUTLINE)


def test_a_chart_key_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already"):
        register_chart("tco", Chart("cost_quality", "again", _toy))
    with pytest.raises(KeyError, match="no section"):
        register_chart("appendix", Chart("toy", TOY_TITLE, _toy))
    assert all(c.key != "toy" for s in OUTLINE for c in s.charts)
