"""Engine overhead per node: our engine and LangGraph against direct provider calls, in the same run, on the
same scripted server (0 ms latency) and the same DAG shapes.

Every contender streams (SSE) through a fresh `OpenAICompatProvider` per round and sends identical requests;
direct calls run a DAG layer by layer with `asyncio.gather` (a chain one call after another). One warm-up
round, then `rounds` rounds with the contenders' order rotated; a contender's overhead is the median over
rounds of (its time − direct time in the same round) per node. Our engine gets a fresh SQLite store per round,
so with the cache on every lookup misses and every result is written, as in a first run. LangGraph's graph is
compiled before its timing starts (its usual use: compile once, invoke many); our engine's per-run
validation is timed.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from workflow_core.bench import langgraph_runner
from workflow_core.bench.shapes import MODEL_REF, Shape
from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.testing.fake_server import FakeOpenAIServer

PROVIDER, MODEL = MODEL_REF.split("/")
# One round of a contender: seconds taken and every node's output.
Contender = Callable[[int], Awaitable[tuple[float, dict[str, str]]]]


def _caller(provider: OpenAICompatProvider) -> Callable[[str], Awaitable[str]]:
    async def call(prompt: str) -> str:
        # The engine's request for an agent node with default params.
        request = ChatRequest(
            model=MODEL, messages=[{"role": "user", "content": prompt}], max_tokens=512, temperature=0.7
        )
        return (await provider.chat(request)).text

    return call


def _contenders(shape: Shape, base_url: str, store_dir: Path, use_cache: bool) -> dict[str, Contender]:
    workflow = shape.workflow()
    layers = shape.layers()

    async def direct(_round: int) -> tuple[float, dict[str, str]]:
        provider = OpenAICompatProvider(PROVIDER, base_url, None)
        call = _caller(provider)
        outputs: dict[str, str] = {}
        t0 = time.perf_counter()
        for layer in layers:
            if len(layer) == 1:  # a chain: one call after another, no task to schedule
                outputs[layer[0]] = await call(shape.prompt(layer[0], outputs))
            else:
                texts = await asyncio.gather(*(call(shape.prompt(n, outputs)) for n in layer))
                outputs.update(zip(layer, texts, strict=True))
        elapsed = time.perf_counter() - t0
        await provider.aclose()
        return elapsed, outputs

    async def engine(round_: int) -> tuple[float, dict[str, str]]:
        registry = ProviderRegistry()
        registry.add(OpenAICompatProvider(PROVIDER, base_url, None), models=[MODEL])
        store = Store(store_dir / f"{shape.name}-{round_}.sqlite3")
        try:
            engine = Engine(registry, prices=PriceBook(), store=store, use_cache=use_cache)
            t0 = time.perf_counter()
            run = await engine.run(workflow)
            elapsed = time.perf_counter() - t0
        finally:
            await registry.aclose()
            store.close()
        if run.status != "ok":
            errors = "; ".join(f"{n.id}: {n.error}" for n in run.nodes if n.error)
            raise DecomposeError(f"the engine's benchmark run of '{shape.name}' ended {run.status}: {errors}")
        return elapsed, {n.id: n.output_text for n in run.nodes}

    async def langgraph(_round: int) -> tuple[float, dict[str, str]]:
        provider = OpenAICompatProvider(PROVIDER, base_url, None)
        compiled = langgraph_runner.compile_graph(shape, _caller(provider))
        t0 = time.perf_counter()
        outputs = await langgraph_runner.run_graph(compiled, shape)
        elapsed = time.perf_counter() - t0
        await provider.aclose()
        return elapsed, outputs

    return {"direct": direct, "engine": engine, "langgraph": langgraph}


async def _measure(shape: Shape, rounds: int, names: list[str], use_cache: bool) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in names}
    with FakeOpenAIServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.latency_s = 0.0
        contenders = _contenders(shape, server.base_url, Path(tmp), use_cache)
        for round_ in range(-1, rounds):  # round -1 warms up: imports, connections, template caches
            turn = round_ % len(names)
            outputs: dict[str, dict[str, str]] = {}
            for name in names[turn:] + names[:turn]:
                gc.collect()  # so one contender's garbage is not collected in another's timing
                elapsed, outputs[name] = await contenders[name](round_)
                if round_ >= 0:
                    times[name].append(elapsed)
            for name, got in outputs.items():
                if got != outputs["direct"]:
                    raise DecomposeError(
                        f"{name} did not produce the direct calls' outputs on '{shape.name}': "
                        "the contenders did not run the same graph"
                    )
    return times


def measure_overhead(
    shape: Shape, rounds: int = 5, *, langgraph: bool = True, use_cache: bool = True
) -> dict[str, Any]:
    """Time direct calls, our engine and (when `langgraph` and it is installed) LangGraph on `shape`.

    Returns {"shape", "nodes", "rounds", "cache", "direct", "engine", "langgraph", "langgraph_skipped",
    "overhead_ratio", "time_ratio"}: each contender as {"median_s", "samples_s"}, engine and LangGraph also
    with "overhead_ms_per_node". "langgraph" is None when not measured, the reason in "langgraph_skipped".
    "overhead_ratio" is ours/LangGraph overhead per node (None when LangGraph was not measured or showed no
    overhead), "time_ratio" ours/LangGraph median time. Raises DecomposeError if a run fails or the
    contenders' outputs differ."""
    skipped = langgraph_runner.missing_reason() if langgraph else "not requested"
    names = ["direct", "engine"] + ([] if skipped else ["langgraph"])
    times = asyncio.run(_measure(shape, rounds, names, use_cache))

    def summary(name: str) -> dict[str, Any]:
        out: dict[str, Any] = {"median_s": statistics.median(times[name]), "samples_s": times[name]}
        if name != "direct":
            extra = [t - d for t, d in zip(times[name], times["direct"], strict=True)]
            out["overhead_ms_per_node"] = statistics.median(extra) / shape.size * 1000
        return out

    result: dict[str, Any] = {
        "shape": shape.name,
        "nodes": shape.size,
        "rounds": rounds,
        "cache": "on" if use_cache else "off",
        "direct": summary("direct"),
        "engine": summary("engine"),
        "langgraph": None if skipped else summary("langgraph"),
        "langgraph_skipped": skipped,
        "overhead_ratio": None,
        "time_ratio": None,
    }
    if result["langgraph"]:
        ours, theirs = result["engine"], result["langgraph"]
        result["time_ratio"] = ours["median_s"] / theirs["median_s"]
        if theirs["overhead_ms_per_node"] > 0:
            result["overhead_ratio"] = ours["overhead_ms_per_node"] / theirs["overhead_ms_per_node"]
    return result
