"""The Designer's canvas logic (`studio.flow.canvas`) through Streamlit's AppTest, with the values the
streamlit-flow component sends played back to it: the browser tests drive the component itself."""

from __future__ import annotations

import copy
import time

import pytest
from streamlit.testing.v1 import AppTest


def _designer_canvas() -> None:
    import streamlit as st

    from studio import flow
    from workflow_core.workflow.templates import resolve_workflow

    ss = st.session_state
    wf = resolve_workflow("seed")
    if ss.get("replaced"):  # a template was loaded: the canvas is rebuilt (a new generation)
        wf = wf.model_copy(update={"name": "seed-copy"})

    def component(key, state, **options):  # what the browser last sent, else the state drawn
        if ss.get("sent") is not None:
            ss["last"], ss["sent"] = ss["sent"], None
        return ss.get("last") or state

    flow.streamlit_flow = component
    event = flow.canvas("t", wf, [], 0)
    ss.setdefault("events", []).append(None if event is None else event.selected)


def test_a_click_on_a_canvas_being_replaced_still_opens_the_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """A click that reaches the server from the canvas as it was before a rebuild is not applied (it would
    undo the rebuild), but the node clicked is still selected: the click used to be lost, and the editor
    did not open."""
    from studio import flow

    monkeypatch.setattr(flow, "streamlit_flow", flow.streamlit_flow)  # the script replaces it; put it back
    at = AppTest.from_function(_designer_canvas, default_timeout=30).run()
    assert not at.exception and at.session_state["events"] == [None]
    clicked = copy.deepcopy(at.session_state["t:state"])  # drawn at generation 1
    clicked.selected_id, clicked.timestamp = "developer", int(time.time() * 1000) + 5
    at.session_state["replaced"], at.session_state["sent"] = True, clicked
    at.run()
    assert not at.exception
    assert at.session_state["events"][-1] == "developer"
    # The stale value was not applied: the canvas shows the new workflow's generation.
    shown = at.session_state["t:state"]
    assert {n.data["generation"] for n in shown.nodes} == {2}
    # And the click is used once.
    at.run()
    assert at.session_state["events"][-1] is None
