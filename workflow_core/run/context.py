"""What a node executor works with: its context (node, inputs, upstream records, services) and what it
returns to the engine (`Prepared`). Executors live in `workflow_core.nodes`; the engine in `run.engine`."""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from workflow_core.errors import ProviderError
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest, ChatResult
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.inputs import RunInputs
from workflow_core.workflow.graph import WorkflowGraph
from workflow_core.workflow.spec import Node, Workflow
from workflow_core.workflow.templating import NodeOutput

T = TypeVar("T")
# "nodes_finished": every node is done and the run's totals are known; the hooks (checking the page,
# saving the run) are still to come, and "run_finished" follows them.
EventKind = Literal["run_started", "node_started", "token", "node_finished", "nodes_finished", "run_finished"]
# Bumped when what a cached record holds changes shape, so older entries are recomputed, never misread.
CACHE_VERSION = 2


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


def cache_key(material: dict[str, Any]) -> str:
    blob = json.dumps({"v": CACHE_VERSION, **material}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class NodeContext:
    """What a node executor sees: its node, the run's graph and inputs, its ancestors' records (in
    topological order) and the services it may call."""

    node: Node
    graph: WorkflowGraph
    inputs: RunInputs
    upstream: dict[str, NodeRecord]
    registry: ProviderRegistry
    prices: PriceBook
    emit: EventSink
    run_id: str
    retry: RetryPolicy

    @property
    def workflow(self) -> Workflow:
        return self.graph.workflow

    def variables(self) -> dict[str, Any]:
        """Template variables: run inputs, then every upstream node's output by id."""
        out = dict(self.inputs.variables)
        for node_id, rec in self.upstream.items():
            out[node_id] = NodeOutput(rec.output_text, rec.output_data)
        return out

    def parent_records(self) -> list[NodeRecord]:
        return [self.upstream[p] for p in self.graph.parents[self.node.id] if p in self.upstream]

    async def with_retries(self, ref: str, call: Callable[[], Awaitable[T]], record: NodeRecord) -> T:
        """Await `call()` under the node's timeout, retrying retryable failures with exponential backoff that
        honours Retry-After. Every model call of a node (chat, images, embeddings) goes through here."""
        timeout = self.node.params.timeout_s
        attempts = self.node.params.retries + 1
        last: ProviderError | None = None
        for attempt in range(attempts):
            record.attempts += 1
            try:
                # Waiting for a slot (the provider's max_concurrency) is not counted against the timeout.
                async with self.registry.call_slot(ref):
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
