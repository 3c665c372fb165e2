"""Home: what the studio is for, and a quick start that works offline."""

from __future__ import annotations

import streamlit as st

from studio import services, shell, state
from studio.node_editor import bump_revision

shell.header(
    "Decompose Studio",
    "Design, run, price and compare agent workflows that build a landing page per visitor.",
)

st.markdown(
    "A business that wants a landing page tailored to every visitor can ask one big model to write it, or "
    "decompose the job into persona agents on smaller, cheaper models. "
    "Decompose Studio lets you design that agent graph, run it on real customer profiles and see, node by "
    "node, what each agent produced, what it cost and how long it took. "
    "Compare decomposition depths side by side before you pay for production."
)

st.subheader("Quick start (offline, on the embedded local models)")
left, right = st.columns(2, gap="large")
with left, st.container(border=True):
    st.markdown("**1. Open a template in the Designer**")
    st.caption("Templates go from one big model (k=1) to an over-decomposed team (k=6).")
    name = st.selectbox("Template", services.template_names(), index=2, key="home_template")
    if st.button("Open in the Designer", type="primary", key="home_open"):
        state.open_workflow(services.template(name), None)
        bump_revision()
        state.select_node(None)
        st.switch_page("pages/designer.py")
with right, st.container(border=True):
    st.markdown("**2. Run `seed` on the example scenario**")
    st.caption(
        "Three agents (personalizer, artist, front-end developer) on the small local model write a page for "
        "the first example profile. Takes about a minute on two cores."
    )
    if st.button("Run seed now", type="primary", key="home_run"):
        state.open_workflow(services.template("seed"), None)
        bump_revision()
        st.session_state["run_request"] = {"source": "designer", "profiles": None}
        st.switch_page("pages/run.py")

st.subheader("How it fits together")
st.markdown(
    "- **Designer**: the workflow as a graph. Add nodes, connect them, edit each agent's persona, model and "
    "prompt; problems show on the node.\n"
    "- **Scenario**: the company's documents, guidelines, offerings, testimonials and customer profiles.\n"
    "- **Run**: estimate, then run on one or more profiles with live progress, per-node costs, a timeline, "
    "the page preview and its QA findings.\n"
    "- **Compare**: run several templates on the same profile; pages, costs, latency and QA side by side.\n"
    "- **Settings**: providers and models, connectivity, prices and the local models."
)
