"""A scripted OpenAI-compatible (and Anthropic Messages) server on 127.0.0.1 for tests and benchmarks.

It is a real HTTP server in a background thread, so providers are exercised over real sockets: scripted
replies (FIFO), per-request routing, latency, error statuses with headers, dropped connections and damage
(cut bodies and streams, junk stream lines, a 401 that echoes the key).

Over 400 lines on purpose: one server speaks both wire formats through one scripted-reply queue and one set
of fault switches, which tests read as a whole; split, each half would repeat the plumbing.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import html
import json
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class FakeReply:
    """One scripted reply. `content=None` means the default reply derived from the request."""

    content: str | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    latency_s: float | None = None
    usage: dict[str, int] | None = None
    error_body: dict[str, Any] | None = None
    drop_connection: bool = False
    finish_reason: str = "stop"
    # Damage, for fault tests. `cut_at`: send only the first N bytes of the body (a JSON body with a
    # Content-Length that matches, a stream that ends cleanly), as a proxy that gives up would.
    cut_at: int | None = None
    # Put a `data:` line that is not JSON in the middle of a stream.
    junk_line: str | None = None
    # Answer 401 quoting the request's Authorization header back, as some providers do.
    echo_auth: bool = False
    # Stream one event at a time with this many seconds between them (a slow trickle).
    trickle_s: float = 0.0


class ReceivedRequest(dict[str, Any]):
    """A parsed JSON body as received, with the request's `path` (also under the key "path") and headers."""

    def __init__(self, body: dict[str, Any], path: str, headers: dict[str, str]) -> None:
        super().__init__(body)
        self["path"] = path
        self.path = path
        self.headers = headers


Responder = Callable[[dict[str, Any]], "FakeReply | None"]


def _tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1x1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x80\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


TINY_PNG = _tiny_png()


def _words(text: str) -> int:
    return len(text.split())


def _message_text(message: dict[str, Any]) -> str:
    content = message.get("content", "")
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content)


