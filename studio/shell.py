"""The app's shell around every page: page config, provider keys from secrets, shared CSS and the navigation.

Streamlit chooses how to find pages once per server process. With a `pages/` folder beside app.py it starts
in its file-name mode: a deep link such as /compare runs pages/compare.py on its own, without app.py (no page
config, no secrets, a sidebar listing file names), until some run calls `st.navigation`, which switches the
whole process to the app's own pages. So app.py runs each page inside `run_app`, and a page that finds itself
running outside it (`ensure_app_shell`, called by every page's `header`) runs the app there and then, in the same
run: a rerun would drop the click that started this one, and carrying on outside would give the page's
widgets other ids than they have under app.py, so the next run would lose what the user typed.
"""

from __future__ import annotations

from contextvars import ContextVar

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from studio import links, services, state
from studio.services import secrets_to_environment

# Set while app.py runs the current page: a page run without it came straight from Streamlit's file-name mode.
_inside_app: ContextVar[bool] = ContextVar("inside_app", default=False)

# Metric values at a size that fits four or five to a row without truncating costs. Below 1100 px the open
# sidebar leaves the main area about 500 px: columns then wrap onto a new line instead of squeezing metrics,
# buttons and labels into slivers (Streamlit itself stacks them only below 640 px).
_CSS = (
    "<style>[data-testid='stMetricValue']{font-size:1.55rem}"
    "[data-testid='stMetricValue'] > div{overflow:visible}"
    "@media (max-width:1100px){[data-testid='stHorizontalBlock']{flex-wrap:wrap}"
    "[data-testid='stColumn']{min-width:8.5rem}}"
    # Between a phone and a laptop (800 px) the open sidebar took a third of the width: narrower there, it
    # leaves the Designer's canvas and the charts room. Below 769 px Streamlit lays it over the page anyway.
    "@media (min-width:769px) and (max-width:1100px){section[data-testid='stSidebar']"
    "{width:12.5rem!important;min-width:12.5rem!important;max-width:12.5rem!important}}"
    # See _FOCUS_SCRIPT: no focus ring round the whole main area unless the Tab key brought the focus there.
    "html:not([data-tab-focus]) [data-testid='stMain']:focus-visible::before{content:none}"
    # The sidebar holds nothing under the navigation but that invisible script: no line between them.
    "[data-testid='stSidebarNavSeparator']{display:none}</style>"
)
# Streamlit makes the main area focusable (tabindex 0, so that a keyboard can scroll it) and draws a ring
# round it while it has :focus-visible. A click on anything in it that is not a control focuses it, and the
# next key press (a vote's shortcut, an arrow key to scroll) makes it :focus-visible: the grey box left round
# the page after a vote. The ring stays where it helps, for focus that the Tab key moved there: Tab marks the
# page until the next pointer press. (In the sidebar: an element in the main area would add a gap above the
# page's title.)
_FOCUS_SCRIPT = (
    "<script>(function(){const d=window.parent.document;if(d.__decomposeFocus)return;d.__decomposeFocus=true;"
    "const root=d.documentElement;"
    "d.addEventListener('keydown',function(e){if(e.key==='Tab')root.setAttribute('data-tab-focus','');},true);"
    "d.addEventListener('pointerdown',function(){root.removeAttribute('data-tab-focus');},true);})();</script>"
)


def app_pages() -> list[StreamlitPage]:
    """The app's pages in navigation order (Home first and default); URLs are the file names (/compare)."""
    return [
        st.Page("pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("pages/designer.py", title="Designer", icon=":material/account_tree:"),
        st.Page("pages/scenario.py", title="Scenario", icon=":material/business:"),
        st.Page("pages/run.py", title="Run", icon=":material/play_arrow:"),
        st.Page("pages/compare.py", title="Compare", icon=":material/compare:"),
        st.Page("pages/settings.py", title="Settings", icon=":material/settings:"),
    ]


def run_app() -> None:
    """Run the page the URL names inside the app's shell: page config, provider keys, CSS, navigation."""
    st.set_page_config(page_title="Decompose Studio", page_icon=":material/account_tree:", layout="wide")
    # Before any page builds a provider: keys may live in .streamlit/secrets.toml instead of the environment.
    secrets_to_environment()
    st.html(_CSS)
    st.sidebar.html(_FOCUS_SCRIPT, unsafe_allow_javascript=True)
    page = st.navigation(app_pages())
    _sync_url(page.url_path)
    token = _inside_app.set(True)
    try:
        page.run()
    finally:
        _inside_app.reset(token)


def _sync_url(url_path: str) -> None:
    """A session's first run opens what the URL names (its working copy, its scenario); every run then writes
    them back, so the address stays a link to where the user is, whichever page they move to."""
    ss = st.session_state
    if "url_read" not in ss:
        ss["url_read"] = True
        if "draft" not in ss:
            state.restore(links.get(links.WORKFLOW))
        token = links.get(links.SCENARIO)
        found = links.scenario_from_token(token) if token else None
        if found is not None and "scenario_path" not in ss:
            ss["scenario_path"] = str(found)
    links.put(links.WORKFLOW, state.draft().draft_id if state.has_working_copy() else None)
    chosen = "scenario_path" in ss
    links.put(links.SCENARIO, links.scenario_token(services.scenario_path()) if chosen else None)
    links.keep_only_page_keys(url_path)


def header(title: str, subtitle: str) -> None:
    """The page's title and one-line subtitle. Every page opens with it, so it first makes sure the page runs
    inside the app's shell: a deep link on a freshly started server runs without it."""
    ensure_app_shell()
    st.title(title)
    st.caption(subtitle)


def ensure_app_shell() -> None:
    """Return if the page runs inside `run_app`. A page Streamlit started without app.py (before it has drawn
    anything) runs the app here instead, which draws this same page inside the shell and switches Streamlit to
    the app's navigation for good; then this run ends."""
    if _inside_app.get():
        return
    run_app()
    st.stop()
