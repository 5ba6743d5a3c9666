"""Which traces a saved filter chooses: SQL narrows by project, deployment, variant, status and time; feedback
and judge conditions are SQL subqueries; the guardrail action and the deterministic sample are checked on the
streamed ids (a few columns per row, read in chunks, so a million traces fit in memory as ids only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput
from genloop.feedback._tables import FeedbackRow
from genloop.review._fill import sampled
from genloop.review._schemas import TraceFilter
from genloop.tracing._tables import TraceRow

__all__ = ["matching_traces"]


def matching_traces(session: Session, project_id: int, spec: TraceFilter) -> Iterator[str]:
    """Ids of the matching traces, oldest first, sampled and capped at ``spec.limit``."""
    _check(spec)
    T, F = TraceRow, FeedbackRow
    query = select(T.id, T.guardrails if spec.guardrail_action else T.status).where(T.project_id == project_id)
    if spec.deployment:
        query = query.where(T.deployment == spec.deployment)
    if spec.variant:
        query = query.where(T.variant == spec.variant)
    if spec.status:
        query = query.where(T.status == spec.status)
    if spec.since:
        query = query.where(T.started_at >= _aware(spec.since))
    if spec.until:
        query = query.where(T.started_at < _aware(spec.until))
    if spec.feedback_name or spec.feedback_min is not None or spec.feedback_max is not None:
        cond = [F.trace_id == T.id, F.project_id == project_id]
        if spec.feedback_name:
            cond.append(F.name == spec.feedback_name)
        if spec.feedback_min is not None:
            cond.append(F.value_number >= spec.feedback_min)
        if spec.feedback_max is not None:
            cond.append(F.value_number <= spec.feedback_max)
        query = query.where(exists().where(*cond))
    if spec.judge_below is not None:
        cond = [F.trace_id == T.id, F.project_id == project_id, F.source == "judge", F.value_number < spec.judge_below]
        if spec.judge:
            cond.append(F.name == spec.judge)
        query = query.where(exists().where(*cond))
    kept = 0
    result = session.execute(query.order_by(T.started_at, T.id).execution_options(yield_per=5000))
    try:  # a server-side cursor on PostgreSQL: closed when the limit stops early too
        for trace_id, extra in result:
            if spec.guardrail_action and not any(isinstance(f, dict) and f.get("action") == spec.guardrail_action
                                                 for f in extra or []):
                continue
            if not sampled(trace_id, spec.sample_rate, spec.seed):
                continue
            yield trace_id
            kept += 1
            if spec.limit is not None and kept >= spec.limit:
                return
    finally:
        result.close()


def _check(spec: TraceFilter) -> None:
    if spec.since and spec.until and _aware(spec.since) >= _aware(spec.until):
        raise InvalidInput("since must be before until")
    if spec.feedback_min is not None and spec.feedback_max is not None and spec.feedback_min > spec.feedback_max:
        raise InvalidInput(f"feedback_min ({spec.feedback_min}) is above feedback_max ({spec.feedback_max})")
    if spec.judge and spec.judge_below is None:
        raise InvalidInput("judge needs judge_below", hint="e.g. judge=helpfulness judge_below=3")


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
