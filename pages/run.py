"""Run: pick a workflow and profiles, see the estimate, run with live progress, inspect the results."""

from __future__ import annotations

import time
import uuid

import streamlit as st

from studio import lab, links, serve_panel, services, shell, state, ui
from studio.run_panel import RunHandle, finished, live_progress
from workflow_core import workspace
from workflow_core.errors import DecomposeError, Problem, WorkflowError
from workflow_core.run.background import BackgroundRun
from workflow_core.run.inputs import RunInputs
from workflow_core.run.plan import Choices, RunPlan, plan_run
from workflow_core.run.reopen import workflow_of_run
from workflow_core.scenario import Scenario
from workflow_core.workflow.kinds import agent_count
from workflow_core.workflow.spec import Workflow

DESIGNER = "Designer workflow"
POLL_S = 1.0


def _handles() -> dict[str, RunHandle]:
    handles: dict[str, RunHandle] = st.session_state.setdefault("run_handles", {})
    return handles


def _chosen_workflow(source: str) -> Workflow:
    """The Designer's workflow, a built-in template, or a saved workflow file (`saved:<path>`)."""
    if source == DESIGNER:
        return state.workflow()
    if source.startswith(lab.SAVED):
        return workspace.load_saved_workflow(source[len(lab.SAVED) :])
    return services.template(source)


def _source_label(source: str) -> str:
    # Short labels: the column is narrow, and "Designer workflow (name)" was cut off mid-name.
    if source == DESIGNER:
        return f"Designer: {state.workflow().name}"
    return lab.variant_label(source) if source.startswith(lab.SAVED) else f"template: {source}"


def _start(shown: RunPlan, scenario: Scenario, profiles: list[str]) -> None:
    """One BackgroundRun (with its own engine) per profile, each on its plan (the first profile's is the one
    the page shows); the newest becomes the one shown."""
    handles = _handles()
    workflow = shown.workflow
    for profile in profiles:
        key = uuid.uuid4().hex[:8]
        try:
            engine = services.engine()
            same = profile == shown.inputs.profile_id
            plan = shown if same else engine.plan(shown.workflow, RunInputs.for_profile(scenario, profile))
            background = BackgroundRun(engine, plan)
        except DecomposeError as exc:
            handles[key] = RunHandle(key, f"{workflow.name} · {profile}", workflow, profile, error=str(exc))
        else:
            handles[key] = RunHandle(
                key, f"{workflow.name} · {profile}", workflow, profile, background=background
            )
        st.session_state["run_shown"] = key


def _reopen(run_id: str) -> None:
    record = services.store().get_run(run_id)
    if record is None:
        st.error(f"Run {run_id} is not in the run store (it may have been made with another database).")
        links.put(links.RUN, None)
        return
    workflow = workflow_of_run(record, state.workflow())
    key = f"stored-{run_id}"
    _handles()[key] = RunHandle(
        key, f"{record.workflow} · {record.profile or '–'} (saved)", workflow, record.profile, run=record
    )
    st.session_state["run_shown"] = key


def _describe(summary: dict[str, object]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(str(summary["started_at"]))))
    cost = ui.money(float(str(summary["total_cost_usd"])))
    return f"{summary['workflow']} · {summary['profile'] or '–'} · {summary['status']} · {cost} · {when}"


# ---------------------------------------------------------------- page

shell.header("Run", "Estimate, run on one or more profiles, and watch each node's output, cost and latency.")

try:
    scenario = services.scenario(services.scenario_path())
except DecomposeError as exc:
    ui.show_error(exc, "The active scenario cannot be loaded; fix it on the Scenario page")
    st.stop()
st.caption(
    f"Scenario: **{scenario.company.name}** ({len(scenario.profiles)} profiles) · change it on the Scenario page",
    help=str(services.scenario_path()),
)

try:
    registry = services.registry()
except DecomposeError as exc:
    ui.show_error(exc, "Nothing can run until the providers file is fixed (see Settings)")
    st.stop()

profile_ids = list(scenario.profiles)
request = st.session_state.pop("run_request", None)
linked = links.get(links.RUN)  # a reload, a bookmark or a shared link opens the run it names
if linked and not any(h.run is not None and h.run.run_id == linked for h in _handles().values()):
    _reopen(linked)

with st.container(border=True):
    c1, c2, c3 = st.columns([1.2, 1.6, 1.2])
    with c1:
        sources = [DESIGNER, *lab.variant_options()]  # templates, then the user's saved workflows
        source = st.selectbox(
            "Workflow",
            sources,
            key="run_source",
            format_func=_source_label,
            help="The workflow open in the Designer, a built-in template, or a workflow you saved",
        )
    with c2:
        profiles = st.multiselect(
            "Profiles", profile_ids, default=profile_ids[:1], key="run_profiles", help="One run per profile"
        )
    with c3:
        all_models = st.selectbox(
            "Run every model on",
            ["", *services.model_refs()],
            key="run_all_models",
            accept_new_options=True,
            format_func=lambda r: r or "(each node's own model)",
        )

try:
    base = _chosen_workflow(source)
