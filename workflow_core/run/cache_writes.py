"""A run's writes to the node cache, and its reads of them.

A result that took a while to make is committed as soon as it exists, so a crash or a kill later in the run
loses none of what was paid for. A quick one (under `QUICK_S`: a retrieval, an assembly, a call to a scripted
server) is held in memory and written with the run's other quick results in one transaction when the run's
nodes are done: its own commit would cost tens of microseconds on the node's path, and its children wait for
that, while losing it to a crash costs less than a quarter of a second to make again. Until it is written,
this run's lookups see it (another run sharing the store does not, and makes it again).

A write that finds the store held by another thread (a run being saved with its page) goes to a thread, off
the node's path; `finish` awaits every write before the run ends.
"""

from __future__ import annotations

import asyncio

from workflow_core.errors import DecomposeError
from workflow_core.records import NodeRecord
from workflow_core.run.store import Store

# A result made in less time than this (seconds) is written with the run's other quick results, at its end.
QUICK_S = 0.25


class CacheWrites:
    """One run's node-cache writes on `store` (see the module's notes)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._quick: dict[str, tuple[NodeRecord, str]] = {}
        self._landing: list[asyncio.Task[None]] = []

    def get(self, key: str) -> NodeRecord | None:
        """The cached result under `key`: this run's held quick results first, then the store."""
        held = self._quick.get(key)
        if held is not None:
            return NodeRecord.model_validate_json(held[1])
        return self.store.cache_get(key)

    def put(self, key: str, rec: NodeRecord, took_s: float) -> None:
        """Cache `rec` (as it is now) under `key`; `took_s` is what making it took. A write that fails becomes
        a warning on the node: its answer is paid for and stands."""
        encoded = rec.model_dump_json()
        if took_s < QUICK_S:
            self._quick[key] = (rec, encoded)
            return
        self._write([(key, rec, encoded)])

    def _write(self, entries: list[tuple[str, NodeRecord, str]]) -> None:
        """Commit `entries` now when the store is free, else on a thread that `finish` awaits."""
        try:
            if self.store.cache_put_many(entries, wait=False):
                return
        except DecomposeError as exc:
            _warn(entries, exc)
            return
        self._landing.append(asyncio.create_task(self._on_a_thread(entries)))

    async def _on_a_thread(self, entries: list[tuple[str, NodeRecord, str]]) -> None:
        try:
            await asyncio.to_thread(self.store.cache_put_many, entries)
        except DecomposeError as exc:
            _warn(entries, exc)

    async def finish(self) -> None:
        """Write the held quick results, in one transaction, and wait until every write has landed (or its
        failure is a warning on its node)."""
        if self._quick:
            entries = [(key, rec, encoded) for key, (rec, encoded) in self._quick.items()]
            self._quick = {}
            self._write(entries)
        landing, self._landing = self._landing, []
        await asyncio.gather(*landing, return_exceptions=True)


def _warn(entries: list[tuple[str, NodeRecord, str]], exc: DecomposeError) -> None:
    for _, rec, _ in entries:
        rec.warnings.append(f"the result could not be cached: {exc}")
