"""OpenTelemetry traces of runs, as an engine hook: each run a trace, each node a span carrying the GenAI
semantic-convention attributes (gen_ai.request.model, gen_ai.usage.input_tokens, ...) plus its cost and
whether the cache answered, exported over OTLP/HTTP.

Off by default and free when off: `tracing_hook()` returns None (and imports nothing of OpenTelemetry)
unless OTEL_EXPORTER_OTLP_ENDPOINT is set or DECOMPOSE_OTEL=1 (what `--otel` sets). The spans are made
from the run's record after the run, with the nodes' own start and end times, so the scheduler carries no
tracing code at all. Needs the optional extra: `pip install -e .[otel]`.
"""

from __future__ import annotations

import atexit
import os
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.hooks import FinishedRun

ENDPOINT_ENV = "OTEL_EXPORTER_OTLP_ENDPOINT"
SWITCH_ENV = "DECOMPOSE_OTEL"
DEFAULT_ENDPOINT = "http://localhost:4318"  # an OTLP/HTTP collector on this machine (Jaeger, Phoenix, ...)


def tracing_wanted(trace: bool = False) -> bool:
    """Whether to trace: asked for (`--otel`), or switched on in the environment (an OTLP endpoint, or
    DECOMPOSE_OTEL=1)."""
    return trace or bool(os.environ.get(ENDPOINT_ENV)) or os.environ.get(SWITCH_ENV) == "1"


def _ns(seconds: float | None) -> int | None:
    return int(seconds * 1e9) if seconds is not None else None


def node_attributes(rec: NodeRecord, params: dict[str, Any]) -> dict[str, Any]:
    """A node's span attributes: GenAI conventions for model-backed nodes, `decompose.*` for the rest."""
    attrs: dict[str, Any] = {
        "decompose.node.id": rec.id,
        "decompose.node.kind": rec.kind,
        "decompose.node.status": rec.status,
        "decompose.cost_usd": rec.cost_usd,
        "decompose.cost_if_uncached_usd": rec.cost_if_uncached_usd,
        "decompose.estimated_cost_usd": rec.estimated_cost_usd,
        "decompose.cache_hit": rec.cached,
        "decompose.attempts": rec.attempts,
    }
    if rec.model:
        provider, _, model = rec.model.partition("/")
        attrs.update(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.system": provider,
                "gen_ai.provider.name": provider,
                "gen_ai.request.model": model,
                "gen_ai.response.model": model,
                "gen_ai.usage.input_tokens": rec.input_tokens,
                "gen_ai.usage.output_tokens": rec.output_tokens,
            }
        )
        for name in ("max_tokens", "temperature", "top_p", "seed"):
            if params.get(name) is not None:
                attrs[f"gen_ai.request.{name}"] = params[name]
    return attrs


class TraceRuns:
    """The hook: after each run, one trace (a root span for the run, a child span per node) handed to an
    OTLP/HTTP exporter in batches. `provider` is its own TracerProvider (the process's global one is left
    alone); it is flushed at exit."""

    def __init__(self, endpoint: str | None = None) -> None:
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
        except ImportError as exc:
            raise DecomposeError(
                "tracing was asked for (--otel or OTEL_EXPORTER_OTLP_ENDPOINT) but OpenTelemetry is not "
                "installed: pip install -e '.[otel]'."
            ) from exc
        base = (endpoint or os.environ.get(ENDPOINT_ENV) or DEFAULT_ENDPOINT).rstrip("/")
        self.endpoint = base if base.endswith("/v1/traces") else f"{base}/v1/traces"
        resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", "decompose-studio")})
        self.provider = TracerProvider(resource=resource)
        self.provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=self.endpoint)))
        self._tracer = self.provider.get_tracer("decompose-studio")
        atexit.register(self.provider.shutdown)

    def before_run(self, run: RunRecord) -> None:
        """Nothing before: the trace is made from the finished record."""

    def after_run(self, finished: FinishedRun) -> None:
        from opentelemetry.trace import Status, StatusCode, set_span_in_context

        run = finished.run
        root = self._tracer.start_span(
            f"run {run.workflow}",
            start_time=_ns(run.started_at),
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "decompose.run_id": run.run_id,
                "decompose.workflow": run.workflow,
                "decompose.profile": run.profile or "",
                "decompose.agent_count": run.agent_count,
                "decompose.status": run.status,
                "decompose.cost_usd": run.total_cost_usd,
                "decompose.estimated_cost_usd": run.estimated_cost_usd,
                "decompose.critical_path_s": run.critical_path_s,
                **({"decompose.qa_score": run.qa_score} if run.qa_score is not None else {}),
            },
        )
        context = set_span_in_context(root)
        for rec in run.nodes:
            if rec.started_at is None:  # skipped or cancelled before it started: no span
                continue
            node = finished.graph.nodes.get(rec.id)
            params = node.params.model_dump() if node is not None else {}
            name = f"chat {rec.model.partition('/')[2]}" if rec.model else f"{rec.kind} {rec.id}"
            span = self._tracer.start_span(
                f"{name} ({rec.id})" if rec.model else name,
                context=context,
                start_time=_ns(rec.started_at),
                attributes=node_attributes(rec, params),
            )
            if rec.status == "failed":
                span.set_status(Status(StatusCode.ERROR, rec.error or "failed"))
            span.end(end_time=_ns(rec.finished_at or rec.started_at))
        if run.status == "failed":
            root.set_status(Status(StatusCode.ERROR, "a node failed"))
        root.end(end_time=_ns(run.finished_at))

    def flush(self, timeout_ms: int = 10_000) -> bool:
        return bool(self.provider.force_flush(timeout_ms))


def tracing_hook(trace: bool = False) -> TraceRuns | None:
    """The tracing hook when tracing is wanted (`trace`, or see the module's docstring), else None at no
    cost."""
    return TraceRuns() if tracing_wanted(trace) else None
