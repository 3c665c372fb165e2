"""The provider-type table: everything the tool needs to know about a `type:` of providers.yaml, in one place.

A type says which client speaks to its servers, where its own service answers and which variable holds its
key, whether other servers speak it too (then they must give a base_url), whether genai-prices knows its
models, and what the Settings page offers for it. Config validation, the registry, pricing checks and the
Settings page read this table and name no type themselves, so a new type is one `register_provider_type`
call beside its client.

The built-in types are declared at the end of this module. Unlike node kinds they need nothing from a higher
layer (their clients live in this package), so they register when the table is imported, in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from workflow_core.providers.anthropic import AnthropicProvider
from workflow_core.providers.base import ChatProvider
from workflow_core.providers.openai_compat import OpenAICompatProvider

# Builds the client of one provider: (its name, base URL, the NAME of its key's variable or None).
ClientFactory = Callable[[str, str, str | None], ChatProvider]
DEFAULT_TYPE = "openai"  # what an entry without `type:` is
OLLAMA_DEFAULT = "http://localhost:11434/v1"


@dataclass(frozen=True)
class Preset:
    """A kind of provider the Settings page offers, with what it usually needs."""

    label: str
    base_url: str
    api_key_env: str = ""
    name: str = ""
    type: str = ""  # the type offering it (`presets()` fills it in)


@dataclass(frozen=True)
class ProviderType:
    """One `type:` of providers.yaml. `name`, `client`, `default_base_url` and `label` are required."""

    name: str
    client: ClientFactory
    default_base_url: str
    label: str  # the Settings page's name for the type's own service, e.g. "OpenAI"
    # The key's variable when an entry names none; when set in the environment, a provider named like the
    # type is added without a providers file.
    api_key_env: str | None = None
    # A variable that, when set, adds that provider too and points it elsewhere (OPENAI_BASE_URL).
    base_url_env: str | None = None
    # A protocol many servers speak (OpenAI's): a provider not named like the type must give its base_url,
    # and gets no default key variable, since each server has its own.
    needs_base_url: bool = False
    # genai-prices knows the models of the provider named like the type at its default URL, so their names
    # are checked there and listed from its catalogue when no `models:` are declared.
    priced_by_catalogue: bool = False
    # Other servers that speak this type, offered by the Settings page after every type's own service.
    servers: tuple[Preset, ...] = ()

    def base_url_missing(self, provider: str, base_url: str | None) -> bool:
        """Whether a provider called `provider` of this type must give a base_url it lacks."""
        return self.needs_base_url and not base_url and provider != self.name

    def base_url_example(self) -> str:
        """An address to suggest in "needs a base_url" messages: the first server preset with one."""
        for server in self.servers:
            if server.base_url:
                return f"{server.base_url} for {server.label}"
        return self.default_base_url

    def key_env_for(self, provider: str, api_key_env: str | None) -> str | None:
        """The key's variable of a provider of this type: its own, else the type's default where it applies."""
        if api_key_env:
            return api_key_env
        return self.api_key_env if not self.needs_base_url or provider == self.name else None


_TYPES: dict[str, ProviderType] = {}


def register_provider_type(provider_type: ProviderType) -> ProviderType:
    """Add a type (a later registration of the same name replaces the earlier one, so tests can swap one)."""
    _TYPES[provider_type.name] = provider_type
    return provider_type


def unregister_provider_type(name: str) -> None:
    _TYPES.pop(name, None)


def provider_types() -> Mapping[str, ProviderType]:
    """Every registered type by name, the built-in ones first."""
    return _TYPES


def provider_type(name: str) -> ProviderType:
    """The type called `name`; KeyError when there is none (config validation reports unknown types first)."""
    return _TYPES[name]


def type_names(quote: str = "") -> str:
    """The registered types for messages: "openai or anthropic", "'a', 'b' or 'c'" with quote="'"."""
    names = [f"{quote}{n}{quote}" for n in _TYPES]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def presets() -> list[Preset]:
    """What the Settings page offers: every type's own service, then the servers that speak a type, then the
    catch-alls with no address (such as "Other OpenAI-compatible server")."""
    services = [
        Preset(t.label, t.default_base_url, t.api_key_env or "", t.name, t.name) for t in _TYPES.values()
    ]
    servers = [replace(s, type=t.name) for t in _TYPES.values() for s in t.servers]
    return services + sorted(servers, key=lambda s: not s.base_url)


def _openai(name: str, base_url: str, api_key_env: str | None) -> ChatProvider:
    return OpenAICompatProvider(name, base_url, None, api_key_env=api_key_env)


def _anthropic(name: str, base_url: str, api_key_env: str | None) -> ChatProvider:
    return AnthropicProvider(name, None, base_url=base_url, api_key_env=api_key_env)


register_provider_type(
    ProviderType(
        name="openai",
        client=_openai,
        default_base_url="https://api.openai.com/v1",
        label="OpenAI",
        api_key_env="OPENAI_API_KEY",
        base_url_env="OPENAI_BASE_URL",
        needs_base_url=True,
        priced_by_catalogue=True,
        servers=(
            Preset("Ollama", OLLAMA_DEFAULT, name="ollama"),
            Preset("vLLM", "http://localhost:8000/v1", name="vllm"),
            Preset("LM Studio", "http://localhost:1234/v1", name="lmstudio"),
            Preset("Other OpenAI-compatible server", ""),
        ),
    )
)
register_provider_type(
    ProviderType(
        name="anthropic",
        client=_anthropic,
        default_base_url="https://api.anthropic.com",
        label="Anthropic",
        api_key_env="ANTHROPIC_API_KEY",
        priced_by_catalogue=True,
    )
)
