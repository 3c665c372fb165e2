"""The CLI's start: `decompose --help` imports no heavy library, and malformed NODE=REF flags are refused
before any work, with a message naming the flag."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"networkx", "pydantic", "jinja2", "genai_prices", "httpx", "yaml", "streamlit"}


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, *args], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT
    )


def test_importing_the_cli_imports_no_heavy_library() -> None:
    # Structural, not a timing assert: these imports are what made `decompose --help` take ~300 ms.
    code = (
        "import workflow_core.cli.main, sys; "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {sorted(HEAVY)!r}))"
    )
    proc = _python("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_help_lists_the_commands() -> None:
    proc = _python("-m", "workflow_core.cli.main", "--help")
    assert proc.returncode == 0, proc.stderr
    for command in ("run", "templates", "validate", "models", "bench", "compare", "cache-clear"):
        assert command in proc.stdout


def test_a_malformed_model_override_is_refused_naming_the_flag(tmp_path: Path) -> None:
    proc = _python(
        "-m", "workflow_core.cli.main", "run", "single", "--out", str(tmp_path), "--model", "writer:gpt"
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == "error: --model expects NODE=PROVIDER/MODEL, got 'writer:gpt'."
    assert "Traceback" not in proc.stderr
