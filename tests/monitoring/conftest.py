"""Helpers of the monitoring tests: stored traces of a deployment with two variants."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import pytest

from genloop.store import Store
from genloop.tracing import TraceService, new_trace_id


def add_traces(store: Store, n: int, *, deployment: str = "bot", variants: tuple[str, ...] = ("main", "canary"),
               age_s: float = 120.0, project: str = "default", stored_age_s: float = 0.0,
               **fields: Any) -> list[str]:
    """``n`` answered traces of ``deployment`` that started ``age_s`` ago (spread over one second), stored now
    (or ``stored_age_s`` ago)."""
    now = time.time()
    records = []
    for i in range(n):
        tid = new_trace_id()
        records.append({"id": tid, "project": project, "deployment": deployment, "variant": variants[i % len(variants)],
                        "started_at": now - age_s + i / max(n, 1), "status": "ok", "latency_ms": 100.0 + i,
                        "input": {"messages": [{"role": "user", "content": f"question number {i}"}]},
                        "output": {"role": "assistant", "content": f"answer {i} " + "word " * (i % 7)}, **fields})
    TraceService(store, project).record(records)
    if stored_age_s:  # as if the writer had stored them that long ago
        from sqlalchemy import update

        from genloop.store import utcnow
        from genloop.tracing._tables import TraceRow

        ids = [r["id"] for r in records]
        store.db.write(lambda s: s.execute(update(TraceRow).where(TraceRow.id.in_(ids))
                                           .values(created_at=utcnow() - dt.timedelta(seconds=stored_age_s))))
    return [r["id"] for r in records]


@pytest.fixture
def traces(store: Store):  # type: ignore[no-untyped-def]
    return lambda n, **kw: add_traces(store, n, **kw)
