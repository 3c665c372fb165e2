"""The designer's workflow in session state, with an undo stack of YAML snapshots."""

from __future__ import annotations

import streamlit as st

from studio import services
from workflow_core.workflow.spec import Workflow, dump_workflow, parse_workflow

UNDO_DEPTH = 30


def workflow() -> Workflow:
    """The workflow being designed in this browser session (`seed` until the user picks another).."""
    if "workflow" not in st.session_state:
        st.session_state["workflow"] = services.template("seed")
        st.session_state["undo"] = []
    value: Workflow = st.session_state["workflow"]
    return value


def set_workflow(new: Workflow, *, undoable: bool = True) -> None:
    """Replace the designer's workflow, remembering the previous one so the change can be undone."""
    old = workflow()
    if undoable:
        stack: list[str] = st.session_state.setdefault("undo", [])
        stack.append(dump_workflow(old))
        del stack[:-UNDO_DEPTH]
    st.session_state["workflow"] = new


def can_undo() -> bool:
    return bool(st.session_state.get("undo"))


def undo() -> None:
    stack: list[str] = st.session_state.get("undo", [])
    if stack:
        st.session_state["workflow"] = parse_workflow(stack.pop(), source="undo history")


def selected_node() -> str | None:
    value = st.session_state.get("selected_node")
    return value if isinstance(value, str) else None


def select_node(node_id: str | None) -> None:
    st.session_state["selected_node"] = node_id
