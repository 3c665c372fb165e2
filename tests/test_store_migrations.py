"""The store's named migrations (workflow_core.run.migrations): a database written while migrations were
numbered by `PRAGMA user_version` opens with the named scheme with its runs, votes and experiments intact;
each migration runs once, in order, and its name is recorded."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from workflow_core.run import migrations
from workflow_core.run.migrations import LEGACY, MIGRATIONS
from workflow_core.run.store import Store

# The numbered scheme as it was shipped (frozen here, not imported: the test is that a file made by the old
# code opens). Script n brought a database to `PRAGMA user_version = n`.
OLD_SCRIPTS = [
    """
    CREATE TABLE runs (run_id TEXT PRIMARY KEY, workflow TEXT NOT NULL, profile TEXT, started_at REAL NOT NULL,
        status TEXT NOT NULL, total_cost_usd REAL NOT NULL, record TEXT NOT NULL);
    CREATE INDEX runs_workflow ON runs (workflow, started_at);
    CREATE TABLE cache (key TEXT PRIMARY KEY, node_kind TEXT NOT NULL, record TEXT NOT NULL,
        created_at REAL NOT NULL);
    """,
    """
    CREATE TABLE experiments (experiment_id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at REAL NOT NULL,
        record TEXT NOT NULL);
    """,
    """
    CREATE TABLE node_outputs (run_id TEXT NOT NULL, workflow TEXT NOT NULL, node_id TEXT NOT NULL,
        started_at REAL NOT NULL, output_tokens INTEGER NOT NULL, PRIMARY KEY (run_id, node_id));
    CREATE INDEX node_outputs_workflow ON node_outputs (workflow, node_id, started_at);
    INSERT OR REPLACE INTO node_outputs (run_id, workflow, node_id, started_at, output_tokens)
        SELECT r.run_id, r.workflow, json_extract(n.value, '$.id'), r.started_at,
               json_extract(n.value, '$.output_tokens')
        FROM runs AS r, json_each(r.record, '$.nodes') AS n
        WHERE json_extract(n.value, '$.status') = 'ok' AND NOT json_extract(n.value, '$.cached')
          AND json_extract(n.value, '$.output_tokens') > 0;
    """,
    """
    CREATE TABLE IF NOT EXISTS page_screenshots (page_sha TEXT NOT NULL, width INTEGER NOT NULL,
        mime TEXT NOT NULL, data BLOB NOT NULL, created_at REAL NOT NULL, PRIMARY KEY (page_sha, width));
    """,
    """
    CREATE TABLE IF NOT EXISTS votes (vote_id TEXT PRIMARY KEY, experiment_id TEXT NOT NULL, profile TEXT,
        left_variant TEXT NOT NULL, right_variant TEXT NOT NULL, left_run TEXT NOT NULL, right_run TEXT NOT NULL,
        winner TEXT NOT NULL CHECK (winner IN ('left', 'right', 'tie')), voter TEXT NOT NULL DEFAULT '',
        judge TEXT, cost_usd REAL NOT NULL DEFAULT 0, created_at REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS votes_experiment ON votes (experiment_id, created_at);
    """,
    """
    CREATE TABLE node_calls (run_id TEXT NOT NULL, workflow TEXT NOT NULL, node_id TEXT NOT NULL,
        model TEXT NOT NULL, started_at REAL NOT NULL, prompt_chars INTEGER NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, latency_s REAL NOT NULL,
        compute_s REAL NOT NULL, PRIMARY KEY (run_id, node_id));
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

# A run record as the old code wrote it: one model node, one page.
RUN = {
    "run_id": "r1",
    "workflow": "seed",
    "profile": "ana",
    "started_at": 100.0,
    "finished_at": 104.0,
    "total_cost_usd": 0.25,
    "status": "ok",
    "nodes": [
        {
            "id": "a",
            "kind": "text",
            "model": "fake/small",
            "status": "ok",
            "messages": [{"role": "user", "content": "Write about haul trucks"}],
            "output_text": "Haul trucks.",
            "input_tokens": 6,
            "output_tokens": 3,
            "latency_s": 1.5,
            "compute_s": 1.0,
            "cached": False,
        }
    ],
    "page_html": "<html><body>Haul trucks.</body></html>",
    "qa_score": 0.8,
}
VOTE = ("v1", "exp1", "ana", "single", "seed", "r0", "r1", "right", "Ana", None, 0.0, 101.0)


def old_database(path: Path, version: int) -> None:
    """A database as the numbered scheme left it at `version`, holding a run, an experiment and a vote
    (those its tables allow)."""
    db = sqlite3.connect(path)
    for script in OLD_SCRIPTS[:version]:
        db.executescript(script)
        db.execute(f"PRAGMA user_version = {version}")
    db.execute(
        "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?)",
        ("r1", "seed", "ana", 100.0, "ok", 0.25, json.dumps(RUN)),
    )
    if version >= 2:
        db.execute("INSERT INTO experiments VALUES (?, ?, ?, ?)", ("exp1", "Depth", 102.0, '{"id": "exp1"}'))
    if version >= 5:
        db.execute(f"INSERT INTO votes VALUES ({', '.join('?' * len(VOTE))})", VOTE)
    if version >= 6:  # a call that only this table holds: an upgrade must keep it, not rebuild the table
        db.execute(
            "INSERT INTO node_calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ("r0", "seed", "a", "fake/small", 90.0, 30, 10, 5, 2.5, 2.0),
        )
    db.commit()
    db.close()


def applied(path: Path) -> list[str]:
    db = sqlite3.connect(path)
    try:
        return [name for (name,) in db.execute("SELECT name FROM _migrations ORDER BY rowid")]
    finally:
        db.close()


def test_a_database_of_the_numbered_scheme_opens_with_its_runs_votes_and_experiments(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old_database(path, LEGACY)
    store = Store(path)
    run = store.get_run("r1")
    assert (
        run is not None and run.page_html == RUN["page_html"] and run.node("a").output_text == "Haul trucks."
    )
    assert [r["run_id"] for r in store.list_runs("seed")] == ["r1"]
    assert store.get_experiment("exp1") == '{"id": "exp1"}'
    assert [e["name"] for e in store.list_experiments()] == ["Depth"]
    assert [tuple(v.values()) for v in store.list_votes("exp1")] == [VOTE]
    # node_calls is kept as it was (its one call is in no run's record), not rebuilt: nothing ran again.
    history = store.node_history("seed")["a"]
    assert (history.calls, history.input_tokens) == (1, 10)
    store.close()
    assert applied(path) == [fn.__name__ for fn in MIGRATIONS]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == LEGACY
    Store(path).close()  # and it reopens
    assert len(applied(path)) == len(MIGRATIONS)


def test_a_database_part_way_through_the_numbered_scheme_runs_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old_database(path, 2)  # runs, cache and experiments; no screenshots, votes or call statistics yet
    store = Store(path)
    assert store.get_run("r1") is not None and store.get_experiment("exp1") == '{"id": "exp1"}'
    # The later migrations ran: the votes table exists, and the run's call was moved into node_calls.
    assert store.list_votes() == []
    history = store.node_history("seed")["a"]
    assert (history.calls, history.input_tokens, history.output_tokens) == (1, 6, 3)
    assert store.screenshots("<p>never rendered</p>") == {}
    store.close()
    assert applied(path) == [fn.__name__ for fn in MIGRATIONS]


def test_a_new_migration_runs_once_in_order_and_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "db.sqlite3"
    Store(path).close()
    ran = []

    def m999_notes(db: sqlite3.Connection) -> None:
        ran.append(len(applied_names(db)))
        db.execute("CREATE TABLE notes (text TEXT)")

    def applied_names(db: sqlite3.Connection) -> list[str]:
        return [name for (name,) in db.execute("SELECT name FROM _migrations")]

    monkeypatch.setattr(migrations, "MIGRATIONS", [*MIGRATIONS, m999_notes])
    Store(path).close()
    Store(path).close()
    assert ran == [len(MIGRATIONS)]  # once, after every earlier one
    assert applied(path)[-1] == "m999_notes"
