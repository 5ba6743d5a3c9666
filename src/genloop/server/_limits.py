"""Request body limits for the REST API, enforced in the ASGI layer before a body is buffered.

A JSON body may be at most ``GENLOOP_MAX_BODY_MB``; a multipart upload (dataset files, model files, run
artifacts) at most ``GENLOOP_MAX_UPLOAD_MB``. A declared ``Content-Length`` over the limit is answered
413 before the app runs; a chunked body is counted as it arrives and stops at the limit. Either way the
answer is the JSON error envelope naming the limit and the setting that raises it.

A JSON body (bounded, and buffered by the route anyway) is read here whole and its text checked
(``_text.py``: no lone surrogates, no NUL) before the route runs; an upload streams through untouched.
A NUL in the path or query is refused too (PostgreSQL cannot compare text with one; SQLite can).
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException

from genloop.errors import GenLoopError, InvalidInput, PayloadTooLarge
from genloop.server._text import json_text_problem

__all__ = ["UPLOAD_OPERATIONS", "BodyLimitMiddleware", "BodyTooLarge", "multipart_operations"]

#: How much of a refused body is read and dropped, so the client can read the 413 instead of a broken pipe.
_DRAIN_MAX = 64 << 20


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` when a body passes its limit; the app answers it as :attr:`error`."""

    def __init__(self, error: PayloadTooLarge) -> None:
        super().__init__(status_code=413, detail=error.message)
        self.error = error


class _Limit:
    def __init__(self, mib: float, setting: str, what: str, slack: int = 0) -> None:
        self.bytes = int(mib * (1 << 20))
        self.allowed = self.bytes + slack
        self.mib, self.setting, self.what = mib, setting, what

    def error(self, size: int | None) -> PayloadTooLarge:
        size_text = f" ({size} bytes)" if size is not None else ""
        return PayloadTooLarge(f"the {self.what}{size_text} is larger than this server's limit of {self.mib:g} MiB",
                               hint=f"send less, or raise {self.setting} on the server",
                               limit_bytes=self.bytes, setting=self.setting)


class BodyLimitMiddleware:
    """ASGI middleware: bound every request body (multipart upload routes get the larger upload limit)."""

    def __init__(self, app: Any, *, max_body_mb: float, max_upload_mb: float) -> None:
        self.app = app
        self.body = _Limit(max_body_mb, "GENLOOP_MAX_BODY_MB", "request body")
        # the upload routes check the file itself; the form's framing and small fields get 1 MiB on top here
        self.upload = _Limit(max_upload_mb, "GENLOOP_MAX_UPLOAD_MB", "upload", slack=1 << 20)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            await _answer(send, InvalidInput("invalid request: the URL holds a NUL character (%00), which no name, "
                                             "id or filter can contain", hint="remove it from the path and query"))
            return
        limit = self.upload if self._is_upload(scope) else self.body
        declared = _content_length(scope)
        if declared is not None and declared > limit.allowed:
            await _drain(receive)
            await _answer(send, limit.error(declared))
            return
        if limit is self.body and _is_json(scope):
            await self._json(scope, receive, send, limit)
            return
        received = 0
        refused = False

        async def limited_receive() -> dict[str, Any]:
            nonlocal received, refused
            if refused:  # the app asked again after the refusal: the body is over for it
                return {"type": "http.disconnect"}
            message: dict[str, Any] = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.allowed:
                    refused = True
                    raise BodyTooLarge(limit.error(None))
            return message  # type: ignore[no-any-return]

        await self.app(scope, limited_receive, send)
        if refused:
            await _drain(receive)

    async def _json(self, scope: dict[str, Any], receive: Any, send: Any, limit: _Limit) -> None:
        """Read a JSON body whole (within the limit; the route would buffer it anyway), check its text, replay it."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit.allowed:
                await _drain(receive)
                await _answer(send, limit.error(None))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        problem = json_text_problem(body) if body else None
        if problem:
            await _answer(send, InvalidInput(f"invalid request: {problem}",
                                             hint="send UTF-8 JSON: text without NUL or lone surrogates, 64-bit integers, no NaN"))
            return
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                return await receive()  # type: ignore[no-any-return]
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    def _is_upload(self, scope: dict[str, Any]) -> bool:
        path, method = scope.get("path", ""), scope.get("method", "")
        return any(m == method and pattern.fullmatch(path) for m, pattern in _UPLOAD_ROUTES)


#: The operations whose body is a multipart upload (``tests/server/test_body_limits.py`` checks this list
#: against the OpenAPI document, so a new upload route cannot be missed).
UPLOAD_OPERATIONS = (
    "POST /api/v1/projects/{project}/datasets/{name}/versions",
    "POST /api/v1/projects/{project}/models/{name}/versions/upload",
    "POST /api/v1/projects/{project}/runs/{run_id}/artifacts",
)


def multipart_operations(openapi: dict[str, Any]) -> set[str]:
    """``METHOD /path`` of every operation whose documented body is a multipart form."""
    found = set()
    for template, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {}) if isinstance(operation, dict) else {}
            if "multipart/form-data" in content:
                found.add(f"{method.upper()} {template}")
    return found


def _route_pattern(operation: str) -> tuple[str, re.Pattern[str]]:
    method, template = operation.split(" ", 1)
    return method, re.compile("[^/]+".join(re.escape(p) for p in re.split(r"\{[^}]+\}", template)))


_UPLOAD_ROUTES = [_route_pattern(op) for op in UPLOAD_OPERATIONS]


def _is_json(scope: dict[str, Any]) -> bool:
    """A JSON body, or one without a content type (which the routes read as JSON too)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or media.endswith(b"+json")
    return True


def _content_length(scope: dict[str, Any]) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _drain(receive: Any) -> None:
    """Read and drop the rest of the body (up to a bound), so the client finishes sending and reads the answer."""
    dropped = 0
    while dropped <= _DRAIN_MAX:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _answer(send: Any, error: GenLoopError) -> None:
    body = orjson.dumps(error.to_payload())
    await send({"type": "http.response.start", "status": error.status_code,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
