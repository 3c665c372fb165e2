"""The lab report's outline: its sections in order, each with the charts it shows.

The exported HTML report (`export.report_html`) and the Compare page (`studio/compare_tabs.py`) both walk
this outline, so a chart is one `register_chart(section, Chart(...))` and appears in both, drawn by one
function under one title. Before, each laid the report out on its own and their titles had drifted apart
(the what-if chart was "(re-priced)" in the report and "(what-if prices)" on the page).

What each renders around the charts stays its own: the page shows its tables as sortable dataframes with
column help and puts the inputs beside them, the report writes static HTML tables and the explanations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeAlias

import plotly.graph_objects as go

from workflow_core.lab import charts
from workflow_core.lab.analysis import ExperimentAnalysis

# What a chart's build returns: a figure, one figure per item (a timeline per variant), or None when the
# analysis has nothing for it (no what-if map, no variant that ran).
Figures: TypeAlias = go.Figure | Sequence[go.Figure] | None
Build: TypeAlias = Callable[[ExperimentAnalysis, str], Figures]


@dataclass(frozen=True)
class Chart:
    """One chart of the report. `build(analysis, title)` draws it titled `title`; a chart whose figure names a
    number of its own (the fit's m, a timeline's variant) starts its title with `title`."""

    key: str  # unique in the outline; the page's widget key is lab_fig_<key>
    title: str
    build: Build
    label: str = ""  # its name on the page where a tab holds several charts (default: the title)
    note: str = ""  # a caption the page writes under it
    empty: str = ""  # what the page says when the analysis gives no figure

    @property
    def name(self) -> str:
        return self.label or self.title

    def figures(self, analysis: ExperimentAnalysis) -> list[go.Figure]:
        built = self.build(analysis, self.title)
        if built is None:
            return []
        return [built] if isinstance(built, go.Figure) else list(built)


def _always(analysis: ExperimentAnalysis) -> bool:
    return True


@dataclass
class Section:
    """A section of the report, in outline order. `measured`: its charts draw measured numbers only, so the
    page draws them once per experiment and weights, not again for each what-if map and TCO input."""

    key: str
    title: str  # the report's heading
    charts: list[Chart] = field(default_factory=list)
    measured: bool = False
    shown: Callable[[ExperimentAnalysis], bool] = _always  # the report leaves the section out otherwise


# ---------------------------------------------------------------- the built-in charts


def _cost_quality(analysis: ExperimentAnalysis, title: str) -> Figures:
    return charts.cost_quality(analysis.measured, title)


def _against_k(analysis: ExperimentAnalysis, title: str) -> Figures:
    return charts.against_k(analysis.measured.summaries, title)


def _node_costs(analysis: ExperimentAnalysis, title: str) -> Figures:
    variants = [s.variant for s in analysis.measured.summaries]
    return charts.node_cost_stacks(analysis.nodes, variants, title)


def _whatif(analysis: ExperimentAnalysis, title: str) -> Figures:
    return None if analysis.whatif is None else charts.cost_quality(analysis.whatif, title)


def _fit(analysis: ExperimentAnalysis, title: str) -> Figures:
    return charts.coordination_fit(analysis.fit, title)


def _tco(analysis: ExperimentAnalysis, title: str) -> Figures:
    return None if analysis.tco is None else charts.tco_chart(analysis.tco, title)


def _timelines(analysis: ExperimentAnalysis, title: str) -> Figures:
    return charts.timelines(analysis.timelines, title)


OUTLINE: tuple[Section, ...] = (
    Section(
        "search",
        "Which node needs the big model?",
        shown=lambda analysis: analysis.experiment.search is not None,
    ),
    Section(
        "results",
        "Results per variant",
        [
            Chart(
                "cost_quality",
                "Cost vs quality",
                _cost_quality,
                note="Stars are on the Pareto front: no other variant is both cheaper and better.",
            ),
            Chart("against_k", "Cost, latency and quality against k", _against_k, label="Against k"),
            Chart("node_costs", "Cost per run by node", _node_costs, label="Cost by node"),
        ],
        measured=True,
    ),
    Section(
        "whatif",
        "What-if pricing",
        [Chart("whatif", "Cost vs quality (what-if prices)", _whatif)],
        shown=lambda analysis: analysis.whatif is not None,
    ),
    Section("coordination", "Coordination overhead", [Chart("fit", "Coordination overhead", _fit)]),
    Section(
        "tco",
        "Total cost of ownership",
        [Chart("tco", "Cumulative cost", _tco)],
        shown=lambda analysis: analysis.tco is not None,
    ),
    Section(
        "timelines",
        "Latency timelines",
        [
            Chart(
                "timelines",
                "Timeline",
                _timelines,
                label="Latency timelines",
                empty="No run finished, so there is no timeline.",
            )
        ],
        measured=True,
    ),
    Section("pages", "Pages", measured=True),
    Section("runs", "Runs", measured=True),
)


def section(key: str) -> Section:
    """The outline's section `key`. Raises KeyError for a section the outline does not have."""
    for s in OUTLINE:
        if s.key == key:
            return s
    raise KeyError(f"the report has no section {key!r}; it has {', '.join(s.key for s in OUTLINE)}")


def register_chart(section_key: str, chart: Chart) -> Chart:
    """Add `chart` at the end of section `section_key`: the report and the Compare page both draw it from then
    on. Raises ValueError when a chart of that key is already registered anywhere in the outline."""
    if any(c.key == chart.key for s in OUTLINE for c in s.charts):
        raise ValueError(f"a chart {chart.key!r} is already in the report")
    section(section_key).charts.append(chart)
    return chart


def unregister_chart(section_key: str, chart_key: str) -> None:
    """Take the chart `chart_key` out of its section (a test's toy chart); nothing when it is not there."""
    found = section(section_key)
    found.charts[:] = [c for c in found.charts if c.key != chart_key]