except DecomposeError as exc:  # a saved file that no longer parses: say so, keep the page
    ui.show_error(exc, f"{_source_label(source)} cannot be opened")
    st.stop()
choices = Choices(all_models=all_models or None)
first_inputs = RunInputs.for_profile(scenario, profiles[0] if profiles else None)
prices = services.price_book()
plan: RunPlan | None = None
problems: list[Problem] = []
try:  # the plan the first run will run: validated (every problem at once) and estimated, once
    plan = plan_run(
        base,
        first_inputs,
        check_model=registry.check_model,
        prices=prices,
        store=services.store(),
        choices=choices,
    )
except WorkflowError as exc:
    problems = list(exc.problems)
workflow = plan.workflow if plan is not None else base

est_col, action_col = st.columns([3, 1], vertical_alignment="center")
with est_col:
    if plan is None:
        ui.show_error(WorkflowError(problems), f"{workflow.name} cannot run yet")
    else:
        estimate = plan.estimate
        e = st.columns(4)
        prior = estimate.from_prior
        e[0].metric(
            "Estimated cost per run",
            ui.money(estimate.cost_usd),
            help=(
                f"From a prior for {', '.join(prior)} (no past runs yet): a share of max_tokens by output "
                "format and the model's measured speed. After a run, from its measured tokens and times."
                if prior
                else "From this workflow's latest runs: their output tokens, latencies and compute."
            ),
        )
        e[1].metric("Critical-path latency", f"≈{estimate.critical_path_s:.0f} s")
        e[2].metric("Runs", len(profiles))
        e[3].metric("Agents (k)", agent_count(workflow))
        unpriced = sorted(
            {n.model for n in estimate.nodes.values() if n.model and not prices.has_price(n.model)}
        )
        if unpriced:
            st.warning(
                f"No price is known for {', '.join(unpriced)}: the estimate counts it as $0. Add a price "
                "override on the Settings page, or `prices:` in providers.yaml.",
                icon=":material/price_change:",
            )
        with st.expander("Estimate per node"):
            st.dataframe(
                [
                    {
                        "node": n.node_id,
                        "model": n.model,
                        "in tokens": n.input_tokens,
                        "out tokens": n.output_tokens,
                        "from": n.basis,
                        "cost USD": n.cost_usd,
                        "latency s": round(n.latency_s, 1),
                    }
                    for n in estimate.nodes.values()
                ],
                hide_index=True,
                width="stretch",
            )
with action_col:
    running = [h for h in _handles().values() if h.running]
    start = st.button(
        "Run",
        type="primary",
        width="stretch",
        # One batch at a time per session: a second click while it runs would start the same runs again.
        disabled=bool(problems) or not profiles or bool(running),
        key="run_start",
        icon=":material/play_arrow:",
    )
    if running and st.button("Cancel", width="stretch", key="run_cancel", icon=":material/stop:"):
        for h in running:
            assert h.background is not None
            h.background.cancel()

serve_panel.show(
    source,
    source in lab.TEMPLATE_NAMES,
    str(scenario.root or ""),
    all_models,
    profiles[0] if profiles else None,
)

if (start or (request and not problems)) and profiles and plan is not None:
    _start(plan, scenario, profiles)
    st.rerun()  # redraw with Cancel and the polling results


@st.fragment(run_every=POLL_S if any(h.running for h in _handles().values()) else None)
def results() -> None:
    handles = _handles()
    if not handles:
        earlier = services.store().list_runs(limit=1)
        st.info(
            "Nothing has run in this session yet. Pick a workflow and profiles above, then Run"
            + ("; or reopen an earlier run under Recent runs below." if earlier else ".")
        )
        return
    keys = list(handles)[::-1]
    shown = st.session_state.get("run_shown")
    shown = shown if shown in handles else keys[0]
    if len(keys) > 1:
        shown = st.radio(
            "Runs",
            keys,
            index=keys.index(shown),
            format_func=lambda k: (
                (":material/hourglass_top: " if handles[k].running else "") + handles[k].label
            ),
            horizontal=True,
            key="run_radio",
        )
    st.session_state["run_shown"] = shown
    was_running = any(h.running for h in handles.values())
    for h in handles.values():
        h.refresh()
    handle = handles[shown]
    # The URL names the run on screen once it has a record (a run still going has none yet).
    links.put(links.RUN, handle.run.run_id if handle.run is not None else None)
    if handle.error:
        st.error(f"{handle.label}: {handle.error}", icon=":material/error:")
    elif handle.run is not None:
        finished(handle)
    elif handle.background is not None:
        progress = handle.background.poll()
        live_progress(handle, progress)
    if was_running and not any(h.running for h in handles.values()):
        time.sleep(0.05)
        st.rerun()  # a full rerun stops the polling and hides Cancel


st.divider()
results()

st.divider()
st.subheader("Recent runs")
opened = ui.reopen_picker(
    "Saved run",
    services.store().list_runs(limit=20),
    "run_id",
    _describe,
    key="run_recent",
    empty="Runs you finish are kept and can be reopened here.",
)
if opened:
    _reopen(opened)
    st.rerun()
