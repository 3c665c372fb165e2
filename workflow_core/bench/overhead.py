"""Engine overhead per node: our engine and LangGraph against direct provider calls, in the same run, on the
same scripted server (0 ms latency) and the same DAG shapes.

Every contender streams (SSE) through a fresh `OpenAICompatProvider` per round and sends identical requests;
direct calls run a DAG layer by layer with `asyncio.gather` (a chain one call after another). One warm-up
round, then `rounds` rounds with the contenders' order rotated; a contender's overhead is the median over
rounds of (its time − direct time in the same round) per node, in wall time and, steadier when other
processes load the machine, in CPU time. Our engine runs as the app, `serve` and `batch` run it: its standard
hooks (the run is saved) on one SQLite store open for the whole measurement, whose node cache is emptied
before each round (outside the timing), so with the cache on every lookup misses and every result is written,
as in a first run. (A fresh database per round, as before, timed the first use of a connection, such as
preparing the statistics queries, on every run: about 150 µs a run that no long-lived process pays.)
LangGraph's graph is compiled before its timing starts (its usual use: compile once, invoke many); our
engine's per-run planning and validation are timed.
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from workflow_core.bench import langgraph_runner
from workflow_core.bench.shapes import MODEL_REF, Shape
from workflow_core.errors import DecomposeError
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.testing.fake_server import FakeOpenAIServer

PROVIDER, MODEL = MODEL_REF.split("/")


class _Clock:
    """Wall and CPU seconds of a block. CPU time counts every thread of this process (the scripted server's
    too, the same for every contender) and not the time other processes take the cores: under load from
    elsewhere it is the steadier measure."""

    wall = cpu = 0.0

    def __enter__(self) -> _Clock:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


# One round of a contender: its clock and every node's output.
Contender = Callable[[int], Awaitable[tuple[_Clock, dict[str, str]]]]


def _caller(provider: OpenAICompatProvider) -> Callable[[str], Awaitable[str]]:
    async def call(prompt: str) -> str:
        # The engine's request for an agent node with default params.
        request = ChatRequest(
            model=MODEL, messages=[{"role": "user", "content": prompt}], max_tokens=512, temperature=0.7
        )
        return (await provider.chat(request)).text

    return call


def _contenders(shape: Shape, base_url: str, store: Store, use_cache: bool) -> dict[str, Contender]:
    workflow = shape.workflow()
    layers = shape.layers()

    async def direct(_round: int) -> tuple[_Clock, dict[str, str]]:
        provider = OpenAICompatProvider(PROVIDER, base_url, None)
        call = _caller(provider)
        outputs: dict[str, str] = {}
        with _Clock() as clock:
            for layer in layers:
                if len(layer) == 1:  # a chain: one call after another, no task to schedule
                    outputs[layer[0]] = await call(shape.prompt(layer[0], outputs))
                else:
                    texts = await asyncio.gather(*(call(shape.prompt(n, outputs)) for n in layer))
                    outputs.update(zip(layer, texts, strict=True))
        await provider.aclose()
        return clock, outputs

    async def engine(_round: int) -> tuple[_Clock, dict[str, str]]:
        registry = ProviderRegistry()
        registry.add(OpenAICompatProvider(PROVIDER, base_url, None), models=[MODEL])
        store.cache_clear()  # every lookup misses, as in a first run
        engine = Engine(
            registry, prices=PriceBook(), store=store, use_cache=use_cache, hooks=standard_hooks(store)
        )
        async with engine:
            with _Clock() as clock:
                run = await engine.run(workflow)
        if run.status != "ok":
            errors = "; ".join(f"{n.id}: {n.error}" for n in run.nodes if n.error)
            raise DecomposeError(f"the engine's benchmark run of '{shape.name}' ended {run.status}: {errors}")
        return clock, {n.id: n.output_text for n in run.nodes}

    async def langgraph(_round: int) -> tuple[_Clock, dict[str, str]]:
        provider = OpenAICompatProvider(PROVIDER, base_url, None)
        compiled = langgraph_runner.compile_graph(shape, _caller(provider))
        with _Clock() as clock:
            outputs = await langgraph_runner.run_graph(compiled, shape)
        await provider.aclose()
        return clock, outputs

    return {"direct": direct, "engine": engine, "langgraph": langgraph}


async def _measure(shape: Shape, rounds: int, names: list[str], use_cache: bool) -> dict[str, list[_Clock]]:
    clocks: dict[str, list[_Clock]] = {name: [] for name in names}
    with FakeOpenAIServer() as server, tempfile.TemporaryDirectory() as tmp:
        server.latency_s = 0.0
        store = Store(Path(tmp) / f"{shape.name}.sqlite3")
        try:
            contenders = _contenders(shape, server.base_url, store, use_cache)
            for round_ in range(-1, rounds):  # round -1 warms up: imports, connections, template caches
                turn = round_ % len(names)
                outputs: dict[str, dict[str, str]] = {}
                for name in names[turn:] + names[:turn]:
                    gc.collect()  # so one contender's garbage is not collected in another's timing
                    clock, outputs[name] = await contenders[name](round_)
                    if round_ >= 0:
                        clocks[name].append(clock)
                for name, got in outputs.items():
                    if got != outputs["direct"]:
                        raise DecomposeError(
                            f"{name} did not produce the direct calls' outputs on '{shape.name}': "
                            "the contenders did not run the same graph"
                        )
        finally:
            store.close()
    return clocks


def measure_overhead(
    shape: Shape, rounds: int = 5, *, langgraph: bool = True, use_cache: bool = True
) -> dict[str, Any]:
    """Time direct calls, our engine and (when `langgraph` and it is installed) LangGraph on `shape`.

    Returns {"shape", "nodes", "rounds", "cache", "direct", "engine", "langgraph", "langgraph_skipped",
    "overhead_ratio", "time_ratio", "load_average"}: each contender as {"median_s", "samples_s" (wall),
    "cpu_median_s"}, engine and LangGraph also with "overhead_ms_per_node" and "cpu_overhead_ms_per_node". "langgraph" is None when not measured, the reason in "langgraph_skipped".
    "overhead_ratio" is ours/LangGraph overhead per node (None when LangGraph was not measured or showed no
    overhead), "time_ratio" ours/LangGraph median time. Raises DecomposeError if a run fails or the
    contenders' outputs differ."""
    skipped = langgraph_runner.missing_reason() if langgraph else "not requested"
    names = ["direct", "engine"] + ([] if skipped else ["langgraph"])
    load = os.getloadavg()[0]  # other work on the machine makes wall times noisy: say how busy it was
    clocks = asyncio.run(_measure(shape, rounds, names, use_cache))

    def per_node_ms(name: str, field: str) -> float:
        pairs = zip(clocks[name], clocks["direct"], strict=True)
        return statistics.median(getattr(c, field) - getattr(d, field) for c, d in pairs) / shape.size * 1000

    def summary(name: str) -> dict[str, Any]:
        walls, cpus = [c.wall for c in clocks[name]], [c.cpu for c in clocks[name]]
        out: dict[str, Any] = {
            "median_s": statistics.median(walls),
            "samples_s": walls,
            "cpu_median_s": statistics.median(cpus),
        }
        if name != "direct":
            out["overhead_ms_per_node"] = per_node_ms(name, "wall")
            out["cpu_overhead_ms_per_node"] = per_node_ms(name, "cpu")
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
        "load_average": load,
    }
    if result["langgraph"]:
        ours, theirs = result["engine"], result["langgraph"]
        result["time_ratio"] = ours["median_s"] / theirs["median_s"]
        if theirs["overhead_ms_per_node"] > 0:
            result["overhead_ratio"] = ours["overhead_ms_per_node"] / theirs["overhead_ms_per_node"]
    return result
