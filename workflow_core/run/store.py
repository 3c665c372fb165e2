"""SQLite persistence (stdlib): run records, the content-addressed node cache, experiments and people's
(and judges') pairwise votes. Numbered migrations keep old databases readable."""

from __future__ import annotations

import hashlib
import os
import socket
import sqlite3
import statistics
import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

from workflow_core.errors import DecomposeError
from workflow_core.records import NodeRecord, RunRecord

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
    # Screenshots of a rendered page, keyed by the page's sha256: a cached run shows the same page, so it
    # shows the same screenshots without rendering again, and run records stay small.
    """
    CREATE TABLE IF NOT EXISTS page_screenshots (
        page_sha TEXT NOT NULL,
        width INTEGER NOT NULL,
        mime TEXT NOT NULL,
        data BLOB NOT NULL,
        created_at REAL NOT NULL,
        PRIMARY KEY (page_sha, width)
    );
    """,
    # Blind pairwise votes on an experiment's pages (workflow_core.judgement): by a person, or by an LLM judge
    # (`judge` names its model). The id is a hash of the vote's content, so merging exports never duplicates.
    """
    CREATE TABLE IF NOT EXISTS votes (
        vote_id TEXT PRIMARY KEY,
        experiment_id TEXT NOT NULL,
        profile TEXT,
        left_variant TEXT NOT NULL,
        right_variant TEXT NOT NULL,
        left_run TEXT NOT NULL,
        right_run TEXT NOT NULL,
        winner TEXT NOT NULL CHECK (winner IN ('left', 'right', 'tie')),
        voter TEXT NOT NULL DEFAULT '',
        judge TEXT,
        cost_usd REAL NOT NULL DEFAULT 0,
        created_at REAL NOT NULL
    );
    CREATE INDEX IF NOT EXISTS votes_experiment ON votes (experiment_id, created_at);
    """,
    # What an estimate learns from each model call, kept as runs are saved (it replaces node_outputs, which
    # kept output tokens only): the model, its input tokens against
    # the characters of its prompt (the model's own tokenizer, measured), its latency and compute seconds.
    """
    CREATE TABLE node_calls (
        run_id TEXT NOT NULL,
        workflow TEXT NOT NULL,
        node_id TEXT NOT NULL,
        model TEXT NOT NULL,
        started_at REAL NOT NULL,
        prompt_chars INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        latency_s REAL NOT NULL,
        compute_s REAL NOT NULL,
        PRIMARY KEY (run_id, node_id)
    );
    CREATE INDEX node_calls_node ON node_calls (workflow, node_id, started_at);
    CREATE INDEX node_calls_model ON node_calls (model, started_at);
    INSERT OR REPLACE INTO node_calls
        SELECT r.run_id, r.workflow, json_extract(n.value, '$.id'), json_extract(n.value, '$.model'),
               r.started_at,
               (SELECT COALESCE(SUM(length(json_extract(m.value, '$.content'))), 0)
                  FROM json_each(n.value, '$.messages') AS m),
               json_extract(n.value, '$.input_tokens'), json_extract(n.value, '$.output_tokens'),
               json_extract(n.value, '$.latency_s'), COALESCE(json_extract(n.value, '$.compute_s'), 0)
        FROM runs AS r, json_each(r.record, '$.nodes') AS n
        WHERE json_extract(n.value, '$.status') = 'ok' AND NOT json_extract(n.value, '$.cached')
          AND json_extract(n.value, '$.model') IS NOT NULL
          AND json_extract(n.value, '$.input_tokens') > 0 AND json_extract(n.value, '$.output_tokens') > 0;
    DROP TABLE IF EXISTS node_outputs;
    """,
]

VOTE_COLUMNS = (
    "vote_id",
    "experiment_id",
    "profile",
    "left_variant",
    "right_variant",
    "left_run",
    "right_run",
    "winner",
    "voter",
    "judge",
    "cost_usd",
    "created_at",
)


def page_sha(page_html: str) -> str:
    return hashlib.sha256(page_html.encode("utf-8")).hexdigest()


