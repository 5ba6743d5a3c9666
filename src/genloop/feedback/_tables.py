"""Tables of the feedback package: scores, labels, comments and corrections on traces (append-only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow


class FeedbackRow(Base):
    """One piece of feedback on a trace or an eval item (``eval_item_id``, from a review queue; no trace then).

    No foreign key: feedback may arrive while its trace is in flight, and outlives a deleted trace or run.
    """

    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_project_time", "project_id", "created_at"),
        Index("ix_feedback_trace", "trace_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    trace_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    eval_item_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    name: Mapped[str] = mapped_column(String(128), default="score")
    kind: Mapped[str] = mapped_column(String(16))  # numeric | boolean | categorical | comment | correction
    value_number: Mapped[float | None] = mapped_column(Float, nullable=True)
    value_bool: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    value_label: Mapped[str | None] = mapped_column(String(256), nullable=True)
    comment: Mapped[str | None] = mapped_column(String, nullable=True)
    correction: Mapped[Any] = mapped_column(JSONType, nullable=True)
    source: Mapped[str] = mapped_column(String(16), default="api")  # human | api | rule | judge
    metadata_: Mapped[Any] = mapped_column("metadata", JSONType, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")
