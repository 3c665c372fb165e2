"""The async DAG executor.

Each node starts as soon as all its parents have finished, so independent branches overlap. A node's result is
cached under a key of everything that determines it (model, params, rendered messages, upstream outputs), so an
unchanged node is never called twice. A failed node skips its descendants; unrelated branches finish.

The engine knows node kinds only through the registry (`workflow_core.workflow.kinds`) and knows nothing of
pages: what happens after a run (collecting the page, checking it, saving the record) is done by hooks.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Literal

from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.records import NodeRecord, NodeStatus, RunRecord
from workflow_core.run.cache_writes import CacheWrites
from workflow_core.run.calls import RetryPolicy
from workflow_core.run.context import EngineContext, EventSink, RunEvent, cache_key, no_listener
from workflow_core.run.hooks import FinishedRun, RunHook
from workflow_core.run.inputs import RunInputs
from workflow_core.run.plan import Choices, RunPlan, plan_run
from workflow_core.run.store import Store
from workflow_core.run.timing import CallTiming, measure
from workflow_core.secrets import redact
from workflow_core.workflow.files import dump_workflow
from workflow_core.workflow.graph import WorkflowGraph, validated_graph
from workflow_core.workflow.kinds import agent_count, kind_of
from workflow_core.workflow.spec import Workflow

PROCESS = f"{socket.gethostname()}:{os.getpid()}"
# Fields a cache hit copies from the stored record: what the node produced, not how this run went.
_CACHED_FIELDS = (
    "output_text",
    "output_data",
    "input_tokens",
    "output_tokens",
    "calls",
    "passages",
    "images",
    "page_html",
    "qa",
    "examples",
    "measured",
)
# What a re-measured node keeps from the cache: everything cached but the new call's tokens and measurement.
_OUTPUT_FIELDS = tuple(
    f for f in _CACHED_FIELDS if f not in {"input_tokens", "output_tokens", "calls", "measured"}
)


class Engine:
    """Runs workflows. One engine can run many workflows concurrently (each run has its own state).

    `store` holds the node cache; `hooks` run after every run (see `workflow_core.nodes.hooks.standard_hooks`
    for the product's: collect the page and its verdict, save the run). `async with engine:` closes the
    providers' HTTP clients when done."""

    def __init__(
        self,
        registry: ProviderRegistry,
        *,
        prices: PriceBook | None = None,
        store: Store | None = None,
        use_cache: bool = True,
        retry: RetryPolicy | None = None,
        hooks: Sequence[RunHook] = (),
        remeasure: Iterable[str] = (),
    ) -> None:
        self.registry = registry
        self.prices = prices or PriceBook()
        self.store = store
        self.use_cache = use_cache
        self.retry = retry or RetryPolicy()
        self.hooks = list(hooks)
        # Cache keys whose results are served with their timing taken again (`run.timing`: a disturbed
        # measurement): the call is made, its time, tokens and cost kept, and the cached output stands. Once
        # per key: later runs of this engine are served the re-measured entry.
        self.remeasure = set(remeasure)

    async def __aenter__(self) -> Engine:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.registry.aclose()

    def validate(self, workflow: Workflow, inputs: RunInputs) -> WorkflowGraph:
        """The workflow's graph, or a WorkflowError listing every problem, before any model is called."""
        return validated_graph(
            workflow, inputs=inputs.variables.keys(), check_model=self.registry.check_model
        )

    def plan(
        self, workflow: Workflow, inputs: RunInputs | None = None, choices: Choices | None = None
    ) -> RunPlan:
        """The run's plan (`run.plan`: the workflow with `choices` applied, validated, estimated), built once
        by every way in and handed to `run_plan`."""
        return plan_run(
            workflow,
            inputs or RunInputs(),
            check_model=self.registry.check_model,
            prices=self.prices,
            store=self.store,
            choices=choices,
        )

    async def run(
        self,
        workflow: Workflow,
        inputs: RunInputs | None = None,
        *,
        on_event: EventSink | None = None,
        cancel: asyncio.Event | None = None,
        run_id: str | None = None,
    ) -> RunRecord:
        """`run_plan(plan(workflow, inputs))`: for a caller with nothing to show before the run."""
        plan = self.plan(workflow, inputs)
        return await self.run_plan(plan, on_event=on_event, cancel=cancel, run_id=run_id)

    async def run_plan(
        self,
        plan: RunPlan,
        *,
        on_event: EventSink | None = None,
        cancel: asyncio.Event | None = None,
        run_id: str | None = None,
    ) -> RunRecord:
        """Run every node of the plan, then the hooks. Each node's record carries the plan's estimate beside
        its actual cost."""
        workflow, inputs, graph, estimate = plan.workflow, plan.inputs, plan.graph, plan.estimate
        emit: EventSink = on_event or no_listener
        run = RunRecord(
            run_id=run_id or uuid.uuid4().hex[:12],
            workflow=workflow.name,
            profile=inputs.profile_id,
            started_at=time.time(),
            agent_count=agent_count(workflow),
            workflow_yaml=dump_workflow(workflow),
            process=PROCESS,
            nodes=[NodeRecord(id=n.id, kind=n.kind, model=n.model) for n in workflow.nodes],
        )
        for rec in run.nodes:
            if rec.id in estimate.nodes:
                rec.estimated_cost_usd = estimate.nodes[rec.id].cost_usd
        await self._call_hooks(run, "before_run", run)
        emit(RunEvent("run_started", run.run_id, run=run))
        records = {r.id: r for r in run.nodes}
        t0 = time.perf_counter()
        writes = CacheWrites(self.store) if self.store is not None else None
        try:
            await self._schedule(
                graph, inputs, records, run.run_id, emit, cancel or asyncio.Event(), writes, plan.timings
            )
        finally:
            # Every cache write has landed (or its failure is a warning on its node) before the run is over.
            if writes is not None:
                await writes.finish()
        run.finished_at = time.time()
        run.wall_s = time.perf_counter() - t0
        _, run.critical_path_s = graph.critical_path(records)
        run.total_cost_usd = sum(r.cost_usd for r in run.nodes)
        run.estimated_cost_usd = sum(r.estimated_cost_usd for r in run.nodes)
        statuses = {r.status for r in run.nodes}
        run.status = "cancelled" if "cancelled" in statuses else ("ok" if statuses == {"ok"} else "failed")
        emit(RunEvent("nodes_finished", run.run_id, run=run))
        await self._call_hooks(run, "after_run", FinishedRun(run, graph, inputs))
        emit(RunEvent("run_finished", run.run_id, run=run))
        return run

    async def _call_hooks(
        self, run: RunRecord, stage: Literal["before_run", "after_run"], arg: RunRecord | FinishedRun
    ) -> None:
        """Each hook's `stage` in order; one that fails (e.g. the store is full) is a warning on the run, whose
        results still stand. A coroutine (e.g. the judge's call to a model) runs on this loop; an `after_run`
        that is not one runs on a worker thread, since checking the page and saving the run are CPU and disk
        work that would hold up every other run's scheduling on this loop."""
        for hook in self.hooks:
            method = getattr(hook, stage)
            try:
                if inspect.iscoroutinefunction(method):
                    await method(arg)
                elif stage == "after_run":
                    await asyncio.to_thread(method, arg)
                else:
                    method(arg)
            except DecomposeError as exc:
                run.warnings.append(f"{type(hook).__name__}: {exc}")

    async def _schedule(
        self,
        graph: WorkflowGraph,
        inputs: RunInputs,
        records: dict[str, NodeRecord],
        run_id: str,
        emit: EventSink,
        cancel: asyncio.Event,
        writes: CacheWrites | None,
        timings: Mapping[str, Sequence[CallTiming]],
    ) -> None:
        """Start each node once its parents are done; skip it when a parent did not finish; stop on cancel.
        Each node waits on a count of unfinished parents, so scheduling is linear in the graph's size. A node's
        end starts its children from the task's done callback: the scheduler itself sleeps until every node
        is done or the user cancels, instead of waking (and re-arming a wait on every running task) once per
        node. The nodes' results are cached through `writes` (None: no store)."""
        loop = asyncio.get_running_loop()
        tasks: dict[str, asyncio.Task[None]] = {}
        done: set[str] = set()
        all_done: asyncio.Future[Any] = loop.create_future()
        waiting = {n: len(graph.parents[n]) for n in graph.order}
        ready = deque(n for n in graph.order if waiting[n] == 0)
        pumping = stopped = False

        def settle(node_id: str) -> None:
            done.add(node_id)
            for child in graph.children[node_id]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)
            if len(done) == len(graph.order) and not all_done.done():
                all_done.set_result(None)

        def close(node_id: str, status: NodeStatus, error: str) -> None:
            rec = records[node_id]
            rec.status, rec.error = status, error
            settle(node_id)
            emit(RunEvent("node_finished", run_id, node_id=node_id, record=rec))

        def finished(node_id: str, _task: asyncio.Task[None]) -> None:
            settle(node_id)
            pump()

        def pump() -> None:
            # Start (or close) every ready node; a loop, not recursion, so a long chain of skipped nodes is flat.
            nonlocal pumping
            if pumping:
                return
            pumping = True
            try:
                while ready:
                    node_id = ready.popleft()
                    parents = graph.parents[node_id]
                    bad = [p for p in parents if records[p].status != "ok"]
                    if cancel.is_set() or stopped:
                        close(node_id, "cancelled", "cancelled by the user")
                    elif bad:
                        close(node_id, "skipped", f"skipped because upstream node '{bad[0]}' did not finish")
                    else:
                        ctx = EngineContext(
                            node=graph.nodes[node_id],
                            graph=graph,
                            inputs=inputs,
                            upstream={a: records[a] for a in graph.ancestors[node_id]},
                            registry=self.registry,
                            prices=self.prices,
                            emit=emit,
                            run_id=run_id,
                            retry=self.retry,
                        )
                        task = loop.create_task(self._run_node(ctx, records[node_id], writes, timings))
                        tasks[node_id] = task
                        task.add_done_callback(functools.partial(finished, node_id))
            finally:
                pumping = False

        cancel_wait: asyncio.Future[Any] = asyncio.ensure_future(cancel.wait())
        try:
            pump()
            if not all_done.done():
                await asyncio.wait([all_done, cancel_wait], return_when=asyncio.FIRST_COMPLETED)
            # Cancelled: the running nodes end cancelled, and their callbacks close the rest.
            if not all_done.done():
                running = [t for t in tasks.values() if not t.done()]
                for t in running:
                    t.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                await all_done
        finally:
            stopped = True  # a node that ends from here on starts no child
            cancel_wait.cancel()
            # If run() itself is cancelled from outside, no node task may outlive it.
            unfinished = [t for t in tasks.values() if not t.done()]
            for t in unfinished:
                t.cancel()
            if unfinished:
                await asyncio.gather(*unfinished, return_exceptions=True)

    async def _run_node(
        self,
        ctx: EngineContext,
        rec: NodeRecord,
        writes: CacheWrites | None,
        timings: Mapping[str, Sequence[CallTiming]],
    ) -> None:
        rec.status = "running"
        rec.started_at = time.time()
        ctx.emit(RunEvent("node_started", ctx.run_id, node_id=rec.id, record=rec))
        t0 = time.perf_counter()
        try:
            prepared = await kind_of(ctx.node.kind).executor(ctx)
            rec.messages = prepared.messages
            key = cache_key(prepared.key_material) if prepared.cacheable else None
            rec.cache_key = key
            hit = writes.get(key) if (key and self.use_cache and writes is not None) else None
            remeasuring = hit is not None and key in self.remeasure
            if remeasuring:
                self.remeasure.discard(key or "")
            if hit is not None and not remeasuring:
                self._fill_from_cache(rec, hit)
            else:
                await prepared.work(ctx, rec)
                rec.cost_if_uncached_usd = rec.cost_usd
                rec.status = "ok"
                rec.latency_s = rec.latency_if_uncached_s = time.perf_counter() - t0
                measure(rec, timings.get(rec.model or "", ()), self.prices, remeasured=remeasuring)
                if remeasuring:  # the new call's timing, the cached output
                    assert hit is not None
                    for name in _OUTPUT_FIELDS:
                        setattr(rec, name, getattr(hit, name))
                if key and writes is not None:
                    writes.put(key, rec, took_s=rec.latency_s)
            rec.status = "ok"
        except asyncio.CancelledError:
            rec.status = "cancelled"
            rec.error = "cancelled by the user"
        except DecomposeError as exc:
            rec.status = "failed"
            rec.error = str(exc)
        except Exception as exc:  # a bug in an executor must not take the other branches down
            rec.status = "failed"
            rec.error = redact(f"internal error in {ctx.node.kind} node: {type(exc).__name__}: {exc}")
        finally:
            if not rec.cached:  # a failed node's calls cost money too
                rec.cost_if_uncached_usd = rec.cost_usd
            rec.finished_at = time.time()
            rec.latency_s = time.perf_counter() - t0
            ctx.emit(RunEvent("node_finished", ctx.run_id, node_id=rec.id, record=rec))

    @staticmethod
    def _fill_from_cache(rec: NodeRecord, hit: NodeRecord) -> None:
        for name in _CACHED_FIELDS:
            setattr(rec, name, getattr(hit, name))
        rec.cost_if_uncached_usd = hit.cost_if_uncached_usd
        rec.latency_if_uncached_s = hit.latency_if_uncached_s
        rec.cost_usd = 0.0
        rec.cached = True
        rec.ttft_s = None
        if hit.measured is not None and hit.measured.disturbed:  # replaying it must not go unsaid
            rec.warnings.append(
                f"the cached result's measurement looks disturbed ({hit.measured.describe()}): it "
                f"{hit.measured.disturbed}."
            )
