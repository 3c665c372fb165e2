"""OpenTelemetry export: a real OTLP/HTTP receiver on 127.0.0.1 decodes the protobuf the hook sends."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opentelemetry.sdk", reason="OpenTelemetry is the optional extra .[otel]")

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.run.telemetry import TraceRuns
from workflow_core.scenario import load_scenario
from workflow_core.workflow.templates import resolve_workflow

ROOT = Path(__file__).resolve().parents[1]
PRICES = PriceBook(
    overrides={"fake/small": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, source="test")}
)


def _value(v: Any) -> Any:
    return getattr(v, v.WhichOneof("value"))


@pytest.fixture
def otlp_receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An OTLP/HTTP trace receiver: every span it is sent, decoded, as {name, trace_id, parent, attrs}."""
    spans: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            assert self.path == "/v1/traces" and self.headers["Content-Type"] == "application/x-protobuf"
            request = ExportTraceServiceRequest()
            request.ParseFromString(body)
            for resource in request.resource_spans:
                service = {a.key: _value(a.value) for a in resource.resource.attributes}["service.name"]
                for scope in resource.scope_spans:
                    for span in scope.spans:
                        spans.append(
                            {
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent": span.parent_span_id.hex(),
                                "start": span.start_time_unix_nano,
                                "end": span.end_time_unix_nano,
                                "service": service,
                                "attrs": {a.key: _value(a.value) for a in span.attributes},
                            }
                        )
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", spans
    finally:
        server.shutdown()


async def test_a_run_is_one_trace_with_a_span_per_node(fake_registry, otlp_receiver, tmp_path) -> None:
    endpoint, spans = otlp_receiver
    store = Store(tmp_path / "runs.sqlite3")
    tracing = TraceRuns(endpoint)
    workflow = resolve_workflow("seed").with_models(None, "fake/small")
    inputs = RunInputs.for_profile(load_scenario(ROOT / "assets" / "example_scenario"), "dana-mining")
    engine = Engine(fake_registry, prices=PRICES, store=store, hooks=[*standard_hooks(store), tracing])
    run = await engine.run(workflow, inputs)
    again = await engine.run(workflow, inputs)
    assert tracing.flush()

    traces = {s["trace_id"] for s in spans}
    assert len(traces) == 2, "one trace per run"
    (trace,) = [t for t in traces if _root(spans, t)["attrs"]["decompose.run_id"] == run.run_id]
    first = [s for s in spans if s["trace_id"] == trace]
    root = next(s for s in first if not s["parent"])
    assert root["name"] == "run seed" and root["service"] == "decompose-studio"
    assert root["attrs"]["decompose.cost_usd"] == pytest.approx(run.total_cost_usd)
    children = {s["attrs"]["decompose.node.id"]: s for s in first if s["parent"] == root["span_id"]}
    assert set(children) == {n.id for n in workflow.nodes}
    dev = children["developer"]
    assert dev["name"] == "chat small (developer)"
    record = run.node("developer")
    assert dev["attrs"]["gen_ai.request.model"] == "small" and dev["attrs"]["gen_ai.system"] == "fake"
    assert dev["attrs"]["gen_ai.usage.input_tokens"] == record.input_tokens > 0
    assert dev["attrs"]["gen_ai.usage.output_tokens"] == record.output_tokens > 0
    assert dev["attrs"]["gen_ai.request.max_tokens"] == workflow.node("developer").params.max_tokens
    assert dev["attrs"]["decompose.cost_usd"] == pytest.approx(record.cost_usd) and record.cost_usd > 0
    assert dev["attrs"]["decompose.cache_hit"] is False
    assert dev["start"] == int(record.started_at * 1e9) and dev["end"] > dev["start"]
    assert "gen_ai.request.model" not in children["site"]["attrs"]  # no model behind assembly

    cached = [s for s in spans if s["attrs"].get("decompose.node.id") == "developer" and s not in first]
    assert cached[0]["attrs"]["decompose.cache_hit"] is True and again.node("developer").cached


def _root(spans: list[dict[str, Any]], trace: str) -> dict[str, Any]:
    return next(s for s in spans if s["trace_id"] == trace and not s["parent"])


def test_tracing_is_off_and_not_imported_by_default() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DECOMPOSE_OTEL"))}
    code = (
        "import sys; from workflow_core.nodes.hooks import standard_hooks; hooks = standard_hooks(None); "
        "print([type(h).__name__ for h in hooks], any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.stdout.strip() == "['CollectPage'] False", proc.stderr
    on = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "PYTHONPATH": str(ROOT), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert on.stdout.strip() == "['CollectPage', 'TraceRuns'] True", on.stderr


def test_decompose_run_with_otel_exports_its_trace(cli_env, otlp_receiver, tmp_path) -> None:
    endpoint, spans = otlp_receiver
    proc = subprocess.run(
        [sys.executable, "-m", "workflow_core.cli.main", "run", "seed", "--scenario", str(ROOT / "assets" / "example_scenario"),
         "--profile", "kiri-mining", "--all-models", "fake/small", "--out", str(tmp_path / "out"), "--otel"],
        env={**cli_env, "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert {s["name"] for s in spans} >= {"run seed", "chat small (personalizer)", "chat small (developer)"}
