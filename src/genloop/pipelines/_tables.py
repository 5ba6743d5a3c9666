"""Tables of the pipelines package: named pipelines, their immutable spec versions, and the steps of each run.

A pipeline run is a row of ``runs`` (kind ``pipeline``); each of its steps is a row here, which points at
the GenLoop run the step executed as (kind ``pipeline-step``) and holds its cache key, outputs and log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow


class PipelineRow(Base):
    __tablename__ = "pipelines"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(String, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class PipelineVersionRow(Base):
    """One immutable pipeline version: the whole spec (params and steps) as JSON."""

    __tablename__ = "pipeline_versions"
    __table_args__ = (UniqueConstraint("pipeline_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    spec: Mapped[Any] = mapped_column(JSONType)
    message: Mapped[str] = mapped_column(String, default="")
    content_hash: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class PipelineStepRow(Base):
    """One step of one pipeline run: its state, the run it executed as, its cache key, outputs and log."""

    __tablename__ = "pipeline_steps"
    __table_args__ = (
        UniqueConstraint("run_id", "step"),
        Index("ix_pipeline_steps_cache", "project_id", "cache_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    step_run_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    cache_key: Mapped[str | None] = mapped_column(String(80), nullable=True)
    cached_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    outputs: Mapped[Any] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    log: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
