"""`decompose batch`: one page per visitor profile, through the runner for many runs, under a budget.

OUT/pages/<profile>.html holds each page and OUT/results.jsonl one line per finished profile (written and
synced to disk as each run finishes, the page first), so a batch killed at any moment resumes where it
stopped: profiles with an `ok` line are skipped, and a run that was cut short re-uses the nodes it had
finished from the cache (no paid call is repeated). OUT/summary.json sums up every line.

Only pages fit for a visitor are written to pages/: each is sanitised (`page.safety`), and a page whose
checks find a blocking defect is `gated`: its line carries the findings, its page goes to
OUT/gated/<profile>.html for review (sanitised too), and it does not count as done
(`allow_unpublishable` writes such pages to pages/ anyway, for experiments).

One batch at a time writes to a folder: it holds a lock on OUT/.batch.lock while it runs, and a second
batch started on the same folder says so and exits without running anything (two would run every
profile twice and each count only its own spend against the budget).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from workflow_core.errors import DecomposeError
from workflow_core.page.safety import PagePolicy, sanitise
from workflow_core.production.gate import verdict_of
from workflow_core.run.engine import Engine
from workflow_core.run.inputs import RunInputs
from workflow_core.run.many import Budget, Callbacks, Executor, ManyProgress, RunJob, RunOutcome, run_many
from workflow_core.scenario import Scenario
from workflow_core.scenario.injection import flagged
from workflow_core.workflow.spec import Workflow

RESULTS = "results.jsonl"
SUMMARY = "summary.json"
PAGES = "pages"
GATED = "gated"
LOCK = ".batch.lock"


class BatchBusy(DecomposeError):
    """Another batch holds the output folder's lock."""


class FolderLock:
    """An exclusive lock on OUT/.batch.lock for as long as a batch runs: `flock`, so the system releases it
    when the process ends however it ends, and a stale file never blocks the next batch."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK
        self._fd: int | None = None

    def __enter__(self) -> FolderLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise BatchBusy(
                f"another batch is writing to {self.path.parent} ({holder}); nothing was run. Wait for it to "
                "finish (then run this command again to continue where it stopped), or give another --out."
            ) from None
        os.ftruncate(fd, 0)
        since = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        os.write(fd, f"pid {os.getpid()} since {since}".encode())
        self._fd = fd
        return self

    def __exit__(self, *exc: object) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class BatchResult(BaseModel):
    """One line of results.jsonl: how one profile's run ended."""

    profile: str
    # the run's status (ok, failed, cancelled), "gated" when its page failed its checks (not written to
    # pages/, not done), or "invalid" when validation refused it ("failed" too when a Ray task brought no run
    # back)
    status: str
    run_id: str | None = None
    cost_usd: float = 0.0  # what this run paid (cached nodes cost nothing)
    estimated_cost_usd: float = 0.0
    qa_score: float | None = None
    qa_axes: dict[str, float] = Field(default_factory=dict)
    # No blocking finding (quality.model.publishable); None when the page was not checked.
    publishable: bool | None = None
    wall_s: float = 0.0
    cached_nodes: int = 0
    error: str | None = None
    page: str | None = None  # path of the page, relative to the output folder
    blocking: list[str] = Field(default_factory=list)  # why a gated page was not written: its findings
    # Text in the profile that reads as instructions to the model, kept out of the prompts (scenario.injection).
    input_flags: list[str] = Field(default_factory=list)
    finished_at: float = Field(default_factory=time.time)


def read_results(out: Path) -> list[BatchResult]:
    """The lines of OUT/results.jsonl; a line cut short by a kill (the last one) is ignored."""
    path = out / RESULTS
    if not path.is_file():
        return []
    results = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            results.append(BatchResult.model_validate_json(line))
        except ValidationError:
            continue
    return results


def _append(path: Path, result: BatchResult) -> None:
    with path.open("a", encoding="utf-8") as f:
        f.write(result.model_dump_json() + "\n")
        f.flush()
        os.fsync(f.fileno())


