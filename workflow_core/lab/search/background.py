"""A model search on a background thread (as `lab.runner.BackgroundExperiment` runs an experiment), so the
app can poll its progress and cancel it; the search stops after the evaluation under way and keeps what it
has."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from workflow_core.lab.search.scores import Outcome
from workflow_core.lab.search.search import ModelSearch, SearchProgress, SearchRequest
from workflow_core.lab.search.space import label
from workflow_core.run.background import BackgroundJob
from workflow_core.run.engine import Engine
from workflow_core.scenario import Scenario


@dataclass
class SearchStatus:
    """A consistent copy of a background search's state."""

    state: str  # "running" | "finished" | "cancelled" | "error"
    done: int
    planned: int
    current: str | None  # the assignment under way, as a variant name
    profile: str | None
    outcomes: list[tuple[str, str | None, Outcome]]  # (assignment, visitor, what it measured), in order
    experiment_id: str | None  # None until it ends, and when it ended before its first evaluation
    stopped: str | None  # what stopped it early: the budget, a cancel
    error: str | None
    elapsed_s: float


class BackgroundSearch(BackgroundJob):
    def __init__(
        self, request: SearchRequest, scenario: Scenario, engine_factory: Callable[[], Engine]
    ) -> None:
        super().__init__("model-search")
        self.request = request
        self._scenario = scenario
        self._factory = engine_factory
        self._done = self._planned = 0
        self._current: str | None = None
        self._profile: str | None = None
        self._outcomes: list[tuple[str, str | None, Outcome]] = []
        self._experiment_id: str | None = None
        self._stopped: str | None = None
        self._start()

    def _on_progress(self, p: SearchProgress) -> None:
        with self._lock:
            self._done, self._planned = p.done, p.planned
            if p.outcome is None:
                self._current, self._profile = label(p.assignment), p.profile
            else:
                self._outcomes.append((label(p.assignment), p.profile, p.outcome))
                self._current = None

    async def _work(self, cancel: asyncio.Event) -> None:
        async with self._factory() as engine:
            result, experiment = await ModelSearch(self.request, self._scenario, engine).run(
                self._on_progress, cancel
            )
        with self._lock:
            self._experiment_id = experiment.experiment_id if experiment.trials else None
            self._stopped = result.stopped
            self._state = "cancelled" if cancel.is_set() else "finished"

    def poll(self) -> SearchStatus:
        with self._lock:
            return SearchStatus(
                state=self._state,
                done=self._done,
                planned=self._planned,
                current=self._current,
                profile=self._profile,
                outcomes=list(self._outcomes),
                experiment_id=self._experiment_id,
                stopped=self._stopped,
                error=self._error,
                elapsed_s=self._elapsed(),
            )

    def wait(self, timeout: float | None = None) -> SearchStatus:
        self._thread.join(timeout)
        return self.poll()
