"""Compare's "Which node needs the big model?" tab: the model search's form, the prediction it asks the user
to confirm, its progress in the background, and the answer above the experiment it makes, with the
recommended workflow saved in one click. The search itself is `workflow_core.lab.search`."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from studio import lab, services, ui
from workflow_core import workspace
from workflow_core.errors import DecomposeError
from workflow_core.lab.experiment import Experiment
from workflow_core.lab.search.background import BackgroundSearch
from workflow_core.lab.search.scores import Rule
from workflow_core.lab.search.search import ModelSearch, Prediction, SearchRequest
from workflow_core.lab.search.strategies import STRATEGIES
from workflow_core.run.engine import Engine
from workflow_core.scenario import Scenario
from workflow_core.workflow.templates import resolve_workflow

POLL_S = 1.0
_KEY = "search_background"


def background() -> BackgroundSearch | None:
    value: BackgroundSearch | None = st.session_state.get(_KEY)
    return value


def running() -> bool:
    bg = background()
    return bg is not None and bg.poll().state == "running"


def _model_nodes(option: str | None) -> dict[str, str]:
    """The chosen workflow's model-backed nodes and their own models (none when it cannot be read: the
    estimate then says why)."""
    if option is None:
        return {}
    try:
        workflow = resolve_workflow(lab.workflow_of(option))
    except DecomposeError:
        return {}
    return {n.id: n.model for n in workflow.nodes if n.model}


def form(scenario: Scenario, busy: bool) -> None:
    """The search's inputs, then "Estimate the search", then the prediction and "Start the search"."""
    st.caption(
        "Try each model on each agent of a workflow and find the cheapest assignment whose pages are not "
        "clearly worse than the best. See docs/search.md for the strategies and how the answer can be wrong."
    )
    refs = services.model_refs()
    c1, c2 = st.columns([3, 2])
    with c1:
        option = st.selectbox(
            "Workflow",
            lab.variant_options(),
            index=None,
            format_func=lab.variant_label,
            key="search_workflow",
        )
    with c2:
        strategy = st.selectbox("Strategy", STRATEGIES, key="search_strategy")
    models = st.multiselect(
        "Models to try on each node",
        refs,
        default=[r for r in refs if r.startswith("local/")][:2],
        key="search_models",
        accept_new_options=True,
    )
    profiles = st.multiselect(
        "Visitors", list(scenario.profiles), default=list(scenario.profiles)[:3], key="search_profiles"
    )
    own_models = _model_nodes(option)
    pinned = st.multiselect(
        "Keep these nodes on their own model",
        list(own_models),
        format_func=lambda n: f"{n} ({own_models[n]})",
        key="search_pinned",
        help="A pinned node is not searched: it runs on the model the workflow gives it",
    )
    c5, c6 = st.columns(2)
    with c5:
        target = st.number_input(
            "Target quality (optional)",
            min_value=0.0,
            max_value=1.0,
            value=None,
            step=0.05,
            key="search_target",
            help="Recommend the cheapest assignment whose mean quality reaches this, instead of the cheapest "
            "not clearly below the best",
        )
    with c6:
        budget = st.number_input(
            "Search budget, USD (optional)",
            min_value=0.0,
            value=None,
            step=0.01,
            format="%.4f",
            key="search_budget",
            help="The search stops before an evaluation whose estimate would pass it, and answers with what it has",
        )
    if option is None or not models or not profiles:
        st.caption("Pick a workflow, at least one model and one visitor.")
        return
    request = SearchRequest(
        workflow=lab.workflow_of(option),
        models=tuple(models),
        profiles=tuple(profiles),
        pinned={n: own_models[n] for n in pinned if n in own_models},
        rule=Rule(target_quality=target),
        strategy=str(strategy),
        budget_usd=budget or None,
    )
    if st.button("Estimate the search", icon=":material/calculate:", key="search_estimate", disabled=busy):
        try:
            probe = Engine(services.registry(), prices=services.price_book(), store=services.store())
            st.session_state["search_prediction"] = (request, ModelSearch(request, scenario, probe).predict())
            st.session_state.pop("search_error", None)
        except DecomposeError as exc:
            st.session_state["search_error"] = exc
            st.session_state.pop("search_prediction", None)
    error = st.session_state.get("search_error")
    if isinstance(error, DecomposeError):
        ui.show_error(error, "The search cannot start")
    shown: tuple[SearchRequest, Prediction] | None = st.session_state.get("search_prediction")
    if shown is None or shown[0] != request:
        return  # no estimate yet, or the form changed since: estimate again before starting
    st.info(shown[1].sentence(), icon=":material/info:")
    if st.button(
        "Start the search", type="primary", icon=":material/play_arrow:", key="search_start", disabled=busy
    ):
        settings = services.settings()
        st.session_state[_KEY] = BackgroundSearch(
            request, scenario, lambda: workspace.new_engine(settings=settings)
        )
        st.session_state.pop("search_prediction", None)
        st.rerun()


