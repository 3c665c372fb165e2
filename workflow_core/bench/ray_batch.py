"""The Ray benchmark: the same batch of `seed` runs in this process and as Ray tasks on a local instance.
Optional: it measures nothing without Ray (pip install -e '.[ray]')."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from workflow_core.bench.batch import throughput, visitors
from workflow_core.bench.scripted import scripted_server_process


def measure_ray(n: int = 24, concurrency: int = 2, latency_s: float = 0.2) -> dict[str, Any] | None:
    """The same batch of `seed` runs in this process and as Ray tasks on a local instance (`concurrency`
    worker actors, each with its own engine), static checks on both sides. None without Ray."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return None
    from workflow_core.production.ray_runner import RayRunner

    scenario = visitors(2 * n + concurrency)
    ids = list(scenario.profiles)
    with scripted_server_process(latency_s) as url, tempfile.TemporaryDirectory() as folder:
        providers = Path(folder) / "providers.yaml"
        providers.write_text(
            f"providers:\n  fake:\n    type: openai\n    base_url: {url}\n    models: [small]\n",
            encoding="utf-8",
        )
        before = os.environ.get("DECOMPOSE_PROVIDERS")
        os.environ["DECOMPOSE_PROVIDERS"] = str(providers)
        try:
            # Static checks on both sides: this compares the runners, not Chromiums (each Ray worker starts
            # its own, and the process's renderer remembers pages that repeat here). No node cache on
            # either: a Ray worker's engine has none (the driver keeps the store), and here the scripted
            # server's alike answers would serve the developer's call from it after the first few runs.
            in_process = asyncio.run(
                throughput(url, scenario, ids[:n], concurrency, render=False, use_cache=False)
            )
            t0 = time.perf_counter()
            runner = RayRunner("local", concurrency, None, num_cpus=os.cpu_count(), render=False)
            runner.worker_pids()  # the actors are up
            startup = time.perf_counter() - t0
            try:
                warm = asyncio.run(
                    throughput(url, scenario, ids[n : n + concurrency], concurrency, runner, render=False)
                )
                on_ray = asyncio.run(
                    throughput(url, scenario, ids[n + concurrency :], concurrency, runner, render=False)
                )
            finally:
                runner.close()
        finally:
            if before is None:
                os.environ.pop("DECOMPOSE_PROVIDERS", None)
            else:
                os.environ["DECOMPOSE_PROVIDERS"] = before
    return {
        "runs": n,
        "concurrency": concurrency,
        "in_process": in_process,
        "ray_startup_s": startup,
        "ray_first_runs_wall_s": warm["wall_s"],
        "ray": on_ray,
        "ratio_to_in_process": on_ray["runs_per_s"] / in_process["runs_per_s"],
        "overhead_s_per_run": (on_ray["wall_s"] / on_ray["runs"] - in_process["wall_s"] / in_process["runs"])
        * concurrency,
    }
