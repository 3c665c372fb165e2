"""`decompose bench`: the speed and memory targets, each measured against a baseline in the same run.

- engine overhead per node: a chain of agents through the engine versus the same calls made directly with the
  provider, against the scripted server at 0 ms latency (target ≤ 2 ms per node);
- local tokens/s through our provider versus xllamacpp's server called directly (target ratio ≥ 0.95);
- peak memory with both local models loaded (target < 3 GB).
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from workflow_core.pricing.book import PriceBook
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.testing.fake_server import FakeOpenAIServer
from workflow_core.workflow.spec import Edge, Node, Workflow


def _chain(n: int) -> Workflow:
    nodes = [Node(id="n0", model="bench/m", prompt="go")]
    nodes += [
        Node(id=f"n{i}", model="bench/m", prompt=f"step {i} after {{{{ n{i - 1} }}}}") for i in range(1, n)
    ]
    edges = [Edge(source=f"n{i - 1}", target=f"n{i}") for i in range(1, n)]
    return Workflow(name="bench-chain", nodes=nodes, edges=edges)


async def _engine_overhead(n_nodes: int, rounds: int) -> dict[str, float]:
    server = FakeOpenAIServer()
    server.start()
    server.latency_s = 0.0
    try:
        workflow = _chain(n_nodes)
        direct_times: list[float] = []
        engine_times: list[float] = []
        with tempfile.TemporaryDirectory() as tmp:
            for r in range(rounds):
                provider = OpenAICompatProvider("bench", server.base_url, None)
                t0 = time.perf_counter()
                previous = ""
                for i in range(n_nodes):
                    prompt = "go" if i == 0 else f"step {i} after {previous}"
                    result = await provider.chat(
                        ChatRequest(
                            model="m",
                            messages=[{"role": "user", "content": prompt}],
                            max_tokens=512,
                            temperature=0.7,
                        )
                    )
                    previous = result.text
                direct_times.append(time.perf_counter() - t0)
                await provider.aclose()

                registry = ProviderRegistry()
                registry.add(OpenAICompatProvider("bench", server.base_url, None), models=["m"])
                store = Store(Path(tmp) / f"bench-{r}.sqlite3")
                engine = Engine(registry, prices=PriceBook(), store=store, use_cache=True)
                t0 = time.perf_counter()
                run = await engine.run(workflow)
                engine_times.append(time.perf_counter() - t0)
                assert run.status == "ok", [n.error for n in run.nodes if n.error]
                await registry.aclose()
                store.close()
    finally:
        server.stop()
    direct, through = statistics.median(direct_times), statistics.median(engine_times)
    return {
        "nodes": n_nodes,
        "direct_s": direct,
        "engine_s": through,
        "overhead_ms_per_node": (through - direct) / n_nodes * 1000,
        "ratio": through / direct,
    }


def main(quick: bool = False) -> int:
    print("Decompose Studio benchmarks (each against a baseline measured in this run)\n")
    eo = asyncio.run(_engine_overhead(n_nodes=40, rounds=5))
    verdict = "OK" if eo["overhead_ms_per_node"] <= 2.0 else "OVER TARGET"
    print(
        f"engine overhead: {eo['nodes']}-node chain, scripted server at 0 ms latency\n"
        f"  direct provider calls {eo['direct_s'] * 1000:8.1f} ms   through the engine {eo['engine_s'] * 1000:8.1f} ms"
        f"   ratio {eo['ratio']:.2f}\n"
        f"  overhead per node {eo['overhead_ms_per_node']:.2f} ms (target ≤ 2 ms): {verdict}\n"
    )
    if quick:
        print("local-model benchmarks skipped (--quick)")
        return 0
    from workflow_core.bench.local import measure_local_throughput, measure_peak_memory_both_models

    tp = measure_local_throughput()
    verdict = "OK" if tp["ratio"] >= 0.95 else "UNDER TARGET"
    print(
        "local throughput: qwen2.5-coder-0.5b, same prompt, threads and max_tokens\n"
        f"  xllamacpp direct {tp['direct_tps']:.1f} tok/s   our provider {tp['provider_tps']:.1f} tok/s"
        f"   ratio {tp['ratio']:.3f} (target ≥ 0.95): {verdict}\n"
    )
    mem = measure_peak_memory_both_models()
    peak = float(mem["peak_mb"])
    verdict = "OK" if peak < 3 * 1024 else "OVER TARGET"
    print(
        f"peak memory with both local models loaded: {peak:.0f} MB "
        f"(baseline before loading {float(mem.get('baseline_mb', 0)):.0f} MB; target < 3072 MB): {verdict}"
    )
    return 0
