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
