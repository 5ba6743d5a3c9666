"""The spool and the batch writer: nothing waits for the store, nothing is lost, nothing is written twice."""

from __future__ import annotations

import time

from genloop.tracing import TraceService, TraceWriter, new_trace_id


def _record(i: int, **extra) -> dict:  # type: ignore[no-untyped-def]
    return {"id": new_trace_id(), "project": "default", "name": "chat.completions", "deployment": "bot",
            "variant": "a" if i % 2 else "b", "status": "ok" if i % 3 else "error", "user": f"u{i % 4}",
            "metadata": {"tier": "gold" if i % 2 else "free"}, "started_at": time.time() - 100 + i,
            "input_tokens": i, "output_tokens": 1, "latency_ms": 1.5,
            "spans": [{"span_id": "ab" * 8, "name": "gateway", "kind": "server", "started_at": time.time()}],
            **extra}


def test_writer_batches_overflow_and_replays_idempotently(store, tmp_path) -> None:
    spool = tmp_path / "spool"
    writer = TraceWriter(store, spool, batch_size=7, flush_interval=0.02, queue_max=10)
    writer.start()
    records = [_record(i) for i in range(60)]
    for rec in records:
        writer.submit(rec)
    assert writer.flush(15)
    assert TraceService(store).list(limit=1000).total == 60
    # a second process dies with its spool unreplayed: its records come back on the next start, once
    crashed = TraceWriter(store, spool, flush_interval=3600)
    crashed.start()
    again = records[:5] + [_record(100 + i) for i in range(5)]
    for rec in again:
        crashed.submit(rec)
    crashed._spool.close(remove=False)  # the process is gone; its folder and segments stay behind
    crashed._stop = True
    writer.close()
    survivor = TraceWriter(store, spool, flush_interval=0.02)
    survivor.start()
    assert survivor.flush(15) and survivor.replayed == 10
    survivor.close()
    assert TraceService(store).list(limit=1000).total == 65
    assert not any(spool.iterdir())


def test_query_filters_and_pages(store) -> None:
    service = TraceService(store)
    records = [_record(i) for i in range(12)]
    assert service.record(records) == 12 and service.record(records[:3]) == 0
    assert service.list(variant="a").total == 6
    assert service.list(status="error").total == 4
    assert service.list(user="u1").total == 3
    assert service.list(metadata={"tier": "gold"}).total == 6
    assert service.list(deployment="bot", variant="b", metadata={"tier": "free"}).total == 6
    cutoff = records[6]["started_at"]
    import datetime as dt

    assert service.list(since=dt.datetime.fromtimestamp(cutoff, dt.UTC)).total == 6
    first = service.list(limit=5)
    second = service.list(offset=first.next_offset, limit=5)
    assert first.total == 12 and first.next_offset == 5 and len(second.items) == 5
    assert first.items[0].started_at >= second.items[0].started_at
    shown = service.get(records[0]["id"])
    assert shown.spans[0].name == "gateway" and shown.feedback == []
