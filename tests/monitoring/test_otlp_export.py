"""OTLP export: stored traces sent as OTLP/HTTP protobuf to a real receiver (a second GenLoop's /v1/traces)."""

from __future__ import annotations

import time

import pytest

from genloop.errors import InvalidInput, NotFound, ProviderError
from genloop.monitoring._otlp_export import export_otlp
from genloop.server import BackgroundServer
from genloop.settings import Settings
from genloop.store import Store
from genloop.tracing import TraceService, new_span_id, new_trace_id


def _wait(service: TraceService, trace_id: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 10
    while True:
        try:
            return service.get(trace_id)
        except NotFound:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_traces_arrive_in_another_genloop_with_their_fields(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from genloop.gateway import create_gateway_app

    now = time.time()
    root, child = new_span_id(), new_span_id()
    ids = [new_trace_id() for _ in range(5)]
    TraceService(store).record([
        {"id": tid, "name": "chat", "deployment": "bot", "variant": "canary", "model": "support@3",
         "provider": "openai", "upstream_model": "gpt-x", "started_at": now - 60 + i, "latency_ms": 250.0,
         "input_tokens": 12, "output_tokens": 7, "cost_usd": 0.002, "status": "error" if i == 4 else "ok",
         "error": "upstream 502" if i == 4 else None,
         "input": [{"role": "user", "content": f"question {i}"}], "output": {"role": "assistant", "content": "hi"},
         "spans": [{"span_id": root if i == 0 else new_span_id(), "parent_span_id": None, "name": "chat",
                    "kind": "server", "started_at": now - 60 + i, "duration_ms": 250.0, "attributes": {"a": 1}},
                   *([{"span_id": child, "parent_span_id": root, "name": "upstream", "kind": "client",
                       "started_at": now - 60, "duration_ms": 200.0, "attributes": {"attempt": 1}}] if i == 0 else [])]}
        for i, tid in enumerate(ids)])
    TraceService(store).record([{"id": new_trace_id(), "deployment": "other", "started_at": now - 30}])
    other = Store(Settings(home=tmp_path / "b", database_url=f"sqlite:///{tmp_path}/b.db",
                           artifacts_uri=str(tmp_path / "b-art"), trace_writer="thread", trace_flush_interval=0.05))
    try:
        with BackgroundServer(create_gateway_app(other, other.settings)) as receiver:
            sent = export_otlp(store, receiver.url + "/v1/traces", deployment="bot", batch=2)
            assert sent == 5
            service = TraceService(other)
            first = _wait(service, ids[0])
            last = _wait(service, ids[4])
        assert (first.deployment, first.variant, first.model, first.input_tokens, first.output_tokens) == \
            ("bot", "canary", "support@3", 12, 7)
        assert first.cost_usd == pytest.approx(0.002) and first.latency_ms == pytest.approx(250.0)
        assert first.input == [{"role": "user", "content": "question 0"}]
        assert {s.name for s in first.spans} >= {"chat", "upstream"}
        assert next(s for s in first.spans if s.name == "upstream").parent_span_id == root
        assert last.status == "error"
        with pytest.raises(NotFound):
            service.get(ids[0][:31] + ("0" if ids[0][31] != "0" else "1"))
    finally:
        other.close()


def test_a_collector_that_refuses_raises_and_a_bad_endpoint_is_refused(store: Store) -> None:
    from fastapi import FastAPI, Response

    TraceService(store).record([{"id": new_trace_id(), "deployment": "bot", "started_at": time.time() - 5}])
    app = FastAPI()

    @app.post("/v1/traces")
    def refuse() -> Response:
        return Response(status_code=400, content=b"bad")

    with BackgroundServer(app) as srv, pytest.raises(ProviderError, match="0 traces were sent"):
        export_otlp(store, srv.url + "/v1/traces")
    with pytest.raises(InvalidInput, match="http"):
        export_otlp(store, "file:///tmp/x")


def test_the_worker_exports_new_traces_continuously_and_resumes_after_an_outage(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from tests.conftest import free_port

    from genloop.gateway import create_gateway_app
    from genloop.monitoring import MonitoringWorker
    from genloop.store import utcnow

    def add(n: int, project: str) -> list[str]:
        ids = [new_trace_id() for _ in range(n)]
        TraceService(store, project).record([{"id": t, "project": project, "deployment": "bot",
                                              "started_at": time.time() - 5} for t in ids])
        return ids

    first = add(3, "default") + add(2, "alpha")  # every project is exported (the receiver files them under its key's)
    other = Store(Settings(home=tmp_path / "b", database_url=f"sqlite:///{tmp_path}/b.db",
                           artifacts_uri=str(tmp_path / "b-art"), trace_writer="thread", trace_flush_interval=0.05))
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}/v1/traces"
    exporting = Store(store.settings.model_copy(update={"otlp_export_endpoint": endpoint}))
    worker = MonitoringWorker(exporting, clock=lambda: utcnow() + dt.timedelta(seconds=30))  # past the settle time
    received = TraceService(other)
    try:
        with BackgroundServer(create_gateway_app(other, other.settings), port=port):
            assert worker.tick().exported == 5
            assert worker.tick().exported == 0  # nothing new
            assert all(_wait(received, t).deployment == "bot" for t in first)
        second = add(2, "default")
        down = worker.tick()  # the receiver is gone: nothing lost, the position stays
        assert down.exported == 0 and down.export_error and "refused" in down.export_error
        with BackgroundServer(create_gateway_app(other, other.settings), port=port):
            assert worker.tick().exported == 2  # resumes after the last batch the collector accepted
            assert all(_wait(received, t).id == t for t in second)
    finally:
        exporting.close()
        other.close()
