"""The Scenario page's unsaved edits: each table and text editor starts from what the user left unsaved
(kept across reloads by `workflow_core.scenario_drafts`), else from the disk; every run keeps what differs
from the disk, and the page says what is unsaved, as the Designer does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from workflow_core import scenario_drafts as pending

AREA_NAMES = {"profiles": "the profiles table", "offerings": "the offerings table"}


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def _version(root: Path, area: str) -> int:
    return int(st.session_state.get(f"edits-version:{root}:{area}", 0))


def widget_key(root: Path, area: str) -> str:
    """The editor's widget key: a new one after a save or a discard, so the editor starts again from disk."""
    version = _version(root, area)
    return f"scn:{root}:{area}" + (f":{version}" if version else "")


def start(root: Path, area: str, from_disk: Any) -> Any:
    """What the editor of `area` starts from in this session: the unsaved state kept from an earlier session
    (a reload), else the disk's. Fixed for the session, so the editor's own changes apply to it once."""
    key = f"edits-start:{root}:{area}:{_version(root, area)}"
    if key not in st.session_state:
        kept = pending.pending(root).get(area)
        st.session_state[key] = kept if kept is not None else from_disk
    return st.session_state[key]


def track(root: Path, area: str, current: Any, from_disk: Any, changed: bool | None = None) -> None:
    """Keep `current` as the unsaved state of `area` when it differs from the disk's (`changed`, when the
    caller knows better: a table's rows come back from the browser in their own types, so a table compares
    what it would save), else forget it."""
    if not (changed if changed is not None else not _same(current, from_disk)):
        pending.drop(root, area)
    else:
        pending.keep(root, area, current)


def reset(root: Path, area: str | None = None) -> None:
    """After a save (or a discard): forget the unsaved state and start the editor(s) again from disk."""
    areas = [area] if area is not None else list(pending.pending(root))
    pending.drop(root, area)
    for a in areas:
        st.session_state[f"edits-version:{root}:{a}"] = _version(root, a) + 1


def unsaved_line(root: Path) -> None:
    """ "Unsaved changes" with what they are, and a button that discards them."""
    areas = list(pending.pending(root))
    if not areas:
        return
    names = ", ".join(AREA_NAMES.get(a, a) for a in areas)
    cols = st.columns([5, 1], vertical_alignment="center")
    cols[0].warning(
        f"Unsaved changes in {names}: kept across reloads until you save them on their tab.",
        icon=":material/edit_note:",
    )
    if cols[1].button(
        "Discard", key=f"edits-discard:{root}", help="Drop every unsaved change to this scenario"
    ):
        reset(root)
        st.rerun()
