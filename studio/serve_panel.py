"""The Run page's "Serve this workflow" panel: the command that serves the chosen workflow, and a curl."""

from __future__ import annotations

import streamlit as st

from studio import lab
from workflow_core.production.commands import curl_example, serve_command


def show(
    source: str, is_template: bool, scenario_dir: str, all_models: str | None, profile_id: str | None
) -> None:
    """`source` is the Run page's workflow option: a template name, a saved workflow, or the Designer's."""
    with st.expander("Serve this workflow", icon=":material/cloud_upload:"):
        if source.startswith(lab.SAVED):
            workflow = source[len(lab.SAVED) :]
        elif is_template:
            workflow = source
        else:
            st.caption("Save the Designer's workflow first (Designer → Save); then serve its YAML file:")
            workflow = "my-workflow.yaml"
        st.caption(
            "An HTTP API for this workflow: POST a visitor's profile, get their page. Set DECOMPOSE_SERVE_KEY "
            "to require a key; the API's docs are at /docs."
        )
        st.caption(
            ":material/shield: What visitors get is safe by construction: every page is sanitised (no script "
            "but the design system's, nothing loaded from elsewhere) and served with a strict "
            "Content-Security-Policy. A page that is not publishable (see its Quality tab) is not served: the "
            "visitor gets a page for their segment built from your scenario's own words, and the answer says "
            "`gated`. Add `--allow-unpublishable` only for experiments."
        )
        st.code(serve_command(workflow, scenario_dir, all_models), language="bash", wrap_lines=True)
        st.code(curl_example(profile_id), language="bash")
