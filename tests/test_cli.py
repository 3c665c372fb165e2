"""The `decompose` command as a user runs it: a real subprocess, real HTTP to the scripted server."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from workflow_core.scenario import load_scenario
from workflow_core.testing.fake_server import FakeReply

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "assets" / "example_scenario"


def decompose(env, *args, check=True):
    proc = subprocess.run(
        [sys.executable, "-m", "workflow_core.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


PAGE_WITH_IMAGES = (
    '<!DOCTYPE html><html lang="en"><head><title>Hi</title></head><body><header><img src="logo" alt="logo">'
    '</header><main><h1>Hello</h1><img src="hero.svg" alt="A haul truck at dawn"></main></body></html>'
)


@pytest.mark.parametrize("template", ["single", "seed"])
def test_run_writes_page_and_report_whose_costs_add_up(cli_env, tmp_path, template, fake_openai):
    fake_openai.set_responder(
        lambda body: (
            FakeReply(content=PAGE_WITH_IMAGES)
            if "whole page" in str(body)
            or ("landing page for this" in str(body) and not body.get("response_format"))
            else None
        )
    )
    profile = next(iter(load_scenario(EXAMPLE).profiles))
    out = tmp_path / "out"
    proc = decompose(
        cli_env,
        "run",
        template,
        "--scenario",
        str(EXAMPLE),
        "--profile",
        profile,
        "--out",
        str(out),
        "--all-models",
        "fake/small",
    )
    assert "started" in proc.stderr, "progress is shown while it runs"
    report = json.loads((out / "report.json").read_text())
    assert report["workflow"] == template and report["profile"] == profile
    for key in ("total_cost_usd", "estimated_cost_usd", "wall_s", "qa_score", "qa_findings"):
        assert key in report
    node_keys = {
        "id",
        "kind",
        "model",
        "status",
        "input_tokens",
        "output_tokens",
        "cost_usd",
        "started_at",
        "finished_at",
        "cached",
        "error",
    }
    assert all(node_keys <= set(n) for n in report["nodes"])
    assert all(n["status"] == "ok" for n in report["nodes"])
    assert report["total_cost_usd"] > 0
    assert sum(n["cost_usd"] for n in report["nodes"]) == pytest.approx(report["total_cost_usd"])
    agent = next(n for n in report["nodes"] if n["kind"] == "agent")
    assert agent["cost_usd"] == pytest.approx(
        (agent["input_tokens"] * 0.4 + agent["output_tokens"] * 1.6) / 1e6
    )
    page = (out / "index.html").read_text()
    assert "<html" in page
    # The logo is the scenario's, and every other image resolves (drawn by the artist or the vector fallback).
    assert 'src="data:image/svg+xml' in page and 'src="hero.svg"' not in page and 'src="logo"' not in page
    assert (out / "site.zip").stat().st_size > 0
    retrieve = next(n for n in report["nodes"] if n["kind"] == "retrieve")
    assert retrieve["passages"], "retrieved passages are part of the report"


def test_second_run_is_all_cached(cli_env, tmp_path, fake_openai):
    args = [
        "run",
        "seed",
        "--scenario",
        str(EXAMPLE),
        "--out",
        str(tmp_path / "o"),
        "--all-models",
        "fake/small",
    ]
    decompose(cli_env, *args)
    calls = len(fake_openai.requests)
    decompose(cli_env, *args)
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert all(n["cached"] for n in report["nodes"])
    assert len(fake_openai.requests) == calls
    assert report["total_cost_usd"] == 0


def test_validate_names_cycle_and_unknown_variable(cli_env, tmp_path):
    wf = tmp_path / "bad.yaml"
    wf.write_text(
        "nodes:\n"
        "  - {id: writer, model: local/qwen2.5-coder-0.5b, prompt: '{{ editor }}'}\n"
        "  - {id: editor, model: local/qwen2.5-coder-0.5b, prompt: '{{ writer }}'}\n"
        "  - {id: coder, model: local/qwen2.5-coder-0.5b, prompt: 'use {{ no_such_thing }}'}\n"
        "edges: [{source: writer, target: editor}, {source: editor, target: writer}]\n"
    )
    proc = decompose(cli_env, "validate", str(wf), check=False)
    assert proc.returncode == 1
    assert "node 'writer'" in proc.stderr and "node 'editor'" in proc.stderr and "cycle" in proc.stderr
    assert "node 'coder'" in proc.stderr and "no_such_thing" in proc.stderr


def test_validate_accepts_templates_and_reports_yaml_line(cli_env, tmp_path):
    assert "valid" in decompose(cli_env, "validate", "seed").stdout
    broken = tmp_path / "broken.yaml"
    broken.write_text("nodes:\n  - id: a\n    prompt: [oops\n")
    proc = decompose(cli_env, "validate", str(broken), check=False)
    assert proc.returncode == 1 and "line" in proc.stderr and "Traceback" not in proc.stderr


def test_templates_and_models_list(cli_env):
    out = decompose(cli_env, "templates").stdout
    for name in ("single", "duo", "seed", "seed-qa", "deep"):
        assert name in out
    models = decompose(cli_env, "models").stdout
    assert "local/qwen2.5-coder-0.5b" in models and "fake/small" in models


def test_unknown_profile_is_a_clear_error(cli_env, tmp_path):
    proc = decompose(
        cli_env,
        "run",
        "seed",
        "--scenario",
        str(EXAMPLE),
        "--profile",
        "nobody",
        "--out",
        str(tmp_path),
        check=False,
    )
    assert proc.returncode == 1
    assert "profile 'nobody'" in proc.stderr and "Traceback" not in proc.stderr


def test_a_workflow_that_reads_a_scenario_asks_for_one(cli_env, tmp_path):
    proc = decompose(cli_env, "run", "seed", "--out", str(tmp_path), check=False)
    assert proc.returncode == 1
    assert "pass --scenario DIR" in proc.stderr and "offering_items" in proc.stderr
    assert proc.stderr.count("unknown prompt variable") == 0


def test_a_workflow_without_scenario_inputs_runs_without_one(cli_env, tmp_path, fake_openai):
    wf = tmp_path / "plain.yaml"
    wf.write_text(
        "name: plain\nnodes:\n  - {id: a, model: fake/small, prompt: hello}\n"
        "  - {id: b, model: fake/small, prompt: 'Improve: {{ a }}'}\nedges: [{source: a, target: b}]\n"
    )
    decompose(cli_env, "run", str(wf), "--out", str(tmp_path / "o"))
    report = json.loads((tmp_path / "o" / "report.json").read_text())
    assert report["profile"] is None and [n["status"] for n in report["nodes"]] == ["ok", "ok"]


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (
            "nodes:\n  - {id: a, model: fake/small, prompt: '{{ b }}'}\n  - {id: b, model: fake/small, prompt: '{{ a }}'}\n"
            "edges: [{source: a, target: b}, {source: b, target: a}]\n",
            "cycle",
        ),
        ("nodes: [{id: a, model: fake/small, prompt: hi}]\nedges: [{source: a, target: ghost}]\n", "ghost"),
        (b"nodes: [{id: a, model: fake/small, prompt: caf\xe9}]\n", "not UTF-8"),
    ],
)
def test_run_on_a_broken_workflow_is_a_message_not_a_traceback(cli_env, tmp_path, content, says):
    wf = tmp_path / "bad.yaml"
    if isinstance(content, bytes):
        wf.write_bytes(content)
    else:
        wf.write_text(content)
    for command in (["run", str(wf), "--out", str(tmp_path / "out")], ["validate", str(wf)]):
        proc = decompose(cli_env, *command, check=False)
        assert proc.returncode == 1, proc.stderr
        assert says in proc.stderr and "Traceback" not in proc.stderr


def test_a_command_hands_sigterm_back_as_it_found_it_once_it_is_over(monkeypatch) -> None:
    """While a command runs, `kill` ends it as Ctrl-C does (its clean-up runs, a batch says how to resume); once it
    is over, a kill during the clean-up at exit (closing the browser) must not raise a KeyboardInterrupt out of an
    atexit callback with a traceback, as it did when a CI run's kill arrived just after a batch had finished."""
    import signal

    import workflow_core.cli.main as cli
    from workflow_core.interrupts import interrupt

    seen: list[object] = []
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    monkeypatch.setattr(
        cli, "cmd_templates", lambda args: seen.extend(signal.getsignal(s) for s in before) or 0
    )
    assert cli.main(["templates"]) == 0
    assert seen == [interrupt, interrupt], (
        "during the command a kill is a Ctrl-C, and neither is lost in a callback"
    )
    assert {s: signal.getsignal(s) for s in before} == before
