"""Shared page code for the Streamlit app: session state, services, the graph canvas and run panels.
Workflow logic lives in workflow_core; this package only arranges it on screen."""
