"""Decompose Studio: the Streamlit app. Run with `streamlit run app.py`; the pages live in pages/."""

from __future__ import annotations

from studio.shell import run_app

run_app()
