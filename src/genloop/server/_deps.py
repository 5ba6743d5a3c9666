"""FastAPI dependencies shared by the routers: the store, the acting user, pagination."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request

from genloop.store import MAX_OFFSET, MAX_PAGE, Store

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
#: Every paged route takes these two, so a bound is declared (and documented in the OpenAPI) once.
OffsetQ = Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip")]
LimitQ = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"Page size (1-{MAX_PAGE})")]
