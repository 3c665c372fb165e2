"""How a run looks on screen, live or finished: shared by the Run and Compare pages."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import streamlit as st

from studio import quality_view, services, ui
from workflow_core.errors import DecomposeError
from workflow_core.page.assets import run_zip
from workflow_core.page.safety import PagePolicy, sanitise
from workflow_core.page.site import sandboxed_preview
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.background import BackgroundRun, RunProgress
from workflow_core.run.charts import critical_nodes, dag_figure, node_rows, timeline_figure
from workflow_core.run.report import run_report
from workflow_core.workflow.spec import Workflow

DESKTOP = (1280, 800)  # layout width, and the height shown until the page reports its own
MOBILE = (390, 760)
TALLEST = 5000  # a preview grows to its page's height up to this many layout pixels, then scrolls inside


@dataclass
class RunHandle:
    """One run this session started (or reopened from the store)."""

    key: str
    label: str
    workflow: Workflow
    profile: str | None
    background: BackgroundRun | None = None
    run: RunRecord | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def running(self) -> bool:
        return self.background is not None and self.run is None and self.error is None

    def refresh(self) -> RunProgress | None:
        """Poll the background run; remember its record or error once it ends."""
        if self.background is None:
            return None
        progress = self.background.poll()
        if progress.state == "finished" and progress.run is not None:
            self.run = progress.run
        elif progress.state == "error":
            self.error = progress.error or "the run failed"
        return progress


def _table(
    workflow: Workflow, records: dict[str, NodeRecord], streamed: dict[str, str] | None = None
) -> None:
    """The per-node table as plain HTML (a handful of rows: readable, selectable and easy to test)."""
    rows = node_rows(workflow, records, streamed)
    for row in rows:
        row["cost USD"] = ui.money(row["cost USD"])
        row["latency s"] = f"{row['latency s']:.2f}"
        row["cached"] = "yes" if row["cached"] else ""
        row["error"] = (row["error"] or "")[:80]
    st.table(rows, border="horizontal", hide_index=True)


def live_progress(handle: RunHandle, progress: RunProgress) -> None:
    """A running run: node states on the graph, tokens as they stream, the per-node table."""
    records = progress.records
    done = sum(1 for r in records.values() if r.status not in {"pending", "running"})
    st.progress(
        done / max(len(handle.workflow.nodes), 1),
        text=f"{handle.label}: {done}/{len(handle.workflow.nodes)} nodes done, {progress.elapsed_s:.0f} s",
    )
    st.plotly_chart(
        dag_figure(handle.workflow, records, height=260), key=f"dag:{handle.key}", width="stretch"
    )
    # Each running node says what it waits on: a call slot, its model loading, its prompt being processed
    # (a long wait on a busy machine), or how fast it writes.
    running = [node_id for node_id, rec in records.items() if rec.status == "running"]
    if running:
        st.markdown("\n".join(f"- **{node_id}**: {progress.waits(node_id)}" for node_id in running))
    for node_id in running:
        if progress.streamed.get(node_id):
            with st.container(border=True):
                st.caption(f":material/edit_note: {node_id} is writing…")
                st.code(progress.streamed[node_id][-1200:], language=None, wrap_lines=True)
    _table(handle.workflow, records, progress.streamed)


def _inspector(handle: RunHandle, run: RunRecord) -> None:
    ids = [n.id for n in run.nodes]
    failed = [n.id for n in run.nodes if n.status == "failed"]
    chosen = st.selectbox(
        "Inspect node", ids, index=ids.index(failed[0]) if failed else 0, key=f"inspect:{handle.key}"
    )
    rec = run.node(chosen)
    cols = st.columns(5)
    cols[0].metric("Status", rec.status)
    cols[1].metric("Tokens in/out", f"{rec.input_tokens}/{rec.output_tokens}")
    cols[2].metric("Latency", f"{rec.latency_s:.2f} s")
    cols[3].metric("Cost", ui.money(rec.cost_usd))
    cols[4].metric("Cache hit", "yes" if rec.cached else "no")
    # As text, not a metric: a long model ref wraps instead of pushing the page sideways.
    st.markdown(f"**Model:** {rec.model or '–'}", help="The model that served this node")
    if rec.measured is not None:  # when and under what load its timing (and a local model's cost) was taken
        expected = (
            f"; its model's recent calls predict {rec.measured.expected_s:.1f} s"
            if rec.measured.expected_s
            else ""
        )
        st.caption(f"Timing {rec.measured.describe()}{expected}.")
    if rec.error:
        st.error(f"{rec.id}: {rec.error}", icon=":material/error:")
    if rec.messages:
        with st.expander("Rendered messages", expanded=False):
            for m in rec.messages:
                st.caption(m.get("role", ""))
                st.code(m.get("content", ""), language=None, wrap_lines=True)
    if rec.passages:
        with st.expander(f"Retrieved passages ({len(rec.passages)})", expanded=False):
            for p in rec.passages:
                st.markdown(f"**{p.doc}** #{p.chunk} · score {p.score:.2f}")
                st.caption(p.text[:600])
    if rec.images:
        st.caption("Images: " + ", ".join(f"{i.label} ({i.backend})" for i in rec.images))
    if isinstance(rec.output_data, dict | list):
        shown = (
            {k: v for k, v in rec.output_data.items() if k != "page_html"}
            if isinstance(rec.output_data, dict)
            else rec.output_data
        )
        st.json(shown, expanded=1)
    if rec.output_text:
        with st.expander("Output text", expanded=not isinstance(rec.output_data, dict | list)):
            st.code(rec.output_text[:8000], language=None, wrap_lines=True)


def preview(run: RunRecord, key: str) -> None:
    """The generated page inside an iframe sandboxed with allow-scripts only (no allow-same-origin)."""
    if not run.page_html:
        st.info("This run produced no page.")
        return
    width = st.segmented_control(
        "Width",
        ["Desktop", "Mobile"],
        default="Desktop",
        required=True,
        key=f"preview_width:{key}",
        label_visibility="collapsed",
        help="Desktop: the page laid out at 1280 px and scaled to the column. Mobile: 390 px, actual size.",
    )
    size = MOBILE if width == "Mobile" else DESKTOP
    # Full column width; the height follows the page (the wrapper measures it, Streamlit fits the frame).
    st.iframe(sandboxed_preview(run.page_html, *size, fit_height=TALLEST), height="content")


def downloads(run: RunRecord, key: str) -> None:
    """The page as it may leave the tool: sanitised (no script but the design system's, nothing loaded
    from elsewhere), its form posting only to the active scenario's own address."""
    try:
        policy = PagePolicy.for_company(services.scenario(services.scenario_path()).company.model_dump())
    except DecomposeError:  # the active scenario does not load (the Scenario page says why): no form target
        policy = PagePolicy()
    cols = st.columns(3)
    with cols[0]:
        st.download_button(
            "index.html",
            sanitise(run.page_html, policy) if run.page_html else "",
            file_name="index.html",
            mime="text/html",
            disabled=not run.page_html,
            key=f"dl-html:{key}",
            icon=":material/html:",
        )
    with cols[1]:
        st.download_button(
            "site.zip",
            run_zip(run, policy) if run.page_html else b"",
            file_name="site.zip",
            mime="application/zip",
            disabled=not run.page_html,
            key=f"dl-zip:{key}",
            icon=":material/folder_zip:",
        )
    with cols[2]:
        st.download_button(
            "report.json",
            json.dumps(run_report(run), indent=2, ensure_ascii=False),
            file_name="report.json",
            mime="application/json",
            key=f"dl-report:{key}",
            icon=":material/data_object:",
        )


