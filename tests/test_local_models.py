"""The embedded models: weight assembly and its failure messages (fast, tiny real part packages), and the
real llama.cpp models answering (marked local_model: real weights, seconds to minutes)."""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import shutil

import pytest

from workflow_core.errors import ModelNotInstalledError, ProviderError
from workflow_core.providers import weights
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.local import LocalProvider
from workflow_core.providers.weights import LOCAL_MODELS, LocalModelSpec, ensure_weights, weights_status

PARTS = [b"GGUF tiny part one|", b"part two|", b"and three"]


@pytest.fixture
def tiny_model(tmp_path, monkeypatch):
    """A real (tiny) split model: three installed part packages on sys.path and its LOCAL_MODELS entry."""
    site = tmp_path / "site"
    for i, data in enumerate(PARTS, start=1):
        pkg = site / f"tiny_decompose_part{i}"
        (pkg / "data").mkdir(parents=True)
        (pkg / "__init__.py").write_text("")
        (pkg / "data" / f"part{i:02d}.bin").write_bytes(data)
    monkeypatch.syspath_prepend(str(site))
    blob = b"".join(PARTS)
    spec = LocalModelSpec(
        name="tiny",
        title="a tiny test model",
        distribution="tiny-decompose-part",
        module="tiny_decompose_part",
        parts=len(PARTS),
        version="1.2.3",
        size=len(blob),
        sha256=hashlib.sha256(blob).hexdigest(),
    )
    monkeypatch.setitem(LOCAL_MODELS, "tiny", spec)
    monkeypatch.setenv(weights.CACHE_ENV, str(tmp_path / "cache"))
    return spec, site


def test_assembles_verifies_and_records_once(tiny_model, tmp_path):
    spec, _ = tiny_model
    before = weights_status("tiny")
    assert before.parts_installed and not before.assembled and before.text.startswith("installed")
    path = ensure_weights("tiny")
    assert path == tmp_path / "cache" / "tiny.gguf"
    assert path.read_bytes() == b"".join(PARTS)
    status = weights_status("tiny")
    assert status.verified and status.size == spec.size and status.text == "installed, verified"
    assert [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert ensure_weights("tiny") == path  # second call trusts the sidecar


def test_missing_parts_name_the_pinned_pip_command(tiny_model):
    _, site = tiny_model
    shutil.rmtree(site / "tiny_decompose_part2")
    importlib.invalidate_caches()
    status = weights_status("tiny")
    assert not status.parts_installed and status.missing_parts == [2]
    with pytest.raises(ModelNotInstalledError) as info:
        ensure_weights("tiny")
    assert "pip install tiny-decompose-part2==1.2.3" in str(info.value)
    assert "part1" not in str(info.value).split("pip install", 1)[1]
    assert status.text == "weights missing: pip install tiny-decompose-part2==1.2.3"


def test_corrupt_cached_file_says_to_delete_it(tiny_model):
    path = ensure_weights("tiny")
    path.write_bytes(b"X" * len(path.read_bytes()))  # same size, wrong bytes
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    assert not weights_status("tiny").verified
    with pytest.raises(ModelNotInstalledError) as info:
        ensure_weights("tiny")
    assert str(path) in str(info.value) and "Delete that" in str(info.value)
    path.unlink()
    assert ensure_weights("tiny").read_bytes() == b"".join(PARTS)  # reassembled after deleting


def test_parts_that_do_not_hash_right_are_not_cached(tiny_model, tmp_path):
    _, site = tiny_model
    (site / "tiny_decompose_part3" / "data" / "part03.bin").write_bytes(b"and thre3")
    with pytest.raises(ModelNotInstalledError) as info:
        ensure_weights("tiny")
    assert "pip install --force-reinstall tiny-decompose-part1==1.2.3" in str(info.value)
    assert list((tmp_path / "cache").iterdir()) == []


def test_unknown_embedded_model():
    with pytest.raises(ModelNotInstalledError, match=r"qwen2\.5-coder-0\.5b"):
        ensure_weights("llama-7b")


async def test_missing_user_gguf_fails_the_call_with_its_path(tmp_path):
    provider = LocalProvider(extra_models={"mine": tmp_path / "absent.gguf"})
    with pytest.raises(ProviderError) as info:
        await provider.chat(ChatRequest(model="mine", messages=[{"role": "user", "content": "hi"}]))
    assert "absent.gguf" in str(info.value) and not info.value.retryable
    await provider.aclose()


# ---- the real models (default cache dir: only the first run pays for assembling)


@pytest.mark.local_model
@pytest.mark.parametrize("name", list(LOCAL_MODELS))
def test_real_weights_assemble_and_verify(name, monkeypatch):
    monkeypatch.delenv(weights.CACHE_ENV, raising=False)
    path = ensure_weights(name)
    assert path.stat().st_size == LOCAL_MODELS[name].size
    status = weights_status(name)
    assert status.verified and status.parts_installed


@pytest.fixture(scope="module")
def local_provider():
    provider = LocalProvider()
    yield provider
    provider.shutdown()


@pytest.mark.local_model
async def test_small_model_answers_with_usage(local_provider, monkeypatch):
    monkeypatch.delenv(weights.CACHE_ENV, raising=False)
    tokens: list[str] = []
    request = ChatRequest(
        model="qwen2.5-coder-0.5b",
        messages=[{"role": "user", "content": "In one short sentence, what is a landing page for?"}],
        max_tokens=16,
        temperature=0.0,
    )
    result = await local_provider.chat(request, on_token=tokens.append)
    await local_provider.aclose()
    assert result.usage_reported
    assert 0 < result.output_tokens <= 16 and result.input_tokens > 5
    assert result.text.strip() and "".join(tokens) == result.text
    assert result.ttft_s is not None
    # The embedded server listens on loopback only.
    from workflow_core.providers.local import _servers

    assert _servers and all(s.address.startswith("http://127.0.0.1:") for s in _servers.values())


@pytest.mark.local_model
async def test_small_model_json_schema_output_parses(local_provider, monkeypatch):
    monkeypatch.delenv(weights.CACHE_ENV, raising=False)
    schema = {
        "type": "object",
        "properties": {
            "headline": {"type": "string"},
            "colors": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["headline", "colors"],
    }
    request = ChatRequest(
        model="qwen2.5-coder-0.5b",
        messages=[{"role": "user", "content": "Give a headline and two colours for a bakery landing page."}],
        max_tokens=80,
        temperature=0.0,
        json_schema=schema,
    )
    result = await local_provider.chat(request)
    await local_provider.aclose()
    data = json.loads(result.text)
    assert isinstance(data["headline"], str) and isinstance(data["colors"], list)
