"""Page furniture shared by every page: errors shown as messages, problem lists. (The header is the app
shell's, `studio.shell.header`, as it makes sure the page runs inside the shell.)"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import streamlit as st

from workflow_core.errors import DecomposeError, Problem, ScenarioError, WorkflowError


def problems_of(exc: DecomposeError) -> list[Problem]:
    if isinstance(exc, WorkflowError | ScenarioError):
        return list(exc.problems)
    return [Problem(str(exc))]


def show_error(exc: DecomposeError, what: str = "That did not work") -> None:
    """A DecomposeError as a message, one bullet per problem: never a traceback."""
    problems = problems_of(exc)
    if len(problems) == 1:
        st.error(f"{what}: {problems[0]}", icon=":material/error:")
    else:
        st.error(f"{what}:\n" + "\n".join(f"- {p}" for p in problems), icon=":material/error:")


def show_problems(problems: Iterable[Problem], *, prefix: str = "") -> None:
    for p in problems:
        st.error(f"{prefix}{p.message}", icon=":material/error:")


def money(usd: float | None) -> str:
    if usd is None:
        return "–"
    if usd == 0:
        return "$0"
    if usd < 0.01:
        return "$" + f"{usd:.6f}".rstrip("0")
    return f"${usd:.4f}"


def reopen_picker(
    label: str,
    records: list[dict[str, object]],
    id_key: str,
    describe: Callable[[dict[str, object]], str],
    *,
    key: str,
    empty: str,
) -> str | None:
    """A picker of stored records (runs, experiments) with an Open button; the id opened, or None."""
    if not records:
        st.caption(empty)
        return None
    # The options are the descriptions themselves: when a record changes (a run recorded as running has
    # finished), its option changes, so the picker shows the new description instead of the one it showed
    # when it was first drawn (with ids as options, the browser kept the old label on screen).
    ids: dict[str, str] = {}
    for record in records:
        text = describe(record)
        while text in ids:  # two records described alike stay two options
            text += " ·"
        ids[text] = str(record[id_key])
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    with left:
        picked = st.selectbox(label, list(ids), key=key)
    with right:
        opened = st.button("Open", key=f"{key}_open", width="stretch", icon=":material/folder_open:")
    return ids[picked] if opened and picked is not None else None
