"""The engine's side of a node run: the context an executor is given (`EngineContext`, which implements
`workflow.contract.NodeContext`), run events, and the cache key. Executors live in `workflow_core.nodes`; the
engine in `run.engine`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest, ChatResult
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.calls import CallLimits, RetryPolicy, call_with_retries, priced_chat
from workflow_core.run.inputs import RunInputs
from workflow_core.workflow.graph import WorkflowGraph
from workflow_core.workflow.spec import Node, Workflow
from workflow_core.workflow.templating import NodeOutput

T = TypeVar("T")
# "nodes_finished": every node is done and the run's totals are known; the hooks (checking the page,
# saving the run) are still to come, and "run_finished" follows them.
# "node_status": what a running node's model call waits on now (`text`): a call slot, a model loading, the
# prompt being processed, "generating" from its first token.
EventKind = Literal[
    "run_started", "node_started", "node_status", "token", "node_finished", "nodes_finished", "run_finished"
]
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


def no_listener(_event: RunEvent) -> None:
    """The sink of a run nobody watches (a batch, a benchmark): its nodes skip making token events."""


def cache_key(material: dict[str, Any]) -> str:
    blob = json.dumps({"v": CACHE_VERSION, **material}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class EngineContext:
    """The engine's side of the node contract (`workflow.contract.NodeContext`): one node's view of a run,
    its graph and inputs, its ancestors' records (in topological order) and the services it may call."""

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

    def limits(self) -> CallLimits:
        """The node's call limits: its `params.timeout_s` per attempt, `params.retries` + 1 attempts."""
        params = self.node.params
        return CallLimits(
            timeout_s=params.timeout_s,
            attempts=params.retries + 1,
            retry=self.retry,
            timeout_hint="the node's timeout",
            fix="raise params.timeout_s or lower max_tokens",
        )

    async def with_retries(self, ref: str, call: Callable[[], Awaitable[T]], record: NodeRecord) -> T:
        """Await `call()` through the one model-call path (`run.calls`: the provider's slot, the node's
        timeout, retries). Every model call of a node (chat, images, embeddings) goes through here."""
        return await call_with_retries(self.registry, ref, call, record, self.limits())

    async def chat(self, ref: str, request: ChatRequest, record: NodeRecord) -> ChatResult:
        """Call a chat model through `run.calls.priced_chat`, streaming tokens as events; the usage, compute
        time and cost go on the record."""

        first = True

        def on_token(text: str) -> None:
            nonlocal first
            if first:
                first = False
                on_status(f"generating on {ref}")
            self.emit(RunEvent("token", self.run_id, node_id=self.node.id, text=text))

        def on_status(text: str) -> None:
            self.emit(RunEvent("node_status", self.run_id, node_id=self.node.id, text=text))

        if self.emit is no_listener:  # nobody hears them: no event per token, no status listener per call
            return await priced_chat(self.registry, self.prices, ref, request, record, self.limits())
        return await priced_chat(
            self.registry, self.prices, ref, request, record, self.limits(), on_token, on_status
        )
