"""Compare: the decomposition lab. Run variants × profiles × repeats in the background, then compare cost,
latency and quality per variant, re-price under other models, fit the coordination overhead, find the TCO
break-even and export the lot.

It reads top to bottom as the screen: setup form, live progress, then eight result tabs, each drawn by a
function of `studio/compare_tabs.py` (What-if and TCO, whose inputs select the analysis, by
`studio/compare_inputs.py`). Every number comes from one `workflow_core.lab.analysis` computed once per view
(cached in `studio/lab.py`); the charts are the report outline's (`workflow_core.lab.report`), as in the
exported report."""

from __future__ import annotations

import functools
import re
import time

import streamlit as st

from studio import (
    compare_inputs,
    compare_tabs,
    lab,
    links,
    run_diff,
    search_panel,
    services,
    shell,
    ui,
    votes,
)
from workflow_core import workspace
from workflow_core.errors import DecomposeError
from workflow_core.lab.disturbance import remeasure_keys
from workflow_core.lab.experiment import Experiment
from workflow_core.lab.runner import BackgroundExperiment, ExperimentStatus
from workflow_core.run.engine import Engine

POLL_S = 1.0
STATUS_ICON = {
    "ok": ":material/check_circle:",
    "running": ":material/progress_activity:",
    "failed": ":material/error:",
    "skipped": ":material/block:",
    "cancelled": ":material/stop_circle:",
    "pending": ":material/radio_button_unchecked:",
}


def _background() -> BackgroundExperiment | None:
    value: BackgroundExperiment | None = st.session_state.get("lab_background")
    return value


def _running() -> bool:
    bg = _background()
    return bg is not None and bg.poll().state == "running"


def _start(name: str, options: list[str], models: dict[str, str], profiles: list[str], repeats: int) -> None:
    """Start the experiment the form describes on a background thread; a problem is kept to show."""
    try:
        spec = lab.build_spec(name, options, models, profiles, repeats)
        for variant in spec.variants:
            variant.resolve()  # a broken saved workflow is a message now, not a failed trial later
        settings = services.settings()  # read here: the experiment's thread has no session

        def engine_factory() -> Engine:
            return workspace.new_engine(settings=settings)

        st.session_state["lab_background"] = BackgroundExperiment(spec, scenario, engine_factory)
        st.session_state.pop("lab_start_error", None)
    except DecomposeError as exc:
        st.session_state["lab_start_error"] = exc


def _remeasure(exp: Experiment) -> None:
    """Run `exp` again under its id with its disturbed measurements' timing taken again; every other node
    comes from the cache. A problem is kept to show."""
    try:
        source = services.scenario(exp.scenario or "")  # the experiment's own scenario: its cache keys
        settings = services.settings()

        def engine_factory() -> Engine:
            return workspace.new_engine(settings=settings)

        st.session_state["lab_background"] = BackgroundExperiment(
            exp.spec,
            source,
            engine_factory,
            experiment_id=exp.experiment_id,
            remeasure=remeasure_keys(exp),
        )
        st.session_state.pop("lab_start_error", None)
    except DecomposeError as exc:
        st.session_state["lab_start_error"] = exc


def _describe(row: dict[str, object]) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(str(row["created_at"]))))
    return f"{row['name']} · {when}"


def _progress(status: ExperimentStatus) -> None:
    """Trial i/N, what runs now, node by node, and the trials finished so far."""
    total = status.total or 1
    if status.state == "running" and status.variant is not None:
        now = f"trial {min(status.done + 1, total)}/{total}: {status.variant} on {status.profile or '–'}"
        now += f", repeat {status.repeat + 1}" if status.repeat else ""
    else:
        now = f"{status.done}/{total} trials" if status.total else "starting…"
    bg = _background()
    if bg is not None and bg.cancel_requested and status.state == "running":
        now += " · cancelling"
    st.progress(status.done / total, text=f"{now} · {status.elapsed_s:.0f} s")
    if status.nodes:
        st.markdown(
            " &nbsp; ".join(f"{STATUS_ICON.get(s, '')} {node}" for node, s in status.nodes.items()),
            help="Nodes of the trial under way",
        )
    for node, waits in status.waits.items():  # what a running node's model call waits on now
        st.caption(f"{node}: {waits}")
    if status.trials:
        st.table(
            [
                {
                    "variant": t.variant,
                    "profile": t.profile or "–",
                    "repeat": t.repeat + 1,
                    "status": "ok" if t.ok else (t.error or "failed")[:70],
                    "cost": ui.money(t.cost_usd),
                    "critical path": f"{t.critical_path_s:.1f} s",
                    "QA": "–" if t.run is None or t.run.qa_score is None else f"{t.run.qa_score:.2f}",
                }
                for t in status.trials[-8:]
            ],
            hide_index=True,
            border="horizontal",
        )


