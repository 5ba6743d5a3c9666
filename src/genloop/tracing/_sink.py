"""Where spooled trace records end: the store, or the dead-letter file when the store refuses one.

One record the store cannot hold must not stop the others: a batch that fails while the store answers is retried
record by record, and a record that still fails goes to the dead-letter file (``<spool>/dead-letter.jsonl``: one
JSON object per line with ``at``, ``reason`` and the ``record``), is counted, and writing goes on. When the store
does not answer at all, nothing is dead-lettered: the caller keeps the records (they are in the spool) and retries.
Both the in-process writer thread and the writer process (:mod:`genloop.tracing._drain`) write through this.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
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

__all__ = ["DEAD_LETTER_FILE", "AfterCommit", "OnCommit", "RecordSink"]

DEAD_LETTER_FILE = "dead-letter.jsonl"
_DEAD = "_genloop_dead_lettered"

log = logging.getLogger("genloop.tracing")

OnCommit = Callable[[Session, list[dict[str, Any]]], None]
AfterCommit = Callable[[list[dict[str, Any]]], None]


class RecordSink:
    """Writes batches of trace records to ``store`` (idempotent by trace id), dead-lettering what it refuses."""

    def __init__(self, store: Store, spool_dir: Path, *, actor: str = "gateway", fsync: bool = False,
                 on_commit: OnCommit | None = None, after_commit: AfterCommit | None = None) -> None:
        self.store = store
        self.actor = actor
        self.fsync = fsync
        self.on_commit = on_commit
        self.after_commit = after_commit
        self.dead_letter_path = spool_dir / DEAD_LETTER_FILE
        self.failures = 0  # consecutive rounds with the store unreachable
        self.dead_lettered = 0
        self._dead_lock = threading.Lock()

    def write(self, records: list[dict[str, Any]]) -> bool:
        """Write ``records``; False only when the store is unreachable (the caller keeps them and retries)."""
        records = [r for r in records if _DEAD not in r]  # dead-lettered by an earlier try of this batch
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
        self.dead_letter(record, f"{type(error).__name__}: {error}")
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

    def dead_letter(self, record: dict[str, Any], reason: str) -> None:
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
        record[_DEAD] = True  # when the store goes down mid-batch, the batch's retry skips this record
        log.error("trace %s could not be stored and went to %s: %s", record.get("id"), self.dead_letter_path, reason)
