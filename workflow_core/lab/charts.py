"""Plotly figures for the decomposition lab. Each function draws one typed part of an `ExperimentAnalysis`
and returns a `go.Figure`. Which chart goes in which section, under which title, is the report outline's
(`workflow_core.lab.report`): the Compare page and the HTML report both draw what it lists."""

from __future__ import annotations

import math
from collections.abc import Iterable

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from workflow_core.lab.analysis import Costing, TimelineRun
from workflow_core.lab.coordination import CoordinationFit
from workflow_core.lab.experiment import NodeSummary, VariantSummary
from workflow_core.lab.tco import TcoResult
from workflow_core.records import RunRecord

_LAYOUT = {"template": "plotly_white", "margin": {"l": 60, "r": 20, "t": 50, "b": 50}, "height": 420}


def tick_digits(values: Iterable[float]) -> int:
    """Significant digits that tell a cost axis' ticks apart: enough to resolve about a fifth of the values'
    spread (two digits wrote $0.00155, $0.0016 and $0.00165 all as "$0.0016"), between 2 and 6."""
    finite = [abs(v) for v in values if v is not None and math.isfinite(v)]
    top = max(finite, default=0.0)
    if top == 0:
        return 2
    spread = max(finite) - min(finite)
    step = spread / 5 if spread > top * 1e-6 else top / 20  # one value: the axis pads around it
    return max(2, min(6, math.ceil(math.log10(top / step)) + 1))


def usd_axis(
    fig: go.Figure, axis: str, col: int | None = None, fmt: str | None = None, values: Iterable[float] = ()
) -> go.Figure:
    """Dollar ticks on a cost axis (plotly's SI default writes $0.0003 as "300μ"), with as many significant
    digits as the plotted `values` need for distinct labels (`fmt` overrides)."""
    ticks = {"tickprefix": "$", "tickformat": fmt or f".{tick_digits(values)}~g"}
    if axis == "x":
        fig.update_xaxes(**ticks, col=col)
    else:
        fig.update_yaxes(**ticks, col=col)
    return fig


def cost_quality(costing: Costing, title: str = "Cost vs quality") -> go.Figure:
    """Mean cost per run against mean QA score, one marker per variant;
    the Pareto front joined and labelled."""
    rows = costing.summaries
    front = set(costing.pareto_front)
    costs = [s.cost_usd for s in rows if s.qa_mean is not None]
    low, high = (min(costs), max(costs)) if costs else (0.0, 0.0)
    span = (high - low) or (high * 0.2) or 1e-6

    def label_side(x: float) -> str:
        # A label centred on the first or last point ran off the plot ("ingle (k=1)"): it leans inwards.
        if x <= low + span * 0.2:
            return "top right"
        return "top left" if x >= high - span * 0.2 else "top center"

    fig = go.Figure()
    for on_front in (True, False):
        pts = [s for s in rows if (s.variant in front) == on_front and s.qa_mean is not None]
        if not pts:
            continue
        fig.add_trace(
            go.Scatter(
                x=[s.cost_usd for s in pts],
                y=[s.qa_mean for s in pts],
                error_y={"type": "data", "array": [s.qa_std or 0.0 for s in pts], "visible": True},
                mode="markers+text",
                text=[f"{s.variant} (k={s.k})" for s in pts],
                textposition=[label_side(s.cost_usd) for s in pts],
                marker={"size": 14, "symbol": "star" if on_front else "circle"},
                name="Pareto front" if on_front else "dominated",
            )
        )
    line = sorted((s for s in rows if s.variant in front), key=lambda s: s.cost_usd)
    if len(line) > 1:
        fig.add_trace(
            go.Scatter(
                x=[s.cost_usd for s in line],
                y=[s.qa_mean for s in line],
                mode="lines",
                line={"dash": "dot"},
                name="Pareto front line",
                showlegend=False,
            )
        )
    fig.update_layout(title=title, xaxis_title="cost per run (USD)", yaxis_title="QA score", **_LAYOUT)
    if costs:  # room beside the outer points and above the best one for their labels
        fig.update_xaxes(range=[low - span * 0.12, high + span * 0.12])
        tops = [(s.qa_mean or 0.0) + (s.qa_std or 0.0) for s in rows if s.qa_mean is not None]
        fig.update_yaxes(range=[min(0.0, *tops) - 0.02, max(1.0, *tops) + 0.12])
    return usd_axis(fig, "x", values=costs)


