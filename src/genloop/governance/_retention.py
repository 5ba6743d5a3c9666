"""Retention: how many days a project keeps traces and feedback, and the job that deletes what is older.

Deletion runs in batches of at most ``batch_size`` traces per short write transaction (spans, feedback on
those traces and, through migration 0005's triggers, their full-text index rows go in the same transaction),
so the gateway's trace writer waits at most one small batch. Each run appends one audit event with its counts.
:func:`purge_traces` is shared with erasure (:mod:`genloop.governance._erasure`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput
from genloop.governance._retention_tables import RetentionRow
from genloop.store import Store, utcnow
from genloop.store._registry import Project, ensure_project, find_project, record_audit

__all__ = ["RetentionInfo", "RetentionRun", "RetentionService", "purge_traces", "run_all_projects"]

#: Most traces deleted per transaction (the trace writer and the gateway never wait on more than one batch).
DEFAULT_BATCH = 500
MAX_DAYS = 36_500


class RetentionInfo(BaseModel):
    """A project's retention: days to keep traces and feedback (``None``: kept forever)."""

    project: str
    traces_days: int | None = Field(default=None, description="Delete traces (with spans, feedback) older than this")
    feedback_days: int | None = Field(default=None, description="Delete feedback older than this")
    updated_at: dt.datetime | None = None
    updated_by: str = ""


class RetentionRun(BaseModel):
    """What one retention run deleted."""

    project: str
    traces: int = 0
    spans: int = 0
    feedback: int = 0
    batches: int = 0


class RetentionService:
    """Set, read and enforce the retention of one project."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def get(self) -> RetentionInfo:
        """The project's retention (both ``None`` when never set)."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            row = session.get(RetentionRow, project.id) if project is not None else None
            return _info(self.project, row)

    def set(self, *, traces_days: int | None = None, feedback_days: int | None = None) -> RetentionInfo:
        """Set both periods (``None`` keeps that kind forever); audited with the old and new values."""
        for label, days in (("traces_days", traces_days), ("feedback_days", feedback_days)):
            if days is not None and not 1 <= days <= MAX_DAYS:
                raise InvalidInput(f"{label} must be between 1 and {MAX_DAYS}, got {days}",
                                   hint="give a number of days, or leave it out to keep forever")

        def write(session: Session) -> RetentionInfo:
            project = ensure_project(session, self.project, self.actor)
            row = session.get(RetentionRow, project.id)
            before = _info(self.project, row).model_dump(include={"traces_days", "feedback_days"})
            if row is None:
                row = RetentionRow(project_id=project.id)
                session.add(row)
            row.traces_days, row.feedback_days = traces_days, feedback_days
            row.updated_at, row.updated_by = utcnow(), self.actor
            record_audit(session, project, self.actor, "set", "retention", self.project, before=before,
                         after={"traces_days": traces_days, "feedback_days": feedback_days})
            return _info(self.project, row)

        return self.store.db.write(write)

    def run(self, *, batch_size: int = DEFAULT_BATCH, now: dt.datetime | None = None) -> RetentionRun:
        """Delete what is older than the retention, in batches; one audit event with the counts."""
        if batch_size < 1:
            raise InvalidInput(f"batch size must be at least 1, got {batch_size}")
        from genloop.feedback._tables import FeedbackRow
        from genloop.tracing._tables import TraceRow

        info, now = self.get(), now or utcnow()
        result = RetentionRun(project=self.project)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
        if project is None:
            return result
        if info.traces_days is not None:
            cutoff = now - dt.timedelta(days=info.traces_days)
            purge_traces(self.store, result, batch_size,
                         lambda: select(TraceRow.id).where(TraceRow.project_id == project.id,
                                                           TraceRow.started_at < cutoff))
        if info.feedback_days is not None:
            cutoff = now - dt.timedelta(days=info.feedback_days)
            query = select(FeedbackRow.id).where(FeedbackRow.project_id == project.id,
                                                 FeedbackRow.created_at < cutoff)
            while True:
                def batch(session: Session) -> int:
                    ids = list(session.scalars(query.limit(batch_size)))
                    if ids:
                        session.execute(delete(FeedbackRow).where(FeedbackRow.id.in_(ids)))
                    return len(ids)

                deleted = self.store.db.write(batch)
                result.feedback += deleted
                result.batches += 1 if deleted else 0
                if deleted < batch_size:
                    break
        self._audit("run", result.model_dump(exclude={"project"}) | {"traces_days": info.traces_days,
                                                                      "feedback_days": info.feedback_days})
        return result

    def _audit(self, action: str, after: dict[str, Any]) -> None:
        def write(session: Session) -> None:
            project = ensure_project(session, self.project, self.actor)
            record_audit(session, project, self.actor, action, "retention", self.project, after=after)

        self.store.db.write(write)


def purge_traces(store: Store, result: Any, batch_size: int, ids_query: Callable[[], Any]) -> list[str]:
    """Delete the traces ``ids_query`` selects, ``batch_size`` per transaction, with their spans and feedback.

    Adds to ``result.traces`` / ``.spans`` / ``.feedback`` / ``.batches``; returns the deleted trace ids.
    """
    from genloop.feedback._tables import FeedbackRow
    from genloop.tracing._tables import SpanRow, TraceRow

    gone: list[str] = []
    while True:
        def batch(session: Session) -> tuple[list[str], int, int]:
            ids = list(session.scalars(ids_query().limit(batch_size)))
            if not ids:
                return ids, 0, 0
            feedback = _count(session.execute(delete(FeedbackRow).where(FeedbackRow.trace_id.in_(ids))))
            spans = _count(session.execute(delete(SpanRow).where(SpanRow.trace_id.in_(ids))))
            session.execute(delete(TraceRow).where(TraceRow.id.in_(ids)))
            return ids, spans, feedback

        ids, spans, feedback = store.db.write(batch)
        gone.extend(ids)
        result.traces += len(ids)
        result.spans += spans
        result.feedback += feedback
        result.batches += 1 if ids else 0
        if len(ids) < batch_size:
            return gone


def _count(result: Any) -> int:
    """Rows a DELETE removed (``CursorResult.rowcount``)."""
    return int(getattr(result, "rowcount", 0) or 0)


def run_all_projects(store: Store, *, batch_size: int = DEFAULT_BATCH) -> list[RetentionRun]:
    """One retention run for every project that set a retention (the server's background job calls this)."""
    with store.db.read() as session:
        names = list(session.scalars(select(Project.name).join(RetentionRow, RetentionRow.project_id == Project.id)))
    return [RetentionService(store, name, actor="system:retention").run(batch_size=batch_size) for name in names]


def _info(project: str, row: RetentionRow | None) -> RetentionInfo:
    if row is None:
        return RetentionInfo(project=project)
    return RetentionInfo(project=project, traces_days=row.traces_days, feedback_days=row.feedback_days,
                         updated_at=row.updated_at, updated_by=row.updated_by)
