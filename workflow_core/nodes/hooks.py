"""The hooks every product run gets: the run's page and its quality verdict are collected from the nodes'
typed outputs (the automatic checks run when no QA node did), the optional LLM judge reads the page, then the
run is saved."""

from __future__ import annotations

from workflow_core.nodes.common import sources_of
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.quality.check import check_page_async
from workflow_core.quality.judge import judge_page
from workflow_core.quality.model import with_axis
from workflow_core.quality.render import Renderer
from workflow_core.records import QualityReport, RunRecord
from workflow_core.run.hooks import FinishedRun, RunHook, SaveRun
from workflow_core.run.store import Store
from workflow_core.run.telemetry import tracing_hook


class CollectPage:
    """The run's page is the last finished node (in topological order) that produced one; its verdict the
    last QA node's, else the automatic checks of that page: rendered in Chromium when `render` is True (or
    with that renderer), static only when False (faster: no browser; the accessibility and responsive axes
    say they were not rendered). The checks run in a page worker process (`run.offload`)."""

    def __init__(self, render: bool | Renderer = True) -> None:
        self.render = render

    def before_run(self, run: RunRecord) -> None:
        """Nothing to collect before the nodes run."""

    async def after_run(self, finished: FinishedRun) -> None:
        run = finished.run
        by_id = {r.id: r for r in run.nodes}
        records = [by_id[node_id] for node_id in reversed(finished.graph.order)]
        ok = [r for r in records if r.status == "ok"]
        run.page_html = next((r.page_html for r in ok if r.page_html), None)
        verdict = next((r.qa for r in ok if r.qa is not None), None)
        if verdict is None and run.page_html:
            passages = [p for r in run.nodes for p in r.passages]
            workflow = finished.graph.workflow
            sources = sources_of(finished.inputs, passages, workflow)
            verdict = await check_page_async(run.page_html, sources, render=self.render)
        if verdict is not None:
            run.qa = verdict.model_copy(deep=True)
            run.screenshots = dict(verdict.screenshots)


class JudgePage:
    """The optional LLM judge axis of the run's page (after CollectPage): its score joins the run's axes, its
    cost goes to `judge_cost_usd`, apart from the workflow's."""

    def __init__(self, ref: str, registry: ProviderRegistry, prices: PriceBook, store: Store | None) -> None:
        self.ref, self.registry, self.prices, self.store = ref, registry, prices, store

    def before_run(self, run: RunRecord) -> None:
        """Nothing to judge before the page exists."""

    async def after_run(self, finished: FinishedRun) -> None:
        run = finished.run
        if not run.page_html:
            return
        sources = sources_of(finished.inputs, [p for r in run.nodes for p in r.passages])
        judged = await judge_page(run.page_html, sources, self.ref, self.registry, self.prices, self.store)
        cost = "cached" if judged.cached else f"${judged.cost_usd:.6f}"
        note = f"{judged.model} ({cost}, apart from the workflow's cost)"
        # A page no check measured (the checks failed) gets the judge's axis alone.
        verdict = run.qa if run.qa is not None else QualityReport(score=judged.axis.score)
        run.qa = with_axis(verdict, judged.axis.model_copy(update={"note": note}))
        run.judge_cost_usd = judged.cost_usd


def standard_hooks(
    store: Store | None,
    *,
    judge: str | None = None,
    registry: ProviderRegistry | None = None,
    prices: PriceBook | None = None,
    render: bool | Renderer = True,
    trace: bool = False,
) -> list[RunHook]:
    """Collect the page and its verdict, then (with a `judge` model) judge it, save the run (when there is a
    store), and trace it when `trace` asks for it or OpenTelemetry export is switched on in the environment
    (see `run.telemetry`; nothing at all when it is off). `render`: how the automatic checks see the page (see `CollectPage`)."""
    hooks: list[RunHook] = [CollectPage(render)]
    if judge:
        if registry is None or prices is None:
            raise ValueError("a judge needs the registry and the price book")
        hooks.append(JudgePage(judge, registry, prices, store))
    if store is not None:
        hooks.append(SaveRun(store))
    tracing = tracing_hook(trace)
    if tracing is not None:
        hooks.append(tracing)
    return hooks
