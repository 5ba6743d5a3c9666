"""Key checks for the REST API: an ASGI middleware that answers 401/403 before any route runs.

Install it on the whole app when ``GENLOOP_AUTH`` is on (``install_auth(app, store)``). A route
under ``/api/v1/projects/{project}/...`` needs a key of that project, and every route needs the permission
the permission table (:mod:`genloop.auth._permissions`) gives it, which the key holds through its scopes
and, for a user's key, the user's role in the project. The authenticated key becomes the actor in the audit
log (``user:<name>`` for a user's key, ``key:<name>`` for a service key).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import anyio.to_thread
import orjson

from genloop.auth._permissions import SCOPE_PERMISSIONS, required_permission
from genloop.auth._schemas import KeyInfo
from genloop.auth._service import KeyService
from genloop.errors import Forbidden, GenLoopError, Hint, Unauthorized
from genloop.store import Store

__all__ = ["OPEN_PATHS", "AuthMiddleware", "bearer_token", "install_auth", "required_access"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]]

OPEN_PATHS: tuple[str, ...] = ("/api/v1/health", "/healthz")
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def bearer_token(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key from ``Authorization: Bearer ...`` (or ``x-api-key``), if any."""
    for name, value in headers:
        if name == b"authorization":
            kind, _, token = value.decode("latin-1").partition(" ")
            if kind.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"x-api-key" and value:
            return value.decode("latin-1").strip()
    return None


def required_access(method: str, path: str) -> tuple[str | None, str]:
    """The project (None when the route has none) and the scope a REST request needs."""
    parts = path.strip("/").split("/")
    if parts[:3] == ["api", "v1", "connections"]:
        return None, "operator"  # provider connections hold server credentials
    project = parts[3] if len(parts) > 3 and parts[:3] == ["api", "v1", "projects"] else None
    if project is not None and len(parts) > 4 and parts[4] == "keys":
        return project, "admin"
    if path.startswith("/v1/"):
        return None, "gateway"
    return project, ("read" if method in _READ_METHODS else "write")


def authorize(key: KeyInfo, method: str, path: str) -> None:
    """Raise :class:`Forbidden` when ``key`` may not make this request (the permission table decides)."""
    project, _scope = required_access(method, path)
    if project is not None and project != key.project:
        raise Forbidden(f"API key {key.id} belongs to project {key.project!r}, not {project!r}",
                        hint="use a key created in that project")
    _known, permission = required_permission(method, path)
    if permission is None or key.permits(permission):
        return
    if key.user is not None and any(permission in SCOPE_PERMISSIONS.get(s, ()) for s in key.scopes):
        raise Forbidden(f"user {key.user!r} (role {key.role or 'none'} in project {key.project!r}) lacks the "
                        f"{permission!r} permission", hint=_grant_hint(key.user, key.project))
    wanted = [s for s, perms in SCOPE_PERMISSIONS.items() if permission in perms]
    raise Forbidden(f"API key {key.id} lacks the {permission!r} permission (its scopes: {', '.join(key.scopes)})",
                    hint=_scope_hint(wanted[0] if wanted else "admin"))


def _grant_hint(user: str, project: str) -> Hint:
    return Hint(cli=f"an admin can grant a role that has it: genloop roles grant {user} ROLE --project {project}",
                sdk=f"an admin can grant a role that has it: client.roles.grant({user!r}, ROLE)",
                rest=f'an admin can grant a role that has it: PUT /api/v1/projects/{project}/members/{user} '
                     'with "role"',
                gateway=f"ask a project admin of {project!r} to grant {user!r} a role that has it")


def _scope_hint(scope: str) -> Hint:
    return Hint(cli=f"create a key with --scope {scope}", sdk=f"create a key with scopes=[{scope!r}]",
                rest=f'create a key whose "scopes" hold {scope!r}',
                gateway=f"use a key with the {scope!r} scope (an admin creates one)")


class AuthMiddleware:
    """Pure ASGI middleware: 401 without a valid key, 403 outside its scope, else the route runs."""

    def __init__(self, app: ASGIApp, store: Store, open_paths: tuple[str, ...] = OPEN_PATHS) -> None:
        self.app = app
        self.store = store
        self.open_paths = open_paths

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] in self.open_paths:
            await self.app(scope, receive, send)
            return
        try:
            token = bearer_token(scope.get("headers", []))
            if token is None:
                raise Unauthorized("this server requires an API key",
                                   hint="send Authorization: Bearer <key>; create one with: genloop keys create")
            key = await anyio.to_thread.run_sync(KeyService.verify, self.store, token)
            authorize(key, scope["method"], scope["path"])
        except GenLoopError as exc:
            await _send_error(send, exc)
            return
        scope.setdefault("state", {})["actor"] = key.actor
        scope["state"]["api_key"] = key
        await self.app(scope, receive, send)


def install_auth(app: Any, store: Store, open_paths: tuple[str, ...] = OPEN_PATHS) -> None:
    """Add :class:`AuthMiddleware` to a Starlette/FastAPI app (once: a second call on the same app does nothing,
    so an app from :func:`genloop.server.create_app`, which carries it when auth is on, is not checked twice)."""
    if getattr(app.state, "auth_installed", False):
        return
    app.add_middleware(AuthMiddleware, store=store, open_paths=open_paths)
    app.state.auth_installed = True


async def _send_error(send: Any, exc: GenLoopError) -> None:
    body = orjson.dumps(exc.to_payload())
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if exc.status_code == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": exc.status_code, "headers": headers})
    await send({"type": "http.response.body", "body": body})
