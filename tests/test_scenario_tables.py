"""Profiles and offerings as tables: columns from their keys, and back to the same JSON."""

from __future__ import annotations

import json

from studio.scenario_tables import columns_of, from_rows, offering_rows, offerings_from_rows, to_rows
from workflow_core.workspace import EXAMPLE_SCENARIO


def _profiles() -> dict[str, dict[str, object]]:
    return {
        p.stem: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((EXAMPLE_SCENARIO / "profiles").glob("*.json"))
    }


def test_profiles_round_trip_through_the_table_unchanged() -> None:
    profiles = _profiles()
    columns = columns_of(profiles)
    kinds = {c.key: c.kind for c in columns}
    assert "id" in kinds  # a profile's own "id" key is a column like any other
    assert kinds["name"] == "text" and kinds["employees"] == "integer" and kinds["goals"] == "list"
    rows = to_rows(profiles, columns)
    assert all("[" not in str(row["goals"]) for row in rows)  # lists read as text, not JSON
    back, problems = from_rows(rows, columns, before=profiles)
    assert problems == [] and back == profiles
    assert from_rows(rows, columns)[0] != profiles  # one-item lists need `before` to stay lists


def test_edited_cells_become_json_values_and_blank_cells_drop_their_key() -> None:
    profiles = {"a": {"name": "Ann", "employees": 5, "goals": ["x"], "extra": {"k": 1}}, "b": {"name": "Bo"}}
    columns = columns_of(profiles)
    rows = to_rows(profiles, columns)
    rows[0]["goals"] = "faster; cheaper ;"
    rows[1]["goals"] = "one goal"
    rows[0]["employees"] = 12.0  # what the grid sends back for an integer column
    rows[1]["name"] = ""
    rows.append({"file name": "c", "name": "Cy", "employees": float("nan")})
    back, problems = from_rows(rows, columns, before=profiles)
    assert problems == []
    assert back["a"] == {"name": "Ann", "employees": 12, "goals": ["faster", "cheaper"], "extra": {"k": 1}}
    assert back["b"] == {"goals": "one goal"} and back["c"] == {"name": "Cy"}


def test_a_repeated_id_or_an_unreadable_number_is_a_problem() -> None:
    columns = columns_of({"a": {"employees": 3}})
    _, problems = from_rows(
        [{"file name": "a", "employees": "many"}, {"file name": "a", "employees": 1}], columns
    )
    messages = " ".join(p.message for p in problems)
    assert "employees must be a integer" in messages and "'a' is used by two rows" in messages


def test_offerings_round_trip_grouped_by_segment() -> None:
    offerings = json.loads((EXAMPLE_SCENARIO / "offerings.json").read_text(encoding="utf-8"))
    rows, columns = offering_rows(offerings)
    assert {r["segment"] for r in rows} == set(offerings)
    back, problems = offerings_from_rows(rows, columns)
    assert problems == [] and back == offerings
    rows.append({"segment": "", "name": "Orphan"})
    _, problems = offerings_from_rows(rows, columns)
    assert "has no segment" in problems[0].message
