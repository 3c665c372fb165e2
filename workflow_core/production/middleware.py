"""The ASGI layers in front of `decompose serve`'s app (`serve.create_app` adds them): every request gets an id
and every response the security headers (`SecurityHeaders`), and a body is read, and refused when it is too
large or unreadable, before the app parses it (`BodyGuard`). They work on raw ASGI messages so that a refusal
costs no parsing and the headers reach the API docs and error responses alike."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from fastapi.responses import JSONResponse


class BodyGuard:
    """Reads a request body before the app sees it and refuses, with a message a client can act on, one
    over `limit` bytes (413: by its Content-Length, or by reading at most `limit` + 1 bytes of a streamed
    one), one that is not UTF-8, and JSON nested too deeply for the parser (422). The app gets the bytes
    read."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return

        async def refuse(status: int, message: str) -> None:
            rid = scope.get("state", {}).get("request_id")
            await JSONResponse({"detail": message, "request_id": rid}, status)(scope, receive, send)

        too_big = f"the request body is over {self.limit} bytes; send one profile of a few KB."
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await refuse(413, too_big)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await refuse(413, too_big)
                return
        problem = _body_problem(body)
        if problem:
            await refuse(422, problem)
            return
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _body_problem(body: bytes) -> str | None:
    """What makes a body unreadable as JSON before its syntax is looked at (FastAPI answers a syntax error
    itself, with 422 and the position): bytes that are not UTF-8, nesting too deep to parse."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"the request body is not UTF-8 text (byte {exc.start}); send JSON encoded as UTF-8."
    if text.count("[") + text.count("{") < 64:  # cannot be too deep: skip the second parse
        return None
    try:
        json.loads(text)
    except RecursionError:
        return "the request body is JSON nested too deeply to read; a profile is nested a few levels at most."
    except ValueError:
        return None  # FastAPI says where the syntax is wrong
    return None


_REQUEST_ID = re.compile(rb"[A-Za-z0-9._-]{1,64}")


class SecurityHeaders:
    """Gives every request an id (`X-Request-Id`, the client's own when it sent a short plain one) that error
    bodies and the log quote, and adds `headers` to every HTTP response (pages, JSON, errors, the API docs
    alike)."""

    def __init__(self, app: Any, headers: dict[str, str], docs_headers: dict[str, str]) -> None:
        self.app = app
        self.headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
        # The API docs page loads Swagger UI's script and styles from a CDN: it gets the same headers but
        # a policy that lets it work (it is the operator's page, not a visitor's).
        self.docs_headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in docs_headers.items()
        ]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self.docs_headers if scope.get("path") in ("/docs", "/redoc") else self.headers
        sent = dict(scope.get("headers") or []).get(b"x-request-id", b"")
        rid = sent.decode("ascii") if _REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = rid
        extra = [*extra, (b"x-request-id", rid.encode("ascii"))]

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
