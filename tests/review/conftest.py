"""Review test helpers: a schema with every question type, traces with conversations, a filled queue."""

from __future__ import annotations

from typing import Any

import pytest
from tests.evals.conftest import golden, judge, local  # noqa: F401 - fixtures re-exported

from genloop.review import ReviewService
from genloop.store import Store
from genloop.tracing import TraceService

SCHEMA: list[dict[str, Any]] = [
    {"name": "helpfulness", "type": "likert", "points": ["bad", "poor", "ok", "good", "great"]},
    {"name": "safe", "type": "boolean"},
    {"name": "topic", "type": "categorical", "options": ["billing", "tech", "other"], "required": False},
    {"name": "note", "type": "comment", "required": False},
    {"name": "fix", "type": "edit"},
]


def trace_id(n: int) -> str:
    return f"{n:032x}"


def record_traces(store: Store, n: int, *, project: str = "default", start: int = 1, **fields: Any) -> list[str]:
    """``n`` answered traces (user question, assistant answer), one second apart."""
    ids = [trace_id(start + i) for i in range(n)]
    TraceService(store, project).record([
        {"id": tid, "deployment": "bot", "variant": "v1", "started_at": 1_700_000_000.0 + start + i,
         "input": [{"role": "user", "content": f"question {start + i}"}],
         "output": {"role": "assistant", "content": f"answer {start + i}"}} | fields
        for i, tid in enumerate(ids)])
    return ids


@pytest.fixture
def review(store: Store) -> ReviewService:
    service = ReviewService(store, actor="alice")
    service.create_schema("quality", SCHEMA)
    return service


def as_rater(review: ReviewService, name: str) -> ReviewService:
    return ReviewService(review.store, review.project, actor=name)
