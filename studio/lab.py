"""The Compare page's helpers: what the experiment form offers, and an experiment's analysis
(`workflow_core.lab.analysis`), its figures (the report outline's charts, `workflow_core.lab.report`) and
exports, computed once per experiment (and per what-if map and TCO inputs) and kept in this session's state.
Nothing here computes a number the analysis does not."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import plotly.graph_objects as go
import streamlit as st

from studio import quality_view, services, ui
from workflow_core import workspace
from workflow_core.lab.analysis import ExperimentAnalysis, analyse
from workflow_core.lab.experiment import Experiment, ExperimentSpec, Variant, VariantSummary, load_experiment
from workflow_core.lab.export import experiment_screenshots, report_html, results_csv, results_json
from workflow_core.lab.report import Chart, Section
from workflow_core.lab.tco import TcoInputs, TcoResult
from workflow_core.lab.whatif import repriceable_nodes
from workflow_core.pricing.book import catalogue
from workflow_core.workflow.templates import TEMPLATE_NAMES

SAVED = "saved:"  # prefix of a saved workflow's option (its path follows)
KEEP = ""  # what-if option: keep the measured model
KEPT_EXPERIMENTS = 4  # experiments whose computed views stay in session state

T = TypeVar("T")


# ---------------------------------------------------------------- the experiment form


def variant_options() -> list[str]:
    """Built-in templates, then the user's saved workflows (as `saved:<path>`)."""
    return [*TEMPLATE_NAMES, *(f"{SAVED}{p}" for p in workspace.saved_workflows())]


def variant_label(option: str) -> str:
    if option.startswith(SAVED):
        return f"{Path(option[len(SAVED) :]).stem} (saved)"
    return option


def workflow_of(option: str) -> str:
    """What a variant option runs: a template name, or a saved workflow's path."""
    return option[len(SAVED) :] if option.startswith(SAVED) else option


def build_spec(
    name: str, options: list[str], models: dict[str, str], profiles: list[str], repeats: int
) -> ExperimentSpec:
    """The experiment the form describes. `models` maps an option to its "all models on" ref ("" = each
    node's own model). Variant names are unique: a saved workflow named like a template gets "(saved)"."""
    variants: list[Variant] = []
    for option in options:
        workflow = workflow_of(option)
        label = Path(workflow).stem if option.startswith(SAVED) else option
        if label in {v.name for v in variants}:
            label = variant_label(option)
        variants.append(Variant(name=label, workflow=workflow, all_models=models.get(option) or None))
    default = f"{' vs '.join(v.name for v in variants)} on {len(profiles)} profile(s)"
    return ExperimentSpec(name=name.strip() or default, variants=variants, profiles=profiles, repeats=repeats)


def whatif_choices() -> list[str]:
    """Models a node can be re-priced on: the configured ones, then the genai-prices catalogue."""
    configured = services.model_refs()
    return [KEEP, *configured, *(r for r in _catalogue() if r not in configured)]


@st.cache_resource(show_spinner=False)
def _catalogue() -> list[str]:
    return catalogue()


# ---------------------------------------------------------------- per-experiment views


@dataclass
class LabView:
    """An experiment and what has been computed about it in this session (analyses, figures, exports)."""

    experiment: Experiment
    memo: dict[Any, Any] = field(default_factory=dict)

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """`compute()` once per key for this experiment."""
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value


def _views() -> dict[str, LabView]:
    views: dict[str, LabView] = st.session_state.setdefault("lab_views", {})
    return views


def view(experiment: Experiment) -> LabView:
    """The view of an experiment, made on first use and kept for the last few experiments. A new version of
    an experiment (re-measured under the same id) replaces the view of the old one."""
    views = _views()
    found = views.get(experiment.experiment_id)
    if found is not None and found.experiment.finished_at == experiment.finished_at:
        return found
    views.pop(experiment.experiment_id, None)
    built = LabView(experiment=experiment)
    views[experiment.experiment_id] = built
    for old in list(views)[:-KEPT_EXPERIMENTS]:
        del views[old]
    return built


def open_experiment(experiment_id: str) -> LabView:
    """A stored experiment's view. Raises DecomposeError when it is not in the store."""
    found = _views().get(experiment_id)
    if found is not None:
        return found
    return view(load_experiment(experiment_id, services.store()))


def model_map_key(model_map: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(model_map.items()))


def _key(model_map: dict[str, str], inputs: TcoInputs) -> tuple[Any, ...]:
    # The axis weights are in every key: changing them in Settings re-weighs the lab at once.
    return (model_map_key(model_map), tuple(inputs.__dict__.items()), tuple(quality_view.weights().items()))