@st.fragment(run_every=POLL_S if _running() else None)
def progress_panel() -> None:
    bg = _background()
    if bg is None:
        return
    status = bg.poll()
    if status.state == "running":
        with st.container(border=True):
            st.markdown(f"**Running {bg.spec.name}**")
            _progress(status)
        return
    # Finished (or failed): show it below and stop polling with a full rerun.
    st.session_state.pop("lab_background", None)
    if status.error:
        st.session_state["lab_run_error"] = status.error
    elif status.experiment is not None:
        st.session_state["lab_shown"] = status.experiment.experiment_id
        lab.view(status.experiment)
        if status.state == "cancelled":
            st.session_state["lab_run_error"] = "Cancelled: the trials that had not started are marked so."
    st.rerun()


# ---------------------------------------------------------------- page: setup

shell.header(
    "Compare",
    "The decomposition lab: run variants × profiles, then compare cost, latency and quality, "
    "re-price on other models, fit the coordination overhead and find when decomposing pays off.",
)

try:
    scenario = services.scenario(services.scenario_path())
except DecomposeError as exc:
    ui.show_error(exc, "The active scenario cannot be loaded; fix it on the Scenario page")
    st.stop()
st.caption(
    f"Scenario: **{scenario.company.name}** ({len(scenario.profiles)} profiles) · change it on the Scenario page",
    help=str(services.scenario_path()),
)

profile_ids = list(scenario.profiles)
model_choices = ["", *services.model_refs()]
running = _running() or search_panel.running()  # one job at a time: runs measured undisturbed

new_tab, saved_tab, search_tab = st.tabs(
    [
        ":material/science: New experiment",
        ":material/history: Saved experiments",
        ":material/tune: Which node needs the big model?",
    ]
)
with new_tab:
    c1, c2 = st.columns([3, 2])
    with c1:
        chosen = st.multiselect(
            "Variants",
            lab.variant_options(),
            default=["single", "seed"],
            format_func=lab.variant_label,
            key="lab_variants",
            help="Templates (k = number of agents) and the workflows you saved in the Designer",
        )
    with c2:
        all_models = st.selectbox(
            "Run every model on",
            model_choices,
            key="lab_all_models",
            accept_new_options=True,
            format_func=lambda r: r or "(each node's own model)",
            help="Override per variant below",
        )
    c3, c4, c5 = st.columns([3, 1, 2])
    with c3:
        profiles = st.multiselect(
            "Profiles",
            profile_ids,
            default=profile_ids[:2],
            key="lab_profiles",
            help="Every variant runs on each",
        )
    with c4:
        repeats = int(
            st.number_input("Repeats", min_value=1, max_value=10, value=1, step=1, key="lab_repeats")
        )
    with c5:
        name = st.text_input("Name", key="lab_name", placeholder="e.g. depth on small models")
    per_variant: dict[str, str] = {}
    if chosen:
        with st.expander("Models per variant"):
            cols = st.columns(min(len(chosen), 3))
            for i, option in enumerate(chosen):
                with cols[i % len(cols)]:
                    per_variant[option] = st.selectbox(
                        lab.variant_label(option),
                        ["(as above)", *model_choices],
                        key="lab_model_" + re.sub(r"\W+", "_", option),
                        accept_new_options=True,
                        format_func=lambda r: r or "(each node's own model)",
                    )
    models = {
        o: all_models if per_variant.get(o, "(as above)") == "(as above)" else per_variant[o] for o in chosen
    }
    trials = len(chosen) * len(profiles) * repeats
    b1, b2, b3 = st.columns([1, 1, 3], vertical_alignment="center")
    with b1:
        start = st.button(
            "Run experiment",
            type="primary",
            icon=":material/play_arrow:",
            disabled=running or not chosen or not profiles,
            key="lab_start",
            width="stretch",
        )
    with b2:
        if _running() and st.button("Cancel", icon=":material/stop:", key="lab_cancel", width="stretch"):
            bg = _background()
            if bg is not None:
                bg.cancel()
    with b3:
        if not chosen or not profiles:
            st.caption("Pick at least one variant and one profile.")
        else:
            st.caption(f"{trials} run(s), one at a time. Nodes already computed come from the cache.")

