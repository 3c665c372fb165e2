"""Experiments: variants (workflows with their model assignment) × profiles × repeats: run, summarise, store.

A variant is a workflow (a built-in template name, a YAML path or YAML text) plus model overrides. Every trial
is one engine run. The first repeat reuses the engine's cache, so re-running an experiment costs nothing.
Repeats after the first are real repeats: every model-backed node gets `params.seed = base + r` (base = the
node's own seed or 0), which changes the cache key and asks the model for a different sample. Those repeats
are cached too, under their own seed, so re-opening or re-running the same experiment is reproducible.

Costs compare `cost_if_uncached_usd` (a cached node's `cost_usd` is 0). Latencies of cached nodes are the
latencies measured when they were computed (read back from the cache), so a partly cached run still reports
the latency it would have had.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import statistics
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from workflow_core.errors import DecomposeError
from workflow_core.lab.intervals import Interval, axis_intervals, interval, run_quality
from workflow_core.lab.similarity import distinctiveness
from workflow_core.quality.model import publishable
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.inputs import RunInputs
from workflow_core.run.many import Callbacks, RunJob, RunOutcome, first_error, run_many
from workflow_core.run.store import Store
from workflow_core.workflow.graph import critical_path
from workflow_core.workflow.spec import Workflow, parse_workflow

if TYPE_CHECKING:
    from workflow_core.run.context import RunEvent
    from workflow_core.run.engine import Engine
    from workflow_core.scenario import Scenario


class Variant(BaseModel):
    """One way to do the job: a workflow and the models its nodes run on."""

    name: str
    workflow: str  # built-in template name, YAML path, or YAML text
    model_overrides: dict[str, str] = Field(default_factory=dict)
    all_models: str | None = None
    # Nodes specialised by examples from past runs, as `NODE=best|REF[:K]` (workflow_core.run.examples); each
    # trial takes them from runs on other profiles than its own.
    examples: list[str] = Field(default_factory=list)

    def resolve(self) -> Workflow:
        """The workflow with this variant's models applied."""
        from workflow_core.workflow.templates import resolve_workflow

        text = self.workflow
        if "\n" in text or text.lstrip().startswith(("name:", "nodes:")):
            wf = parse_workflow(text, source=f"variant {self.name}")
        else:
            wf = resolve_workflow(text)
        return wf.with_models(self.model_overrides or None, self.all_models)


class ExperimentSpec(BaseModel):
    name: str
    variants: list[Variant]
    profiles: list[str] = Field(default_factory=list)  # empty: every profile of the scenario
    repeats: int = Field(1, ge=1, le=100)


class Trial(BaseModel):
    """One run of one variant on one profile. `run` is the run record without its prompts (the full record
    is in the store under `run.run_id`); `latencies` are per-node latencies as computed (cached ones too)."""

    variant: str
    profile: str | None = None
    repeat: int = 0
    run: RunRecord | None = None
    error: str | None = None
    latencies: dict[str, float] = Field(default_factory=dict)
    critical_path_s: float = 0.0
    wall_s: float = 0.0
    wall_estimated: bool = False  # True when cached nodes made the measured wall time meaningless

    @property
    def ok(self) -> bool:
        return self.run is not None and self.run.status == "ok" and self.error is None

    @property
    def cost_usd(self) -> float:
        return sum(n.cost_if_uncached_usd for n in self.run.nodes) if self.run else 0.0


class VariantSummary(BaseModel):
    """Per-run means of a variant over its profiles and repeats."""

    variant: str
    workflow: str
    k: int
    runs: int
    failures: int
    calls: float
    input_tokens: float
    output_tokens: float
    cost_usd: float  # mean per run, from cost_if_uncached_usd
    cost_total_usd: float
    wall_s: float
    critical_path_s: float
    qa_mean: float | None  # the runs' quality under the analysis's axis weights
    qa_std: float | None
    qa_interval: Interval | None = None
    axes: dict[str, Interval] = Field(default_factory=dict)  # each quality axis over the runs
    distinctiveness: float | None
    # The share of checked runs whose page is publishable (no blocking finding), and of their copy written
    # for the visitor / repeated on the page (quality.substance.originality); None when nothing says.
    publishable: float | None = None
    written: float | None = None
    repeated: float | None = None

    def row(self) -> dict[str, Any]:
        """Flat, for tables and CSV: the quality interval as qa_low/qa_high and each axis's mean as
        `axis:<name>` (`lab.tables.axis_rows` has the axes' intervals)."""
        row = self.model_dump(exclude={"qa_interval", "axes"})
        iv = self.qa_interval
        row["qa_low"], row["qa_high"] = (iv.low, iv.high) if iv is not None else (None, None)
        row.update({f"axis:{name}": a.mean for name, a in self.axes.items()})
        return row


