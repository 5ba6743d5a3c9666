"""The per-request Studio context: who is acting, the access check, CSRF, and rendering.

A route takes ``studio: StudioDep`` (a logged-in user; with auth off the local user, an admin) or
``visitor: VisitorDep`` (anyone: the login page). ``studio.check(method, rest_path)`` runs the very check
the REST API runs for that method and path (:func:`genloop.auth.authorize`), so a page or action is allowed
exactly when the REST route behind it is. Every POST must carry the session's CSRF token (form field
``csrf_token`` or header ``X-CSRF-Token``) or it is refused before the route runs.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from genloop.auth import KeyInfo, KeyService, UserService, authorize
from genloop.auth._permissions import STUDIO_RULES, match
from genloop.errors import Forbidden, GenLoopError, NotFound
from genloop.settings import Settings
from genloop.store import Store
from genloop.studio._session import COOKIE, Session, SessionCodec, secure_cookie

__all__ = ["LoginRequired", "Studio", "StudioDep", "VisitorDep"]

API = "/api/v1"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """Raised for a page that needs a key when the session has none; the app redirects to /login."""


class Studio:
    """One request's view of Studio: the store, the user's key (None: auth off), CSRF and rendering."""

    def __init__(self, request: Request, session: Session, key: KeyInfo | None, *, fresh: bool) -> None:
        self.request = request
        self.session = session
        self.key = key
        self._fresh = fresh
        self.store: Store = request.app.state.store
        self.settings: Settings = self.store.settings

    @property
    def auth(self) -> bool:
        return bool(self.settings.auth)

    @property
    def actor(self) -> str:
        """Who the audit log names: ``user:<name>`` for a user (their key or password login), ``key:<name>`` for a
        service key, else the local user."""
        return self.key.actor if self.key else self.store.default_actor

    @property
    def csrf(self) -> str:
        return self.session.csrf

    def check(self, method: str, rest_path: str) -> None:
        """Allow exactly what the REST API allows for ``method`` on ``/api/v1`` + ``rest_path``."""
        if self.key is not None:
            authorize(self.key, method, API + rest_path)

    def visible_projects(self) -> list[str] | None:
        """The projects this user may open (None: every project)."""
        return [self.key.project] if self.key is not None else None

    def render(self, template: str, *, status_code: int = 200, **values: Any) -> HTMLResponse:
        """Render a page; an htmx request (``HX-Request``) gets the page's content block only."""
        env = self.request.app.state.templates
        partial = wants_partial(self.request)
        values.setdefault("project", None)
        html = env.get_template(template).render(
            studio=self, request=self.request, csrf=self.csrf, layout="_partial.html" if partial else "base.html",
            **values)
        response = HTMLResponse(html, status_code=status_code, headers={"Vary": "HX-Request, HX-Target, HX-Boosted, Cookie"})
        self.finish(response)
        return response

    def redirect(self, url: str, *, session: Session | None = None) -> Response:
        """See-other after an action; htmx follows ``HX-Location`` instead of swapping the redirect in."""
        if self.request.headers.get("hx-request") == "true":
            response: Response = Response(status_code=204, headers={"HX-Location": url})
        else:
            response = RedirectResponse(url, status_code=303)
        return self.finish(response, session=session)

    def finish(self, response: Response, *, session: Session | None = None) -> Response:
        """Set the session cookie when it is new or changed; ``session`` replaces it (login, logout)."""
        if session is not None:
            self.session, self._fresh = session, True
        if self._fresh:
            codec: SessionCodec = self.request.app.state.codec
            response.set_cookie(COOKIE, codec.dumps(self.session), max_age=int(codec.max_age_s), httponly=True,
                                samesite="lax", path="/",
                                secure=secure_cookie(self.settings, self.request.url.scheme,
                                                     self.request.url.hostname))
        return response


def wants_partial(request: Request) -> bool:
    """An htmx swap into one element (``hx-target``) gets the content block only; a boosted link, a
    redirect's follow-up and a plain visit get the whole page."""
    headers = request.headers
    return headers.get("hx-request") == "true" and bool(headers.get("hx-target")) and not headers.get("hx-boosted")


