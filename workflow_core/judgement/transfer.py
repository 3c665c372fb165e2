"""Votes to and from CSV, so a team can collect votes on several machines and merge them: every vote keeps
its content-hash id, and importing skips ids already stored."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pydantic import ValidationError

from workflow_core.judgement.votes import Vote, VoteError, load_votes, save_votes
from workflow_core.run.store import Store
from workflow_core.run.store_votes import VOTE_COLUMNS

REQUIRED = ("experiment_id", "left_variant", "right_variant", "left_run", "right_run", "winner", "created_at")


def votes_csv(votes: list[Vote]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(VOTE_COLUMNS), lineterminator="\n")
    writer.writeheader()
    for v in votes:
        row = v.model_dump()
        writer.writerow({k: "" if row[k] is None else row[k] for k in VOTE_COLUMNS})
    return buf.getvalue()


def export_votes(store: Store, path: str | Path, experiment_id: str | None = None) -> int:
    """Write the votes (of one experiment, or all) to `path`. Returns how many."""
    votes = load_votes(store, experiment_id)
    Path(path).write_text(votes_csv(votes), encoding="utf-8")
    return len(votes)


def parse_votes_csv(text: str, source: str = "the CSV") -> list[Vote]:
    """Votes from CSV text with at least the REQUIRED columns. Raises VoteError naming the first bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise VoteError(
            f"{source} lacks the column(s) {', '.join(missing)}; export votes with `decompose votes export` "
            "to see the expected header."
        )
    votes = []
    for line, row in enumerate(reader, start=2):
        clean = {k: (None if v == "" and k in ("profile", "judge") else v) for k, v in row.items() if k}
        clean["voter"] = clean.get("voter") or ""
        clean["cost_usd"] = clean.get("cost_usd") or 0.0
        try:
            votes.append(Vote.model_validate(clean))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "row"
            raise VoteError(f"{source}, line {line}: {where}: {first['msg']}.") from exc
    return votes


def import_votes(store: Store, path: str | Path) -> tuple[int, int]:
    """Merge the votes in `path` into the store. Returns (read, new): votes already stored are skipped."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VoteError(f"cannot read votes from {file}: {exc}.") from exc
    votes = parse_votes_csv(text, str(file))
    return len(votes), save_votes(store, votes)
