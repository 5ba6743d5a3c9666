"""A background job of ``genloop server``: a daemon thread that calls ``tick()`` every ``interval`` seconds.

The monitoring worker and the retention worker are such jobs. A failing tick never ends the thread: the first
failure in a row is logged with its traceback, then one line every 60 failures (a store that is down for an
hour leaves a few lines, not thousands of tracebacks), and the next tick retries.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

__all__ = ["PeriodicWorker"]


class PeriodicWorker:
    """Subclass it, set ``thread_name`` and ``log``, implement :meth:`tick`; then :meth:`start` and :meth:`stop`."""

    thread_name = "genloop-worker"
    log = logging.getLogger("genloop")

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> Any:
        raise NotImplementedError

    def start(self, interval: float) -> None:
        """Tick every ``interval`` seconds on a daemon thread until :meth:`stop` (a second start does nothing)."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, args=(interval,), name=self.thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to end and wait up to ``timeout`` seconds for the tick in progress."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self, interval: float) -> None:
        failures = 0
        while not self._stop.wait(interval):
            try:
                self.tick()
                failures = 0
            except Exception as exc:  # the next tick retries; one bad pass must not end the job
                failures += 1
                if failures == 1:
                    self.log.exception("%s: tick failed; retrying every %gs", self.thread_name, interval)
                elif failures % 60 == 0:
                    self.log.warning("%s: ticks still failing (%d in a row): %s", self.thread_name, failures, exc)
