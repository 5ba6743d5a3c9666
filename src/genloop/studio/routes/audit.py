"""The audit log with filters (entity type, name, action, actor, time range), newest first."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from genloop.audit import AuditService
from genloop.studio._context import StudioDep
from genloop.studio._params import ListQ, optional_time, pager

router = APIRouter()

FILTERS = ("entity_type", "name", "action", "actor")


@router.get("/projects/{project}/audit")
def audit(project: str, studio: StudioDep, page: ListQ) -> Response:
    """Filters come from the query string, so a filtered log has its own URL."""
    studio.check("GET", f"/projects/{project}/audit")
    query = studio.request.query_params
    filters = {name: (query.get(name) or "").strip() or None for name in FILTERS}
    since, until = optional_time(studio.request, "since"), optional_time(studio.request, "until")
    events = AuditService(studio.store, project).list(**filters, since=since, until=until, offset=page.offset,
                                                       limit=page.limit)
    return studio.render("audit/list.html", project=project, events=events.items, pager=pager(studio.request, events),
                         filters=filters, since=query.get("since", ""), until=query.get("until", ""))
