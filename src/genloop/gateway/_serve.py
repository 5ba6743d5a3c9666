"""Serving: the gateway alone, or composed with the REST server, under uvicorn with uvloop and httptools."""

from __future__ import annotations

import importlib.util
from typing import Any

from genloop.gateway._app import GatewayApp, compose
from genloop.settings import Settings
from genloop.store import Store

__all__ = ["create_served_gateway_app", "serve_gateway", "uvicorn_options", "with_gateway"]


def uvicorn_options() -> dict[str, Any]:
    """The fastest event loop and HTTP parser installed (uvloop, httptools), no access log."""
    return {"loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
            "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
            "access_log": False, "lifespan": "on", "ws": "none", "proxy_headers": False}


def with_gateway(app: Any, store: Store, settings: Settings | None = None) -> Any:
    """Mount the gateway in front of a REST app (FastAPI or any ASGI app) sharing ``store``.

    ``/v1/*``, ``/metrics`` and ``/healthz`` go to the gateway; the rest to ``app``. When
    ``settings.auth`` is on, ``app`` is wrapped in :class:`genloop.auth.AuthMiddleware` too (unless it
    carries it already, as :func:`genloop.server.create_app` does).
    """
    settings = settings or store.settings
    gateway = GatewayApp(store, settings)
    if settings.auth and not getattr(getattr(app, "state", None), "auth_installed", False):
        from genloop.auth import AuthMiddleware

        app = AuthMiddleware(app, store)
    composite = compose(gateway, app)
    composite.gateway = gateway  # type: ignore[attr-defined]
    return composite


def create_served_gateway_app() -> GatewayApp:
    """The gateway app of a process that serves nothing else (uvicorn factory of :func:`serve_gateway`).

    Such a process owns its interpreter, so once the gateway has started its garbage collector is tuned for
    the event loop's tail (:func:`~genloop.gateway._gateway.tune_gc`); an app embedded in another process
    (tests, the REST server) leaves the collector as it is.
    """
    return GatewayApp(owns_process=True)


def serve_gateway(host: str = "127.0.0.1", port: int = 8080, workers: int = 1) -> None:
    """Run ``genloop gateway`` in the foreground."""
    import sys

    import uvicorn

    # The trace writer thread shares the GIL with the event loop; a shorter switch interval (default 5 ms)
    # bounds how long a batch write can hold up a request.
    sys.setswitchinterval(0.001)

    uvicorn.run("genloop.gateway._serve:create_served_gateway_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning", **uvicorn_options())
