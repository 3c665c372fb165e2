"""Providers added, changed, tested and removed from the app: providers.yaml keeps variable names only."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflow_core.errors import DecomposeError
from workflow_core.providers.config import ProviderEntry, load_providers_file
from workflow_core.providers.editing import (
    OLLAMA_ENV,
    find_ollama,
    probe_entry,
    put_provider,
    remove_provider,
    variable_is_set,
)
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.testing.fake_server import FakeOpenAIServer


def test_a_provider_is_written_read_back_and_removed_leaving_the_others(
    tmp_path: Path, fake_openai: FakeOpenAIServer
) -> None:
    path = tmp_path / "conf" / "providers.yaml"
    path.parent.mkdir()
    path.write_text(fake_openai.providers_yaml())
    put_provider(
        path, "router", ProviderEntry(base_url="https://openrouter.ai/api/v1", api_key_env="ROUTER_KEY")
    )
    config = load_providers_file(path)
    assert config.providers["router"].api_key_env == "ROUTER_KEY"
    assert config.providers["fake"].prices["small"].input_per_mtok == 0.4  # the rest is kept
    registry = ProviderRegistry.from_environment(path)
    assert "router" in registry.names
    remove_provider(path, "router")
    assert set(load_providers_file(path).providers) == {"fake"}


@pytest.mark.parametrize(
    ("name", "entry", "says"),
    [
        (
            "r",
            ProviderEntry(base_url="http://x/v1", api_key_env="sk-proj-abcdef1234567890"),
            "looks like a key",
        ),
        (
            "r",
            ProviderEntry(base_url="http://x/v1", api_key_env="aB3dE5gH7jK9mN1pQ3sT5vX7z"),
            "looks like a key",
        ),
        ("r", ProviderEntry(base_url="http://x/v1", api_key_env="MY KEY"), "not an environment variable"),
        ("r", ProviderEntry(), "needs a base URL"),
        ("a/b", ProviderEntry(base_url="http://x/v1"), "cannot name a provider"),
        ("local", ProviderEntry(base_url="http://x/v1"), "embedded models"),
        ("r", ProviderEntry(base_url="localhost:1234"), "not a URL"),
    ],
)
def test_a_provider_that_cannot_work_is_refused_and_nothing_is_written(
    tmp_path: Path, name: str, entry: ProviderEntry, says: str
) -> None:
    path = tmp_path / "providers.yaml"
    with pytest.raises(DecomposeError, match=says):
        put_provider(path, name, entry)
    assert not path.exists()


def test_whether_a_key_variable_is_set_is_said_without_reading_it_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SOME_KEY_FOR_TEST", "secret-value")
    monkeypatch.delenv("NOT_SET_FOR_TEST", raising=False)
    assert variable_is_set("SOME_KEY_FOR_TEST") is True
    assert variable_is_set("NOT_SET_FOR_TEST") is False and variable_is_set(None) is False


async def test_a_provider_is_tested_before_it_is_saved(fake_openai: FakeOpenAIServer) -> None:
    ok, message, models = await probe_entry("mine", ProviderEntry(base_url=fake_openai.base_url))
    assert ok and models == ["small", "large"] and "2 model(s)" in message
    ok, message, models = await probe_entry("gone", ProviderEntry(base_url="http://127.0.0.1:9/v1"))
    assert not ok and models == [] and message


async def test_ollama_on_this_machine_is_found_when_it_answers(
    fake_openai: FakeOpenAIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(OLLAMA_ENV, fake_openai.base_url)
    assert await find_ollama() == ["small", "large"]
    monkeypatch.setenv(OLLAMA_ENV, "http://127.0.0.1:9/v1")
    assert await find_ollama() is None