def finished(handle: RunHandle) -> None:
    """A finished run: headline numbers, graph, node table, timeline, inspector, preview, QA, downloads."""
    run = handle.run
    assert run is not None
    records = {n.id: n for n in run.nodes}
    status_icon = {
        "ok": ":material/check_circle:",
        "failed": ":material/error:",
        "cancelled": ":material/stop_circle:",
    }.get(run.status, "")
    st.markdown(f"#### {status_icon} {run.workflow} on {run.profile or '–'} · {run.status}")
    for node in run.nodes:
        if node.status == "failed":
            st.error(f"Node **{node.id}** failed: {node.error}", icon=":material/error:")
    warned: dict[str, list[str]] = {}
    for node in run.nodes:
        for warning in node.warnings:
            warned.setdefault(warning, []).append(node.id)
    for warning, ids in warned.items():
        st.warning(f"{', '.join(f'**{i}**' for i in ids)}: {warning}", icon=":material/warning:")
    m = st.columns(5)
    m[0].metric("Cost", ui.money(run.total_cost_usd), help=f"estimated {ui.money(run.estimated_cost_usd)}")
    m[1].metric("Wall time", f"{run.wall_s:.1f} s")
    m[2].metric(
        "Critical path",
        f"{run.critical_path_s:.1f} s",
        help=" → ".join(critical_nodes(handle.workflow, records)),
    )
    m[3].metric("Agents (k)", run.agent_count)
    quality = quality_view.score(run)
    m[4].metric("Quality", f"{quality:.2f}" if quality is not None else "–", help="Weighted mean of the axes")
    overview, timeline_tab, inspect_tab, page_tab, qa_tab = st.tabs(
        ["Nodes", "Timeline", "Inspector", "Page preview", "Quality"]
    )
    with overview:
        st.plotly_chart(
            dag_figure(handle.workflow, records, height=260), key=f"dagf:{handle.key}", width="stretch"
        )
        _table(handle.workflow, records)
    with timeline_tab:
        st.plotly_chart(timeline_figure(handle.workflow, records), key=f"tl:{handle.key}", width="stretch")
    with inspect_tab:
        _inspector(handle, run)
    with page_tab:
        preview(run, handle.key)
    with qa_tab:
        quality_view.panel(run)
    st.markdown("**Downloads**")
    downloads(run, handle.key)
