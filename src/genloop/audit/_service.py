"""Query the audit log, which every domain service appends to in the same transaction as its change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import func, select

from genloop.store import AuditEventInfo, Page, Store
from genloop.store._registry import AuditEvent, Project

__all__ = ["AuditService", "export_jsonl"]


class AuditService:
    """Read-only view of the audit log of one project."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project

    def list(
        self,
        *,
        entity_type: str | None = None,
        name: str | None = None,
        action: str | None = None,
        actor: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> Page[AuditEventInfo]:
        """Audit events, newest first, filtered by entity type, name, action, actor and time range."""
        offset, limit = self.store.page_bounds(offset, limit)
        query = select(AuditEvent, Project.name).join(Project, Project.id == AuditEvent.project_id)
        query = query.where(Project.name == self.project)
        if entity_type:
            query = query.where(AuditEvent.entity_type == entity_type)
        if name:
            query = query.where(AuditEvent.entity_name == name)
        if action:
            query = query.where(AuditEvent.action == action)
        if actor:
            query = query.where(AuditEvent.actor == actor)
        if since:
            query = query.where(AuditEvent.created_at >= _aware(since))
        if until:
            query = query.where(AuditEvent.created_at < _aware(until))
        with self.store.db.read() as session:
            total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
            rows = session.execute(query.order_by(AuditEvent.id.desc()).offset(offset).limit(limit)).all()
            items = [
                AuditEventInfo(
                    id=ev.id, project=project_name, actor=ev.actor, action=ev.action, entity_type=ev.entity_type,
                    entity_name=ev.entity_name, entity_version=ev.entity_version, before=ev.before, after=ev.after,
                    created_at=ev.created_at,
                )
                for ev, project_name in rows
            ]
        return Page.build(items, int(total), offset, limit)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def export_jsonl(store: Store, project: str, *, since: dt.datetime | None = None, until: dt.datetime | None = None,
                 batch: int = 1000) -> Iterator[bytes]:
    """The project's audit events, oldest first, one JSON object per line (for compliance archives).

    Reads in keyset pages of ``batch`` events (one short read each), so an export of millions of events
    streams in constant memory and never holds a transaction open between pages.
    """
    import orjson

    last = 0
    while True:
        query = (select(AuditEvent).join(Project, Project.id == AuditEvent.project_id)
                 .where(Project.name == project, AuditEvent.id > last))
        if since:
            query = query.where(AuditEvent.created_at >= _aware(since))
        if until:
            query = query.where(AuditEvent.created_at < _aware(until))
        with store.db.read() as session:
            rows = list(session.scalars(query.order_by(AuditEvent.id).limit(batch)))
        for ev in rows:
            yield orjson.dumps({"id": ev.id, "project": project, "time": ev.created_at.isoformat(), "actor": ev.actor,
                                "action": ev.action, "entity_type": ev.entity_type, "entity_name": ev.entity_name,
                                "entity_version": ev.entity_version, "before": ev.before, "after": ev.after},
                               option=orjson.OPT_NON_STR_KEYS) + b"\n"
        if len(rows) < batch:
            return
        last = rows[-1].id
