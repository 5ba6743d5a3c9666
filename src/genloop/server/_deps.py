"""FastAPI dependencies shared by the routers: the store, the acting user, pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from genloop.store import Store

__all__ = ["ActorDep", "LimitQ", "OffsetQ", "StoreDep", "get_actor", "get_store"]


async def get_store(request: Request) -> Store:
    """The app's store (async, so FastAPI does not hop to the threadpool to call it)."""
    return request.app.state.store  # type: ignore[no-any-return]


async def get_actor(request: Request, x_genloop_actor: Annotated[str | None, Header()] = None) -> str:
    """Who is acting: the authenticated key's owner when auth is on, else the client's declared name."""
    authenticated = getattr(request.state, "actor", None)
    if authenticated:
        return str(authenticated)
    return (x_genloop_actor or "api")[:128]


StoreDep = Annotated[Store, Depends(get_store)]
ActorDep = Annotated[str, Depends(get_actor)]
OffsetQ = Annotated[int, Query(ge=0, description="Items to skip")]
LimitQ = Annotated[int, Query(ge=1, le=1000, description="Page size (1-1000)")]
