"""Tables of the tracing package: one row per trace (a request) and its spans (OpenTelemetry-shaped)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow


class TraceRow(Base):
    """One request through the gateway or an instrumented app; the id is the 32-hex OpenTelemetry trace id."""

    __tablename__ = "traces"
    __table_args__ = (
        # every filter of the trace list reads an index in (filter, time) order: keyset pages stay cheap
        Index("ix_traces_project_time", "project_id", "started_at", "id"),
        Index("ix_traces_project_deployment_time", "project_id", "deployment", "started_at", "id"),
        Index("ix_traces_project_variant_time", "project_id", "deployment", "variant", "started_at", "id"),
        Index("ix_traces_project_status_time", "project_id", "status", "started_at", "id"),
        Index("ix_traces_project_user_time", "project_id", "user_id", "started_at", "id"),
        Index("ix_traces_project_session_time", "project_id", "session_id", "started_at", "id"),
        Index("ix_traces_project_guardrail_time", "project_id", "guardrail_action", "started_at", "id"),
        # PostgreSQL only: full-text search over the text of input and output (kept by a trigger; SQLite
        # has the traces_fts FTS5 table instead, see migration 0005)
        Index("ix_traces_search", "search", postgresql_using="gin"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16), default="gateway")  # gateway | otlp | sdk
    name: Mapped[str] = mapped_column(String(128), default="")
    deployment: Mapped[str | None] = mapped_column(String(128), nullable=True)
    deployment_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    variant: Mapped[str | None] = mapped_column(String(64), nullable=True)
    shadow_of: Mapped[str | None] = mapped_column(String(32), nullable=True)
    prompt: Mapped[str | None] = mapped_column(String(160), nullable=True)  # name@version
    model: Mapped[str | None] = mapped_column(String(256), nullable=True)  # name@version or provider:model
    provider: Mapped[str | None] = mapped_column(String(64), nullable=True)
    upstream_model: Mapped[str | None] = mapped_column(String(256), nullable=True)
    input: Mapped[Any] = mapped_column(JSONType, nullable=True)
    output: Mapped[Any] = mapped_column(JSONType, nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="ok")  # ok | error | blocked | cancelled
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String, nullable=True)
    error_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    input_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    output_tokens: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)
    latency_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    ttft_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    stream: Mapped[bool] = mapped_column(Boolean, default=False)
    guardrails: Mapped[Any] = mapped_column(JSONType, nullable=True)  # list of findings
    guardrail_action: Mapped[str | None] = mapped_column(String(16), nullable=True)  # strongest action found
    search: Mapped[Any] = mapped_column(Text().with_variant(TSVECTOR(), "postgresql"), nullable=True,
                                        deferred=True)  # PostgreSQL tsvector of input/output text
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    api_key: Mapped[str | None] = mapped_column(String(32), nullable=True)  # the key's visible prefix
    metadata_: Mapped[Any] = mapped_column("metadata", JSONType, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpanRow(Base):
    """One step of a trace (a guardrail pass, an upstream attempt, or any span received over OTLP)."""

    __tablename__ = "spans"
    __table_args__ = (Index("ix_spans_trace", "trace_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trace_id: Mapped[str] = mapped_column(ForeignKey("traces.id", ondelete="CASCADE"))
    span_id: Mapped[str] = mapped_column(String(16))
    parent_span_id: Mapped[str | None] = mapped_column(String(16), nullable=True)
    name: Mapped[str] = mapped_column(String(256), default="")
    kind: Mapped[str] = mapped_column(String(16), default="internal")
    status: Mapped[str] = mapped_column(String(16), default="ok")
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    duration_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    attributes: Mapped[Any] = mapped_column(JSONType, nullable=True)


class TraceErasureRow(Base):
    """An erasure's subject (an end user and/or a session of one project) and when it ran: a trace of that subject
    that started before it and reaches the store only later (it waited in a gateway's spool) is dropped, not
    written (:func:`genloop.tracing._service.write_records`)."""

    __tablename__ = "trace_erasures"
    __table_args__ = (Index("ix_trace_erasures_user", "user_id"), Index("ix_trace_erasures_session", "session_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    session_id: Mapped[str | None] = mapped_column(String(256), nullable=True)
    erased_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
