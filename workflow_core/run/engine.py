"""The async DAG executor.

Each node starts as soon as all its parents have finished, so independent branches overlap. A node's result is
cached under a key of everything that determines it (model, params, rendered messages, upstream outputs), so an
unchanged node is never called twice. A failed node skips its descendants; unrelated branches finish.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import networkx as nx

from workflow_core.errors import DecomposeError, ProviderError
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest, ChatResult
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.estimate import estimate_run
from workflow_core.run.records import NodeRecord, QAFinding, RunRecord
from workflow_core.run.store import Store
from workflow_core.workflow.graph import critical_path, ensure_valid, to_digraph
from workflow_core.workflow.spec import Node, Workflow, dump_workflow
from workflow_core.workflow.templating import NodeOutput

T = TypeVar("T")
EventKind = Literal["run_started", "node_started", "token", "node_finished", "run_finished"]


@dataclass
class RunEvent:
    kind: EventKind
    run_id: str
    node_id: str | None = None
    text: str | None = None
    record: NodeRecord | None = None
    run: RunRecord | None = None


EventSink = Callable[[RunEvent], None]


@dataclass
class RetryPolicy:
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            # The server said when: retrying earlier only earns another 429.
            return max(retry_after_s, 0.0)
        # Exponential backoff with a little jitter so parallel nodes don't retry in lock step.
        return min(self.base_delay_s * (2**attempt), self.max_delay_s) * (1 + random.random() * 0.1)


@dataclass
class Prepared:
    """What a node executor decided before doing any work: the cache key material and how to do the work."""

    key_material: dict[str, Any]
    work: Callable[[NodeContext, NodeRecord], Awaitable[None]]
    messages: list[dict[str, str]] = field(default_factory=list)
    cacheable: bool = True


@dataclass
class NodeContext:
    """What a node executor sees: its node, the run inputs, its ancestors' outputs and the services."""

    node: Node
    workflow: Workflow
    inputs: dict[str, Any]
    upstream: dict[str, NodeRecord]
    registry: ProviderRegistry
    prices: PriceBook
    emit: EventSink
    run_id: str
    retry: RetryPolicy
    engine: Engine
    extras: dict[str, Any] = field(default_factory=dict)

    def variables(self) -> dict[str, Any]:
        """Template variables: run inputs, then every upstream node's output by id."""
        out = dict(self.inputs)
        for node_id, rec in self.upstream.items():
            out[node_id] = NodeOutput(rec.output_text, rec.output_data)
        return out

    def parent_records(self) -> list[NodeRecord]:
        return [self.upstream[p] for p in self.workflow.parents(self.node.id) if p in self.upstream]

    async def with_retries(self, ref: str, call: Callable[[], Awaitable[T]], record: NodeRecord) -> T:
        """Await `call()` under the node's timeout, retrying retryable failures with exponential backoff that
        honours Retry-After. Every model call of a node (chat, images) goes through here."""
        timeout = self.node.params.timeout_s
        attempts = self.node.params.retries + 1
        last: ProviderError | None = None
        for attempt in range(attempts):
            record.attempts += 1
            try:
                return await asyncio.wait_for(call(), timeout=timeout)
            except TimeoutError:
                last = ProviderError(
                    f"{ref} did not answer within the node's timeout of {timeout:g} s (per attempt); "
                    "raise params.timeout_s or lower max_tokens.",
                    retryable=True,
                )
            except ProviderError as exc:
                last = exc
            if not last.retryable or attempt == attempts - 1:
                break
            wait = self.retry.delay(attempt, last.retry_after_s)
            if wait > timeout:
                raise ProviderError(
                    f"{ref} is rate limited and asks to retry after {wait:g} s, longer than the node's "
                    f"timeout of {timeout:g} s: run again later or raise params.timeout_s. ({last})"
                )
            await asyncio.sleep(wait)
        assert last is not None
        raise last

    async def chat(self, ref: str, request: ChatRequest, record: NodeRecord) -> ChatResult:
        """Call a chat model through `with_retries`, streaming tokens as events, and add the usage, compute
        time and cost to the record."""
        provider, model_name = self.registry.resolve(ref)
        request.model = model_name

        def on_token(text: str) -> None:
            self.emit(RunEvent("token", self.run_id, node_id=self.node.id, text=text))

        result = await self.with_retries(ref, lambda: provider.chat(request, on_token=on_token), record)
        # Local servers report the share of the machine this request used (parallel requests share it).
        compute_s = result.compute_s if result.compute_s is not None else result.latency_s
        record.calls += 1
        record.input_tokens += result.input_tokens
        record.output_tokens += result.output_tokens
        record.compute_s += compute_s
        if record.ttft_s is None:
            record.ttft_s = result.ttft_s
        record.cost_usd += self.prices.chat_cost(
            ref, result.input_tokens, result.output_tokens, compute_s=compute_s
        )
        unpriced = (
            f"no price is known for {ref}: its cost counts as $0. Add a price override in Settings "
            "or `prices:` in providers.yaml."
        )
        if not self.prices.has_price(ref) and unpriced not in record.warnings:
            record.warnings.append(unpriced)
        if result.raw.get("finish_reason") in ("length", "max_tokens"):
            record.warnings.append(
                f"the answer was cut off at max_tokens ({request.max_tokens}); raise params.max_tokens."
            )
        return result