def example_for_schema(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A minimal value that satisfies a JSON schema: strings "x", one-item arrays, every property set."""
    root = root if root is not None else schema
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        defs = root.get("$defs") or root.get("definitions") or {}
        return example_for_schema(defs.get(name, {}), root)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return example_for_schema(schema[key][0], root)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        props = schema.get("properties", {})
        return {name: example_for_schema(sub, root) for name, sub in props.items()}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [example_for_schema(schema.get("items", {}), root) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "x" * max(1, int(schema.get("minLength", 1)))


def default_content(body: dict[str, Any]) -> str:
    """The reply produced when nothing is scripted: JSON for a requested schema, a minimal HTML page when
    the messages mention HTML, else "echo: " and the start of the last user message."""
    fmt = body.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        schema = (fmt.get("json_schema") or {}).get("schema") or {}
        return json.dumps(example_for_schema(schema))
    if fmt.get("type") == "json_object":
        return "{}"
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    last = _message_text(users[-1]) if users else ""
    echo = f"echo: {last[:40]}"
    # A request that mentions HTML (a front-end node) gets a minimal page, so pipelines run end to end.
    if any("html" in _message_text(m).lower() for m in body.get("messages", [])):
        text = html.escape(echo)
        return (
            '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Echo</title></head>'
            f"<body><main><h1>Echo</h1><p>{text}</p></main></body></html>"
        )
    return echo


def _prompt_words(body: dict[str, Any]) -> int:
    total = sum(_words(_message_text(m)) for m in body.get("messages", []))
    system = body.get("system")
    if isinstance(system, str):
        total += _words(system)
    return total


def _embedding(text: str, dim: int = 16) -> list[float]:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return [round(b / 127.5 - 1.0, 6) for b in digest[:dim]]


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a burst of new connections (a benchmark's sixteen runs starting
    # at once) overflowed it, and each dropped SYN cost its call a one-second TCP retransmit.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that time out or hang up mid-reply are part of the tests, not server errors."""
        import sys

        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class FakeOpenAIServer:
    """A real HTTP server speaking the OpenAI chat/models/embeddings/images API and Anthropic Messages."""

    def __init__(self, models: list[str] | None = None, api_key: str | None = None) -> None:
        self.models = list(models or ["small", "large"])
        self.api_key = api_key  # when set, requests without "Bearer <key>" or x-api-key get 401
        self.latency_s = 0.0
        self.requests: list[ReceivedRequest] = []
        self.connections = 0  # TCP connections accepted (keep-alive reuses one)
        self.in_flight = 0  # POSTs being answered now
        self.most_in_flight = 0  # the most POSTs answered at once so far
        self._queue: deque[FakeReply] = deque()
        self._responder: Responder | None = None
        self._lock = threading.Lock()
        self._httpd: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAIServer is not started; call start() first.")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def providers_yaml(self, prices: dict[str, tuple[float, float]] | None = None) -> str:
        """A providers.yaml that configures this server as provider `fake`, with per-million-token
        (input, output) prices; the prices block comes last so a caller may append provider keys."""
        prices = {"small": (0.4, 1.6), "large": (2.0, 8.0)} if prices is None else prices
        lines = ["providers:", "  fake:", "    type: openai", f"    base_url: {self.base_url}"]
        lines.append(f"    models: [{', '.join(self.models)}]")
        if prices:
            lines.append("    prices:")
            lines += [
                f"      {m}: {{input_per_mtok: {i}, output_per_mtok: {o}}}" for m, (i, o) in prices.items()
            ]
        return "\n".join(lines) + "\n"

    def start(self) -> FakeOpenAIServer:
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        # A short poll interval keeps stop() (and so every test teardown) fast.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def enqueue(self, reply: FakeReply) -> None:
        """Script the next reply (FIFO); used before the responder and the default reply."""
        with self._lock:
            self._queue.append(reply)

    def set_responder(self, fn: Responder | None) -> None:
        """Route each request whose queue is empty: fn(body) returns a reply, or None for the default."""
        self._responder = fn

    def _next_reply(self, body: dict[str, Any]) -> FakeReply:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self._responder is not None:
            reply = self._responder(body)
            if reply is not None:
                return reply
        return FakeReply()

    def _record(self, body: dict[str, Any], path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append(ReceivedRequest(body, path, headers))


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"
    # A reply is several small writes; with Nagle's algorithm each kept-alive request would wait for the
    # client's delayed ACK (about 40 ms), which is the server's latency, not the client's.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake.connections += 1

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read `requests`, not the log."""

    # ---- plumbing
    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _start_sse(self, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _raw_chunk(self, data: bytes) -> None:
        if data:
            self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
            self.wfile.flush()

    def _send_cut(self, data: bytes, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _authorised(self) -> bool:
        key = self.fake.api_key
        if key is None:
            return True
        return self.headers.get("Authorization") == f"Bearer {key}" or self.headers.get("x-api-key") == key

    # ---- verbs
    def do_GET(self) -> None:
        self.fake._record({}, self.path, dict(self.headers))
        if not self._authorised():
            self._send_json(401, {"error": {"message": "Invalid API key", "type": "invalid_request_error"}})
            return
        if self.path.rstrip("/") == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in self.fake.models]
            self._send_json(200, {"object": "list", "data": data})
        else:
            self._send_json(404, {"error": {"message": f"no route GET {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:
        with self.fake._lock:
            self.fake.in_flight += 1
            self.fake.most_in_flight = max(self.fake.most_in_flight, self.fake.in_flight)
        try:
            self._post()
        finally:
            with self.fake._lock:
                self.fake.in_flight -= 1

    def _post(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "body is not JSON", "type": "invalid_request_error"}})
            return
        path = self.path.split("?", 1)[0].rstrip("/")
        self.fake._record(body, path, dict(self.headers))
        anthropic = path == "/v1/messages"
        if not self._authorised():
            self._send_json(
                401,
                self._error_payload(401, "invalid x-api-key" if anthropic else "Invalid API key", anthropic),
            )
            return
        reply = self.fake._next_reply(body)
        delay = reply.latency_s if reply.latency_s is not None else self.fake.latency_s
        if delay:
            time.sleep(delay)
        if reply.drop_connection:
            self._drop()
            return
        if reply.echo_auth:
            message = f"Incorrect API key provided: {self.headers.get('Authorization', '')}"
            self._send_json(401, {"error": {"message": message, "type": "invalid_request_error"}})
            return
        if reply.status != 200:
            payload = reply.error_body or self._error_payload(
                reply.status, f"fake error {reply.status}", anthropic
            )
            self._send_json(reply.status, payload, reply.headers)
            return
        if path == "/v1/chat/completions":
            self._chat(body, reply)
        elif anthropic:
            self._messages(body, reply)
        elif path == "/v1/embeddings":
            self._embeddings(body, reply)
        elif path == "/v1/images/generations":
            n = int(body.get("n", 1))
            data = [{"b64_json": base64.b64encode(TINY_PNG).decode("ascii")} for _ in range(n)]
            self._send_json(200, {"created": int(time.time()), "data": data}, reply.headers)
        else:
            self._send_json(404, {"error": {"message": f"no route POST {path}", "type": "not_found"}})

    @staticmethod
    def _error_payload(status: int, message: str, anthropic: bool) -> dict[str, Any]:
        kind = (
            "rate_limit_error" if status == 429 else "api_error" if status >= 500 else "invalid_request_error"
        )
        if anthropic:
            return {"type": "error", "error": {"type": kind, "message": message}}
        return {"error": {"message": message, "type": kind, "code": status}}

    # ---- endpoints
    def _chat(self, body: dict[str, Any], reply: FakeReply) -> None:
        content = reply.content if reply.content is not None else default_content(body)
        model = body.get("model", "fake")
        usage = reply.usage or {
            "prompt_tokens": _prompt_words(body),
            "completion_tokens": _words(content),
        }
        usage = {**usage, "total_tokens": usage.get("prompt_tokens", 0) + usage.get("completion_tokens", 0)}
        created = int(time.time())
        if not body.get("stream"):
            message = {"role": "assistant", "content": content}
            choice = {"index": 0, "message": message, "finish_reason": reply.finish_reason}
            payload = {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [choice],
                "usage": usage,
            }
            if reply.cut_at is not None:
                self._send_cut(json.dumps(payload).encode("utf-8")[: reply.cut_at], reply.headers)
                return
            self._send_json(200, payload, reply.headers)
            return
        self._start_sse(reply.headers)
        lines: list[str] = []

        def event(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            lines.append(f"data: {json.dumps(chunk)}\n\n")

        event({"role": "assistant", "content": ""})
        pieces = content.split(" ")
        for i, word in enumerate(pieces):
            event({"content": word if i == 0 else " " + word})
            if reply.junk_line is not None and i == len(pieces) // 2:
                lines.append(f"data: {reply.junk_line}\n\n")
        event({}, reply.finish_reason)
        if (body.get("stream_options") or {}).get("include_usage"):
            final = {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": created,
                "model": model,
                "choices": [],
                "usage": usage,
            }
            lines.append(f"data: {json.dumps(final)}\n\n")
        lines.append("data: [DONE]\n\n")
        self._send_stream(lines, reply.cut_at, reply.trickle_s)

    def _messages(self, body: dict[str, Any], reply: FakeReply) -> None:
        content = reply.content if reply.content is not None else default_content(body)
        model = body.get("model", "fake")
        usage = reply.usage or {"input_tokens": _prompt_words(body), "output_tokens": _words(content)}
        if not body.get("stream"):
            payload = {
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [{"type": "text", "text": content}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": usage,
            }
            self._send_json(200, payload, reply.headers)
            return
        self._start_sse(reply.headers)
        lines: list[str] = []

        def event(name: str, data: dict[str, Any]) -> None:
            lines.append(f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n")

        start_usage = {"input_tokens": usage.get("input_tokens", 0), "output_tokens": 1}
        event(
            "message_start",
            {
                "message": {
                    "id": "msg_fake",
                    "type": "message",
                    "role": "assistant",
                    "model": model,
                    "content": [],
                    "stop_reason": None,
                    "usage": start_usage,
                }
            },
        )
        event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
        event("ping", {})
        for i, word in enumerate(content.split(" ")):
            text = word if i == 0 else " " + word
            event("content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}})
        event("content_block_stop", {"index": 0})
        event(
            "message_delta",
            {
                "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                "usage": {"output_tokens": usage.get("output_tokens", 0)},
            },
        )
        event("message_stop", {})
        self._send_stream(lines, reply.cut_at, reply.trickle_s)

    def _send_stream(self, lines: list[str], cut_at: int | None, trickle_s: float = 0.0) -> None:
        if trickle_s:
            for line in lines:
                time.sleep(trickle_s)
                self._raw_chunk(line.encode("utf-8"))
            self._end_chunks()
            return
        stream = "".join(lines).encode("utf-8")
        if cut_at is not None:
            stream = stream[:cut_at]
        for start in range(0, len(stream), 256):
            self._raw_chunk(stream[start : start + 256])
        self._end_chunks()

    def _embeddings(self, body: dict[str, Any], reply: FakeReply) -> None:
        texts = body.get("input", [])
        if isinstance(texts, str):
            texts = [texts]
        data = [
            {"object": "embedding", "index": i, "embedding": _embedding(str(t))} for i, t in enumerate(texts)
        ]
        tokens = sum(_words(str(t)) for t in texts)
        payload = {
            "object": "list",
            "data": data,
            "model": body.get("model", "fake"),
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
        self._send_json(200, payload, reply.headers)
