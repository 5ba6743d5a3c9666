"""The batch writer: traces go from the hot path to the spool, never straight to the database.

Two modes. In ``thread`` mode a background thread of this process drains an in-memory queue every
``flush_interval`` seconds (sooner when a batch is full), writes each batch in one transaction, idempotent by
trace id, and deletes the spool segments whose traces have all committed; whatever did not fit the bounded queue
is replayed from the spool files. In ``spool`` mode this process only appends to its spool and closes the active
segment every ``flush_interval``; a writer process (:class:`~genloop.tracing.SpoolDrainer`, started by the
gateway or run as ``genloop trace-writer``) writes closed segments to the store and deletes them, so no batch
ever shares this process's GIL with the event loop.

Either way one record the store refuses does not stop the others (:class:`~genloop.tracing._sink.RecordSink`
retries a failed batch record by record and dead-letters what still fails), a crash loses nothing that reached
the spool (a restarted process, or the writer process, replays folders whose owner is gone), and a poison record
is never retried forever.
"""

from __future__ import annotations

import collections
import logging
import shutil
import threading
import time
from pathlib import Path
from typing import Any, Literal

import orjson

from genloop.store import Store
from genloop.tracing._bounds import bound_record
from genloop.tracing._sink import DEAD_LETTER_FILE, AfterCommit, OnCommit, RecordSink
from genloop.tracing._spool import Spool, dead_letter_count, orphaned_records

__all__ = ["DEAD_LETTER_FILE", "TraceWriter"]

log = logging.getLogger("genloop.tracing")


