"""The Compare page's result tabs, a function each: the overview above them, Results, Pages, Coordination and
Export (the What-if and TCO tabs, whose inputs select the analysis, are in `studio/compare_inputs.py`).

Each draws one `ExperimentAnalysis` (`studio/lab.py` computes it once per view) and its charts come from the
report outline (`workflow_core.lab.report`), as the exported report's do: `TAB_SECTIONS` says which tab
draws which sections' charts, so a chart registered there shows here with no change to this module."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from studio import lab, quality_view, ui, votes
from workflow_core.lab import tables
from workflow_core.lab.analysis import ExperimentAnalysis
from workflow_core.lab.coordination import M_EXPLANATION
from workflow_core.lab.experiment import Experiment
from workflow_core.lab.report import OUTLINE, Chart, Section
from workflow_core.lab.tco import TcoInputs
from workflow_core.page.site import sandboxed_preview
from workflow_core.quality.model import weights_text

PAGES_PER_ROW = 2
PAGE_SIZE = (360, 640)  # a phone-sized page: two fit side by side at 1280 px

# Which tab draws the charts of which outline sections (every section is in one). Results holds the measured
# sections, each chart in a tab of its own; the others stack their charts under their tables.
TAB_SECTIONS: dict[str, tuple[str, ...]] = {
    "results": ("search", "results", "timelines", "runs"),  # the search's words: search_panel.answer
    "pages": ("pages",),
    "whatif": ("whatif",),
    "coordination": ("coordination",),
    "tco": ("tco",),
}


def _usd(value: float) -> str:
    """A fitted coefficient: signed, and readable when tiny."""
    sign = "−" if value < 0 else ""
    size = abs(value)
    return f"{sign}${size:.2e}" if 0 < size < 1e-4 else f"{sign}{ui.money(size)}"


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


# ---------------------------------------------------------------- charts from the outline


def _chart(view: lab.LabView, shown: ExperimentAnalysis, section: Section, chart: Chart) -> None:
    drawn = lab.figures(view, shown, section, chart)
    for i, fig in enumerate(drawn):
        st.plotly_chart(fig, width="stretch", key=f"lab_fig_{chart.key}{i or ''}")
    if drawn and chart.note:
        st.caption(chart.note)
    if not drawn and chart.empty:
        st.caption(chart.empty)


def charts(view: lab.LabView, shown: ExperimentAnalysis, tab: str, *, tabbed: bool = False) -> None:
    """The charts of the outline sections `tab` draws (`TAB_SECTIONS`), in outline order; `tabbed`: each in
    a tab named after it."""
    listed = [(s, c) for s in OUTLINE if s.key in TAB_SECTIONS[tab] for c in s.charts]
    if not tabbed:
        for section, chart in listed:
            _chart(view, shown, section, chart)
        return
    if not listed:
        return
    for place, (section, chart) in zip(st.tabs([c.name for _, c in listed]), listed, strict=True):
        with place:
            _chart(view, shown, section, chart)


# ---------------------------------------------------------------- the tabs


def overview(
    exp: Experiment, analysis: ExperimentAnalysis, remeasure: Callable[[], None] | None = None
) -> None:
    """Failures, the headline and the standout variants, above the tabs; with disturbed measurements, what
    they are and a button that re-measures them (`remeasure`, None while an experiment runs)."""
    failed = analysis.failed
    if failed:
        st.warning(
            f"{len(failed)} of {len(exp.trials)} runs failed; their variants' means leave them out. First: "
            f"{failed[0].variant} on {failed[0].profile or '–'}: {failed[0].error}",
            icon=":material/warning:",
        )
    if analysis.disturbed:
        with st.container(border=True, key="lab_disturbed"):
            st.warning(
                "Measured while the machine was busy? "
                + " ".join(
                    f"**{d.node}** ({', '.join(f'{v} on {p or chr(8211)}' for v, p in d.trials)}) {d.reason}."
                    for d in analysis.disturbed
                ),
                icon=":material/speed:",
            )
            st.button(
                f"Re-measure {len(analysis.disturbed)} disturbed measurement"
                + ("s" if len(analysis.disturbed) > 1 else ""),
                icon=":material/replay:",
                on_click=remeasure,
                disabled=remeasure is None,
                help="Calls those nodes' models again for their timing and cost; the cached outputs, and every "
                "other result, stay as they are.",
                key="lab_remeasure",
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


def results(view: lab.LabView, analysis: ExperimentAnalysis) -> None:
    """The measured results: per variant, per axis, the measured charts, per node and every run."""
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
    st.dataframe(
        tables.axis_rows(analysis.measured.summaries), hide_index=True, width="stretch", key="lab_axes"
    )
    st.caption(
        "The headline claims a quality difference only when the intervals do not overlap. Weights: "
        f"{weights_text(analysis.weights)} (change them in Settings → Quality)."
    )
    charts(view, analysis, "results", tabbed=True)
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


def pages(view: lab.LabView, analysis: ExperimentAnalysis, is_open: bool) -> None:
    """The variants' pages for one profile and repeat side by side; their screenshots only while `is_open`
    (every rerun of the page would read them from the store again)."""
    exp = view.experiment
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
    rows = tables.pages(exp, page_profile, page_repeat - 1)
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
    charts(view, analysis, "pages")
    if is_open:
        with st.expander("Screenshots at 1280 and 390 px, as the quality check rendered them"):
            for trial in exp.trials:
                if (
                    trial.run is not None
                    and trial.profile == page_profile
                    and trial.repeat == page_repeat - 1
                ):
                    st.markdown(f"**{trial.variant}** · k = {exp.k.get(trial.variant, 0)}")
                    quality_view.screenshots(trial.run)


def coordination(view: lab.LabView, analysis: ExperimentAnalysis) -> None:
    """The coordination fit on the priced costs: its coefficients, what they mean, its chart."""
    fit = analysis.fit
    st.markdown(
        f"The seed's cost model, fitted to each run's {analysis.priced.label}: "
        "**cost ≈ a + b·n + c·k^m**, 1 < m ≤ 2."
    )
    # Whether the fit says anything comes first: a share read off a fit that explains little misleads.
    (st.success if fit.says_something else st.warning)(fit.verdict(), icon=":material/fact_check:")
    f = st.columns(5)
    interval = (
        f"; 95% of resampled fits: {fit.m_interval[0]:.2f}–{fit.m_interval[1]:.2f}" if fit.m_interval else ""
    )
    f[0].metric(
        "m",
        f"{fit.m:.2f}" if fit.overhead_measured and fit.says_something else "–",
        help=f"How fast coordination grows with k (– when the runs show no coordination cost, or the fit "
        f"says little){interval}",
    )
    f[1].metric("R²", f"{fit.r2:.2f}", help="Share of the cost variation the model explains")
    f[2].metric("a (fixed)", _usd(fit.a), help="USD per request")
    f[3].metric("b (per output token)", _usd(fit.b), help="USD per output token")
    f[4].metric("c (coordination)", _usd(fit.c), help="USD × k^m")
    if fit.story():
        st.info(fit.story(), icon=":material/lightbulb:")
    for warning in analysis.fit_warnings:
        st.warning(warning, icon=":material/warning:")
    with st.expander("What m means", expanded=False):
        st.write(M_EXPLANATION)
    charts(view, analysis, "coordination")


def export(view: lab.LabView, model_map: dict[str, str], inputs: TcoInputs) -> None:
    """report.html, results.csv and results.json of the analysis on screen, built when downloaded."""
    html_report, csv_rows, json_doc = lab.exports(view, model_map, inputs)
    st.markdown(
        "The report is one HTML file with its charts, the what-if and TCO above, and thumbnails of the pages; "
        "it opens offline."
    )
    slug = view.experiment.experiment_id
    files = [
        ("report.html", html_report, f"report-{slug}.html", "text/html", ":material/description:", "html"),
        ("results.csv", csv_rows, f"results-{slug}.csv", "text/csv", ":material/table:", "csv"),
        (
            "results.json",
            json_doc,
            f"results-{slug}.json",
            "application/json",
            ":material/data_object:",
            "json",
        ),
    ]
    for column, (label, data, file_name, mime, icon, key) in zip(st.columns(3), files, strict=True):
        with column:
            st.download_button(
                label,
                data,
                file_name=file_name,
                mime=mime,
                icon=icon,
                key=f"lab_dl_{key}",
                on_click="ignore",
                width="stretch",
            )
