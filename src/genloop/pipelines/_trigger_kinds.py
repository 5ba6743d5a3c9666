"""The evidence of each trigger kind: where its cursor starts, and whether new evidence is there since.

``start`` gives the cursor of a new trigger (only what arrives after it was made counts); ``check`` answers
``(evidence, new cursor)`` when the trigger is due, else None. Reads only: the service advances the cursor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from genloop.pipelines._cron import CronSchedule
from genloop.pipelines._trigger_schemas import TriggerSpec
from genloop.store import Store

__all__ = ["check", "start"]

#: ``(evidence, new cursor)``; evidence None: nothing fires, but the cursor moves past what was read
Evidence = tuple[dict[str, Any] | None, dict[str, Any]]


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def _project_id(session: Any, project: str) -> int | None:
    from genloop.store._registry import find_project

    row = find_project(session, project)
    return row.id if row is not None else None


def _latest_dataset_version(store: Store, project: str, name: str) -> int:
    from genloop.datasets._tables import DatasetRow, DatasetVersionRow

    with store.db.read() as session:
        pid = _project_id(session, project)
        value = session.scalar(select(func.max(DatasetVersionRow.version)).join(
            DatasetRow, DatasetRow.id == DatasetVersionRow.dataset_id).where(
            DatasetRow.project_id == pid, DatasetRow.name == name))
    return int(value or 0)


def _feedback_query(spec: TriggerSpec, pid: int | None, after: int) -> Any:
    from genloop.feedback._tables import FeedbackRow

    query = select(func.count(), func.min(FeedbackRow.id), func.max(FeedbackRow.id)).where(
        FeedbackRow.project_id == pid, FeedbackRow.id > after)
    if spec.feedback_name is not None:
        query = query.where(FeedbackRow.name == spec.feedback_name)
    if spec.feedback_source is not None:
        query = query.where(FeedbackRow.source == spec.feedback_source)
    return query


def _rating_query(spec: TriggerSpec, pid: int | None, after: int) -> Any:
    from genloop.review._tables import QueueRow, RatingRow

    query = select(func.count(), func.min(RatingRow.id), func.max(RatingRow.id)).join(
        QueueRow, QueueRow.id == RatingRow.queue_id).where(QueueRow.project_id == pid, RatingRow.id > after)
    if spec.queue is not None:
        query = query.where(QueueRow.name == spec.queue)
    return query


def _max_id(store: Store, project: str, table: str) -> int:
    from genloop.feedback._tables import FeedbackRow
    from genloop.review._tables import QueueRow, RatingRow

    with store.db.read() as session:
        pid = _project_id(session, project)
        if table == "feedback":
            value = session.scalar(select(func.max(FeedbackRow.id)).where(FeedbackRow.project_id == pid))
        else:
            value = session.scalar(select(func.max(RatingRow.id)).join(
                QueueRow, QueueRow.id == RatingRow.queue_id).where(QueueRow.project_id == pid))
    return int(value or 0)


def _last_alert_id(store: Store, project: str) -> int:
    try:
        from genloop.monitoring import MonitorService
    except ImportError:  # monitoring not installed in this build: nothing to wait for
        return 0
    recent = MonitorService(store, project).recent_alerts(limit=1)
    return recent[0].id if recent else 0


def start(store: Store, project: str, spec: TriggerSpec, now: dt.datetime) -> dict[str, Any]:
    """The cursor of a new trigger: the evidence already there does not fire it."""
    if spec.kind == "cron":
        return {"after": _iso(now)}
    if spec.kind == "dataset":
        return {"version": _latest_dataset_version(store, project, spec.dataset or "")}
    if spec.kind in ("feedback", "annotation"):
        return {"id": _max_id(store, project, spec.kind)}
    if spec.kind == "monitor":
        return {"alert_id": _last_alert_id(store, project)}
    return {}


def check(store: Store, project: str, spec: TriggerSpec, cursor: dict[str, Any], now: dt.datetime) -> Evidence | None:
    """``(evidence, new cursor)`` when new evidence since ``cursor`` makes the trigger due, else None."""
    if spec.kind == "cron":
        after = dt.datetime.fromisoformat(cursor.get("after") or _iso(now))
        due = CronSchedule.parse(spec.cron or "").last_due(after, now)
        if due is None:
            return None
        when, count = due
        return ({"reason": f"cron {spec.cron!r} at {_iso(when)}", "scheduled_for": _iso(when), "missed": count - 1},
                {"after": _iso(when)})
    if spec.kind == "dataset":
        version = _latest_dataset_version(store, project, spec.dataset or "")
        if version <= int(cursor.get("version") or 0):
            return None
        return ({"reason": f"dataset {spec.dataset} has a new version {version}", "dataset": spec.dataset,
                 "version": version, "ref": f"{spec.dataset}@{version}"}, {"version": version})
    if spec.kind in ("feedback", "annotation"):
        after_id = int(cursor.get("id") or 0)
        with store.db.read() as session:
            pid = _project_id(session, project)
            query = _feedback_query if spec.kind == "feedback" else _rating_query
            count, first, last = session.execute(query(spec, pid, after_id)).one()
        if not count or count < (spec.threshold or 1):
            return None
        what = "feedback" if spec.kind == "feedback" else "annotations"
        return ({"reason": f"{count} new {what} (threshold {spec.threshold})", "count": int(count),
                 "threshold": spec.threshold, "first_id": int(first), "last_id": int(last)}, {"id": int(last)})
    if spec.kind == "monitor":
        return _check_monitor(store, project, spec, cursor)
    return None


def _check_monitor(store: Store, project: str, spec: TriggerSpec, cursor: dict[str, Any]) -> Evidence | None:
    try:
        from genloop.monitoring import MonitorService
    except ImportError:
        return None
    since = int(cursor.get("alert_id") or 0)
    levels = set(spec.levels or ["alert"])
    alerts = MonitorService(store, project).alerts(since_id=since, monitor=spec.monitor, limit=1000)
    hits = [a for a in alerts if a.event in ("fired", "renotify") and a.level in levels]
    if not hits:  # resolved events and other levels: skipped for good, so they never crowd out new alerts
        return (None, {"alert_id": alerts[-1].id}) if alerts else None
    alert = hits[-1]  # several alerts since the last firing start one run, on the newest
    return ({"reason": f"monitor {alert.monitor} {alert.event} at level {alert.level}: {alert.message}".strip(),
             "alert_id": alert.id, "alerts": len(hits), "monitor": alert.monitor, "level": alert.level,
             "value": alert.value, "threshold": alert.threshold}, {"alert_id": alert.id})
