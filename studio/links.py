"""The URL names what the user is looking at, so a reload, a bookmark or a shared link lands there again:
`?workflow=<working copy>` and `?scenario=<imported scenario>` on every page, `?run=<id>` on the Run page and
`?experiment=<id>` on Compare. The shell reads them when a browser session starts and writes them back on
every run; a page sets its own key when it opens a record."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from workflow_core.workspace import EXAMPLE_SCENARIO, scenarios_dir

WORKFLOW, SCENARIO, RUN, EXPERIMENT = "workflow", "scenario", "run", "experiment"
# Keys that belong to one page (by its URL path); the others follow the user everywhere.
PAGE_KEYS = {RUN: "run", EXPERIMENT: "compare"}
EXAMPLE = "example"


def scenario_token(path: Path) -> str | None:
    """How the URL names a scenario: `example`, or its folder under the user's scenarios folder. A scenario
    elsewhere (the default from $DECOMPOSE_SCENARIO) has no token and stays out of the URL."""
    resolved = path.resolve()
    if resolved == EXAMPLE_SCENARIO.resolve():
        return EXAMPLE
    base = scenarios_dir().resolve()
    if resolved.is_relative_to(base) and resolved != base:
        return resolved.relative_to(base).as_posix()
    return None


def scenario_from_token(token: str) -> Path | None:
    """The scenario a URL token names, only ever the example or a folder inside the scenarios folder (a link
    cannot point the app at any other path); None when there is no such folder."""
    if token == EXAMPLE:
        return EXAMPLE_SCENARIO
    base = scenarios_dir().resolve()
    candidate = (base / token).resolve()
    if candidate.is_relative_to(base) and candidate != base and candidate.is_dir():
        return candidate
    return None


def get(key: str) -> str | None:
    value = st.query_params.get(key)
    return value or None


def put(key: str, value: str | None) -> None:
    """Set (or with None, remove) one key of the URL, leaving the others."""
    if value is None:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def keep_only_page_keys(url_path: str) -> None:
    """Drop the keys of other pages (a Run page's `?run=` has no meaning on the Designer)."""
    for key, owner in PAGE_KEYS.items():
        if owner != url_path:
            put(key, None)
