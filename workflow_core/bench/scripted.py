"""What the production benchmarks share: the scripted server in a child process (so its threads do not take
the measured process's CPU), an engine on it with known prices, and many distinct visitor profiles."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import ModelPrice, PriceBook
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.quality.render import Renderer
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario import Scenario

MODEL_REF = "fake/small"
PRICES = PriceBook(
    overrides={MODEL_REF: ModelPrice(input_per_mtok=0.4, output_per_mtok=1.6, source="benchmark")}
)


def serve_until_stdin_closes(latency_s: float) -> None:
    """Run the scripted server, print its base URL, and stop when stdin closes (the parent went away)."""
    from workflow_core.testing.fake_server import FakeOpenAIServer

    with FakeOpenAIServer(models=["small"]) as server:
        server.latency_s = latency_s
        print(server.base_url, flush=True)
        sys.stdin.read()


@contextmanager
def scripted_server_process(latency_s: float) -> Iterator[str]:
    """The scripted OpenAI-compatible server in a child process, every call taking `latency_s`; yields its
    base URL."""
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    code = f"from workflow_core.bench.scripted import serve_until_stdin_closes as s; s({latency_s!r})"
    process = subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise RuntimeError(f"the scripted server process did not start (it printed {url!r})")
        yield url
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


def scripted_engine(
    base_url: str, store: Store, *, use_cache: bool = True, render: bool | Renderer = True
) -> Engine:
    """An engine whose provider `fake` (model `small`, priced) is the scripted server, with the product's
    hooks (collect the page, check it (`render`: see `CollectPage`), save the run)."""
    registry = ProviderRegistry()
    registry.add(OpenAICompatProvider("fake", base_url, None), models=["small"])
    hooks = standard_hooks(store, render=render)
    return Engine(registry, prices=PRICES, store=store, use_cache=use_cache, hooks=hooks)


def many_profiles(scenario: Scenario, n: int) -> dict[str, dict[str, Any]]:
    """`n` distinct visitors, each a scenario profile with its own name and employer (so no two runs share a
    cached node)."""
    base = list(scenario.profiles.values())
    out: dict[str, dict[str, Any]] = {}
    for i in range(n):
        profile = dict(base[i % len(base)])
        profile["name"] = f"{profile.get('name', 'Visitor')} {i}"
        profile["employer"] = f"{profile.get('employer', 'Company')} {i}"
        out[f"visitor-{i:04d}"] = profile
    return out


@contextmanager
def temporary_store() -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.sqlite3")
        try:
            yield store
        finally:
            store.close()
