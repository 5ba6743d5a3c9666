"""The data plane as a lean ASGI app: a dict lookup routes each request; no framework on the hot path.

``create_gateway_app()`` serves it alone (``genloop gateway``); :func:`compose` puts it in front of
another ASGI app (the REST server), sending ``/v1/*``, ``/metrics`` and ``/healthz`` to the gateway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from genloop.gateway._chat import ChatHandler
from genloop.gateway._endpoints import embeddings, health, list_models, metrics, otlp_traces
from genloop.gateway._errors import GatewayError
from genloop.gateway._gateway import Gateway, tune_gc
from genloop.gateway._request import Exchange
from genloop.settings import Settings
from genloop.store import Store

__all__ = ["GATEWAY_PATHS", "GatewayApp", "compose", "create_gateway_app"]

log = logging.getLogger("genloop.gateway")
ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]

GATEWAY_PATHS = ("/v1/", "/metrics", "/healthz")
_TRACED = {"/v1/chat/completions": "chat.completions", "/v1/embeddings": "embeddings"}


class GatewayApp:
    """The OpenAI-compatible gateway (an ASGI callable); ``.gateway`` holds its state."""

    def __init__(self, store: Store | None = None, settings: Settings | None = None, *,
                 owns_process: bool = False) -> None:
        """``owns_process``: this process serves only the gateway, so its garbage collector is tuned for the
        event loop's tail once started (:func:`~genloop.gateway._gateway.tune_gc`)."""
        self.owns_process = owns_process
        self.settings = settings or (store.settings if store is not None else Settings())
        self._owns_store = store is None
        self.store = store or Store(self.settings)
        self.gateway = Gateway(self.store, self.settings)
        self.chat = ChatHandler(self.gateway)
        self.body_limit = self.chat.body_limit

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def startup(self) -> None:
        await self.gateway.startup()
        if self.owns_process:
            tune_gc()

    async def shutdown(self) -> None:
        await self.gateway.shutdown()
        if self._owns_store:
            self.store.close()

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:  # reported to the server, which exits
                    log.exception("gateway failed to start")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path, method = scope["path"], scope["method"]
        ex = Exchange(scope, receive, send)
        name = _TRACED.get(path)
        if name is not None and method == "POST":
            await self._traced(ex, name)
            return
        gw = self.gateway
        try:
            if path == "/healthz":
                await health(gw, ex)
            elif path == "/metrics" and method == "GET":
                await metrics(gw, ex)
            elif path == "/v1/models" and method == "GET":
                await list_models(gw, ex, gw.caller(ex, limit=False))
            elif path == "/v1/traces" and method == "POST":
                await otlp_traces(gw, ex, gw.caller(ex, limit=False), self.body_limit)
            elif path in _TRACED or path in ("/v1/models", "/v1/traces", "/metrics"):
                raise GatewayError(405, f"{method} is not allowed on {path}", code="method_not_allowed")
            else:
                raise GatewayError(404, f"unknown path {path}; the gateway serves /v1/chat/completions, "
                                   "/v1/embeddings, /v1/models and /v1/traces", code="unknown_url")
        except GatewayError as exc:
            await ex.send_error(exc)
        except Exception:  # never a traceback to the client
            log.exception("gateway error on %s %s", method, path)
            await ex.send_error(GatewayError(500, "internal gateway error; see the gateway log", code="internal"))

    async def _traced(self, ex: Exchange, name: str) -> None:
        """Run a model request with admission control; exactly one trace per answered request."""
        gw = self.gateway
        rec = gw.new_record(name, self.settings.gateway_project, None)
        ex.response_headers.append((b"x-genloop-trace-id", rec["id"].encode()))
        key = None
        admitted = False
        ex.on_complete = lambda: gw.finish(rec, key)
        try:
            if gw.in_flight >= self.settings.gateway_max_inflight:
                gw.metrics.add("shed", ("in_flight",))
                raise GatewayError(503, "the gateway is at capacity; retry shortly", code="overloaded",
                                   retry_after=1, trace_status="rejected")
            gw.in_flight += 1
            admitted = True
            gw.metrics.in_flight += 1
            caller = gw.caller(ex)
            key = caller.key
            rec["project"] = caller.project
            rec["api_key"] = key.id if key is not None else None
            if name == "chat.completions":
                await self.chat.handle(ex, caller, rec)
            else:
                await embeddings(gw, ex, caller, rec, self.body_limit)
        except GatewayError as exc:
            rec.update(status=exc.trace_status, error=exc.message, error_type=exc.code or exc.type,
                       http_status=exc.status)
            await _answer(ex, exc)
        except asyncio.CancelledError:
            rec.update(status="cancelled", error="the request was cancelled", error_type="cancelled", http_status=499)
            raise
        except Exception as exc:  # never a traceback to the client
            log.exception("gateway error on %s", name)
            rec.update(status="error", error=f"internal: {type(exc).__name__}: {exc}", error_type="internal",
                       http_status=500)
            await _answer(ex, GatewayError(500, "internal gateway error; see the gateway log", code="internal"))
        finally:
            if admitted:
                gw.in_flight -= 1
                gw.metrics.in_flight -= 1
            ex.complete()  # when no answer could be sent (the client left), the trace is still recorded


async def _answer(ex: Exchange, error: GatewayError) -> None:
    try:
        await ex.send_error(error)
    except OSError:  # the client is gone
        pass


def create_gateway_app(store: Store | None = None, settings: Settings | None = None) -> GatewayApp:
    """The gateway as an ASGI app (uvicorn factory: ``genloop.gateway:create_gateway_app``)."""
    return GatewayApp(store, settings)


def compose(gateway: GatewayApp, app: ASGIApp) -> ASGIApp:
    """One ASGI app: gateway paths to ``gateway``, everything else to ``app``; lifespan starts both.

    The gateway checks keys itself, from memory; protect ``app`` with :class:`genloop.auth.AuthMiddleware`.
    """

    async def composite(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if path.startswith("/v1/") or path == "/metrics" or path == "/healthz":
                await gateway(scope, receive, send)
                return
            await app(scope, receive, send)
            return
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def wrapped_receive() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await gateway.startup()
            return message

        async def wrapped_send(message: Any) -> None:
            if message["type"] == "lifespan.shutdown.complete":
                await gateway.shutdown()
            await send(message)

        await app(scope, wrapped_receive, wrapped_send)

    return composite
