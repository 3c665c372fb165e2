"""Steps after a run, plugged into the engine from outside (in the spirit of Burr's lifecycle hooks): the
engine schedules, retries, caches and emits events; collecting the page, checking it and saving the record
are hooks, so the executor knows nothing of pages or persistence."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Protocol

from workflow_core.records import RunRecord
from workflow_core.run.inputs import RunInputs
from workflow_core.run.store import Store
from workflow_core.workflow.graph import WorkflowGraph


@dataclass(frozen=True)
class FinishedRun:
    """What a hook after a run sees: the run's record (which it may complete), its graph and its inputs."""

    run: RunRecord
    graph: WorkflowGraph
    inputs: RunInputs


class RunHook(Protocol):
    def before_run(self, run: RunRecord) -> None:
        """Called once the run's record exists, before any node starts."""

    def after_run(self, finished: FinishedRun) -> Awaitable[None] | None:
        """Called once every node has finished, in the order the hooks were given, before `run_finished`.
        A plain method runs on a worker thread (not the event loop's): it may do CPU or disk work, but must
        not touch the loop. A coroutine (e.g. one that calls a model about the page) is awaited on the loop."""


class SaveRun:
    """Saves every run to the store: as running when it starts (so a process killed mid-run leaves a record
    that the next start marks interrupted), and in full when it finishes."""

    # A finished run this small (its page and outputs, in characters) is saved on the loop when the store is
    # free: a committed write of it takes well under a millisecond, less than the hop to a worker thread,
    # whose thread then contends with the loop for the interpreter. A larger one, or one with screenshots,
    # is saved on a thread, so the other runs on the loop are not held up.
    INLINE_CHARS = 200_000

    def __init__(self, store: Store) -> None:
        self.store = store

    def before_run(self, run: RunRecord) -> None:
        self.store.save_run(run)

    async def after_run(self, finished: FinishedRun) -> None:
        run = finished.run
        size = len(run.page_html or "") + sum(len(n.output_text) + len(n.page_html or "") for n in run.nodes)
        if not run.screenshots and size < self.INLINE_CHARS and self.store.save_run(run, wait=False):
            return
        await asyncio.to_thread(save_finished_run, self.store, run)


def save_finished_run(store: Store, run: RunRecord) -> None:
    """A finished run in full, and its page's screenshots (kept by page, not in the record)."""
    store.save_run(run)
    if run.screenshots and run.page_html:
        store.save_screenshots(run.page_html, {w: ("image/jpeg", b) for w, b in run.screenshots.items()})
