"""What a trace viewer asks for beyond the list: one trace without its spans (and without a huge body),
its spans a page at a time, and traces grouped into sessions (most recently active first)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy import String, case, cast, func, literal, literal_column, select
from sqlalchemy.orm import defer

from genloop.errors import InvalidInput, NotFound
from genloop.feedback import FeedbackService
from genloop.store import Page, UTCDateTime
from genloop.store._registry import Project, find_project
from genloop.tracing._dashboard import TrafficSeries, traffic_series
from genloop.tracing._schemas import SessionInfo, SessionPage, SpanInfo, TraceView
from genloop.tracing._tables import SpanRow, TraceRow
from genloop.tracing._trajectory import TraceTrajectories

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["TRACE_VIEW_CAP_BYTES", "TraceViews"]

TRACE_VIEW_CAP_BYTES = 256 * 1024
_SESSION_SCAN = 5_000  # traces read per sessions page at most


class TraceViews(TraceTrajectories):
    """Mixed into :class:`genloop.tracing.TraceService` (``store`` and ``project`` come from it)."""

    store: Store
    project: str

    def view(self, trace_id: str, *, cap_bytes: int = TRACE_VIEW_CAP_BYTES) -> TraceView:
        """One trace with its feedback but not its spans (see :meth:`spans`); when its input and output
        together exceed ``cap_bytes`` they are left out and ``oversized`` is True."""
        tid = trace_id.strip().lower()
        with self.store.db.read() as session:
            dialect = session.get_bind().dialect.name
            size_expr = _size(TraceRow.input, dialect) + _size(TraceRow.output, dialect)
            found = session.execute(
                select(TraceRow.project_id, size_expr, Project.name).join(Project, Project.id == TraceRow.project_id)
                .where(TraceRow.id == tid, Project.name == self.project)).first()
            if found is None:
                raise NotFound(f"project {self.project!r} has no trace {trace_id!r}",
                               hint="list the project's traces with genloop traces list")
            project_id, size, _ = found
            oversized = int(size or 0) > cap_bytes
            query = select(TraceRow).where(TraceRow.id == tid)
            if oversized:
                query = query.options(defer(TraceRow.input), defer(TraceRow.output))
            row = session.scalars(query).one()
            from genloop.tracing._service import _info

            if oversized:  # never load the body: build the info from the other columns
                row.__dict__["input"] = row.__dict__["output"] = None
            info = _info(row, self.project)
            info.feedback = FeedbackService.for_traces(session, [tid], project_id).get(tid, [])
            count = session.scalar(select(func.count()).select_from(SpanRow).where(SpanRow.trace_id == tid)) or 0
            return TraceView(trace=info, size_bytes=int(size or 0), oversized=oversized, span_count=int(count))

    def traffic(self, deployment: str, *, hours: float = 24.0, buckets: int = 48) -> TrafficSeries:
        """The deployment's traffic per variant over the last ``hours`` as ``buckets`` time buckets."""
        return traffic_series(self.store, self.project, deployment, hours=hours, buckets=buckets)

    def spans(self, trace_id: str, *, offset: int = 0, limit: int = 200) -> Page[SpanInfo]:
        """A page of a trace's spans in the order they were recorded."""
        from genloop.tracing._service import _span

        offset, limit = self.store.page_bounds(offset, limit)
        tid = trace_id.strip().lower()
        with self.store.db.read() as session:
            owner = session.execute(select(Project.name).join(TraceRow, TraceRow.project_id == Project.id)
                                    .where(TraceRow.id == tid)).scalar()
            if owner != self.project:
                raise NotFound(f"project {self.project!r} has no trace {trace_id!r}",
                               hint="list the project's traces with genloop traces list")
            total = session.scalar(select(func.count()).select_from(SpanRow).where(SpanRow.trace_id == tid)) or 0
            rows = session.scalars(select(SpanRow).where(SpanRow.trace_id == tid).order_by(SpanRow.id)
                                   .offset(offset).limit(limit))
            return Page.build([_span(r) for r in rows], int(total), offset, limit)

    def sessions(self, *, user: str | None = None, deployment: str | None = None, cursor: str | None = None,
                 limit: int = 50) -> SessionPage:
        """Sessions (traces sharing a session id), the most recently active first.

        Reads the newest traces that have a session (at most 5,000 per page) and aggregates the sessions
        found there through the session index; ``cursor`` continues after the last session shown.
        """
        _, limit = self.store.page_bounds(0, limit)
        before = _decode(cursor) if cursor else None
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return SessionPage(items=[])
            # "+traces.session_id" keeps the session index out: the walk is down the time index, unsorted
            sqlite = session.get_bind().dialect.name == "sqlite"
            has_session = literal_column("+traces.session_id") if sqlite else TraceRow.session_id
            scan = select(TraceRow.session_id, TraceRow.started_at).where(
                TraceRow.project_id == project.id, has_session.is_not(None))
            if user:
                scan = scan.where(TraceRow.user_id == user)
            if deployment:
                scan = scan.where(TraceRow.deployment == deployment)
            if before is not None:  # sessions shown already are dropped below, after their last trace is known
                scan = scan.where(TraceRow.started_at <= literal(before[0], UTCDateTime()))
            seen: dict[str, dt.datetime] = {}
            scanned = 0
            # newest first in the time index's own order: a walk, never a sort
            rows = session.execute(scan.order_by(TraceRow.started_at.desc(), TraceRow.id.desc()).limit(_SESSION_SCAN),
                                   execution_options={"yield_per": 100})  # stop reading once enough are seen
            for sid, when in rows:
                scanned += 1
                seen.setdefault(sid, when)
                if len(seen) > 4 * limit:
                    break
            rows.close()
            exhausted = scanned < _SESSION_SCAN and len(seen) <= 4 * limit
            ids = list(seen)
            if not ids:
                return SessionPage(items=[])
            stats = {r[0]: r for r in session.execute(
                select(TraceRow.session_id, func.count(), func.min(TraceRow.started_at), func.max(TraceRow.started_at),
                       func.sum(case((TraceRow.status == "error", 1), else_=0)),
                       func.sum(func.coalesce(TraceRow.input_tokens, 0) + func.coalesce(TraceRow.output_tokens, 0)),
                       func.sum(func.coalesce(TraceRow.cost_usd, 0.0)))
                .where(TraceRow.project_id == project.id, TraceRow.session_id.in_(ids))
                .group_by(TraceRow.session_id))}
            users: dict[str, set[str]] = {}
            for sid, uid in session.execute(
                    select(TraceRow.session_id, TraceRow.user_id).distinct()
                    .where(TraceRow.project_id == project.id, TraceRow.session_id.in_(ids),
                           TraceRow.user_id.is_not(None)).limit(1000)):
                users.setdefault(sid, set()).add(uid)
            items = []
            for sid in ids:
                _, n, first, last, errors, tokens, cost = stats[sid]
                if before is not None and (last, sid) >= (before[0], before[1]):
                    continue  # shown on an earlier page (its newest trace is newer than the cursor)
                items.append(SessionInfo(session_id=sid, traces=int(n), first_at=first, last_at=last,
                                         users=sorted(users.get(sid, ()))[:20], errors=int(errors or 0),
                                         tokens=int(tokens or 0), cost_usd=float(cost or 0.0)))
            items.sort(key=lambda i: (i.last_at, i.session_id), reverse=True)  # the cursor's order
            more = len(items) > limit or not exhausted
            items = items[:limit]
            nxt = _encode(items[-1].last_at, items[-1].session_id) if more and items else None
            return SessionPage(items=items, next_cursor=nxt)


def _size(column: Any, dialect: str) -> Any:
    if dialect == "postgresql":
        return func.coalesce(func.octet_length(cast(column, String)), 0)
    return func.coalesce(func.length(column), 0)


def _encode(when: dt.datetime, session_id: str) -> str:
    stamp = when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return base64.urlsafe_b64encode(f"{stamp}|{session_id}".encode()).decode().rstrip("=")


def _decode(token: str) -> tuple[dt.datetime, str]:
    try:
        stamp, sid = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().split("|", 1)
        return dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=dt.UTC), sid
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"invalid sessions cursor {token[:60]!r}",
                           hint="pass back the next_cursor of the previous page unchanged, or omit it") from exc
