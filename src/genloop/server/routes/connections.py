"""REST routes for provider connections (server-wide; the ``operator`` scope when auth is on). Secrets never come back."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from genloop.connections import ConnectionCreate, ConnectionInfo, ConnectionService
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["connections"], default_response_class=JSONResponse)


@router.post("/connections", response_model=ConnectionInfo, status_code=201)
def create_connection(body: ConnectionCreate, store: StoreDep, actor: ActorDep) -> ConnectionInfo:
    """Create (or, with ``replace``, change) a named provider connection."""
    return ConnectionService(store, actor).create(body.name, **body.model_dump(exclude={"name"}))


@router.get("/connections", response_model=Page[ConnectionInfo])
def list_connections(store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 50) -> Page[ConnectionInfo]:
    """Connections by name, without their secrets."""
    return ConnectionService(store).list(offset=offset, limit=limit)


@router.get("/connections/{name}", response_model=ConnectionInfo)
def get_connection(name: str, store: StoreDep) -> ConnectionInfo:
    return ConnectionService(store).get(name)


@router.delete("/connections/{name}", response_model=ConnectionInfo)
def delete_connection(name: str, store: StoreDep, actor: ActorDep) -> ConnectionInfo:
    """Delete a connection; deployments that name it stop resolving until it is created again."""
    return ConnectionService(store, actor).delete(name)
