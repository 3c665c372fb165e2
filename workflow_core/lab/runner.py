"""Runs an experiment on a background thread with its own event loop, so a UI can poll its progress (trial
i/N, the variant, profile and node at work) and cancel it without blocking. Like `run.background.BackgroundRun` for a
single run; one per browser session, nothing shared between sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from workflow_core.lab.experiment import Experiment, ExperimentSpec, Trial
from workflow_core.lab.trials import ExperimentProgress, run_experiment
from workflow_core.run.background import BackgroundJob
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.scenario import Scenario


@dataclass
class ExperimentStatus:
    """A consistent copy of a background experiment's state at one moment."""

    state: str  # "running" | "finished" | "cancelled" | "error"
    done: int
    total: int
    variant: str | None
    profile: str | None
    repeat: int
    nodes: dict[str, str]  # node id -> status, for the trial under way
    trials: list[Trial]  # finished trials, in the order they finished
    experiment: Experiment | None
    error: str | None
    elapsed_s: float
    running_nodes: list[str] = field(default_factory=list)
    waits: dict[str, str] = field(default_factory=dict)  # running node -> what its model call waits on


class BackgroundExperiment(BackgroundJob):
    """One experiment on a daemon thread. `poll()` is cheap and thread-safe; `cancel()` stops it after the
    nodes under way (the trials not yet started are recorded as cancelled, and the experiment is saved)."""

    def __init__(
        self,
        spec: ExperimentSpec,
        scenario: Scenario,
        engine_factory: Callable[[], Engine],
        *,
        store: Store | None = None,
        experiment_id: str | None = None,
        remeasure: frozenset[str] = frozenset(),
    ) -> None:
        """`remeasure` (with the `experiment_id` to replace): cache keys whose results keep their output and
        have their timing taken again (`lab.disturbance.remeasure_keys`); every other node comes from the
        cache as before."""
        super().__init__(f"experiment-{spec.name}")
        self._experiment_id = experiment_id
        self._remeasure = remeasure
        self.spec = spec
        self._scenario = scenario
        self._factory = engine_factory
        self._store = store
        self._done = 0
        self._total = 0
        self._variant: str | None = None
        self._profile: str | None = None
        self._repeat = 0
        self._nodes: dict[str, str] = {}
        self._waits: dict[str, str] = {}
        self._trials: list[Trial] = []
        self._experiment: Experiment | None = None
        self._start()

    def _on_progress(self, p: ExperimentProgress) -> None:
        with self._lock:
            self._done, self._total = p.done, p.total
            if p.phase == "trial_started":
                self._variant, self._profile, self._repeat = p.variant, p.profile, p.repeat
                self._nodes, self._waits = {}, {}
            elif p.phase == "node" and p.event is not None:
                event = p.event
                if event.kind == "run_started" and event.run is not None:
                    self._nodes = {n.id: n.status for n in event.run.nodes}
                elif event.record is not None and event.kind in {"node_started", "node_finished"}:
                    self._nodes[event.record.id] = event.record.status
                    self._waits.pop(event.record.id, None)
                elif event.kind == "node_status" and event.node_id and event.text:
                    self._waits[event.node_id] = event.text
            elif p.phase == "trial_finished" and p.trial is not None:
                self._trials.append(p.trial)

    async def _work(self, cancel: asyncio.Event) -> None:
        async with self._factory() as engine:
            engine.remeasure = set(self._remeasure)
            experiment = await run_experiment(
                self.spec,
                self._scenario,
                engine,
                self._on_progress,
                store=self._store,
                cancel=cancel,
                experiment_id=self._experiment_id,
            )
        with self._lock:
            self._experiment = experiment
            self._state = "cancelled" if cancel.is_set() else "finished"

    def poll(self) -> ExperimentStatus:
        with self._lock:
            return ExperimentStatus(
                state=self._state,
                done=self._done,
                total=self._total,
                variant=self._variant,
                profile=self._profile,
                repeat=self._repeat,
                nodes=dict(self._nodes),
                waits={n: w for n, w in self._waits.items() if self._nodes.get(n) == "running"},
                trials=list(self._trials),
                experiment=self._experiment,
                error=self._error,
                elapsed_s=self._elapsed(),
                running_nodes=[n for n, s in self._nodes.items() if s == "running"],
            )

    def wait(self, timeout: float | None = None) -> ExperimentStatus:
        self._thread.join(timeout)
        return self.poll()
