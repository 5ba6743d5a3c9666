"""Retention: old traces (with spans, feedback, search index rows) and old feedback go, in batches, audited."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from genloop.errors import InvalidInput
from genloop.store import Store

DAY = 86_400.0


def _record(i: int, age_days: float, user: str = "u1", session: str = "s1") -> dict:  # type: ignore[type-arg]
    from genloop.tracing._service import new_trace_id

    started = time.time() - age_days * DAY
    return {"id": new_trace_id(), "project": "default", "name": "chat.completions", "deployment": "bot",
            "variant": "a", "status": "ok", "started_at": started, "input_tokens": i, "output_tokens": 1,
            "latency_ms": 1.0, "user_id": user, "session_id": session,
            "input": [{"role": "user", "content": f"zebra{'old' if age_days > 30 else 'new'} {i}"}],
            "spans": [{"span_id": f"{i + 1:016x}", "name": "gateway", "kind": "server", "started_at": started}]}


def _seed(store: Store, old: int, new: int) -> tuple[list[str], list[str]]:
    from genloop.feedback import FeedbackService
    from genloop.tracing import TraceService

    olds = [_record(i, 40) for i in range(old)]
    news = [_record(old + i, 1) for i in range(new)]
    TraceService(store).record(olds + news)
    feedback = FeedbackService(store)
    for rec in olds[:3] + news[:2]:
        feedback.create(rec["id"], name="good", value=True)
    return [r["id"] for r in olds], [r["id"] for r in news]


def test_retention_deletes_old_traces_spans_feedback_and_index_in_batches(store: Store) -> None:
    from genloop.audit import AuditService
    from genloop.governance._retention import RetentionService
    from genloop.tracing import TraceService

    olds, news = _seed(store, old=17, new=4)
    service = RetentionService(store, actor="user:lead")
    assert service.set(traces_days=30).traces_days == 30
    result = service.run(batch_size=5)
    assert (result.traces, result.spans, result.feedback) == (17, 17, 3)
    assert result.batches == 4  # 5 + 5 + 5 + 2
    traces = TraceService(store)
    assert {t.id for t in traces.list(limit=100).items} == set(news)
    assert traces.list(search="zebraold", limit=100).items == []  # the full-text index forgot them
    assert len(traces.list(search="zebranew", limit=100).items) == 4
    ran = AuditService(store).list(entity_type="retention", action="run").items[0]
    assert ran.after["traces"] == 17 and ran.after["feedback"] == 3
    assert service.run().traces == 0  # idempotent


def test_feedback_retention_and_bad_input(store: Store) -> None:
    from genloop.feedback._tables import FeedbackRow
    from genloop.governance._retention import RetentionService
    from genloop.store import utcnow

    _seed(store, old=0, new=3)
    service = RetentionService(store)
    with pytest.raises(InvalidInput, match="traces_days must be between 1"):
        service.set(traces_days=0)
    service.set(feedback_days=10)
    assert service.run().feedback == 0  # the feedback is new
    later = service.run(now=utcnow() + dt.timedelta(days=11), batch_size=1)
    assert (later.feedback, later.traces, later.batches) == (2, 0, 2)  # traces have no retention here
    with store.db.read() as session:
        assert session.query(FeedbackRow).count() == 0
