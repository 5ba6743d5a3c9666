"""The retention thread of ``genloop server``: every ``GENLOOP_RETENTION_INTERVAL`` seconds, one run per project.

Each run deletes in batches of short transactions (see :mod:`genloop.governance._retention`), so the gateway
and the trace writer keep writing while it purges. Several servers on one database may each run it: a
batch deletes what it selected, and a row deleted twice counts once.
"""

from __future__ import annotations

import logging
import threading

from genloop.store import Store

__all__ = ["RetentionWorker", "start_retention"]

log = logging.getLogger("genloop.retention")


class RetentionWorker:
    """A daemon thread calling :func:`run_all_projects` every ``interval`` seconds until :meth:`stop`."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, interval: float) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval,), name="genloop-retention", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self, interval: float) -> None:
        from genloop.governance._retention import run_all_projects

        while not self._stop.wait(interval):
            try:
                for run in run_all_projects(self.store):
                    if run.traces or run.feedback:
                        log.info("retention %s: deleted %d traces, %d feedback", run.project, run.traces,
                                 run.feedback)
            except Exception:  # the next pass retries; one failure must not end retention
                log.exception("retention pass failed; retrying in %gs", interval)


def start_retention(store: Store) -> RetentionWorker | None:
    """Start the thread (``GENLOOP_RETENTION_INTERVAL`` seconds; 0: off, use ``genloop governance retention run``)."""
    interval = store.settings.retention_interval
    if interval <= 0:
        return None
    worker = RetentionWorker(store)
    worker.start(interval)
    return worker
