"""The writer process's loop: drain every spool folder under one root into the store.

A gateway in ``spool`` mode only appends traces to its own spool folder and closes a segment every flush
interval. The drainer, in another process, is the only one that writes them to the store:

- a folder whose owner is alive (its lock is held) gives up its closed segments (all but the newest), which are
  written in batches and then deleted; the owner sees them gone and counts its traces committed;
- a folder whose owner is gone (its lock can be taken) is replayed whole, torn tail included, then removed.

Writes are idempotent by trace id, so a drainer killed between a commit and a delete writes those traces again
without duplicating them; a record the store refuses goes to the dead-letter file (:class:`RecordSink`). One
drainer leads per spool root (a ``flock`` on ``<root>/.writer.lock``); others wait as standbys and take over when
the leader's process ends, so every gateway worker can start one without two writing the same segment.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from genloop.store import Store
from genloop.tracing._sink import AfterCommit, OnCommit, RecordSink
from genloop.tracing._spool import closed_segments, dead_letter_count, read_segment, segment_files

__all__ = ["STATUS_FILE", "WRITER_LOCK", "SpoolDrainer", "read_status", "writer_running"]

WRITER_LOCK = ".writer.lock"
STATUS_FILE = "writer-status.json"

log = logging.getLogger("genloop.tracing")


class SpoolDrainer:
    """Writes the spooled traces under ``root`` to ``store``; :meth:`run` loops until ``should_stop()``."""

    def __init__(self, store: Store, root: Path, *, batch_size: int = 500, interval: float = 0.2,
                 fsync: bool = False, on_commit: OnCommit | None = None, after_commit: AfterCommit | None = None,
                 actor: str = "gateway") -> None:
        self.store = store
        self.root = root
        self.batch_size = batch_size
        self.interval = interval
        self.sink = RecordSink(store, root, actor=actor, fsync=fsync, on_commit=on_commit,
                               after_commit=after_commit)
        self.committed = 0
        self.replayed = 0
        self._lock_fd = -1

    # -- leadership ------------------------------------------------------------------------------------

    def acquire(self, should_stop: Callable[[], bool], poll: float = 0.5) -> bool:
        """Become the root's writer (waiting as a standby while another leads); False if told to stop first."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / WRITER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._lock_fd = fd
                return True
            except BlockingIOError:
                if should_stop():
                    os.close(fd)
                    return False
                time.sleep(poll)

    def release(self) -> None:
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1

    # -- the loop --------------------------------------------------------------------------------------

    def run(self, should_stop: Callable[[], bool]) -> None:
        """Lead, then drain every ``interval`` until ``should_stop()``; a last pass writes what is closed."""
        if not self.acquire(should_stop):
            return
        try:
            while not should_stop():
                due = time.monotonic() + self.interval
                self.drain_once()
                self.write_status()
                while not should_stop() and time.monotonic() < due:
                    time.sleep(min(0.1, max(0.0, due - time.monotonic())))  # stay quick to notice a stop
            self.drain_once()
            self.write_status()
        finally:
            self.release()

    def drain_once(self) -> int:
        """One pass over every folder; returns the records written. Stops early while the store is down."""
        written = 0
        if not self.root.is_dir():
            return 0
        for folder in sorted(p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")):
            n = self._drain_folder(folder)
            if n is None:
                break  # the store is down: try again next pass
            written += n
        return written

    def _drain_folder(self, folder: Path) -> int | None:
        try:
            fd = os.open(folder / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:
            return 0
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return self._drain_live(folder)
            return self._replay(folder)  # its owner is gone: everything in it, then the folder
        finally:
            os.close(fd)

    def _drain_live(self, folder: Path) -> int | None:
        written = 0
        for segment in closed_segments(folder):
            records = read_segment(segment)
            if not self._write_all(records):
                return None
            with contextlib.suppress(FileNotFoundError):
                segment.unlink()
            written += len(records)
        self.committed += written
        return written

    def _replay(self, folder: Path) -> int | None:
        records: list[dict[str, Any]] = []
        for segment in segment_files(folder):
            records.extend(read_segment(segment))
        if not self._write_all(records):
            return None
        shutil.rmtree(folder, ignore_errors=True)
        if records:
            self.replayed += len(records)
            log.info("replayed %d spooled traces from %s", len(records), folder.name)
        return len(records)

    def _write_all(self, records: list[dict[str, Any]]) -> bool:
        for start in range(0, len(records), self.batch_size):
            if not self.sink.write(records[start:start + self.batch_size]):
                return False
        return True

    def write_status(self) -> None:
        """``<root>/writer-status.json``: who writes, how much, when (read by the gateway's health details)."""
        status = {"pid": os.getpid(), "committed": self.committed, "replayed": self.replayed,
                  "dead_lettered": dead_letter_count(self.sink.dead_letter_path),
                  "store_failures": self.sink.failures, "at": dt.datetime.now(dt.UTC).isoformat()}
        tmp = self.root / f".{STATUS_FILE}.{os.getpid()}"
        tmp.write_bytes(orjson.dumps(status))
        os.replace(tmp, self.root / STATUS_FILE)


def writer_running(root: Path) -> bool:
    """Whether a drainer leads ``root`` now (its lock is held)."""
    try:
        fd = os.open(root / WRITER_LOCK, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # closing the descriptor releases a lock taken here
    return False


def read_status(root: Path) -> dict[str, Any] | None:
    """The last status the root's writer wrote, or None."""
    try:
        value: dict[str, Any] = orjson.loads((root / STATUS_FILE).read_bytes())
        return value
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None
