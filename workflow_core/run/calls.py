"""One path for every model call: a node's chat, image and embedding calls and both judges' (the page judge
and the pairwise one) go through `call_with_retries` and, for chat, `priced_chat`:

- it holds one of the provider's call slots (its `max_concurrency`), shared by every run and judge on the
  registry, so together they never send a provider more calls at once than it allows;
- each attempt has a timeout (waiting for a slot does not count against it);
- retryable failures (429, 5xx, a dropped or cut-off answer, a timeout) are tried again with exponential
  backoff that honours Retry-After, failing at once when the wait asked for exceeds the timeout;
- a chat call's usage, compute time and cost (from the price book) are added to the record it is made for,
  with a warning when the model has no price or its answer was cut off at max_tokens.

Caching is the caller's: the engine caches a node by its inputs, a judge by its identity and messages.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from workflow_core.errors import ProviderError
from workflow_core.pricing.book import PriceBook, estimate_tokens
from workflow_core.providers import status
from workflow_core.providers.base import ChatRequest, ChatResult, content_text
from workflow_core.providers.registry import ProviderRegistry
from workflow_core.records import NodeRecord

T = TypeVar("T")


@dataclass
class RetryPolicy:
    base_delay_s: float = 0.5
    max_delay_s: float = 30.0

    def delay(self, attempt: int, retry_after_s: float | None) -> float:
        if retry_after_s is not None:
            # The server said when: retrying earlier only earns another 429.
            return max(retry_after_s, 0.0)
        # Exponential backoff with a little jitter so parallel nodes don't retry in lock step.
        return min(self.base_delay_s * (2**attempt), self.max_delay_s) * (1 + random.random() * 0.1)


@dataclass(frozen=True)
class CallLimits:
    """How long one attempt may take, and how many attempts a call gets."""

    timeout_s: float = 300.0
    attempts: int = 3
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    # Said in the timeout's message: what the caller can change ("the node's timeout: raise params.timeout_s").
    timeout_hint: str = "the call's timeout"
    fix: str = "raise the timeout or lower max_tokens"


async def call_with_retries(
    registry: ProviderRegistry,
    ref: str,
    call: Callable[[], Awaitable[T]],
    record: NodeRecord,
    limits: CallLimits,
    calling: str | None = None,
) -> T:
    """Await `call()` (a call to model `ref`) in one of its provider's slots, under `limits`; count each
    attempt on `record`. What the call waits on is reported (`providers.status`): a free slot, then `calling`
    (by default "calling REF"), then a retry's wait. Raises the last ProviderError when no attempt succeeds."""
    timeout = limits.timeout_s
    last: ProviderError | None = None
    for attempt in range(limits.attempts):
        record.attempts += 1
        try:
            # Waiting for a slot (the provider's max_concurrency) is not counted against the timeout.
            waits = registry.slot_wait(ref)
            if waits:
                status.report(waits)
            async with registry.call_slot(ref):
                status.report(calling or f"calling {ref}")
                # asyncio.timeout, not wait_for: on 3.11 wait_for runs the call in a task of its own, one more
                # task and loop hop for every model call (measured in the engine-overhead benchmark).
                async with asyncio.timeout(timeout):
                    return await call()
        except TimeoutError:
            last = ProviderError(
                f"{ref} did not answer within {limits.timeout_hint} of {timeout:g} s (per attempt); {limits.fix}.",
                retryable=True,
            )
        except ProviderError as exc:
            last = exc
        if not last.retryable or attempt == limits.attempts - 1:
            break
        wait = limits.retry.delay(attempt, last.retry_after_s)
        if wait > timeout:
            raise ProviderError(
                f"{ref} is rate limited and asks to retry after {wait:g} s, longer than {limits.timeout_hint} "
                f"of {timeout:g} s: run again later or {limits.fix}. ({last})"
            )
        status.report(f"waiting {wait:.1f} s to try {ref} again ({last})")
        await asyncio.sleep(wait)
    assert last is not None
    raise last


async def priced_chat(
    registry: ProviderRegistry,
    prices: PriceBook,
    ref: str,
    request: ChatRequest,
    record: NodeRecord,
    limits: CallLimits,
    on_token: Callable[[str], None] | None = None,
    on_status: status.StatusListener | None = None,
) -> ChatResult:
    """Call chat model `ref` through `call_with_retries` and add its usage, compute time and cost to
    `record` (`request.model` is set to the provider's name for the model). `on_status` hears what the call
    waits on: a slot, the model loading, the prompt (with its estimated tokens) being processed."""
    provider, model_name = registry.resolve(ref)
    request.model = model_name
    prompt_tokens = estimate_tokens("".join(content_text(m) for m in request.messages))
    processing = f"processing the prompt (≈{prompt_tokens:,} tokens) on {ref}"
    with status.reporting(on_status):
        result = await call_with_retries(
            registry, ref, lambda: provider.chat(request, on_token=on_token), record, limits, processing
        )
    # Local servers report the share of the machine this request used (parallel requests share it).
    compute_s = result.compute_s if result.compute_s is not None else result.latency_s
    record.calls += 1
    record.input_tokens += result.input_tokens
    record.output_tokens += result.output_tokens
    record.compute_s += compute_s
    if record.ttft_s is None:
        record.ttft_s = result.ttft_s
    record.cost_usd += prices.chat_cost(ref, result.input_tokens, result.output_tokens, compute_s=compute_s)
    unpriced = (
        f"no price is known for {ref}: its cost counts as $0. Add a price override in Settings "
        "or `prices:` in providers.yaml."
    )
    if not prices.has_price(ref) and unpriced not in record.warnings:
        record.warnings.append(unpriced)
    if result.raw.get("finish_reason") in ("length", "max_tokens"):
        record.warnings.append(
            f"the answer was cut off at max_tokens ({request.max_tokens}); raise params.max_tokens."
        )
    return result
