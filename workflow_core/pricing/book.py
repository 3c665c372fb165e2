"""What a model call costs: hosted models from genai-prices' bundled data, local models by compute time.

Refs are "provider/model" (e.g. "openai/gpt-4.1-mini", "local/local-small"). genai-prices is only read
from the data bundled with the installed package; its background
updater is never started, so pricing works offline.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from genai_prices import Usage, calc_price
from genai_prices.data_snapshot import get_snapshot

from workflow_core.errors import DecomposeError

# Roughly the on-demand price of a 2-vCPU cloud VM, the machine class the embedded models were measured on.
# Local models have no per-token price: they are priced by the compute seconds they used times this rate.
LOCAL_USD_PER_HOUR_DEFAULT = 0.10
LOCAL_USD_PER_HOUR_ENV = "DECOMPOSE_LOCAL_USD_PER_HOUR"

LOCAL_PROVIDER = "local"
FREE_IMAGE_PROVIDERS = frozenset({"vector"})


@dataclass(frozen=True)
class LocalSpeed:
    """Measured throughput of a local model on the 2-core reference machine, in tokens per second."""

    prompt_tps: float
    gen_tps: float


# Fitted to node records of the built-in templates on the 2-core machine (xllamacpp, 2 threads, prompts of
# 600-1,400 tokens): the 0.5B's personalizer (1,389 in, 391 out) took 17.7 s, its developer (640 in, 551 out)
# 20.0 s; the 1.5B's single page (about 1,220 in, 850 out) about 47 s. DESIGN.md's 21 and 12.6 tok/s were
# short-prompt generation speeds and made estimates about twice too slow.
LOCAL_SPEEDS: dict[str, LocalSpeed] = {
    "qwen2.5-coder-0.5b": LocalSpeed(prompt_tps=300.0, gen_tps=30.0),
    "qwen2.5-coder-1.5b": LocalSpeed(prompt_tps=120.0, gen_tps=20.0),
}
_LOCAL_ALIASES = {"local-small": "qwen2.5-coder-0.5b", "local-large": "qwen2.5-coder-1.5b"}
# An unknown local model (any GGUF file) is assumed as slow as the larger measured one.
_LOCAL_FALLBACK = "qwen2.5-coder-1.5b"
# A rough hosted-API speed, only used for latency estimates before a run.
HOSTED_SPEED = LocalSpeed(prompt_tps=2000.0, gen_tps=60.0)
# Seconds every call costs beyond its tokens: for a hosted API the round trip and queueing before the first
# token (typical published time-to-first-token); for the local server, request handling and sampling set-up.
HOSTED_CALL_S = 0.5
LOCAL_CALL_S = 0.3

# Per-image prices (USD) for models genai-prices prices by tokens only: OpenAI's published standard/medium
# quality prices, keyed by model then size.
IMAGE_PRICES: dict[str, dict[str, float]] = {
    "openai/gpt-image-1": {"1024x1024": 0.042, "1024x1536": 0.063, "1536x1024": 0.063},
    "openai/gpt-image-1-mini": {"1024x1024": 0.011, "1024x1536": 0.015, "1536x1024": 0.015},
    "openai/dall-e-3": {"1024x1024": 0.04, "1024x1792": 0.08, "1792x1024": 0.08},
    "openai/dall-e-2": {"256x256": 0.016, "512x512": 0.018, "1024x1024": 0.02},
}

# Providers listed by `catalogue()` when none is named: the hosted backends the app can call directly.
CATALOGUE_PROVIDERS: tuple[str, ...] = ("openai", "anthropic", "google", "mistral", "deepseek")
# Model ids containing one of these are not chat models (or not plain ones) and stay out of the catalogue.
_NON_CHAT_MARKERS = (
    "embedding",
    "tts",
    "whisper",
    "transcribe",
    "image",
    "moderation",
    "realtime",
    "audio",
    "search",
    "dall-e",
    "davinci",
    "babbage",
    "curie",
    "computer-use",
    "deep-research",
    "live",
    "ft:",
    ":",
)
_NON_CHAT_IDS = frozenset({"ada"})


@dataclass(frozen=True)
class ModelPrice:
    """Prices in USD: per million input/output tokens, and per image for image models."""

    input_per_mtok: float
    output_per_mtok: float
    per_image: float | None = None
    source: str = "override"


def split_ref(ref: str) -> tuple[str, str]:
    """("provider", "model") of a "provider/model" ref; a bare name has provider ""."""
    provider, sep, model = ref.partition("/")
    return (provider, model) if sep else ("", ref)


def estimate_tokens(text: str) -> int:
    """A rough token count (about four characters a token); at least 1 for non-empty text."""
    return tokens_for_chars(len(text))


def tokens_for_chars(chars: int) -> int:
    """`estimate_tokens` of a text `chars` characters long."""
    return max(1, round(chars / 4)) if chars else 0


def local_speed(model: str) -> LocalSpeed:
    """The measured speed of a local model, matched by name ("local-small", "qwen2.5-coder-0.5b-...gguf")."""
    name = _LOCAL_ALIASES.get(model.lower(), model.lower())
    for key, speed in LOCAL_SPEEDS.items():
        if key in name:
            return speed
    if "0.5b" in name or "small" in name:
        return LOCAL_SPEEDS["qwen2.5-coder-0.5b"]
    return LOCAL_SPEEDS[_LOCAL_FALLBACK]


def _mtok(value: Any) -> float:
    """A genai-prices price (Decimal, or tiered prices whose base applies below the first tier) as float."""
    if value is None:
        return 0.0
    if isinstance(value, Decimal | int | float):
        return float(value)
    return float(getattr(value, "base", 0))


@lru_cache(maxsize=512)
def _genai_lookup(provider: str, model: str) -> tuple[str, str, ModelPrice] | None:
    """(provider id, model id, unit prices) from genai-prices' bundled data, or None when it has no price."""
    try:
        found_provider, info = get_snapshot().find_provider_model(model, None, provider or None, None)
    except LookupError:
        return None
    prices = info.get_prices(datetime.now(tz=UTC))
    values = prices.__dict__
    if values.get("input_mtok") is None and values.get("output_mtok") is None:
        return None
    unit = ModelPrice(
        input_per_mtok=_mtok(values.get("input_mtok")),
        output_per_mtok=_mtok(values.get("output_mtok")),
        source=f"genai-prices {found_provider.id}/{info.id}",
    )
    return found_provider.id, info.id, unit


