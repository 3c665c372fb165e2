"""Damaged answers are never kept as success: cut streams and bodies, junk lines, schema-breaking JSON, and a
provider that echoes the key back. Each fault is injected by the scripted server over real HTTP."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import httpx
import pytest

from workflow_core.cli.main import main as cli_main
from workflow_core.errors import ProviderError
from workflow_core.nodes.hooks import standard_hooks
from workflow_core.pricing.book import PriceBook
from workflow_core.providers.anthropic import AnthropicProvider
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.run.engine import Engine
from workflow_core.run.store import Store
from workflow_core.secrets import redact
from workflow_core.testing.fake_server import FakeOpenAIServer, FakeReply
from workflow_core.workflow.files import parse_workflow

ANSWER = "Trucks back sooner"
JSON_NODE = parse_workflow(
    """
name: scored
nodes:
  - id: judge
    model: fake/small
    prompt: Rate the page.
    output_format: json
    output_schema:
      type: object
      properties: {name: {type: string}, score: {type: number}}
      required: [name, score]
    params: {retries: 1}
"""
)


def req(stream: bool = True) -> ChatRequest:
    return ChatRequest(
        model="small", messages=[{"role": "user", "content": "x"}], max_tokens=50, stream=stream
    )


async def _stream_length(server: FakeOpenAIServer) -> int:
    body = {"model": "small", "stream": True, "stream_options": {"include_usage": True}, "messages": []}
    server.enqueue(FakeReply(content=ANSWER))
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.base_url}/chat/completions", json=body)
    return len(response.content)


async def test_a_stream_cut_at_any_byte_never_passes_as_a_complete_answer(fake_openai):
    provider = OpenAICompatProvider("fake", fake_openai.base_url, None)
    length = await _stream_length(fake_openai)
    complete = failed = 0
    for offset in range(length):
        fake_openai.enqueue(FakeReply(content=ANSWER, cut_at=offset))
        try:
            result = await provider.chat(req())
        except ProviderError as exc:
            assert exc.retryable, exc
            failed += 1
        else:
            # Only a cut after the finish reason leaves an answer, and then it is the whole answer.
            assert result.text == ANSWER and result.raw["finish_reason"] == "stop", offset
            complete += 1
    await provider.aclose()
    assert failed > length * 0.8 and complete >= 1


@pytest.mark.parametrize("cut_at", [0, 10, 60, 150])
async def test_a_cut_off_json_body_is_a_retryable_error(fake_openai, cut_at):
    provider = OpenAICompatProvider("fake", fake_openai.base_url, None)
    fake_openai.enqueue(FakeReply(content=ANSWER, cut_at=cut_at))
    with pytest.raises(ProviderError) as info:
        await provider.chat(req(stream=False))
    await provider.aclose()
    assert info.value.retryable and "not used" in str(info.value)


async def test_a_stream_line_that_is_not_json_fails_the_answer(fake_openai):
    provider = OpenAICompatProvider("fake", fake_openai.base_url, None)
    fake_openai.enqueue(FakeReply(content=ANSWER, junk_line="<html>502 Bad Gateway</html>"))
    with pytest.raises(ProviderError, match="not JSON") as info:
        await provider.chat(req())
    await provider.aclose()
    assert info.value.retryable


async def test_an_anthropic_stream_cut_short_never_passes(fake_openai):
    provider = AnthropicProvider("claude", "k" * 10, base_url=fake_openai.base_url.removesuffix("/v1"))
    fake_openai.enqueue(FakeReply(content=ANSWER))
    length = len((await provider.chat(req())).text)
    assert length == len(ANSWER)
    outcomes = set()
    for offset in range(0, 1200, 5):
        fake_openai.enqueue(FakeReply(content=ANSWER, cut_at=offset))
        try:
            result = await provider.chat(req())
        except ProviderError as exc:
            assert exc.retryable and "not used" in str(exc)
            outcomes.add("failed")
        else:
            assert result.text == ANSWER, offset
            outcomes.add("complete")
    await provider.aclose()
    assert outcomes == {"failed", "complete"}


async def test_non_streamed_length_finish_is_a_warning_on_the_node(fake_openai, fake_registry, tmp_path):
    fake_openai.enqueue(FakeReply(content='{"name": "a", "score": 1}', finish_reason="length"))
    wf = JSON_NODE.model_copy(deep=True)
    run = await Engine(fake_registry, prices=PriceBook()).run(wf)
    assert run.status == "ok"
    assert any("cut off at max_tokens" in w for w in run.node("judge").warnings)


async def test_schema_breaking_json_is_asked_again_and_never_cached(fake_openai, fake_registry, tmp_path):
    store = Store(tmp_path / "db.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    fake_openai.enqueue(FakeReply(content='{"unexpected": 1}'))
    fake_openai.enqueue(FakeReply(content='{"name": "still wrong"}'))
    run = await engine.run(JSON_NODE)
    judge = run.node("judge")
    assert run.status == "failed" and judge.status == "failed"
    assert "output_schema" in (judge.error or "") and "2 answer(s) tried" in (judge.error or "")
    assert judge.calls == 2
    assert store._db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0

    fake_openai.enqueue(FakeReply(content='{"unexpected": 1}'))
    fake_openai.enqueue(FakeReply(content='{"name": "good", "score": 0.8}'))
    run = await engine.run(JSON_NODE)
    judge = run.node("judge")
    assert judge.status == "ok" and judge.output_data == {"name": "good", "score": 0.8}
    assert any("answer 1 could not be used" in w for w in judge.warnings)
    store.close()


async def test_a_truncated_answer_fails_the_node_after_its_retries_and_is_not_cached(
    fake_openai, fake_registry, tmp_path
):
    store = Store(tmp_path / "db.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    wf = parse_workflow("nodes: [{id: writer, model: fake/small, prompt: Write., params: {retries: 1}}]")
    for _ in range(2):
        fake_openai.enqueue(FakeReply(content="The page is about to be written", cut_at=200))
    from workflow_core.run.calls import RetryPolicy

    engine.retry = RetryPolicy(base_delay_s=0.01)
    run = await engine.run(wf)
    assert run.node("writer").status == "failed" and run.node("writer").attempts == 2
    assert store._db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0
    store.close()


def test_redact_removes_environment_keys_and_key_shaped_tokens(monkeypatch):
    monkeypatch.setenv("MY_PROVIDER_API_KEY", "abc123-very-secret")
    text = "Incorrect API key provided: Bearer abc123-very-secret; also sk-proj-ABCDEFGH12345678 here"
    clean = redact(text)
    assert "abc123-very-secret" not in clean and "sk-proj-ABCDEFGH12345678" not in clean
    assert "Incorrect API key provided" in clean


def test_an_echoed_key_reaches_no_file_no_record_and_no_output(fake_openai, tmp_path, monkeypatch, capsys):
    """Canary: a provider that quotes the key back in its 401 body. After `decompose run`, the key is in no
    file the run wrote, not in the SQLite database, and not on stdout or stderr."""
    canary = "sk-canary-0123456789abcdefXYZ"
    monkeypatch.setenv("CANARY_KEY", canary)
    providers = tmp_path / "providers.yaml"
    providers.write_text(
        fake_openai.providers_yaml().replace(
            "    type: openai\n", "    type: openai\n    api_key_env: CANARY_KEY\n"
        )
    )
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(providers))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "db.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    wf = tmp_path / "wf.yaml"
    wf.write_text(
        "name: leak\nnodes: [{id: writer, model: fake/small, prompt: Write., params: {retries: 0}}]\n"
    )
    fake_openai.set_responder(lambda body: FakeReply(echo_auth=True))
    out = tmp_path / "out"
    code = cli_main(["run", str(wf), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    assert "Incorrect API key provided" in captured.err  # the message survives, the key does not
    assert canary not in captured.out + captured.err
    # An experiment and its exports (report.html, csv, json) over the same provider.
    scenario = Path(__file__).resolve().parents[1] / "assets" / "example_scenario"
    cli_main(
        ["compare", "--variants", str(wf), "--scenario", str(scenario), "--profiles", "dana-mining",
         "--out", str(tmp_path / "lab")]
    )  # fmt: skip
    captured = capsys.readouterr()
    assert canary not in captured.out + captured.err
    assert (tmp_path / "lab" / "report.html").exists()
    lab_files = [p.read_bytes() for p in (tmp_path / "lab").rglob("*") if p.is_file()]
    assert any(b"Incorrect API key provided" in data for data in lab_files)  # the exports carry the error
    written = [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".yaml"]
    assert any(p.name == "report.json" for p in written)
    for path in written:
        assert canary.encode() not in path.read_bytes(), path
    dump = "\n".join(sqlite3.connect(tmp_path / "db.sqlite3").iterdump())
    assert canary not in dump and "Incorrect API key provided" in dump
    report = json.loads((out / "report.json").read_text())
    assert report["nodes"][0]["status"] == "failed"


async def test_a_slow_trickle_hits_the_node_timeout_and_keeps_nothing(fake_openai, fake_registry, tmp_path):
    """Tokens that arrive one every 0.3 s: the node's timeout (per attempt) ends the call; the partial answer
    is not kept or cached, and the error says what to change."""
    store = Store(tmp_path / "db.sqlite3")
    engine = Engine(fake_registry, prices=PriceBook(), store=store, hooks=standard_hooks(store))
    wf = parse_workflow(
        "nodes: [{id: writer, model: fake/small, prompt: Write., params: {timeout_s: 0.8, retries: 0}}]"
    )
    fake_openai.enqueue(FakeReply(content="one two three four five six seven eight nine ten", trickle_s=0.3))
    run = await engine.run(wf)
    writer = run.node("writer")
    assert writer.status == "failed" and "timeout" in (writer.error or "")
    assert writer.output_text == "" and writer.output_data is None
    assert store._db.execute("SELECT COUNT(*) FROM cache").fetchone()[0] == 0
    store.close()
