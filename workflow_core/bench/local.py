"""Local-model benchmarks: generation speed through our provider versus xllamacpp called directly, and peak
memory with both embedded models loaded. Both load real weights: seconds to minutes on a small CPU."""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path
from typing import Any

from workflow_core.providers.base import ChatRequest
from workflow_core.providers.local import LocalProvider
from workflow_core.providers.weights import LOCAL_MODELS

DEFAULT_PROMPT = (
    "Write the HTML for a landing page of a bakery called Crumb & Co: a header with navigation, a hero "
    "section with a headline and a call to action, three product cards, testimonials and a footer."
)


def _memory_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (VmRSS, VmHWM) in MB; 0.0 where unavailable."""
    try:
        text = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        return 0.0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024.0  # reported in kB
    return 0.0


def _peak_rss_mb() -> float:
    peak = _memory_mb("VmHWM")
    if peak:
        return peak
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux


def _messages(prompt: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": prompt}]


async def _throughput(
    model: str, prompt: str, max_tokens: int, rounds: int, threads: int | None
) -> dict[str, Any]:
    provider = LocalProvider(threads=threads)
    running = await asyncio.to_thread(provider._ensure_server_sync, model)
    body: dict[str, Any] = {
        "messages": _messages(prompt),
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 1,
    }

    async def through_provider() -> tuple[int, float]:
        request = ChatRequest(
            model=model,
            messages=_messages(prompt),
            max_tokens=max_tokens,
            temperature=0.0,
            seed=1,
            stream=True,
        )
        t0 = time.perf_counter()
        result = await provider.chat(request)
        return result.output_tokens, time.perf_counter() - t0

    async def direct() -> tuple[int, float]:
        # xllamacpp's in-process API: the same server and slots, no HTTP and no client code of ours.
        t0 = time.perf_counter()
        reply = await asyncio.to_thread(running.server.handle_chat_completions, dict(body))
        elapsed = time.perf_counter() - t0
        return int(reply["usage"]["completion_tokens"]), elapsed

    try:
        await through_provider()  # warm-up: first-call allocations and the prompt cache, for both paths alike
        provider_tps: list[float] = []
        direct_tps: list[float] = []
        for _ in range(rounds):
            n, s = await direct()
            direct_tps.append(n / s)
            n, s = await through_provider()
            provider_tps.append(n / s)
    finally:
        await provider.aclose()
    p, d = statistics.median(provider_tps), statistics.median(direct_tps)
    return {
        "model": model,
        "threads": running.threads,
        "max_tokens": max_tokens,
        "rounds": rounds,
        "provider_tps": p,
        "direct_tps": d,
        "ratio": p / d if d else 0.0,
    }


def measure_local_throughput(
    model: str = "qwen2.5-coder-0.5b",
    prompt: str = DEFAULT_PROMPT,
    max_tokens: int = 128,
    threads: int | None = None,
    rounds: int = 3,
) -> dict[str, Any]:
    """Generated tokens/s through `LocalProvider.chat` (the engine's path, streaming) versus xllamacpp's
    `handle_chat_completions` on the same server (same model, threads, prompt, greedy sampling); medians of
    `rounds` alternating calls after one warm-up. Returns provider_tps, direct_tps and their ratio."""
    return asyncio.run(_throughput(model, prompt, max_tokens, rounds, threads))


async def _adapter_speed(adapter_model: str, max_tokens: int, rounds: int) -> dict[str, Any]:
    provider = LocalProvider()
    base_model = adapter_model.partition("+")[0]
    servers = {
        m: await asyncio.to_thread(provider._ensure_server_sync, m) for m in (base_model, adapter_model)
    }
    body: dict[str, Any] = {
        "messages": _messages(DEFAULT_PROMPT),
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 1,
        "ignore_eos": True,  # the same number of tokens from both, whatever each would write
    }

    def generate(model: str) -> float:
        reply = servers[model].server.handle_chat_completions(dict(body))
        return float(reply["timings"]["predicted_per_second"])

    speeds: dict[str, list[float]] = {base_model: [], adapter_model: []}
    for model in speeds:  # warm-up: the prompt cache and first-call allocations, for both alike
        await asyncio.to_thread(generate, model)
    for _ in range(rounds):
        for model in speeds:  # alternating, so a change in the machine's load hits both
            speeds[model].append(await asyncio.to_thread(generate, model))
    base, adapted = statistics.median(speeds[base_model]), statistics.median(speeds[adapter_model])
    return {
        "model": adapter_model,
        "base": base_model,
        "threads": servers[base_model].threads,
        "max_tokens": max_tokens,
        "rounds": rounds,
        "base_tps": base,
        "adapter_tps": adapted,
        "ratio": adapted / base if base else 0.0,
    }


def measure_adapter_speed(adapter_model: str, max_tokens: int = 128, rounds: int = 5) -> dict[str, Any]:
    """Generated tokens/s of a trained adapter (`BASE+NAME`) against its base model: llama.cpp's own timing of
    the generation (prompt excluded), greedy, `max_tokens` each whatever the text, median of `rounds`
    alternating calls after a warm-up of each. Target: the adapter at ≥ 0.9× its base."""
    return asyncio.run(_adapter_speed(adapter_model, max_tokens, rounds))


def measure_peak_memory_both_models(threads: int | None = None) -> dict[str, Any]:
    """Peak resident memory (MB) of this process with both embedded models loaded and each having answered
    one short prompt (so compute buffers are allocated too)."""
    baseline = _memory_mb("VmRSS")
    provider = LocalProvider(threads=threads)

    async def load_both() -> None:
        try:
            for model in LOCAL_MODELS:
                await provider.chat(ChatRequest(model=model, messages=_messages("Say hi."), max_tokens=8))
        finally:
            await provider.aclose()

    asyncio.run(load_both())
    return {
        "models": list(LOCAL_MODELS),
        "baseline_mb": baseline,
        "rss_mb": _memory_mb("VmRSS"),
        "peak_mb": _peak_rss_mb(),
    }


def measure_seed_page(profile: str = "dana-mining") -> dict[str, Any]:
    """`seed` on the embedded small model for one example profile, uncached, as a user runs it (the product's
    hooks: the page is checked, rendered where Chromium is installed): its wall time against its critical path
    (the longest chain of node latencies: the floor any scheduler could reach), cost and quality."""
    from workflow_core.bench.scripted import temporary_store
    from workflow_core.nodes.hooks import standard_hooks
    from workflow_core.providers.registry import ProviderRegistry
    from workflow_core.run.engine import Engine
    from workflow_core.run.inputs import RunInputs
    from workflow_core.scenario import load_scenario
    from workflow_core.workflow.templates import resolve_workflow
    from workflow_core.workspace import EXAMPLE_SCENARIO, price_book

    scenario = load_scenario(EXAMPLE_SCENARIO)
    workflow = resolve_workflow("seed")

    async def go() -> dict[str, Any]:
        with temporary_store() as store:
            registry = ProviderRegistry.from_environment()
            engine = Engine(
                registry,
                prices=price_book(None, registry),
                store=store,
                use_cache=False,
                hooks=standard_hooks(store),
            )
            async with engine:
                run = await engine.run(workflow, RunInputs.for_profile(scenario, profile))
        return {
            "profile": profile,
            "status": run.status,
            "wall_s": run.wall_s,
            "critical_path_s": run.critical_path_s,
            "wall_over_critical_path": run.wall_s / run.critical_path_s if run.critical_path_s else None,
            "cost_usd": run.total_cost_usd,
            "estimated_cost_usd": run.estimated_cost_usd,
            "qa_score": run.qa_score,
            "nodes": {n.id: round(n.latency_s, 2) for n in run.nodes if n.model},
        }

    return asyncio.run(go())
