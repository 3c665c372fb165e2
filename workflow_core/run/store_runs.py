"""The store's run records and the content-addressed node cache that runs fill. A run is kept whole as its
JSON record beside the columns that list and filter it; saving one also records its model calls for
estimates (store_calls), in the same transaction."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence

from workflow_core.records import NodeRecord, RunRecord
from workflow_core.run.store_calls import CallStatsPart, call_rows


class RunsPart(CallStatsPart):
    # cache
    def cache_get(self, key: str) -> NodeRecord | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM cache WHERE key = ?", (key,)).fetchone()
        return NodeRecord.model_validate_json(row[0]) if row else None

    def cache_put(self, key: str, record: NodeRecord, encoded: str | None = None, wait: bool = True) -> bool:
        """Cache `record` under `key`; `encoded` is its JSON when the caller made it already. With
        `wait=False` nothing is written, and False returned, when another thread holds the store (a caller on
        an event loop then writes on a thread instead of waiting there)."""
        encoded = (
            encoded if encoded is not None else record.model_dump_json()
        )  # before the lock (see save_run)
        return self.cache_put_many([(key, record, encoded)], wait=wait)

    def cache_put_many(self, entries: Sequence[tuple[str, NodeRecord, str]], wait: bool = True) -> bool:
        """Cache each (key, record, its JSON) of `entries` in one transaction; `wait` as in `cache_put`."""
        now = time.time()
        rows = [(key, record.kind, encoded, now) for key, record, encoded in entries]
        what = "a cached node result" if len(rows) == 1 else f"{len(rows)} cached node results"
        with self._writing(what, wait=wait) as holding:
            if holding:
                self._db.executemany(
                    "INSERT OR REPLACE INTO cache (key, node_kind, record, created_at) VALUES (?, ?, ?, ?)",
                    rows,
                )
        return holding

    def cache_clear(self) -> int:
        with self._writing("the cleared cache"):
            n = self._db.execute("DELETE FROM cache").rowcount
        return n

    # runs
    def save_run(self, run: RunRecord, wait: bool = True) -> bool:
        """Save `run` (again: its latest state replaces the earlier one). With `wait=False` nothing is saved,
        and False returned, when another thread holds the store."""
        # Encoded before the lock: a finished run holds its page, and the event loop waits on this lock to
        # read the store (an estimate's history) while another thread saves.
        record = run.model_dump_json()
        calls = call_rows(run)
        with self._writing(f"run {run.run_id}", wait=wait) as holding:
            if holding:
                self._db.execute(
                    "INSERT OR REPLACE INTO runs (run_id, workflow, profile, started_at, status, total_cost_usd,"
                    " record) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        run.run_id,
                        run.workflow,
                        run.profile,
                        run.started_at,
                        run.status,
                        run.total_cost_usd,
                        record,
                    ),
                )
                self._save_calls(calls)
        if holding:
            with self._lock:  # once committed
                self._remember_calls(run.workflow, calls)
        return holding

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        return RunRecord.model_validate_json(row[0]) if row else None

    def list_runs(self, workflow: str | None = None, limit: int = 50) -> list[dict[str, object]]:
        """Summaries, newest first (the full record is fetched with get_run)."""
        query = "SELECT run_id, workflow, profile, started_at, status, total_cost_usd FROM runs"
        args: tuple[object, ...] = ()
        if workflow:
            query += " WHERE workflow = ?"
            args = (workflow,)
        query += " ORDER BY started_at DESC LIMIT ?"
        with self._lock:
            rows = self._db.execute(query, (*args, limit)).fetchall()
        keys = ("run_id", "workflow", "profile", "started_at", "status", "total_cost_usd")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def mark_interrupted(self) -> int:
        """Mark as interrupted every run still recorded as running whose process on this host has stopped
        (killed or crashed mid-run); its unfinished nodes say so. Returns how many were marked."""
        host = socket.gethostname()
        with self._lock:
            rows = self._db.execute("SELECT record FROM runs WHERE status = 'running'").fetchall()
        marked = 0
        for (raw,) in rows:
            run = RunRecord.model_validate_json(raw)
            owner, _, pid = (run.process or "").rpartition(":")
            if owner != host or not pid.isdigit() or _alive(int(pid)):
                continue
            run.status = "interrupted"
            for node in run.nodes:
                if node.status in ("pending", "running"):
                    node.status, node.error = "cancelled", "interrupted: the process running it stopped"
            self.save_run(run)
            marked += 1
        return marked


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True
