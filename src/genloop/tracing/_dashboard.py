"""Traffic of one deployment per variant over a window, as time series: requests, error rate, latency
p50/p95/p99, tokens, cost and mean feedback score per bucket, plus totals over the whole window.

One bucketed query reads ``(variant, bucket, error, latency, tokens, cost)`` through the
``(project, deployment, time)`` index (the bucket computed by the database, so no timestamp is parsed
in Python); a second averages the feedback of those traces. Shadow calls are left out.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import Float, Integer, case, cast, func, literal, literal_column, select

from genloop.errors import InvalidInput
from genloop.feedback._tables import FeedbackRow
from genloop.store._registry import find_project
from genloop.tracing._tables import TraceRow

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["TrafficSeries", "VariantTraffic", "traffic_series"]

MAX_BUCKETS = 500
MAX_HOURS = 24 * 90


class VariantTraffic(BaseModel):
    """One variant's series (one value per bucket; None where the bucket has no data) and totals."""

    variant: str
    requests: list[int]
    error_rate: list[float | None]
    p50_ms: list[float | None]
    p95_ms: list[float | None]
    p99_ms: list[float | None]
    tokens: list[int]
    cost_usd: list[float]
    feedback: list[float | None] = Field(description="Mean feedback score (booleans count 1/0)")
    totals: dict[str, float | int | None] = Field(default_factory=dict)


class TrafficSeries(BaseModel):
    """A deployment's traffic per variant from ``since`` to ``until`` in ``len(buckets)`` buckets."""

    deployment: str
    since: dt.datetime
    until: dt.datetime
    bucket_s: float
    buckets: list[dt.datetime] = Field(description="Start of each bucket")
    variants: list[VariantTraffic]


def traffic_series(store: Store, project: str, deployment: str, *, hours: float = 24.0, buckets: int = 48,
                   until: dt.datetime | None = None) -> TrafficSeries:
    """The traffic of ``deployment`` over the last ``hours`` (ending ``until``, default now) in ``buckets``."""
    if not 0 < hours <= MAX_HOURS:
        raise InvalidInput(f"invalid window of {hours} hours", hint=f"choose between a minute and {MAX_HOURS} hours")
    if not 1 <= buckets <= MAX_BUCKETS:
        raise InvalidInput(f"invalid bucket count {buckets}", hint=f"choose 1 to {MAX_BUCKETS} buckets")
    end = (until or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    start = end - dt.timedelta(hours=hours)
    width = hours * 3600.0 / buckets
    starts = [start + dt.timedelta(seconds=width * i) for i in range(buckets)]
    with store.db.read() as session:
        found = find_project(session, project)
        if found is None:
            return TrafficSeries(deployment=deployment, since=start, until=end, bucket_s=width, buckets=starts,
                                 variants=[])
        dialect = session.get_bind().dialect.name
        bucket = _bucket(dialect, start, width)
        where = (TraceRow.project_id == found.id, TraceRow.deployment == deployment, TraceRow.started_at >= start,
                 TraceRow.started_at < end, TraceRow.shadow_of.is_(None))
        rows = session.execute(select(
            func.coalesce(TraceRow.variant, ""), bucket, case((TraceRow.status == "error", 1), else_=0),
            TraceRow.latency_ms, func.coalesce(TraceRow.input_tokens, 0) + func.coalesce(TraceRow.output_tokens, 0),
            func.coalesce(TraceRow.cost_usd, 0.0)).where(*where)).all()
        score = func.coalesce(FeedbackRow.value_number, case((FeedbackRow.value_bool.is_(True), 1.0),
                                                             (FeedbackRow.value_bool.is_(False), 0.0)))
        feedback = session.execute(
            select(func.coalesce(TraceRow.variant, ""), bucket, func.sum(score), func.count(score))
            .join(FeedbackRow, FeedbackRow.trace_id == TraceRow.id).where(*where)
            .group_by(literal_column("1"), literal_column("2"))).all()  # by position: one bound expression
    return TrafficSeries(deployment=deployment, since=start, until=end, bucket_s=width, buckets=starts,
                         variants=_series(rows, feedback, buckets))


def _bucket(dialect: str, start: dt.datetime, width: float) -> Any:
    """The bucket index of a trace's start time, computed by the database."""
    if dialect == "postgresql":
        seconds = func.extract("epoch", TraceRow.started_at) - literal(start.timestamp(), Float())
    else:  # SQLite keeps the time as text; julianday reads it
        seconds = (func.julianday(TraceRow.started_at) - func.julianday(literal(
            start.strftime("%Y-%m-%d %H:%M:%S.%f")))) * 86400.0
    return cast(func.floor(seconds / width), Integer) if dialect == "postgresql" else cast(seconds / width, Integer)


def _series(rows: list[Any], feedback: list[Any], n: int) -> list[VariantTraffic]:
    by_variant: dict[str, list[Any]] = {}
    for row in rows:
        by_variant.setdefault(row[0], []).append(row[1:])
    scores: dict[str, dict[int, tuple[float, int]]] = {}
    for variant, index, total, count in feedback:
        if count and 0 <= int(index) < n:
            scores.setdefault(variant, {})[int(index)] = (float(total or 0.0), int(count))
    out = []
    for variant in sorted(set(by_variant) | set(scores)):
        data = np.array(by_variant.get(variant, []), dtype=float).reshape(-1, 5)
        index = np.clip(data[:, 0].astype(int), 0, n - 1)
        requests = np.bincount(index, minlength=n)
        errors = np.bincount(index, weights=data[:, 1], minlength=n)
        tokens = np.bincount(index, weights=data[:, 3], minlength=n)
        cost = np.bincount(index, weights=data[:, 4], minlength=n)
        pct: dict[int, list[float | None]] = {50: [None] * n, 95: [None] * n, 99: [None] * n}
        order = np.argsort(index, kind="stable")
        bounds = np.searchsorted(index[order], np.arange(n + 1))
        latency = data[:, 2][order]
        for b in range(n):
            values = latency[bounds[b]:bounds[b + 1]]
            values = values[~np.isnan(values)]
            if values.size:
                for q, got in zip(pct, np.percentile(values, list(pct)), strict=True):
                    pct[q][b] = round(float(got), 3)
        mine = scores.get(variant, {})
        valid = data[:, 2][~np.isnan(data[:, 2])]
        fb_total = sum(t for t, _ in mine.values())
        fb_count = sum(c for _, c in mine.values())
        overall = np.percentile(valid, [50, 95, 99]) if valid.size else [None] * 3
        out.append(VariantTraffic(
            variant=variant, requests=requests.tolist(),
            error_rate=[round(float(e / r), 4) if r else None for e, r in zip(errors, requests, strict=True)],
            p50_ms=pct[50], p95_ms=pct[95], p99_ms=pct[99], tokens=[int(t) for t in tokens],
            cost_usd=[round(float(c), 6) for c in cost],
            feedback=[round(mine[b][0] / mine[b][1], 4) if b in mine else None for b in range(n)],
            totals={"requests": int(requests.sum()),
                    "error_rate": round(float(errors.sum() / requests.sum()), 4) if requests.sum() else None,
                    "p50_ms": _num(overall[0]), "p95_ms": _num(overall[1]), "p99_ms": _num(overall[2]),
                    "tokens": int(tokens.sum()), "cost_usd": round(float(cost.sum()), 6),
                    "feedback": round(fb_total / fb_count, 4) if fb_count else None}))
    return out


def _num(value: Any) -> float | None:
    return None if value is None else round(float(value), 3)
