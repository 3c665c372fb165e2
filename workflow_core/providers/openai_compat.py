"""OpenAI-compatible HTTP provider (OpenAI, Ollama, vLLM, LM Studio, llama.cpp server, OpenRouter, ...).

Chat with SSE streaming and JSON-schema output, images and embeddings over one `httpx.AsyncClient`.
The HTTP plumbing it shares with the Anthropic provider (error mapping, Retry-After, SSE) is in `http.py`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from workflow_core.errors import ProviderError
from workflow_core.providers.base import ChatRequest, ChatResult, ImageResult, TokenCallback, content_text
from workflow_core.providers.http import (
    CONNECT_TIMEOUT_S,
    WRITE_TIMEOUT_S,
    error_message_from_body,
    estimate_tokens,
    sse_data,
    status_error,
    stream_event,
    tls_context,
    transport_error,
)
from workflow_core.secrets import register_secret


class OpenAICompatProvider:
    """Chat, images and embeddings against an OpenAI-compatible `/v1` base URL.

    The API key is given directly, or read from the environment variable `api_key_env` at each call, so it
    never has to be stored anywhere; it never appears in messages or the repr.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        api_key: str | None,
        client: httpx.AsyncClient | None = None,
        *,
        api_key_env: str | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self._api_key = api_key
        register_secret(api_key)
        self._client = client
        self._owns_client = client is None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self.connect_timeout_s = connect_timeout_s

    def __repr__(self) -> str:
        return f"OpenAICompatProvider(name={self.name!r}, base_url={self.base_url!r})"

    # ---- plumbing
    def _key(self) -> str | None:
        if self._api_key:
            return self._api_key
        if self.api_key_env:
            return os.environ.get(self.api_key_env) or None
        return None

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = self._key()
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    def _timeout(self, read_s: float) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect_timeout_s, read=read_s, write=WRITE_TIMEOUT_S, pool=read_s)

    def _http(self) -> httpx.AsyncClient:
        """The client; an owned one is recreated when called from a different event loop (e.g. Streamlit
        reruns each run in a fresh `asyncio.run`): pooled connections belong to the loop that made them."""
        if not self._owns_client:
            assert self._client is not None
            return self._client
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout(300.0), verify=tls_context())
            self._client_loop = loop
        return self._client

    async def _post_json(self, path: str, body: dict[str, Any], read_s: float, model: str) -> dict[str, Any]:
        url = f"{self.base_url}{path}"
        try:
            response = await self._http().post(
                url, json=body, headers=self._headers(), timeout=self._timeout(read_s)
            )
        except httpx.HTTPError as exc:
            raise transport_error(self.name, self.base_url, exc) from exc
        if response.status_code >= 400:
            raise status_error(self.name, url, response, response.text, model)
        try:
            data = response.json()
        except ValueError as exc:
            if response.text.lstrip()[:1] in ("{", "[", ""):
                # JSON that stops part-way: the answer was cut off in transit; asking again may work.
                raise ProviderError(
                    f"{self.name}: the answer from {url} was cut off ({len(response.content)} bytes of "
                    "incomplete or no JSON); it was not used.",
                    retryable=True,
                ) from exc
            raise ProviderError(
                f"{self.name}: {url} answered with something that is not JSON: {response.text[:200]!r}. "
                "Check that the base URL points at an OpenAI-compatible API (usually ending in /v1).",
                retryable=False,
            ) from exc
        if not isinstance(data, dict):
            raise ProviderError(f"{self.name}: unexpected response from {url}: {str(data)[:200]}")
        return data

    @asynccontextmanager
    async def _stream(
        self, path: str, body: dict[str, Any], read_s: float, model: str
    ) -> AsyncIterator[httpx.Response]:
        url = f"{self.base_url}{path}"
        try:
            async with self._http().stream(
                "POST", url, json=body, headers=self._headers(), timeout=self._timeout(read_s)
            ) as response:
                if response.status_code >= 400:
                    text = (await response.aread()).decode("utf-8", "replace")
                    raise status_error(self.name, url, response, text, model)
                yield response
        except httpx.HTTPError as exc:
            raise transport_error(self.name, self.base_url, exc) from exc

    # ---- chat
    def chat_body(self, request: ChatRequest) -> dict[str, Any]:
        """The JSON body sent to /chat/completions for a request."""
        body: dict[str, Any] = {"model": request.model, "messages": request.messages}
        for key in ("temperature", "max_tokens", "top_p", "seed"):
            value = getattr(request, key)
            if value is not None:
                body[key] = value
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": request.json_schema, "strict": True},
            }
        if request.stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    async def chat(self, request: ChatRequest, on_token: TokenCallback | None = None) -> ChatResult:
        """One chat completion; streams deltas to `on_token` when `request.stream`. Raises ProviderError."""
        body = self.chat_body(request)
        t0 = time.perf_counter()
        if not request.stream:
            data = await self._post_json("/chat/completions", body, request.timeout_s, request.model)
            choices = data.get("choices") or []
            choice = choices[0] if choices and isinstance(choices[0], dict) else {}
            message = choice.get("message")
            if not isinstance(message, dict) or not isinstance(message.get("content"), str):
                raise ProviderError(
                    f"{self.name}: the answer for model '{request.model}' holds no message text "
                    f"({json.dumps(data)[:200]}); it was not used.",
                    retryable=True,
                )
            text = message["content"]
            if on_token is not None and text:
                on_token(text)
            answer: dict[str, Any] = {**data, "finish_reason": choice.get("finish_reason")}
            return self._result(text, data.get("usage"), request, None, time.perf_counter() - t0, answer)

        parts: list[str] = []
        usage: dict[str, Any] | None = None
        ttft: float | None = None
        finish: str | None = None
        done = False
        async with self._stream("/chat/completions", body, request.timeout_s, request.model) as response:
            async for payload in sse_data(response):
                if done:
                    # Read to the end of the response: one left unread cannot go back to the pool, and the
                    # next call would pay a new connection (a TLS handshake with a hosted provider).
                    continue
                if payload == "[DONE]":
                    done = True
                    continue
                chunk = stream_event(self.name, request.model, payload)
                if chunk is None:
                    continue
                if chunk.get("error"):
                    raise ProviderError(
                        f"{self.name}: the stream for model '{request.model}' failed: "
                        f"{error_message_from_body(payload)}",
                        retryable=True,
                    )
                if chunk.get("usage"):
                    usage = chunk["usage"]
                for choice in chunk.get("choices") or []:
                    delta = choice.get("delta") or {}
                    piece = delta.get("content")
                    if piece:
                        if ttft is None:
                            ttft = time.perf_counter() - t0
                        parts.append(piece)
                        if on_token is not None:
                            on_token(piece)
                    if choice.get("finish_reason"):
                        finish = choice["finish_reason"]
        if finish is None and not done:
            # Neither a finish reason nor [DONE]: the connection ended part-way through the answer.
            raise ProviderError(
                f"{self.name}: the stream for model '{request.model}' ended before the answer was complete "
                f"(after {len(''.join(parts))} characters, no finish_reason and no [DONE]); it was not used.",
                retryable=True,
            )
        raw: dict[str, Any] = {"finish_reason": finish, "usage": usage}
        return self._result("".join(parts), usage, request, ttft, time.perf_counter() - t0, raw)

    @staticmethod
    def _result(
        text: str,
        usage: dict[str, Any] | None,
        request: ChatRequest,
        ttft: float | None,
        latency: float,
        raw: dict[str, Any],
    ) -> ChatResult:
        if usage and ("prompt_tokens" in usage or "completion_tokens" in usage):
            return ChatResult(
                text=text,
                input_tokens=int(usage.get("prompt_tokens") or 0),
                output_tokens=int(usage.get("completion_tokens") or 0),
                ttft_s=ttft,
                latency_s=latency,
                usage_reported=True,
                raw=raw,
            )
        prompt_chars = sum(len(content_text(m)) for m in request.messages)
        return ChatResult(
            text=text,
            input_tokens=prompt_chars // 4,
            output_tokens=estimate_tokens(text),
            ttft_s=ttft,
            latency_s=latency,
            usage_reported=False,
            raw=raw,
        )

    # ---- models, images, embeddings
    async def list_models(self, timeout_s: float = 10.0) -> list[str]:
        """Model ids the server lists at GET /models. Raises ProviderError."""
        url = f"{self.base_url}/models"
        try:
            response = await self._http().get(url, headers=self._headers(), timeout=self._timeout(timeout_s))
        except httpx.HTTPError as exc:
            raise transport_error(self.name, self.base_url, exc) from exc
        if response.status_code >= 400:
            raise status_error(self.name, url, response, response.text)
        try:
            data = response.json()
        except ValueError as exc:
            raise ProviderError(f"{self.name}: {url} did not answer with JSON; check the base URL.") from exc
        return [str(m.get("id")) for m in data.get("data", []) if isinstance(m, dict)]

    async def generate_image(self, model: str, prompt: str, size: str = "1024x1024") -> ImageResult:
        """One image from POST /images/generations (b64_json, or a returned URL fetched)."""
        body: dict[str, Any] = {"model": model, "prompt": prompt, "size": size, "n": 1}
        if model.startswith("dall-e"):
            body["response_format"] = "b64_json"  # gpt-image models always return base64 and reject this key
        data = await self._post_json("/images/generations", body, 300.0, model)
        items = data.get("data") or []
        if not items:
            raise ProviderError(f"{self.name}: the image response for model '{model}' held no image.")
        item = items[0]
        if item.get("b64_json"):
            raw = base64.b64decode(item["b64_json"])
        elif item.get("url"):
            try:
                response = await self._http().get(item["url"], timeout=self._timeout(60.0))
                response.raise_for_status()
            except httpx.HTTPError as exc:
                raise transport_error(self.name, item["url"], exc) from exc
            raw = response.content
        else:
            raise ProviderError(
                f"{self.name}: the image response for model '{model}' had neither b64_json nor url."
            )
        return ImageResult(data=raw, mime=sniff_image_mime(raw))

    async def embed(self, model: str, texts: list[str]) -> list[list[float]]:
        """One vector per text from POST /embeddings, in input order."""
        if not texts:
            return []
        data = await self._post_json("/embeddings", {"model": model, "input": texts}, 120.0, model)
        items = sorted(data.get("data") or [], key=lambda d: int(d.get("index", 0)))
        if len(items) != len(texts):
            raise ProviderError(
                f"{self.name}: asked for {len(texts)} embeddings from model '{model}', got {len(items)}."
            )
        return [[float(x) for x in item["embedding"]] for item in items]

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None:
            client, self._client = self._client, None
            # A client made on an event loop that is gone cannot close; its sockets went with that loop.
            with contextlib.suppress(RuntimeError):
                await client.aclose()


def sniff_image_mime(data: bytes) -> str:
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.lstrip()[:5] in (b"<svg ", b"<?xml"):
        return "image/svg+xml"
    return "application/octet-stream"
