"""Online evaluation: score a deterministic sample of a deployment's stored traces, out of the request path.

One pass per evaluator (:meth:`OnlineScorer.run`): read the ids of the traces stored after the evaluator's
cursor and at least ``delay_s`` ago (never less than ``SETTLE_S``, so a batch still committing is not passed
over), in keyset order ``created_at, id`` (the order traces reach the store, so a trace written late by a
writer that was behind is still seen), keep those in the sample,
take as many as the budget allows (judge calls per minute, USD per UTC day), score them, then write the
scores (feedback with source ``judge``), the new cursor and the spend in **one transaction**: a crash
before it repeats the pass, never a score. The cursor stops before the first trace a judge could not score
(the judge is down, a timeout): nothing false is recorded and the next pass retries from there, within the
budget. An answer the judge gives that cannot be read as a score records nothing and is passed over.

The sample: a trace is in it when ``blake2b(trace_id)`` as a fraction of 2**64 is below ``sample_rate``;
every evaluator uses the same hash, so evaluators at one rate score the same traces.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from genloop.monitoring._schemas import EvaluatorSpec
from genloop.monitoring._tables import EvaluatorRow
from genloop.store import Store, utcnow

__all__ = ["OnlineScorer", "PassResult", "in_sample"]

SETTLE_S = 5.0  # seconds a stored trace waits at least: writers' transactions commit well within it
_PAGE = 5000  # trace ids read per pass
_BATCH_PER_SLOT = 4  # judge calls per pass: at most concurrency * this (bounds the overshoot of a cost cap)


def in_sample(trace_id: str, rate: float) -> bool:
    """Whether ``trace_id`` is in a ``rate`` sample (deterministic; the same for every evaluator)."""
    if rate >= 1.0:
        return True
    digest = hashlib.blake2b(trace_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < rate * 2.0**64


@dataclass
class PassResult:
    """What one pass of one evaluator did."""

    scored: int = 0
    skipped: int = 0  # sampled traces that got no score (unreadable judge answer, no text to judge)
    error: str | None = None
    caught_up: bool = True
    advanced: bool = False  # the cursor moved
    notes: list[str] = field(default_factory=list)


class _Bucket:
    """Judge calls per minute: a token bucket, full at start."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.tokens = float(per_minute)
        self.at = time.monotonic()

    def available(self) -> int:
        now = time.monotonic()
        self.tokens = min(float(self.per_minute), self.tokens + (now - self.at) * self.per_minute / 60.0)
        self.at = now
        return int(self.tokens)

    def take(self, n: int) -> None:
        self.tokens -= n


