"""The scheduler: one leader per database fires due triggers and runs the periodic jobs.

It runs inside ``genloop server`` (a background thread, every ``GENLOOP_SCHEDULER_INTERVAL`` seconds; 0 turns
it off) and as ``genloop scheduler``. Leadership is a lease row (``scheduler_leases``) that works the same on
SQLite and PostgreSQL: a scheduler takes it when it is free or expired, renews it every tick, and gives it up
on a clean stop; a leader that dies loses it after ``GENLOOP_SCHEDULER_LEASE_SECONDS``, and a standby takes
over. Only the leader ticks: it runs the monitoring worker's ``tick()`` (when present), fires the due
triggers of every project, and hourly runs the retention job of every project. A trigger's compare-and-set
cursor keeps a firing single even if two leaders overlap across a clock jump.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from genloop.errors import InvalidInput
from genloop.pipelines._trigger_schemas import Firing
from genloop.pipelines._trigger_tables import LeaseRow, TriggerRow
from genloop.store import Store, utcnow

__all__ = ["Scheduler", "SchedulerReport", "acquire_lease", "release_lease", "start_scheduler"]

log = logging.getLogger("genloop.scheduler")
LEASE = "scheduler"
RETENTION_EVERY_S = 3600.0  # retention deletes by age: hourly is plenty


class SchedulerReport(BaseModel):
    """What one tick did: whether this scheduler led, the firings, and the periodic jobs' results or errors."""

    holder: str
    leader: bool
    firings: list[Firing] = Field(default_factory=list)
    monitoring: dict[str, Any] | None = None
    retention: Any = None
    recovered: list[str] = Field(default_factory=list, description="pipeline runs ended because their process died")
    errors: dict[str, str] = Field(default_factory=dict)


def acquire_lease(store: Store, holder: str, seconds: float, *, now: dt.datetime | None = None,
                  name: str = LEASE) -> bool:
    """Take or renew lease ``name`` for ``holder`` until ``now + seconds``; False while another holds it."""
    now = now or utcnow()
    until = now + dt.timedelta(seconds=seconds)

    def fn(session: Session) -> bool:
        row = session.get(LeaseRow, name)
        if row is None:
            session.add(LeaseRow(name=name, holder=holder, expires_at=until, acquired_at=now))
            session.flush()  # a racing insert fails here on the primary key; write() retries and sees the row
            return True
        taken = session.execute(update(LeaseRow).where(
            LeaseRow.name == name, (LeaseRow.holder == holder) | (LeaseRow.expires_at < now)).values(
            holder=holder, expires_at=until,
            acquired_at=row.acquired_at if row.holder == holder else now))
        return bool(taken.rowcount)  # type: ignore[attr-defined]

    return store.db.write(fn)


def release_lease(store: Store, holder: str, *, name: str = LEASE) -> None:
    """Give the lease up (only if ``holder`` has it), so a standby takes over at once."""
    def fn(session: Session) -> None:
        session.execute(update(LeaseRow).where(LeaseRow.name == name, LeaseRow.holder == holder)
                        .values(expires_at=utcnow() - dt.timedelta(seconds=1)))

    store.db.write(fn)


def lease_holder(store: Store, *, name: str = LEASE) -> tuple[str, dt.datetime] | None:
    """``(holder, expires_at)`` of the lease, or None when no scheduler ever took it."""
    with store.db.read() as session:
        row = session.get(LeaseRow, name)
        return (row.holder, row.expires_at) if row is not None else None


