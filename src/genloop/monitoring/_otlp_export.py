"""OTLP export: stored GenLoop traces sent to an OpenTelemetry collector as OTLP/HTTP protobuf.

Each trace becomes its spans (the ones stored with it, ids and parents kept) under one root span that
carries the trace's fields in the GenAI semantic conventions (``gen_ai.request.model``,
``gen_ai.usage.input_tokens``, ``gen_ai.input.messages`` as JSON ...) and GenLoop's own
(``genloop.deployment``, ``genloop.variant``, ``genloop.cost_usd``). GenLoop's own OTLP ingestion reads the
same names back, so a trace exported to another GenLoop arrives with the same model, tokens, deployment
and messages. Traces are read in keyset pages (``started_at, id``) and sent in batches; a batch the
collector refuses raises :class:`~genloop.errors.ProviderError` after retries, naming how many were sent.

Only the headers the caller passes are sent (a collector's own key); no server credential is attached.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import httpx
import orjson
from sqlalchemy import and_, or_, select

from genloop.errors import Hint, InvalidInput, ProviderError
from genloop.store import Store

__all__ = ["export_new", "export_otlp", "parse_headers", "traces_to_otlp"]

_RETRIES = 4


def export_otlp(store: Store, endpoint: str, *, project: str = "default", since: dt.datetime | None = None,
                until: dt.datetime | None = None, deployment: str | None = None,
                headers: dict[str, str] | None = None, batch: int = 200, http: httpx.Client | None = None) -> int:
    """Send the project's traces that started in ``[since, until)`` to ``endpoint`` (``.../v1/traces``);
    returns how many traces were sent."""
    from genloop.store._registry import find_project
    from genloop.tracing._tables import SpanRow, TraceRow

    if not endpoint.startswith(("http://", "https://")):
        raise InvalidInput(f"OTLP endpoint {endpoint!r} must be an http(s) URL",
                           hint="e.g. http://collector:4318/v1/traces")
    client = http or httpx.Client(timeout=30.0, trust_env=False)
    sent = 0
    after: tuple[dt.datetime, str] | None = None
    try:
        while True:
            with store.db.read() as session:
                found = find_project(session, project)
                if found is None:
                    return 0
                where = [TraceRow.project_id == found.id]
                if since is not None:
                    where.append(TraceRow.started_at >= since)
                if until is not None:
                    where.append(TraceRow.started_at < until)
                if deployment is not None:
                    where.append(TraceRow.deployment == deployment)
                if after is not None:
                    where.append(or_(TraceRow.started_at > after[0],
                                     and_(TraceRow.started_at == after[0], TraceRow.id > after[1])))
                rows = list(session.scalars(select(TraceRow).where(*where)
                                            .order_by(TraceRow.started_at, TraceRow.id).limit(batch)))
                spans: dict[str, list[Any]] = {}
                if rows:
                    for span in session.scalars(select(SpanRow).where(SpanRow.trace_id.in_([r.id for r in rows]))
                                                .order_by(SpanRow.id)):
                        spans.setdefault(span.trace_id, []).append(span)
            if not rows:
                return sent
            body = traces_to_otlp(rows, spans, project=project).SerializeToString()
            _post(client, endpoint, body, headers or {}, sent)
            sent += len(rows)
            after = (rows[-1].started_at, rows[-1].id)
    finally:
        if http is None:
            client.close()


def _post(client: httpx.Client, endpoint: str, body: bytes, headers: dict[str, str], sent: int,
          retries: int = _RETRIES) -> None:
    error = ""
    for attempt in range(retries):
        try:
            response = client.post(endpoint, content=body,
                                   headers={**headers, "content-type": "application/x-protobuf"})
            if response.status_code < 300:
                return
            error = f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code not in (408, 429, 502, 503, 504):
                break
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        if attempt + 1 < retries:
            time.sleep(min(0.5 * 2**attempt, 5.0))
    raise ProviderError(f"the OTLP collector at {endpoint} refused a batch ({error}); {sent} traces were sent "
                        "before it", hint=Hint(cli="check the collector, then export again from where it stopped (--since)",
                                  sdk="check the collector, then export again from where it stopped (since=...)"))


def traces_to_otlp(rows: list[Any], spans: dict[str, list[Any]], *, project: str) -> Any:
    """An ``ExportTraceServiceRequest`` of trace rows and their stored spans."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    _set(resource_spans.resource.attributes, {"service.name": "genloop", "genloop.project": project})
    scope = resource_spans.scope_spans.add()
    scope.scope.name = "genloop"
    for row in rows:
        start = int(row.started_at.timestamp() * 1e9)
        end = start + int((row.latency_ms or 0.0) * 1e6)
        stored = spans.get(row.id, [])
        ids = {s.span_id for s in stored}
        roots = [s for s in stored if not s.parent_span_id or s.parent_span_id not in ids]
        root_id = roots[0].span_id if roots else f"{int(row.id[:16], 16) ^ 0x5A5A5A5A5A5A5A5A:016x}"
        root: Any = None
        if not roots:
            span = root = scope.spans.add()
            span.trace_id, span.span_id = bytes.fromhex(row.id), bytes.fromhex(root_id)
            span.name, span.kind = row.name or "request", Span.SPAN_KIND_SERVER
            span.start_time_unix_nano, span.end_time_unix_nano = start, max(end, start)
        for stored_span in stored:
            span = scope.spans.add()
            span.trace_id, span.span_id = bytes.fromhex(row.id), bytes.fromhex(stored_span.span_id)
            if stored_span.span_id == root_id:
                root = span
            parent = stored_span.parent_span_id or (None if stored_span.span_id == root_id else root_id)
            if parent:
                span.parent_span_id = bytes.fromhex(parent)
            span.name = stored_span.name
            span.kind = _KINDS.get(stored_span.kind, Span.SPAN_KIND_INTERNAL)
            span_start = int(stored_span.started_at.timestamp() * 1e9)
            span.start_time_unix_nano = span_start
            span.end_time_unix_nano = span_start + int((stored_span.duration_ms or 0.0) * 1e6)
            attributes = {k: v for k, v in (stored_span.attributes or {}).items()
                          if k != "otel.events" and not k.startswith("gen_ai.")}
            _set(span.attributes, attributes)
            if stored_span.status == "error":
                span.status.code = Status.STATUS_CODE_ERROR
        _set(root.attributes, _trace_attributes(row))
        if row.status == "error":
            root.status.code = Status.STATUS_CODE_ERROR
            root.status.message = (row.error or "error")[:1000]
    return request


