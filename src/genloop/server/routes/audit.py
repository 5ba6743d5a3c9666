"""REST routes for the audit log."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter

from genloop.audit import AuditService
from genloop.server._deps import LimitQ, OffsetQ, StoreDep
from genloop.store import AuditEventInfo, Page

router = APIRouter(tags=["audit"])


@router.get("/projects/{project}/audit", response_model=Page[AuditEventInfo])
def list_audit(
    project: str,
    store: StoreDep,
    entity_type: str | None = None,
    name: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    offset: OffsetQ = 0,
    limit: LimitQ = 50,
) -> Page[AuditEventInfo]:
    """Audit events of a project, newest first."""
    return AuditService(store, project).list(entity_type=entity_type, name=name, action=action, actor=actor,
                                             since=since, until=until, offset=offset, limit=limit)