class Scheduler:
    """Fires due triggers and runs the periodic jobs while it holds the lease; one :meth:`tick` at a time."""

    def __init__(self, store: Store, *, interval: float | None = None, lease_seconds: float | None = None,
                 monitoring: bool = True, retention: bool = True, execute: str = "thread",
                 holder: str | None = None, clock: Callable[[], dt.datetime] = utcnow,
                 monitoring_worker: Any = None) -> None:
        self.store = store
        self.interval = store.settings.scheduler_interval if interval is None else interval
        self.lease_seconds = store.settings.scheduler_lease_seconds if lease_seconds is None else lease_seconds
        if self.interval > 0 and self.lease_seconds <= self.interval:
            raise InvalidInput(f"the scheduler's lease ({self.lease_seconds:g} s) must outlast its interval "
                               f"({self.interval:g} s)", hint="set GENLOOP_SCHEDULER_LEASE_SECONDS to a few intervals")
        self.monitoring, self.retention, self.execute = monitoring, retention, execute
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.clock = clock
        self.leader = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._retention_due = 0.0  # monotonic time of the next retention run
        self._worker: Any = monitoring_worker  # default: a MonitoringWorker on this store, made on first use

    def tick(self) -> SchedulerReport:
        """Renew (or try to take) the lease; as leader, fire due triggers and run the periodic jobs once."""
        now = self.clock()
        leader = acquire_lease(self.store, self.holder, self.lease_seconds, now=now)
        if leader != self.leader:
            log.info("scheduler %s %s", self.holder, "leads" if leader else "stands by")
        self.leader = leader
        report = SchedulerReport(holder=self.holder, leader=leader)
        if not leader:
            return report
        report.recovered = self._recover()
        if self.monitoring:  # first, so that a monitor that fires now triggers its pipeline in this tick
            report.monitoring = self._monitoring_tick(report)
        for project in self._projects():
            from genloop.pipelines._triggers import TriggerService

            try:
                report.firings += TriggerService(self.store, project, "scheduler", execute=self.execute).check(now)
            except Exception as exc:  # one project's failure must not stop the others
                log.exception("triggers of project %s failed", project)
                report.errors[f"triggers:{project}"] = f"{type(exc).__name__}: {exc}"[:500]
        if self.retention:
            report.retention = self._retention(report)
        return report

    def _projects(self) -> list[str]:
        from genloop.store._registry import Project

        with self.store.db.read() as session:
            return list(session.scalars(select(Project.name).join(TriggerRow, TriggerRow.project_id == Project.id)
                                        .where(TriggerRow.enabled.is_(True)).distinct().order_by(Project.name)))

    def _recover(self) -> list[str]:
        """End this host's pipeline runs whose process died (see :mod:`genloop.pipelines._orphans`)."""
        from genloop.pipelines._orphans import recover_orphans

        try:
            return recover_orphans(self.store)
        except Exception:  # the next tick tries again
            log.exception("recovering orphaned pipeline runs failed")
            return []

    def _monitoring_tick(self, report: SchedulerReport) -> dict[str, Any] | None:
        try:
            from genloop.monitoring import MonitoringWorker
        except ImportError:  # a build without monitoring
            return None
        try:
            if self._worker is None:
                self._worker = MonitoringWorker(self.store, clock=self.clock)
            return self._worker.tick().model_dump(mode="json")  # type: ignore[no-any-return]
        except Exception as exc:
            log.exception("monitoring tick failed")
            report.errors["monitoring"] = f"{type(exc).__name__}: {exc}"[:500]
            return None

    def _retention(self, report: SchedulerReport) -> Any:
        if time.monotonic() < self._retention_due:
            return None
        try:
            from genloop.governance._retention import run_all_projects
        except ImportError:  # the retention job is not part of this build
            return None
        self._retention_due = time.monotonic() + RETENTION_EVERY_S
        try:
            return [r.model_dump(mode="json") for r in run_all_projects(self.store)]
        except Exception as exc:
            log.exception("retention job failed")
            report.errors["retention"] = f"{type(exc).__name__}: {exc}"[:500]
            return None

    # -- running -------------------------------------------------------------------------------------

    def run(self, *, on_tick: Callable[[SchedulerReport], None] | None = None) -> None:
        """Tick every ``interval`` seconds until :meth:`stop` (a failed tick is logged and retried)."""
        try:
            while True:
                try:
                    report = self.tick()
                    if on_tick is not None:
                        on_tick(report)
                except Exception:  # the database may be down for a moment: the next tick retries
                    log.exception("scheduler tick failed")
                if self._stop.wait(self.interval):
                    break
        finally:
            if self.leader:
                try:
                    release_lease(self.store, self.holder)
                except Exception:
                    log.exception("could not release the scheduler lease (it expires by itself)")
                self.leader = False

    def start(self) -> None:
        """Run on a daemon thread (what ``genloop server`` does)."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self.run, name="genloop-scheduler", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current tick and give up the lease."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None


def start_scheduler(store: Store) -> Scheduler | None:
    """The scheduler thread of ``genloop server`` (off with ``GENLOOP_SCHEDULER_INTERVAL=0``).

    The server's own monitoring and retention threads (``GENLOOP_MONITORING_INTERVAL``,
    ``GENLOOP_RETENTION_INTERVAL`` where present) already run those jobs; the scheduler runs each only when its
    thread is off.
    """
    if store.settings.scheduler_interval <= 0:
        return None
    retention_thread = float(getattr(store.settings, "retention_interval", 0) or 0) > 0
    scheduler = Scheduler(store, monitoring=store.settings.monitoring_interval <= 0, retention=not retention_thread)
    scheduler.start()
    return scheduler
