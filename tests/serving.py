"""`decompose serve` in a test: uvicorn on 127.0.0.1 in front of the engine, the engine in front of the
scripted model server (the `serve` fixture), and a listener that counts what reaches it."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import uvicorn

from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.production.serve import ServeConfig, create_app
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario import load_scenario
from workflow_core.workflow.templates import resolve_workflow

EXAMPLE = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
PRICES = PriceBook(
    overrides={"fake/small": ModelPrice(input_per_mtok=1.0, output_per_mtok=2.0, source="test")}
)
DANA = json.loads((EXAMPLE / "profiles" / "dana-mining.json").read_text())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def serve(fake_openai, tmp_path) -> Iterator[Callable[..., str]]:
    """Start the app on 127.0.0.1 serving `workflow` (default seed) on the example scenario with the given
    ServeConfig options, every node on the scripted server's model; returns its base URL."""
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(workflow: str = "seed", render: bool = True, **options: object) -> str:
        store = Store(tmp_path / f"serve-{len(servers)}.sqlite3")

        def engine() -> Engine:
            registry = ProviderRegistry()
            registry.add(OpenAICompatProvider("fake", fake_openai.base_url, None), models=["small"])
            return Engine(registry, prices=PRICES, store=store, hooks=standard_hooks(store, render=render))

        config = ServeConfig(
            workflow=resolve_workflow(workflow).with_models(None, "fake/small"),
            scenario=load_scenario(EXAMPLE),
            **options,  # type: ignore[arg-type]
        )
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(config, engine), host="127.0.0.1", port=port, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        servers.append((server, thread))
        deadline = time.time() + 30
        while not server.started and time.time() < deadline:
            time.sleep(0.02)
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


class Listener:
    """An HTTP server on 127.0.0.1 that answers everything with 204 and counts what it was asked for: where
    a page's beacon, script, picture or form would land."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def _count(self) -> None:
                hits.append(f"{self.command} {self.path}")
                self.send_response(204)
                self.end_headers()

            do_GET = do_POST = do_PUT = do_OPTIONS = do_HEAD = _count

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
