"""MonitorService (monitors, alert history, deliveries) and DriftService (drift reports on demand)."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.errors import Conflict, Hint, InvalidInput, NotFound
from genloop.monitoring._drift import DRIFT_SIGNALS, compare_samples, dataset_sample, window_sample
from genloop.monitoring._evaluators import parse_spec
from genloop.monitoring._schemas import AlertInfo, DeliveryInfo, DriftReport, MonitorInfo, MonitorSpec
from genloop.monitoring._series import check_signal
from genloop.monitoring._tables import AlertRow, DeliveryRow, MonitorRow
from genloop.refs import validate_name
from genloop.store import Store, utcnow
from genloop.store._registry import Project, ensure_project, find_project, record_audit

__all__ = ["DriftService", "MonitorService"]


class MonitorService:
    """Monitors of one project, their alert history and webhook deliveries."""

    def __init__(self, store: Store, project: str = "default", actor: str | None = None) -> None:
        self.store = store
        self.project = project
        self.actor = actor or store.default_actor

    def create(self, spec: MonitorSpec | dict[str, Any], *, replace: bool = False) -> MonitorInfo:
        """Create a monitor (``replace``: change the one of that name, keeping its state)."""
        return self._create(parse_spec(MonitorSpec, spec, "monitor spec"), replace)

    def _create(self, spec: MonitorSpec, replace: bool) -> MonitorInfo:
        validate_name(spec.name, "monitor name")
        check_signal(spec.signal)
        body = spec.model_dump(mode="json", exclude={"name"})

        def fn(session: Session) -> MonitorInfo:
            project = ensure_project(session, self.project, self.actor)
            row = session.scalar(select(MonitorRow).where(MonitorRow.project_id == project.id,
                                                          MonitorRow.name == spec.name))
            if row is not None and not replace:
                raise Conflict(f"monitor {spec.name!r} exists in project {self.project!r}",
                               hint=Hint(cli="pass --replace to change it, or choose another name",
                                         sdk="pass replace=True to change it, or choose another name",
                                         rest='send "replace": true to change it, or choose another name'))
            if row is None:
                row = MonitorRow(project_id=project.id, name=spec.name, enabled=True, state="ok",
                                 created_by=self.actor)
                session.add(row)
            row.spec = body
            session.flush()
            # webhook URLs are left out of the audit log: an incoming-webhook URL is itself a secret
            audited = {k: v for k, v in body.items() if k != "webhooks"} | {"webhooks": len(spec.webhooks)}
            record_audit(session, project, self.actor, "update" if replace else "create", "monitor", spec.name,
                         after=audited)
            return _monitor_info(row, project.name)

        return self.store.db.write(fn)

    def list(self) -> builtins.list[MonitorInfo]:
        """Every monitor of the project with its state, by name."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            rows = session.scalars(select(MonitorRow).where(MonitorRow.project_id == project.id)
                                   .order_by(MonitorRow.name))
            return [_monitor_info(r, project.name) for r in rows]

    def get(self, name: str) -> MonitorInfo:
        with self.store.db.read() as session:
            project, row = self._find(session, name)
            return _monitor_info(row, project.name)

    def set_enabled(self, name: str, enabled: bool) -> MonitorInfo:
        """Pause (``False``) or resume a monitor."""

        def fn(session: Session) -> MonitorInfo:
            project, row = self._find(session, name)
            row.enabled = enabled
            record_audit(session, project, self.actor, "update", "monitor", name, after={"enabled": enabled})
            return _monitor_info(row, project.name)

        return self.store.db.write(fn)

    def delete(self, name: str) -> None:
        """Delete a monitor with its alert history."""

        def fn(session: Session) -> None:
            project, row = self._find(session, name)
            session.delete(row)
            record_audit(session, project, self.actor, "delete", "monitor", name)

        self.store.db.write(fn)

    def evaluate(self, name: str) -> MonitorInfo:
        """Evaluate one monitor now (as the worker does); an alert it raises is recorded and queued."""
        from genloop.monitoring._alerts import evaluate_monitor

        with self.store.db.read() as session:
            _project, row = self._find(session, name)
            monitor_id = row.id
        evaluate_monitor(self.store, monitor_id)
        return self.get(name)

    def alerts(self, *, since_id: int = 0, monitor: str | None = None, level: str | None = None,
               limit: int = 100) -> builtins.list[AlertInfo]:
        """Alert history oldest first after ``since_id`` (a trigger polls with the last id it saw)."""
        limit = max(1, min(limit, 1000))
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            query = select(AlertRow).where(AlertRow.project_id == project.id, AlertRow.id > since_id)
            if monitor is not None:
                query = query.where(AlertRow.monitor == monitor)
            if level is not None:
                query = query.where(AlertRow.level == level)
            rows = session.scalars(query.order_by(AlertRow.id).limit(limit))
            return [_alert_info(r, project.name) for r in rows]

    def recent_alerts(self, limit: int = 50) -> builtins.list[AlertInfo]:
        """The newest alerts, newest first."""
        limit = max(1, min(limit, 1000))
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                return []
            rows = session.scalars(select(AlertRow).where(AlertRow.project_id == project.id)
                                   .order_by(AlertRow.id.desc()).limit(limit))
            return [_alert_info(r, project.name) for r in rows]

    def deliveries(self, alert_id: int) -> builtins.list[DeliveryInfo]:
        """The webhook deliveries of one alert of this project."""
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            alert = session.get(AlertRow, alert_id)
            if project is None or alert is None or alert.project_id != project.id:
                raise NotFound(f"project {self.project!r} has no alert {alert_id}",
                               hint="list alerts with: genloop monitoring alerts")
            rows = session.scalars(select(DeliveryRow).where(DeliveryRow.alert_id == alert_id)
                                   .order_by(DeliveryRow.id))
            return [DeliveryInfo(id=r.id, alert_id=r.alert_id, url=mask_url(r.url), format=r.format, status=r.status,  # type: ignore[arg-type]
                                 attempts=r.attempts, next_attempt_at=r.next_attempt_at, last_error=r.last_error,
                                 sent_at=r.sent_at) for r in rows]

    def _find(self, session: Session, name: str) -> tuple[Project, MonitorRow]:
        project = find_project(session, self.project)
        row = None if project is None else session.scalar(
            select(MonitorRow).where(MonitorRow.project_id == project.id, MonitorRow.name == name))
        if project is None or row is None:
            raise NotFound(f"project {self.project!r} has no monitor {name!r}",
                           hint="list monitors with: genloop monitoring monitors list")
        return project, row


