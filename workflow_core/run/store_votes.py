"""The store's pairwise votes, by people and by LLM judges: rows keyed by `VOTE_COLUMNS`
(workflow_core.judgement.votes gives them a type). A vote's id hashes its content, so adding the same vote
twice (merging exports) stores it once."""

from __future__ import annotations

from workflow_core.run.store_base import StorePart

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


class VotesPart(StorePart):
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
