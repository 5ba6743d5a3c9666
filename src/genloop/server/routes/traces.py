"""REST routes for traces: query (filters, pages), show one with spans and feedback, record from an SDK."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from genloop.errors import InvalidInput
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page
from genloop.tracing import TraceInfo, TraceService

router = APIRouter(tags=["traces"], default_response_class=JSONResponse)


class TraceRecords(BaseModel):
    """Trace records to store (idempotent by id); see :class:`genloop.tracing.TraceInfo` for the fields."""

    records: list[dict[str, Any]] = Field(description="Each with a 32-hex id; started_at in epoch seconds or ISO")


class Recorded(BaseModel):
    recorded: int = Field(description="How many of the records were new")


def parse_metadata(items: list[str] | None) -> dict[str, str] | None:
    """``["k=v", ...]`` query values as a dict."""
    if not items:
        return None
    out: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"invalid metadata filter {item!r}", hint="write meta=key=value")
        out[key] = value
    return out


@router.get("/projects/{project}/traces", response_model=Page[TraceInfo])
def list_traces(
    project: str,
    store: StoreDep,
    deployment: str | None = None,
    variant: str | None = None,
    status: str | None = None,
    user: str | None = None,
    session_id: str | None = None,
    model: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    meta: Annotated[list[str] | None, Query(description="Metadata filters, key=value (repeatable)")] = None,
    offset: OffsetQ = 0,
    limit: LimitQ = 50,
) -> Page[TraceInfo]:
    """Traces, newest first."""
    return TraceService(store, project).list(
        deployment=deployment, variant=variant, status=status, user=user, session_id=session_id, model=model,
        since=since, until=until, metadata=parse_metadata(meta), offset=offset, limit=limit)


@router.get("/projects/{project}/traces/{trace_id}", response_model=TraceInfo)
def get_trace(project: str, trace_id: str, store: StoreDep) -> TraceInfo:
    """One trace with its spans and feedback."""
    return TraceService(store, project).get(trace_id)


@router.post("/projects/{project}/traces", response_model=Recorded, status_code=201)
def record_traces(project: str, body: TraceRecords, store: StoreDep, actor: ActorDep) -> Recorded:
    """Store trace records (from an instrumented app); records already stored are skipped."""
    for rec in body.records:
        rec["project"] = project
        if not isinstance(rec.get("id"), str):
            raise InvalidInput("every trace record needs a string id (32 hex characters)")
    return Recorded(recorded=TraceService(store, project, actor).record(body.records))
