"""Scenario files as tables and forms instead of raw JSON: profiles as one row each with a column per key,
offerings as one row each with its segment. Each way there and back keeps every key the file had; a value
that does not fit its column is a Problem that names the profile and the key."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workflow_core.errors import Problem

LIST_SEPARATOR = "; "
# The row id's column: named so that no profile key takes it (a profile may carry its own "id").
ROW_ID = "file name"


@dataclass(frozen=True)
class Column:
    """How a key's values show in a table: `text`, `number`, `integer`, `flag`, `list` (of texts, joined
    by '; ') or `json` (anything else, as one line of JSON)."""

    key: str
    kind: str


def _kind(values: Iterable[Any]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "text"
    if all(isinstance(v, bool) for v in present):
        return "flag"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "number"
    if all(isinstance(v, str) for v in present):
        return "text"
    if all(
        isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v)) for v in present
    ):
        return "list"  # texts and lists of texts: a profile may give one goal as text, another several
    return "json"


def columns_of(records: dict[str, dict[str, Any]]) -> list[Column]:
    """One column per key, in the order keys first appear across the records."""
    keys: dict[str, None] = {}
    for record in records.values():
        keys.update(dict.fromkeys(record))
    return [Column(k, _kind(r.get(k) for r in records.values())) for k in keys]


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "list":
        return LIST_SEPARATOR.join(value) if isinstance(value, list) else value
    if kind == "json":
        return json.dumps(value, ensure_ascii=False)
    return value


def to_rows(
    records: dict[str, dict[str, Any]], columns: list[Column], id_key: str = ROW_ID
) -> list[dict[str, Any]]:
    """Records (by id) as table rows: the id first, then one cell per column (None where a key is absent)."""
    return [
        {id_key: rid} | {c.key: _cell(r.get(c.key), c.kind) for c in columns} for rid, r in records.items()
    ]


def _blank(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _value(raw: Any, kind: str, before: Any) -> Any:
    """A cell back as its JSON value (`before`: the key's value when the table was drawn). Raises ValueError
    with what is wrong."""
    if before is not None and raw == _cell(before, kind):
        return before  # an unchanged cell keeps its value exactly
    if kind == "list":
        parts = [part.strip() for part in str(raw).split(";") if part.strip()]
        return parts if isinstance(before, list) or len(parts) > 1 else str(raw).strip()
    if kind == "json":
        text = str(raw).strip()
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text  # a plain word typed into a JSON cell is meant as text
    if kind == "integer":
        number = float(raw)
        return int(number) if number.is_integer() else number
    if kind == "number":
        return float(raw)
    if kind == "flag":
        return bool(raw)
    return str(raw)


def from_rows(
    rows: Iterable[dict[str, Any]],
    columns: list[Column],
    id_key: str = ROW_ID,
    before: dict[str, dict[str, Any]] | None = None,
) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Table rows back as records by id (`before`: the records the table was drawn from, so unchanged cells
    keep their exact values). Rows without an id are left out; blank cells drop their key; a repeated id or
    a cell that cannot be read is a Problem."""
    before = before or {}
    records: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for row in rows:
        rid = "" if _blank(row.get(id_key)) else str(row.get(id_key)).strip()
        if not rid:
            continue
        if rid in records:
            problems.append(Problem(f"'{rid}' is used by two rows; ids must be unique.", field=id_key))
            continue
        record: dict[str, Any] = {}
        for column in columns:
            raw = row.get(column.key)
            if _blank(raw):
                continue
            try:
                record[column.key] = _value(raw, column.kind, before.get(rid, {}).get(column.key))
            except (TypeError, ValueError):
                problems.append(Problem(f"'{rid}': {column.key} must be a {column.kind}, not {raw!r}."))
        records[rid] = record
    return records, problems


def offering_rows(offerings: dict[str, list[dict[str, Any]]]) -> tuple[list[dict[str, Any]], list[Column]]:
    """Offerings (segment -> list of offers) as one row per offer with its segment, and the offers' columns."""
    offers = {f"{seg}\0{i}": offer for seg, items in offerings.items() for i, offer in enumerate(items)}
    # Every offer has a name, a description and a price column, even in a new scenario with no offers yet.
    columns = columns_of(offers)
    known = {c.key for c in columns}
    columns += [Column(key, "text") for key in ("name", "description", "price") if key not in known]
    rows = to_rows(offers, columns, id_key="segment")
    for row in rows:
        row["segment"] = str(row["segment"]).split("\0")[0]
    return rows, columns


def offerings_from_rows(
    rows: Iterable[dict[str, Any]], columns: list[Column]
) -> tuple[dict[str, list[dict[str, Any]]], list[Problem]]:
    """The offerings file's mapping from the table: rows grouped by segment, in the order they appear."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    problems: list[Problem] = []
    for n, row in enumerate(rows, start=1):
        segment = "" if _blank(row.get("segment")) else str(row["segment"]).strip()
        if not segment:
            if any(not _blank(row.get(c.key)) for c in columns):
                problems.append(Problem(f"row {n} has no segment: name the segment it is offered to."))
            continue
        records, row_problems = from_rows([dict(row) | {"#": str(n)}], columns, id_key="#", before=None)
        problems.extend(row_problems)
        grouped.setdefault(segment, []).extend(records.values())
    return grouped, problems
