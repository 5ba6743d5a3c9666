"""REST routes for API keys (the ``admin`` scope when auth is on). The secret is returned once, at creation."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from genloop.auth import SERVER_SCOPES, CreatedKey, KeyInfo, KeyService
from genloop.errors import Forbidden, Hint
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["keys"], default_response_class=JSONResponse)


class KeyCreate(BaseModel):
    name: str
    scopes: list[str] | None = Field(default=None, description="gateway, read, write, admin (metrics, operator: "
                                     "only by an operator key); default gateway")
    deployments: list[str] | None = Field(default=None, description="Deployments it may call; default all")
    rpm_limit: int | None = None
    tpm_limit: int | None = None
    budget_usd: float | None = None
    expires_at: dt.datetime | None = None
    user: str | None = Field(default=None, description="The user or service account the key belongs to; a key "
                             "of a user acts as that user, with at most their role")


@router.post("/projects/{project}/keys", response_model=CreatedKey, status_code=201)
def create_key(project: str, body: KeyCreate, request: Request, store: StoreDep, actor: ActorDep) -> CreatedKey:
    """Create a key; the response holds the secret, shown this once.

    Server-wide scopes (``metrics``, ``operator``) are granted only by a key that holds ``operator``; a key for
    another user only by a key that may manage users (else a project admin could act in someone's name).
    """
    caller = getattr(request.state, "api_key", None)
    wanted = SERVER_SCOPES.intersection(body.scopes or ())
    if wanted and caller is not None and not caller.allows("operator"):
        raise Forbidden(f"only an operator key may grant the {', '.join(sorted(wanted))} scope",
                        hint=Hint(rest='create it with an operator key, or on the server: genloop keys create NAME '
                                       '--scope metrics',
                                  sdk="create it with an operator key, or on the server: genloop keys create NAME "
                                      "--scope metrics"))
    if (body.user is not None and caller is not None and caller.owner != body.user
            and not caller.permits("users.manage")):
        raise Forbidden(f"only an operator key (or {body.user!r} themselves) may create a key of user {body.user!r}",
                        hint=Hint(rest=f"create it with a key of {body.user!r} or an operator key, or on the server: "
                                       f"genloop keys create NAME --user {body.user}",
                                  sdk=f"create it with a key of {body.user!r} or an operator key, or on the server: "
                                      f"genloop keys create NAME --user {body.user}"))
    return KeyService(store, project, actor).create(body.name, **body.model_dump(exclude={"name"}))


@router.get("/projects/{project}/keys", response_model=Page[KeyInfo])
def list_keys(project: str, store: StoreDep, include_revoked: bool = False, offset: OffsetQ = 0,
              limit: LimitQ = 50) -> Page[KeyInfo]:
    """Keys of the project (no secrets)."""
    return KeyService(store, project).list(include_revoked=include_revoked, offset=offset, limit=limit)


@router.get("/projects/{project}/keys/{key_id}", response_model=KeyInfo)
def get_key(project: str, key_id: str, store: StoreDep) -> KeyInfo:
    return KeyService(store, project).get(key_id)


@router.post("/projects/{project}/keys/{key_id}/revoke", response_model=KeyInfo)
def revoke_key(project: str, key_id: str, store: StoreDep, actor: ActorDep) -> KeyInfo:
    """Revoke a key; gateways and servers refuse it within a second."""
    return KeyService(store, project, actor).revoke(key_id)
