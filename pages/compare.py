"""Compare (first cut): run several templates on one profile and put their pages, costs, latencies and QA
scores side by side. The decomposition lab (workflow_core.compare / experiment / charts) plugs in at
`_charts`: it takes the finished runs, so experiments over profiles and repeats can replace this page's
sequential queue without changing the layout."""

from __future__ import annotations

import uuid

import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from studio import services, ui
from studio.run_panel import MOBILE, RunHandle, live_progress
from workflow_core.errors import DecomposeError
from workflow_core.records import RunRecord
from workflow_core.runner import BackgroundRun
from workflow_core.scenario import scenario_inputs
from workflow_core.site import sandboxed_preview
from workflow_core.templates import TEMPLATE_NAMES

POLL_S = 1.0


def _queue() -> list[RunHandle]:
    queue: list[RunHandle] = st.session_state.setdefault("compare_queue", [])
    return queue


def _advance() -> None:
    """Start the next queued run once the previous one ended: one at a time, so local models don't compete."""
    queue = _queue()
    for h in queue:
        h.refresh()
    if any(h.running for h in queue):
        return
    nxt = next((h for h in queue if h.background is None and h.run is None and h.error is None), None)
    if nxt is None:
        return
    try:
        scenario = services.scenario(services.scenario_path())
        inputs = scenario_inputs(scenario, nxt.profile)
        nxt.background = BackgroundRun(
            services.engine(), nxt.workflow, inputs, profile_id=nxt.profile, extras={"scenario": scenario}
        )
    except DecomposeError as exc:
        nxt.error = str(exc)


def _charts(runs: list[RunRecord]) -> go.Figure:
    """Cost, critical-path latency and QA score per variant."""
    names = [r.workflow for r in runs]
    fig = make_subplots(rows=1, cols=3, subplot_titles=("Cost (USD)", "Critical path (s)", "QA score"))
    fig.add_trace(go.Bar(x=names, y=[r.total_cost_usd for r in runs], marker_color="#1c7ed6"), row=1, col=1)
    fig.add_trace(go.Bar(x=names, y=[r.critical_path_s for r in runs], marker_color="#f59f00"), row=1, col=2)
    fig.add_trace(go.Bar(x=names, y=[r.qa_score or 0.0 for r in runs], marker_color="#2f9e44"), row=1, col=3)
    fig.update_layout(
        template="plotly_white", showlegend=False, height=320, margin={"l": 10, "r": 10, "t": 40, "b": 30}
    )
    return fig


ui.header("Compare", "Run two or more templates on the same profile and see what decomposition buys.")

try:
    scenario = services.scenario(services.scenario_path())
except DecomposeError as exc:
    ui.show_error(exc, "The active scenario cannot be loaded; fix it on the Scenario page")
    st.stop()

with st.container(border=True):
    c1, c2, c3, c4 = st.columns([2, 1.2, 1.2, 0.8], vertical_alignment="bottom")
    with c1:
        variants = st.multiselect(
            "Templates", TEMPLATE_NAMES, default=["single", "seed"], key="compare_variants"
        )
    with c2:
        profile = st.selectbox("Profile", list(scenario.profiles), key="compare_profile")
    with c3:
        all_models = st.selectbox(
            "Run every model on",
            ["", *services.model_refs()],
            key="compare_all_models",
            accept_new_options=True,
            format_func=lambda r: r or "(each node's own model)",
        )
    with c4:
        busy = any(
            h.running or (h.background is None and h.run is None and h.error is None) for h in _queue()
        )
        go_clicked = st.button(
            "Compare",
            type="primary",
            width="stretch",
            disabled=len(variants) < 2 or busy,
            key="compare_start",
        )
    if len(variants) < 2:
        st.caption("Pick at least two templates.")

if go_clicked:
    st.session_state["compare_queue"] = [
        RunHandle(
            uuid.uuid4().hex[:8],
            name,
            services.template(name).with_models(all_models=all_models or None),
            profile,
        )
        for name in variants
    ]
    _advance()


@st.fragment(run_every=POLL_S if any(h.running for h in _queue()) else None)
def progress_and_results() -> None:
    queue = _queue()
    if not queue:
        st.info("Pick templates and a profile, then Compare. Runs go one after another.")
        return
    was_busy = any(h.running for h in queue)
    _advance()
    for h in queue:
        if h.running and h.background is not None:
            live_progress(h, h.background.poll())
    done = [h for h in queue if h.run is not None]
    for h in queue:
        if h.error:
            st.error(f"{h.label}: {h.error}", icon=":material/error:")
    if done:
        runs = [h.run for h in done if h.run is not None]
        st.plotly_chart(_charts(runs), width="stretch", key="compare_bars")
        cols = st.columns(len(done))
        for col, h in zip(cols, done, strict=True):
            run = h.run
            assert run is not None
            with col, st.container(border=True):
                st.markdown(f"**{run.workflow}** · k = {run.agent_count} · {run.status}")
                m = st.columns(3)
                m[0].metric("Cost", ui.money(run.total_cost_usd))
                m[1].metric("Critical path", f"{run.critical_path_s:.1f} s")
                m[2].metric("QA", f"{run.qa_score:.2f}" if run.qa_score is not None else "–")
                if run.page_html:
                    st.iframe(sandboxed_preview(run.page_html, *MOBILE), height=MOBILE[1] + 20)
                else:
                    st.caption("No page.")
    if was_busy and not any(h.running for h in queue):
        st.rerun()


progress_and_results()
