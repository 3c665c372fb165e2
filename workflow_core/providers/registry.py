"""Which providers and models this installation can call, and how "provider/model" refs resolve to them.

Providers come from the environment (a provider type's variables, e.g. OPENAI_API_KEY / OPENAI_BASE_URL,
ANTHROPIC_API_KEY), from a providers.yaml file, and always include the embedded `local` models. What each
`type` means (its client, defaults, whether genai-prices knows its models) comes from `providers.types`.
API keys are read from the environment variable a provider names, at call time: nothing here stores or
writes a key.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from workflow_core.errors import DecomposeError, ProviderError
from workflow_core.pricing.book import ModelPrice
from workflow_core.providers.base import ChatProvider
from workflow_core.providers.catalogue import known_to_genai_prices, priced_by_catalogue
from workflow_core.providers.config import (
    CONFIG_ENV,
    ProviderEntry,
    ProvidersFile,
    default_config_path,
    load_providers_file,
)
from workflow_core.providers.local import LOCAL_PROVIDER_NAME, N_PARALLEL, LocalProvider
from workflow_core.providers.types import DEFAULT_TYPE, provider_type, provider_types

# The built-in vector artist is not a provider to call; image nodes name it as "vector/...".
_BUILTIN_PROVIDERS = frozenset({"vector"})

ProviderKind = Literal["hosted", "local"]


@dataclass
class ModelInfo:
    ref: str
    provider: str
    model: str
    local: bool
    status: str
    from_catalogue: bool = False  # listed because genai-prices knows the provider's models, not configured


@dataclass
class ProviderSettings:
    """How a provider was configured, without secrets (the key's variable name only)."""

    name: str
    type: str  # a provider type's name (providers.types), local, or custom
    base_url: str | None = None
    api_key_env: str | None = None
    models: list[str] | None = None
    usd_per_hour: float | None = None
    prices: dict[str, dict[str, Any]] = field(default_factory=dict)
    custom_base_url: bool = True
    source: str = "code"
    max_concurrency: int | None = None  # calls at once (None: no limit of ours)


class ProviderRegistry:
    """Providers by name, and the models each one declares."""

    def __init__(self) -> None:
        self._providers: dict[str, ChatProvider] = {}
        self._models: dict[str, list[str] | None] = {}
        self._kinds: dict[str, ProviderKind] = {}
        self._settings: dict[str, ProviderSettings] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self.config_path: Path | None = None

    # ---- building
    def add(
        self,
        provider: ChatProvider,
        models: list[str] | None = None,
        kind: str = "hosted",
        *,
        settings: ProviderSettings | None = None,
    ) -> None:
        """Register (or replace) a provider. `models=None` accepts any model name (see `check_model`)."""
        if kind not in ("hosted", "local"):
            raise ValueError(f"kind must be 'hosted' or 'local', not {kind!r}")
        name = provider.name
        self._providers[name] = provider
        self._models[name] = list(models) if models is not None else None
        self._kinds[name] = "local" if kind == "local" else "hosted"
        self._settings[name] = settings or ProviderSettings(
            name=name,
            type="local" if kind == "local" else "custom",
            base_url=getattr(provider, "base_url", None),
            models=self._models[name],
        )

    @classmethod
    def from_environment(cls, config_path: str | Path | None = None) -> ProviderRegistry:
        """local always; a provider per type whose key variable (or base URL variable) is set, named like
        the type (openai, anthropic); more from providers.yaml."""
        registry = cls()
        explicit = config_path is not None or bool(os.environ.get(CONFIG_ENV))
        path = Path(config_path).expanduser() if config_path is not None else default_config_path()
        config = ProvidersFile()
        if path.is_file():
            config = load_providers_file(path)
            registry.config_path = path
        elif explicit:
            raise DecomposeError(
                f"the providers file {path} does not exist. Create it (see README, 'Providers') or unset "
                f"{CONFIG_ENV}."
            )

        local = LocalProvider(extra_models=config.local.models)
        registry.add(
            local,
            models=local.model_names(),
            kind="local",
            settings=ProviderSettings(
                name=LOCAL_PROVIDER_NAME,
                type="local",
                models=local.model_names(),
                custom_base_url=False,
                source="built-in",
                # A local server answers N_PARALLEL requests at once; more would only queue inside it,
                # with their time counted against their nodes' timeouts.
                max_concurrency=N_PARALLEL,
            ),
        )
        for kind in provider_types().values():
            override = os.environ.get(kind.base_url_env) if kind.base_url_env else None
            if not override and not (kind.api_key_env and os.environ.get(kind.api_key_env)):
                continue
            base = override or kind.default_base_url
            registry.add(
                kind.client(kind.name, base, kind.api_key_env),
                settings=ProviderSettings(
                    name=kind.name,
                    type=kind.name,
                    base_url=base,
                    api_key_env=kind.api_key_env,
                    custom_base_url=bool(override),
                    source="environment",
                ),
            )
        for name, entry in config.providers.items():
            registry.add_configured(name, entry, source=str(path))
        return registry

    def add_configured(self, name: str, entry: ProviderEntry, source: str = "code") -> None:
        """Add a provider described like a providers.yaml entry."""
        kind = provider_type(entry.type)
        base = entry.base_url or kind.default_base_url
        key_env = kind.key_env_for(name, entry.api_key_env)
        provider = kind.client(name, base, key_env)
        settings = ProviderSettings(
            name=name,
            type=entry.type,
            base_url=base,
            api_key_env=key_env,
            models=entry.models,
            usd_per_hour=entry.usd_per_hour,
            prices={m: p.model_dump(exclude_none=True) for m, p in entry.prices.items()},
            custom_base_url=entry.base_url is not None,
            source=source,
            max_concurrency=entry.max_concurrency,
        )
        self.add(provider, models=entry.models, settings=settings)

    # ---- lookups
    @property
    def names(self) -> list[str]:
        return list(self._providers)

    def get(self, name: str) -> ChatProvider:
        try:
            return self._providers[name]
        except KeyError:
            raise DecomposeError(self._unknown_provider_message(name, f"{name}/...")) from None

    def _unknown_provider_message(self, name: str, ref: str) -> str:
        configured = ", ".join(self._providers) or "none"
        hint = ""
        kind = provider_types().get(name)
        if kind is not None and kind.api_key_env:
            also = f" (or {kind.base_url_env} for a compatible server)" if kind.base_url_env else ""
            hint = f" Set {kind.api_key_env}{also} to enable it."
        keys = " or ".join(k.api_key_env for k in provider_types().values() if k.api_key_env)
        return (
            f"unknown provider '{name}' in '{ref}'. Configured providers: {configured}.{hint} To add one, "
            f"set {keys}, or add it under `providers:` in "
            f"{default_config_path()} (type: {DEFAULT_TYPE}, base_url, api_key_env, models)."
        )

    @staticmethod
    def split(ref: str) -> tuple[str, str]:
        """("provider", "model") of a ref; raises DecomposeError for anything not shaped "provider/model"."""
        provider, sep, model = ref.partition("/")
        if not sep or not provider or not model:
            raise DecomposeError(
                f"model reference '{ref}' must be 'provider/model', e.g. local/qwen2.5-coder-0.5b or "
                "openai/gpt-4.1-mini."
            )
        return provider, model

    def check_model(self, ref: str) -> str | None:
        """What is wrong with a model ref (malformed, unknown provider or model, weights missing), or None."""
        try:
            provider_name, model = self.split(ref)
        except DecomposeError as exc:
            return str(exc)
        if provider_name in _BUILTIN_PROVIDERS:
            return None
        provider = self._providers.get(provider_name)
        if provider is None:
            return self._unknown_provider_message(provider_name, ref)
        if isinstance(provider, LocalProvider):
            problem = provider.model_problem(model)
            return f"{ref}: {problem}" if problem else None
        declared = self._models.get(provider_name)
        if declared is not None:
            if model in declared:
                return None
            return (
                f"unknown model '{model}' for provider '{provider_name}'. Its models: "
                f"{', '.join(declared) or 'none'}. Add it to `models:` of '{provider_name}' in "
                "the providers file."
            )
        if priced_by_catalogue(self._settings.get(provider_name)):
            if known_to_genai_prices(provider_name, model):
                return None
            return (
                f"unknown model '{model}' for provider '{provider_name}': genai-prices does not know it. "
                f"Check the spelling, or declare it under `models:` of '{provider_name}' in the providers "
                "file."
            )
        return None

    def resolve(self, ref: str) -> tuple[ChatProvider, str]:
        """The provider and its own model name for "provider/model"; raises DecomposeError if unusable."""
        provider_name, model = self.split(ref)
        if provider_name not in self._providers:
            raise DecomposeError(self._unknown_provider_message(provider_name, ref))
        provider = self._providers[provider_name]
        if not isinstance(provider, LocalProvider):
            problem = self.check_model(ref)
            if problem:
                raise DecomposeError(problem)
        elif not provider.serves(model):
            raise DecomposeError(provider.model_problem(model) or f"unknown local model '{model}'")
        return provider, model

    def identity(self, ref: str) -> str:
        """What actually answers a ref, for cache keys: the weights' sha256 or GGUF file (path, size, mtime)
        for local models, the base URL for HTTP providers. Changing the server or the weights misses the cache."""
        provider_name, model = self.split(ref)
        provider = self._providers.get(provider_name)
        if isinstance(provider, LocalProvider):
            return provider.identity(model)
        return f"{ref}@{getattr(provider, 'base_url', '')}"

    @contextlib.asynccontextmanager
    async def call_slot(self, ref: str) -> AsyncIterator[None]:
        """Hold one of the provider's call slots (its `max_concurrency`) for the duration of a call; free
        when the provider has no limit. Shared by every run on this registry, so many runs together never
        send a provider more calls at once than it allows."""
        name = ref.partition("/")[0]
        settings = self._settings.get(name)
        limit = settings.max_concurrency if settings is not None else None
        if limit is None:
            yield
            return
        slot = self._slots.get(name)
        if slot is None:
            slot = self._slots[name] = asyncio.Semaphore(limit)
        async with slot:
            yield

    def slot_wait(self, ref: str) -> str | None:
        """What a call to `ref` would wait for before it may start: its provider's call slots all in use (a
        sentence), or None when one is free or the provider has no limit."""
        name = ref.partition("/")[0]
        slot = self._slots.get(name)
        settings = self._settings.get(name)
        if slot is None or settings is None or not slot.locked():
            return None
        return (
            f"waiting for a free call slot of {name} (max_concurrency {settings.max_concurrency}, all in use)"
        )

    def is_local(self, ref: str) -> bool:
        provider, _, _ = ref.partition("/")
        return self._kinds.get(provider) == "local"

    def chosen_models(self) -> list[str]:
        """The model refs configured here by name: the local models and those a provider lists, not a
        wildcard nor the genai-prices catalogue's whole list for a provider (what a search tries by default)."""
        return [m.ref for m in self.models() if not m.ref.endswith("/*") and not m.from_catalogue]

    def models(self) -> list[ModelInfo]:
        """Every model a ref can name here, with a status line (weights, configuration)."""
        out: list[ModelInfo] = []
        for name, provider in self._providers.items():
            local = self._kinds[name] == "local"
            if isinstance(provider, LocalProvider):
                for m in provider.model_names():
                    out.append(ModelInfo(f"{name}/{m}", name, m, True, provider.model_status(m)))
                continue
            declared = self._models.get(name)
            settings = self._settings[name]
            if declared is not None:
                out.extend(ModelInfo(f"{name}/{m}", name, m, local, "configured") for m in declared)
            elif priced_by_catalogue(settings):
                from workflow_core.pricing.book import catalogue

                out.extend(
                    ModelInfo(
                        ref, name, ref.partition("/")[2], local, "configured (priced by genai-prices)", True
                    )
                    for ref in catalogue(name)
                )
            else:
                out.append(
                    ModelInfo(f"{name}/*", name, "*", local, "configured; any model the server serves")
                )
        return out

    def provider_configs(self) -> list[dict[str, Any]]:
        """Provider settings for a settings page: names, types, URLs, the key's variable name; no secrets."""
        out = []
        for name in self._providers:
            s = self._settings[name]
            out.append(
                {
                    "name": s.name,
                    "type": s.type,
                    "base_url": s.base_url,
                    "api_key_env": s.api_key_env,
                    "api_key_set": bool(s.api_key_env and os.environ.get(s.api_key_env)),
                    "models": list(s.models) if s.models is not None else None,
                    "usd_per_hour": s.usd_per_hour,
                    "max_concurrency": s.max_concurrency,
                    "prices": dict(s.prices),
                    "source": s.source,
                }
            )
        return out

    def price_overrides(self) -> dict[str, ModelPrice]:
        """Per-model prices declared in the providers file, by ref: pass to `PriceBook(overrides=...)`."""
        return {
            f"{name}/{m}": ModelPrice(
                input_per_mtok=float(p["input_per_mtok"]),
                output_per_mtok=float(p["output_per_mtok"]),
                per_image=p.get("per_image"),
                source=f"{s.source} (providers file)",
            )
            for name, s in self._settings.items()
            for m, p in s.prices.items()
        }

    async def check_connectivity(self, provider_name: str) -> tuple[bool, str]:
        """Whether a provider answers (GET /models), or for local whether the weights are in place."""
        provider = self._providers.get(provider_name)
        if provider is None:
            return False, self._unknown_provider_message(provider_name, f"{provider_name}/...")
        if isinstance(provider, LocalProvider):
            return await provider.check()
        list_models = getattr(provider, "list_models", None)
        if list_models is None:
            return True, "no connectivity check for this provider type"
        try:
            served = await list_models()
        except ProviderError as exc:
            return False, str(exc)
        declared = self._models.get(provider_name) or []
        missing = [m for m in declared if served and m not in served]
        message = f"{len(served)} model(s) listed at {getattr(provider, 'base_url', provider_name)}"
        if missing:
            message += f"; not listed there: {', '.join(missing)}"
        return True, message

    async def aclose(self) -> None:
        """Close every provider's HTTP clients (local model servers stay up for the process)."""
        for provider in self._providers.values():
            await provider.aclose()

    async def __aenter__(self) -> ProviderRegistry:
        return self

    async def __aexit__(self, *exc: object) -> None:
        """`async with` owns the providers' HTTP clients, as an httpx client owns its transports."""
        await self.aclose()