def against_k(
    summaries: list[VariantSummary], title: str = "Cost, latency and quality against k"
) -> go.Figure:
    """Cost, critical-path latency and quality against the number of agents k (three panels)."""
    rows = sorted(summaries, key=lambda s: (s.k, s.variant))
    fig = make_subplots(rows=1, cols=3, subplot_titles=("cost per run (USD)", "latency (s)", "QA score"))
    ks = [s.k for s in rows]
    names = [s.variant for s in rows]
    fig.add_trace(
        go.Scatter(x=ks, y=[s.cost_usd for s in rows], mode="lines+markers", text=names, name="cost"), 1, 1
    )
    fig.add_trace(
        go.Scatter(
            x=ks, y=[s.critical_path_s for s in rows], mode="lines+markers", text=names, name="critical path"
        ),
        1,
        2,
    )
    fig.add_trace(
        go.Scatter(
            x=ks,
            y=[s.wall_s for s in rows],
            mode="lines+markers",
            text=names,
            name="wall",
            line={"dash": "dash"},
        ),
        1,
        2,
    )
    fig.add_trace(
        go.Scatter(
            x=ks,
            y=[s.qa_mean for s in rows],
            error_y={"type": "data", "array": [s.qa_std or 0.0 for s in rows]},
            mode="lines+markers",
            text=names,
            name="QA",
        ),
        1,
        3,
    )
    for col in (1, 2, 3):
        fig.update_xaxes(title_text="k (agents)", dtick=1, row=1, col=col)
    fig.update_layout(title=title, **_LAYOUT)
    return usd_axis(fig, "y", col=1, values=[s.cost_usd for s in rows])


def node_cost_stacks(
    rows: list[NodeSummary], variants: list[str], title: str = "Cost per run by node"
) -> go.Figure:
    """Mean cost per run of each variant (in the order of `variants`), stacked by node."""
    nodes: list[str] = []
    for r in rows:
        if r.node not in nodes:
            nodes.append(r.node)
    fig = go.Figure()
    for node in nodes:
        cost = {r.variant: r.cost_usd for r in rows if r.node == node}
        if not any(cost.values()):
            continue
        fig.add_trace(go.Bar(x=variants, y=[cost.get(v, 0.0) for v in variants], name=node))
    fig.update_layout(barmode="stack", title=title, xaxis_title="variant", yaxis_title="USD", **_LAYOUT)
    totals = [sum(r.cost_usd for r in rows if r.variant == v) for v in variants]
    return usd_axis(fig, "y", values=[0.0, *totals])


def timeline(
    run: RunRecord, title: str | None = None, spans: dict[str, tuple[float, float]] | None = None
) -> go.Figure:
    """A Gantt chart of one run: a bar per node from its start to its finish (seconds since the run started).
    Cached nodes are hatched. With `spans` ((start, seconds) per node), bars are drawn there instead: a
    cached run at the times its nodes took when they were computed."""
    nodes = [n for n in run.nodes if n.started_at is not None and n.finished_at is not None]
    if spans is not None:
        nodes = [n for n in run.nodes if n.id in spans]
    t0 = min((n.started_at for n in nodes if n.started_at is not None), default=run.started_at)
    fig = go.Figure()
    for n in nodes:
        if spans is not None:
            start, dur = spans[n.id]
        else:
            assert n.started_at is not None and n.finished_at is not None
            start, dur = n.started_at - t0, max(n.finished_at - n.started_at, 0.0)
        fig.add_trace(
            go.Bar(
                y=[n.id],
                x=[max(dur, 1e-3)],
                base=[start],
                orientation="h",
                name=n.id,
                showlegend=False,
                marker={"pattern": {"shape": "/" if n.cached else ""}},
                hovertext=f"{n.id} ({n.kind}, {n.model or '-'}): {dur:.2f} s{' cached' if n.cached else ''}",
                hoverinfo="text",
            )
        )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        title=title or f"Timeline: {run.workflow} / {run.profile or '-'}",
        xaxis_title="seconds since the run started",
        **{**_LAYOUT, "height": 120 + 40 * len(nodes)},
    )
    return fig


