"""Tables of pipeline triggers and the scheduler's leader lease.

A trigger's ``cursor`` is the evidence it last fired on (a dataset version, a feedback id, an alert id, a cron
time); ``seq`` counts its firings and guards every update (compare and set), and ``pending`` holds a firing
whose pipeline run is not yet recorded, so a crash between the two neither loses it nor runs it twice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow


class TriggerRow(Base):
    __tablename__ = "pipeline_triggers"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    pipeline: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(16))
    spec: Mapped[Any] = mapped_column(JSONType)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[Any] = mapped_column(JSONType, default=dict)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    pending: Mapped[Any] = mapped_column(JSONType, default=dict)  # {} when none
    last_fired_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class LeaseRow(Base):
    """Who leads the schedulers of one database, until when (renewed every tick)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    acquired_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
