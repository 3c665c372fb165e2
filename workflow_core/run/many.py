"""One runner for many runs, used by the lab, `decompose batch` and `decompose serve`: runs overlap up to a
concurrency limit on one engine (its cache, store and providers' call slots are shared), an optional budget
stops it before the estimate says the next run would exceed what is left, and progress reports runs done,
the running cost and an ETA.

`concurrency` bounds the runs calling models: a run holds its place from its start until its last node
has finished. Its page checks and its save come after (a page worker's CPU, and Chromium's when pages are
rendered, not the provider's), so the next run starts then; `concurrency + finishing` (by default twice
`concurrency`) bounds the runs under way in all, so that pages waiting to be checked do not pile up when
checking is the slower part. Without this the provider sat idle through every run's checks: a tenth of a
two-call run on a 200 ms server, most of it on a rendered one. The engine's own per-provider limits
(`max_concurrency` in providers.yaml; a local model's parallel slots) hold across every run, so the
providers bound calls in flight in any case.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from workflow_core.errors import DecomposeError
from workflow_core.records import RunRecord
from workflow_core.run.context import RunEvent
from workflow_core.run.inputs import RunInputs
from workflow_core.run.offload import warm_up
from workflow_core.run.plan import Choices, RunPlan
from workflow_core.workflow.spec import Workflow

if TYPE_CHECKING:
    from workflow_core.run.engine import Engine


@dataclass(frozen=True)
class RunJob:
    """One run to make: `key` is the caller's name for it (a profile id, a trial's index)."""

    key: str
    workflow: Workflow
    inputs: RunInputs
    run_id: str | None = None
    choices: Choices | None = None  # applied to `workflow` by the run's plan (`run.plan`)


@dataclass
class RunOutcome:
    """How a job ended: its run (None when it never started or failed validation) and why not, if not."""

    job: RunJob
    run: RunRecord | None = None
    error: str | None = None
    # "ran": the engine ran it (its run may still have failed); "invalid": validation refused it;
    # "lost": an executor elsewhere (a Ray task) failed to bring a run back;
    # "budget": not started, the budget would not cover it; "cancelled": not started, cancelled first.
    state: str = "ran"
    estimate_usd: float = 0.0
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.run is not None and self.run.status == "ok"

    @property
    def cost_usd(self) -> float:
        return self.run.total_cost_usd if self.run is not None else 0.0


@dataclass
class ManyProgress:
    """Where a batch of runs stands: runs done (of total), in flight, failed, money spent so far, time."""

    done: int
    total: int
    running: int
    failed: int
    cost_usd: float
    elapsed_s: float
    budget_left_usd: float | None = None

    @property
    def eta_s(self) -> float | None:
        """Seconds to go at the pace so far (None until a run has finished)."""
        if self.done == 0 or self.elapsed_s <= 0:
            return None
        return (self.total - self.done) * self.elapsed_s / self.done


@dataclass
class Budget:
    """Money for a batch. A run is started only if what is spent, plus the estimates of the runs in flight,
    plus its own estimate stays within the limit; a finished run's estimate is replaced by what it cost."""

    limit_usd: float
    spent_usd: float = 0.0
    reserved_usd: float = 0.0

    @property
    def left_usd(self) -> float:
        return self.limit_usd - self.spent_usd

    def fits(self, estimate_usd: float) -> bool:
        return self.spent_usd + self.reserved_usd + estimate_usd <= self.limit_usd

    def reserve(self, estimate_usd: float) -> None:
        self.reserved_usd += estimate_usd

    def settle(self, estimate_usd: float, cost_usd: float) -> None:
        self.reserved_usd = max(0.0, self.reserved_usd - estimate_usd)
        self.spent_usd += cost_usd


# Runs a job somewhere other than the engine in this process (a Ray task: production.ray_runner.RayRunner)
# and returns its run, already saved; raises DecomposeError when no run came back.
# Runs a job's plan elsewhere (a Ray actor) under the job's run id, and brings its record back.
Executor = Callable[[RunPlan, str | None, asyncio.Event], Awaitable[RunRecord]]


@dataclass
class Callbacks:
    """What a caller hears while the runs go: a run starting, each engine event (with its job), each
    outcome as it arrives, and the progress after every change. All are called on the event loop."""

    on_start: Callable[[RunJob], None] = lambda _job: None
    on_event: Callable[[RunJob, RunEvent], None] = lambda _job, _event: None
    on_outcome: Callable[[RunOutcome], None] = lambda _outcome: None
    on_progress: Callable[[ManyProgress], None] = lambda _progress: None


