"""The store's experiments: each kept whole as its JSON record (workflow_core.lab.experiment gives it a
type), listed by name and time."""

from __future__ import annotations

import time

from workflow_core.run.store_base import StorePart


class ExperimentsPart(StorePart):
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
