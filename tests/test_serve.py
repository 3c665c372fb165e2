"""`decompose serve` over real HTTP: uvicorn on 127.0.0.1 in front of the engine, the engine in front of the
scripted model server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.serving import DANA, free_port
from tests.test_cli import EXAMPLE, ROOT
from workflow_core.production.serve import KEY_ENV, startup_warnings


def _chat_calls(fake_openai) -> int:
    return sum(1 for r in fake_openai.requests if str(r.get("path", "")).endswith("/chat/completions"))


def test_a_page_as_json_or_html_and_a_repeat_from_the_cache(serve, fake_openai) -> None:
    base = serve()
    first = httpx.post(f"{base}/v1/pages", json={"profile": DANA}, timeout=60)
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "ok" and body["cached"] is False and body["cost_usd"] > 0
    assert body["html"].lstrip().lower().startswith("<!doctype html") and body["qa_axes"]
    assert isinstance(body["publishable"], bool) and "substance" in body["qa_axes"]  # the one verdict
    calls = _chat_calls(fake_openai)
    assert calls == 2

    again = httpx.post(
        f"{base}/v1/pages", json={"profile": dict(reversed(DANA.items()))}, headers={"Accept": "text/html"}
    )
    assert again.status_code == 200 and again.headers["content-type"].startswith("text/html")
    assert again.text == body["html"] and again.headers["x-run-id"] == body["run_id"]
    assert _chat_calls(fake_openai) == calls, "the same profile again must not call a model"
    as_json = httpx.post(f"{base}/v1/pages", json={"profile": DANA}).json()
    assert as_json["cached"] is True and as_json["cost_usd"] == 0.0
    assert {k: v for k, v in as_json.items() if k not in ("cached", "cost_usd")} == {
        k: v for k, v in body.items() if k not in ("cached", "cost_usd")
    }

    by_id = httpx.post(f"{base}/v1/pages", json={"profile_id": "kiri-mining"}, timeout=60)
    assert by_id.status_code == 200 and by_id.json()["profile_id"] == "kiri-mining"

    run = httpx.get(f"{base}/v1/runs/{body['run_id']}")
    assert run.status_code == 200 and run.json()["status"] == "ok"
    assert {n["id"] for n in run.json()["nodes"]} >= {"personalizer", "developer"}
    assert httpx.get(f"{base}/v1/runs/nope").status_code == 404
    health = httpx.get(f"{base}/healthz").json()
    assert health["status"] == "ok" and health["workflow"] == "seed"
    spec = httpx.get(f"{base}/openapi.json").json()
    assert "/v1/pages" in spec["paths"] and "/v1/runs/{run_id}" in spec["paths"]
    assert httpx.get(f"{base}/docs").status_code == 200


def test_concurrent_repeats_share_one_run(serve, fake_openai) -> None:
    fake_openai.latency_s = 0.3
    base = serve()
    with ThreadPoolExecutor(6) as pool:
        answers = list(
            pool.map(lambda _: httpx.post(f"{base}/v1/pages", json={"profile": DANA}, timeout=60), range(6))
        )
    assert all(a.status_code == 200 for a in answers)
    assert len({a.json()["run_id"] for a in answers}) == 1
    assert sorted(a.json()["cached"] for a in answers) == [False] + [True] * 5
    assert _chat_calls(fake_openai) == 2


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"profile": [1, 2]}, 422, "the profile must be a JSON object"),
        ({"profile": {}}, 422, "the profile is empty"),
        ({"profile": {"name": "x" * 3000}}, 422, "field 'name' holds text of 3000 characters"),
        ({"profile": DANA, "profile_id": "dana-mining"}, 422, 'give exactly one of "profile"'),
        ({}, 422, 'give exactly one of "profile"'),
        ({"profile_id": "nobody"}, 404, "no profile 'nobody' in the scenario; its profiles: arjun-utilities"),
    ],
)
def test_bad_requests_get_a_clear_4xx(serve, body, status, says) -> None:
    base = serve()
    answer = httpx.post(f"{base}/v1/pages", json=body)
    assert answer.status_code == status
    assert says in answer.json()["detail"]


def test_malformed_json_and_a_body_too_large(serve) -> None:
    base = serve(max_body_bytes=2048)
    bad = httpx.post(f"{base}/v1/pages", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 422 and "JSON" in bad.json()["detail"]
    big = httpx.post(f"{base}/v1/pages", json={"profile": {"notes": "y" * 5000}})
    assert big.status_code == 413 and "over 2048 bytes" in big.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds on the bytes streamed
        yield b'{"profile": {"notes": "'
        yield b"z" * 5000
        yield b'"}}'

    streamed = httpx.post(f"{base}/v1/pages", content=chunks(), headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413


def test_the_key_is_required_when_set(serve, monkeypatch) -> None:
    monkeypatch.setenv(KEY_ENV, "s3cret-key-for-tests")
    base = serve()
    assert httpx.post(f"{base}/v1/pages", json={"profile": DANA}).status_code == 401
    wrong = httpx.post(f"{base}/v1/pages", json={"profile": DANA}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    assert "s3cret" not in wrong.text
    assert httpx.get(f"{base}/v1/runs/x").status_code == 401
    ok = httpx.post(
        f"{base}/v1/pages",
        json={"profile": DANA},
        headers={"Authorization": "Bearer s3cret-key-for-tests"},
        timeout=60,
    )
    assert ok.status_code == 200
    assert httpx.get(f"{base}/healthz").status_code == 200  # health checks need no key


def test_no_key_off_loopback_is_a_loud_warning() -> None:
    assert startup_warnings("127.0.0.1", None) == []
    assert startup_warnings("0.0.0.0", "k") == []
    (warning,) = startup_warnings("0.0.0.0", None)
    assert "WARNING" in warning and KEY_ENV in warning


def test_the_daily_budget_answers_429_with_retry_after(serve) -> None:
    base = serve(daily_budget_usd=0.0000001)
    answer = httpx.post(f"{base}/v1/pages", json={"profile": DANA})
    assert answer.status_code == 429
    assert 0 < int(answer.headers["retry-after"]) <= 86400
    assert "daily budget" in answer.json()["detail"] and "left today" in answer.json()["detail"]


def test_a_full_queue_answers_503_after_the_wait(serve, fake_openai) -> None:
    fake_openai.latency_s = 0.6
    base = serve(concurrency=1, queue_timeout_s=0.2)
    profiles = [{**DANA, "name": f"Visitor {i}"} for i in range(2)]
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda p: httpx.post(f"{base}/v1/pages", json={"profile": p}, timeout=60), profiles)
        )
    assert sorted(a.status_code for a in answers) == [200, 503]
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "1" and "run slots stayed busy" in busy.json()["detail"]


def test_decompose_serve_answers_curl_with_a_page(cli_env, fake_openai) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "workflow_core.cli.main", "serve", "seed", "--scenario", str(EXAMPLE),
         "--all-models", "fake/small", "--port", str(port)],
        env=cli_env, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.ConnectError:
                time.sleep(0.1)
        curl = subprocess.run(
            ["curl", "-s", "-X", "POST", f"{base}/v1/pages", "-H", "Content-Type: application/json",
             "-H", "Accept: text/html", "-d", json.dumps({"profile_id": "dana-mining"})],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert curl.stdout.lstrip().lower().startswith("<!doctype html"), curl.stdout[:300]
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert f"serving seed on http://127.0.0.1:{port}" in err and "WARNING" not in err