class DriftService:
    """Drift of one project's traces: a recent window against a reference window or a dataset version."""

    def __init__(self, store: Store, project: str = "default") -> None:
        self.store = store
        self.project = project

    def compare(self, *, deployment: str | None = None, variant: str | None = None, window_s: int = 3600,
                reference_window_s: int | None = None, reference_dataset: str | None = None,
                signals: list[str] | None = None, now: dt.datetime | None = None) -> DriftReport:
        """Compare the last ``window_s`` with the ``reference_window_s`` before it (default the same length), or
        with the rows of ``reference_dataset`` (NAME@ref). ``signals``: default every built-in signal."""
        if not 60 <= window_s <= 90 * 86400:
            raise InvalidInput(f"window_s {window_s} is out of range", hint="use 60 to 7776000 seconds")
        names = list(signals or DRIFT_SIGNALS)
        for name in names:
            if name not in DRIFT_SIGNALS and not (name.startswith("score:") and len(name) > 6):
                raise InvalidInput(f"unknown drift signal {name!r}",
                                   hint=f"use one of {', '.join(DRIFT_SIGNALS)} or score:NAME (a feedback name)")
        scores = [n.partition(":")[2] for n in names if n.startswith("score:")]
        now = now or utcnow()
        start = now - dt.timedelta(seconds=window_s)
        ref_span = dt.timedelta(seconds=reference_window_s or window_s)
        with self.store.db.read() as session:
            project = find_project(session, self.project)
            if project is None:
                raise NotFound(f"project {self.project!r} does not exist")
            recent = window_sample(session, project.id, deployment=deployment, variant=variant, start=start,
                                   end=now, score_names=scores)
            if reference_dataset is None:
                reference = window_sample(session, project.id, deployment=deployment, variant=variant,
                                          start=start - ref_span, end=start, score_names=scores)
                described = f"traces {(start - ref_span).isoformat()} .. {start.isoformat()}"
        if reference_dataset is not None:
            from genloop.datasets import DatasetService

            datasets = DatasetService(self.store, project=self.project)
            version = datasets.get(reference_dataset)
            reference = dataset_sample(datasets, version.ref)
            described = f"dataset {version.ref}"
        results = compare_samples(reference, recent, names)
        return DriftReport(project=self.project, deployment=deployment, reference=described,
                           recent=f"traces {start.isoformat()} .. {now.isoformat()}", signals=results,
                           drifted=[s.signal for s in results if s.verdict == "drift"])


def mask_url(url: str) -> str:
    """A webhook URL with its path and query hidden: an incoming-webhook URL is itself a credential."""
    from urllib.parse import urlparse

    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}/…" if parsed.path.strip("/") or parsed.query else url


def _monitor_info(row: MonitorRow, project: str) -> MonitorInfo:
    hooks = [{**h, "url": mask_url(h["url"])} for h in row.spec.get("webhooks") or []]
    return MonitorInfo(id=row.id, project=project, name=row.name,
                       spec=MonitorSpec.model_validate({**row.spec, "name": row.name, "webhooks": hooks}),
                       enabled=row.enabled,
                       state=row.state, value=row.value, evaluated_at=row.evaluated_at,  # type: ignore[arg-type]
                       notified_at=row.notified_at, created_at=row.created_at)


def _alert_info(row: AlertRow, project: str) -> AlertInfo:
    return AlertInfo(id=row.id, project=project, monitor=row.monitor, event=row.event, level=row.level,  # type: ignore[arg-type]
                     previous=row.previous, value=row.value, threshold=row.threshold, count=row.count,  # type: ignore[arg-type]
                     message=row.message, created_at=row.created_at)
