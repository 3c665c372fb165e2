"""The designer's workflow in session state, with an undo stack of YAML snapshots. Every change is also kept
as this session's working copy in the user data folder (`workflow_core.drafts`), named in the URL as
`?workflow=<id>`, so a reload finds it again."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from studio import links, services
from workflow_core.drafts import Draft, new_draft, read_draft, write_draft
from workflow_core.errors import DecomposeError
from workflow_core.workflow.files import dump_workflow, parse_workflow
from workflow_core.workflow.spec import Workflow

UNDO_DEPTH = 30


def has_working_copy() -> bool:
    """Whether this session's working copy has been written (it is, from the first change on)."""
    found: Draft | None = st.session_state.get("draft")
    return found is not None and found.updated_at > 0


def restore(draft_id: str | None) -> bool:
    """Open the working copy `draft_id` in this session (a reload, a bookmark); False when there is none."""
    found = read_draft(draft_id)
    if found is None:
        return False
    st.session_state["draft"] = found
    st.session_state["workflow"] = found.workflow
    st.session_state["undo"] = []
    return True


def workflow() -> Workflow:
    """The workflow being designed in this browser session (`seed` until the user picks another)."""
    if "workflow" not in st.session_state:
        st.session_state["workflow"] = services.template("seed")
        st.session_state["undo"] = []
    value: Workflow = st.session_state["workflow"]
    return value


def draft() -> Draft:
    """This session's working copy (made, not yet written, on first use; it opens as the `seed` template)."""
    found: Draft | None = st.session_state.get("draft")
    if found is None:
        found = new_draft(workflow())
        found.mark_saved(None)  # a template as shipped has nothing to save
        st.session_state["draft"] = found
    found.workflow = workflow()
    return found


def _keep(new: Workflow) -> None:
    """Write the working copy; a folder that cannot be written is said on the Designer, not raised."""
    current = draft()
    current.workflow = new
    try:
        write_draft(current)
    except DecomposeError as exc:
        st.session_state["draft_error"] = str(exc)
    else:
        st.session_state.pop("draft_error", None)
        links.put(links.WORKFLOW, current.draft_id)


def set_workflow(new: Workflow, *, undoable: bool = True) -> None:
    """Replace the designer's workflow, remembering the previous one so the change can be undone."""
    old = workflow()
    draft()  # made before the change, so a fresh session's first edit counts as unsaved
    if undoable:
        stack: list[str] = st.session_state.setdefault("undo", [])
        stack.append(dump_workflow(old))
        del stack[:-UNDO_DEPTH]
    st.session_state["workflow"] = new
    _keep(new)


def open_workflow(new: Workflow, source: Path | None) -> None:
    """Replace the workflow with one loaded from `source` (None: a template); it has no unsaved changes."""
    set_workflow(new)
    draft().mark_saved(source)
    _keep(new)


def mark_saved(path: Path) -> None:
    draft().mark_saved(path)
    _keep(workflow())


def can_undo() -> bool:
    return bool(st.session_state.get("undo"))


def undo() -> None:
    stack: list[str] = st.session_state.get("undo", [])
    if stack:
        st.session_state["workflow"] = parse_workflow(stack.pop(), source="undo history")
        _keep(st.session_state["workflow"])


def selected_node() -> str | None:
    value = st.session_state.get("selected_node")
    return value if isinstance(value, str) else None


def select_node(node_id: str | None) -> None:
    st.session_state["selected_node"] = node_id
