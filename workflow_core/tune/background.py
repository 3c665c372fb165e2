"""`specialise` on a background thread (as `lab.search.background.BackgroundSearch` runs a model search), so
the app can poll the training's progress and cancel it. A cancel stops after the step under way and keeps the
checkpoint: the same request started again resumes it. A failure is a message, never an exception in the UI.

The training itself is `tune.specialise`; `check_data` is its first step alone (reading the run store only),
so the app can say whether there are enough examples before anything loads."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace

from workflow_core.pricing.book import PriceBook
from workflow_core.providers.adapters import Adapter
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.run.background import BackgroundJob
from workflow_core.run.store import Store
from workflow_core.tune.data import TrainingData
from workflow_core.tune.specialise import Request, specialise, training_data
from workflow_core.tune.train import Cancelled, Progress

# `specialise`'s signature: (request, store, registry, prices, *, on_progress, on_data, cancel) -> Adapter.
Specialiser = Callable[..., Adapter]


def check_data(request: Request, store: Store) -> TrainingData:
    """The examples `request` would train on; a DecomposeError says how many more runs to make."""
    return training_data(request, store)


@dataclass
class SpecialiseStatus:
    """A consistent copy of a background training's state."""

    state: str  # "running" | "finished" | "cancelled" | "error"
    progress: Progress | None  # the last progress reported (kept after the training ends)
    data: str | None  # the training data's summary, once collected
    adapter: Adapter | None  # once finished
    message: str | None  # why it was cancelled (where the checkpoint is kept)
    error: str | None
    cancel_requested: bool
    elapsed_s: float


class BackgroundSpecialise(BackgroundJob):
    """One `specialise(request, ...)` on a daemon thread; `run` replaces `specialise` (tests)."""

    def __init__(
        self,
        request: Request,
        store: Store,
        registry: ProviderRegistry,
        prices: PriceBook,
        *,
        run: Specialiser = specialise,
    ) -> None:
        super().__init__(f"specialise-{request.name}")
        self.request = request
        self._store = store
        self._registry = registry
        self._prices = prices
        self._run = run
        self._stop = threading.Event()  # what `specialise` watches between steps
        self._progress: Progress | None = None
        self._data: str | None = None
        self._adapter: Adapter | None = None
        self._message: str | None = None
        self._start()

    def _on_progress(self, p: Progress) -> None:
        with self._lock:
            self._progress = replace(p)

    def _on_data(self, data: TrainingData) -> None:
        with self._lock:
            self._data = data.summary()

    async def _work(self, cancel: asyncio.Event) -> None:
        # The training is synchronous: it runs on this job's own thread, and watches `_stop`, not `cancel`.
        try:
            adapter = self._run(
                self.request,
                self._store,
                self._registry,
                self._prices,
                on_progress=self._on_progress,
                on_data=self._on_data,
                cancel=self._stop,
            )
        except Cancelled as exc:
            with self._lock:
                self._message, self._state = str(exc), "cancelled"
            return
        with self._lock:
            self._adapter, self._state = adapter, "finished"

    def cancel(self) -> None:
        """Stop after the step under way; the checkpoint is kept."""
        self._stop.set()
        super().cancel()

    def poll(self) -> SpecialiseStatus:
        with self._lock:
            return SpecialiseStatus(
                state=self._state,
                progress=replace(self._progress) if self._progress is not None else None,
                data=self._data,
                adapter=self._adapter,
                message=self._message,
                error=self._error,
                cancel_requested=self._cancel_requested,
                elapsed_s=self._elapsed(),
            )

    def wait(self, timeout: float | None = None) -> SpecialiseStatus:
        self._thread.join(timeout)
        return self.poll()