def default_db_path() -> Path:
    """DECOMPOSE_DB, else the user data dir. Tests point DECOMPOSE_DB at a temporary file."""
    env = os.environ.get("DECOMPOSE_DB")
    if env:
        return Path(env)
    return Path(platformdirs.user_data_dir("decompose-studio")) / "decompose.sqlite3"


HISTORY_CALLS = 5  # a node's latest calls that its estimate averages
TOKENIZER_CALLS = 20  # a model's latest calls that measure its characters per token


@dataclass(frozen=True)
class NodeHistory:
    """A node's recent model calls, averaged (`Store.node_history`)."""

    model: str
    calls: int
    input_tokens: int
    output_tokens: int
    latency_s: float
    compute_s: float


class StoreError(DecomposeError):
    """The database cannot be opened, read or written; the message names the file and what to do."""


def _statements(script: str) -> list[str]:
    """A migration script as single statements (so they can run inside one explicit transaction)."""
    out, buf = [], ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                out.append(buf.strip())
            buf = ""
    return out


class Store:
    """Thread-safe (one connection guarded by a lock): the app runs workflows on worker threads. Opening it
    checks that the file is our database and writable, so a bad path fails before any model is paid for."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_db_path()
        self._lock = threading.Lock()
        # Recent model calls for estimates, in memory (see node_history); valid while data_version holds.
        self._node_calls: dict[str, dict[str, deque[tuple[str, str, int, int, float, float]]]] = {}
        self._model_calls: dict[str, deque[tuple[str, int, int]]] | None = None
        self._node_summaries: dict[str, dict[str, NodeHistory]] = {}  # node_history's answers, until a change
        self._data_version: int | None = None
        fix = "Point DECOMPOSE_DB at another file, or move this one out of the way."
        try:
            if str(self.path) != ":memory:":
                if self.path.is_dir():
                    raise StoreError(f"the database path {self.path} is a folder, not a file. {fix}")
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot create or open the database {self.path}: {exc}. {fix}") from exc
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            # In WAL mode NORMAL never corrupts the database; a crash can only lose the last few commits,
            # which for runs and cache entries is cheaper than an fsync on every node (about 7 ms each here).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self._db.close()
            reason = str(exc)
            if "readonly" in reason or "read-only" in reason or _read_only(self.path):
                what = "is read-only: runs and the cache could not be saved"
            elif "already exists" in reason:
                what = "holds another program's tables, not Decompose Studio's"
            else:
                what = f"is not a usable Decompose Studio database ({reason})"
            raise StoreError(f"the database {self.path} {what}. {fix}") from exc

    def _migrate(self) -> None:
        """Run the pending migrations in one transaction that holds the write lock from the moment it reads
        the version: two processes opening a new database together cannot both create its tables. The write
        lock also proves the file writable before anything is paid for."""
        with self._lock:
            self._db.isolation_level = None
            try:
                self._db.execute("BEGIN IMMEDIATE")
                version = self._db.execute("PRAGMA user_version").fetchone()[0]
                for number, script in enumerate(_MIGRATIONS[version:], start=version + 1):
                    for statement in _statements(script):
                        self._db.execute(statement)
                    self._db.execute(f"PRAGMA user_version = {number}")
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            finally:
                self._db.isolation_level = "DEFERRED"

    def close(self) -> None:
        with self._lock:
            self._db.close()

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

    @contextmanager
    def _writing(self, what: str) -> Iterator[None]:
        """One committed write under the lock; a failure (disk full, read-only) rolls back and becomes a
        StoreError that says what could not be saved and where."""
        with self._lock:
            try:
                yield
                self._db.commit()
            except sqlite3.Error as exc:
                self._db.rollback()
                raise StoreError(f"could not save {what} to {self.path}: {exc}.") from exc

    # cache
    def cache_get(self, key: str) -> NodeRecord | None:
        with self._lock:
            row = self._db.execute("SELECT record FROM cache WHERE key = ?", (key,)).fetchone()
        return NodeRecord.model_validate_json(row[0]) if row else None

    def cache_put(self, key: str, record: NodeRecord) -> None:
        encoded = record.model_dump_json()  # before the lock (see save_run)
        with self._writing("a cached node result"):
            self._db.execute(
                "INSERT OR REPLACE INTO cache (key, node_kind, record, created_at) VALUES (?, ?, ?, ?)",
                (key, record.kind, encoded, time.time()),
            )

    def cache_clear(self) -> int:
        with self._writing("the cleared cache"):
            n = self._db.execute("DELETE FROM cache").rowcount
        return n

    # runs
    def save_run(self, run: RunRecord) -> None:
        # Encoded before the lock: a finished run holds its page, and the event loop waits on this lock to
        # read the store (an estimate's history) while another thread saves.
        record = run.model_dump_json()
        calls = [
            (
                run.run_id,
                run.workflow,
                n.id,
                n.model,
                run.started_at,
                sum(len(m.get("content", "")) for m in n.messages),
                n.input_tokens,
                n.output_tokens,
                n.latency_s,
                n.compute_s,
            )
            for n in run.nodes
            if n.status == "ok" and not n.cached and n.model and n.input_tokens and n.output_tokens
        ]
        with self._writing(f"run {run.run_id}"):
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
                    record,
                ),
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO node_calls (run_id, workflow, node_id, model, started_at, prompt_chars,"
                " input_tokens, output_tokens, latency_s, compute_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                calls,
            )
        with self._lock:  # once committed
            self._remember_calls(run.workflow, calls)

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

    def node_history(self, workflow: str) -> dict[str, NodeHistory]:
        """Per node id of `workflow`, the means over its latest `HISTORY_CALLS` successful uncached model calls:
        input and output tokens, latency and compute seconds (for estimates), and the model that made them.
        Read from the database once, then kept up to date in memory as this store saves runs (and read again
        when another process has written to the database)."""
        with self._lock:
            self._refresh_stats()
            if workflow not in self._node_calls:
                rows = self._db.execute(
                    "SELECT node_id, run_id, model, input_tokens, output_tokens, latency_s, compute_s FROM ("
                    " SELECT *, ROW_NUMBER() OVER (PARTITION BY node_id ORDER BY started_at DESC) AS latest"
                    " FROM node_calls WHERE workflow = ?) WHERE latest <= ? ORDER BY started_at",
                    (workflow, HISTORY_CALLS),
                ).fetchall()
                nodes: dict[str, deque[tuple[str, str, int, int, float, float]]] = {}
                for node_id, *call in rows:
                    nodes.setdefault(node_id, deque(maxlen=HISTORY_CALLS)).append(tuple(call))
                self._node_calls[workflow] = nodes
            if workflow in self._node_summaries:
                return dict(self._node_summaries[workflow])
            calls = self._node_calls[workflow]
            summary = self._node_summaries[workflow] = {
                node_id: NodeHistory(
                    model=recent[-1][1],
                    calls=len(recent),
                    input_tokens=round(statistics.fmean(c[2] for c in recent)),
                    output_tokens=round(statistics.fmean(c[3] for c in recent)),
                    latency_s=statistics.fmean(c[4] for c in recent),
                    compute_s=statistics.fmean(c[5] for c in recent),
                )
                for node_id, recent in calls.items()
                if recent
            }
            return dict(summary)

    def chars_per_token(self) -> dict[str, float]:
        """Per model, the characters of prompt per input token over its latest `TOKENIZER_CALLS` calls: its
        tokenizer as measured, so an estimate counts a prompt's tokens the way that model will. Kept in memory
        like `node_history`."""
        with self._lock:
            self._refresh_stats()
            if self._model_calls is None:
                rows = self._db.execute(
                    "SELECT model, run_id || '/' || node_id, prompt_chars, input_tokens FROM ("
                    " SELECT *, ROW_NUMBER() OVER (PARTITION BY model ORDER BY started_at DESC) AS latest"
                    " FROM node_calls WHERE prompt_chars > 0) WHERE latest <= ? ORDER BY started_at",
                    (TOKENIZER_CALLS,),
                ).fetchall()
                self._model_calls = {}
                for model, call, chars, tokens in rows:
                    self._model_calls.setdefault(model, deque(maxlen=TOKENIZER_CALLS)).append(
                        (call, chars, tokens)
                    )
            return {
                model: sum(c[1] for c in calls) / sum(c[2] for c in calls)
                for model, calls in self._model_calls.items()
                if calls and sum(c[2] for c in calls) > 0
            }

    def _refresh_stats(self) -> None:
        """Forget the in-memory call statistics when another connection has committed since they were read
        (SQLite's data_version changes only for other connections' commits). Called under the lock."""
        version = self._db.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self._data_version = version
            self._node_calls.clear()
            self._node_summaries.clear()
            self._model_calls = None

    def _remember_calls(self, workflow: str, rows: list[tuple[Any, ...]]) -> None:
        """Add a saved run's calls to the in-memory statistics that are loaded (under the lock); a run saved
        again is not counted twice."""
        nodes = self._node_calls.get(workflow)
        self._node_summaries.pop(workflow, None)
        for run_id, _, node_id, model, _, chars, in_tok, out_tok, latency, compute in rows:
            if nodes is not None:
                recent = nodes.setdefault(node_id, deque(maxlen=HISTORY_CALLS))
                if all(c[0] != run_id for c in recent):
                    recent.append((run_id, model, in_tok, out_tok, latency, compute))
            if self._model_calls is not None and chars > 0:
                by_model = self._model_calls.setdefault(model, deque(maxlen=TOKENIZER_CALLS))
                call = f"{run_id}/{node_id}"
                if all(c[0] != call for c in by_model):
                    by_model.append((call, chars, in_tok))

    # screenshots
    def save_screenshots(self, page_html: str, shots: dict[int, tuple[str, bytes]]) -> None:
        """Keep a page's screenshots (width -> (mime, bytes)) under the page's sha256."""
        sha = page_sha(page_html)
        with self._writing("the page's screenshots"):
            self._db.executemany(
                "INSERT OR REPLACE INTO page_screenshots (page_sha, width, mime, data, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                [(sha, width, mime, data, time.time()) for width, (mime, data) in shots.items()],
            )

    def screenshots(self, page_html: str) -> dict[int, tuple[str, bytes]]:
        """A page's screenshots by width (empty when it was never rendered)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT width, mime, data FROM page_screenshots WHERE page_sha = ? ORDER BY width DESC",
                (page_sha(page_html),),
            ).fetchall()
        return {int(w): (str(m), bytes(d)) for w, m, d in rows}

    # experiments
    def save_experiment(self, experiment_id: str, name: str, record_json: str) -> None:
        with self._writing(f"experiment {experiment_id}"):
            self._db.execute(
                "INSERT OR REPLACE INTO experiments (experiment_id, name, created_at, record) VALUES (?, ?, ?, ?)",
                (experiment_id, name, time.time(), record_json),
            )

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

    # votes (rows keyed by VOTE_COLUMNS; workflow_core.judgement.votes gives them a type)
    def add_votes(self, rows: list[dict[str, object]]) -> int:
        """Insert votes, ignoring those whose vote_id is already stored. Returns how many were new."""
        marks = ", ".join("?" for _ in VOTE_COLUMNS)
        with self._writing(f"{len(rows)} vote(s)"):
            before = self._db.total_changes
            self._db.executemany(
                f"INSERT OR IGNORE INTO votes ({', '.join(VOTE_COLUMNS)}) VALUES ({marks})",
                [tuple(r.get(c) for c in VOTE_COLUMNS) for r in rows],
            )
            added = self._db.total_changes - before
        return added

    def list_votes(self, experiment_id: str | None = None) -> list[dict[str, object]]:
        """Votes in the order they were cast (of one experiment, or all)."""
        query = f"SELECT {', '.join(VOTE_COLUMNS)} FROM votes"
        args: tuple[object, ...] = ()
        if experiment_id is not None:
            query += " WHERE experiment_id = ?"
            args = (experiment_id,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY created_at, vote_id", args).fetchall()
        return [dict(zip(VOTE_COLUMNS, r, strict=True)) for r in rows]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def _read_only(path: Path) -> bool:
    """Whether `path` (or the folder that would hold it) cannot be written: a read-only file system, or a
    file without write permission."""
    target = path if path.exists() else path.parent
    try:
        if os.statvfs(target).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(target, os.W_OK)
