"""Request body limits for the REST API, enforced in the ASGI layer before a body is buffered.

A JSON body may be at most ``GENLOOP_MAX_BODY_MB``; a multipart upload (dataset files, model files, run
artifacts) at most ``GENLOOP_MAX_UPLOAD_MB``. A declared ``Content-Length`` over the limit is answered
413 before the app runs; a chunked body is counted as it arrives and stops at the limit. Either way the
answer is the JSON error envelope naming the limit and the setting that raises it.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.exceptions import HTTPException as StarletteHTTPException

from genloop.errors import PayloadTooLarge

__all__ = ["BodyLimitMiddleware", "BodyTooLarge"]

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
        self._upload_routes: list[tuple[str, re.Pattern[str]]] | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload if self._is_upload(scope) else self.body
        declared = _content_length(scope)
        if declared is not None and declared > limit.allowed:
            await _drain(receive)
            await _answer(send, limit.error(declared))
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

    def _is_upload(self, scope: dict[str, Any]) -> bool:
        if self._upload_routes is None:
            app = scope.get("app")
            self._upload_routes = _multipart_routes(app.openapi()) if hasattr(app, "openapi") else []
        path, method = scope.get("path", ""), scope.get("method", "")
        return any(m == method and pattern.fullmatch(path) for m, pattern in self._upload_routes)


def _multipart_routes(openapi: dict[str, Any]) -> list[tuple[str, re.Pattern[str]]]:
    """``(METHOD, path pattern)`` of every operation whose documented body is a multipart form."""
    routes = []
    for template, operations in openapi.get("paths", {}).items():
        for method, operation in operations.items():
            content = (operation.get("requestBody") or {}).get("content", {}) if isinstance(operation, dict) else {}
            if "multipart/form-data" in content:
                parts = re.split(r"\{[^}]+\}", template)
                routes.append((method.upper(), re.compile("[^/]+".join(re.escape(p) for p in parts))))
    return routes


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


async def _answer(send: Any, error: PayloadTooLarge) -> None:
    body = orjson.dumps(error.to_payload())
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