async def _context(request: Request, *, login: bool) -> Studio:
    codec: SessionCodec = request.app.state.codec
    store: Store = request.app.state.store
    session = codec.loads(request.cookies.get(COOKIE))
    fresh = session is None
    session = session or Session()
    key = None
    if store.settings.auth and session.user and session.project:
        key = await run_in_threadpool(user_key, store, session.user, session.project)
        if key is None:  # deactivated, or their role there taken away, since login
            session, fresh = Session(), True
    elif store.settings.auth and session.key_id and session.project:
        key = await run_in_threadpool(_load_key, store, session.project, session.key_id)
        if key is None:  # revoked, expired or deleted since login
            session, fresh = Session(), True
    if request.method not in _SAFE_METHODS:
        await _check_csrf(request, session if not fresh else None)
    if login and store.settings.auth and key is None:
        raise LoginRequired
    if login and key is not None:
        _check_page(key, request.method, request.url.path)
    return Studio(request, session, key, fresh=fresh)


def _check_page(key: KeyInfo, method: str, path: str) -> None:
    """The permission table's row for this Studio page or action (before the page parses anything)."""
    rule = match(STUDIO_RULES, method, path)
    if rule is not None and rule[2] is not None and not key.permits(rule[2]):
        who = f"user {key.user!r} (role {key.role or 'none'})" if key.user else f"API key {key.id}"
        raise Forbidden(f"{who} lacks the {rule[2]!r} permission this page needs",
                        hint="ask an admin of the project for a role that has it")


def user_key(store: Store, user: str, project: str) -> KeyInfo | None:
    """What a password session acts with: the user's role in ``project`` as a key of every scope (so the role
    alone decides); None when the user is gone, deactivated or has no role there."""
    try:
        info = UserService(store).get(user)
    except NotFound:
        return None
    role = info.roles.get(project)
    if not info.active or role is None:
        return None
    return KeyInfo(id=f"user:{user}", project=project, name=user, scopes=["operator"], created_at=info.created_at,
                   owner=user, owner_kind="user", role=role)


def _load_key(store: Store, project: str, key_id: str) -> KeyInfo | None:
    try:
        key = KeyService(store, project).get(key_id)
    except NotFound:
        return None
    return key if key.active else None


async def _check_csrf(request: Request, session: Session | None) -> None:
    sent = request.headers.get("x-csrf-token")
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith("application/x-www-form-urlencoded"):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    elif sent is None and content_type.startswith("multipart/form-data"):
        # an upload streams to disk in the route (size limit on the way), so its form is not parsed here:
        # the token rides in the form's action URL instead
        sent = request.query_params.get("csrf_token")
    if session is None or not sent or sent != session.csrf:
        raise Forbidden("the form's CSRF token is missing or stale",
                        hint="reload the page and submit the form again")


async def studio_user(request: Request) -> Studio:
    """The context of a page that needs a user (a logged-in key when ``GENLOOP_AUTH`` is on)."""
    return await _context(request, login=True)


async def studio_visitor(request: Request) -> Studio:
    """The context of a page anyone may open (login)."""
    return await _context(request, login=False)


StudioDep = Annotated[Studio, Depends(studio_user)]
VisitorDep = Annotated[Studio, Depends(studio_visitor)]


def error_page(studio_or_request: Studio | Request, exc: GenLoopError | None, status: int, message: str,
               hint: str | None = None) -> HTMLResponse:
    """An error as a page (or as a fragment for htmx), with the status the REST API would answer."""
    request = studio_or_request.request if isinstance(studio_or_request, Studio) else studio_or_request
    env = request.app.state.templates
    partial = wants_partial(request)
    html = env.get_template("error.html").render(
        studio=None, request=request, csrf="", project=None, layout="_partial.html" if partial else "base.html",
        status=status, message=exc.message if exc else message, hint=exc.hint if exc else hint)
    return HTMLResponse(html, status_code=status)