_KINDS = {"internal": 1, "server": 2, "client": 3, "producer": 4, "consumer": 5}


def _trace_attributes(row: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "gen_ai.request.model": row.model, "gen_ai.response.model": row.upstream_model,
        "gen_ai.provider.name": row.provider, "gen_ai.usage.input_tokens": row.input_tokens,
        "gen_ai.usage.output_tokens": row.output_tokens, "gen_ai.usage.cost": row.cost_usd,
        "genloop.deployment": row.deployment, "genloop.variant": row.variant, "genloop.source": row.source,
        "genloop.prompt": row.prompt, "user.id": row.user_id, "session.id": row.session_id,
        "error.type": row.error_type, "http.response.status_code": row.http_status,
    }
    if row.input is not None:
        values["gen_ai.input.messages"] = orjson.dumps(row.input).decode()
    if row.output is not None:
        values["gen_ai.output.messages"] = orjson.dumps(row.output).decode()
    return {k: v for k, v in values.items() if v is not None}


def _set(target: Any, attributes: dict[str, Any]) -> None:
    for key, value in attributes.items():
        kv = target.add()
        kv.key = str(key)
        if isinstance(value, bool):
            kv.value.bool_value = value
        elif isinstance(value, int) and -2**63 <= value < 2**63:
            kv.value.int_value = value
        elif isinstance(value, float):
            kv.value.double_value = value
        elif isinstance(value, str):
            kv.value.string_value = value
        else:
            kv.value.string_value = orjson.dumps(value, default=str).decode()