class TraceWriter:
    """Durable, batched trace writing for one process. ``start()``, then ``submit()`` from anywhere."""

    def __init__(
        self,
        store: Store,
        spool_dir: Path,
        *,
        batch_size: int = 500,
        flush_interval: float = 0.2,
        queue_max: int = 50_000,
        fsync: bool = False,
        on_commit: OnCommit | None = None,
        after_commit: AfterCommit | None = None,
        actor: str = "gateway",
        mode: Literal["thread", "spool"] = "thread",
    ) -> None:
        if mode not in ("thread", "spool"):
            raise ValueError(f"unknown trace writer mode {mode!r}: use 'thread' or 'spool'")
        self.mode = mode
        self.store = store
        self.spool_dir = spool_dir
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.queue_max = queue_max
        self.fsync = fsync
        self.sink = RecordSink(store, spool_dir, actor=actor, fsync=fsync, on_commit=on_commit,
                               after_commit=after_commit)
        self._queue: collections.deque[tuple[int, dict[str, Any]]] = collections.deque()
        self._counts: dict[int, int] = {}  # segment -> queued records not yet committed
        self._overflow: dict[int, int] = {}  # segment -> records that did not fit the queue
        self._closed: set[int] = set()
        self._lock = threading.Lock()
        self._done = threading.Condition()
        self._wake = threading.Event()
        self._stop = False
        self._spool: Spool | None = None
        self._thread: threading.Thread | None = None
        self.submitted = 0
        self.committed = 0
        self.replayed = 0
        self._replaying = False
        self._spool_dead = (0, 0)  # (dead-letter file size, its line count), re-counted when the size changes

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Open this process's spool and start the writer thread (which first replays orphaned spools)."""
        if self._thread is not None:
            return
        self._spool = Spool(self.spool_dir, fsync=self.fsync)
        target = self._run if self.mode == "thread" else self._run_spool_only
        self._replaying = self.mode == "thread"
        self._thread = threading.Thread(target=target, name="genloop-trace-writer", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is pending, stop the thread, and remove the spool if everything committed."""
        if self._thread is None:
            return
        self.flush(timeout)
        self._stop = True
        self._wake.set()
        self._thread.join(timeout)
        self._thread = None
        if self._spool is not None:
            with self._lock:  # the folder goes only when every trace in it committed; else it is replayed
                clean = not self._queue and not self._overflow and self.committed >= self.submitted
            self._spool.close(remove=clean)
            self._spool = None

    # -- hot path ------------------------------------------------------------------------------------

    def submit(self, record: dict[str, Any]) -> None:
        """Spool one trace record and queue it for the database; returns without waiting for either.

        A record that cannot be encoded as it is (an integer beyond 64 bits, a lone surrogate, nesting too
        deep) or that holds NUL characters is bounded first (:func:`~genloop.tracing._bounds.bound_record`).
        """
        spool = self._spool
        if spool is None:
            raise RuntimeError("TraceWriter.submit() before start()")
        try:
            line = orjson.dumps(record, default=str) + b"\n"
        except (orjson.JSONEncodeError, TypeError, RecursionError):
            line = b"\\u0000"  # bound below
        if b"\\u0000" in line:
            record = bound_record(record)
            try:
                line = orjson.dumps(record, default=str) + b"\n"
            except (orjson.JSONEncodeError, TypeError, RecursionError) as exc:
                self.sink.dead_letter(record, f"cannot be encoded: {exc}")
                return
        with self._lock:
            segment = spool.append(line)
            self.submitted += 1
            if self.mode == "spool":
                self._counts[segment] = self._counts.get(segment, 0) + 1
                return
            if len(self._queue) < self.queue_max:
                self._queue.append((segment, record))
                self._counts[segment] = self._counts.get(segment, 0) + 1
            else:
                self._overflow[segment] = self._overflow.get(segment, 0) + 1
            full = len(self._queue) >= self.batch_size
        if full:
            self._wake.set()

    # -- waiting -------------------------------------------------------------------------------------

    @property
    def pending(self) -> int:
        return self.submitted - self.committed

    @property
    def failures(self) -> int:
        """Consecutive rounds in which the store did not answer (thread mode)."""
        return self.sink.failures

    @property
    def dead_letter_path(self) -> Path:
        return self.sink.dead_letter_path

    @property
    def dead_lettered(self) -> int:
        """Records dead-lettered: by this writer (thread mode), or in the spool's dead-letter file (spool mode,
        where the writer process dead-letters)."""
        if self.mode == "thread":
            return self.sink.dead_lettered
        try:
            size = self.sink.dead_letter_path.stat().st_size
        except FileNotFoundError:
            return self.sink.dead_lettered
        if size != self._spool_dead[0]:
            self._spool_dead = (size, dead_letter_count(self.sink.dead_letter_path))
        return max(self._spool_dead[1], self.sink.dead_lettered)

    def flush(self, timeout: float = 10.0) -> bool:
        """Block until every trace submitted so far (and any replay) has committed; False on timeout."""
        target = self.submitted
        deadline = time.monotonic() + timeout
        self._wake.set()
        with self._done:
            while self.committed < target or self._replaying:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None:
                    return False
                self._done.wait(min(left, 0.05))
                self._wake.set()
        return True

    # -- the thread ----------------------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._replay_orphans()
        finally:
            self._replaying = False
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            stopping = self._stop
            self._drain()
            if stopping:
                return

    def _run_spool_only(self) -> None:
        """Spool mode: close the active segment every interval, and count what the writer process committed."""
        while True:
            self._wake.wait(self.flush_interval)
            self._wake.clear()
            stopping = self._stop
            spool = self._spool
            if spool is not None:
                if spool.active_count:
                    self._rotate_off_the_lock(spool)
                with self._lock:
                    closed = [(s, self._counts.get(s, 0)) for s in self._closed]
                gone = [(s, n) for s, n in closed if not spool.has_segment(s)]  # written and deleted
                if gone:
                    with self._lock:
                        for segment, _n in gone:
                            self._closed.discard(segment)
                            self._counts.pop(segment, None)
                    self._count_committed(sum(n for _s, n in gone))
            if stopping:
                return

    def _rotate_off_the_lock(self, spool: Spool) -> None:
        """Close the active segment holding the lock only for a swap of references.

        A whole rotation (unmap, truncate, close, create, map) takes 1-7 ms on a busy machine; under the lock,
        every request spooling a trace meanwhile waited for it on the event loop, five times a second.
        """
        ready = spool.prepare()
        with self._lock:
            old = spool.swap(ready)
            if old is not None:
                self._closed.add(old[0])
        if old is None:  # the segment filled and rotated on the hot path meanwhile
            ready.drop()
            return
        spool.finish(old, ready)

    def _drain(self) -> None:
        spool = self._spool
        if spool is None:
            return
        if spool.active_count:
            self._rotate_off_the_lock(spool)
        with self._lock:
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.batch_size * 4))]
        for start in range(0, len(batch), self.batch_size):
            chunk = batch[start:start + self.batch_size]
            if not self.sink.write([rec for _seg, rec in chunk]):
                with self._lock:  # database down: put it back for the next round, in order
                    self._queue.extendleft(reversed(batch[start:]))
                return
            with self._lock:
                for segment, _rec in chunk:
                    self._counts[segment] -= 1
            self._count_committed(len(chunk))
        self._discard_committed(spool)

    def _discard_committed(self, spool: Spool) -> None:
        with self._lock:
            done = [s for s in self._closed if not self._counts.get(s)]
        for segment in done:
            overflow = self._overflow.get(segment, 0)
            if overflow and not self.sink.write(spool.read(segment)):
                return
            with self._lock:
                self._closed.discard(segment)
                self._counts.pop(segment, None)
                self._overflow.pop(segment, None)
            spool.discard(segment)
            if overflow:
                self._count_committed(overflow)

    def _replay_orphans(self) -> None:
        own = self._spool.dir if self._spool else None
        for folder, records in orphaned_records(self.spool_dir, own):
            ok = True
            for start in range(0, len(records), self.batch_size):
                while not self.sink.write(records[start:start + self.batch_size]):
                    if self._stop:
                        return
                    ok = False
                    time.sleep(1.0)
            if ok or records:
                shutil.rmtree(folder, ignore_errors=True)
                self.replayed += len(records)
                log.info("replayed %d spooled traces from %s", len(records), folder.name)

    def _count_committed(self, n: int) -> None:
        with self._done:
            self.committed += n
            self._done.notify_all()
