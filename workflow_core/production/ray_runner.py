"""Scale-out on Ray: with `decompose batch --ray`, each run is a task on a Ray cluster (a local instance, or an
existing cluster such as one KubeRay manages). Ray is an optional extra: `pip install -e '.[ray]'`.

Each Ray worker is an actor with its own engine (its own provider clients and, for local models, its own model
server), built from the worker's environment, with no run database: the driver keeps estimating, budgeting and
ordering the runs (`run.many.run_many`) and saves every run that comes back, with its page's screenshots, into
its own store and the batch's ledger, exactly as an in-process run would be. Provider keys are never sent
with a task: the workers read them from their own environment (see docs/production.md).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from workflow_core.errors import DecomposeError
from workflow_core.records import RunRecord
from workflow_core.run.hooks import save_finished_run
from workflow_core.run.plan import RunPlan
from workflow_core.run.store import Store

RAY_MISSING = (
    "--ray needs Ray, an optional extra: pip install -e '.[ray]' (or pip install 'ray[default]>=2.40,<3')."
)
# Settings a worker needs to build the same engine as the driver; never a key or a token.
_SHARED_ENV = (
    "DECOMPOSE_PROVIDERS",
    "DECOMPOSE_HOME",
    "DECOMPOSE_MODEL_CACHE",
    "DECOMPOSE_LOCAL_USD_PER_HOUR",
    "DECOMPOSE_CHROMIUM",
    "DECOMPOSE_OLLAMA_URL",
    "DECOMPOSE_OTEL",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise DecomposeError(RAY_MISSING) from None
    return ray


def shared_env() -> dict[str, str]:
    """The driver's settings that workers get through Ray's runtime_env (no secrets among them)."""
    return {k: os.environ[k] for k in _SHARED_ENV if os.environ.get(k)}


class RunWorker:
    """The body of one Ray actor: an engine built on first use and kept for the actor's life, one run at a
    time. Runs' quality checks and OpenTelemetry spans happen here; saving is the driver's."""

    def __init__(self, render: bool = True, trace: bool = False) -> None:
        self._engine: Any = None
        self._render, self._trace = render, trace

    async def run(self, plan: RunPlan, run_id: str | None) -> tuple[str, dict[int, bytes]]:
        if self._engine is None:
            from workflow_core.nodes.hooks import standard_hooks
            from workflow_core.providers.registry import ProviderRegistry
            from workflow_core.run.engine import Engine
            from workflow_core.workspace import price_book

            registry = ProviderRegistry.from_environment()
            self._engine = Engine(
                registry,
                prices=price_book(None, registry),
                store=None,
                hooks=standard_hooks(None, render=self._render, trace=self._trace),
            )
        # The driver's plan: validated against the driver's providers, with its estimate (the driver knows
        # the history), which each node's record carries, as in-process.
        run = await self._engine.run_plan(plan, run_id=run_id)
        return run.model_dump_json(), dict(run.screenshots)

    def pid(self) -> int:
        return os.getpid()


class RayRunner:
    """Runs jobs on `workers` Ray actors, one run per actor at a time. `address`: "local" starts a Ray instance
    on this machine; "auto" joins the cluster Ray finds (RAY_ADDRESS, or one already running here) and
    starts a local instance when there is none; anything else is a cluster address ("ray://head:10001")."""

    def __init__(
        self,
        address: str,
        workers: int,
        store: Store | None = None,
        *,
        num_cpus: int | None = None,
        render: bool = True,
        trace: bool = False,
    ) -> None:
        ray = _ray()
        self._ray = ray
        self.store = store
        self._owns_ray = not ray.is_initialized()
        if self._owns_ray:
            options: dict[str, Any] = {
                "runtime_env": {"env_vars": shared_env()},
                "include_dashboard": False,
                "log_to_driver": False,
            }
            try:
                if address == "local":
                    ray.init(num_cpus=num_cpus, **options)
                elif address == "auto":
                    ray.init(**options)
                else:
                    ray.init(address=address, **options)
            except Exception as exc:  # Ray raises ConnectionError, RuntimeError, ValueError...
                raise DecomposeError(f"could not start or join Ray at {address!r}: {exc}") from None
        actor = ray.remote(max_restarts=1)(RunWorker)
        self._actors = [actor.remote(render, trace) for _ in range(max(1, workers))]
        self._idle: asyncio.Queue[Any] | None = None

    @property
    def workers(self) -> int:
        return len(self._actors)

    def worker_pids(self) -> list[int]:
        """The process ids of the actors (each is its own process with its own engine)."""
        return list(self._ray.get([a.pid.remote() for a in self._actors]))

    async def __call__(self, plan: RunPlan, run_id: str | None, cancel: asyncio.Event) -> RunRecord:
        """Run `plan` on the next idle actor; save the run (and its screenshots) in the driver's store."""
        if self._idle is None:
            self._idle = asyncio.Queue()
            for a in self._actors:
                self._idle.put_nowait(a)
        actor = await self._idle.get()
        try:
            ref = actor.run.remote(plan, run_id)
            waiting = asyncio.ensure_future(ref)  # an ObjectRef is awaitable
            stop = asyncio.ensure_future(cancel.wait())
            done, _ = await asyncio.wait({waiting, stop}, return_when=asyncio.FIRST_COMPLETED)
            if waiting not in done:
                self._ray.cancel(ref)
                waiting.cancel()
                raise DecomposeError("cancelled while it ran on Ray")
            stop.cancel()
            try:
                record_json, shots = waiting.result()
            except Exception as exc:  # a task that died: Ray wraps the worker's exception
                raise DecomposeError(f"the Ray task failed: {str(exc).splitlines()[0]}") from None
        finally:
            self._idle.put_nowait(actor)
        run = RunRecord.model_validate_json(record_json)
        run.screenshots = shots  # not part of the record's JSON
        if self.store is not None:
            save_finished_run(self.store, run)
        return run

    def close(self) -> None:
        for a in self._actors:
            self._ray.kill(a)
        self._actors = []
        if self._owns_ray:
            self._ray.shutdown()
