"""The Designer's small expander for an agent node's few-shot examples: edit them as YAML, or take the node's
best-scoring answers from past runs."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from studio import services
from workflow_core.errors import DecomposeError
from workflow_core.run.examples import (
    ExampleRequest,
    examples_from_runs,
    examples_from_yaml,
    examples_to_yaml,
)
from workflow_core.workflow.spec import Example, Node

Update = Callable[[list[Example]], None]


def _on_edit(key: str, update: Update) -> None:
    try:
        examples = examples_from_yaml(st.session_state.get(key) or "")
    except DecomposeError as exc:
        st.session_state[f"{key}:error"] = str(exc)
        return
    st.session_state.pop(f"{key}:error", None)
    update(examples)


def examples_expander(node: Node, key: str, update: Update) -> None:
    """The expander for `node`'s examples; `update` stores a new list on the node."""
    with st.expander(f"Examples ({len(node.examples)})", expanded=False):
        st.caption(
            "Few-shot demonstrations shown to the model before its prompt (part of the cache key and the "
            "estimate). Each has a `prompt`, the `answer` to imitate and where it came from."
        )
        st.text_area(
            "Examples (YAML)",
            value=examples_to_yaml(node.examples),
            key=key,
            height=160,
            on_change=_on_edit,
            args=(key, update),
            placeholder='- prompt: We sell vans. Write our opening words.\n  answer: \'{"headline": "Vans that start"}\'',
        )
        if f"{key}:error" in st.session_state:
            st.error(f"Examples not saved: {st.session_state[f'{key}:error']}")
        if st.button("Take the 2 best from past runs", key=f"{key}:from-runs", icon=":material/history:"):
            found = examples_from_runs(services.store(), ExampleRequest(node.id, k=2))
            if found:
                update(found)
                st.rerun()
            else:
                st.info(f"No past run has a scored answer of '{node.id}' yet: run the workflow first.")
