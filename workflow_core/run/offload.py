"""CPU work off the event loop: building and checking pages in worker processes, so that the loop running
many runs at once only schedules them.

A worker thread is not enough. Parsing a page with html5lib and measuring it is pure Python, and a thread
holds the interpreter lock while it works, so every other run's HTTP streams and node starts wait behind it.
Worker processes each have their own interpreter; the pages they work on travel to them pickled.

The pool is loky's process pool (joblib's): its workers start with fork + exec (safe beside the threads this
process already has) without re-running the caller's script, so a script that runs pages needs no
`if __name__ == "__main__"` guard; idle workers stop after `IDLE_TIMEOUT_S` and start again with the next
page (a second or so, to import the page code). One pool serves the whole process, whichever thread
asks, and is shut down when the process exits. It starts with `warm_up`, which what runs many pages at once
calls (`run_many` at a concurrency above one: batch and the lab; `serve`); until then page work runs on a
thread, as one run at a time (the studio's Run page) gains nothing from worker processes.

`DECOMPOSE_PAGE_WORKERS` sets how many worker processes there are: by default one per core, at most
`MAX_DEFAULT_WORKERS`; 0 keeps the work in this process, on a thread (what a machine with one core gets). If
a worker dies while it works on a page, the pool is started afresh and the work tried once more there (not
in this process: what killed a worker could kill this one); a page that kills two workers fails with an
error that says so. Either way a warning is logged.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from workflow_core.errors import DecomposeError

ENV_WORKERS = "DECOMPOSE_PAGE_WORKERS"
MAX_DEFAULT_WORKERS = 4
IDLE_TIMEOUT_S = 60

T = TypeVar("T")
log = logging.getLogger(__name__)


def page_workers() -> int:
    """How many worker processes page work gets (0: none, it runs on a thread of this process)."""
    raw = os.environ.get(ENV_WORKERS, "").strip()
    if not raw:
        cores = os.cpu_count() or 1
        return 0 if cores < 2 else min(cores, MAX_DEFAULT_WORKERS)
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < 0:
        raise DecomposeError(
            f"{ENV_WORKERS} must be a whole number of worker processes, 0 or more (it is {raw!r}); "
            "0 builds and checks pages on a thread of this process."
        )
    return value


_guard = threading.Lock()
_executor: Executor | None = None
_preloads: list[str] = []  # what each worker prepares as it starts (`preload`)
_wanted = False  # warm_up asked for the pool: one that broke is started again on the next piece of work


def _pool(start: bool = False) -> Executor | None:
    """The process's pool of page workers: None until `warm_up` (or `start`) has started it, and always
    None when page work stays here."""
    global _executor, _wanted
    workers = page_workers()
    if workers == 0:
        return None
    with _guard:
        _wanted = _wanted or start
        if _executor is None and _wanted:
            from loky import ProcessPoolExecutor

            _executor = ProcessPoolExecutor(
                max_workers=workers,
                timeout=IDLE_TIMEOUT_S,
                initializer=_prepare_worker,
                initargs=(os.getpid(), tuple(_preloads)),
            )
            atexit.unregister(shutdown)  # once, however many pools this process starts
            atexit.register(shutdown)
        return _executor


def preload(target: str) -> None:
    """Have each worker prepare `target` as it starts: a module to import ("package.module") or a function
    to call with no arguments ("package.module:function"). The code that offloads work registers what its
    work needs (the page checks register the page code and the icon index), so this pool knows no caller.
    Workers already running are not told; they import what a piece of work needs when it arrives."""
    with _guard:
        if target not in _preloads:
            _preloads.append(target)


def _discard(pool: Executor) -> None:
    global _executor
    with _guard:
        if _executor is pool:
            _executor = None
    pool.shutdown(wait=False, kill_workers=True)  # type: ignore[call-arg]


def shutdown() -> None:
    """Stop the page workers; page work runs on a thread again until the next `warm_up`."""
    global _executor, _wanted
    with _guard:
        pool, _executor, _wanted = _executor, None, False
    if pool is not None:
        pool.shutdown(wait=True)


async def offload(fn: Callable[..., T], *args: object) -> T:
    """`fn(*args)` in a page worker process (see the module's notes), awaited without blocking this loop.
    Its arguments and result must pickle (cloudpickle: a module-level function, or a method of a picklable
    object). What `fn` raises reaches the caller as it was raised."""
    for attempt in (1, 2):
        pool = _pool(start=attempt == 2)
        if pool is None:
            return await asyncio.to_thread(fn, *args)
        try:
            return await asyncio.wrap_future(pool.submit(functools.partial(fn, *args)))
        except BrokenProcessPool as exc:
            _discard(pool)
            why = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            log.warning("a page worker process died (%s); attempt %d of 2 for this page", why, attempt)
    raise DecomposeError(
        f"the page work crashed a worker process twice ({why}); the page itself may be what crashes the "
        f"parser: check it with `decompose check`, or set {ENV_WORKERS}=0 to work on it in this process."
    )


def warm_up() -> None:
    """Start the page workers (each prepared by `_prepare_worker`), so that the first pages of a batch do not
    wait a second or two for them. Until this is called, page work runs on a thread of this process: one run
    at a time (the studio's Run page) gains nothing from the pool and would pay its start. Does nothing when
    page work stays in this process."""
    pool = _pool(start=True)
    if pool is not None:
        for future in [pool.submit(_ready) for _ in range(page_workers())]:
            future.result()


def _ready() -> bool:
    return True


def _prepare_worker(parent: int, preloads: tuple[str, ...]) -> None:
    """What each worker does once, as it starts: watch for `parent` (this process) going away, prepare what
    the callers registered (`preload`), and then freeze what that allocated out of the garbage collector's
    sight. Without psutil, loky runs a full `gc.collect()` in every worker once a second (a full collection
    of the page code and the icon index alone takes about 36 ms here, and a busy worker spent about 15% of
    its time in them); frozen, a collection walks only what the pages since allocated."""
    import gc
    import importlib

    threading.Thread(target=_exit_with, args=(parent,), name="parent-watch", daemon=True).start()

    for target in preloads:
        module, _, function = target.partition(":")
        loaded = importlib.import_module(module)
        if function:
            getattr(loaded, function)()
    gc.freeze()


def _exit_with(parent: int) -> None:
    """End this worker once the process that started it (`parent`) is gone, even before it has finished
    starting. A parent killed outright (`kill -9`, the out-of-memory killer) tells its workers nothing, and
    loky's own idle timeout never fires in a worker stuck writing a result nobody will read: such workers
    lived on, orphaned, until the machine restarted."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)
