"""The exact commands that serve a workflow and ask it for a page, as the Run page shows them."""

from __future__ import annotations

import json
import shlex
from pathlib import Path


def serve_command(
    workflow: str, scenario_dir: str | Path, all_models: str | None = None, port: int = 8000
) -> str:
    """`decompose serve` for a workflow (a template name or a YAML path) on a scenario folder."""
    parts = ["decompose", "serve", workflow, "--scenario", str(scenario_dir), "--port", str(port)]
    if all_models:
        parts += ["--all-models", all_models]
    return shlex.join(parts)


def curl_example(profile_id: str | None, port: int = 8000) -> str:
    """A `curl` that asks the served workflow for one visitor's page (with the key, when one is set)."""
    body = {"profile_id": profile_id} if profile_id else {"profile": {"name": "Dana", "segment": "Mining"}}
    return " \\\n  ".join(
        [
            f"curl -s -X POST http://127.0.0.1:{port}/v1/pages",
            '-H "Authorization: Bearer $DECOMPOSE_SERVE_KEY"',
            "-H 'Content-Type: application/json' -H 'Accept: text/html'",
            f"-d {shlex.quote(json.dumps(body))} > page.html",
        ]
    )
