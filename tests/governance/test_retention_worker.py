"""The retention thread purges on its own, and trace writes keep flowing while a large purge runs."""

from __future__ import annotations

import threading
import time

import pytest
from tests.governance.test_retention import _record

from genloop.store import Store


@pytest.mark.slow
def test_writes_keep_flowing_during_a_large_purge(store: Store) -> None:
    from genloop.governance._retention import RetentionService
    from genloop.tracing import TraceService

    traces = TraceService(store)
    for start in range(0, 3000, 500):
        traces.record([_record(i, 40) for i in range(start, start + 500)])
    service = RetentionService(store)
    service.set(traces_days=30)
    done: list[int] = []
    purge = threading.Thread(target=lambda: done.append(service.run(batch_size=100).traces))
    purge.start()
    slowest, written = 0.0, 0
    while purge.is_alive() or written < 5:
        began = time.perf_counter()
        traces.record([_record(10_000 + written, 0)])
        slowest = max(slowest, time.perf_counter() - began)
        written += 1
    purge.join()
    print(f"trace writer: {written} writes during the purge, slowest {slowest * 1000:.0f} ms")
    assert done == [3000]
    assert written >= 5 and slowest < 2.0, f"a trace write waited {slowest:.2f}s behind the purge"
    assert len(traces.list(limit=500).items) == written


def test_worker_thread_runs_every_project(store: Store) -> None:
    from genloop.governance._retention import RetentionService
    from genloop.governance._retention_worker import RetentionWorker
    from genloop.tracing import TraceService

    TraceService(store).record([_record(i, 40) for i in range(3)])
    RetentionService(store).set(traces_days=30)
    worker = RetentionWorker(store)
    worker.start(0.05)
    try:
        deadline = time.monotonic() + 10
        while TraceService(store).list(limit=10).items and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
    assert TraceService(store).list(limit=10).items == []


@pytest.mark.slow
def test_gateway_keeps_answering_during_a_large_purge(store: Store) -> None:
    """Real gateway on loopback (mock provider), real trace writer; a 3000-trace purge runs beside it."""
    import httpx

    from genloop.deployments import DeploymentService
    from genloop.gateway import create_gateway_app
    from genloop.governance._retention import RetentionService
    from genloop.server import BackgroundServer
    from genloop.settings import Settings
    from genloop.tracing import TraceService

    traces = TraceService(store)
    for start in range(0, 3000, 500):
        traces.record([_record(i, 40) for i in range(start, start + 500)])
    DeploymentService(store).create("chat", variants=[{"name": "a", "model": "mock:echo"}])
    service = RetentionService(store)
    service.set(traces_days=30)
    settings = Settings(**{**store.settings.model_dump(), "trace_flush_interval": 0.05})
    app = create_gateway_app(store, settings)
    with BackgroundServer(app) as srv, httpx.Client(base_url=srv.url, timeout=20) as http:
        app.gateway.refresh_now()
        done: list[int] = []
        purge = threading.Thread(target=lambda: done.append(service.run(batch_size=100).traces))
        purge.start()
        slowest, answered = 0.0, 0
        while purge.is_alive() or answered < 5:
            began = time.perf_counter()
            reply = http.post("/v1/chat/completions", json={"model": "chat",
                                                            "messages": [{"role": "user", "content": "hi"}]})
            assert reply.status_code == 200, reply.text
            slowest = max(slowest, time.perf_counter() - began)
            answered += 1
        purge.join()
        assert app.gateway.writer.flush(15)
    print(f"gateway: {answered} requests during the purge, slowest {slowest * 1000:.0f} ms")
    assert done == [3000]
    assert slowest < 2.0, f"a gateway request waited {slowest:.2f}s behind the purge"
    from sqlalchemy import func, select

    from genloop.tracing._tables import TraceRow

    with store.db.read() as session:  # every answer's trace kept, every old one gone
        assert session.scalar(select(func.count()).select_from(TraceRow)) == answered
