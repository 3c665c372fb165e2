"""The provider interface every backend implements."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

TokenCallback = Callable[[str], None]
# A message's content is text, or a list of parts in OpenAI's form: {"type": "text", "text": ...} and
# {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,..."}} (each provider translates them).
Message = dict[str, Any]


def content_text(message: Message) -> str:
    """The text of a message, its image parts left out (for token estimates and logs)."""
    content = message.get("content", "")
    if isinstance(content, list):
        return "\n".join(
            str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return str(content)


def image_part(data: bytes, mime: str = "image/jpeg") -> dict[str, Any]:
    """An image as a message part (OpenAI's `image_url` with a data: URI)."""
    return {
        "type": "image_url",
        "image_url": {"url": f"data:{mime};base64,{base64.b64encode(data).decode()}"},
    }


@dataclass
class ChatRequest:
    model: str  # the provider's own model name (the part after "provider/")
    messages: list[Message]
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    seed: int | None = None
    json_schema: dict[str, Any] | None = None  # ask for structured output conforming to this schema
    stream: bool = True
    timeout_s: float = 300.0


@dataclass
class ChatResult:
    text: str
    input_tokens: int  # as the provider reports them (estimated only when it reports none)
    output_tokens: int
    ttft_s: float | None  # time to first token, when streamed
    latency_s: float
    usage_reported: bool = True
    # Seconds of the machine this request used, when the server shares it between parallel requests
    # (local models); None means the latency is the compute time.
    compute_s: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImageResult:
    data: bytes
    mime: str = "image/png"


@runtime_checkable
class ChatProvider(Protocol):
    """A backend that serves chat models. Implementations raise `ProviderError` on failure, with
    `retryable=True` (and `retry_after_s` when the server says) for 429, 5xx and timeouts."""

    name: str

    async def chat(self, request: ChatRequest, on_token: TokenCallback | None = None) -> ChatResult: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class ImageProvider(Protocol):
    name: str

    async def generate_image(self, model: str, prompt: str, size: str = "1024x1024") -> ImageResult: ...


@runtime_checkable
class EmbeddingProvider(Protocol):
    name: str

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]: ...
