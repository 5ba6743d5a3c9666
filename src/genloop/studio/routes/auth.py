"""Login and logout. With ``GENLOOP_AUTH`` on, Studio asks for an API key, or a user's name and password, once and
keeps the key id (or the user and project) in the signed session cookie; with auth off, the local user is an admin
and these pages only say so."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from genloop.auth import KeyService, UserService
from genloop.errors import RateLimited, Unauthorized
from genloop.studio._context import Studio, StudioDep, VisitorDep
from genloop.studio._session import Session, secure_cookie

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this server (``/x``), never ``//host`` or a full URL: no open redirect."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


@router.get("/login")
def login_page(visitor: VisitorDep, next: str = "/") -> Response:
    """The key form (auth on), or a note that no login is needed (auth off)."""
    insecure = visitor.auth and secure_cookie(visitor.settings, visitor.request.url.scheme,
                                              visitor.request.url.hostname) and visitor.request.url.scheme != "https"
    return visitor.render("login.html", next=_safe_next(next), error=None, insecure=insecure)


@router.post("/login")
async def login(visitor: VisitorDep, key: str = Form(""), next: str = Form("/"), user: str = Form(""),
                password: str = Form(""), project: str = Form("")) -> Response:
    """Check the key like the REST API does (Studio needs ``read``, or ``annotate`` for a rater), or a user's
    name and password; the session then acts as that user with their role in the project."""
    if not visitor.auth:
        return visitor.redirect(_safe_next(next))
    if user.strip():
        return await _password_login(visitor, user.strip(), password, project.strip(), next)
    try:
        info = await run_in_threadpool(KeyService.verify, visitor.store, key.strip())
    except Unauthorized as exc:
        return visitor.render("login.html", status_code=401, next=_safe_next(next), error=exc.message, insecure=False)
    if not (info.allows("read") or info.allows("annotate")):
        return visitor.render("login.html", status_code=403, next=_safe_next(next), insecure=False,
                              error=f"key {info.id} lacks the 'read' scope Studio needs (it has "
                                    f"{', '.join(info.scopes)}); create one with --scope read,write "
                                    "(raters: --scope annotate)")
    # a new session (and CSRF token) at login: a token planted before login is worthless after it
    session = Session(key_id=info.id, project=info.project)
    target = _safe_next(next)
    return visitor.redirect(target if target != "/" else f"/projects/{info.project}", session=session)


async def _password_login(visitor: Studio, user: str, password: str, project: str, next: str) -> Response:
    try:
        info = await run_in_threadpool(UserService(visitor.store).authenticate, user, password)
    except (Unauthorized, RateLimited) as exc:
        return visitor.render("login.html", status_code=exc.status_code, next=_safe_next(next), error=exc.message,
                              insecure=False)
    if project and project not in info.roles:
        error = f"user {user!r} has no role in project {project!r} (they have: {', '.join(info.roles) or 'none'})"
        return visitor.render("login.html", status_code=403, next=_safe_next(next), insecure=False, error=error)
    if not info.roles:
        return visitor.render("login.html", status_code=403, next=_safe_next(next), insecure=False,
                              error=f"user {user!r} has no role in any project; ask an admin: "
                                    f"genloop roles grant {user} viewer --project NAME")
    chosen = project or ("default" if "default" in info.roles else sorted(info.roles)[0])
    session = Session(user=user, project=chosen)  # a new session and CSRF token at login
    target = _safe_next(next)
    return visitor.redirect(target if target != "/" else f"/projects/{chosen}", session=session)


@router.post("/logout")
def logout(studio: StudioDep) -> Response:
    """End the session (a fresh anonymous one replaces it)."""
    return studio.redirect("/login" if studio.auth else "/", session=Session())
