"""What the app shows about one run, computed without Streamlit: the per-node table, the DAG coloured by node
state, and a timeline of node start and end with the critical path highlighted."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from workflow_core.records import NodeRecord
from workflow_core.workflow.graph import critical_path, to_digraph
from workflow_core.workflow.layout import auto_layout
from workflow_core.workflow.spec import Workflow

STATUS_COLOURS: dict[str, str] = {
    "pending": "#adb5bd",
    "running": "#f59f00",
    "ok": "#2f9e44",
    "failed": "#e03131",
    "skipped": "#868e96",
    "cancelled": "#495057",
}
CRITICAL_COLOUR = "#c2255c"
_LAYOUT: dict[str, Any] = {"template": "plotly_white", "margin": {"l": 10, "r": 10, "t": 40, "b": 30}}


def node_rows(
    workflow: Workflow, records: dict[str, NodeRecord], streamed: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per node in workflow order: status, model, tokens, latency, cost, cache hit."""
    rows = []
    for node in workflow.nodes:
        rec = records.get(node.id) or NodeRecord(id=node.id, kind=node.kind, model=node.model)
        out_tokens = rec.output_tokens
        if rec.status == "running" and streamed and node.id in streamed:
            out_tokens = len(streamed[node.id].split())  # words streamed so far: a live stand-in for tokens
        rows.append(
            {
                "node": node.id,
                "kind": node.kind,
                "status": rec.status,
                "model": rec.model or "",
                "in tokens": rec.input_tokens,
                "out tokens": out_tokens,
                "latency s": round(rec.latency_s, 2),
                "cost USD": rec.cost_usd,
                "cached": rec.cached,
                "error": rec.error or "",
            }
        )
    return rows


def critical_nodes(workflow: Workflow, records: dict[str, NodeRecord]) -> list[str]:
    """The critical path of a run so far (empty before any node has finished)."""
    if not any(r.finished_at for r in records.values()):
        return []
    path, _ = critical_path(workflow, records)
    return path


def dag_figure(workflow: Workflow, records: dict[str, NodeRecord], height: int = 320) -> go.Figure:
    """The workflow as a left-to-right DAG, each node coloured by its run status."""
    placed = auto_layout(workflow)
    pos = {n.id: (n.position.x, -n.position.y) for n in placed.nodes}
    fig = go.Figure()
    xs: list[float | None] = []
    ys: list[float | None] = []
    for u, v in to_digraph(workflow).edges:
        if u in pos and v in pos:
            xs += [pos[u][0], pos[v][0], None]
            ys += [pos[u][1], pos[v][1], None]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "#ced4da", "width": 2},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for status, colour in STATUS_COLOURS.items():
        ids = [
            n.id for n in workflow.nodes if (records[n.id].status if n.id in records else "pending") == status
        ]
        if not ids:
            continue
        fig.add_trace(
            go.Scatter(
                x=[pos[i][0] for i in ids],
                y=[pos[i][1] for i in ids],
                mode="markers+text",
                name=status,
                text=ids,
                textposition="bottom center",
                marker={"size": 26, "color": colour, "line": {"width": 2, "color": "#ffffff"}},
                hovertext=[f"{i}: {status}" for i in ids],
                hoverinfo="text",
            )
        )
    fig.update_layout(
        height=height,
        showlegend=True,
        legend={"orientation": "h", "y": 1.12},
        xaxis={"visible": False},
        yaxis={"visible": False},
        **_LAYOUT,
    )
    return fig


def timeline_figure(workflow: Workflow, records: dict[str, NodeRecord]) -> go.Figure:
    """A Gantt chart of node start and end (seconds since the first node started); overlapping bars ran in
    parallel, and the critical path's bars are highlighted."""
    timed = [r for r in records.values() if r.started_at is not None]
    t0 = min((r.started_at for r in timed if r.started_at is not None), default=0.0)
    critical = set(critical_nodes(workflow, records))
    fig = go.Figure()
    order = [n.id for n in workflow.nodes if n.id in records and records[n.id].started_at is not None]
    for node_id in order:
        rec = records[node_id]
        assert rec.started_at is not None
        start = rec.started_at - t0
        end = (rec.finished_at or rec.started_at + rec.latency_s) - t0
        on_path = node_id in critical
        fig.add_trace(
            go.Bar(
                y=[node_id],
                x=[max(end - start, 0.02)],
                base=[start],
                orientation="h",
                showlegend=False,
                marker={
                    "color": CRITICAL_COLOUR if on_path else STATUS_COLOURS.get(rec.status, "#adb5bd"),
                    "pattern": {"shape": "/" if rec.cached else ""},
                },
                hovertext=(
                    f"{node_id}: {start:.2f}-{end:.2f} s ({rec.status}"
                    f"{', cached' if rec.cached else ''}{', critical path' if on_path else ''})"
                ),
                hoverinfo="text",
            )
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        height=110 + 34 * max(len(order), 1),
        xaxis_title="seconds since the run started",
        title={"text": "Timeline (critical path in magenta, cached hatched)", "font": {"size": 14}},
        **_LAYOUT,
    )
    return fig
