"""One HTTP exchange on the raw ASGI interface: read the body with a limit, send JSON, errors and SSE frames."""

from __future__ import annotations

from typing import Any

import orjson

from genloop.gateway._errors import GatewayError

__all__ = ["Exchange"]

_JSON = (b"content-type", b"application/json")


class Exchange:
    """The request (headers as a dict of lowercase names, the body) and the ways to answer it."""

    __slots__ = ("headers", "on_complete", "receive", "response_headers", "scope", "send", "started")

    def __init__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.headers: dict[bytes, bytes] = dict(scope["headers"])
        self.response_headers: list[tuple[bytes, bytes]] = []
        self.started = False
        # Called once, just before the answer's last bytes go out: the trace is spooled by then.
        self.on_complete: Any = None

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return value.decode("latin-1") if value is not None else None

    async def body(self, limit: int) -> bytes:
        """The whole request body; :class:`GatewayError` 413 past ``limit`` bytes (checked before reading)."""
        declared = self.headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise GatewayError(413, f"request body of {int(declared)} bytes is over the limit of {limit} bytes; "
                               "raise GENLOOP_GATEWAY_MAX_BODY_MB on the server", code="request_too_large")
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self.receive()
            if message["type"] == "http.disconnect":
                raise GatewayError(499, "the client closed the connection before sending the whole body",
                                   code="client_closed_request", trace_status="cancelled")
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > limit:
                    raise GatewayError(413, f"request body is over the limit of {limit} bytes; raise "
                                       "GENLOOP_GATEWAY_MAX_BODY_MB on the server", code="request_too_large")
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def json(self, limit: int) -> dict[str, Any]:
        """The body parsed as a JSON object; malformed JSON or invalid UTF-8 is a 400."""
        raw = await self.body(limit)
        if not raw:
            raise GatewayError(400, "the request has no body; send a JSON object", code="invalid_json")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise GatewayError(400, f"the request body is not valid JSON (UTF-8): {exc}", code="invalid_json") from None
        if not isinstance(data, dict):
            raise GatewayError(400, "the request body must be a JSON object", code="invalid_json")
        return data

    def complete(self) -> None:
        """Run ``on_complete`` (once)."""
        hook, self.on_complete = self.on_complete, None
        if hook is not None:
            hook()

    async def send_bytes(self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None,
                         content_type: bytes = b"application/json") -> None:
        self.complete()
        all_headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                       *self.response_headers, *(headers or ())]
        self.started = True
        await self.send({"type": "http.response.start", "status": status, "headers": all_headers})
        await self.send({"type": "http.response.body", "body": body})

    async def send_json(self, status: int, payload: Any) -> None:
        await self.send_bytes(status, orjson.dumps(payload))

    async def send_error(self, error: GatewayError) -> None:
        """Answer with an OpenAI-shaped error (unless a streamed answer already started)."""
        if self.started:
            return
        body = error.body()
        headers = [h for h in error.headers() if h[0] != b"content-type"]
        await self.send_bytes(error.status if error.status != 499 else 400, body, headers)

    async def start_stream(self) -> None:
        self.started = True
        await self.send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream; charset=utf-8"), (b"cache-control", b"no-cache"),
            (b"x-accel-buffering", b"no"), *self.response_headers]})

    async def send_frame(self, data: bytes) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": True})

    async def end_stream(self) -> None:
        self.complete()
        await self.send({"type": "http.response.body", "body": b"", "more_body": False})
