"""The production benchmarks, each a ratio against a baseline measured in the same run, on the scripted server
(a child process) at a fixed latency per call:

- batch: `seed` (two model calls in a chain, so the limit is C / (2 × latency) runs/s) over many profiles at
  concurrency C, against that limit and against one run at a time;
- lab: an experiment at concurrency 4 against the same experiment one trial at a time;
- serve: `decompose serve` in its own process under N requests at K concurrent, half of them repeats:
  p50/p95 latency, errors, and the repeats' p95 (a repeat may wait on its first request's run), then the
  repeats alone;
- estimates: the estimated against the actual cost of each template after 0, 1 and 3 saved runs;
- ray: the batch as Ray tasks on a local instance against the same batch in this process (with Ray only).

Each is its own module (batch, lab, serve, estimates, ray_batch); this one runs them all and formats them.
"""

from __future__ import annotations

import os
from typing import Any

from workflow_core.bench.batch import measure_batch
from workflow_core.bench.estimates import measure_estimates
from workflow_core.bench.lab import measure_lab
from workflow_core.bench.ray_batch import measure_ray
from workflow_core.bench.serve import measure_serve


def production() -> dict[str, Any]:
    """Every production benchmark at its defaults, by name."""
    return {
        "batch": measure_batch(),
        "lab": measure_lab(),
        "serve": measure_serve(),
        "estimates": measure_estimates(),
        "ray": measure_ray(),
    }


def format_production(report: dict[str, Any]) -> str:
    """The production results of `production` as the text `decompose bench --production` prints."""
    b, lab, srv = report["batch"], report["lab"], report["serve"]
    c = b["concurrent"]
    lines = [
        f"production (scripted server in a child process, {b['latency_s'] * 1000:.0f} ms per call; seed = 2 calls)",
        f"  batch of {c['runs']} at concurrency {b['concurrency']}, every call made, static checks: "
        f"{c['runs_per_s']:.1f} runs/s = {b['ratio_to_limit']:.2f} of the limit ({b['limit_runs_per_s']:.0f}/s), "
        f"{b['speedup_vs_one_at_a_time']:.1f}× one at a time ({b['one_at_a_time']['runs_per_s']:.2f}/s)",
        f"    CPU per run: {c['cpu_ms_per_run']:.0f} ms in this process (the event loop and its threads)"
        + (
            f", {c['all_cpu_ms_per_run']:.0f} ms in all processes (page workers, the scripted server); "
            f"{b['cores']} cores can do {b['cpu_ceiling_runs_per_s']:.0f} runs/s at that, so the batch reached "
            f"{b['ratio_to_reachable']:.2f} of what this machine can reach"
            if c.get("all_cpu_ms_per_run")
            else ""
        ),
        f"    one run alone holds its place {b['unloaded_nodes_s'] * 1000:.0f} ms (2 calls of "
        f"{b['latency_s'] * 1000:.0f} ms, the server's own overhead, the page; "
        f"{b['unloaded_run_s'] * 1000:.0f} ms with its checks and save), so {b['concurrency']} at once could do at most "
        f"{b['unloaded_bound_runs_per_s']:.1f} runs/s ({b['unloaded_bound_runs_per_s'] / b['limit_runs_per_s']:.2f} "
        f"of the limit) with no contention; the batch reached {b['ratio_to_unloaded_bound']:.2f} of that",
        f"    each run holding its place through its checks and save (finishing=0): "
        f"{b['held']['runs_per_s']:.1f} runs/s = {b['held_ratio_to_limit']:.2f} of the limit; at concurrency 4 "
        f"(limit {b['moderate_limit_runs_per_s']:.0f}/s), "
        f"{b['moderate_held']['runs_per_s'] / b['moderate_limit_runs_per_s']:.2f} held, "
        f"{b['moderate_overlapped']['runs_per_s'] / b['moderate_limit_runs_per_s']:.2f} with the next run "
        "calling models while the last is checked",
        f"    rendered checks ({b['rendered']['runs']} runs, each page rendered afresh, "
        f"{b['rendered_pages_at_once']} at once): {b['rendered']['runs_per_s']:.2f} runs/s = "
        f"{b['rendered_ratio_to_limit']:.3f} of the limit; Chromium is the bottleneck",
        f"  lab, {lab['trials']} trials: concurrency 4 is {lab['speedup']:.1f}× one trial at a time with static "
        f"checks ({lab['wall_s_one_at_a_time']:.1f} s → {lab['wall_s_concurrency_4']:.1f} s; these trials "
        f"need {lab['shape_bound_s']:.1f} s on 4 slots at least, so at most {lab['shape_bound_speedup']:.1f}×), "
        f"{lab['rendered_speedup']:.1f}× with every page rendered ({lab['rendered_wall_s_one_at_a_time']:.1f} s → "
        f"{lab['rendered_wall_s_concurrency_4']:.1f} s; Chromium renders {os.cpu_count() or 1} at once at most)",
        f"  serve ({'static' if srv.get('static_checks') else 'rendered'} checks, {srv['run_slots']} runs at once), "
        f"{srv['requests']} requests at {srv['concurrent']} concurrent (half repeats): p50 "
        f"{srv['p50_s']:.2f} s, p95 {srv['p95_s']:.2f} s, {srv['errors']} errors; repeats p95 "
        f"{srv['cached_p95_s']:.2f} s (may wait on the first request's run); repeats alone p50 "
        f"{srv['repeats_alone_p50_s'] * 1000:.0f} ms, p95 {srv['repeats_alone_p95_s'] * 1000:.0f} ms",
        "  estimate error of a run's cost, (estimate − actual) / actual, after 0 / 1 / 3 saved runs:",
    ]
    lines += [
        f"    {r['template']:<8} {r['error_after_0']:+8.0%} {r['error_after_1']:+8.0%} {r['error_after_3']:+8.0%}"
        for r in report["estimates"]
    ]
    ray = report.get("ray")
    if ray is None:
        lines.append("  ray: not installed (pip install -e '.[ray]')")
    else:
        lines.append(
            f"  ray, {ray['runs']} seed runs at concurrency {ray['concurrency']} on a local instance: "
            f"{ray['ray']['runs_per_s']:.2f} runs/s = {ray['ratio_to_in_process']:.2f}× in-process "
            f"({ray['in_process']['runs_per_s']:.2f}/s), {ray['overhead_s_per_run'] * 1000:+.0f} ms per run; "
            f"start-up {ray['ray_startup_s']:.1f} s, first runs (each worker's engine) "
            f"{ray['ray_first_runs_wall_s']:.1f} s"
        )
    return "\n".join(lines) + "\n"
