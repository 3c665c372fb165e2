"""The provider registry: environment and providers.yaml, ref resolution and its error messages."""

from __future__ import annotations

import socket

import pytest

from workflow_core.errors import DecomposeError
from workflow_core.providers.anthropic import AnthropicProvider
from workflow_core.providers.base import ChatRequest
from workflow_core.providers.local import LocalProvider
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry

KEY = "sk-ollama-secret-987"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "ANTHROPIC_API_KEY",
        "DECOMPOSE_PROVIDERS",
        "OLLAMA_API_KEY",
    ):
        monkeypatch.delenv(var, raising=False)
    # Keep the developer's own ~/.config out of the tests.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def write_config(tmp_path, base_url: str) -> str:
    path = tmp_path / "providers.yaml"
    path.write_text(
        "providers:\n"
        "  ollama:\n"
        "    type: openai\n"
        f"    base_url: {base_url}\n"
        "    api_key_env: OLLAMA_API_KEY\n"
        "    models: [small, large]\n"
        "    usd_per_hour: null\n"
        "    prices:\n"
        "      small: {input_per_mtok: 0.4, output_per_mtok: 1.6}\n"
        "  claude:\n"
        "    type: anthropic\n"
        f"    base_url: {base_url.removesuffix('/v1')}\n"
        "    api_key_env: MY_CLAUDE_KEY\n"
        "    models: [claude-x]\n"
        "local:\n"
        f"  models:\n    mine: {tmp_path / 'missing.gguf'}\n"
    )
    return str(path)


async def test_config_file_providers_and_key_read_at_call_time(tmp_path, monkeypatch, fake_openai):
    registry = ProviderRegistry.from_environment(write_config(tmp_path, fake_openai.base_url))
    assert registry.names == ["local", "ollama", "claude"]
    provider, model = registry.resolve("ollama/small")
    assert isinstance(provider, OpenAICompatProvider) and model == "small"
    assert isinstance(registry.resolve("claude/claude-x")[0], AnthropicProvider)

    # The key is set only after the registry exists: it must be read from the environment at call time.
    fake_openai.api_key = KEY
    monkeypatch.setenv("OLLAMA_API_KEY", KEY)
    result = await provider.chat(ChatRequest(model=model, messages=[{"role": "user", "content": "hi"}]))
    assert result.text == "echo: hi"
    assert fake_openai.requests[-1].headers["Authorization"] == f"Bearer {KEY}"

    configs = {c["name"]: c for c in registry.provider_configs()}
    assert configs["ollama"]["api_key_env"] == "OLLAMA_API_KEY" and configs["ollama"]["api_key_set"] is True
    assert configs["claude"]["type"] == "anthropic" and configs["claude"]["api_key_env"] == "MY_CLAUDE_KEY"
    assert KEY not in repr(configs) and KEY not in repr(registry.models())
    prices = registry.price_overrides()
    assert prices["ollama/small"].input_per_mtok == 0.4 and "ollama/large" not in prices
    await registry.aclose()


def test_config_path_from_environment_variable(tmp_path, monkeypatch, fake_openai):
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", write_config(tmp_path, fake_openai.base_url))
    assert "ollama" in ProviderRegistry.from_environment().names


def test_local_is_always_there_and_is_local(tmp_path, fake_openai):
    registry = ProviderRegistry.from_environment(write_config(tmp_path, fake_openai.base_url))
    assert isinstance(registry.resolve("local/qwen2.5-coder-0.5b")[0], LocalProvider)
    assert registry.is_local("local/qwen2.5-coder-0.5b") and not registry.is_local("ollama/small")
    infos = {m.ref: m for m in registry.models()}
    assert infos["local/qwen2.5-coder-0.5b"].local and infos["ollama/small"].status == "configured"
    # A user GGUF path that does not exist is reported before any run.
    problem = registry.check_model("local/mine")
    assert problem and "missing.gguf" in problem and "does not exist" in problem


def test_malformed_unknown_provider_and_unknown_model_messages(tmp_path, fake_openai):
    registry = ProviderRegistry.from_environment(write_config(tmp_path, fake_openai.base_url))
    with pytest.raises(DecomposeError, match="must be 'provider/model'"):
        registry.resolve("gpt-4o")
    with pytest.raises(DecomposeError) as info:
        registry.resolve("vllm/llama")
    message = str(info.value)
    assert "unknown provider 'vllm'" in message
    assert "local, ollama, claude" in message and "providers:" in message and "base_url" in message
    problem = registry.check_model("ollama/huge")
    assert problem and "unknown model 'huge'" in problem and "small, large" in problem
    with pytest.raises(DecomposeError, match="unknown model 'huge'"):
        registry.resolve("ollama/huge")
    assert registry.check_model("ollama/large") is None
    assert registry.check_model("vector/artist") is None  # the built-in vector artist


def test_openai_from_environment_checks_names_with_genai_prices(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    registry = ProviderRegistry.from_environment()
    assert "openai" in registry.names and "anthropic" not in registry.names
    assert registry.check_model("openai/gpt-4.1-mini") is None
    problem = registry.check_model("openai/gpt-9-imaginary")
    assert problem and "genai-prices" in problem
    assert "sk-x" not in repr(registry.provider_configs())


def test_custom_openai_base_url_accepts_any_model(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    registry = ProviderRegistry.from_environment()
    assert registry.check_model("openai/whatever-the-server-has") is None


def test_anthropic_from_environment(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant")
    registry = ProviderRegistry.from_environment()
    assert isinstance(registry.resolve("anthropic/claude-sonnet-4-5")[0], AnthropicProvider)


def test_bad_config_files_say_what_to_fix(tmp_path):
    missing = tmp_path / "nope.yaml"
    with pytest.raises(DecomposeError, match="does not exist"):
        ProviderRegistry.from_environment(missing)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "providers:\n  ollama:\n    type: openai\n    base_url: http://x/v1\n    api_key: sk-inline\n"
    )
    with pytest.raises(DecomposeError, match="api_key_env"):
        ProviderRegistry.from_environment(bad)
    no_url = tmp_path / "nourl.yaml"
    no_url.write_text("providers:\n  ollama: {type: openai}\n")
    with pytest.raises(DecomposeError, match="needs a base_url"):
        ProviderRegistry.from_environment(no_url)


async def test_check_connectivity(tmp_path, fake_openai):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}/v1"
    registry = ProviderRegistry.from_environment(write_config(tmp_path, fake_openai.base_url))
    registry.add(OpenAICompatProvider("dead", dead, None), models=["m"])
    ok, message = await registry.check_connectivity("ollama")
    assert ok and "2 model(s)" in message
    ok, message = await registry.check_connectivity("dead")
    assert not ok and dead in message
    ok, message = await registry.check_connectivity("nope")
    assert not ok and "unknown provider" in message
    await registry.aclose()


def test_share_clock_splits_overlapping_time_and_adds_up_to_busy_time():
    from workflow_core.providers.local import ShareClock

    now = [0.0]  # a clock the test moves, so the shares do not depend on how busy the machine is
    clock = ShareClock(now=lambda: now[0])
    a = clock.start()
    now[0] += 0.1
    b = clock.start()  # 0.1 s alone, then 0.2 s shared with b
    now[0] += 0.2
    share_a = clock.stop(a)
    now[0] += 0.1  # b alone again
    share_b = clock.stop(b)
    assert share_a + share_b == pytest.approx(0.4)
    assert share_a == pytest.approx(0.1 + 0.1)
    assert share_b == pytest.approx(0.1 + 0.1)
