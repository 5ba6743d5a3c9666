"""Spool rotation off the lock: the hot path waits only for a swap of references, and nothing is lost.

A rotation (unmap, truncate, close, create, map) costs milliseconds; the writer now prepares the next segment
and closes the old one outside its lock. These tests check the order that keeps the writer process and crash
replay correct: the old segment is not taken while it is being closed, a crash mid-rotation is replayed whole,
and appends racing with rotations land exactly once.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import orjson

from genloop.store import Store
from genloop.tracing import TraceWriter, new_trace_id
from genloop.tracing._spool import Spool, closed_segments, orphaned_records, read_segment, segment_files


def _line(i: int) -> bytes:
    return orjson.dumps({"id": f"t{i}", "i": i}) + b"\n"


def test_the_old_segment_is_not_taken_until_it_is_closed(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=1 << 16)
    spool.append(_line(1))
    ready = spool.prepare()
    old = spool.swap(ready)
    assert old is not None
    spool.append(_line(2))  # into the new segment, still named *.next
    assert closed_segments(spool.dir) == []  # segment 1 is the newest *.jsonl: a drainer leaves it
    spool.finish(old, ready)
    closed = closed_segments(spool.dir)
    assert [p.name for p in closed] == ["seg-00000001.jsonl"]
    assert closed[0].stat().st_size == len(_line(1))  # closed: its zero tail dropped
    spool.close(remove=True)


def test_a_stale_prepared_segment_is_refused_and_dropped(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=64)
    ready = spool.prepare()
    for i in range(10):  # fills segments: rotations on the hot path meanwhile
        spool.append(_line(i))
    assert spool.swap(ready) is None
    ready.drop()
    assert not ready.path.exists()
    spool.close(remove=True)


def test_a_crash_mid_rotation_is_replayed_whole(tmp_path: Path) -> None:
    spool = Spool(tmp_path, segment_bytes=1 << 16)
    spool.append(_line(1))
    ready = spool.prepare()
    spool.swap(ready)
    spool.append(_line(2))
    os.close(spool._lock_fd)  # the process dies between the swap and the rename
    assert any(p.name.endswith(".next") for p in segment_files(spool.dir))
    [(folder, records)] = list(orphaned_records(tmp_path))
    assert folder == spool.dir
    assert sorted(r["id"] for r in records) == ["t1", "t2"]


def test_appends_racing_with_rotations_land_once(store: Store, tmp_path: Path) -> None:
    writer = TraceWriter(store, tmp_path, flush_interval=0.001, mode="spool")  # rotates about every ms
    writer.start()
    ids: list[list[str]] = [[], [], []]

    def submit(mine: list[str]) -> None:  # until several rotations happened under the appends
        while writer._spool.segment < 8 and len(mine) < 50_000:
            trace_id = new_trace_id()
            writer.submit({"id": trace_id, "project": "default", "name": "x", "started_at": time.time()})
            mine.append(trace_id)

    threads = [threading.Thread(target=submit, args=(mine,)) for mine in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(0.05)
    folder = writer._spool.dir
    seen = [r["id"] for path in segment_files(folder) for r in read_segment(path)]
    expected = {i for mine in ids for i in mine}
    assert len(seen) == len(expected) and set(seen) == expected  # each once, none lost
    assert len(segment_files(folder)) >= 8
    assert not any(p.name.endswith(".next") for p in segment_files(folder))
    writer.close(timeout=0.2)  # no writer process here: the folder stays (as it would, for one to drain)
