"""The lab benchmark: an experiment at concurrency 4 against the same experiment one trial at a time, on the
scripted server (a child process), with static and with rendered checks."""

from __future__ import annotations

import asyncio
import heapq
import time
from typing import Any

from workflow_core.bench.scripted import MODEL_REF, scripted_engine, scripted_server_process, temporary_store
from workflow_core.lab.experiment import ExperimentSpec, Variant
from workflow_core.lab.trials import run_experiment
from workflow_core.quality.render import Renderer
from workflow_core.run.offload import warm_up
from workflow_core.scenario import load_scenario
from workflow_core.workspace import EXAMPLE_SCENARIO


def measure_lab(concurrency: int = 4, latency_s: float = 0.2) -> dict[str, Any]:
    """An experiment (single and seed, 2 repeats, the example's profiles) one trial at a time and at
    `concurrency`, each pass on a fresh store, warm page workers and a fresh renderer that remembers no
    page (a renderer warm from the first pass would flatter the second). Static checks measure the lab's
    own concurrency; rendered checks add Chromium, which renders a page or two at a time. One at a time is
    what the lab did before it could overlap trials: each trial to its end. `shape_bound_s` is the least
    time the one-at-a-time trials' own node times take on `concurrency` slots in the runner's order (a
    single trial is one call, a seed trial two; no schedule beats it)."""
    scenario = load_scenario(EXAMPLE_SCENARIO)
    walls: dict[tuple[str, int], float] = {}
    trial_s: dict[tuple[str, int], list[float]] = {}
    with scripted_server_process(latency_s) as url:
        for checks in ("static", "rendered"):
            for c in (1, concurrency):
                spec = ExperimentSpec(
                    name=f"bench c={c}",
                    variants=[Variant(name=v, workflow=v, all_models=MODEL_REF) for v in ("single", "seed")],
                    repeats=2,
                )
                renderer = Renderer(recent_pages=0) if checks == "rendered" else None

                async def go(
                    spec: ExperimentSpec = spec, c: int = c, renderer: Renderer | None = renderer
                ) -> tuple[float, list[float]]:
                    with temporary_store() as store:
                        async with scripted_engine(url, store, render=renderer or False) as engine:
                            await asyncio.to_thread(warm_up)
                            t0 = time.perf_counter()
                            exp = await run_experiment(spec, scenario, engine, concurrency=c)
                            wall = time.perf_counter() - t0
                            assert all(t.ok for t in exp.trials), [t.error for t in exp.trials]
                            return wall, [t.run.wall_s if t.run else 0.0 for t in exp.trials]

                try:
                    walls[(checks, c)], trial_s[(checks, c)] = asyncio.run(go())
                finally:
                    if renderer is not None:
                        renderer.close()
    shape_bound = list_schedule(trial_s[("static", 1)], concurrency)
    return {
        "trials": 2 * len(scenario.profiles) * 2,
        "concurrency": concurrency,
        "wall_s_one_at_a_time": walls[("static", 1)],
        f"wall_s_concurrency_{concurrency}": walls[("static", concurrency)],
        "speedup": walls[("static", 1)] / walls[("static", concurrency)],
        "shape_bound_s": shape_bound,
        "shape_bound_speedup": walls[("static", 1)] / shape_bound,
        "rendered_wall_s_one_at_a_time": walls[("rendered", 1)],
        f"rendered_wall_s_concurrency_{concurrency}": walls[("rendered", concurrency)],
        "rendered_speedup": walls[("rendered", 1)] / walls[("rendered", concurrency)],
    }


def list_schedule(durations: list[float], slots: int) -> float:
    """When the last of `durations` ends, each started in order on the first of `slots` to come free."""
    free = [0.0] * max(1, slots)
    for d in durations:
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)
