"""Tables of the monitoring package: online evaluators, monitors, their alert history and webhook deliveries."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow
from genloop.tracing._tables import TraceRow


class EvaluatorRow(Base):
    """An online evaluator: a computed metric or a pointwise judge over a sample of one deployment's traces.

    ``cursor_time``/``cursor_id`` is the keyset position (``traces.created_at``, ``traces.id``) of the last
    trace it has dealt with, so a restarted worker resumes where it stopped.
    """

    __tablename__ = "monitoring_evaluators"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    deployment: Mapped[str] = mapped_column(String(128))
    spec: Mapped[Any] = mapped_column(JSONType)  # EvaluatorSpec without name and deployment
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cursor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    spent_day: Mapped[str] = mapped_column(String(10), default="")  # UTC date the spend below counts for
    spent_usd: Mapped[float] = mapped_column(Float, default=0.0)
    scored: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class MonitorRow(Base):
    """A rule over one series (gateway, feedback, judge or drift) with warning/alert thresholds and its state."""

    __tablename__ = "monitoring_monitors"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    spec: Mapped[Any] = mapped_column(JSONType)  # MonitorSpec without name
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    state: Mapped[str] = mapped_column(String(16), default="ok")  # ok | warning | alert | no_data
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    evaluated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notified_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class AlertRow(Base):
    """One change of a monitor's level (``fired``, ``resolved``) or a re-notification; append-only history."""

    __tablename__ = "monitoring_alerts"
    __table_args__ = (Index("ix_monitoring_alerts_project_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    monitor_id: Mapped[int] = mapped_column(ForeignKey("monitoring_monitors.id", ondelete="CASCADE"), index=True)
    monitor: Mapped[str] = mapped_column(String(128))
    event: Mapped[str] = mapped_column(String(16))  # fired | resolved | renotify
    level: Mapped[str] = mapped_column(String(16))  # warning | alert | no_data | ok
    previous: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float, nullable=True)
    threshold: Mapped[float | None] = mapped_column(Float, nullable=True)
    count: Mapped[int] = mapped_column(Integer, default=0)  # data points in the window
    message: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ExportRow(Base):
    """How far the continuous OTLP export to one endpoint has got (``traces.created_at``, ``traces.id``)."""

    __tablename__ = "monitoring_exports"
    __table_args__ = (UniqueConstraint("endpoint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    endpoint: Mapped[str] = mapped_column(String(2048))
    cursor_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cursor_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    exported: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DeliveryRow(Base):
    """One webhook notification of an alert: pending until the receiver answers 2xx, retried with backoff."""

    __tablename__ = "monitoring_deliveries"
    __table_args__ = (Index("ix_monitoring_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("monitoring_alerts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    format: Mapped[str] = mapped_column(String(16), default="json")  # json | slack
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)


# Online evaluators read a deployment's traces in the order they were stored (monitoring/_online.py); the
# index lives with its reader, on the traces table (migration 0011 creates it).
Index("ix_traces_project_deployment_created", TraceRow.project_id, TraceRow.deployment, TraceRow.created_at,
      TraceRow.id)
# The continuous OTLP export reads every project's traces in store order (monitoring/_otlp_export.py).
Index("ix_traces_created", TraceRow.created_at, TraceRow.id)
# Monitors aggregate a deployment's window from this covering index alone (monitoring/_series.py): a 24 h
# window of 1 M traces is read in well under a second without touching the table (bench/bench_monitoring.py).
Index("ix_traces_monitoring", TraceRow.project_id, TraceRow.deployment, TraceRow.started_at, TraceRow.shadow_of,
      TraceRow.variant, TraceRow.status, TraceRow.http_status, TraceRow.latency_ms, TraceRow.cost_usd,
      TraceRow.guardrail_action)
