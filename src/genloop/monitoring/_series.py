"""The series a monitor reads, each one SQL aggregate over stored traces or feedback in a time window.

Gateway signals (shadow copies left out): ``requests``, ``error_rate`` (share with status ``error``),
``rate_limited`` (answers with HTTP 429), ``p95_latency_ms`` (nearest rank: ``percentile_disc`` on
PostgreSQL, the same rank by ``ORDER BY ... OFFSET`` on SQLite), ``cost_per_hour``, ``guardrail_hit_rate``
(share with any guardrail action). ``feedback_mean:NAME`` is the mean numeric feedback of that name
(an online evaluator's scores are feedback named after it) on traces that started in the window.
``drift:SIGNAL`` is the drift statistic of a drift signal (the recent window against the one before).
A deployment's gateway signals read only the covering index ``ix_traces_monitoring`` (migration 0011).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Float, and_, case, cast, func, select
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput

__all__ = ["GATEWAY_SIGNALS", "SeriesValue", "check_signal", "series_value"]

GATEWAY_SIGNALS = ("requests", "error_rate", "rate_limited", "p95_latency_ms", "cost_per_hour", "guardrail_hit_rate")


@dataclass(frozen=True)
class SeriesValue:
    """The value of a signal in a window (None when there is no data) and how many data points it rests on."""

    value: float | None
    count: int


def check_signal(signal: str) -> None:
    """Refuse an unknown signal with the list of known ones."""
    from genloop.monitoring._drift import DRIFT_SIGNALS

    kind, _, arg = signal.partition(":")
    if signal in GATEWAY_SIGNALS or (kind == "feedback_mean" and arg) or (kind == "drift" and arg in DRIFT_SIGNALS):
        return
    raise InvalidInput(f"unknown monitor signal {signal!r}",
                       hint=f"use one of {', '.join(GATEWAY_SIGNALS)}, feedback_mean:NAME or "
                            f"drift:{{{','.join(DRIFT_SIGNALS)}}}")


def series_value(session: Session, project_id: int, signal: str, *, deployment: str | None, variant: str | None,
                 start: dt.datetime, end: dt.datetime) -> SeriesValue:
    """The value of ``signal`` over traces of the project that started in ``[start, end)``."""
    from genloop.tracing._tables import TraceRow

    where = [TraceRow.project_id == project_id, TraceRow.started_at >= start, TraceRow.started_at < end]
    if deployment is not None:
        where.append(TraceRow.deployment == deployment)
    if variant is not None:
        where.append(TraceRow.variant == variant)
    kind, _, arg = signal.partition(":")
    if kind == "feedback_mean":
        from genloop.feedback._tables import FeedbackRow

        row = session.execute(select(func.count(FeedbackRow.id), func.avg(FeedbackRow.value_number))
                              .join(TraceRow, TraceRow.id == FeedbackRow.trace_id)
                              .where(*where, FeedbackRow.project_id == project_id, FeedbackRow.name == arg,
                                     FeedbackRow.value_number.is_not(None))).one()
        return SeriesValue(None if not row[0] else float(row[1]), int(row[0]))
    if kind == "drift":
        from genloop.monitoring._drift import window_drift

        result = window_drift(session, project_id, arg, deployment=deployment, variant=variant, start=start, end=end)
        return SeriesValue(result.statistic, result.recent_count)
    where.append(TraceRow.shadow_of.is_(None))
    if signal == "p95_latency_ms":
        return _p95(session, where)
    one = func.sum
    count, errors, limited, cost, guarded = session.execute(select(
        func.count(),
        one(case((TraceRow.status == "error", 1), else_=0)),
        one(case((TraceRow.http_status == 429, 1), else_=0)),
        func.coalesce(func.sum(TraceRow.cost_usd), 0.0),
        one(case((TraceRow.guardrail_action.is_not(None), 1), else_=0)),
    ).where(*where)).one()
    count = int(count or 0)
    hours = max((end - start).total_seconds(), 1.0) / 3600.0
    if signal == "requests":
        return SeriesValue(float(count), count)
    if signal == "rate_limited":
        return SeriesValue(float(limited or 0), count)
    if signal == "cost_per_hour":
        return SeriesValue(float(cost or 0.0) / hours, count)
    if count == 0:
        return SeriesValue(None, 0)
    if signal == "error_rate":
        return SeriesValue(int(errors or 0) / count, count)
    if signal == "guardrail_hit_rate":
        return SeriesValue(int(guarded or 0) / count, count)
    raise InvalidInput(f"unknown monitor signal {signal!r}")


def _p95(session: Session, where: list) -> SeriesValue:  # type: ignore[type-arg]
    from genloop.tracing._tables import TraceRow

    latency = TraceRow.latency_ms
    where = [*where, latency.is_not(None)]
    if session.get_bind().dialect.name == "postgresql":
        count, value = session.execute(select(func.count(), func.percentile_disc(0.95).within_group(latency))
                                       .where(and_(*where))).one()
        return SeriesValue(None if not count or value is None else float(value), int(count))
    count = int(session.scalar(select(func.count()).where(*where)) or 0)
    if count == 0:
        return SeriesValue(None, 0)
    rank = max(math.ceil(0.95 * count) - 1, 0)
    # from the top: SQLite's sorter then keeps only the slowest 5% (LIMIT + OFFSET bound it), not the window
    value = session.scalar(select(cast(latency, Float)).where(*where).order_by(latency.desc())
                           .offset(count - 1 - rank).limit(1))
    return SeriesValue(None if value is None else float(value), count)