def timelines(runs: list[TimelineRun], title: str = "Timeline") -> list[go.Figure]:
    """One timeline per variant's chosen run (`analysis.timeline_runs`), each titled `title`: its variant."""
    out = []
    for t in runs:
        # A cached node's real bar is a cache read (milliseconds); the tables count the time it took when it
        # was computed, so the timeline draws that too.
        cached = " (cached nodes hatched, at the time they took when computed)" if t.spans is not None else ""
        named = f"{title}: {t.variant} (k={t.k}), {t.run.profile or '-'}{cached}"
        out.append(timeline(t.run, title=named, spans=t.spans))
    return out


def coordination_fit(fit: CoordinationFit, title: str = "Coordination overhead") -> go.Figure:
    """Each run's cost (the costs the fit used) against k, with the fitted curve at the mean task size;
    `title` is followed by the fit's m and R²."""
    fig = go.Figure()
    if not fit.points:
        fig.update_layout(title=f"{title}: no runs to fit", **_LAYOUT)
        return fig
    fig.add_trace(
        go.Scatter(
            x=[p.k for p in fit.points],
            y=[p.cost for p in fit.points],
            mode="markers",
            text=[p.label for p in fit.points],
            name=f"runs at {fit.costs}",
        )
    )
    n_mean = sum(p.n for p in fit.points) / len(fit.points)
    kmax = max(p.k for p in fit.points)
    ks = [1 + i * (max(kmax, 2) - 1) / 50 for i in range(51)]
    fig.add_trace(
        go.Scatter(x=ks, y=[fit.predict(k, n_mean) for k in ks], mode="lines", name=f"fit, m = {fit.m:.2f}")
    )
    fig.update_layout(
        title=f"{title}: m = {fit.m:.2f}, R² = {fit.r2:.2f}",
        xaxis_title="k (agents)",
        yaxis_title="cost per run (USD)",
        **_LAYOUT,
    )
    # The curve is drawn at the mean task size; each run's own prediction shows how well the fit does for it.
    fig.add_trace(
        go.Scatter(
            x=[p.k for p in fit.points],
            y=[fit.predict(p.k, p.n) for p in fit.points],
            mode="markers",
            marker={"symbol": "circle-open", "size": 16, "line": {"width": 2}},
            name="fit at each run's n",
        )
    )
    return usd_axis(fig, "y", values=[p.cost for p in fit.points])


def tco_chart(result: TcoResult, title: str = "Cumulative cost") -> go.Figure:
    """Cumulative cost per variant by month, with each break-even month marked; `title` is followed by the
    engineering cost per agent."""
    months = list(range(1, result.inputs.months + 1))
    fig = go.Figure()
    for v in result.variants:
        fig.add_trace(
            go.Scatter(x=months, y=result.cumulative[v.name], mode="lines", name=f"{v.name} (k={v.k})")
        )
    for b in result.break_evens:
        if b.month is not None:
            fig.add_trace(
                go.Scatter(
                    x=[b.month],
                    y=[result.cumulative[b.variant][b.month - 1]],
                    mode="markers+text",
                    marker={"size": 12, "symbol": "diamond"},
                    text=[f"{b.variant} pays off (month {b.month})"],
                    textposition="bottom right",
                    name=f"break-even {b.variant}",
                    showlegend=False,
                )
            )
    fig.update_layout(
        title=f"{title} (engineering ${result.inputs.engineering_cost_per_agent:,.0f} per agent)",
        xaxis_title="month",
        yaxis_title="cumulative USD",
        **_LAYOUT,
    )
    return usd_axis(fig, "y", fmt=",.0f")