class OnlineScorer:
    """Runs evaluator passes on a store. ``providers`` maps a provider name to a ready Provider object (tests
    and embedders supply a scripted judge this way, as with the evaluation engine's executor)."""

    def __init__(self, store: Store, *, providers: dict[str, Any] | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.providers = providers
        self.clock = clock
        self._buckets: dict[int, _Bucket] = {}

    def run(self, evaluator_id: int) -> PassResult:
        """One pass of the evaluator with this id (a no-op when it is paused or gone)."""
        from genloop.tracing._tables import TraceRow

        with self.store.db.read() as session:
            row = session.get(EvaluatorRow, evaluator_id)
            if row is None or not row.enabled:
                return PassResult()
            project_id, project = row.project_id, _project_name(session, row.project_id)
            spec = EvaluatorSpec.model_validate({**row.spec, "name": row.name, "deployment": row.deployment})
            start = (row.cursor_time, row.cursor_id)
            spent = row.spent_usd if row.spent_day == _today() else 0.0
            horizon = self.clock() - dt.timedelta(seconds=max(spec.delay_s, SETTLE_S))
            conditions = [TraceRow.project_id == project_id, TraceRow.deployment == spec.deployment,
                          TraceRow.created_at <= horizon]
            if spec.variant is not None:
                conditions.append(TraceRow.variant == spec.variant)
            if spec.status is not None:
                conditions.append(TraceRow.status == spec.status)
            if spec.model is not None:
                conditions.append(TraceRow.model == spec.model)
            if start[0] is not None:
                conditions.append(or_(TraceRow.created_at > start[0],
                                      and_(TraceRow.created_at == start[0], TraceRow.id > (start[1] or ""))))
            ids = session.execute(select(TraceRow.id, TraceRow.created_at).where(*conditions)
                                  .order_by(TraceRow.created_at, TraceRow.id).limit(_PAGE)).all()
        result = PassResult(caught_up=len(ids) < _PAGE)
        if not ids:
            return result
        bucket = self._buckets.get(evaluator_id)
        if bucket is None or bucket.per_minute != spec.max_calls_per_minute:
            bucket = self._buckets[evaluator_id] = _Bucket(spec.max_calls_per_minute)
        allowed = len(ids)
        if spec.judge is not None:
            allowed = min(bucket.available(), spec.concurrency * _BATCH_PER_SLOT)
            if spec.max_cost_per_day is not None and spent >= spec.max_cost_per_day:
                allowed = 0
                result.notes.append(f"cost cap ${spec.max_cost_per_day:g} per day reached")
        todo: list[str] = []
        stop = len(ids)  # index of the first trace the pass does not get past
        for index, (trace_id, _started) in enumerate(ids):
            if in_sample(trace_id, spec.sample_rate):
                if len(todo) >= allowed:
                    stop = index
                    result.caught_up = False
                    break
                todo.append(trace_id)
        budget = None if spec.max_cost_per_day is None else max(spec.max_cost_per_day - spent, 0.0)
        scores, failed_at, error = self._score(spec, project, todo, budget)
        if spec.judge is not None:
            bucket.take(len(scores) + (1 if failed_at is not None else 0))
        if failed_at is not None:
            stop = next(i for i, (tid, _s) in enumerate(ids) if tid == todo[failed_at])
            result.error, result.caught_up = error, False
        cursor = ids[stop - 1] if stop > 0 else None
        result.advanced = cursor is not None
        result.error = error
        kept = [s for s in scores if s is not None]
        result.scored, result.skipped = len(kept), len(scores) - len(kept)
        cost = sum(s.get("cost", 0.0) for s in scores if s is not None)
        self._commit(evaluator_id, start, cursor, kept, cost, error, spec, project_id)
        return result

    def _score(self, spec: EvaluatorSpec, project: str, trace_ids: list[str], budget: float | None = None
               ) -> tuple[list[dict[str, Any] | None], int | None, str | None]:
        """Scores of the traces in order (None: nothing to record), up to the first that failed (its index; None
        when none did), and the error (also of a metric that failed on an output, which is passed over)."""
        if not trace_ids:
            return [], None, None
        from genloop.tracing._tables import TraceRow

        with self.store.db.read() as session:
            found = {r.id: r for r in session.scalars(select(TraceRow).where(TraceRow.id.in_(trace_ids)))}
            traces = [_trace_view(found[t]) if t in found else {"trace_id": t, "output": None} for t in trace_ids]
        if spec.metric is not None:
            scores: list[dict[str, Any] | None] = []
            error = None
            for trace in traces:
                try:
                    scores.append(_metric_score(spec, trace))
                except Exception as exc:  # noqa: BLE001 - a metric that fails on one output: nothing recorded, passed over
                    scores.append(None)
                    error = f"{type(exc).__name__}: {exc}"[:2000]
            return scores, None, error
        from genloop.monitoring._judge import judge_traces

        return asyncio.run(judge_traces(self.store, project, spec, traces, self.providers, budget))

    def _commit(self, evaluator_id: int, start: tuple[Any, Any], cursor: Any, scores: list[dict[str, Any]],
                cost: float, error: str | None, spec: EvaluatorSpec, project_id: int) -> None:
        from genloop.feedback._tables import FeedbackRow

        def fn(session: Session) -> None:
            row = session.get(EvaluatorRow, evaluator_id, with_for_update=True)
            if row is None or (row.cursor_time, row.cursor_id) != start:
                return  # deleted, or another worker took this pass: its scores stand, these are dropped
            for score in scores:
                session.add(FeedbackRow(project_id=project_id, trace_id=score["trace_id"], name=row.name,
                                        kind="numeric", value_number=float(score["value"]), source="judge",
                                        metadata_=score["metadata"], created_by=f"evaluator:{row.name}"))
            if cursor is not None:
                row.cursor_time, row.cursor_id = cursor[1], cursor[0]
            today = _today()
            if row.spent_day != today:
                row.spent_day, row.spent_usd = today, 0.0
            row.spent_usd += cost
            row.scored += len(scores)
            row.last_error = error

        self.store.db.write(fn)


def _today() -> str:
    return utcnow().date().isoformat()


def _project_name(session: Session, project_id: int) -> str:
    from genloop.store._registry import Project

    return str(session.scalar(select(Project.name).where(Project.id == project_id)))


def _trace_view(row: Any) -> dict[str, Any]:
    """What a scorer reads of a trace: id, variant, input and answer as text, recorded figures."""
    from genloop.feedback._export_rows import answer_text, chat_messages

    messages = chat_messages(row.input)
    if messages is not None:
        text_in = "\n\n".join(f"{m['role']}: {m['content']}" for m in messages)
    else:
        text_in = row.input if isinstance(row.input, str) else json.dumps(row.input, ensure_ascii=False, default=str)
    answer = answer_text(row.output)
    return {"trace_id": row.id, "variant": row.variant, "deployment": row.deployment, "input": text_in,
            "output": answer, "latency_s": (row.latency_ms or 0.0) / 1000.0, "input_tokens": row.input_tokens,
            "output_tokens": row.output_tokens, "cost": row.cost_usd}


def _metric_score(spec: EvaluatorSpec, trace: dict[str, Any]) -> dict[str, Any] | None:
    from genloop.evals._metrics import resolve_metrics, score_metric

    if trace["output"] is None:
        return None
    (_name, metric), = resolve_metrics([spec.metric])
    value, notes = score_metric(metric, trace["output"], None, trace)
    if value is None:
        return None
    return {"trace_id": trace["trace_id"], "value": value, "cost": 0.0,
            "metadata": {"evaluator": spec.name, "deployment": trace["deployment"], "variant": trace["variant"],
                         **({"notes": notes} if notes else {})}}
