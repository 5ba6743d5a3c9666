"""A trace belongs to one project: feedback and spans from another project's key are refused and never attach."""

from __future__ import annotations

import time

import httpx
import pytest

from genloop.auth import KeyService, install_auth
from genloop.errors import NotFound
from genloop.feedback import FeedbackService
from genloop.tracing import TraceService, new_trace_id


def _trace(store, project: str) -> str:  # type: ignore[no-untyped-def]
    tid = new_trace_id()
    TraceService(store, project).record([{"id": tid, "name": "chat", "started_at": time.time(),
                                          "spans": [{"span_id": "ab" * 8, "name": "own"}]}])
    return tid


def test_feedback_from_another_project_is_refused(store) -> None:  # type: ignore[no-untyped-def]
    tid = _trace(store, "alpha")
    with pytest.raises(NotFound):
        FeedbackService(store, "beta").create(tid, value=0.0, comment="sabotage")
    FeedbackService(store, "alpha").create(tid, value=1.0)
    assert [f.value for f in TraceService(store, "alpha").get(tid).feedback] == [1.0]
    # feedback on a trace that is not stored (yet) is refused after a short wait: it cannot be attached later
    early = new_trace_id()
    with pytest.raises(NotFound):
        FeedbackService(store, "beta").create(early, value=0.5)
    TraceService(store, "alpha").record([{"id": early, "name": "late", "started_at": time.time()}])
    assert TraceService(store, "alpha").get(early).feedback == []


def test_rest_writes_on_another_projects_trace_are_refused(store) -> None:  # type: ignore[no-untyped-def]
    from genloop.server import BackgroundServer, create_app

    tid = _trace(store, "alpha")
    intruder = KeyService(store, "beta").create("w", scopes=["read", "write"])
    app = create_app(store)
    install_auth(app, store)
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url + "/api/v1",
                                                   headers={"authorization": f"Bearer {intruder.key}"}) as http:
        spans = {"records": [{"id": tid, "source": "otlp", "spans": [{"span_id": "cd" * 8, "name": "injected"}]}]}
        answer = http.post("/projects/beta/traces", json=spans)
        assert answer.status_code == 403, answer.text
        answer = http.post("/projects/beta/feedback", json={"trace_id": tid, "value": 0})
        assert answer.status_code == 404, answer.text
    shown = TraceService(store, "alpha").get(tid)
    assert [s.name for s in shown.spans] == ["own"] and shown.feedback == []
