"""The JSON report of a run (what `decompose run` writes as report.json and the app offers to download)."""

from __future__ import annotations

from typing import Any

from workflow_core.run.records import RunRecord


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
        }
        if n.kind == "retrieve":
            item["passages"] = [p.model_dump() for p in n.passages]
        if n.kind == "image":
            item["image_count"] = len(n.images)
            item["images"] = [
                {"label": i.label, "backend": i.backend, "cost_usd": i.cost_usd} for i in n.images
            ]
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
        "qa_findings": [f.model_dump() for f in run.qa_findings],
        "nodes": nodes,
    }
