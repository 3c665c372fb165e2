"""The hooks every product run gets: the run's page and its quality verdict are collected from the nodes'
typed outputs (the automatic checks run when no QA node did), then the run is saved."""

from __future__ import annotations

from workflow_core.nodes.qa import automatic_qa
from workflow_core.nodes.qa import verdict as verdict_of
from workflow_core.records import RunRecord
from workflow_core.run.hooks import FinishedRun, RunHook, SaveRun
from workflow_core.run.store import Store
from workflow_core.run.telemetry import tracing_hook


class CollectPage:
    """The run's page is the last finished node (in topological order) that produced one; its verdict the
    last QA node's, else the automatic checks of that page."""

    def before_run(self, run: RunRecord) -> None:
        """Nothing to collect before the nodes run."""

    def after_run(self, finished: FinishedRun) -> None:
        run = finished.run
        by_id = {r.id: r for r in run.nodes}
        records = [by_id[node_id] for node_id in reversed(finished.graph.order)]
        ok = [r for r in records if r.status == "ok"]
        run.page_html = next((r.page_html for r in ok if r.page_html), None)
        verdict = next((r.qa for r in ok if r.qa is not None), None)
        if verdict is None and run.page_html:
            passages = [p for r in run.nodes for p in r.passages]
            verdict = verdict_of(automatic_qa(run.page_html, finished.inputs, passages))
        if verdict is not None:
            run.qa_score, run.qa_axes = verdict.score, dict(verdict.axes)
            run.qa_findings, run.qa_notes = list(verdict.findings), list(verdict.notes)


def standard_hooks(store: Store | None) -> list[RunHook]:
    """Collect the page and its verdict, save the run (when there is a store), and trace it when
    OpenTelemetry export is switched on (see `run.telemetry`; nothing at all when it is off)."""
    hooks: list[RunHook] = [CollectPage()]
    if store is not None:
        hooks.append(SaveRun(store))
    tracing = tracing_hook()
    if tracing is not None:
        hooks.append(tracing)
    return hooks