def analysis(lab: LabView, model_map: dict[str, str], inputs: TcoInputs) -> ExperimentAnalysis:
    """The experiment's analysis under `model_map` (none when empty) and the TCO `inputs`.
    Raises DecomposeError when the what-if cannot be priced."""
    return lab.cached(
        ("analysis", _key(model_map, inputs)),
        lambda: analyse(
            lab.experiment, services.price_book(), model_map or None, inputs, weights=quality_view.weights()
        ),
    )


def model_nodes(lab: LabView) -> list[str]:
    """Node ids a what-if can re-price (they used a model and tokens in some variant)."""
    return lab.cached("model_nodes", lambda: repriceable_nodes(lab.experiment))


def _priced_key(shown: ExperimentAnalysis) -> tuple[Any, ...]:
    """What the priced parts of an analysis depend on beyond the experiment: the what-if map, the TCO inputs."""
    model_map = shown.whatif.model_map if shown.whatif else {}
    inputs = tuple(shown.tco.inputs.__dict__.items()) if shown.tco else None
    return (model_map_key(model_map), inputs)


def figures(lab: LabView, shown: ExperimentAnalysis, section: Section, chart: Chart) -> list[go.Figure]:
    """`chart`'s figures (of the report outline's `section`) for the analysis on screen: drawn once per
    experiment and weights when the section draws measured numbers, else also once per what-if map and TCO
    inputs."""
    key: tuple[Any, ...] = ("figures", section.key, chart.key, tuple(shown.weights.items()))
    if not section.measured:
        key += _priced_key(shown)
    return lab.cached(key, lambda: chart.figures(shown))


# ---------------------------------------------------------------- tables for the screen


def summary_rows(summaries: list[VariantSummary]) -> list[dict[str, Any]]:
    """The results table as the page shows it: QA as mean ± std, missing values as blanks."""
    rows = []
    for s in summaries:
        qa = "–" if s.qa_interval is None else s.qa_interval.text()
        rows.append(
            {
                "variant": s.variant,
                "k": s.k,
                "runs": s.runs,
                "failed": s.failures,
                "calls": s.calls,
                "in tokens": s.input_tokens,
                "out tokens": s.output_tokens,
                "cost / run": s.cost_usd,
                "wall s": s.wall_s,
                "crit. path s": s.critical_path_s,
                "publishable": "–" if s.publishable is None else f"{s.publishable:.0%}",
                "quality [95%]": qa,
                "written for visitor": "–" if s.written is None else f"{s.written:.0%}",
                "repeated": "–" if s.repeated is None else f"{s.repeated:.0%}",
                # Text, so a variant with one profile shows "–" rather than "None".
                "distinct": "–" if s.distinctiveness is None else f"{s.distinctiveness:.2f}",
            }
        )
    return rows


def repriced_rows(measured: list[VariantSummary], repriced: list[VariantSummary]) -> list[dict[str, Any]]:
    by_name = {s.variant: s for s in measured}
    rows = []
    for s in repriced:
        before = by_name[s.variant].cost_usd
        change = (s.cost_usd - before) / before * 100 if before > 0 else None
        rows.append(
            {
                "variant": s.variant,
                "k": s.k,
                "measured / run": ui.money(before),
                "what-if / run": ui.money(s.cost_usd),
                "change": "–" if change is None else f"{change:+.0f}%",
                "QA": "–" if s.qa_mean is None else f"{s.qa_mean:.2f}",
            }
        )
    return rows


def break_even_rows(result: TcoResult) -> list[dict[str, str]]:
    return result.break_even_rows(ui.money)


def monthly_rows(result: TcoResult) -> list[dict[str, Any]]:
    """Per variant: the one-off engineering, the first and last month's running cost, the total."""
    last = result.inputs.months
    rows = []
    for v in result.variants:
        rows.append(
            {
                "variant": v.name,
                "k": v.k,
                "engineering (once)": f"${v.k * result.inputs.engineering_cost_per_agent:,.0f}",
                "month 1": f"${result.monthly[v.name][0]:,.2f}",
                f"month {last}": f"${result.monthly[v.name][-1]:,.2f}",
                f"total after {last} months": f"${result.cumulative[v.name][-1]:,.2f}",
            }
        )
    return rows


# ---------------------------------------------------------------- exports


def exports(
    lab: LabView, model_map: dict[str, str], inputs: TcoInputs
) -> tuple[Callable[[], str], Callable[[], str], Callable[[], str]]:
    """(report.html, results.csv, results.json) of the analysis on screen, as deferred builders: built
    only when downloaded."""
    shown = analysis(lab, model_map, inputs)

    def html() -> str:
        return lab.cached(
            ("report", _key(model_map, inputs)),
            lambda: report_html(shown, screenshots=experiment_screenshots(lab.experiment, services.store())),
        )

    def csv() -> str:
        return results_csv(shown)

    def as_json() -> str:
        return json.dumps(results_json(shown), indent=2, ensure_ascii=False, default=str)

    return html, csv, as_json
