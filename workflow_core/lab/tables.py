"""An experiment as rows: per node of each variant, per run, and the pages side by side (for the exports,
the Compare page's tables and the CLI)."""

from __future__ import annotations

from typing import Any

from workflow_core.lab.experiment import Experiment, NodeSummary, VariantSummary, mean
from workflow_core.records import NodeRecord


def node_breakdown(experiment: Experiment) -> list[NodeSummary]:
    """Per variant and node: means per run of calls, tokens, cost and latency, and failures."""
    rows: list[NodeSummary] = []
    for v in experiment.spec.variants:
        trials = [t for t in experiment.trials_of(v.name) if t.run is not None]
        order: list[str] = []
        per: dict[str, list[tuple[NodeRecord, float]]] = {}
        for t in trials:
            assert t.run is not None
            for n in t.run.nodes:
                if n.id not in per:
                    order.append(n.id)
                per.setdefault(n.id, []).append((n, t.latencies.get(n.id, n.latency_s)))
        for node_id in order:
            recs = per[node_id]
            first = recs[0][0]
            rows.append(
                NodeSummary(
                    variant=v.name,
                    node=node_id,
                    kind=first.kind,
                    model=first.model,
                    calls=mean([n.calls for n, _ in recs]),
                    input_tokens=mean([n.input_tokens for n, _ in recs]),
                    output_tokens=mean([n.output_tokens for n, _ in recs]),
                    cost_usd=mean([n.cost_if_uncached_usd for n, _ in recs]),
                    latency_s=mean([lat for _, lat in recs]),
                    cached_share=mean([1.0 if n.cached else 0.0 for n, _ in recs]),
                    failures=sum(1 for n, _ in recs if n.status in {"failed", "skipped", "cancelled"}),
                )
            )
    return rows


def axis_rows(summaries: list[VariantSummary]) -> list[dict[str, Any]]:
    """Quality per variant and axis as text, "0.81 [0.78–0.84]" (mean and 95% interval over the runs that
    measured the axis; "–" where none did), with the overall score first and the number of runs last."""
    axes = list(dict.fromkeys(a for s in summaries for a in s.axes))
    rows = []
    for s in summaries:
        row: dict[str, Any] = {"variant": s.variant, "k": s.k}
        row["quality"] = s.qa_interval.text() if s.qa_interval is not None else "–"
        for axis in axes:
            row[axis] = s.axes[axis].text() if axis in s.axes else "–"
        row["n"] = s.qa_interval.n if s.qa_interval is not None else 0
        rows.append(row)
    return rows


def trial_table(experiment: Experiment) -> list[dict[str, Any]]:
    """One row per run (for runs.csv and drill-down)."""
    rows = []
    for t in experiment.trials:
        r = t.run
        rows.append(
            {
                "variant": t.variant,
                "k": experiment.k.get(t.variant, 0),
                "profile": t.profile,
                "repeat": t.repeat,
                "run_id": r.run_id if r else None,
                "status": r.status if r else "error",
                "calls": sum(n.calls for n in r.nodes) if r else 0,
                "input_tokens": sum(n.input_tokens for n in r.nodes) if r else 0,
                "output_tokens": sum(n.output_tokens for n in r.nodes) if r else 0,
                "cost_usd": t.cost_usd,
                "wall_s": t.wall_s,
                "wall_estimated": t.wall_estimated,
                "critical_path_s": t.critical_path_s,
                "qa_score": r.qa_score if r else None,
                **({f"axis:{a}": v for a, v in r.qa_axes.items()} if r else {}),
                "error": t.error,
                # Nodes whose measurement looks disturbed (run.timing), e.g. "personalizer"
                "disturbed": ", ".join(n.id for n in r.nodes if n.measured and n.measured.disturbed)
                if r
                else "",
            }
        )
    return rows


def pages(experiment: Experiment, profile: str | None = None, repeat: int = 0) -> list[dict[str, Any]]:
    """The generated pages side by side: one row per variant (for `profile`, default the first profile)."""
    profile = profile or next((t.profile for t in experiment.trials if t.profile), None)
    rows = []
    for v in experiment.spec.variants:
        t = next(
            (t for t in experiment.trials_of(v.name) if t.profile == profile and t.repeat == repeat), None
        )
        rows.append(
            {
                "variant": v.name,
                "k": experiment.k.get(v.name, 0),
                "profile": profile,
                "page_html": t.run.page_html if t and t.run else None,
                "qa_score": t.run.qa_score if t and t.run else None,
                "error": t.error if t else "not run",
            }
        )
    return rows
