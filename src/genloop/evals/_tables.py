"""Tables of the evals package: eval runs (an extension of ``runs``), their items, pairwise verdicts, call cache.

An evaluation is a Run (kind ``eval``); ``eval_runs`` adds the spec and its hash (for resume), ``eval_items``
holds one row per (example, candidate, repeat), ``eval_pairs`` one row per (example, judge, candidate pair,
repeat), and ``model_call_cache`` maps a content hash of (provider, model, messages, parameters) to a reply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from genloop.store import Base, JSONType, UTCDateTime, utcnow

__all__ = ["EvalItemRow", "EvalPairRow", "EvalRunRow", "ModelCallCacheRow"]


class EvalRunRow(Base):
    """The eval-specific half of a Run: the spec as given, its hash, and how many items it plans."""

    __tablename__ = "eval_runs"
    __table_args__ = (Index("ix_eval_runs_hash", "project_id", "spec_hash"),)

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    spec_hash: Mapped[str] = mapped_column(String(80))
    spec: Mapped[Any] = mapped_column(JSONType)
    planned_items: Mapped[int] = mapped_column(Integer, default=0)
    planned_pairs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvalItemRow(Base):
    """One example answered by one candidate (one repeat): inputs, output, reference, scores and judgments."""

    __tablename__ = "eval_items"
    __table_args__ = (
        UniqueConstraint("run_id", "example_id", "candidate", "repeat"),
        Index("ix_eval_items_run_pos", "run_id", "example_index", "candidate", "repeat"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    example_id: Mapped[str] = mapped_column(String(256))
    example_index: Mapped[int] = mapped_column(Integer)
    candidate: Mapped[str] = mapped_column(String(128))
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # ok | error
    inputs: Mapped[Any] = mapped_column(JSONType, default=dict)
    output: Mapped[str | None] = mapped_column(Text, nullable=True)
    reference: Mapped[Any] = mapped_column(JSONType, nullable=True)
    scores: Mapped[Any] = mapped_column(JSONType, default=dict)
    judgments: Mapped[Any] = mapped_column(JSONType, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    latency_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    spent: Mapped[float] = mapped_column(Float, default=0.0)  # USD actually paid in this run (cache hits: 0)
    cached: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class EvalPairRow(Base):
    """One pairwise verdict: candidate A against B on one example, both orders and every sample recorded."""

    __tablename__ = "eval_pairs"
    __table_args__ = (UniqueConstraint("run_id", "judge", "example_id", "candidate_a", "candidate_b", "repeat"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    judge: Mapped[str] = mapped_column(String(128))
    example_id: Mapped[str] = mapped_column(String(256))
    example_index: Mapped[int] = mapped_column(Integer)
    candidate_a: Mapped[str] = mapped_column(String(128))
    candidate_b: Mapped[str] = mapped_column(String(128))
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16))  # ok | unparsed | error
    winner: Mapped[str | None] = mapped_column(String(8), nullable=True)  # a | b | tie | None (no verdict)
    consistent: Mapped[bool | None] = mapped_column(nullable=True)
    orders: Mapped[Any] = mapped_column(JSONType, default=list)  # per order: verdict, samples, explanations
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    cost: Mapped[float | None] = mapped_column(Float, nullable=True)
    spent: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelCallCacheRow(Base):
    """A successful model reply keyed by the content hash of its request. Errors are never stored."""

    __tablename__ = "model_call_cache"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    provider: Mapped[str] = mapped_column(String(64))
    model: Mapped[str] = mapped_column(String(256))
    response: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