Executor = Callable[[NodeContext], Awaitable[Prepared]]


def cache_key(material: dict[str, Any]) -> str:
    blob = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class Engine:
    """Runs workflows. One engine can run many workflows concurrently (each run has its own state)."""

    def __init__(
        self,
        registry: ProviderRegistry,
        *,
        prices: PriceBook | None = None,
        store: Store | None = None,
        use_cache: bool = True,
        retry: RetryPolicy | None = None,
        executors: dict[str, Executor] | None = None,
    ) -> None:
        from workflow_core.nodes import EXECUTORS

        self.registry = registry
        self.prices = prices or PriceBook()
        self.store = store
        self.use_cache = use_cache
        self.retry = retry or RetryPolicy()
        self.executors = {**EXECUTORS, **(executors or {})}

    def validate(self, workflow: Workflow, inputs: dict[str, Any]) -> None:
        ensure_valid(workflow, inputs=inputs.keys(), check_model=self.registry.check_model)

    async def run(
        self,
        workflow: Workflow,
        inputs: dict[str, Any] | None = None,
        *,
        profile_id: str | None = None,
        on_event: EventSink | None = None,
        cancel: asyncio.Event | None = None,
        extras: dict[str, Any] | None = None,
        run_id: str | None = None,
    ) -> RunRecord:
        """Validate, then run every node. Returns the run record (also saved to the store when there is one)."""
        inputs = inputs or {}
        self.validate(workflow, inputs)
        emit: EventSink = on_event or (lambda _e: None)
        run = RunRecord(
            run_id=run_id or uuid.uuid4().hex[:12],
            workflow=workflow.name,
            profile=profile_id,
            started_at=time.time(),
            agent_count=workflow.agent_count,
            workflow_yaml=dump_workflow(workflow),
            nodes=[NodeRecord(id=n.id, kind=n.kind, model=n.model) for n in workflow.nodes],
        )
        estimate = estimate_run(workflow, inputs, self.prices, self.store)
        for rec in run.nodes:
            if rec.id in estimate.nodes:
                rec.estimated_cost_usd = estimate.nodes[rec.id].cost_usd
        emit(RunEvent("run_started", run.run_id, run=run))
        records = {r.id: r for r in run.nodes}
        g = to_digraph(workflow)
        order = list(nx.topological_sort(g))
        tasks: dict[str, asyncio.Task[None]] = {}
        done: set[str] = set()
        cancel = cancel or asyncio.Event()
        cancel_wait = asyncio.ensure_future(cancel.wait())
        t0 = time.perf_counter()
        try:
            while len(done) < len(order):
                for node_id in order:
                    if node_id in done or node_id in tasks:
                        continue
                    parents = list(g.predecessors(node_id))
                    if not all(p in done for p in parents):
                        continue
                    bad = [p for p in parents if records[p].status != "ok"]
                    if bad:
                        rec = records[node_id]
                        if cancel.is_set():
                            rec.status, rec.error = "cancelled", "cancelled by the user"
                        else:
                            rec.status = "skipped"
                            rec.error = f"skipped because upstream node '{bad[0]}' did not finish"
                        done.add(node_id)
                        emit(RunEvent("node_finished", run.run_id, node_id=node_id, record=rec))
                        continue
                    if cancel.is_set():
                        rec = records[node_id]
                        rec.status, rec.error = "cancelled", "cancelled by the user"
                        done.add(node_id)
                        emit(RunEvent("node_finished", run.run_id, node_id=node_id, record=rec))
                        continue
                    ancestors = nx.ancestors(g, node_id)
                    ancestors_in_order = [a for a in order if a in ancestors]
                    ctx = NodeContext(
                        node=workflow.node(node_id),
                        workflow=workflow,
                        inputs=inputs,
                        upstream={a: records[a] for a in ancestors_in_order},
                        registry=self.registry,
                        prices=self.prices,
                        emit=emit,
                        run_id=run.run_id,
                        retry=self.retry,
                        engine=self,
                        extras=extras or {},
                    )
                    tasks[node_id] = asyncio.create_task(self._run_node(ctx, records[node_id]))
                pending = [t for nid, t in tasks.items() if nid not in done]
                if not pending:
                    continue
                finished, _ = await asyncio.wait([*pending, cancel_wait], return_when=asyncio.FIRST_COMPLETED)
                if cancel_wait in finished and cancel.is_set():
                    for nid, t in tasks.items():
                        if nid not in done and not t.done():
                            t.cancel()
                    await asyncio.gather(
                        *(t for nid, t in tasks.items() if nid not in done), return_exceptions=True
                    )
                for nid, t in tasks.items():
                    if nid not in done and t.done():
                        done.add(nid)
        finally:
            cancel_wait.cancel()
            # If run() itself is cancelled from outside, no node task may outlive it.
            unfinished = [t for t in tasks.values() if not t.done()]
            for t in unfinished:
                t.cancel()
            if unfinished:
                await asyncio.gather(*unfinished, return_exceptions=True)
        run.finished_at = time.time()
        run.wall_s = time.perf_counter() - t0
        _, run.critical_path_s = critical_path(workflow, records)
        run.total_cost_usd = sum(r.cost_usd for r in run.nodes)
        run.estimated_cost_usd = sum(r.estimated_cost_usd for r in run.nodes)
        statuses = {r.status for r in run.nodes}
        run.status = "cancelled" if "cancelled" in statuses else ("ok" if statuses == {"ok"} else "failed")
        self._collect_page(workflow, run)
        if run.page_html and run.qa_score is None:
            from workflow_core.nodes import automatic_qa

            report = automatic_qa(run.page_html, inputs, [p for r in run.nodes for p in r.passages])
            run.qa_score = report.score
            run.qa_findings = list(report.findings)
        if self.store is not None:
            self.store.save_run(run)
        emit(RunEvent("run_finished", run.run_id, run=run))
        return run

    @staticmethod
    def _collect_page(workflow: Workflow, run: RunRecord) -> None:
        """The run's page is the last (in topological order) finished node that produced one."""
        order = list(nx.topological_sort(to_digraph(workflow)))
        for node_id in reversed(order):
            rec = run.node(node_id)
            if rec.status == "ok" and isinstance(rec.output_data, dict) and rec.output_data.get("page_html"):
                run.page_html = rec.output_data["page_html"]
                break
        for node_id in reversed(order):
            rec = run.node(node_id)
            if rec.status == "ok" and isinstance(rec.output_data, dict) and "qa_score" in rec.output_data:
                run.qa_score = rec.output_data["qa_score"]
                run.qa_findings = [
                    QAFinding.model_validate(f) for f in rec.output_data.get("qa_findings", [])
                ]
                break

    async def _run_node(self, ctx: NodeContext, rec: NodeRecord) -> None:
        rec.status = "running"
        rec.started_at = time.time()
        ctx.emit(RunEvent("node_started", ctx.run_id, node_id=rec.id, record=rec))
        t0 = time.perf_counter()
        try:
            prepared = await self.executors[ctx.node.kind](ctx)
            rec.messages = prepared.messages
            key = cache_key(prepared.key_material) if prepared.cacheable else None
            rec.cache_key = key
            hit = self.store.cache_get(key) if (key and self.use_cache and self.store) else None
            if hit is not None:
                self._fill_from_cache(rec, hit)
            else:
                await prepared.work(ctx, rec)
                rec.cost_if_uncached_usd = rec.cost_usd
                rec.status = "ok"
                rec.latency_s = rec.latency_if_uncached_s = time.perf_counter() - t0
                if key and self.store is not None:
                    self.store.cache_put(key, rec)
            rec.status = "ok"
        except asyncio.CancelledError:
            rec.status = "cancelled"
            rec.error = "cancelled by the user"
        except DecomposeError as exc:
            rec.status = "failed"
            rec.error = str(exc)
        except Exception as exc:  # a bug in an executor must not take the other branches down
            rec.status = "failed"
            rec.error = f"internal error in {ctx.node.kind} node: {type(exc).__name__}: {exc}"
        finally:
            if not rec.cached:  # a failed node's calls cost money too
                rec.cost_if_uncached_usd = rec.cost_usd
            rec.finished_at = time.time()
            rec.latency_s = time.perf_counter() - t0
            ctx.emit(RunEvent("node_finished", ctx.run_id, node_id=rec.id, record=rec))

    @staticmethod
    def _fill_from_cache(rec: NodeRecord, hit: NodeRecord) -> None:
        for name in (
            "output_text",
            "output_data",
            "input_tokens",
            "output_tokens",
            "calls",
            "passages",
            "images",
        ):
            setattr(rec, name, getattr(hit, name))
        rec.cost_if_uncached_usd = hit.cost_if_uncached_usd
        rec.latency_if_uncached_s = hit.latency_if_uncached_s
        rec.cost_usd = 0.0
        rec.cached = True
        rec.ttft_s = None


def run_sync(
    engine: Engine, workflow: Workflow, inputs: dict[str, Any] | None = None, **kwargs: Any
) -> RunRecord:
    """Run a workflow from synchronous code (the CLI and scripts): one async core, one sync wrapper."""
    return asyncio.run(engine.run(workflow, inputs, **kwargs))
