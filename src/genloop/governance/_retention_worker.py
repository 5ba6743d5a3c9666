"""The retention thread of ``genloop server``: every ``GENLOOP_RETENTION_INTERVAL`` seconds, one run per project.

Each run deletes in batches of short transactions (see :mod:`genloop.governance._retention`), so the gateway
and the trace writer keep writing while it purges. Several servers on one database may each run it: a
batch deletes what it selected, and a row deleted twice counts once.
"""

from __future__ import annotations

import logging

from genloop.store import Store
from genloop.store._periodic import PeriodicWorker

__all__ = ["RetentionWorker", "start_retention"]

log = logging.getLogger("genloop.retention")


class RetentionWorker(PeriodicWorker):
    """A daemon thread calling :func:`run_all_projects` every ``interval`` seconds until :meth:`stop`."""

    thread_name = "genloop-retention"
    log = log

    def __init__(self, store: Store) -> None:
        super().__init__()
        self.store = store

    def tick(self) -> None:
        from genloop.governance._retention import run_all_projects

        for run in run_all_projects(self.store):
            if run.traces or run.feedback:
                log.info("retention %s: deleted %d traces, %d feedback", run.project, run.traces, run.feedback)


def start_retention(store: Store) -> RetentionWorker | None:
    """Start the thread (``GENLOOP_RETENTION_INTERVAL`` seconds; 0: off, use ``genloop governance retention run``)."""
    interval = store.settings.retention_interval
    if interval <= 0:
        return None
    worker = RetentionWorker(store)
    worker.start(interval)
    return worker