def parse_headers(text: str | None) -> dict[str, str]:
    """``NAME=VALUE,NAME2=VALUE2`` (``GENLOOP_OTLP_EXPORT_HEADERS``) as a dict."""
    headers: dict[str, str] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"invalid OTLP export header {item.strip()!r}", hint="write NAME=VALUE,NAME2=VALUE2")
        headers[name.strip()] = value.strip()
    return headers


def export_new(store: Store, endpoint: str, *, headers: dict[str, str] | None = None,
               now: dt.datetime | None = None, batch: int = 500, max_batches: int = 20,
               http: httpx.Client | None = None) -> int:
    """Send the traces of every project stored since the last export to ``endpoint`` (the worker's continuous
    export). The position is kept in ``monitoring_exports`` and moves only after the collector accepted a
    batch, so an outage or a restart resumes where it stopped. Returns how many traces were sent."""
    from genloop.monitoring._online import SETTLE_S
    from genloop.monitoring._tables import ExportRow
    from genloop.store import utcnow
    from genloop.store._registry import Project
    from genloop.tracing._tables import SpanRow, TraceRow

    horizon = (now or utcnow()) - dt.timedelta(seconds=SETTLE_S)
    client = http or httpx.Client(timeout=30.0, trust_env=False)
    sent = 0
    try:
        for _ in range(max_batches):
            with store.db.read() as session:
                state = session.scalar(select(ExportRow).where(ExportRow.endpoint == endpoint))
                after = (state.cursor_time, state.cursor_id) if state is not None and state.cursor_id else None
                where = [TraceRow.created_at <= horizon]
                if after is not None:
                    where.append(or_(TraceRow.created_at > after[0],
                                     and_(TraceRow.created_at == after[0], TraceRow.id > after[1])))
                rows = list(session.scalars(select(TraceRow).where(*where)
                                            .order_by(TraceRow.created_at, TraceRow.id).limit(batch)))
                if not rows:
                    return sent
                names = dict(session.execute(select(Project.id, Project.name)
                                             .where(Project.id.in_({r.project_id for r in rows}))).all())
                spans: dict[str, list[Any]] = {}
                for span in session.scalars(select(SpanRow).where(SpanRow.trace_id.in_([r.id for r in rows]))
                                            .order_by(SpanRow.id)):
                    spans.setdefault(span.trace_id, []).append(span)
            request: Any = None
            for project_id in sorted({r.project_id for r in rows}):
                part = traces_to_otlp([r for r in rows if r.project_id == project_id], spans,
                                      project=str(names.get(project_id, project_id)))
                if request is None:
                    request = part
                else:
                    request.resource_spans.extend(part.resource_spans)
            try:
                # one attempt: the next tick retries from the same position
                _post(client, endpoint, request.SerializeToString(), headers or {}, sent, retries=1)
            except ProviderError as exc:
                _save(store, endpoint, None, 0, str(exc)[:2000])
                raise
            last = rows[-1]
            _save(store, endpoint, (last.created_at, last.id), len(rows), None)
            sent += len(rows)
        return sent
    finally:
        if http is None:
            client.close()


def _save(store: Store, endpoint: str, cursor: tuple[dt.datetime, str] | None, count: int, error: str | None) -> None:
    from sqlalchemy.orm import Session

    from genloop.monitoring._tables import ExportRow
    from genloop.store import utcnow

    def fn(session: Session) -> None:
        row = session.scalar(select(ExportRow).where(ExportRow.endpoint == endpoint))
        if row is None:
            row = ExportRow(endpoint=endpoint, exported=0)
            session.add(row)
        if cursor is not None:
            row.cursor_time, row.cursor_id = cursor
        row.exported = (row.exported or 0) + count
        row.last_error, row.updated_at = error, utcnow()

    store.db.write(fn)
