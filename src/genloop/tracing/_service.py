"""TraceService: write traces idempotently (by trace id), read one with its spans and feedback, query many.

A trace travels as a plain dict (a *record*: the columns of :class:`TraceInfo`, ``started_at`` in epoch
seconds, and ``spans``) from the gateway through the spool and the batch writer to :meth:`record`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import re
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, or_, select
from sqlalchemy.orm import Session

from genloop.errors import Forbidden, InvalidInput, NotFound
from genloop.feedback import FeedbackService
from genloop.store import Store, UTCDateTime
from genloop.store._registry import Project, ensure_project, find_project
from genloop.tracing._bounds import bound_record, bound_scalars, bound_timestamp
from genloop.tracing._query import (
    TraceFilters,
    after_cursor,
    bounded_count,
    encode_cursor,
    newest_first,
    strongest_action,
)
from genloop.tracing._schemas import SpanInfo, TraceInfo, TracePage
from genloop.tracing._tables import SpanRow, TraceErasureRow, TraceRow
from genloop.tracing._views import TraceViews

__all__ = ["TraceService", "new_span_id", "new_trace_id"]

log = logging.getLogger("genloop.tracing")

TRACES = TraceRow.__table__
SPANS = SpanRow.__table__

_LIMITS = {"name": 128, "deployment": 128, "variant": 64, "prompt": 160, "model": 256, "provider": 64,
           "upstream_model": 256, "error_type": 64, "user_id": 256, "session_id": 256, "api_key": 32, "status": 16,
           "source": 16, "shadow_of": 32}
_TRACE_ID = re.compile(r"[0-9a-f]{32}")
_COLUMNS = ("source", "name", "deployment", "deployment_version", "variant", "shadow_of", "prompt", "model",
            "provider", "upstream_model", "input", "output", "status", "http_status", "error", "error_type",
            "input_tokens", "output_tokens", "cost_usd", "latency_ms", "ttft_ms", "cache_hit", "stream",
            "guardrails", "session_id", "api_key")


# Ids need to be unique, not secret: a PRNG seeded from the OS is ~100x cheaper than os.urandom per id.
_ids = random.Random(os.urandom(32))
os.register_at_fork(after_in_child=lambda: _ids.seed(os.urandom(32)))


def new_trace_id() -> str:
    """A random 32-hex trace id (the OpenTelemetry format)."""
    return f"{_ids.getrandbits(128):032x}"


def new_span_id() -> str:
    """A random 16-hex span id."""
    return f"{_ids.getrandbits(64):016x}"


class TraceService(TraceViews):
    """Traces of one project: write, list (keyset pages, filters, search), view, spans, sessions."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    # -- writing -----------------------------------------------------------------------------------

    def record(self, records: list[dict[str, Any]]) -> int:
        """Write trace records (any project; ``project`` defaults to this one); return how many were new.

        Every field is bounded first (see :mod:`genloop.tracing._bounds`); a record whose id is not 32 hex
        characters is refused (:class:`InvalidInput`), and so is one whose trace belongs to another project
        (:class:`Forbidden`), before anything is written.
        """
        for rec in records:
            if not isinstance(rec, dict):
                raise InvalidInput("every trace record must be an object")
            rec.setdefault("project", self.project)
            check_trace_id(rec.get("id"))
            bound_record(rec)
        return len(self.store.db.write(lambda session: write_records(session, records, self.actor)))

    def owners(self, trace_ids: list[str]) -> dict[str, str]:
        """The project of each of ``trace_ids`` that is stored (ids not stored yet are left out)."""
        with self.store.db.read() as session:
            return trace_owners(session, trace_ids)

    # -- reading -----------------------------------------------------------------------------------

    def get(self, trace_id: str) -> TraceInfo:
        """One trace with its spans and its feedback."""
        with self.store.db.read() as session:
            from genloop.store._ids import expand_id
            from genloop.store._registry import find_project

            project = find_project(session, self.project)
            if project is not None:  # a unique prefix stands for the whole id
                trace_id = expand_id(session, TraceRow.id, trace_id, "trace", TraceRow.project_id == project.id)
            found = session.execute(
                select(TraceRow, Project.name).join(Project, Project.id == TraceRow.project_id)
                .where(TraceRow.id == trace_id.strip().lower(), Project.name == self.project)
            ).first()
            if found is None:
                raise NotFound(f"project {self.project!r} has no trace {trace_id!r}",
                               hint="traces reach the store within a second of the response; list them with "
                                    "genloop traces list")
            spans = session.scalars(select(SpanRow).where(SpanRow.trace_id == found[0].id).order_by(SpanRow.id))
            info = _info(found[0], found[1])
            info.spans = [_span(s) for s in spans]
            info.feedback = FeedbackService.for_traces(session, [info.id], found[0].project_id).get(info.id, [])
            return info

    def list(
        self,
        *,
        deployment: str | None = None,
        variant: str | None = None,
        status: str | None = None,
        user: str | None = None,
        session_id: str | None = None,
        model: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        metadata: dict[str, str] | None = None,
        guardrail: str | None = None,
        feedback: bool | None = None,
        search: str | None = None,
        cursor: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> TracePage:
        """Traces, newest first, filtered by deployment, variant, status, user, session, model, time range,
        metadata, guardrail action (``any`` or one action), feedback present (True/False) and ``search``
        (words in the input or output, through the full-text index).

        Page with ``cursor`` (the previous page's ``next_cursor``: keyset, deep pages stay fast) or with
        ``offset`` (kept for old callers; cost grows with the offset). ``total`` is exact up to
        :data:`COUNT_CAP`; past it ``total_exact`` is False.
        """
        offset, limit = self.store.page_bounds(offset, limit)
        if cursor and offset:
            raise InvalidInput("pass either cursor or offset, not both", hint="cursor pages need no offset")
        filters = TraceFilters(deployment=deployment, variant=variant, status=status, user=user,
                               session_id=session_id, model=model, since=since, until=until, metadata=metadata,
                               guardrail=guardrail, feedback=feedback, search=search)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                filters.apply(select(TraceRow), 0, "sqlite")  # bad filters are refused even here
                return TracePage(items=[], total=0, offset=offset, limit=limit)
            dialect = session.get_bind().dialect.name
            driver = filters.small_driver(session, project.id, dialect)
            keys = filters.apply(select(TraceRow.id, TraceRow.started_at), project.id, dialect,
                                 drive=driver is not None)
            if filters.only_driver() and filters.search is None:  # feedback=True alone: count the feedback set
                total, exact = (driver, True) if driver is not None else filters.rated_count(session, project.id)
            else:
                total, exact = bounded_count(session, keys)
            if cursor:
                keys = after_cursor(keys, cursor)
            # the page's keys first (an index-only walk), then its rows
            found = session.execute(newest_first(keys).offset(offset).limit(limit + 1)).all()
            more = len(found) > limit
            found = found[:limit]
            rows = {r.id: r for r in session.scalars(select(TraceRow).where(TraceRow.id.in_([f[0] for f in found])))}
            items = [_info(rows[f[0]], project.name) for f in found if f[0] in rows]
            last = found[-1] if found else None
            return TracePage(items=items, total=total, total_exact=exact, offset=offset, limit=limit,
                             next_offset=offset + len(items) if more and not cursor else None,
                             next_cursor=encode_cursor(last[1], last[0]) if more and last else None)


def check_trace_id(value: Any) -> str:
    """``value`` if it is a 32-hex trace id (lower case), else :class:`InvalidInput`."""
    if not isinstance(value, str) or not _TRACE_ID.fullmatch(value):
        raise InvalidInput(f"invalid trace id {str(value)[:80]!r}: a trace id is 32 lower-case hex characters",
                           hint="use the x-genloop-trace-id response header, or genloop.tracing.new_trace_id()")
    return value


def trace_owners(session: Session, trace_ids: list[str]) -> dict[str, str]:
    """The project name of each stored trace among ``trace_ids``."""
    if not trace_ids:
        return {}
    rows = session.execute(select(TraceRow.id, Project.name).join(Project, Project.id == TraceRow.project_id)
                           .where(TraceRow.id.in_(list(set(trace_ids)))))
    return {tid: name for tid, name in rows}


def write_records(session: Session, records: list[dict[str, Any]], actor: str) -> list[dict[str, Any]]:
    """Insert the records whose trace id is new (spans of known OTLP traces are merged); return the new ones.

    A trace belongs to the project that wrote it first: a record of another project with the same id
    raises :class:`Forbidden` (the writer then isolates that record), so nothing attaches across projects.
    """
    if not records:
        return []
    for rec in records:
        check_trace_id(rec.get("id"))
        bound_scalars(rec)
    records = _without_erased(session, records)
    if not records:
        return []
    owners = trace_owners(session, [r["id"] for r in records])
    existing = set(owners)
    projects: dict[str, int] = {}
    rows, spans, new = [], [], []
    batch_spans: dict[str, set[str]] = {}  # span ids of the traces inserted by this batch
    for rec in records:
        tid = rec["id"]
        name = rec.get("project") or "default"
        owner = owners.get(tid)
        if owner is not None and owner != name:
            raise Forbidden(f"trace {tid} belongs to project {owner!r}; project {name!r} may not write to it",
                            hint="send spans and feedback with a key of the trace's own project")
        if owner is not None:
            if rec.get("source") == "otlp" and rec.get("spans"):
                if tid in existing:
                    spans.extend(_merge_spans(session, tid, rec["spans"]))
                else:  # a second export of a trace this batch inserts
                    known = batch_spans.setdefault(tid, set())
                    added = [_span_row(tid, s) for s in rec["spans"] if s.get("span_id") not in known]
                    known.update(s["span_id"] for s in added)
                    spans.extend(added)
            continue
        owners[tid] = name
        if name not in projects:
            projects[name] = ensure_project(session, name, actor).id
        rows.append(_row(rec, projects[name]))
        mine = [_span_row(tid, s) for s in rec.get("spans") or ()]
        batch_spans[tid] = {s["span_id"] for s in mine}
        spans.extend(mine)
        new.append(rec)
    if rows:
        _insert(session, TRACES, rows)
    if spans:
        _insert(session, SPANS, spans)
    return new


def _without_erased(session: Session, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records no erasure covers: an erasure of the record's project, user and/or session that ran after the
    trace started (the trace waited in a spool while its subject was erased) drops it. One indexed query, made only
    when the batch carries user or session ids: about 2 us a trace in batches of 500, beside ~150 us to write one
    (SQLite, this repository's 2-core machine)."""
    users = {r["user"] for r in records if isinstance(r.get("user"), str)}
    sessions = {r["session_id"] for r in records if isinstance(r.get("session_id"), str)}
    if not users and not sessions:
        return records
    erasures = session.execute(
        select(Project.name, TraceErasureRow.user_id, TraceErasureRow.session_id, TraceErasureRow.erased_at)
        .join(Project, Project.id == TraceErasureRow.project_id)
        .where(or_(TraceErasureRow.user_id.in_(users), TraceErasureRow.session_id.in_(sessions)))).all()
    if not erasures:
        return records

    def erased(rec: dict[str, Any]) -> bool:
        started = _time(rec.get("started_at"))
        return any(project == (rec.get("project") or "default") and (user is None or user == rec.get("user"))
                   and (sid is None or sid == rec.get("session_id")) and started <= at
                   for project, user, sid, at in erasures)

    kept = [rec for rec in records if not erased(rec)]
    if len(kept) < len(records):
        log.info("dropped %d trace(s) whose subject was erased while they waited to be written",
                 len(records) - len(kept))
    return kept


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """executemany, never the ORM's bulk path: the writer shares the GIL with the hot path.

    On SQLite the values are encoded here (orjson, the store's timestamp text) and sent straight to the
    driver, which costs a fraction of SQLAlchemy's per-value processing; elsewhere Core does the work.
    """
    if session.get_bind().dialect.name != "sqlite":
        session.execute(table.insert(), rows)
        return
    plan = _SQLITE_PLANS.get(table.name) or _sqlite_plan(table)
    sql, fields = plan
    params = [tuple(_encode(row.get(name), kind) for name, kind in fields) for row in rows]
    session.connection().exec_driver_sql(sql, params)


_SQLITE_PLANS: dict[str, tuple[str, list[tuple[str, str]]]] = {}


def _sqlite_plan(table: Any) -> tuple[str, list[tuple[str, str]]]:
    """The INSERT statement of ``table`` and how to encode each column (json, time, bool or as is)."""
    columns = [c for c in table.columns if not (table is SPANS and c.name == "id")]
    fields = []
    for column in columns:
        kind = column.type
        impl = getattr(kind, "impl", None)
        if isinstance(kind, JSON) or isinstance(impl, JSON):
            fields.append((column.name, "json"))
        elif isinstance(kind, UTCDateTime):
            fields.append((column.name, "time"))
        elif isinstance(kind, Boolean):
            fields.append((column.name, "bool"))
        else:
            fields.append((column.name, ""))
    names = ", ".join('"' + c.name + '"' for c in columns)
    sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    _SQLITE_PLANS[table.name] = (sql, fields)
    return sql, fields


def _encode(value: Any, kind: str) -> Any:
    if value is None or not kind:
        return value
    if kind == "json":
        return orjson.dumps(value, default=str).decode()
    if kind == "time":
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    return int(bool(value))


def _merge_spans(session: Session, trace_id: str, spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    known = set(session.scalars(select(SpanRow.span_id).where(SpanRow.trace_id == trace_id)))
    return [_span_row(trace_id, s) for s in spans if s.get("span_id") not in known]


def _row(rec: dict[str, Any], project_id: int) -> dict[str, Any]:
    row: dict[str, Any] = {c: rec.get(c) for c in _COLUMNS}
    row["id"] = rec["id"]
    row["project_id"] = project_id
    row["user_id"] = rec.get("user")
    row["metadata"] = rec.get("metadata") or {}
    row["source"] = row["source"] or "gateway"
    row["name"] = row["name"] or ""
    row["status"] = row["status"] or "ok"
    row["guardrail_action"] = strongest_action(row["guardrails"])
    row["cache_hit"] = bool(row["cache_hit"])
    row["stream"] = bool(row["stream"])
    for column, size in _LIMITS.items():
        value = row.get(column)
        if isinstance(value, str) and len(value) > size:
            row[column] = value[:size]
    row["started_at"] = _time(rec.get("started_at"))
    row["created_at"] = dt.datetime.now(dt.UTC)
    return row


def _span_row(trace_id: str, span: dict[str, Any]) -> dict[str, Any]:
    parent = span.get("parent_span_id")
    return {"trace_id": trace_id, "span_id": str(span.get("span_id") or new_span_id())[:16],
            "parent_span_id": str(parent)[:16] if parent else None, "name": str(span.get("name") or "")[:256],
            "kind": str(span.get("kind") or "internal")[:16], "status": str(span.get("status") or "ok")[:16],
            "started_at": _time(span.get("started_at")), "duration_ms": span.get("duration_ms"),
            "attributes": span.get("attributes") or {}}


def _time(value: Any) -> dt.datetime:
    """A stored timestamp: ``value`` (epoch seconds, datetime or ISO text) when in range, else now."""
    seconds = bound_timestamp(value) if value is not None else None
    if seconds is None:
        return dt.datetime.now(dt.UTC)
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _info(row: TraceRow, project: str) -> TraceInfo:
    data = {c: getattr(row, c) for c in _COLUMNS}
    return TraceInfo(id=row.id, project=project, user=row.user_id, metadata=row.metadata_ or {},
                     started_at=row.started_at, **data)


def _span(row: SpanRow) -> SpanInfo:
    return SpanInfo(span_id=row.span_id, parent_span_id=row.parent_span_id, name=row.name, kind=row.kind,
                    status=row.status, started_at=row.started_at, duration_ms=row.duration_ms,
                    attributes=row.attributes or {})