async def run_many(
    engine: Engine,
    jobs: Sequence[RunJob],
    *,
    concurrency: int = 1,
    budget: Budget | None = None,
    cancel: asyncio.Event | None = None,
    callbacks: Callbacks | None = None,
    executor: Executor | None = None,
    finishing: int | None = None,
) -> list[RunOutcome]:
    """Run `jobs` on `engine`, at most `concurrency` calling models at a time and at most `concurrency +
    finishing` (`finishing` is `concurrency` by default; 0: each run holds its place to the end) under way
    while the last ones check and save their pages (see the module's notes), and return their outcomes in
    the order of `jobs`. A job that fails validation is an outcome with its error; the others go on. With a
    `budget`, a job whose estimate does not fit waits for the runs in flight to settle, and if it still
    does not fit it and every job after it end as "budget" (not started). On `cancel`, runs in flight stop
    after their nodes under way and the jobs not started end as "cancelled". With an `executor`, the runs
    happen there (events are not streamed back, and a run holds its place to the end) and `engine` only
    validates and estimates. The caller owns (and closes) the engine and the executor."""
    cb = callbacks or Callbacks()
    cancel = cancel or asyncio.Event()
    concurrency = max(1, concurrency)
    finishing = concurrency if finishing is None else max(0, finishing)
    calling: set[int] = set()  # the running jobs (by index) whose nodes have not all finished
    place_freed = asyncio.Event()  # a run has left the model calls: another may start
    outcomes: list[RunOutcome | None] = [None] * len(jobs)
    pending = deque(range(len(jobs)))
    running: dict[asyncio.Task[RunOutcome], tuple[int, float]] = {}  # task -> (job index, estimate)
    t0 = time.perf_counter()
    state = {"done": 0, "failed": 0, "cost": 0.0}

    def progress() -> None:
        cb.on_progress(
            ManyProgress(
                done=int(state["done"]),
                total=len(jobs),
                running=len(running),
                failed=int(state["failed"]),
                cost_usd=float(state["cost"]),
                elapsed_s=time.perf_counter() - t0,
                budget_left_usd=budget.left_usd if budget is not None else None,
            )
        )

    def finish(index: int, outcome: RunOutcome) -> None:
        outcomes[index] = outcome
        state["done"] += 1
        state["cost"] += outcome.cost_usd
        if not outcome.ok:
            state["failed"] += 1
        cb.on_outcome(outcome)

    async def one(index: int, plan: RunPlan | DecomposeError) -> RunOutcome:
        job = jobs[index]
        started = time.perf_counter()
        cb.on_start(job)
        if isinstance(plan, DecomposeError):  # validation refused it: every problem, no call made
            return RunOutcome(job, error=str(plan), state="invalid", elapsed_s=time.perf_counter() - started)
        if executor is not None:
            try:
                run = await executor(plan, job.run_id, cancel)
            except DecomposeError as exc:
                return RunOutcome(job, error=str(exc), state="lost", elapsed_s=time.perf_counter() - started)
            error = None if run.status == "ok" else first_error(run)
            return RunOutcome(job, run, error, elapsed_s=time.perf_counter() - started)

        def on_event(event: RunEvent) -> None:
            if event.kind == "nodes_finished" and finishing and index in calling:
                calling.discard(index)
                place_freed.set()
            cb.on_event(job, event)

        try:
            run = await engine.run_plan(plan, on_event=on_event, cancel=cancel, run_id=job.run_id)
        except DecomposeError as exc:
            return RunOutcome(job, error=str(exc), state="invalid", elapsed_s=time.perf_counter() - started)
        error = None if run.status == "ok" else first_error(run)
        return RunOutcome(job, run, error, elapsed_s=time.perf_counter() - started)

    def plan_of(index: int) -> RunPlan | DecomposeError:
        """The job's plan (`Engine.plan`: validated and estimated once), or why it cannot run."""
        job = jobs[index]
        try:
            return engine.plan(job.workflow, job.inputs, job.choices)
        except DecomposeError as exc:
            return exc

    if concurrency > 1 and executor is None and len(jobs) > 1:
        await asyncio.to_thread(warm_up)  # the page workers start once, before the first pages need them
    stopped: str | None = None
    next_cost = 0.0
    plans: dict[int, RunPlan | DecomposeError] = {}
    try:
        while pending or running:
            while (
                pending
                and len(calling) < concurrency
                and len(running) < concurrency + finishing
                and stopped is None
            ):
                if cancel.is_set():
                    stopped = "cancelled"
                    break
                index = pending[0]
                if index not in plans:  # a job that waited on the budget keeps its plan
                    plans[index] = plan_of(index)
                plan = plans[index]
                cost = plan.estimate.cost_usd if isinstance(plan, RunPlan) else 0.0
                if budget is not None and not budget.fits(cost):
                    next_cost = cost
                    if not running:
                        stopped = "budget"
                    break  # wait for the runs in flight to settle: they may have cost less than estimated
                pending.popleft()
                if budget is not None:
                    budget.reserve(cost)
                calling.add(index)
                running[asyncio.create_task(one(index, plans.pop(index)))] = (index, cost)
            progress()
            if not running:
                break
            place_freed.clear()
            freed = asyncio.ensure_future(place_freed.wait())
            try:
                await asyncio.wait([*running, freed], return_when=asyncio.FIRST_COMPLETED)
            finally:
                freed.cancel()
            for task in [t for t in running if t.done()]:
                index, estimate_usd = running.pop(task)
                calling.discard(index)
                outcome = task.result()
                outcome.estimate_usd = estimate_usd
                if budget is not None:
                    budget.settle(outcome.estimate_usd, outcome.cost_usd)
                finish(index, outcome)
        for index in pending:
            reason = (
                "cancelled before it started"
                if stopped == "cancelled"
                else f"not started: the budget has ${budget.left_usd if budget else 0:.6f} left and the "
                f"next run is estimated at ${next_cost:.6f}"
            )
            outcomes[index] = RunOutcome(jobs[index], error=reason, state=stopped or "cancelled")
        progress()
    finally:
        for task in running:
            task.cancel()
        if running:
            await asyncio.gather(*running, return_exceptions=True)
    return [o for o in outcomes if o is not None]


def first_error(run: RunRecord) -> str:
    """What went wrong in a run that did not end ok: its first failed node's error, else its status."""
    for n in run.nodes:
        if n.status == "failed" and n.error:
            return f"{n.id}: {n.error}"
    return f"run {run.status}"
