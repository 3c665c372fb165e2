"""Which model names genai-prices vouches for: a provider named like a type that is priced by the catalogue
(`providers.types`), at that type's own address, has its model names checked (and, without `models:`, listed)
against genai-prices' snapshot."""

from __future__ import annotations

from typing import Protocol

from workflow_core.pricing.book import IMAGE_PRICES
from workflow_core.providers.types import provider_types


class _Settings(Protocol):
    name: str
    type: str
    custom_base_url: bool


def known_to_genai_prices(provider: str, model: str) -> bool:
    """Whether genai-prices (or our per-picture image prices) knows `provider/model`."""
    from genai_prices.data_snapshot import get_snapshot

    try:
        get_snapshot().find_provider_model(model, None, provider, None)
    except LookupError:
        return f"{provider}/{model}" in IMAGE_PRICES  # image models priced per picture (dall-e)
    return True


def priced_by_catalogue(settings: _Settings | None) -> bool:
    """Whether genai-prices vouches for a provider's model names: the provider named like a type that is
    priced by the catalogue, at that type's own address."""
    if settings is None or settings.custom_base_url or settings.name != settings.type:
        return False
    kind = provider_types().get(settings.type)
    return kind is not None and kind.priced_by_catalogue
