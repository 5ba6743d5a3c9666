"""Tables of the review package: rating schemas (versioned), annotation queues, their items, ratings and skips.

An item holds a snapshot of what is rated (``payload``: the conversation, the answer or answers), so a
deleted trace or run leaves its items, ratings and exports intact. ``review_ratings`` has one row per
(item, slot) with ``slot`` in ``0..N-1``: the unique constraint is what lets two raters submitting the same
item at once both keep their rating while a slot is free, and tells the second one the item is done when not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow

__all__ = ["ItemRow", "QueueRow", "RatingRow", "SchemaRow", "SkipRow"]


class SchemaRow(Base):
    """One version of a rating schema: its questions, immutable once written."""

    __tablename__ = "review_schemas"
    __table_args__ = (UniqueConstraint("project_id", "name", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(Text, default="")
    questions: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class QueueRow(Base):
    """An annotation queue: the schema version its items are rated with, N ratings per item, who rates."""

    __tablename__ = "review_queues"
    __table_args__ = (UniqueConstraint("project_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    schema_id: Mapped[int] = mapped_column(ForeignKey("review_schemas.id"))
    ratings_per_item: Mapped[int] = mapped_column(Integer, default=1)
    assignment: Mapped[str] = mapped_column(String(16), default="claim")  # claim | round_robin
    lock_seconds: Mapped[int] = mapped_column(Integer, default=600)
    annotators: Mapped[Any] = mapped_column(JSONType, default=list)  # empty: anyone with write access
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(128), default="")


class ItemRow(Base):
    """One thing to rate: a snapshot of a trace, an eval item, a pair of answers or a dataset row."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("queue_id", "source_key"),
        Index("ix_review_items_queue_open", "queue_id", "done", "position"),
        Index("ix_review_items_queue_lock", "queue_id", "locked_by"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    queue_id: Mapped[int] = mapped_column(ForeignKey("review_queues.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))  # trace | eval_item | eval_pair | dataset_row
    source_key: Mapped[str] = mapped_column(String(200))  # trace id, eval item id, "a_id/b_id", "name@v#row"
    trace_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    eval_item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[Any] = mapped_column(JSONType)
    swapped: Mapped[bool] = mapped_column(Boolean, default=False)  # pairwise: A shown on the right (hidden)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RatingRow(Base):
    """One rater's answers on one item, checked against the schema version they were given under."""

    __tablename__ = "review_ratings"
    __table_args__ = (
        UniqueConstraint("item_id", "slot"),
        UniqueConstraint("item_id", "rater"),
        Index("ix_review_ratings_queue_rater", "queue_id", "rater", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("review_queues.id", ondelete="CASCADE"))
    slot: Mapped[int] = mapped_column(Integer)
    rater: Mapped[str] = mapped_column(String(128))
    answers: Mapped[Any] = mapped_column(JSONType)
    schema_version: Mapped[int] = mapped_column(Integer)
    feedback_ids: Mapped[Any] = mapped_column(JSONType, default=list)
    seconds: Mapped[float | None] = mapped_column(Float, nullable=True)  # from claim to submit
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SkipRow(Base):
    """A rater passed on an item: ``skip`` (not shown to them again) or ``later`` (shown after the rest)."""

    __tablename__ = "review_skips"
    __table_args__ = (UniqueConstraint("item_id", "rater"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id", ondelete="CASCADE"))
    rater: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(8))  # skip | later
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
