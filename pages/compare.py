"""Compare: the decomposition lab. Run variants × profiles × repeats in the background, then compare cost,
latency and quality per variant, re-price under other models, fit the coordination overhead, find the TCO
break-even and export the lot.

Over 400 lines because the screen is long, not because it computes: it reads top to bottom as the screen
(setup form, live progress, eight result tabs). Every number comes from one `workflow_core.lab.analysis`
computed once per view (cached in `studio/lab.py`); this module only lays it out."""

from __future__ import annotations

import re
import time

import streamlit as st

from studio import lab, links, quality_view, run_diff, services, ui, votes
from workflow_core import workspace
from workflow_core.errors import DecomposeError
from workflow_core.lab import charts
from workflow_core.lab.coordination import M_EXPLANATION
from workflow_core.lab.runner import BackgroundExperiment, ExperimentStatus
from workflow_core.lab.tables import axis_rows, pages
from workflow_core.lab.tco import TcoInputs
from workflow_core.page.site import sandboxed_preview
from workflow_core.quality.model import weights_text
from workflow_core.run.engine import Engine

POLL_S = 1.0
PAGES_PER_ROW = 2
PAGE_SIZE = (360, 640)  # a phone-sized page: two fit side by side at 1280 px
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


def _usd(value: float) -> str:
    """A fitted coefficient: signed, and readable when tiny."""
    sign = "−" if value < 0 else ""
    size = abs(value)
    return f"{sign}${size:.2e}" if 0 < size < 1e-4 else f"{sign}{ui.money(size)}"


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


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

