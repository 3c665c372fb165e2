"""The provider-type table is the one way in for a provider type: a toy type registered here alone is read by
config validation, the registry, pricing checks and the Settings page, and a real chat call goes through
its own client to a scripted server on 127.0.0.1."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from workflow_core.errors import DecomposeError
from workflow_core.providers.base import ChatProvider, ChatRequest
from workflow_core.providers.config import ProviderEntry, load_providers_file
from workflow_core.providers.editing import check_entry, put_provider
from workflow_core.providers.openai_compat import OpenAICompatProvider
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.providers.types import (
    Preset,
    ProviderType,
    presets,
    provider_types,
    register_provider_type,
    unregister_provider_type,
)
from workflow_core.testing.fake_server import FakeOpenAIServer

ROOT = Path(__file__).resolve().parents[1]
TOY = "deepseek"  # a provider genai-prices knows, so "priced by the catalogue" can be checked for real
TOY_KEY_ENV = "TOY_DEEPSEEK_KEY"
MARK = "X-Toy-Client"


class ToyClient(OpenAICompatProvider):
    """An OpenAI-compatible client that marks its requests, so a test can tell that it, and no other, called."""

    def _headers(self) -> dict[str, str]:
        return {**super()._headers(), MARK: TOY}


def _toy_client(name: str, base_url: str, api_key_env: str | None) -> ChatProvider:
    return ToyClient(name, base_url, None, api_key_env=api_key_env)


def _toy_type(server: FakeOpenAIServer) -> ProviderType:
    return ProviderType(
        name=TOY,
        client=_toy_client,
        default_base_url=server.base_url,  # its "own service" is the scripted server
        label="DeepSeek (toy)",
        api_key_env=TOY_KEY_ENV,
        needs_base_url=True,
        priced_by_catalogue=True,
        servers=(Preset("Toy mirror", f"{server.base_url}/mirror", name="mirror"),),
    )


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY", "DECOMPOSE_PROVIDERS", TOY_KEY_ENV):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


@pytest.fixture
def toy(fake_openai: FakeOpenAIServer) -> Iterator[ProviderType]:
    """The toy type, registered for one test (whatever held its name before comes back afterwards)."""
    before = provider_types().get(TOY)
    yield register_provider_type(_toy_type(fake_openai))
    unregister_provider_type(TOY)
    if before is not None:
        register_provider_type(before)


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "providers.yaml"
    path.write_text(text)
    return path


def _toy_config(tmp_path: Path, server: FakeOpenAIServer) -> Path:
    # `deepseek` takes the type's address and key variable; `mirror` speaks the type elsewhere.
    return _config(
        tmp_path,
        f"providers:\n  {TOY}:\n    type: {TOY}\n  mirror:\n    type: {TOY}\n    base_url: {server.base_url}\n",
    )


async def test_a_registered_type_is_loaded_built_and_called_through_its_own_client(
    toy: ProviderType, fake_openai: FakeOpenAIServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _toy_config(tmp_path, fake_openai)
    assert load_providers_file(path).providers[TOY].type == TOY

    async with ProviderRegistry.from_environment(path) as registry:
        provider, model = registry.resolve(f"{TOY}/deepseek-chat")
        assert isinstance(provider, ToyClient) and provider.base_url == fake_openai.base_url
        configs = {c["name"]: c for c in registry.provider_configs()}
        assert configs[TOY]["type"] == TOY and configs[TOY]["api_key_env"] == TOY_KEY_ENV
        # Another server of a type that many servers speak brings its own key, if any.
        assert configs["mirror"]["api_key_env"] is None

        fake_openai.api_key = "toy-secret-123"
        monkeypatch.setenv(TOY_KEY_ENV, "toy-secret-123")
        result = await provider.chat(ChatRequest(model=model, messages=[{"role": "user", "content": "hi"}]))
    assert result.text == "echo: hi"
    headers = {k.lower(): v for k, v in fake_openai.requests[-1].headers.items()}
    assert headers[MARK.lower()] == TOY and headers["authorization"] == "Bearer toy-secret-123"


async def test_a_type_whose_key_variable_is_set_is_enabled_from_the_environment(
    toy: ProviderType, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = ProviderRegistry.from_environment()
    assert TOY not in registry.names
    with pytest.raises(DecomposeError) as info:
        registry.resolve(f"{TOY}/deepseek-chat")
    assert f"Set {TOY_KEY_ENV} to enable it." in str(info.value)
    assert f"set OPENAI_API_KEY or ANTHROPIC_API_KEY or {TOY_KEY_ENV}," in str(info.value)

    monkeypatch.setenv(TOY_KEY_ENV, "toy-secret-123")
    async with ProviderRegistry.from_environment() as registry:
        assert isinstance(registry.get(TOY), ToyClient)
        assert {c["name"]: c for c in registry.provider_configs()}[TOY]["source"] == "environment"


@pytest.mark.parametrize("priced", [True, False])
def test_model_names_are_checked_against_genai_prices_as_the_type_declares(
    toy: ProviderType, fake_openai: FakeOpenAIServer, tmp_path: Path, priced: bool
) -> None:
    register_provider_type(dataclasses.replace(toy, priced_by_catalogue=priced))
    registry = ProviderRegistry.from_environment(_toy_config(tmp_path, fake_openai))
    statuses = {m.ref: m.status for m in registry.models()}
    made_up = registry.check_model(f"{TOY}/made-up-model")
    if priced:
        assert registry.check_model(f"{TOY}/deepseek-chat") is None
        assert made_up and "genai-prices does not know it" in made_up
        assert statuses[f"{TOY}/deepseek-chat"] == "configured (priced by genai-prices)"
        # A model search's default candidates are the models configured by name, not the catalogue's list.
        assert f"{TOY}/deepseek-chat" not in registry.chosen_models()
        assert "local/qwen2.5-coder-0.5b" in registry.chosen_models()
    else:
        assert made_up is None
        assert statuses[f"{TOY}/*"] == "configured; any model the server serves"
    # At another address the catalogue cannot vouch for the names, whatever the type declares.
    assert registry.check_model("mirror/made-up-model") is None and "mirror/*" in statuses


def test_a_provider_of_the_type_elsewhere_needs_a_base_url_suggested_by_its_presets(
    toy: ProviderType, fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    example = f"e.g. {fake_openai.base_url}/mirror for Toy mirror"
    with pytest.raises(DecomposeError, match=r"provider 'other' .* needs a base_url") as info:
        load_providers_file(_config(tmp_path, f"providers:\n  other: {{type: {TOY}}}\n"))
    assert example in str(info.value)
    with pytest.raises(DecomposeError, match="needs a base URL") as info:
        check_entry("other", ProviderEntry(type=TOY))
    assert example in str(info.value)

    # Named like the type, it needs nothing more; the Settings page's save writes it and reads it back.
    path = put_provider(tmp_path / "conf" / "providers.yaml", TOY, ProviderEntry(type=TOY))
    assert load_providers_file(path).providers[TOY].type == TOY


def test_the_settings_page_offers_the_type_among_its_presets(
    toy: ProviderType, fake_openai: FakeOpenAIServer
) -> None:
    offered = presets()
    assert [p.label for p in offered] == [
        "OpenAI",
        "Anthropic",
        "DeepSeek (toy)",
        "Ollama",
        "vLLM",
        "LM Studio",
        "Toy mirror",
        "Other OpenAI-compatible server",
    ]
    own = offered[2]
    assert (own.type, own.name, own.base_url, own.api_key_env) == (
        TOY,
        TOY,
        fake_openai.base_url,
        TOY_KEY_ENV,
    )
    assert offered[6].type == TOY and offered[6].name == "mirror"


def test_the_settings_page_saves_a_provider_of_the_type(
    toy: ProviderType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _config(tmp_path, "providers: {}\n")
    monkeypatch.setenv("DECOMPOSE_PROVIDERS", str(path))
    monkeypatch.setenv("DECOMPOSE_DB", str(tmp_path / "runs.sqlite3"))
    monkeypatch.setenv("DECOMPOSE_HOME", str(tmp_path / "home"))
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/settings.py")
    at.run()
    kind = at.selectbox(key="settings_preset")
    assert "DeepSeek (toy)" in kind.options
    kind.set_value("DeepSeek (toy)").run()
    next(b for b in at.button if b.label == "Save provider").click().run()
    assert not at.exception, [e.message for e in at.exception]
    saved = load_providers_file(path).providers[TOY]
    assert saved.type == TOY and saved.api_key_env == TOY_KEY_ENV


def test_an_unknown_type_is_refused_naming_the_registered_ones(toy: ProviderType, tmp_path: Path) -> None:
    path = _config(tmp_path, "providers:\n  x:\n    type: toyish\n    base_url: http://127.0.0.1:9/v1\n")
    with pytest.raises(DecomposeError) as info:
        load_providers_file(path)
    message = str(info.value)
    assert "providers.x.type: Input should be 'openai', 'anthropic' or 'deepseek'" in message
    assert "Each provider needs `type` (openai, anthropic or deepseek)" in message


def test_without_the_toy_the_unknown_type_message_is_the_built_in_one(tmp_path: Path) -> None:
    assert TOY not in provider_types()
    path = _config(tmp_path, f"providers:\n  x:\n    type: {TOY}\n    base_url: http://127.0.0.1:9/v1\n")
    with pytest.raises(DecomposeError) as info:
        load_providers_file(path)
    message = str(info.value)
    assert "providers.x.type: Input should be 'openai' or 'anthropic'" in message
    assert "Each provider needs `type` (openai or anthropic)" in message
