"""REST routes for traces: query (filters, search, keyset pages), sessions, a deployment's traffic series,
show one (whole, or lazily: a view and its spans a page at a time), record from an SDK."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from genloop.errors import InvalidInput
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page
from genloop.tracing import SessionPage, SpanInfo, TraceInfo, TracePage, TraceService, TraceView
from genloop.tracing._dashboard import TrafficSeries
from genloop.tracing._trajectory import Trajectory, TrajectoryDataset

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


@router.get("/projects/{project}/traces", response_model=TracePage)
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
    guardrail: Annotated[str | None, Query(description="Guardrail action found: any, flag, mask, redact, block",
                                           max_length=16)] = None,
    feedback: Annotated[bool | None, Query(description="True: traces with feedback; false: without")] = None,
    search: Annotated[str | None, Query(description="Words in the input or output (full-text index)",
                                        max_length=500)] = None,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page (keyset paging)",
                                        max_length=200)] = None,
    offset: OffsetQ = 0,
    limit: LimitQ = 50,
) -> TracePage:
    """Traces, newest first; page with ``cursor`` (deep pages stay fast) or ``offset``."""
    return TraceService(store, project).list(
        deployment=deployment, variant=variant, status=status, user=user, session_id=session_id, model=model,
        since=since, until=until, metadata=parse_metadata(meta), guardrail=guardrail, feedback=feedback,
        search=search, cursor=cursor, offset=offset, limit=limit)


@router.get("/projects/{project}/sessions", response_model=SessionPage)
def list_sessions(
    project: str,
    store: StoreDep,
    user: str | None = None,
    deployment: str | None = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: LimitQ = 50,
) -> SessionPage:
    """Sessions (traces sharing a session id), the most recently active first."""
    return TraceService(store, project).sessions(user=user, deployment=deployment, cursor=cursor, limit=limit)


@router.get("/projects/{project}/deployments/{deployment}/traffic", response_model=TrafficSeries)
def deployment_traffic(
    project: str,
    deployment: str,
    store: StoreDep,
    hours: Annotated[float, Query(gt=0, le=2160)] = 24.0,
    buckets: Annotated[int, Query(ge=1, le=500)] = 48,
) -> TrafficSeries:
    """Per variant: requests, error rate, latency p50/p95/p99, tokens, cost and feedback as time series."""
    return TraceService(store, project).traffic(deployment, hours=hours, buckets=buckets)


@router.get("/projects/{project}/traces/{trace_id}", response_model=TraceInfo)
def get_trace(project: str, trace_id: str, store: StoreDep) -> TraceInfo:
    """One trace with its spans and feedback."""
    return TraceService(store, project).get(trace_id)


@router.get("/projects/{project}/traces/{trace_id}/view", response_model=TraceView)
def view_trace(project: str, trace_id: str, store: StoreDep) -> TraceView:
    """One trace without its spans; input and output left out beyond the size cap (``oversized``)."""
    return TraceService(store, project).view(trace_id)


@router.get("/projects/{project}/traces/{trace_id}/spans", response_model=Page[SpanInfo])
def trace_spans(project: str, trace_id: str, store: StoreDep, offset: OffsetQ = 0, limit: LimitQ = 200) -> Page[SpanInfo]:
    """A page of a trace's spans in recorded order."""
    return TraceService(store, project).spans(trace_id, offset=offset, limit=limit)


@router.post("/projects/{project}/traces", response_model=Recorded, status_code=201)
def record_traces(project: str, body: TraceRecords, store: StoreDep, actor: ActorDep) -> Recorded:
    """Store trace records (from an instrumented app); records already stored are skipped."""
    for rec in body.records:
        rec["project"] = project
        if not isinstance(rec.get("id"), str):
            raise InvalidInput("every trace record needs a string id (32 hex characters)")
    return Recorded(recorded=TraceService(store, project, actor).record(body.records))


@router.get("/projects/{project}/traces/{trace_id}/trajectory", response_model=Trajectory)
def trace_trajectory(project: str, trace_id: str, store: StoreDep) -> Trajectory:
    """The trace's question, tool calls in order (GenAI semantic conventions) and final answer."""
    return TraceService(store, project).trajectory(trace_id)


class TrajectoryRequest(BaseModel):
    """Traces whose trajectories become a new eval dataset version (for the ``tool_calls`` metric)."""

    name: str = Field(description="Dataset to write a new version of")
    trace_ids: list[str] = Field(description="Trace ids (or unique prefixes), one row each, in this order")
    expected: dict[str, Any] | None = Field(default=None, description="Trace id to its expected tool calls")
    message: str = ""


@router.post("/projects/{project}/traces/dataset", response_model=TrajectoryDataset, status_code=201)
def traces_to_dataset(project: str, body: TrajectoryRequest, store: StoreDep, actor: ActorDep) -> TrajectoryDataset:
    """Write the traces' trajectories (input, answer, tool_calls, expected_tool_calls) as an eval dataset version."""
    return TraceService(store, project, actor).to_dataset(body.name, body.trace_ids, expected=body.expected,
                                                          message=body.message)
