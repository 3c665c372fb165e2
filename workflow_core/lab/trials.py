"""Running an experiment: every variant × profile × repeat as one engine run (a trial), through the runner
batch and serve use too (`run.many.run_many`), then saved with the experiment.

The first repeat reuses the engine's cache, so re-running an experiment costs nothing. Repeats after the
first are real repeats: every model-backed node gets `params.seed = base + r` (base = the node's own seed or
0), which changes the cache key and asks the model for a different sample. Those repeats are cached too,
under their own seed, so re-opening or re-running the same experiment is reproducible. Latencies of cached
nodes are the latencies measured when they were computed (read back from the cache), so a partly cached run
still reports the latency it would have had.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from workflow_core.errors import DecomposeError
from workflow_core.lab.experiment import Experiment, ExperimentSpec, Trial, Variant, save_experiment
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.examples import ExampleRequest
from workflow_core.run.inputs import RunInputs
from workflow_core.run.many import Callbacks, RunJob, RunOutcome, first_error, run_many
from workflow_core.run.plan import Choices
from workflow_core.run.store import Store
from workflow_core.workflow.graph import critical_path
from workflow_core.workflow.kinds import agent_count, is_llm
from workflow_core.workflow.spec import Workflow

if TYPE_CHECKING:
    from workflow_core.run.context import RunEvent
    from workflow_core.run.engine import Engine
    from workflow_core.scenario import Scenario


@dataclass
class ExperimentProgress:
    """What `run_experiment` reports: a trial starting or finishing, or a node event inside one."""

    phase: Literal["trial_started", "node", "trial_finished", "experiment_finished"]
    done: int
    total: int
    variant: str | None = None
    profile: str | None = None
    repeat: int = 0
    trial: Trial | None = None
    event: RunEvent | None = None


ExperimentProgressSink = Callable[[ExperimentProgress], None]


def with_repeat_seed(workflow: Workflow, repeat: int) -> Workflow:
    """The workflow for repeat `repeat`: unchanged for 0, else every model-backed node seeded
    base + repeat (base: the node's own seed, or 0)."""
    if repeat == 0:
        return workflow
    copy = workflow.model_copy(deep=True)
    for node in copy.nodes:
        if node.model is not None or is_llm(node):
            node.params.seed = (node.params.seed or 0) + repeat
    return copy


class _Latencies:
    """The latency each cached node had when it was computed, by cache key: from uncached nodes seen in
    this experiment, else the cache entry, else earlier runs in the store (searched once per workflow)."""

    def __init__(self, store: Store | None) -> None:
        self.store = store
        self.by_key: dict[str, float] = {}
        self.scanned: set[str] = set()

    def learn(self, run: RunRecord) -> None:
        for n in run.nodes:
            if n.cache_key and not n.cached and n.status == "ok" and n.latency_s > 0:
                self.by_key.setdefault(n.cache_key, n.latency_s)

    def _scan(self, workflow: str) -> None:
        if self.store is None or workflow in self.scanned:
            return
        self.scanned.add(workflow)
        for row in self.store.list_runs(workflow=workflow, limit=200):
            old = self.store.get_run(str(row["run_id"]))
            if old is not None:
                self.learn(old)

    def latency(self, rec: NodeRecord, workflow: str) -> float:
        if not rec.cached or not rec.cache_key:
            return rec.latency_s
        if rec.cache_key not in self.by_key and self.store is not None:
            hit = self.store.cache_get(rec.cache_key)
            if hit is not None and hit.latency_s > 0:
                self.by_key[rec.cache_key] = hit.latency_s
            else:
                self._scan(workflow)
        return self.by_key.get(rec.cache_key, rec.latency_s)


def _make_trial(
    variant: str, profile: str | None, repeat: int, run: RunRecord, wf: Workflow, known: _Latencies
) -> Trial:
    known.learn(run)
    timed = {n.id: n.model_copy(update={"latency_s": known.latency(n, run.workflow)}) for n in run.nodes}
    _, cp = critical_path(wf, timed)
    any_cached = any(n.cached for n in run.nodes)
    slim = run.model_copy(deep=True)
    for n in slim.nodes:
        n.messages = []
        n.passages = []
    return Trial(
        variant=variant,
        profile=profile,
        repeat=repeat,
        run=slim,
        error=None if run.status == "ok" else first_error(run),
        latencies={k: v.latency_s for k, v in timed.items()},
        critical_path_s=cp,
        wall_s=cp if any_cached else run.wall_s,
        wall_estimated=any_cached,
    )


async def run_experiment(
    spec: ExperimentSpec,
    scenario: Scenario,
    engine: Engine,
    on_progress: ExperimentProgressSink | None = None,
    *,
    store: Store | None = None,
    concurrency: int = 1,
    cancel: asyncio.Event | None = None,
    experiment_id: str | None = None,
    save: bool = True,
) -> Experiment:
    """Run every variant × profile × repeat and save the experiment (to `store`, else the engine's store; not
    when `save` is False: a caller that runs trials one by one, such as the model search, saves its own).

    Trials run one at a time by default so latencies are not disturbed by each other (nodes inside a run still
    run concurrently): each trial to its end, its page checked and saved, before the next one starts (a
    rendered check in Chromium beside the next trial's calls would slow them). Raise `concurrency` to
    overlap trials (through `run.many.run_many`, the runner batch and serve use too), the next trials then
    calling models while the last ones are checked. A variant that fails validation, or a run that
    fails, is recorded as a failed trial: the other trials go on. The caller owns the engine (and closes it)."""
    store = store or engine.store
    emit = on_progress or (lambda _p: None)
    profiles: list[str | None] = list(spec.profiles) or list(scenario.profiles) or [None]
    exp = Experiment(
        experiment_id=experiment_id or uuid.uuid4().hex[:12],
        spec=spec,
        scenario=str(scenario.root) if scenario.root else scenario.company.name,
    )
    workflows: dict[str, Workflow | None] = {}
    errors: dict[str, str] = {}
    for v in spec.variants:
        try:
            wf = v.resolve()
        except DecomposeError as exc:
            workflows[v.name], errors[v.name] = None, str(exc)
            continue
        workflows[v.name] = wf
        exp.k[v.name] = agent_count(wf)
        exp.workflows[v.name] = wf.name
    combos = list(itertools.product(spec.variants, profiles, range(spec.repeats)))
    total = len(combos)
    known = _Latencies(engine.store)
    slots: list[Trial | None] = [None] * total
    # Variants specialised by examples run last, their examples chosen once the others have run: an
    # experiment can teach the 0.5B with the answers its own 1.5B variant gives on the other profiles.
    jobs: list[RunJob] = []
    later: list[tuple[int, Workflow, RunInputs, Variant, str | None]] = []
    for index, (variant, profile, repeat) in enumerate(combos):
        resolved = workflows[variant.name]
        if resolved is None:  # the variant did not resolve: its trials are failures, the others run
            slots[index] = Trial(
                variant=variant.name, profile=profile, repeat=repeat, error=errors[variant.name]
            )
            continue
        try:
            inputs = RunInputs.for_profile(scenario, profile)
        except DecomposeError as exc:
            slots[index] = Trial(variant=variant.name, profile=profile, repeat=repeat, error=str(exc))
            continue
        workflow = with_repeat_seed(resolved, repeat)
        if variant.examples:
            later.append((index, workflow, inputs, variant, profile))
        else:
            jobs.append(RunJob(str(index), workflow, inputs))
    done = sum(1 for t in slots if t is not None)

    def combo(job: RunJob) -> tuple[Variant, str | None, int]:
        return combos[int(job.key)]

    def started(job: RunJob) -> None:
        variant, profile, repeat = combo(job)
        emit(ExperimentProgress("trial_started", done, total, variant.name, profile, repeat))

    def forward(job: RunJob, event: RunEvent) -> None:
        variant, profile, repeat = combo(job)
        emit(ExperimentProgress("node", done, total, variant.name, profile, repeat, event=event))

    def finished(outcome: RunOutcome) -> None:
        nonlocal done
        variant, profile, repeat = combo(outcome.job)
        if outcome.run is not None:
            trial = _make_trial(variant.name, profile, repeat, outcome.run, outcome.job.workflow, known)
        else:
            trial = Trial(variant=variant.name, profile=profile, repeat=repeat, error=outcome.error)
        slots[int(outcome.job.key)] = trial
        done += 1
        emit(ExperimentProgress("trial_finished", done, total, variant.name, profile, repeat, trial=trial))

    callbacks = Callbacks(on_start=started, on_event=forward, on_outcome=finished)
    finishing = 0 if concurrency <= 1 else None  # one at a time: undisturbed, each trial to its end
    many = functools.partial(
        run_many, engine, concurrency=concurrency, cancel=cancel, callbacks=callbacks, finishing=finishing
    )
    await many(jobs)
    specialised: list[RunJob] = []
    for index, workflow, inputs, variant, profile in later:
        try:  # the examples are chosen by the run's plan, never from this visitor's own runs
            examples = [ExampleRequest.parse(x) for x in variant.examples]
            specialised.append(RunJob(str(index), workflow, inputs, choices=Choices(examples=examples)))
        except DecomposeError as exc:
            slots[index] = Trial(
                variant=variant.name, profile=profile, repeat=combos[index][2], error=str(exc)
            )
            done += 1
    if specialised and not (cancel is not None and cancel.is_set()):
        await many(specialised)
    for index, slot in enumerate(slots):  # jobs cancelled before they started
        if slot is None:
            variant, profile, repeat = combos[index]
            slots[index] = Trial(variant=variant.name, profile=profile, repeat=repeat, error="cancelled")
    exp.trials = [t for t in slots if t is not None]
    exp.finished_at = time.time()
    # A cancelled re-run of a saved experiment (a re-measurement) must not replace the whole one with part.
    replacing_cancelled = experiment_id is not None and cancel is not None and cancel.is_set()
    if save and store is not None and not replacing_cancelled:
        save_experiment(exp, store)
    emit(ExperimentProgress("experiment_finished", done, total))
    return exp