def progress_panel() -> None:
    """The search under way, redrawn every second while it runs (the fragment is made on each script run, so
    that it polls only while a search runs)."""
    st.fragment(run_every=POLL_S if running() else None)(_progress)()


def _progress() -> None:
    bg = background()
    if bg is None:
        return
    status = bg.poll()
    if status.state == "running":
        with st.container(border=True):
            head, stop = st.columns([4, 1], vertical_alignment="center")
            head.markdown("**Searching: which node needs the big model?**")
            if stop.button("Cancel the search", icon=":material/stop:", key="search_cancel"):
                bg.cancel()
            planned = max(status.planned, 1)
            now = (
                f"evaluation {status.done + 1}/~{planned}: {status.current} on {status.profile or '–'}"
                if status.current
                else f"{status.done} evaluations"
            )
            st.progress(min(status.done / planned, 1.0), text=f"{now} · {status.elapsed_s:.0f} s")
            if status.outcomes:
                st.table(
                    [
                        {
                            "assignment": name,
                            "visitor": profile or "–",
                            "cost a page": ui.money(o.cost_usd),
                            "paid": ui.money(o.paid_usd),
                            "quality": "–" if o.quality is None else f"{o.quality:.2f}",
                            "status": "ok" if o.ok else (o.error or "failed")[:60],
                        }
                        for name, profile, o in status.outcomes[-6:]
                    ],
                    hide_index=True,
                    border="horizontal",
                )
        return
    st.session_state.pop(_KEY, None)
    if status.error:
        st.session_state["lab_run_error"] = status.error
    elif status.experiment_id:
        st.session_state["lab_shown"] = status.experiment_id
        if status.state == "cancelled":
            st.session_state["lab_run_error"] = "Search cancelled: the answer rests on the evaluations made."
    else:
        st.session_state["lab_run_error"] = (
            f"The search stopped before its first evaluation ({status.stopped or 'nothing to run'}): "
            "raise the search budget, or choose fewer models or visitors."
        )
    st.rerun()


def answer(exp: Experiment) -> None:
    """The search's answer above its experiment: the recommendation node by node, and a button that saves the
    recommended workflow to the workflows folder (it then appears in the Designer and as a variant)."""
    record = exp.search
    if record is None:
        return
    with st.container(border=True):
        st.markdown("**Which node needs the big model?**")
        lines = record.summary_lines()  # the per-node sentences are the table below
        recommended = [line for line in lines if line.startswith(("recommended:", "  "))]
        others = [line for line in lines if line not in recommended]
        st.markdown("\n".join(f"- {line}" for line in others))
        st.code("\n".join(recommended) or "recommended: nothing", language=None, wrap_lines=True)
        if record.effects:
            st.markdown("**Per node: what changing its model does** (all else as recommended)")
            st.table(record.effects, hide_index=True, border="horizontal")
        if record.front:
            st.caption("Pareto front (cost, latency, quality): " + " · ".join(record.front))
        variant = next((v for v in exp.spec.variants if v.name == record.recommended), None)
        saved = st.session_state.pop("search_saved", None)
        if saved:
            st.success(saved, icon=":material/check:")
        if variant is not None and st.button(
            "Save the recommended workflow", icon=":material/save:", key=f"search_save_{exp.experiment_id}"
        ):
            try:
                workflow = variant.resolve()
                workflow.name = f"{workflow.name}-optimised"
                path = workspace.save_workflow(workflow)
            except DecomposeError as exc:
                ui.show_error(exc, "The workflow could not be saved")
            else:  # drawn again, so the variant pickers above offer it
                st.session_state["search_saved"] = (
                    f"Saved {Path(path).name}: open it in the Designer, or add it as a variant."
                )
                st.rerun()
