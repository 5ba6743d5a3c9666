"""MonitoringWorker: one ``tick()`` runs every online evaluator, evaluates every monitor, delivers webhooks, and
sends newly stored traces to ``GENLOOP_OTLP_EXPORT_ENDPOINT`` when one is set.

The server runs it on a background thread (``GENLOOP_MONITORING_INTERVAL`` seconds between ticks; the
scheduler's leader lock keeps one worker per database when it calls ``tick`` itself), and
``genloop monitoring run-once`` runs one tick by hand.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from genloop.monitoring._online import OnlineScorer
from genloop.monitoring._schemas import TickReport
from genloop.monitoring._tables import EvaluatorRow
from genloop.store import Store, utcnow
from genloop.store._periodic import PeriodicWorker

__all__ = ["MonitoringWorker", "start_monitoring"]

log = logging.getLogger("genloop.monitoring")


class MonitoringWorker(PeriodicWorker):
    """Online evaluators, monitors and webhook deliveries of every project of a store, one tick at a time."""

    thread_name = "genloop-monitoring"
    log = log

    def __init__(self, store: Store, *, providers: dict[str, Any] | None = None,
                 http: Any = None, max_passes: int = 20, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.clock = clock
        self.scorer = OnlineScorer(store, providers=providers, clock=clock)
        self.http = http  # an httpx.Client for webhooks (tests pass one with a transport)
        self.max_passes = max_passes
        super().__init__()

    def tick(self) -> TickReport:
        """One pass: evaluators (until caught up, at most ``max_passes`` each), monitors, due deliveries."""
        report = TickReport()
        with self.store.db.read() as session:
            ids = list(session.scalars(select(EvaluatorRow.id).where(EvaluatorRow.enabled.is_(True))
                                       .order_by(EvaluatorRow.id)))
        for evaluator_id in ids:
            for _ in range(self.max_passes):
                try:
                    result = self.scorer.run(evaluator_id)
                except Exception as exc:  # one broken evaluator must not stop the others
                    log.exception("evaluator %s failed", evaluator_id)
                    report.evaluator_errors[str(evaluator_id)] = f"{type(exc).__name__}: {exc}"[:500]
                    break
                report.scored += result.scored
                report.skipped += result.skipped
                if result.error:
                    report.evaluator_errors[str(evaluator_id)] = result.error
                if result.caught_up or result.error or not result.advanced:
                    break
        from genloop.monitoring._alerts import deliver_due, evaluate_monitors

        now = self.clock()
        report.monitors, report.alerts = evaluate_monitors(self.store, now=now)
        report.delivered, report.delivery_failures = deliver_due(self.store, http=self.http, now=now)
        endpoint = self.store.settings.otlp_export_endpoint
        if endpoint:
            from genloop.errors import GenLoopError
            from genloop.monitoring._otlp_export import export_new, parse_headers

            try:
                report.exported = export_new(self.store, endpoint, now=now,
                                             headers=parse_headers(self.store.settings.otlp_export_headers))
            except GenLoopError as exc:  # the collector is down: kept, retried next tick from the same place
                report.export_error = str(exc)
        return report


def start_monitoring(store: Store) -> MonitoringWorker | None:
    """Start the worker thread of ``genloop server`` (every ``GENLOOP_MONITORING_INTERVAL`` seconds; 0: off).

    Several servers on one database may each run it: a pass of an evaluator commits only when its cursor is
    unchanged (no score twice), monitors are evaluated in a locked transaction, and a webhook delivery is
    leased before it is sent.
    """
    interval = store.settings.monitoring_interval
    if interval <= 0:
        return None
    worker = MonitoringWorker(store)
    worker.start(interval)
    return worker
