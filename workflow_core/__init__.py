"""Decompose Studio core: workflow specs, the DAG engine, providers, pricing, pages, quality and comparison.

This package never imports Streamlit; the app, the CLI and the tests all use it directly.
"""

__version__ = "0.1.0"
