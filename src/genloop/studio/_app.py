"""The Studio app (HTML pages at ``/``) and its place in front of the REST API and the gateway.

``with_studio(server, store)`` sends ``/api/*``, ``/v1/*``, ``/metrics`` and ``/healthz`` to ``server``
(the REST API behind its key middleware, and the gateway) and every other path to Studio, which checks
the session cookie itself. Errors become pages with the status the REST API would answer.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from genloop.errors import GenLoopError
from genloop.store import Store
from genloop.studio._context import LoginRequired, error_page
from genloop.studio._session import SessionCodec, load_secret
from genloop.studio._templates import environment

__all__ = ["create_studio", "with_studio"]

log = logging.getLogger("genloop.studio")
STATIC = Path(__file__).parent / "static"
_SERVER_PREFIXES = ("/api/", "/v1/")
_SERVER_PATHS = frozenset({"/api", "/v1", "/metrics", "/healthz"})


class _Static(StaticFiles):
    """Static files with a day of caching (the vendored files change only with a release)."""

    async def get_response(self, path: str, scope: Any) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = "public, max-age=86400"
        return response


def create_studio(store: Store) -> FastAPI:
    """The Studio app over ``store`` (its settings decide auth and the session secret)."""
    from genloop.studio.routes import ROUTERS

    app = FastAPI(title="GenLoop Studio", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.store = store
    app.state.templates = environment()
    app.state.codec = SessionCodec(load_secret(store.settings), store.settings.studio_session_hours * 3600)
    app.mount("/static", _Static(directory=STATIC), name="static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, _exc: LoginRequired) -> Response:
        target = "/login?next=" + quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        if request.method != "GET":
            return error_page(request, None, 401, "your session has ended", hint="log in again")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(GenLoopError)
    async def _genloop_error(request: Request, exc: GenLoopError) -> Response:
        return error_page(request, exc, exc.status_code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()[:5])
        return error_page(request, None, 400, f"invalid request: {problems}", hint="check the form or the URL")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = "no such page" if exc.status_code == 404 else str(exc.detail)
        return error_page(request, None, exc.status_code, message, hint="start again from the home page")

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error in Studio")
        return error_page(request, None, 500, f"internal error ({type(exc).__name__})",
                          hint="see the server log; please report it if it persists")

    return app


def with_studio(server: Any, store: Store) -> Any:
    """One ASGI app: REST, gateway and health paths to ``server``, every other page to Studio."""
    studio = create_studio(store)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            if not path.startswith(_SERVER_PREFIXES) and path not in _SERVER_PATHS:
                await studio(scope, receive, send)
                return
        await server(scope, receive, send)  # lifespan too: it starts and stops the gateway

    app.studio = studio  # type: ignore[attr-defined]
    app.gateway = getattr(server, "gateway", None)  # type: ignore[attr-defined]
    return app