ui.header(
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
running = _running()

new_tab, saved_tab = st.tabs([":material/science: New experiment", ":material/history: Saved experiments"])
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
        if running and st.button("Cancel", icon=":material/stop:", key="lab_cancel", width="stretch"):
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

if start:
    _start(name, chosen, models, profiles, repeats)
    st.session_state.pop("lab_run_error", None)
    st.rerun()  # redraw with Cancel and the polling progress

start_error = st.session_state.get("lab_start_error")
if isinstance(start_error, DecomposeError):
    ui.show_error(start_error, "The experiment cannot start")
progress_panel()
run_error = st.session_state.get("lab_run_error")
if run_error:
    st.warning(run_error, icon=":material/warning:")

# ---------------------------------------------------------------- page: results

shown = st.session_state.get("lab_shown") or links.get(links.EXPERIMENT)  # ?experiment= after a reload
links.put(links.EXPERIMENT, str(shown) if shown else None)
if not shown and _running():
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
    st.markdown(
        "Re-price the measured runs on other models: the token counts stay as measured, the prices change. "
        "Pick a model for every node (`*`) and, if you like, a different one for some nodes."
    )
    choices = lab.whatif_choices()
    w1, w2 = st.columns([2, 3])
    with w1:
        star = st.selectbox(
            "Every model-backed node (*)",
            choices,
            key="lab_whatif_all",
            accept_new_options=True,
            format_func=lambda r: r or "(as measured)",
        )
    node_ids = lab.model_nodes(view)
    with w2, st.expander(f"Per node ({len(node_ids)})"):
        picks = {}
        node_cols = st.columns(2)
        for i, node_id in enumerate(node_ids):
            with node_cols[i % 2]:
                picks[node_id] = st.selectbox(
                    node_id,
                    choices,
                    key=f"lab_whatif_node_{node_id}",
                    accept_new_options=True,
                    format_func=lambda r: r or "(as *)",
                )
    model_map = {k: v for k, v in {"*": star, **picks}.items() if v}

with tco_tab:
    tco_intro = st.empty()
    t = st.columns(4)
    with t[0]:
        engineering = st.number_input(
            "Engineering per agent (USD)",
            min_value=0.0,
            value=2000.0,
            step=500.0,
            format="%.0f",
            key="lab_tco_eng",
        )
    with t[1]:
        requests = st.number_input(
            "Requests per month", min_value=0.0, value=10_000.0, step=1000.0, format="%.0f", key="lab_tco_req"
        )
    with t[2]:
        growth = st.number_input(
            "Monthly growth (%)",
            min_value=-50.0,
            max_value=200.0,
            value=0.0,
            step=5.0,
            format="%.1f",
            key="lab_tco_growth",
        )
    with t[3]:
        months = int(
            st.number_input("Months", min_value=1, max_value=120, value=24, step=6, key="lab_tco_months")
        )
    inputs = TcoInputs(
        engineering_cost_per_agent=float(engineering),
        requests_per_month=float(requests),
        monthly_growth=float(growth) / 100,
        months=months,
    )

whatif_error: DecomposeError | None = None
try:
    analysis = lab.analysis(view, model_map, inputs)
except DecomposeError as exc:  # shown on the what-if tab; the rest stays on measured costs
    whatif_error, model_map = exc, {}
    analysis = lab.analysis(view, model_map, inputs)
priced = analysis.priced.label

with overview:
    failed = analysis.failed
    if failed:
        st.warning(
            f"{len(failed)} of {len(exp.trials)} runs failed; their variants' means leave them out. First: "
            f"{failed[0].variant} on {failed[0].profile or '–'}: {failed[0].error}",
            icon=":material/warning:",
        )
    with st.container(border=True):
        st.markdown(f"#### :material/insights: {analysis.measured.headline}")
        st.caption(analysis.basis)
        cheapest, best, fastest = analysis.cheapest, analysis.best_quality, analysis.fastest
        metrics = [
            ("Cheapest per run", None if cheapest is None else ui.money(cheapest.cost_usd), cheapest),
            ("Best QA", None if best is None or best.qa_mean is None else f"{best.qa_mean:.2f}", best),
            (
                "Fastest critical path",
                None if fastest is None else _seconds(fastest.critical_path_s),
                fastest,
            ),
        ]
        m = st.columns(4)
        for col, (label, value, variant) in zip(m, metrics, strict=False):
            col.metric(
                label,
                value or "–",
                None if variant is None else variant.variant,
                delta_color="off",
                delta_arrow="off",
            )
        m[3].metric(
            "Runs",
            len(exp.trials),
            f"{len(failed)} failed" if failed else "all ok",
            delta_color="off",
            delta_arrow="off",
        )

with results_tab:
    st.dataframe(
        lab.summary_rows(analysis.measured.summaries),
        hide_index=True,
        width="stretch",
        column_config={
            "calls": st.column_config.NumberColumn(format="%.1f"),
            "in tokens": st.column_config.NumberColumn(format="%.0f", help="Mean input tokens per run"),
            "out tokens": st.column_config.NumberColumn(format="%.0f", help="Mean output tokens per run"),
            "cost / run": st.column_config.NumberColumn(
                format="$%.6f", help="Mean USD per run, cached nodes at their original cost"
            ),
            "wall s": st.column_config.NumberColumn(format="%.2f"),
            "crit. path s": st.column_config.NumberColumn(
                format="%.2f", help="Longest chain of dependent nodes"
            ),
            "quality [95%]": st.column_config.TextColumn(
                help="Weighted mean of the quality axes per run: mean and 95% interval over profiles and repeats"
            ),
            "distinct": st.column_config.TextColumn(
                help="How different the pages for different profiles are (0: the same words; – with one profile)"
            ),
        },
        key="lab_summary",
    )
    votes.people_note(view)
    st.markdown("**Quality by axis**: mean [95% interval] over the runs that measured it")
    st.dataframe(axis_rows(analysis.measured.summaries), hide_index=True, width="stretch", key="lab_axes")
    st.caption(
        "The headline claims a quality difference only when the intervals do not overlap. Weights: "
        f"{weights_text(analysis.weights)} (change them in Settings → Quality)."
    )
    figures = lab.measured_figures(view, analysis)
    timelines = lab.timeline_figures(view, analysis)
    cq, ak, nc, tl = st.tabs(["Cost vs quality", "Against k", "Cost by node", "Latency timelines"])
    with cq:
        st.plotly_chart(figures["cost_quality"], width="stretch", key="lab_fig_cq")
        st.caption("Stars are on the Pareto front: no other variant is both cheaper and better.")
    with ak:
        st.plotly_chart(figures["against_k"], width="stretch", key="lab_fig_k")
    with nc:
        st.plotly_chart(figures["node_costs"], width="stretch", key="lab_fig_nodes")
    with tl:
        for i, fig in enumerate(timelines):
            st.plotly_chart(fig, width="stretch", key=f"lab_fig_tl{i}")
        if not timelines:
            st.caption("No run finished, so there is no timeline.")
    st.markdown("**Per node** (means per run)")
    st.dataframe(
        [row.row() | {"model": row.model or "–"} for row in analysis.nodes],
        hide_index=True,
        width="stretch",
        column_config={
            "calls": st.column_config.NumberColumn(format="%.1f"),
            "model": st.column_config.TextColumn(width="medium"),
            "input_tokens": st.column_config.NumberColumn("in tokens", format="%.0f"),
            "output_tokens": st.column_config.NumberColumn("out tokens", format="%.0f"),
            "cost_usd": st.column_config.NumberColumn("cost / run", format="$%.6f"),
            "latency_s": st.column_config.NumberColumn("latency s", format="%.2f"),
            "cached_share": st.column_config.ProgressColumn(
                "cached", format="percent", min_value=0, max_value=1, width="small"
            ),
        },
        key="lab_nodes",
    )
    with st.expander(f"All {len(analysis.runs)} runs"):
        st.dataframe(analysis.runs, hide_index=True, width="stretch", key="lab_trials")

with pages_tab:
    p1, p2 = st.columns([3, 1])
    with p1:
        page_profile = st.selectbox(
            "Profile", analysis.profiles, key="lab_page_profile", format_func=lambda p: p or "–"
        )
    with p2:
        page_repeat = int(
            st.number_input(
                "Repeat", 1, exp.spec.repeats, 1, key="lab_page_repeat", disabled=exp.spec.repeats == 1
            )
        )
    rows = pages(exp, page_profile, page_repeat - 1)
    for start_at in range(0, len(rows), PAGES_PER_ROW):
        cols = st.columns(PAGES_PER_ROW)
        for col, row in zip(cols, rows[start_at : start_at + PAGES_PER_ROW], strict=False):
            with col, st.container(border=True):
                qa = "–" if row["qa_score"] is None else f"{row['qa_score']:.2f}"
                st.markdown(f"**{row['variant']}** · k = {row['k']} · QA {qa}")
                if row["page_html"]:
                    st.iframe(sandboxed_preview(row["page_html"], *PAGE_SIZE), height=PAGE_SIZE[1] + 20)
                else:
                    st.caption(row["error"] or "No page.")
    st.caption("Pages run with scripts but in a sandbox without the app's origin.")
    # Read from the store only while this tab is open: every rerun of the page would fetch them again.
    if pages_tab.open:
        with st.expander("Screenshots at 1280 and 390 px, as the quality check rendered them"):
            for trial in exp.trials:
                if (
                    trial.run is not None
                    and trial.profile == page_profile
                    and trial.repeat == page_repeat - 1
                ):
                    st.markdown(f"**{trial.variant}** · k = {exp.k.get(trial.variant, 0)}")
                    quality_view.screenshots(trial.run)

with whatif_tab:
    whatif = analysis.whatif
    if whatif_error is not None:
        ui.show_error(whatif_error, "The what-if cannot be priced")
    elif whatif is None:
        st.info("Pick a model above to see what these runs would cost on it.", icon=":material/price_change:")
    else:
        if whatif.estimate:
            st.warning(
                "**Estimate**: tokens measured on another model. A different model would have written a "
                "different number of tokens.",
                icon=":material/info:",
            )
        if whatif.unpriced:
            st.error(
                f"No price is known for {', '.join(whatif.unpriced)}: counted as $0. Add a price on the "
                "Settings page.",
                icon=":material/error:",
            )
        with st.container(border=True):
            st.markdown(f"#### {whatif.headline}")
        with st.container(key="lab_whatif_table"):
            st.table(
                lab.repriced_rows(analysis.measured.summaries, whatif.summaries),
                hide_index=True,
                border="horizontal",
            )
        whatif_fig = lab.whatif_figure(view, analysis)
        if whatif_fig is not None:
            st.plotly_chart(whatif_fig, width="stretch", key="lab_fig_whatif")

with fit_tab:
    fit = analysis.fit
    st.markdown(
        f"The seed's cost model, fitted to each run's {priced}: **cost ≈ a + b·n + c·k^m**, 1 < m ≤ 2."
    )
    f = st.columns(5)
    f[0].metric(
        "m",
        f"{fit.m:.2f}" if fit.overhead_measured else "–",
        help="How fast coordination grows with k (– when the runs show no coordination cost)",
    )
    f[1].metric("R²", f"{fit.r2:.2f}", help="Share of the cost variation the model explains")
    f[2].metric("a (fixed)", _usd(fit.a), help="USD per request")
    f[3].metric("b (per output token)", _usd(fit.b), help="USD per output token")
    f[4].metric("c (coordination)", _usd(fit.c), help="USD × k^m")
    st.info(fit.explanation(), icon=":material/lightbulb:")
    for warning in analysis.fit_warnings:
        st.warning(warning, icon=":material/warning:")
    with st.expander("What m means", expanded=False):
        st.write(M_EXPLANATION)
    st.plotly_chart(lab.fit_figure(view, analysis), width="stretch", key="lab_fig_fit")

with tco_tab:
    tco_intro.markdown(
        f"Each agent costs engineering once; then every request costs its variant's {priced}. "
        "When does decomposing pay for itself?"
    )
    result = analysis.tco
    if result is None:
        st.info("No variant finished a run: there is nothing to cost.")
    else:
        st.table(lab.monthly_rows(result), hide_index=True, border="horizontal")
        if result.break_evens:
            st.markdown(f"**Break-even against {result.baseline}**")
            st.table(lab.break_even_rows(result), hide_index=True, border="horizontal")
        else:
            st.caption("Only one variant: nothing to break even against.")
        st.plotly_chart(charts.tco_chart(result), width="stretch", key="lab_fig_tco")

with export_tab:
    html_report, csv_rows, json_doc = lab.exports(view, model_map, inputs)
    st.markdown(
        "The report is one HTML file with its charts, the what-if and TCO above, and thumbnails of the pages; "
        "it opens offline."
    )
    slug = exp.experiment_id
    d = st.columns(3)
    with d[0]:
        st.download_button(
            "report.html",
            html_report,
            file_name=f"report-{slug}.html",
            mime="text/html",
            icon=":material/description:",
            key="lab_dl_html",
            on_click="ignore",
            width="stretch",
        )
    with d[1]:
        st.download_button(
            "results.csv",
            csv_rows,
            file_name=f"results-{slug}.csv",
            mime="text/csv",
            icon=":material/table:",
            key="lab_dl_csv",
            on_click="ignore",
            width="stretch",
        )
    with d[2]:
        st.download_button(
            "results.json",
            json_doc,
            file_name=f"results-{slug}.json",
            mime="application/json",
            icon=":material/data_object:",
            key="lab_dl_json",
            on_click="ignore",
            width="stretch",
        )
