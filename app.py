"""Decompose Studio: the Streamlit app. Run with `streamlit run app.py`."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Decompose Studio", page_icon="🧩", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/designer.py", title="Designer", icon="🕸️"),
    st.Page("pages/scenario.py", title="Scenario", icon="🏢"),
    st.Page("pages/run.py", title="Run", icon="▶️"),
    st.Page("pages/compare.py", title="Compare", icon="⚖️"),
    st.Page("pages/settings.py", title="Settings", icon="⚙️"),
]

st.navigation(PAGES).run()
