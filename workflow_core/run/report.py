"""The JSON report of a run (what `decompose run` writes as report.json and the app offers to download)."""

from __future__ import annotations

from typing import Any

from workflow_core.records import RunRecord
from workflow_core.workflow.kinds import kinds


def run_report(run: RunRecord) -> dict[str, Any]:
    nodes = []
    for n in run.nodes:
        item: dict[str, Any] = {
            "id": n.id,
            "kind": n.kind,
            "model": n.model,
            "status": n.status,
            "input_tokens": n.input_tokens,
            "output_tokens": n.output_tokens,
            "calls": n.calls,
            "cost_usd": n.cost_usd,
            "cost_if_uncached_usd": n.cost_if_uncached_usd,
            "estimated_cost_usd": n.estimated_cost_usd,
            "started_at": n.started_at,
            "finished_at": n.finished_at,
            "latency_s": n.latency_s,
            "ttft_s": n.ttft_s,
            "cached": n.cached,
            "attempts": n.attempts,
            "error": n.error,
            "warnings": n.warnings,
            "examples": n.examples,
        }
        kind = kinds().get(n.kind)  # a stored run may name a kind this install no longer has
        if kind is not None and kind.report_fields is not None:
            item.update(kind.report_fields(n))
        nodes.append(item)
    return {
        "run_id": run.run_id,
        "workflow": run.workflow,
        "profile": run.profile,
        "status": run.status,
        "agent_count": run.agent_count,
        "total_cost_usd": run.total_cost_usd,
        "estimated_cost_usd": run.estimated_cost_usd,
        "wall_s": run.wall_s,
        "critical_path_s": run.critical_path_s,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "qa_score": run.qa_score,
        "qa_publishable": run.qa_publishable,
        "qa_axes": dict(run.qa_axes),
        "qa_findings": [f.model_dump() for f in run.qa_findings],
        "qa_notes": list(run.qa_notes),
        # What the score weighed each axis by, and the checker version that measured the page.
        "qa_weights": dict(run.qa.weights) if run.qa is not None else {},
        "qa_checker": run.qa.checker if run.qa is not None else None,
        "warnings": run.warnings,
        "nodes": nodes,
    }
