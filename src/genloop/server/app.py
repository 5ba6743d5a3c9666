"""The REST server: FastAPI under ``/api/v1``, answering errors as one JSON envelope.

``create_app()`` builds the app on a :class:`~genloop.store.Store`; ``genloop server`` serves it.
Every router calls the same domain services as the in-process SDK and returns the same schemas.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from genloop import __version__
from genloop.errors import GenLoopError
from genloop.server._limits import BodyLimitMiddleware, BodyTooLarge
from genloop.settings import Settings
from genloop.store import Store

__all__ = ["API_PREFIX", "create_app", "create_server", "with_workers"]

API_PREFIX = "/api/v1"
log = logging.getLogger("genloop.server")

_HTTP_TYPES = {400: "invalid_input", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
               409: "conflict", 413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited"}


def create_app(store: Store | None = None, settings: Settings | None = None) -> FastAPI:
    """Build the REST app. Pass a ``store`` to share one with the caller (tests, the demo).

    With ``GENLOOP_AUTH`` on (the store's settings), every route but the health check needs an API key: the
    app carries :class:`genloop.auth.AuthMiddleware` itself, so a REST app built alone is as closed as
    ``genloop server``.
    """
    from genloop.server.routes import ROUTERS

    store = store or Store(settings)
    app = FastAPI(
        title="GenLoop",
        version=__version__,
        description="The GenOps loop: datasets, prompts, models, runs, lineage and audit.",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served below from the package's own Swagger UI files: it works offline
        redoc_url=None,
    )
    _swagger_ui(app)
    app.state.store = store
    app.add_middleware(BodyLimitMiddleware, max_body_mb=store.settings.max_body_mb,
                       max_upload_mb=store.settings.max_upload_mb)
    for router in ROUTERS:
        app.include_router(router, prefix=API_PREFIX)
    if store.settings.auth:
        from genloop.auth import install_auth

        install_auth(app, store)  # added last, so it runs first: no route (nor body limit) before the key check

    @app.get(f"{API_PREFIX}/health", tags=["meta"])
    def health() -> dict[str, Any]:
        """Liveness and the store's migration revision."""
        return {"status": "ok", "version": __version__, "database": store.db.dialect,
                "revision": store.db.current_revision()}

    @app.exception_handler(GenLoopError)
    async def _genloop_error(_request: Request, exc: GenLoopError) -> JSONResponse:
        return JSONResponse(exc.to_payload(), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors()[:20]:
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where or 'body'}: {err.get('msg')}")
        body = {"error": {"type": "invalid_input", "message": "invalid request: " + "; ".join(problems),
                          "hint": "see the schema at /api/v1/docs"}}
        return JSONResponse(body, status_code=400)

    @app.exception_handler(BodyTooLarge)
    async def _body_too_large(_request: Request, exc: BodyTooLarge) -> JSONResponse:
        return JSONResponse(exc.error.to_payload(), status_code=413, headers={"connection": "close"})

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        kind = _HTTP_TYPES.get(exc.status_code, "http_error")
        return JSONResponse({"error": {"type": kind, "message": str(exc.detail)}}, status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        body = {"error": {"type": "internal_error", "message": f"internal error ({type(exc).__name__})",
                          "hint": "see the server log; please report it if it persists"}}
        return JSONResponse(body, status_code=500)

    return app


def _swagger_ui(app: FastAPI) -> None:
    """``/api/v1/docs``: Swagger UI from files vendored in the package (``static/swagger``, VENDOR.json records
    the version, licence and sha256 of each), so the page loads with no network."""
    from pathlib import Path

    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import HTMLResponse
    from fastapi.staticfiles import StaticFiles

    assets = f"{API_PREFIX}/docs/assets"
    app.mount(assets, StaticFiles(directory=Path(__file__).parent / "static" / "swagger"), name="swagger-assets")

    # response_model=None: the annotation names a class imported here, which fastapi < 0.116 cannot resolve
    @app.get(f"{API_PREFIX}/docs", include_in_schema=False, response_model=None)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=f"{API_PREFIX}/openapi.json", title="GenLoop API",
                                   swagger_js_url=f"{assets}/swagger-ui-bundle.js",
                                   swagger_css_url=f"{assets}/swagger-ui.css",
                                   swagger_favicon_url=f"{assets}/favicon-32x32.png")


def create_server(settings: Settings | None = None) -> Any:
    """The app ``genloop server`` runs: Studio, the REST API and the OpenAI-compatible gateway on one port.

    ``/v1/*``, ``/metrics`` and ``/healthz`` go to the gateway, ``/api/*`` to the REST API, every other
    path to Studio (the web UI). With ``GENLOOP_AUTH`` on, every route but the health checks needs an API
    key: a bearer key for the APIs, a key entered once at Studio's login for its pages.
    """
    from genloop.gateway import with_gateway
    from genloop.studio import with_studio

    store = Store(settings)
    return with_workers(with_studio(with_gateway(create_app(store), store), store), store)


def with_workers(app: Any, store: Store) -> Any:
    """``app`` whose lifespan starts the server's background threads and stops them at shutdown.

    The threads: online evaluation and monitors (``GENLOOP_MONITORING_INTERVAL``), the pipeline scheduler
    (``GENLOOP_SCHEDULER_INTERVAL``) and retention (``GENLOOP_RETENTION_INTERVAL``); each interval 0 turns its
    thread off. Started at lifespan startup, not when the app is built, so an app that is never served (or a
    test's) leaves no thread behind.
    """
    import anyio

    async def served(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        workers: list[Any] = []

        async def on_receive() -> Any:
            message = await receive()
            if message["type"] == "lifespan.startup":
                workers[:] = await anyio.to_thread.run_sync(_start_workers, store)
            return message

        async def on_send(message: Any) -> None:
            if message["type"] in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
                for worker in reversed(workers):
                    await anyio.to_thread.run_sync(worker.stop)
                workers.clear()
            await send(message)

        await app(scope, on_receive, on_send)

    for name in ("studio", "gateway"):
        setattr(served, name, getattr(app, name, None))
    return served


def _start_workers(store: Store) -> list[Any]:
    from genloop.governance._retention_worker import start_retention
    from genloop.monitoring import start_monitoring
    from genloop.pipelines._scheduler import start_scheduler

    started: list[Any] = []
    try:
        for start in (start_monitoring, start_scheduler, start_retention):
            worker = start(store)
            if worker is not None:
                started.append(worker)
    except BaseException:  # a refused setting (a lease shorter than the interval): stop what already runs
        for worker in reversed(started):
            worker.stop()
        raise
    return started
