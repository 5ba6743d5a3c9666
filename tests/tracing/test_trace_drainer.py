"""The writer process's loop (SpoolDrainer) against spool-only writers: every trace stored once, nothing lost.

A :class:`TraceWriter` in ``spool`` mode only appends and closes segments; the drainer (here in a thread of
the test, in production a child process) writes closed segments, replays folders whose owner is gone,
dead-letters what the store refuses, and lets one drainer lead per spool root.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from genloop.store import Store
from genloop.tracing import SpoolDrainer, TraceService, TraceWriter, new_trace_id
from genloop.tracing._drain import read_status, writer_running
from genloop.tracing._tables import TraceRow


def _record(i: int, **extra: Any) -> dict[str, Any]:
    return {"id": new_trace_id(), "project": "default", "name": "chat.completions", "deployment": "bot",
            "status": "ok", "started_at": time.time() - 10 + i * 0.001, "input_tokens": i, "output_tokens": 1,
            "latency_ms": 1.0, "spans": [{"span_id": f"{i + 1:016x}", "name": "gateway", "started_at": time.time()}],
            **extra}


def _count(store: Store) -> int:
    with store.db.read() as session:
        return int(session.scalar(select(func.count()).select_from(TraceRow)) or 0)


@contextmanager
def drainer_thread(drainer: SpoolDrainer) -> Iterator[threading.Event]:
    stop = threading.Event()
    thread = threading.Thread(target=drainer.run, args=(stop.is_set,), daemon=True)
    thread.start()
    try:
        yield stop
    finally:
        stop.set()
        thread.join(20)


def test_spool_only_writer_and_drainer_store_every_trace_once(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "spool"
    writers = [TraceWriter(store, root, flush_interval=0.02, mode="spool") for _ in range(2)]
    for writer in writers:
        writer.start()
    drainer = SpoolDrainer(store, root, batch_size=7, interval=0.02)
    with drainer_thread(drainer):
        deadline = time.monotonic() + 5
        while not writer_running(root) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert writer_running(root)
        records = [_record(i) for i in range(300)]
        for i, rec in enumerate(records):
            writers[i % 2].submit(rec)
        for writer in writers:
            assert writer.flush(20), f"pending {writer.pending}"
            assert writer.pending == 0
        assert _count(store) == 300
        status = read_status(root)
        assert status is not None and status["committed"] == 300 and status["dead_lettered"] == 0
    for writer in writers:
        writer.close()
    assert not writer_running(root)
    assert [p for p in root.iterdir() if p.is_dir()] == []  # clean shutdowns remove their folders
    assert {t.id for t in TraceService(store).list(limit=500).items} == {r["id"] for r in records}


def test_the_active_segment_waits_until_it_is_closed(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "spool"
    writer = TraceWriter(store, root, flush_interval=3600, mode="spool")  # never closes a segment by itself
    writer.start()
    try:
        for i in range(5):
            writer.submit(_record(i))
        drainer = SpoolDrainer(store, root, interval=0.01)
        assert drainer.drain_once() == 0 and _count(store) == 0  # the owner may still append to it
        with drainer_thread(drainer):
            assert writer.flush(10)  # flush closes the segment; the drainer writes it
        assert _count(store) == 5
    finally:
        writer.close(timeout=1)


def test_a_dead_owners_folder_is_replayed_whole_and_removed(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "spool"
    writer = TraceWriter(store, root, flush_interval=3600, mode="spool")
    writer.start()
    for i in range(20):
        writer.submit(_record(i))
    writer.close(timeout=0.2)  # no drainer ran: the folder stays, its lock released as a dead owner's would be
    folders = [p for p in root.iterdir() if p.is_dir()]
    assert len(folders) == 1
    drainer = SpoolDrainer(store, root)
    assert drainer.drain_once() == 20
    assert drainer.drain_once() == 0  # idempotent: nothing is written twice
    assert _count(store) == 20 and drainer.replayed == 20
    assert not folders[0].exists()


def test_poison_goes_to_the_dead_letter_file_and_the_rest_is_stored(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "spool"
    writer = TraceWriter(store, root, flush_interval=0.02, mode="spool")
    writer.start()
    with drainer_thread(SpoolDrainer(store, root, batch_size=4, interval=0.02)):
        for i in range(12):
            writer.submit(_record(i))
            if i == 5:
                writer.submit(_record(99, id="not-a-trace-id"))  # the store refuses it: its id is its identity
        assert writer.flush(20)
    assert _count(store) == 12
    assert writer.dead_lettered == 1  # read from the spool's dead-letter file, written by the drainer
    writer.close()


def test_while_the_store_is_down_nothing_is_lost(tmp_path: Path, store: Store, monkeypatch: pytest.MonkeyPatch
                                                 ) -> None:
    root = tmp_path / "spool"
    writer = TraceWriter(store, root, flush_interval=0.02, mode="spool")
    writer.start()
    drainer = SpoolDrainer(store, root, interval=0.02)
    for i in range(10):
        writer.submit(_record(i))
    writer._wake.set()
    time.sleep(0.2)  # the segment is closed
    monkeypatch.setattr(drainer.sink, "_store_answers", lambda: False)
    monkeypatch.setattr(drainer.sink, "_commit", lambda records: (_ for _ in ()).throw(ConnectionError("down")))
    monkeypatch.setattr("genloop.tracing._sink.time.sleep", lambda s: None)
    assert drainer.drain_once() == 0 and _count(store) == 0
    assert writer.pending == 10  # still in the spool
    monkeypatch.undo()
    assert drainer.drain_once() == 10 and _count(store) == 10
    writer.close(timeout=0.5)


def test_one_drainer_leads_a_spool_root(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "spool"
    first, second = SpoolDrainer(store, root), SpoolDrainer(store, root)
    stop = threading.Event()
    assert first.acquire(stop.is_set)
    waited = threading.Thread(target=lambda: second.acquire(stop.is_set, poll=0.01), daemon=True)
    waited.start()
    time.sleep(0.1)
    assert waited.is_alive()  # a standby while the first leads
    first.release()
    waited.join(5)
    assert not waited.is_alive() and second._lock_fd >= 0
    second.release()
