"""The batch benchmark: `seed` (two model calls in a chain, so the limit is C / (2 × latency) runs/s) over
many profiles at concurrency C on the scripted server (a child process), against that limit, one run at a
time and the CPU the machine has. `throughput` measures one batch; the Ray benchmark (`ray_batch`) reuses
it."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from pathlib import Path
from typing import Any

from workflow_core.bench.scripted import (
    MODEL_REF,
    many_profiles,
    scripted_engine,
    scripted_server_process,
    temporary_store,
)
from workflow_core.quality.render import Renderer
from workflow_core.run.inputs import RunInputs
from workflow_core.run.many import Executor, RunJob, run_many
from workflow_core.run.offload import warm_up
from workflow_core.scenario import Scenario, load_scenario
from workflow_core.workflow.templates import resolve_workflow
from workflow_core.workspace import EXAMPLE_SCENARIO


def visitors(n: int) -> Scenario:
    """The example scenario with `n` distinct visitor profiles."""
    scenario = load_scenario(EXAMPLE_SCENARIO)
    return scenario.model_copy(update={"profiles": many_profiles(scenario, n)})


def _cpu_s_by_process() -> dict[int, float]:
    """CPU seconds (user + system) so far of this process and every process under it: the page workers,
    the scripted server, Chromium. Empty where /proc cannot be read (not Linux)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    stats: dict[int, tuple[int, float]] = {}  # pid -> (parent, cpu s)
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = entry.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        stats[int(entry.parent.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    mine, frontier = {os.getpid()}, [os.getpid()]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _) in stats.items():
            if ppid == parent and pid not in mine:
                mine.add(pid)
                frontier.append(pid)
    return {pid: stats[pid][1] for pid in mine if pid in stats}


def _cpu_used(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


async def throughput(
    url: str,
    scenario: Scenario,
    ids: list[str],
    concurrency: int,
    executor: Executor | None = None,
    *,
    render: bool | Renderer = True,
    use_cache: bool = True,
    finishing: int | None = None,
) -> dict[str, Any]:
    workflow = resolve_workflow("seed").with_models(None, MODEL_REF)
    with temporary_store() as store:
        async with scripted_engine(url, store, use_cache=use_cache, render=render) as engine:
            jobs = [RunJob(p, workflow, RunInputs.for_profile(scenario, p)) for p in ids]
            await asyncio.to_thread(warm_up)  # the page workers are up before the clock starts
            t0, cpu0, tree0 = time.perf_counter(), time.process_time(), _cpu_s_by_process()
            outcomes = await run_many(
                engine, jobs, concurrency=concurrency, executor=executor, finishing=finishing
            )
            wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
            all_cpu = _cpu_used(tree0, _cpu_s_by_process())
    return {
        "runs": len(ids),
        "ok": sum(o.ok for o in outcomes),
        "wall_s": wall,
        "runs_per_s": len(ids) / wall,
        "cpu_ms_per_run": cpu / len(ids) * 1000,
        "median_run_s": statistics.median(o.elapsed_s for o in outcomes),
        # Start to last node: the time a run holds its place among the runs calling models.
        "median_nodes_s": statistics.median(o.run.wall_s for o in outcomes if o.run is not None),
        # Every process's share: this one, the page workers, the scripted server (and Chromium, rendered).
        "all_cpu_ms_per_run": all_cpu / len(ids) * 1000 if all_cpu else None,
    }


def measure_batch(
    n: int = 200,
    concurrency: int = 16,
    latency_s: float = 0.2,
    baseline_runs: int = 10,
    rendered_runs: int = 24,
) -> dict[str, Any]:
    """`seed` over `n` distinct visitors at `concurrency`, every model call made (no node cache: the scripted
    server answers every visitor alike, so a cache would serve the developer's call after the first few),
    with static checks; then `rendered_runs` with the checks rendered in Chromium, each page afresh (the
    visitors' pages repeat here, as real visitors' would not). Against the limit C / (2 × latency), one
    run at a time, and the machine: `cpu_ceiling_runs_per_s` is what its cores could do at the CPU a run
    takes in every process together."""
    scenario = visitors(n + baseline_runs + rendered_runs)
    ids = list(scenario.profiles)
    limit = concurrency / (2 * latency_s)
    with scripted_server_process(latency_s) as url:
        one = asyncio.run(
            throughput(url, scenario, ids[n : n + baseline_runs], 1, render=False, use_cache=False)
        )
        many = asyncio.run(throughput(url, scenario, ids[:n], concurrency, render=False, use_cache=False))
        # The same batch with each run holding its place through its checks and save (finishing=0).
        held = asyncio.run(
            throughput(url, scenario, ids[:n], concurrency, render=False, use_cache=False, finishing=0)
        )
        # Concurrency 4, where this machine's CPU is not the limit: each run held, then overlapped.
        moderate = {
            way: asyncio.run(
                throughput(url, scenario, ids[: n // 2], 4, render=False, use_cache=False, finishing=f)
            )
            for way, f in (("held", 0), ("overlapped", None))
        }
        renderer = Renderer(recent_pages=0)
        try:
            rendered = asyncio.run(
                throughput(
                    url, scenario, ids[n + baseline_runs :], concurrency, render=renderer, use_cache=False
                )
            )
        finally:
            renderer.close()
    cores = os.cpu_count() or 1
    # What C runs at once could do if each held its place as long as one run alone does: to its last node,
    # the scripted server's own overhead per call and the page's assembly included (the limit counts the 2
    # calls' latency only); its checks and save come after it leaves its place.
    unloaded_bound = concurrency / one["median_nodes_s"]
    per_run = many["all_cpu_ms_per_run"]
    ceiling = cores / (per_run / 1000) if per_run else None
    return {
        "latency_s": latency_s,
        "concurrency": concurrency,
        "limit_runs_per_s": limit,
        "cores": cores,
        "one_at_a_time": one,
        "concurrent": many,
        "rendered": rendered,
        "rendered_pages_at_once": renderer.pages_at_once,
        "ratio_to_limit": many["runs_per_s"] / limit,
        "speedup_vs_one_at_a_time": many["runs_per_s"] / one["runs_per_s"],
        "cpu_ceiling_runs_per_s": ceiling,
        "unloaded_run_s": one["median_run_s"],
        "unloaded_nodes_s": one["median_nodes_s"],
        "unloaded_bound_runs_per_s": unloaded_bound,
        "ratio_to_unloaded_bound": many["runs_per_s"] / unloaded_bound,
        "ratio_to_reachable": many["runs_per_s"] / min(limit, ceiling) if ceiling else None,
        "rendered_ratio_to_limit": rendered["runs_per_s"] / limit,
        "held": held,
        "held_ratio_to_limit": held["runs_per_s"] / limit,
        "moderate_limit_runs_per_s": 4 / (2 * latency_s),
        "moderate_held": moderate["held"],
        "moderate_overlapped": moderate["overlapped"],
    }
