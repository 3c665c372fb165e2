"""Every bad input to `decompose serve` is a clear 4xx with a request id, never a 500; a failed run tells the
client nothing of the provider; and the operator's bad settings (a key no client can send, a provider URL
that is not a web address, a zip that cannot be unpacked) are refused with a message before they bite."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.serving import DANA
from workflow_core.errors import DecomposeError, ScenarioError
from workflow_core.production.serve import serve_key
from workflow_core.providers.config import load_providers_file
from workflow_core.scenario.files import import_scenario_zip
from workflow_core.testing.fake_server import FakeReply


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (b'{"profile": {"name": "Dana \xff"}}', "not UTF-8 text (byte 27)"),
        (b'{"profile": {"notes": ' + b"[" * 5000 + b"]" * 5000 + b"}}", "nested too deeply to read"),
        (
            b'{"profile": {"notes": ' + b"[" * 500 + b"1" + b"]" * 500 + b"}}",
            "nested more than 8 levels deep",
        ),
        (b'{"profile": {"name": "Lone \\ud800"}}', "lone UTF-16 surrogate"),
        (b'{"profile": {"\\udfff": "x"}}', "lone UTF-16 surrogate"),
        (b'{"profile": {"name": "x"', "JSON"),
    ],
)
def test_bad_bodies_get_422_with_a_request_id(serve, body: bytes, says: str) -> None:
    base = serve(max_body_bytes=64 * 1024)
    answer = httpx.post(f"{base}/v1/pages", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]
    assert answer.json()["request_id"] == answer.headers["x-request-id"]
    assert "Traceback" not in answer.text


def test_a_clients_request_id_is_kept_and_every_answer_has_one(serve) -> None:
    base = serve()
    mine = httpx.post(f"{base}/v1/pages", json={"profile": [1]}, headers={"X-Request-Id": "order-77"})
    assert mine.headers["x-request-id"] == "order-77" and mine.json()["request_id"] == "order-77"
    odd = httpx.post(f"{base}/v1/pages", json={"profile": [1]}, headers={"X-Request-Id": "<script>"})
    assert odd.headers["x-request-id"] != "<script>" and len(odd.headers["x-request-id"]) == 16
    assert httpx.get(f"{base}/v1/runs/nope").json()["request_id"]
    assert httpx.get(f"{base}/healthz").headers["x-request-id"]


def test_a_failed_run_tells_the_client_nothing_of_the_provider(serve, fake_openai, caplog) -> None:
    secret = "upstream said: quota exceeded for org-4471 at internal-gateway.corp"
    fake_openai.set_responder(lambda body: FakeReply(status=400, error_body={"error": {"message": secret}}))
    base = serve()
    with caplog.at_level("WARNING", logger="decompose.serve"):
        answer = httpx.post(f"{base}/v1/pages", json={"profile": DANA}, timeout=120)
    assert answer.status_code == 502
    body = answer.json()
    assert "could not be made" in body["detail"] and body["request_id"] in body["detail"]
    for leak in ("org-4471", "internal-gateway", "127.0.0.1", "fake/small", "quota", fake_openai.base_url):
        assert leak not in answer.text, leak
    assert any(body["request_id"] in r.getMessage() and "org-4471" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("raw", ["s3cret-key\n", "  s3cret-key  "])
def test_a_serve_key_with_white_space_around_it_is_trimmed(serve, monkeypatch, raw: str) -> None:
    assert serve_key(raw) == "s3cret-key"
    monkeypatch.setenv("DECOMPOSE_SERVE_KEY", raw)
    base = serve()
    sent = httpx.post(
        f"{base}/v1/pages", json={"profile": [1]}, headers={"Authorization": "Bearer s3cret-key"}
    )
    assert sent.status_code == 422  # past the key: refused for the body, not 401


@pytest.mark.parametrize("raw", ["", "   ", "schlüssel-key", "two words", "tab\tinside"])
def test_a_serve_key_no_client_can_send_is_refused_at_start(raw: str) -> None:
    with pytest.raises(DecomposeError, match="DECOMPOSE_SERVE_KEY"):
        serve_key(raw)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:70/", "localhost:11434/v1", "http://"]
)
def test_a_provider_base_url_must_be_http_or_https(tmp_path: Path, url: str) -> None:
    path = tmp_path / "providers.yaml"
    path.write_text(f"providers:\n  odd:\n    type: openai\n    base_url: '{url}'\n    models: [m]\n")
    with pytest.raises(DecomposeError, match="give an http:// or https:// address"):
        load_providers_file(path)


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("company.json", json.dumps({"name": "Harbour Lane"}))
        for name in names:
            z.writestr(name, "x")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("names", "says"),
    [
        (
            ["knowledge/a", "knowledge/a/b.md"],
            "is a file, but 'knowledge/a/b.md' needs a folder of that name",
        ),
        (["knowledge/Notes.md", "knowledge/notes.md"], "differ only in case"),
        ([f"knowledge/{'n' * 300}.md"], "has a name of 303 bytes"),
    ],
)
def test_a_zip_that_cannot_be_unpacked_is_a_clean_error(tmp_path: Path, names: list[str], says: str) -> None:
    with pytest.raises(ScenarioError, match="zip entr") as error:
        import_scenario_zip(_zip(names), tmp_path / "dest")
    assert says in str(error.value)
    assert not (tmp_path / "dest").exists()