class NodeSummary(BaseModel):
    """Per-run means of one node of one variant (measured costs)."""

    variant: str
    node: str
    kind: str
    model: str | None
    calls: float
    input_tokens: float
    output_tokens: float
    cost_usd: float  # mean per run, from cost_if_uncached_usd
    latency_s: float
    cached_share: float
    failures: int

    def row(self) -> dict[str, Any]:
        return self.model_dump()


class Experiment(BaseModel):
    experiment_id: str
    spec: ExperimentSpec
    scenario: str | None = None
    created_at: float = Field(default_factory=time.time)
    finished_at: float | None = None
    k: dict[str, int] = Field(default_factory=dict)  # variant -> agent count
    workflows: dict[str, str] = Field(default_factory=dict)  # variant -> workflow name
    trials: list[Trial] = Field(default_factory=list)

    def trials_of(self, variant: str) -> list[Trial]:
        return [t for t in self.trials if t.variant == variant]

    def summaries(self, weights: Mapping[str, float] | None = None) -> list[VariantSummary]:
        return [summarise_variant(self, v.name, weights=weights) for v in self.spec.variants]


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
        if node.model is not None or node.is_llm:
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
) -> Experiment:
    """Run every variant × profile × repeat and save the experiment (to `store`, else the engine's store).

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
        exp.k[v.name] = wf.agent_count
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
        try:
            specialised.append(
                RunJob(str(index), _specialised(workflow, variant.examples, store, profile), inputs)
            )
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
    if store is not None:
        save_experiment(exp, store)
    emit(ExperimentProgress("experiment_finished", done, total))
    return exp


def _specialised(wf: Workflow, specs: list[str], store: Store | None, profile: str | None) -> Workflow:
    from workflow_core.run.examples import ExampleRequest, with_examples

    if store is None:
        raise DecomposeError("a variant with examples reads past runs, but no run database is open.")
    return with_examples(wf, store, [ExampleRequest.parse(x) for x in specs], exclude_profile=profile)


def save_experiment(experiment: Experiment, store: Store) -> None:
    store.save_experiment(experiment.experiment_id, experiment.spec.name, experiment.model_dump_json())


def load_experiment(experiment_id: str, store: Store) -> Experiment:
    raw = store.get_experiment(experiment_id)
    if raw is None:
        raise DecomposeError(
            f"no experiment '{experiment_id}' in {store.path}; list them with list_experiments()."
        )
    return Experiment.model_validate_json(raw)


def list_experiments(store: Store) -> list[dict[str, object]]:
    return store.list_experiments()


# ---------------------------------------------------------------- summaries


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def summarise_variant(
    experiment: Experiment,
    variant: str,
    costs: dict[int, float] | None = None,
    weights: Mapping[str, float] | None = None,
) -> VariantSummary:
    """A variant's per-run means. `costs` (trial index in `experiment.trials` -> USD) replaces measured costs,
    e.g. with re-priced ones; `weights` are the quality axes' weights (default: DEFAULT_WEIGHTS)."""
    indexed = [(i, t) for i, t in enumerate(experiment.trials) if t.variant == variant]
    ok = [(i, t) for i, t in indexed if t.run is not None]
    runs = [t.run for _, t in ok if t.run is not None]
    cost = [costs[i] if costs is not None and i in costs else t.cost_usd for i, t in ok]
    qa = [q for q in (run_quality(r, weights) for r in runs) if q is not None]
    pages: dict[str, list[str]] = {}
    for _, t in ok:
        if t.run is not None and t.run.page_html:
            pages.setdefault(t.profile or "", []).append(t.run.page_html)
    return VariantSummary(
        variant=variant,
        workflow=experiment.workflows.get(variant, ""),
        k=experiment.k.get(variant, 0),
        runs=len(indexed),
        failures=sum(1 for _, t in indexed if not t.ok),
        calls=mean([sum(n.calls for n in r.nodes) for r in runs]),
        input_tokens=mean([sum(n.input_tokens for n in r.nodes) for r in runs]),
        output_tokens=mean([sum(n.output_tokens for n in r.nodes) for r in runs]),
        cost_usd=mean(cost),
        cost_total_usd=sum(cost),
        wall_s=mean([t.wall_s for _, t in ok]),
        critical_path_s=mean([t.critical_path_s for _, t in ok]),
        qa_mean=mean(qa) if qa else None,
        qa_std=statistics.pstdev(qa) if len(qa) > 1 else (0.0 if qa else None),
        qa_interval=interval(qa),
        axes=axis_intervals(runs),
        distinctiveness=distinctiveness(pages),
        publishable=_share([publishable(r.qa_axes, r.qa_findings) for r in runs]),
        written=_mean_of([r.qa_measures.get("originality.written") for r in runs]),
        repeated=_mean_of([r.qa_measures.get("originality.repeated") for r in runs]),
    )


def _share(flags: list[bool | None]) -> float | None:
    known = [f for f in flags if f is not None]
    return round(sum(known) / len(known), 4) if known else None


def _mean_of(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(mean(known), 4) if known else None