with saved_tab:
    opened = ui.reopen_picker(
        "Saved experiment",
        services.store().list_experiments(),
        "experiment_id",
        _describe,
        key="lab_saved",
        empty="Experiments you run are kept here and can be reopened.",
    )
    if opened:
        st.session_state["lab_shown"] = opened
        st.session_state.pop("lab_run_error", None)

with search_tab:
    search_panel.form(scenario, running)

if start:
    _start(name, chosen, models, profiles, repeats)
    st.session_state.pop("lab_run_error", None)
    st.rerun()  # redraw with Cancel and the polling progress

start_error = st.session_state.get("lab_start_error")
if isinstance(start_error, DecomposeError):
    ui.show_error(start_error, "The experiment cannot start")
progress_panel()
search_panel.progress_panel()
run_error = st.session_state.get("lab_run_error")
if run_error:
    st.warning(run_error, icon=":material/warning:")

# ---------------------------------------------------------------- page: results

shown = st.session_state.get("lab_shown") or links.get(links.EXPERIMENT)  # ?experiment= after a reload
links.put(links.EXPERIMENT, str(shown) if shown else None)
if not shown and (_running() or search_panel.running()):
    st.stop()  # the progress above says what is happening
if not shown:
    st.info(
        "Pick variants and profiles, then **Run experiment**; or open a saved one. The results, what-if "
        "pricing, coordination fit, TCO and exports appear here.",
        icon=":material/science:",
    )
    st.stop()
try:
    view = lab.open_experiment(str(shown))
except DecomposeError as exc:
    ui.show_error(exc, "That experiment cannot be opened")
    links.put(links.EXPERIMENT, None)
    st.stop()
view, unrated = votes.rated_view(view), view  # with the people axis once there are enough votes

exp = view.experiment
st.divider()
st.subheader(exp.spec.name)
when = time.strftime("%Y-%m-%d %H:%M", time.localtime(exp.created_at))
st.caption(
    f"Experiment {exp.experiment_id} · {when} · {len(exp.spec.variants)} variant(s) × "
    f"{len(exp.spec.profiles) or 'all'} profile(s) × {exp.spec.repeats} repeat(s) · {len(exp.trials)} runs"
)
search_panel.answer(exp)  # when a model search made this experiment: its recommendation first
overview = st.container()  # failures and the headline: drawn once the analysis below is computed

results_tab, pages_tab, people_tab, diff_tab, whatif_tab, fit_tab, tco_tab, export_tab = st.tabs(
    [
        ":material/table_chart: Results",
        ":material/web: Pages",
        ":material/how_to_vote: People",
        ":material/difference: Run diff",
        ":material/price_change: What-if pricing",
        ":material/hub: Coordination",
        ":material/savings: TCO",
        ":material/download: Export",
    ],
    key="lab_tabs",
    on_change="rerun",  # the People tab's keyboard shortcuts must exist only while it is open
)
with people_tab:
    if people_tab.open:
        votes.panel(unrated)
with diff_tab:
    if diff_tab.open:
        run_diff.panel(exp)

# The what-if and TCO inputs come first: every tab shows the one analysis they select.
with whatif_tab:
    whatif = compare_inputs.WhatIfTab(view)
with tco_tab:
    tco = compare_inputs.TcoTab()
analysis = whatif.analysis(view, tco.inputs)

with overview:
    compare_tabs.overview(exp, analysis, None if running else functools.partial(_remeasure, exp))
with results_tab:
    compare_tabs.results(view, analysis)
with pages_tab:
    compare_tabs.pages(view, analysis, bool(pages_tab.open))
whatif.show(view, analysis)
with fit_tab:
    compare_tabs.coordination(view, analysis)
tco.show(view, analysis)
with export_tab:
    compare_tabs.export(view, whatif.model_map, tco.inputs)
