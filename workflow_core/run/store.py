"""SQLite persistence (stdlib): run records, and the content-addressed node cache. Numbered migrations
keep old databases readable."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from pathlib import Path

import platformdirs

from workflow_core.run.records import NodeRecord, RunRecord

_MIGRATIONS: list[str] = [
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        workflow TEXT NOT NULL,
        profile TEXT,
        started_at REAL NOT NULL,
        status TEXT NOT NULL,
        total_cost_usd REAL NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX runs_workflow ON runs (workflow, started_at);
    CREATE TABLE cache (
        key TEXT PRIMARY KEY,
        node_kind TEXT NOT NULL,
        record TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    """,
    """
    CREATE TABLE experiments (
        experiment_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        created_at REAL NOT NULL,
        record TEXT NOT NULL
    );
    """,
    # Output tokens of each node's successful uncached runs, for estimates: reading them out of the runs'
    # JSON records cost a scan of the latest records for every model node of every run.
    """
    CREATE TABLE node_outputs (
        run_id TEXT NOT NULL,
        workflow TEXT NOT NULL,
        node_id TEXT NOT NULL,
        started_at REAL NOT NULL,
        output_tokens INTEGER NOT NULL,
        PRIMARY KEY (run_id, node_id)
    );
    CREATE INDEX node_outputs_workflow ON node_outputs (workflow, node_id, started_at);
    INSERT OR REPLACE INTO node_outputs (run_id, workflow, node_id, started_at, output_tokens)
        SELECT r.run_id, r.workflow, json_extract(n.value, '$.id'), r.started_at,
               json_extract(n.value, '$.output_tokens')
        FROM runs AS r, json_each(r.record, '$.nodes') AS n
        WHERE json_extract(n.value, '$.status') = 'ok' AND NOT json_extract(n.value, '$.cached')
          AND json_extract(n.value, '$.output_tokens') > 0;
    """,
]


def default_db_path() -> Path:
    """DECOMPOSE_DB, else the user data dir. Tests point DECOMPOSE_DB at a temporary file."""
    env = os.environ.get("DECOMPOSE_DB")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("decompose-studio")) / "decompose.sqlite3"


class Store:
    """Thread-safe (one connection guarded by a lock): the app runs workflows on worker threads."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        if str(self.path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL never corrupts the database; a crash can only lose the last few commits, which
        # for runs and cache entries is cheaper than an fsync on every node (about 7 ms each here).
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock:
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                self._db.executescript(script)
                self._db.execute(f"PRAGMA user_version = {number}")
            self._db.commit()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # cache
    def cache_get(self, key: str) -> NodeRecord | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM cache WHERE key = ?", (key,)).fetchone()
        return NodeRecord.model_validate_json(row[0]) if row else None

    def cache_put(self, key: str, record: NodeRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO cache (key, node_kind, record, created_at) VALUES (?, ?, ?, ?)",
                (key, record.kind, record.model_dump_json(), time.time()),
            )
            self._db.commit()

    def cache_clear(self) -> int:
        with self._lock:
            n = self._db.execute("DELETE FROM cache").rowcount
            self._db.commit()
        return n

    # runs
    def save_run(self, run: RunRecord) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO runs (run_id, workflow, profile, started_at, status, total_cost_usd, record)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    run.run_id,
                    run.workflow,
                    run.profile,
                    run.started_at,
                    run.status,
                    run.total_cost_usd,
                    run.model_dump_json(),
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO node_outputs (run_id, workflow, node_id, started_at, output_tokens)"
                " VALUES (?, ?, ?, ?, ?)",
                [
                    (run.run_id, run.workflow, n.id, run.started_at, n.output_tokens)
                    for n in run.nodes
                    if n.status == "ok" and not n.cached and n.output_tokens
                ],
            )
            self._db.commit()

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

    def past_output_tokens(self, workflow: str, limit: int = 5) -> dict[str, int]:
        """Per node id, the mean output tokens of its latest `limit` successful uncached runs (for estimates)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT node_id, AVG(output_tokens) FROM ("
                " SELECT node_id, output_tokens,"
                " ROW_NUMBER() OVER (PARTITION BY node_id ORDER BY started_at DESC) AS latest"
                " FROM node_outputs WHERE workflow = ?"
                ") WHERE latest <= ? GROUP BY node_id",
                (workflow, limit),
            ).fetchall()
        return {node_id: round(mean) for node_id, mean in rows}

    # experiments
    def save_experiment(self, experiment_id: str, name: str, record_json: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO experiments (experiment_id, name, created_at, record) VALUES (?, ?, ?, ?)",
                (experiment_id, name, time.time(), record_json),
            )
            self._db.commit()

    def get_experiment(self, experiment_id: str) -> str | None:
        with self._lock:
            row = self._db.execute(
                "SELECT record FROM experiments WHERE experiment_id = ?", (experiment_id,)
            ).fetchone()
        return row[0] if row else None

    def list_experiments(self) -> list[dict[str, object]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT experiment_id, name, created_at FROM experiments ORDER BY created_at DESC"
            ).fetchall()
        return [{"experiment_id": r[0], "name": r[1], "created_at": r[2]} for r in rows]
