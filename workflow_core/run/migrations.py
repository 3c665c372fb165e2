"""The store's schema as named migrations (in the spirit of simonw/llm's `migrations.py`): each a function,
applied once and in order, its name recorded in `_migrations` when it runs. A new one is a new function at
the end; its name, not its position, says whether a database has it.

The first six were numbered by `PRAGMA user_version` before they had names: a database written then holds
no `_migrations` table, and its version says how many of them it has (`LEGACY`)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]

MIGRATIONS: list[Migration] = []

# How many of MIGRATIONS were numbered by PRAGMA user_version. A migrated database keeps that version at its
# count, so an older Decompose Studio opening it finds its tables current instead of creating them again.
LEGACY = 6


def migration(fn: Migration) -> Migration:
    MIGRATIONS.append(fn)
    return fn


def migrate(db: sqlite3.Connection) -> list[str]:
    """Apply the migrations `db` lacks, in order, recording each name. The caller holds the write
    transaction (see Store._migrate): the check and the changes are one. Returns the names applied."""
    db.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at REAL NOT NULL)")
    applied = {row[0] for row in db.execute("SELECT name FROM _migrations")}
    if not applied:  # a database from before the names: its version counts the numbered ones it has
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for fn in MIGRATIONS[: min(version, LEGACY)]:
            _record(db, fn.__name__)
            applied.add(fn.__name__)
    done = []
    for fn in MIGRATIONS:
        if fn.__name__ not in applied:
            fn(db)
            _record(db, fn.__name__)
            done.append(fn.__name__)
    db.execute(f"PRAGMA user_version = {LEGACY}")  # every numbered one is applied by now
    return done


def _record(db: sqlite3.Connection, name: str) -> None:
    db.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, ?)", (name, time.time()))


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run a script statement by statement: `executescript` would commit the caller's transaction."""
    buf = ""
    for piece in script.split(";"):
        buf += piece + ";"
        if sqlite3.complete_statement(buf):
            if buf.strip(" \n;"):
                db.execute(buf.strip())
            buf = ""


@migration
def m001_runs_and_cache(db: sqlite3.Connection) -> None:
    _script(
        db,
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
    )


@migration
def m002_experiments(db: sqlite3.Connection) -> None:
    _script(
        db,
        """
        CREATE TABLE experiments (
            experiment_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at REAL NOT NULL,
            record TEXT NOT NULL
        );
        """,
    )


@migration
def m003_node_outputs(db: sqlite3.Connection) -> None:
    """Output tokens of each node's successful uncached runs, for estimates: reading them out of the runs'
    JSON records cost a scan of the latest records for every model node of every run. (m006 replaces it.)"""
    _script(
        db,
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
    )


@migration
def m004_page_screenshots(db: sqlite3.Connection) -> None:
    """Screenshots of a rendered page, keyed by the page's sha256: a cached run shows the same page, so it
    shows the same screenshots without rendering again, and run records stay small."""
    _script(
        db,
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
    )


@migration
def m005_votes(db: sqlite3.Connection) -> None:
    """Blind pairwise votes on an experiment's pages (workflow_core.judgement): by a person, or by an LLM
    judge (`judge` names its model). The id is a hash of the vote's content, so merging exports never
    duplicates."""
    _script(
        db,
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
    )


@migration
def m006_node_calls(db: sqlite3.Connection) -> None:
    """What an estimate learns from each model call, kept as runs are saved (it replaces node_outputs, which
    kept output tokens only): the model, its input tokens against the characters of its prompt (the model's
    own tokenizer, measured), its latency and compute seconds."""
    _script(
        db,
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
    )
