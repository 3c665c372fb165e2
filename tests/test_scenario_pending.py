"""Unsaved Scenario-page edits kept across reloads (`scenario_drafts`): by scenario and area, dropped when
saved or discarded, and never a reason to fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_core import scenario_drafts as pending


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))


def test_edits_are_kept_by_scenario_and_area_and_dropped(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    rows = [{"file name": "dana", "name": "Dana W."}]
    pending.keep(a, "profiles", rows)
    pending.keep(a, "guidelines.md", "Plain words.")
    pending.keep(b, "guidelines.md", "Other words.")
    assert pending.pending(a) == {"profiles": rows, "guidelines.md": "Plain words."}
    assert pending.pending(b) == {"guidelines.md": "Other words."}
    pending.drop(a, "profiles")
    assert pending.pending(a) == {"guidelines.md": "Plain words."}
    pending.drop(a)
    assert pending.pending(a) == {} and not list((tmp_path / "home" / "scenario-edits").glob("*.json"))[1:]


def test_a_damaged_or_unwritable_store_loses_nothing_else(tmp_path: Path) -> None:
    root = tmp_path / "s"
    pending.keep(root, "guidelines.md", "x")
    store = next((tmp_path / "home" / "scenario-edits").glob("*.json"))
    store.write_text("{not json")
    assert pending.pending(root) == {}
    pending.keep(root, "guidelines.md", "y")  # rewritten whole
    assert pending.pending(root) == {"guidelines.md": "y"}
