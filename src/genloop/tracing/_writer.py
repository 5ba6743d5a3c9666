"""The batch writer: traces go from the hot path to an in-memory queue and the spool, never to the database.

A background thread drains the queue every ``flush_interval`` seconds (sooner when a batch is full)
and writes each batch in one transaction, idempotent by trace id, then deletes the spool segments
whose traces have all committed. If the database is down it retries with backoff; the spool keeps
everything, and whatever did not fit the bounded queue is replayed from the spool files.
"""

from __future__ import annotations

import collections
import logging
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from genloop.store import Store
from genloop.tracing._service import write_records
from genloop.tracing._spool import Spool, orphaned_records

__all__ = ["TraceWriter"]

log = logging.getLogger("genloop.tracing")

OnCommit = Callable[[Session, list[dict[str, Any]]], None]
AfterCommit = Callable[[list[dict[str, Any]]], None]


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
    ) -> None:
        self.store = store
        self.spool_dir = spool_dir
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.queue_max = queue_max
        self.fsync = fsync
        self.on_commit = on_commit
        self.after_commit = after_commit
        self.actor = actor
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
        self.failures = 0

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Open this process's spool and start the writer thread (which first replays orphaned spools)."""
        if self._thread is not None:
            return
        self._spool = Spool(self.spool_dir, fsync=self.fsync)
        self._replaying = True
        self._thread = threading.Thread(target=self._run, name="genloop-trace-writer", daemon=True)
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
            with self._lock:
                clean = not self._queue and not self._overflow
            self._spool.close(remove=clean)
            self._spool = None

    # -- hot path ------------------------------------------------------------------------------------

    def submit(self, record: dict[str, Any]) -> None:
        """Spool one trace record and queue it for the database; returns without waiting for either."""
        line = orjson.dumps(record, default=str) + b"\n"
        spool = self._spool
        if spool is None:
            raise RuntimeError("TraceWriter.submit() before start()")
        with self._lock:
            segment = spool.append(line)
            self.submitted += 1
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

    def _drain(self) -> None:
        spool = self._spool
        if spool is None:
            return
        with self._lock:
            if spool.active_count:
                self._closed.add(spool.rotate())
            batch = [self._queue.popleft() for _ in range(min(len(self._queue), self.batch_size * 4))]
        for start in range(0, len(batch), self.batch_size):
            chunk = batch[start:start + self.batch_size]
            if not self._write([rec for _seg, rec in chunk]):
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
            if overflow and not self._write(spool.read(segment)):
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
                while not self._write(records[start:start + self.batch_size]):
                    if self._stop:
                        return
                    ok = False
                    time.sleep(1.0)
            if ok or records:
                shutil.rmtree(folder, ignore_errors=True)
                self.replayed += len(records)
                log.info("replayed %d spooled traces from %s", len(records), folder.name)

    def _write(self, records: list[dict[str, Any]]) -> bool:
        if not records:
            return True

        def fn(session: Session) -> list[dict[str, Any]]:
            new = write_records(session, records, self.actor)
            if self.on_commit is not None and new:
                self.on_commit(session, new)
            return new

        try:
            new = self.store.db.write(fn)
        except Exception:  # the database may be down; the spool keeps the traces
            self.failures += 1
            log.exception("writing %d traces failed; will retry", len(records))
            time.sleep(min(5.0, 0.1 * 2 ** min(self.failures, 6)))
            return False
        self.failures = 0
        if self.after_commit is not None and new:
            try:
                self.after_commit(new)
            except Exception:  # a metrics callback must not stop the writer
                log.exception("after_commit callback failed")
        return True

    def _count_committed(self, n: int) -> None:
        with self._done:
            self.committed += n
            self._done.notify_all()
