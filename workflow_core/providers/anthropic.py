"""Anthropic Messages API over httpx: streaming, usage, and JSON output by instruction."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import httpx

from workflow_core.errors import ProviderError
from workflow_core.providers.base import ChatRequest, ChatResult, TokenCallback, content_text
from workflow_core.providers.http import error_message_from_body, estimate_tokens, sse_data, stream_event
from workflow_core.providers.openai_compat import OpenAICompatProvider

ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096


def json_instruction(schema: dict[str, Any]) -> str:
    """The system-prompt addition that asks for JSON only, matching `schema`."""
    return (
        "Answer with one JSON object only: no prose, no markdown code fences. "
        f"It must conform to this JSON schema:\n{json.dumps(schema, ensure_ascii=False)}"
    )


def extract_json_object(text: str) -> str:
    """The outermost {...} of a reply when the reply as a whole is not JSON (models add fences or prose)."""
    stripped = text.strip()
    try:
        json.loads(stripped)
        return stripped
    except json.JSONDecodeError:
        pass
    start, end = stripped.find("{"), stripped.rfind("}")
    if start != -1 and end > start:
        candidate = stripped[start : end + 1]
        try:
            json.loads(candidate)
            return candidate
        except json.JSONDecodeError:
            pass
    return text


def anthropic_content(content: Any) -> Any:
    """A message's content for /v1/messages: text as it is; OpenAI-style parts as Anthropic's blocks (an
    `image_url` data: URI becomes an `image` block with a base64 source)."""
    if not isinstance(content, list):
        return content
    blocks: list[dict[str, Any]] = []
    for part in content:
        if part.get("type") == "image_url":
            url = str(part.get("image_url", {}).get("url", ""))
            head, _, data = url.partition(",")
            mime = head.removeprefix("data:").removesuffix(";base64")
            blocks.append({"type": "image", "source": {"type": "base64", "media_type": mime, "data": data}})
        else:
            blocks.append({"type": "text", "text": str(part.get("text", ""))})
    return blocks


class AnthropicProvider(OpenAICompatProvider):
    """Claude models through the Messages API. Shares the HTTP plumbing and error mapping of the
    OpenAI-compatible provider; only the wire format differs."""

    def __init__(
        self,
        name: str,
        api_key: str | None,
        base_url: str = "https://api.anthropic.com",
        client: httpx.AsyncClient | None = None,
        *,
        api_key_env: str | None = None,
    ) -> None:
        root = base_url.rstrip("/")
        super().__init__(
            name, root if root.endswith("/v1") else f"{root}/v1", api_key, client, api_key_env=api_key_env
        )

    def __repr__(self) -> str:
        return f"AnthropicProvider(name={self.name!r}, base_url={self.base_url!r})"

    def _key(self) -> str | None:
        if self._api_key:
            return self._api_key
        return os.environ.get(self.api_key_env or "ANTHROPIC_API_KEY") or None

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        key = self._key()
        if key:
            headers["x-api-key"] = key
        return headers

    def messages_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body sent to /v1/messages: system messages moved to `system`."""
        system_parts = [content_text(m) for m in request.messages if m.get("role") == "system"]
        if request.json_schema is not None:
            system_parts.append(json_instruction(request.json_schema))
        messages = [
            {"role": m["role"], "content": anthropic_content(m.get("content", ""))}
            for m in request.messages
            if m.get("role") in ("user", "assistant")
        ]
        body: dict[str, Any] = {
            "model": request.model,
            "messages": messages,
            "max_tokens": request.max_tokens or DEFAULT_MAX_TOKENS,
        }
        if system_parts:
            body["system"] = "\n\n".join(p for p in system_parts if p)
        if request.temperature is not None:
            body["temperature"] = min(request.temperature, 1.0)  # Anthropic's range is 0..1
        if request.top_p is not None:
            body["top_p"] = request.top_p
        if request.stream:
            body["stream"] = True
        return body

    async def chat(self, request: ChatRequest, on_token: TokenCallback | None = None) -> ChatResult:
        """One Messages call; streams text deltas to `on_token` when asked. Raises ProviderError."""
        body = self.messages_body(request)
        t0 = time.perf_counter()
        input_tokens: int | None = None
        output_tokens: int | None = None
        ttft: float | None = None
        stop_reason: str | None = None
        if not request.stream:
            data = await self._post_json("/messages", body, request.timeout_s, request.model)
            if not isinstance(data.get("content"), list):
                raise ProviderError(
                    f"{self.name}: the answer for model '{request.model}' holds no content "
                    f"({json.dumps(data)[:200]}); it was not used.",
                    retryable=True,
                )
            text = "".join(b.get("text", "") for b in data.get("content", []) if b.get("type") == "text")
            usage = data.get("usage") or {}
            input_tokens, output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
            stop_reason = data.get("stop_reason")
            if on_token is not None and text:
                on_token(text)
        else:
            parts: list[str] = []
            stopped = False
            async with self._stream("/messages", body, request.timeout_s, request.model) as response:
                async for payload in sse_data(response):
                    if stopped:
                        continue  # read to the end, so the connection goes back to the pool
                    event = stream_event(self.name, request.model, payload)
                    if event is None:
                        continue
                    kind = event.get("type")
                    if kind == "message_start":
                        usage = (event.get("message") or {}).get("usage") or {}
                        input_tokens = usage.get("input_tokens", input_tokens)
                    elif kind == "content_block_delta":
                        piece = (event.get("delta") or {}).get("text")
                        if piece:
                            if ttft is None:
                                ttft = time.perf_counter() - t0
                            parts.append(piece)
                            if on_token is not None:
                                on_token(piece)
                    elif kind == "message_delta":
                        output_tokens = (event.get("usage") or {}).get("output_tokens", output_tokens)
                        stop_reason = (event.get("delta") or {}).get("stop_reason", stop_reason)
                    elif kind == "error":
                        err = event.get("error") or {}
                        raise ProviderError(
                            f"{self.name}: the stream for model '{request.model}' failed: "
                            f"{error_message_from_body(json.dumps(event))}",
                            retryable=err.get("type")
                            in ("overloaded_error", "api_error", "rate_limit_error"),
                        )
                    elif kind == "message_stop":
                        stopped = True
            text = "".join(parts)
            if not stopped and stop_reason is None:
                raise ProviderError(
                    f"{self.name}: the stream for model '{request.model}' ended before the answer was "
                    f"complete (after {len(text)} characters, no stop_reason and no message_stop); it was "
                    "not used.",
                    retryable=True,
                )
        if request.json_schema is not None:
            text = extract_json_object(text)
        reported = input_tokens is not None and output_tokens is not None
        prompt_chars = sum(len(content_text(m)) for m in request.messages)
        return ChatResult(
            text=text,
            input_tokens=int(input_tokens) if input_tokens is not None else prompt_chars // 4,
            output_tokens=int(output_tokens) if output_tokens is not None else estimate_tokens(text),
            ttft_s=ttft,
            latency_s=time.perf_counter() - t0,
            usage_reported=reported,
            raw={"stop_reason": stop_reason},
        )

    async def generate_image(self, model: str, prompt: str, size: str = "1024x1024") -> Any:
        raise ProviderError(
            f"{self.name}: Anthropic has no image generation; pick an OpenAI-compatible image model or the "
            "built-in vector artist for image nodes."
        )

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        raise ProviderError(
            f"{self.name}: Anthropic has no embeddings API; configure an OpenAI-compatible embeddings "
            "endpoint or use BM25 retrieval."
        )
