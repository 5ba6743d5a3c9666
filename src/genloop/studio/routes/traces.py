"""Traces: the list (every filter in the query string, htmx swaps the list, keyset pager), sessions, one
trace (conversation, tokens, cost, guardrail findings, feedback with a form to add more, spans loaded
lazily as a waterfall, the JSON instead of the body beyond the size cap)."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response

from genloop.errors import InvalidInput
from genloop.feedback import FeedbackService
from genloop.studio._context import StudioDep
from genloop.studio._observe import conversation, preview, waterfall
from genloop.studio._params import optional_time
from genloop.studio._templates import with_query
from genloop.tracing import TraceService
from genloop.tracing._query import GUARDRAIL_ACTIONS

router = APIRouter()

_FILTERS = ("deployment", "variant", "status", "user", "session", "since", "until", "guardrail", "feedback", "q")
STATUSES = ("ok", "error", "blocked", "cancelled", "rejected")


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit") or "50"
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        raise InvalidInput(f"query parameter limit={raw!r} is outside 1..200", hint="use limit=50")
    return int(raw)


@router.get("/projects/{project}/traces")
def traces(project: str, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/traces")
    params = studio.request.query_params
    values = {name: (params.get(name) or "").strip()[:500] for name in _FILTERS}
    feedback = {"yes": True, "no": False}.get(values["feedback"])
    if values["feedback"] and feedback is None:
        raise InvalidInput(f"query parameter feedback={values['feedback']!r} is not yes or no", hint="use feedback=yes")
    page = TraceService(studio.store, project).list(
        deployment=values["deployment"] or None, variant=values["variant"] or None, status=values["status"] or None,
        user=values["user"] or None, session_id=values["session"] or None, since=optional_time(studio.request, "since"),
        until=optional_time(studio.request, "until"), guardrail=values["guardrail"] or None, feedback=feedback,
        search=values["q"] or None, cursor=params.get("cursor") or None, limit=_limit(studio.request))
    url = studio.request.url
    next_url = with_query(url, cursor=page.next_cursor) if page.next_cursor else None
    first_url = with_query(url, cursor=None) if params.get("cursor") else None
    return studio.render("traces/list.html", project=project, page=page, f=values, statuses=STATUSES,
                         previews={t.id: preview(t.input) for t in page.items},
                         actions=GUARDRAIL_ACTIONS, next_url=next_url, first_url=first_url)


@router.get("/projects/{project}/traces/sessions")
def sessions(project: str, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/sessions")
    params = studio.request.query_params
    user = (params.get("user") or "").strip()[:256]
    page = TraceService(studio.store, project).sessions(user=user or None, cursor=params.get("cursor") or None,
                                                        limit=_limit(studio.request))
    next_url = with_query(studio.request.url, cursor=page.next_cursor) if page.next_cursor else None
    return studio.render("traces/sessions.html", project=project, page=page, user=user, next_url=next_url)


@router.get("/projects/{project}/traces/{trace_id}")
def trace(project: str, trace_id: str, studio: StudioDep) -> Response:
    studio.check("GET", f"/projects/{project}/traces/{trace_id}")
    view = TraceService(studio.store, project).view(trace_id)
    info = view.trace
    turns = None if view.oversized else conversation(info.input, info.output)
    return studio.render("traces/trace.html", project=project, view=view, t=info, turns=turns)


@router.get("/projects/{project}/traces/{trace_id}/spans")
def spans(project: str, trace_id: str, studio: StudioDep, offset: int = 0) -> Response:
    """The waterfall of up to 200 spans from ``offset`` (a partial loaded by the trace page)."""
    studio.check("GET", f"/projects/{project}/traces/{trace_id}/spans")
    if offset < 0:
        raise InvalidInput(f"offset {offset} is negative", hint="use offset=0")
    page = TraceService(studio.store, project).spans(trace_id, offset=offset, limit=200)
    bars, total = waterfall(page.items)
    return studio.render("traces/_spans.html", project=project, trace_id=trace_id, page=page, bars=bars,
                         total_ms=total)


@router.get("/projects/{project}/traces/{trace_id}/json")
def trace_json(project: str, trace_id: str, studio: StudioDep) -> Response:
    """The whole trace as JSON (what the REST API answers), for traces too big to show."""
    studio.check("GET", f"/projects/{project}/traces/{trace_id}")
    found = TraceService(studio.store, project).get(trace_id)
    return studio.finish(JSONResponse(found.model_dump(mode="json"),
                                      headers={"content-disposition": f'inline; filename="{found.id}.json"'}))


@router.post("/projects/{project}/traces/{trace_id}/feedback")
def add_feedback(project: str, trace_id: str, studio: StudioDep, name: str = Form("score"),
                 value: str = Form(""), comment: str = Form("")) -> Response:
    """Feedback from a person (source ``human``): a number, yes/no, a label, and/or a comment."""
    studio.check("POST", f"/projects/{project}/feedback")
    TraceService(studio.store, project).view(trace_id)  # the trace must be this project's
    FeedbackService(studio.store, project, studio.actor).create(
        trace_id, name=name.strip() or "score", value=_value(value), comment=comment.strip() or None, source="human")
    return studio.redirect(f"/projects/{project}/traces/{trace_id.strip().lower()}#feedback")


def _value(raw: str) -> float | bool | str | None:
    raw = raw.strip()
    if not raw:
        return None
    if raw.lower() in ("yes", "true", "up", "👍"):
        return True
    if raw.lower() in ("no", "false", "down", "👎"):
        return False
    try:
        return float(raw)
    except ValueError:
        return raw[:256]
