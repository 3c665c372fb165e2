import pytest

from workflow_core.errors import DecomposeError
from workflow_core.pricing.book import (
    LOCAL_CALL_S,
    LOCAL_SPEEDS,
    LOCAL_USD_PER_HOUR_DEFAULT,
    ModelPrice,
    PriceBook,
    catalogue,
    estimate_tokens,
)


def test_hosted_price_is_tokens_times_catalogue_price() -> None:
    book = PriceBook()
    unit = book.unit_prices("openai/gpt-4.1-mini")
    assert unit is not None
    # OpenAI's list price for gpt-4.1-mini: $0.40 in, $1.60 out per million tokens.
    assert (unit.input_per_mtok, unit.output_per_mtok) == (0.4, 1.6)
    cost = book.chat_cost("openai/gpt-4.1-mini", 10_000, 2_000)
    assert cost == pytest.approx(10_000 * 0.4 / 1e6 + 2_000 * 1.6 / 1e6)
    assert cost == pytest.approx(0.0072)
    assert book.has_price("anthropic/claude-haiku-4-5")
    assert book.chat_cost("anthropic/claude-haiku-4-5", 1_000_000, 0) > 0


def test_local_models_are_priced_by_compute_seconds() -> None:
    book = PriceBook(local_usd_per_hour=0.36)
    assert book.chat_cost("local/local-small", 5_000, 5_000, compute_s=100) == pytest.approx(0.01)
    assert book.chat_cost("local/local-small", 5_000, 5_000) == 0.0
    assert book.has_price("local/anything.gguf")


def test_local_estimate_uses_measured_speeds() -> None:
    book = PriceBook(local_usd_per_hour=3.6)
    speed = LOCAL_SPEEDS["qwen2.5-coder-0.5b"]
    seconds = LOCAL_CALL_S + 300 / speed.prompt_tps + 210 / speed.gen_tps
    assert book.estimate_latency_s("local/local-small", 300, 210) == pytest.approx(seconds)
    assert book.estimate_chat_cost("local/local-small", 300, 210) == pytest.approx(seconds / 1000)
    # The larger model is slower, so the same work costs more.
    assert book.estimate_chat_cost("local/local-large", 300, 210) > book.estimate_chat_cost(
        "local/local-small", 300, 210
    )


def test_env_var_sets_local_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DECOMPOSE_LOCAL_USD_PER_HOUR", raising=False)
    assert PriceBook().local_usd_per_hour == LOCAL_USD_PER_HOUR_DEFAULT
    monkeypatch.setenv("DECOMPOSE_LOCAL_USD_PER_HOUR", "0.5")
    assert PriceBook().chat_cost("local/x", 0, 0, compute_s=3600) == pytest.approx(0.5)
    monkeypatch.setenv("DECOMPOSE_LOCAL_USD_PER_HOUR", "cheap")
    with pytest.raises(DecomposeError, match="DECOMPOSE_LOCAL_USD_PER_HOUR"):
        PriceBook()


def test_overrides_win() -> None:
    book = PriceBook(
        overrides={
            "openai/gpt-4.1-mini": ModelPrice(1.0, 2.0, source="contract"),
            "myhost/llama": ModelPrice(0.5, 0.5, per_image=0.25),
        }
    )
    assert book.chat_cost("openai/gpt-4.1-mini", 1_000_000, 1_000_000) == pytest.approx(3.0)
    assert book.chat_cost("myhost/llama", 2_000_000, 0) == pytest.approx(1.0)
    assert book.image_cost("myhost/llama", 4) == pytest.approx(1.0)
    assert book.unit_prices("openai/gpt-4.1-mini").source == "contract"


def test_unknown_model_costs_nothing_and_says_so() -> None:
    book = PriceBook()
    assert book.chat_cost("nosuchprovider/model", 1000, 1000) == 0.0
    assert book.chat_cost("openai/no-such-model-zz", 1000, 1000) == 0.0
    assert not book.has_price("openai/no-such-model-zz")
    assert book.unit_prices("nosuchprovider/model") is None


def test_image_prices() -> None:
    book = PriceBook()
    assert book.image_cost("vector", 5) == 0.0
    assert book.image_cost("vector/artist", 5) == 0.0
    assert book.image_cost("openai/dall-e-3", 2) == pytest.approx(0.08)
    assert book.image_cost("openai/dall-e-3", 1, size="1024x1792") == pytest.approx(0.08)
    assert book.image_cost("openai/gpt-image-1", 1) > 0
    assert book.image_cost("unknown/img", 3) == 0.0


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    assert estimate_tokens("x" * 400) == 100


def test_catalogue_lists_chat_models_only() -> None:
    refs = catalogue()
    wanted = ["openai/gpt-4.1", "openai/gpt-4.1-mini"]
    wanted += ["anthropic/claude-sonnet-4-5", "anthropic/claude-haiku-4-5"]
    assert set(wanted) <= set(refs)
    assert not any("embedding" in r or "whisper" in r or "tts" in r for r in refs)
    assert all(r.startswith("anthropic/") for r in catalogue("anthropic"))
    book = PriceBook()
    assert all(book.has_price(r) for r in refs[:30])
