"""Production benchmarks, each a ratio against a baseline measured in the same run, on the scripted server
(a child process) at a fixed latency per call:

- batch: `seed` (two model calls in a chain, so the limit is C / (2 × latency) runs/s) over many profiles at
  concurrency C, against that limit and against one run at a time;
- lab: an experiment at concurrency 4 against the same experiment one trial at a time;
- serve: `decompose serve` in its own process under N requests at K concurrent, half of them repeats:
  p50/p95 latency, errors, and the repeats' p95 (a repeat may wait on its first request's run), then the
  repeats alone;
- estimates: the estimated against the actual cost of each template after 0, 1 and 3 saved runs.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from workflow_core.bench.scripted import (
    MODEL_REF,
    many_profiles,
    scripted_engine,
    scripted_server_process,
    temporary_store,
)
from workflow_core.lab.experiment import ExperimentSpec, Variant, run_experiment
from workflow_core.nodes.hooks import CollectPage
from workflow_core.quality.render import Renderer
from workflow_core.run.engine import Engine
from workflow_core.run.estimate import estimate_run
from workflow_core.run.inputs import RunInputs
from workflow_core.run.many import Executor, RunJob, run_many
from workflow_core.run.offload import warm_up
from workflow_core.scenario import Scenario, load_scenario
from workflow_core.workflow.templates import TEMPLATE_NAMES, resolve_workflow
from workflow_core.workspace import EXAMPLE_SCENARIO


def _scenario(n: int) -> Scenario:
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


async def _throughput(
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
    scenario = _scenario(n + baseline_runs + rendered_runs)
    ids = list(scenario.profiles)
    limit = concurrency / (2 * latency_s)
    with scripted_server_process(latency_s) as url:
        one = asyncio.run(
            _throughput(url, scenario, ids[n : n + baseline_runs], 1, render=False, use_cache=False)
        )
        many = asyncio.run(_throughput(url, scenario, ids[:n], concurrency, render=False, use_cache=False))
        # The same batch with each run holding its place through its checks and save (finishing=0).
        held = asyncio.run(
            _throughput(url, scenario, ids[:n], concurrency, render=False, use_cache=False, finishing=0)
        )
        # Concurrency 4, where this machine's CPU is not the limit: each run held, then overlapped.
        moderate = {
            way: asyncio.run(
                _throughput(url, scenario, ids[: n // 2], 4, render=False, use_cache=False, finishing=f)
            )
            for way, f in (("held", 0), ("overlapped", None))
        }
        renderer = Renderer(recent_pages=0)
        try:
            rendered = asyncio.run(
                _throughput(
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


def measure_ray(n: int = 24, concurrency: int = 2, latency_s: float = 0.2) -> dict[str, Any] | None:
    """The same batch of `seed` runs in this process and as Ray tasks on a local instance (`concurrency`
    worker actors, each with its own engine), static checks on both sides. None without Ray."""
    try:
        import ray  # noqa: F401
    except ImportError:
        return None
    from workflow_core.production.ray_runner import RayRunner

    scenario = _scenario(2 * n + concurrency)
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
                _throughput(url, scenario, ids[:n], concurrency, render=False, use_cache=False)
            )
            t0 = time.perf_counter()
            runner = RayRunner("local", concurrency, None, num_cpus=os.cpu_count(), render=False)
            runner.worker_pids()  # the actors are up
            startup = time.perf_counter() - t0
            try:
                warm = asyncio.run(
                    _throughput(url, scenario, ids[n : n + concurrency], concurrency, runner, render=False)
                )
                on_ray = asyncio.run(
                    _throughput(url, scenario, ids[n + concurrency :], concurrency, runner, render=False)
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
    shape_bound = _list_schedule(trial_s[("static", 1)], concurrency)
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


def _list_schedule(durations: list[float], slots: int) -> float:
    """When the last of `durations` ends, each started in order on the first of `slots` to come free."""
    free = [0.0] * max(1, slots)
    for d in durations:
        heapq.heappush(free, heapq.heappop(free) + d)
    return max(free)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _load(base: str, bodies: list[dict[str, Any]], concurrent: int) -> list[tuple[int, float, bool]]:
    """`concurrent` virtual users, each on its own keep-alive connection, working through `bodies`;
    (status, seconds, served from memory) per request, in order.

    The users speak HTTP/1.1 over bare asyncio streams. With httpx the load generator was the bottleneck:
    it spent 6 ms of CPU per request at fifty users (the server, 0.7 ms), on the same cores as the server,
    so what it timed was its own queue."""
    url = httpx.URL(base)
    host, port = url.host, url.port or 80
    results: list[tuple[int, float, bool]] = [(0, 0.0, False)] * len(bodies)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(bodies)):
        queue.put_nowait(index)

    ready = asyncio.Barrier(min(concurrent, len(bodies)))

    async def user() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        # Every user's connection is open and has been answered once before any request is timed.
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        await _response(reader)
        await ready.wait()
        try:
            while not queue.empty():
                index = queue.get_nowait()
                payload = json.dumps(bodies[index]).encode()
                head = (
                    f"POST /v1/pages HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n"
                ).encode()
                t0 = time.perf_counter()
                writer.write(head + payload)
                status, body, keep_alive = await _response(reader)
                elapsed = time.perf_counter() - t0
                cached = status == 200 and bool(json.loads(body).get("cached"))
                results[index] = (status, elapsed, cached)
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
        finally:
            writer.close()

    await asyncio.gather(*(user() for _ in range(min(concurrent, len(bodies)))))
    return results


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """One HTTP/1.1 response: status, body (by Content-Length, or chunked) and whether the connection stays."""
    status = int((await reader.readline()).split()[1])
    headers: dict[str, str] = {}
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        parts = []
        while size := int((await reader.readline()).split(b";")[0], 16):
            parts.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        body = b"".join(parts)
    else:
        body = await reader.read()
    return status, body, headers.get("connection", "").lower() != "close"


def measure_serve(
    requests: int = 500,
    concurrent: int = 50,
    latency_s: float = 0.2,
    run_slots: int = 16,
    static_checks: bool = True,
) -> dict[str, Any]:
    """`decompose serve` under `requests` at `concurrent` (half of them repeats of the other half), then
    repeats alone. With `static_checks` the server checks pages without Chromium, so the figures are the
    server's; rendered checks cap new pages at the browser's pace (see the batch's rendered figure)."""
    scenario = load_scenario(EXAMPLE_SCENARIO)
    unique = list(many_profiles(scenario, requests // 2).values())
    rng = random.Random(7)
    bodies = [{"profile": p} for p in unique] + [
        {"profile": rng.choice(unique)} for _ in range(requests // 2)
    ]
    rng.shuffle(bodies)
    with scripted_server_process(latency_s) as url, tempfile.TemporaryDirectory() as tmp:
        providers = Path(tmp) / "providers.yaml"
        providers.write_text(
            f"providers:\n  fake:\n    type: openai\n    base_url: {url}\n    models: [small]\n"
            "    prices:\n      small: {input_per_mtok: 0.4, output_per_mtok: 1.6}\n"
        )
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "DECOMPOSE_PROVIDERS": str(providers), "DECOMPOSE_DB": str(Path(tmp) / "db")}
        env.pop("DECOMPOSE_SERVE_KEY", None)
        server = subprocess.Popen(
            [sys.executable, "-m", "workflow_core.cli.main", "serve", "seed", "--scenario", str(EXAMPLE_SCENARIO),
             "--all-models", MODEL_REF, "--port", str(port), "--concurrency", str(run_slots), "--queue-timeout", "120",
             *(["--static-checks"] if static_checks else [])],
            env=env, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            t0 = time.perf_counter()
            results = asyncio.run(_load(base, bodies, concurrent))
            wall = time.perf_counter() - t0
            # Then repeats alone: answered from memory, with no run in flight to wait on.
            repeats = asyncio.run(
                _load(base, [{"profile": rng.choice(unique)} for _ in range(requests // 2)], concurrent)
            )
        finally:
            server.terminate()
            server.wait(20)
    ok = [t for status, t, _ in results if status == 200]
    cached = [t for status, t, hit in results if status == 200 and hit]
    return {
        "requests": requests,
        "concurrent": concurrent,
        "run_slots": run_slots,
        "static_checks": static_checks,
        "errors": sum(1 for status, _, _ in results if status != 200),
        "p50_s": statistics.median(ok) if ok else None,
        "p95_s": _percentile(ok, 0.95),
        "cached": len(cached),
        "cached_p95_s": _percentile(cached, 0.95),
        "wall_s": wall,
        "repeats_alone_errors": sum(1 for status, _, _ in repeats if status != 200),
        "repeats_alone_p50_s": statistics.median(t for _, t, _ in repeats),
        "repeats_alone_p95_s": _percentile([t for _, t, _ in repeats], 0.95),
    }


def measure_estimates(latency_s: float = 0.0) -> list[dict[str, Any]]:
    """Per template: (estimate − actual) / actual of a run's cost, before any run and after 1 and 3 saved
    runs of the template (each on another profile; the probe run is never saved)."""
    scenario = load_scenario(EXAMPLE_SCENARIO)
    profiles = list(scenario.profiles)
    rows = []
    with scripted_server_process(latency_s) as url:
        for name in TEMPLATE_NAMES:
            workflow = resolve_workflow(name).with_models(None, MODEL_REF)

            async def go(workflow: Any = workflow) -> dict[str, Any]:
                row: dict[str, Any] = {"template": workflow.name}
                with temporary_store() as store:
                    async with scripted_engine(url, store, use_cache=False) as engine:
                        done = 0
                        for after in (0, 1, 3):
                            while done < after:
                                await engine.run(workflow, RunInputs.for_profile(scenario, profiles[done]))
                                done += 1
                            # The probe is not saved: it must not become history for the next estimate.
                            probe = Engine(engine.registry, prices=engine.prices, store=store, use_cache=False,
                                           hooks=[CollectPage()])  # fmt: skip
                            inputs = RunInputs.for_profile(scenario, profiles[-1])
                            estimate = estimate_run(workflow, inputs, engine.prices, engine.store)
                            run = await probe.run(workflow, inputs, estimate=estimate)
                            actual = run.total_cost_usd
                            row[f"error_after_{after}"] = (estimate.cost_usd - actual) / actual
                return row

            rows.append(asyncio.run(go()))
    return rows
