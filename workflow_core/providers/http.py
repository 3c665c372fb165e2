"""HTTP plumbing every provider shares: timeouts, mapping statuses and transport failures to ProviderError
(honouring Retry-After), reading server-sent events and their JSON payloads."""

from __future__ import annotations

import email.utils
import functools
import json
import os
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from workflow_core.errors import ProviderError

CONNECT_TIMEOUT_S = 10.0
WRITE_TIMEOUT_S = 60.0


def tls_context() -> ssl.SSLContext:
    """The TLS settings every provider client shares: httpx's default (certifi's roots, or `SSL_CERT_FILE` /
    `SSL_CERT_DIR` when set), made once per process. httpx builds a new one for each client, which loads
    the root certificates again (about 60 ms here); the app makes a client for every run."""
    return _tls_context(os.environ.get("SSL_CERT_FILE") or None, os.environ.get("SSL_CERT_DIR") or None)


@functools.lru_cache(maxsize=4)
def _tls_context(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    if cafile or capath:
        return ssl.create_default_context(cafile=cafile, capath=capath if not cafile else None)
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def parse_retry_after(headers: httpx.Headers) -> float | None:
    """Seconds to wait from `retry-after-ms` or `Retry-After` (seconds or an HTTP date), else None."""
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)


def error_message_from_body(text: str) -> str:
    """The server's own error message out of an OpenAI- or Anthropic-style error body (or the raw text)."""
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, ValueError):
        return text.strip()[:500] or "(empty response body)"
    if isinstance(data, dict):
        err = data.get("error", data)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("detail") or err.get("msg")
            if msg:
                return str(msg)
        elif isinstance(err, str):
            return err
        if isinstance(data.get("message"), str):
            return str(data["message"])
        if isinstance(data.get("detail"), str):
            return str(data["detail"])
    return text.strip()[:500]


def status_error(
    provider: str, url: str, response: httpx.Response, body_text: str, model: str = ""
) -> ProviderError:
    """Map an HTTP error status to a ProviderError: 408/409/429/5xx retryable, other 4xx not."""
    status = response.status_code
    server_msg = error_message_from_body(body_text)
    what = f"{provider}: HTTP {status} from {url}" + (f" for model '{model}'" if model else "")
    retryable = status in (408, 409, 429) or status >= 500
    if status == 429:
        hint = "rate limited; retry later, lower concurrency, or raise your plan's limits."
    elif status >= 500:
        hint = "the server failed; it is usually temporary, retry later."
    elif status in (401, 403):
        hint = (
            "the API key was refused; check the key in the environment variable configured for this provider."
        )
    elif status == 404:
        hint = "check the model name and the provider's base URL (it usually ends in /v1)."
    else:
        hint = "the request was rejected; check the model name and the node's parameters."
    return ProviderError(
        f"{what}: {server_msg} ({hint})",
        retryable=retryable,
        retry_after_s=parse_retry_after(response.headers),
        status_code=status,
    )


def transport_error(provider: str, base_url: str, exc: httpx.HTTPError) -> ProviderError:
    """Map a transport failure (refused, timeout, dropped connection) to a retryable ProviderError."""
    if isinstance(exc, httpx.ConnectError):
        return ProviderError(
            f"{provider}: cannot connect to {base_url} ({exc or 'connection refused'}). Start the server "
            "there, or fix the provider's base URL.",
            retryable=True,
        )
    if isinstance(exc, httpx.TimeoutException):
        return ProviderError(
            f"{provider}: {base_url} timed out ({type(exc).__name__}). The server may be overloaded; "
            "retry, or raise the node's timeout_s / lower max_tokens.",
            retryable=True,
        )
    return ProviderError(
        f"{provider}: the connection to {base_url} failed "
        f"({type(exc).__name__}: {exc or 'no detail'}); retry.",
        retryable=True,
    )


async def sse_data(response: httpx.Response) -> AsyncIterator[str]:
    """The `data:` payloads of a server-sent-events response, in order."""
    async for line in response.aiter_lines():
        if line.startswith("data:"):
            yield line[5:].strip()


def stream_event(provider: str, model: str, payload: str) -> dict[str, Any] | None:
    """One stream event as a JSON object (None for a JSON value that is not an object). A line that is not
    JSON is damage, never skipped: the answer it belongs to is not used."""
    try:
        event = json.loads(payload)
    except json.JSONDecodeError:
        raise ProviderError(
            f"{provider}: the stream for model '{model}' sent a line that is not JSON ({payload[:80]!r}); the "
            "answer was not used.",
            retryable=True,
        ) from None
    return event if isinstance(event, dict) else None


def estimate_tokens(text: str) -> int:
    """A rough token count (4 characters per token) for servers that report no usage."""
    return len(text) // 4
