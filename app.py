"""Decompose Studio: the Streamlit app. Run with `streamlit run app.py`."""

from __future__ import annotations

import streamlit as st

from studio.services import secrets_to_environment

st.set_page_config(page_title="Decompose Studio", page_icon=":material/account_tree:", layout="wide")
# Before any page builds a provider: keys may live in .streamlit/secrets.toml instead of the environment.
secrets_to_environment()

PAGES = [
    st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("pages/designer.py", title="Designer", icon=":material/account_tree:"),
    st.Page("pages/scenario.py", title="Scenario", icon=":material/business:"),
    st.Page("pages/run.py", title="Run", icon=":material/play_arrow:"),
    st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
    st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
]

# Metric values at a size that fits four or five to a row without truncating costs. Below 1100 px the open
# sidebar leaves the main area about 500 px: columns then wrap onto a new line instead of squeezing metrics,
# buttons and labels into slivers (Streamlit itself stacks them only below 640 px).
st.html(
    "<style>[data-testid='stMetricValue']{font-size:1.55rem}"
    "[data-testid='stMetricValue'] > div{overflow:visible}"
    "@media (max-width:1100px){[data-testid='stHorizontalBlock']{flex-wrap:wrap}"
    "[data-testid='stColumn']{min-width:8.5rem}}</style>"
)
st.navigation(PAGES).run()