class PriceBook:
    """Prices for every model ref a workflow can name. Overrides (by exact ref) win over everything."""

    def __init__(
        self, local_usd_per_hour: float | None = None, overrides: dict[str, ModelPrice] | None = None
    ) -> None:
        if local_usd_per_hour is None:
            local_usd_per_hour = _env_usd_per_hour()
        self.local_usd_per_hour = float(local_usd_per_hour)
        self.overrides: dict[str, ModelPrice] = dict(overrides or {})

    def is_local(self, ref: str) -> bool:
        return split_ref(ref)[0] == LOCAL_PROVIDER

    def unit_prices(self, ref: str) -> ModelPrice | None:
        """Per-million-token prices of a model. A local model gets the effective price of its compute time at
        its measured speed; None when the model has no known price."""
        if ref in self.overrides:
            return self.overrides[ref]
        provider, model = split_ref(ref)
        if provider == LOCAL_PROVIDER:
            speed = local_speed(model)
            usd_per_s = self.local_usd_per_hour / 3600.0
            return ModelPrice(
                input_per_mtok=usd_per_s / speed.prompt_tps * 1e6,
                output_per_mtok=usd_per_s / speed.gen_tps * 1e6,
                source=f"local compute at ${self.local_usd_per_hour:g}/hour",
            )
        if provider in FREE_IMAGE_PROVIDERS:
            return ModelPrice(0.0, 0.0, per_image=0.0, source="built-in vector artist (free)")
        found = _genai_lookup(provider, model)
        return found[2] if found else None

    def has_price(self, ref: str) -> bool:
        return self.unit_prices(ref) is not None

    def chat_cost(self, ref: str, input_tokens: int, output_tokens: int, compute_s: float = 0.0) -> float:
        """USD for one chat call: overrides by tokens; local models by compute seconds; hosted models through
        genai-prices; 0.0 for a model with no known price (see `has_price`)."""
        if ref in self.overrides:
            price = self.overrides[ref]
            return (input_tokens * price.input_per_mtok + output_tokens * price.output_per_mtok) / 1e6
        provider, model = split_ref(ref)
        if provider == LOCAL_PROVIDER:
            return max(compute_s, 0.0) / 3600.0 * self.local_usd_per_hour
        found = _genai_lookup(provider, model)
        if found is None:
            return 0.0
        usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
        return float(calc_price(usage, found[1], provider_id=found[0]).total_price)

    def estimate_latency_s(self, ref: str, input_tokens: int, output_tokens: int) -> float:
        """Seconds a call should take: a per-call term plus its tokens at the measured speed of a local model,
        or a typical hosted speed."""
        provider, model = split_ref(ref)
        local = provider == LOCAL_PROVIDER
        speed = local_speed(model) if local else HOSTED_SPEED
        per_call = LOCAL_CALL_S if local else HOSTED_CALL_S
        return per_call + input_tokens / speed.prompt_tps + output_tokens / speed.gen_tps

    def estimate_chat_cost(self, ref: str, input_tokens: int, output_tokens: int) -> float:
        """USD a call should cost before it runs; local models by their estimated compute time."""
        if self.is_local(ref) and ref not in self.overrides:
            seconds = self.estimate_latency_s(ref, input_tokens, output_tokens)
            return self.chat_cost(ref, 0, 0, compute_s=seconds)
        return self.chat_cost(ref, input_tokens, output_tokens)

    def image_cost(self, ref: str, n: int, size: str = "1024x1024") -> float:
        """USD for `n` generated images: overrides' per_image, free for the vector artist and local backends,
        OpenAI's published per-image prices, else 0.0."""
        if n <= 0:
            return 0.0
        override = self.overrides.get(ref)
        if override is not None and override.per_image is not None:
            return n * override.per_image
        provider, _ = split_ref(ref)
        if ref in FREE_IMAGE_PROVIDERS or provider in FREE_IMAGE_PROVIDERS or provider == LOCAL_PROVIDER:
            return 0.0
        table = IMAGE_PRICES.get(ref)
        if not table:
            return 0.0
        return n * table.get(size, table["1024x1024"])


