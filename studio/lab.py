"""The Compare page's helpers: what the experiment form offers, and the tables, figures and exports of an
experiment, computed once per experiment (and per what-if / TCO input) and kept in this session's state."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import plotly.graph_objects as go
import streamlit as st

from studio import services, ui
from workflow_core import workspace
from workflow_core.cli.compare import (
    CoordinationFit,
    Experiment,
    ExperimentSpec,
    TcoInputs,
    TcoResult,
    Variant,
    VariantSummary,
    fit_experiment,
    headline,
    load_experiment,
    node_breakdown,
    report_html,
    reprice_experiment,
    results_csv,
    results_json,
    tco,
    tco_variants,
    trial_table,
)
from workflow_core.lab import charts
from workflow_core.lab.whatif import ExperimentReprice
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


def build_spec(
    name: str, options: list[str], models: dict[str, str], profiles: list[str], repeats: int
) -> ExperimentSpec:
    """The experiment the form describes. `models` maps an option to its "all models on" ref ("" = each
    node's own model). Variant names are unique: a saved workflow named like a template gets "(saved)"."""
    variants = []
    for option in options:
        workflow = option[len(SAVED) :] if option.startswith(SAVED) else option
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
    """An experiment and everything shown about it that does not depend on the what-if or TCO inputs."""

    experiment: Experiment
    summaries: list[VariantSummary]
    headline: str
    nodes: list[dict[str, Any]]
    trials: list[dict[str, Any]]
    figures: dict[str, go.Figure]
    timelines: list[go.Figure]
    memo: dict[Any, Any] = field(default_factory=dict)

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """`compute()` once per key for this experiment (what-ifs, fits, TCO, exports)."""
        if key not in self.memo:
            self.memo[key] = compute()
        value: T = self.memo[key]
        return value


def _views() -> dict[str, LabView]:
    views: dict[str, LabView] = st.session_state.setdefault("lab_views", {})
    return views


def view(experiment: Experiment) -> LabView:
    """The computed view of an experiment, built on first use and kept for the last few experiments."""
    views = _views()
    found = views.get(experiment.experiment_id)
    if found is not None:
        return found
    summaries = experiment.summaries()
    built = LabView(
        experiment=experiment,
        summaries=summaries,
        headline=headline(summaries),
        nodes=node_breakdown(experiment),
        trials=trial_table(experiment),
        figures={
            "cost_quality": charts.cost_quality(summaries),
            "against_k": charts.against_k(summaries),
            "node_costs": charts.node_cost_stacks(experiment),
        },
        timelines=charts.timelines(experiment),
    )
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


def whatif(lab: LabView, model_map: dict[str, str]) -> ExperimentReprice:
    return lab.cached(
        ("whatif", model_map_key(model_map)),
        lambda: reprice_experiment(lab.experiment, model_map, services.price_book()),
    )


def costs(lab: LabView, model_map: dict[str, str]) -> tuple[list[VariantSummary], dict[int, float] | None]:
    """Summaries and per-trial costs under the what-if map (the measured ones when it is empty)."""
    if not model_map:
        return lab.summaries, None
    rp = whatif(lab, model_map)
    return rp.summaries, rp.trial_costs


def fit(lab: LabView, model_map: dict[str, str]) -> CoordinationFit:
    return lab.cached(
        ("fit", model_map_key(model_map)), lambda: fit_experiment(lab.experiment, costs(lab, model_map)[1])
    )


def tco_result(lab: LabView, model_map: dict[str, str], inputs: TcoInputs) -> TcoResult | None:
    """TCO of the variants that ran, or None when none did."""
    summaries = costs(lab, model_map)[0]
    variants = tco_variants(summaries)
    return tco(variants, inputs) if variants else None


# ---------------------------------------------------------------- tables for the screen


def summary_rows(summaries: list[VariantSummary]) -> list[dict[str, Any]]:
    """The results table as the page shows it: QA as mean ± std, missing values as blanks."""
    rows = []
    for s in summaries:
        qa = "–" if s.qa_mean is None else f"{s.qa_mean:.2f} ± {s.qa_std or 0.0:.2f}"
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
                "QA ± sd": qa,
                "distinct": s.distinctiveness,
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


def break_even_rows(result: TcoResult) -> list[dict[str, Any]]:
    per_request = {v.name: v.cost_per_request for v in result.variants}
    rows = []
    for b in result.break_evens:
        rows.append(
            {
                "variant": b.variant,
                "against": b.baseline,
                "USD / request": ui.money(per_request[b.variant]),
                "pays off after (requests)": "never" if b.volume is None else f"{b.volume:,.0f}",
                "in month": "–" if b.month is None else str(b.month),
                "note": b.reason,
            }
        )
    return rows


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


def model_nodes(lab: LabView) -> list[str]:
    """Node ids that used a model and tokens in some variant: the ones a what-if can re-price."""
    seen: list[str] = []
    for row in lab.nodes:
        if row["model"] and row["input_tokens"] + row["output_tokens"] > 0 and row["node"] not in seen:
            seen.append(row["node"])
    return seen


# ---------------------------------------------------------------- exports


def exports(
    lab: LabView, model_map: dict[str, str], inputs: TcoInputs
) -> tuple[Callable[[], str], Callable[[], str], Callable[[], str]]:
    """(report.html, results.csv, results.json) as deferred builders: built only when downloaded."""
    key = (model_map_key(model_map), tuple(inputs.__dict__.items()))
    kw: dict[str, Any] = {
        "prices": services.price_book(),
        "model_map": model_map or None,
        "tco_inputs": inputs,
    }

    def html() -> str:
        return lab.cached(("report", key), lambda: report_html(lab.experiment, **kw))

    def csv() -> str:
        return results_csv(lab.experiment)

    def as_json() -> str:
        return json.dumps(results_json(lab.experiment, **kw), indent=2, ensure_ascii=False, default=str)

    return html, csv, as_json
