"""REST routes for feedback on traces."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from genloop.feedback import FeedbackCreate, FeedbackExport, FeedbackExportRequest, FeedbackInfo, FeedbackService
from genloop.server._deps import ActorDep, LimitQ, OffsetQ, StoreDep
from genloop.store import Page

router = APIRouter(tags=["feedback"], default_response_class=JSONResponse)


@router.post("/projects/{project}/feedback", response_model=FeedbackInfo, status_code=201)
def create_feedback(project: str, body: FeedbackCreate, store: StoreDep, actor: ActorDep) -> FeedbackInfo:
    """Record a score, label, comment or corrected answer on a trace."""
    return FeedbackService(store, project, actor).create(
        body.trace_id, name=body.name, value=body.value, comment=body.comment, correction=body.correction,
        source=body.source, metadata=body.metadata)


@router.get("/projects/{project}/feedback", response_model=Page[FeedbackInfo])
def list_feedback(
    project: str,
    store: StoreDep,
    trace_id: str | None = None,
    name: str | None = None,
    kind: str | None = None,
    has_correction: bool | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    offset: OffsetQ = 0,
    limit: LimitQ = 50,
) -> Page[FeedbackInfo]:
    """Feedback, newest first."""
    return FeedbackService(store, project).list(trace_id=trace_id, name=name, kind=kind,
                                                has_correction=has_correction, since=since, until=until,
                                                offset=offset, limit=limit)


@router.post("/projects/{project}/feedback/export", response_model=FeedbackExport, status_code=201)
def export_feedback(project: str, body: FeedbackExportRequest, response: Response, store: StoreDep,
                    actor: ActorDep) -> FeedbackExport:
    """Export corrections (sft) or likes, dislikes and corrections (preference) to a new dataset version.

    Answers 201 with a new version, 200 when the rows equal the dataset's latest version (returned as is).
    """
    result = FeedbackService(store, project, actor).export(
        kind=body.kind, name=body.name, deployment=body.deployment, since=body.since,  # type: ignore[arg-type]
        until=body.until, feedback_name=body.feedback_name, like_threshold=body.like_threshold,
        dislike_threshold=body.dislike_threshold, redact_pii=body.redact_pii, policy=body.policy,
        message=body.message)
    response.status_code = 201 if result.created else 200
    return result