def _env_usd_per_hour() -> float:
    raw = os.environ.get(LOCAL_USD_PER_HOUR_ENV)
    if raw is None or not raw.strip():
        return LOCAL_USD_PER_HOUR_DEFAULT
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise DecomposeError(
            f"{LOCAL_USD_PER_HOUR_ENV}={raw!r} is not a price: set it to a non-negative number of US dollars "
            f"per hour of local compute (e.g. 0.10), or unset it to use {LOCAL_USD_PER_HOUR_DEFAULT}."
        )
    return value


def _is_chat_model(model_id: str) -> bool:
    return model_id not in _NON_CHAT_IDS and not any(m in model_id for m in _NON_CHAT_MARKERS)


def catalogue(provider: str | None = None) -> list[str]:
    """Refs ("provider/model") of the chat models genai-prices has token prices for, for what-if pickers.
    Without a provider: those of `CATALOGUE_PROVIDERS`."""
    wanted = (provider,) if provider else CATALOGUE_PROVIDERS
    out: list[str] = []
    now = datetime.now(tz=UTC)
    for p in get_snapshot().providers:
        if p.id not in wanted:
            continue
        for info in p.models:
            if info.deprecated or not _is_chat_model(info.id):
                continue
            values = info.get_prices(now).__dict__
            if values.get("input_mtok") is None or values.get("output_mtok") is None:
                continue
            out.append(f"{p.id}/{info.id}")
    return sorted(out)
