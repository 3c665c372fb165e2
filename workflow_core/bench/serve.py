"""The serve benchmark: `decompose serve` in its own process under N requests at K concurrent, half of them
repeats: p50/p95 latency, errors, and the repeats' p95 (a repeat may wait on its first request's run), then
the repeats alone. The load generator speaks HTTP/1.1 itself (see `_load`)."""

from __future__ import annotations

import asyncio
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

from workflow_core.bench.scripted import MODEL_REF, many_profiles, scripted_server_process
from workflow_core.scenario import load_scenario
from workflow_core.workspace import EXAMPLE_SCENARIO


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
