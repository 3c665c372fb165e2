"""Runs a workflow on a background thread with its own event loop, so a UI can poll its progress without
blocking (the Streamlit app keeps one per browser session; nothing here is shared between sessions)."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from workflow_core.errors import DecomposeError
from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.context import RunEvent
from workflow_core.run.engine import Engine
from workflow_core.run.plan import RunPlan
from workflow_core.secrets import redact


@dataclass
class RunProgress:
    """A consistent copy of a background run's state at one moment."""

    state: str  # "running" | "finished" | "error"
    records: dict[str, NodeRecord]
    streamed: dict[str, str]
    run: RunRecord | None
    error: str | None
    elapsed_s: float
    events: int = 0
    finished_order: list[str] = field(default_factory=list)
    # Each running node's latest status (what its model call waits on) and when it began (time.time()).
    status: dict[str, tuple[str, float]] = field(default_factory=dict)
    tokens: dict[str, int] = field(default_factory=dict)  # tokens streamed so far, by node

    def waits(self, node_id: str, now: float | None = None) -> str:
        """What a running node is doing, in words, with how long it has done it; generation with its rate."""
        found = self.status.get(node_id)
        if found is None:
            return "working"
        text, since = found
        elapsed = max((now if now is not None else time.time()) - since, 0.0)
        if text.startswith("generating"):
            count = self.tokens.get(node_id, 0)
            rate = f", {count / elapsed:.1f} tokens/s" if elapsed >= 0.5 else ""
            return f"{text}: {count} tokens{rate}"
        return f"{text} · {elapsed:.0f} s"


class BackgroundJob:
    """Async work on a daemon thread with its own event loop. State lives under `_lock`; `cancel()` sets an
    asyncio event the work watches; a failure becomes a message in `_error`, never an exception in the UI.
    Subclasses set their own fields, then call `_start()`, and implement `_work`."""

    def __init__(self, name: str) -> None:
        self._lock = threading.Lock()
        self._state = "running"
        self._error: str | None = None
        self._cancel_requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cancel: asyncio.Event | None = None
        self._started = time.perf_counter()
        self._ended: float | None = None
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)

    def _start(self) -> None:
        self._thread.start()

    async def _work(self, cancel: asyncio.Event) -> None:
        raise NotImplementedError

    def _main(self) -> None:
        async def go() -> None:
            self._loop = asyncio.get_running_loop()
            self._cancel = asyncio.Event()
            if self._cancel_requested:
                self._cancel.set()
            await self._work(self._cancel)

        try:
            asyncio.run(go())
        except DecomposeError as exc:
            with self._lock:
                self._error, self._state = str(exc), "error"
        except Exception as exc:  # shown as a message in the UI, never as a traceback
            with self._lock:
                self._error = redact(f"unexpected error: {type(exc).__name__}: {exc}")
                self._state = "error"
        finally:
            self._ended = time.perf_counter()

    def cancel(self) -> None:
        with self._lock:
            self._cancel_requested = True
        if self._loop is not None and self._cancel is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._cancel.set)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel_requested

    def _elapsed(self) -> float:
        return (self._ended or time.perf_counter()) - self._started

    @property
    def done(self) -> bool:
        return not self._thread.is_alive()


class BackgroundRun(BackgroundJob):
    """One workflow run on a daemon thread. `poll()` is cheap and thread-safe; `cancel()` stops it."""

    def __init__(self, engine: Engine, plan: RunPlan) -> None:
        """Run `plan` (which `engine.plan` made) on `engine`."""
        super().__init__(f"run-{plan.workflow.name}")
        self._engine = engine
        self._plan = plan
        self._records: dict[str, NodeRecord] = {}
        self._streamed: dict[str, str] = {}
        self._finished_order: list[str] = []
        self._status: dict[str, tuple[str, float]] = {}
        self._tokens: dict[str, int] = {}
        self._events = 0
        self._run: RunRecord | None = None
        self._start()

    def _on_event(self, event: RunEvent) -> None:
        with self._lock:
            self._events += 1
            if event.kind == "token" and event.node_id:
                self._streamed[event.node_id] = self._streamed.get(event.node_id, "") + (event.text or "")
                self._tokens[event.node_id] = self._tokens.get(event.node_id, 0) + 1
            elif event.kind == "node_status" and event.node_id and event.text:
                self._status[event.node_id] = (event.text, time.time())
            elif event.record is not None:
                self._records[event.record.id] = event.record.model_copy(deep=True)
                if event.kind == "node_started":
                    self._status[event.record.id] = ("working", time.time())
                if event.kind == "node_finished":
                    self._finished_order.append(event.record.id)
            if event.kind == "run_started" and event.run is not None:
                for rec in event.run.nodes:
                    self._records[rec.id] = rec.model_copy(deep=True)

    async def _work(self, cancel: asyncio.Event) -> None:
        async with self._engine as engine:
            run = await engine.run_plan(self._plan, on_event=self._on_event, cancel=cancel)
        with self._lock:
            self._run = run
            self._state = "finished"

    def poll(self) -> RunProgress:
        with self._lock:
            return RunProgress(
                state=self._state,
                records={k: v.model_copy() for k, v in self._records.items()},
                streamed=dict(self._streamed),
                run=self._run,
                error=self._error,
                elapsed_s=self._elapsed(),
                events=self._events,
                finished_order=list(self._finished_order),
                status=dict(self._status),
                tokens=dict(self._tokens),
            )

    def wait(self, timeout: float | None = None) -> RunProgress:
        self._thread.join(timeout)
        return self.poll()
