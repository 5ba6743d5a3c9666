"""The batch writer: traces go from the hot path to an in-memory queue and the spool, never to the database.

A background thread drains the queue every ``flush_interval`` seconds (sooner when a batch is full)
and writes each batch in one transaction, idempotent by trace id, then deletes the spool segments
whose traces have all committed. If the database is down it retries with backoff; the spool keeps
everything, and whatever did not fit the bounded queue is replayed from the spool files.

One record the store refuses must not stop the others: when a batch fails while the store answers, the
batch is retried record by record, and a record that still fails goes to the dead-letter file
(``<spool>/dead-letter.jsonl``: one JSON object per line with ``at``, ``reason`` and the ``record``),
is counted in ``dead_lettered``, and the writer goes on. Replaying a spool does the same, so a poison
record is never retried forever.
"""

from __future__ import annotations

import collections
import datetime as dt
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.store import Store
from genloop.tracing._bounds import bound_record
from genloop.tracing._service import write_records
from genloop.tracing._spool import Spool, orphaned_records

__all__ = ["DEAD_LETTER_FILE", "TraceWriter"]

DEAD_LETTER_FILE = "dead-letter.jsonl"

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
        self.dead_lettered = 0
        self.dead_letter_path = spool_dir / DEAD_LETTER_FILE
        self._dead_lock = threading.Lock()

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
                self._dead_letter(record, f"cannot be encoded: {exc}")
                return
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
        """Write ``records``; False only when the store is unreachable (the caller keeps them and retries).

        A failed batch is retried record by record while the store answers; a record that still fails
        goes to the dead-letter file, so every other record is stored.
        """
        if not records:
            return True
        try:
            self._commit(records)
        except Exception as exc:  # noqa: BLE001 - the store or one record; told apart below
            if not self._store_answers():
                return self._down(len(records))
            log.warning("a batch of %d traces failed (%s); writing them one by one", len(records), exc)
            for record in records:
                if not self._write_one(record):
                    return self._down(1)
        self.failures = 0
        return True

    def _write_one(self, record: dict[str, Any]) -> bool:
        """Write one record, or dead-letter it when the store answers but refuses it; False when the store is down."""
        error: Exception | None = None
        for _ in range(2):  # a second try rules out a transient conflict
            try:
                self._commit([record])
                return True
            except Exception as exc:  # noqa: BLE001 - told apart below
                error = exc
                if not self._store_answers():
                    return False
        self._dead_letter(record, f"{type(error).__name__}: {error}")
        return True

    def _commit(self, records: list[dict[str, Any]]) -> None:
        def fn(session: Session) -> list[dict[str, Any]]:
            new = write_records(session, records, self.actor)
            if self.on_commit is not None and new:
                self.on_commit(session, new)
            return new

        new = self.store.db.write(fn)
        if self.after_commit is not None and new:
            try:
                self.after_commit(new)
            except Exception:  # a metrics callback must not stop the writer
                log.exception("after_commit callback failed")

    def _store_answers(self) -> bool:
        try:
            with self.store.db.read() as session:
                session.execute(select(1))
            return True
        except Exception:  # noqa: BLE001 - any failure means the store is not answering
            return False

    def _down(self, n: int) -> bool:
        self.failures += 1
        log.error("the trace store is unreachable; %d traces wait in the spool and will be retried", n)
        time.sleep(min(5.0, 0.1 * 2 ** min(self.failures, 6)))
        return False

    def _dead_letter(self, record: dict[str, Any], reason: str) -> None:
        """Append ``record`` with ``reason`` to the dead-letter file and count it."""
        entry = {"at": dt.datetime.now(dt.UTC).isoformat(), "reason": reason[:2000], "record": record}
        try:
            line = orjson.dumps(entry, default=str)
        except (orjson.JSONEncodeError, TypeError, RecursionError):
            entry["record"] = bound_record(dict(record))
            try:
                line = orjson.dumps(entry, default=str)
            except (orjson.JSONEncodeError, TypeError, RecursionError):
                line = orjson.dumps({**entry, "record": repr(record)[:1_000_000]})
        with self._dead_lock:
            self.dead_letter_path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.dead_letter_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line + b"\n")
                if self.fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
            self.dead_lettered += 1
        log.error("trace %s could not be stored and went to %s: %s", record.get("id"), self.dead_letter_path, reason)

    def _count_committed(self, n: int) -> None:
        with self._done:
            self.committed += n
            self._done.notify_all()
