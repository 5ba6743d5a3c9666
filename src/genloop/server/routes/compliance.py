"""REST routes of retirement, retention, erasure and the audit export (issue 13)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from genloop.audit._service import export_jsonl
from genloop.governance._erasure import ErasureResult, erase
from genloop.governance._retention import RetentionInfo, RetentionRun, RetentionService
from genloop.governance._retirement import RetirementService
from genloop.server._deps import ActorDep, StoreDep

router = APIRouter(tags=["governance"])


class RetireBody(BaseModel):
    kind: Literal["prompt", "model"]
    ref: str = Field(description="NAME@VERSION or NAME@label")
    reason: str | None = None


class RetentionBody(BaseModel):
    traces_days: int | None = Field(default=None, description="Keep traces this many days (null: forever)")
    feedback_days: int | None = Field(default=None, description="Keep feedback this many days (null: forever)")


class ErasureBody(BaseModel):
    user_id: str | None = None
    session_id: str | None = None


@router.post("/projects/{project}/governance/retire")
def retire(project: str, body: RetireBody, store: StoreDep, actor: ActorDep) -> dict[str, Any]:
    """Retire a prompt or model version: it stays readable but no new deployment version may name it."""
    service = RetirementService(store, project, actor)
    if body.kind == "prompt":
        return service.retire_prompt(body.ref, reason=body.reason)
    return service.retire_model(body.ref, reason=body.reason)


@router.get("/projects/{project}/retention", response_model=RetentionInfo)
def get_retention(project: str, store: StoreDep) -> RetentionInfo:
    """The project's retention of traces and feedback."""
    return RetentionService(store, project).get()


@router.put("/projects/{project}/retention", response_model=RetentionInfo)
def set_retention(project: str, body: RetentionBody, store: StoreDep, actor: ActorDep) -> RetentionInfo:
    """Set the retention (days) of traces and feedback; null keeps them forever."""
    return RetentionService(store, project, actor).set(traces_days=body.traces_days, feedback_days=body.feedback_days)


@router.post("/projects/{project}/retention/run", response_model=RetentionRun)
def run_retention(project: str, store: StoreDep, actor: ActorDep) -> RetentionRun:
    """Delete now what is older than the retention (in batches); audited with the counts."""
    return RetentionService(store, project, actor).run()


@router.post("/projects/{project}/erasure", response_model=ErasureResult)
def erase_user(project: str, body: ErasureBody, store: StoreDep, actor: ActorDep) -> ErasureResult:
    """Erase an end user's (or a session's) traces, spans and feedback; mark datasets exported from them."""
    return erase(store, project, user_id=body.user_id, session_id=body.session_id, actor=actor)


@router.get("/projects/{project}/audit/export", response_class=StreamingResponse)
def export_audit(project: str, store: StoreDep, since: dt.datetime | None = None,
                 until: dt.datetime | None = None) -> StreamingResponse:
    """The audit log as JSONL, oldest first, streamed."""
    return StreamingResponse(export_jsonl(store, project, since=since, until=until),
                             media_type="application/x-ndjson")
