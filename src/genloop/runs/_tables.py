"""Tables of the runs package: runs, their metric series, artifacts and lineage edges."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (Index("ix_runs_project_time", "project_id", "started_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))  # eval | tune | data | optimize | pipeline | ...
    name: Mapped[str] = mapped_column(String(256), default="")
    status: Mapped[str] = mapped_column(String(16), default="running")
    params: Mapped[Any] = mapped_column(JSONType, default=dict)
    metrics: Mapped[Any] = mapped_column(JSONType, default=dict)
    summary: Mapped[Any] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(String, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class RunMetricPoint(Base):
    """One point of a metric series (a loss curve): ``(key, step, value)``."""

    __tablename__ = "run_metric_points"
    __table_args__ = (Index("ix_run_metric_points_run_key", "run_id", "key", "step"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(128))
    step: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunArtifactRow(Base):
    __tablename__ = "run_artifacts"
    __table_args__ = (UniqueConstraint("run_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(256))
    artifact_key: Mapped[str] = mapped_column(String(512))
    size_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RunRefRow(Base):
    """A lineage edge: the run read (``input``) or wrote (``output``) one version of an entity."""

    __tablename__ = "run_refs"
    __table_args__ = (
        UniqueConstraint("run_id", "direction", "entity_type", "entity_name", "version"),
        Index("ix_run_refs_entity", "entity_type", "entity_name", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))  # input | output
    entity_type: Mapped[str] = mapped_column(String(32))  # dataset | prompt | model | trace ...
    entity_name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int | None] = mapped_column(Integer, nullable=True)