def _result(outcome: RunOutcome, page: str | None, findings: list[str] | None = None) -> BatchResult:
    """The line for a finished run; `findings` (the blocking ones) when its page was gated."""
    run = outcome.run
    if run is None:
        status = "failed" if outcome.state == "lost" else "invalid"
        return BatchResult(profile=outcome.job.key, status=status, error=outcome.error)
    return BatchResult(
        profile=outcome.job.key,
        status="gated" if findings is not None else run.status,
        blocking=findings or [],
        run_id=run.run_id,
        cost_usd=run.total_cost_usd,
        estimated_cost_usd=run.estimated_cost_usd,
        qa_score=run.qa_score,
        qa_axes=dict(run.qa_axes),
        publishable=run.qa_publishable,
        wall_s=run.wall_s,
        cached_nodes=sum(1 for n in run.nodes if n.cached),
        error=outcome.error,
        page=page,
    )


def _spread(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    ordered = sorted(values)
    q = statistics.quantiles(ordered, n=10, method="inclusive") if len(ordered) > 1 else ordered * 9
    return {
        "mean": statistics.fmean(ordered),
        "min": ordered[0],
        "p10": q[0],
        "p50": statistics.median(ordered),
        "p90": q[-1],
        "max": ordered[-1],
    }


@dataclass
class BatchReport:
    """What a batch did: every profile's latest result, the ones not started and why, money and time."""

    workflow: str
    profiles: int
    results: dict[str, BatchResult]  # profile -> its latest result, this session's or an earlier one's
    skipped: int  # profiles already done by an earlier session
    not_started: list[str]
    stopped: str | None  # why profiles were not started ("budget: ...", "interrupted"), None if all ran
    cost_usd: float  # every session's spend
    session_cost_usd: float
    budget_usd: float | None
    wall_s: float
    runs_this_session: int
    rejected: list[str] = field(default_factory=list)  # input lines left out, and why

    @property
    def ok(self) -> int:
        return sum(1 for r in self.results.values() if r.status == "ok")

    @property
    def failed(self) -> list[BatchResult]:
        return [r for r in self.results.values() if r.status != "ok"]

    def summary(self) -> dict[str, Any]:
        """The summary.json document: counts, cost, the quality distribution and the failures."""
        ok = [r for r in self.results.values() if r.status == "ok"]
        axes = sorted({a for r in ok for a in r.qa_axes})
        return {
            "workflow": self.workflow,
            "profiles": self.profiles,
            "ok": self.ok,
            "failed": len([r for r in self.failed if r.status != "gated"]),
            "gated": len([r for r in self.failed if r.status == "gated"]),
            "not_started": len(self.not_started),
            "stopped": self.stopped,
            "cost_usd": self.cost_usd,
            "cost_this_session_usd": self.session_cost_usd,
            "mean_cost_per_page_usd": self.cost_usd / len(self.results) if self.results else None,
            "budget_usd": self.budget_usd,
            "budget_left_usd": None if self.budget_usd is None else self.budget_usd - self.cost_usd,
            "quality": {
                "publishable": sum(1 for r in ok if r.publishable),
                "score": _spread([r.qa_score for r in ok if r.qa_score is not None]),
                "axes": {a: _spread([r.qa_axes[a] for r in ok if a in r.qa_axes]) for a in axes},
            },
            "failures": [
                {"profile": r.profile, "status": r.status, "error": r.error or "; ".join(r.blocking[:3])}
                for r in self.failed
            ],
            "rejected_inputs": self.rejected,
            "wall_s_this_session": self.wall_s,
            "runs_this_session": self.runs_this_session,
            "pages_per_s_this_session": self.runs_this_session / self.wall_s if self.wall_s > 0 else None,
        }


async def run_batch(
    engine: Engine,
    workflow: Workflow,
    scenario: Scenario,
    profiles: dict[str, dict[str, Any]],
    out: str | Path,
    *,
    concurrency: int = 4,
    budget_usd: float | None = None,
    cancel: asyncio.Event | None = None,
    on_progress: Callable[[ManyProgress], None] | None = None,
    on_result: Callable[[BatchResult], None] | None = None,
    executor: Executor | None = None,
    allow_unpublishable: bool = False,
    rejected: list[str] | None = None,
) -> BatchReport:
    """Run `workflow` once per profile not yet done in `out` (see the module's docstring), at most
    `concurrency` at a time, and write the pages, results.jsonl and summary.json. `budget_usd` covers the
    whole batch, earlier sessions included: no run starts whose estimate would take the spend past it.
    `rejected` are the input lines left out (`production.profiles.read_profiles`), kept in the summary.
    Raises BatchBusy, having run nothing, when another batch is writing to `out`."""
    folder = Path(out)
    try:
        (folder / PAGES).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DecomposeError(f"cannot create the output folder {folder}: {exc.strerror}.") from exc
    with FolderLock(folder):
        return await _run_locked(
            engine, workflow, scenario, profiles, folder, concurrency, budget_usd, cancel, on_progress,
            on_result, executor, allow_unpublishable, rejected or [],
        )  # fmt: skip


async def _run_locked(
    engine: Engine,
    workflow: Workflow,
    scenario: Scenario,
    profiles: dict[str, dict[str, Any]],
    folder: Path,
    concurrency: int,
    budget_usd: float | None,
    cancel: asyncio.Event | None,
    on_progress: Callable[[ManyProgress], None] | None,
    on_result: Callable[[BatchResult], None] | None,
    executor: Executor | None,
    allow_unpublishable: bool,
    rejected: list[str],
) -> BatchReport:
    policy = PagePolicy.for_company(scenario.company.model_dump())
    latest = {r.profile: r for r in read_results(folder)}
    spent_before = sum(r.cost_usd for r in latest.values())
    if budget_usd is not None and budget_usd < 0:
        raise DecomposeError(f"--budget-usd must be 0 or more, got {budget_usd}.")
    todo = [p for p in profiles if not (p in latest and latest[p].status == "ok")]
    batch_scenario = scenario.model_copy(update={"profiles": profiles})
    jobs = [RunJob(p, workflow, RunInputs.for_profile(batch_scenario, p)) for p in todo]
    budget = Budget(budget_usd, spent_usd=spent_before) if budget_usd is not None else None
    results_path = folder / RESULTS
    session_cost, session_runs = 0.0, 0

    def finished(outcome: RunOutcome) -> None:
        nonlocal session_cost, session_runs
        page, findings = None, None
        run = outcome.run
        if run is not None and run.page_html:
            verdict = verdict_of(run)
            gated = run.status == "ok" and not verdict.publishable and not allow_unpublishable
            findings = verdict.findings if gated else None
            page = f"{GATED if gated else PAGES}/{outcome.job.key}.html"
            (folder / page).parent.mkdir(exist_ok=True)
            (folder / page).write_text(sanitise(run.page_html, policy), encoding="utf-8")
            # A page gated in an earlier session and published now (or the other way) leaves no stale copy.
            (folder / f"{PAGES if gated else GATED}/{outcome.job.key}.html").unlink(missing_ok=True)
        result = _result(outcome, page, findings)
        result.input_flags = flagged(profiles.get(outcome.job.key, {}), "profile")
        _append(results_path, result)  # after the page: a line means its page is on disk
        session_cost += result.cost_usd
        session_runs += 1
        latest[result.profile] = result
        if on_result is not None:
            on_result(result)

    started = time.perf_counter()
    callbacks = Callbacks(on_outcome=finished, on_progress=on_progress or (lambda _p: None))
    outcomes: list[RunOutcome] = []

    def report(stopped: str | None) -> BatchReport:
        done = BatchReport(
            workflow=workflow.name,
            profiles=len(profiles),
            results={p: latest[p] for p in profiles if p in latest},
            skipped=len(profiles) - len(todo),
            not_started=[p for p in profiles if p not in latest],
            stopped=stopped,
            cost_usd=spent_before + session_cost,
            session_cost_usd=session_cost,
            budget_usd=budget_usd,
            wall_s=time.perf_counter() - started,
            runs_this_session=session_runs,
            rejected=rejected,
        )
        (folder / SUMMARY).write_text(json.dumps(done.summary(), indent=2), encoding="utf-8")
        return done

    try:
        outcomes = await run_many(
            engine,
            jobs,
            concurrency=concurrency,
            budget=budget,
            cancel=cancel,
            callbacks=callbacks,
            executor=executor,
        )
    except BaseException:  # Ctrl-C or a kill from above: what finished is on disk, say so in the summary
        report("interrupted: run the same command again to continue")
        raise
    reasons = [o.error for o in outcomes if o.state == "budget"] + [
        "cancelled" for o in outcomes if o.state == "cancelled"
    ]
    return report(reasons[0] if reasons else None)
