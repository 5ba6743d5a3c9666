"""Evaluate monitors into levels and alert history, and deliver alerts to webhooks with retries and backoff.

A monitor's level is ``alert`` when its value is past the alert threshold (above or below, its
``direction``), else ``warning`` past the warning threshold, else ``ok``; a window with fewer than
``min_count`` data points takes the ``no_data`` level the monitor names (``keep``: no change). A change of
level writes an alert row (``fired``; ``resolved`` on the way back to ok) and one pending delivery per
webhook, in one transaction; a monitor still not ok after ``renotify_s`` writes a ``renotify`` row.

Deliveries are POSTs of the alert alone (a generic JSON object, or Slack's ``{"text": ...}``) with no
header or credential of the server, and never to a link-local or cloud metadata address (checked on the
address a host name resolves to, at each attempt). A receiver that is down or answers non-2xx is retried with exponential
backoff (5 s doubling, at most an hour apart) up to ``MAX_ATTEMPTS``; the alert row stays in any case.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from genloop.monitoring._schemas import MonitorSpec, refused_address
from genloop.monitoring._series import SeriesValue, series_value
from genloop.monitoring._tables import AlertRow, DeliveryRow, MonitorRow
from genloop.store import Store, utcnow

__all__ = ["MAX_ATTEMPTS", "deliver_due", "evaluate_monitor", "evaluate_monitors", "payload", "refused_url"]

log = logging.getLogger("genloop.monitoring")

MAX_ATTEMPTS = 10
_BACKOFF_S = 5.0
_MAX_BACKOFF_S = 3600.0
_LEASE_S = 60.0  # a claimed delivery is due again after this if its worker died mid-send


def level_of(spec: MonitorSpec, value: float | None, count: int, current: str) -> tuple[str, float | None]:
    """The level a value puts the monitor at, and the threshold it crossed (None for ok and no data)."""
    if value is None or count < spec.min_count:
        return (current if spec.no_data == "keep" else spec.no_data), None

    def bad(threshold: float | None) -> bool:
        if threshold is None:
            return False
        return value > threshold if spec.direction == "above" else value < threshold

    if bad(spec.alert):
        return "alert", spec.alert
    if bad(spec.warning):
        return "warning", spec.warning
    return "ok", None


def evaluate_monitors(store: Store, *, now: dt.datetime | None = None) -> tuple[int, int]:
    """Evaluate every enabled monitor of the store; returns (monitors evaluated, alert rows written)."""
    with store.db.read() as session:
        ids = list(session.scalars(select(MonitorRow.id).where(MonitorRow.enabled.is_(True)).order_by(MonitorRow.id)))
    written = 0
    for monitor_id in ids:
        try:
            written += evaluate_monitor(store, monitor_id, now=now) is not None
        except Exception:  # one broken monitor must not stop the others
            log.exception("monitor %s could not be evaluated", monitor_id)
    return len(ids), written


def evaluate_monitor(store: Store, monitor_id: int, *, now: dt.datetime | None = None) -> int | None:
    """Evaluate one monitor now; returns the id of the alert row it wrote, if any.

    The series is read in a read transaction; only the short state change takes the write lock (on SQLite a
    write transaction held through a long aggregate would hold up the trace writer)."""
    now = now or utcnow()
    with store.db.read() as session:
        row = session.get(MonitorRow, monitor_id)
        if row is None:
            return None
        spec = MonitorSpec.model_validate({**row.spec, "name": row.name})
        found = _window_value(session, row.project_id, spec, now)

    def fn(session: Session) -> int | None:
        row = session.get(MonitorRow, monitor_id, with_for_update=True)
        if row is None or MonitorSpec.model_validate({**row.spec, "name": row.name}) != spec:
            return None  # deleted or changed meanwhile: the next tick evaluates what it is now
        level, threshold = level_of(spec, found.value, found.count, row.state)
        previous = row.state
        row.value, row.evaluated_at = found.value, now
        event = None
        if level != previous:
            event = "resolved" if level == "ok" else "fired"
        elif level != "ok" and spec.renotify_s is not None and (
                row.notified_at is None or (now - row.notified_at).total_seconds() >= spec.renotify_s):
            event = "renotify"
        if event is None:
            return None
        row.state, row.notified_at = level, now
        shown = "no data" if found.value is None else f"{found.value:.4g}"
        crossed = f" ({spec.direction} {threshold:g})" if threshold is not None else ""
        where = f" of {spec.deployment}" + (f"/{spec.variant}" if spec.variant else "") if spec.deployment else ""
        if spec.baseline_variant is not None:
            where += f" minus {spec.baseline_variant}'s"
        message = (f"[{level.upper()}] monitor {row.name}: {spec.signal}{where} = {shown}{crossed} over the last "
                   f"{spec.window_s}s ({found.count} data points); was {previous}")
        alert = AlertRow(project_id=row.project_id, monitor_id=row.id, monitor=row.name, event=event, level=level,
                         previous=previous, value=found.value, threshold=threshold, count=found.count,
                         message=message, created_at=now)
        session.add(alert)
        session.flush()
        for hook in spec.webhooks:
            session.add(DeliveryRow(alert_id=alert.id, url=hook.url, format=hook.format, status="pending",
                                    attempts=0, next_attempt_at=now))
        return alert.id

    return store.db.write(fn)


def _window_value(session: Session, project_id: int, spec: MonitorSpec, now: dt.datetime) -> SeriesValue:
    start = now - dt.timedelta(seconds=spec.window_s)
    found = series_value(session, project_id, spec.signal, deployment=spec.deployment, variant=spec.variant,
                         start=start, end=now)
    if spec.baseline_variant is None:
        return found
    base = series_value(session, project_id, spec.signal, deployment=spec.deployment, variant=spec.baseline_variant,
                        start=start, end=now)
    both = found.value is not None and base.value is not None and base.count >= spec.min_count
    return SeriesValue(found.value - base.value if both else None,  # type: ignore[operator]
                       min(found.count, base.count))


def payload(alert: AlertRow, project: str, spec: MonitorSpec, fmt: str) -> dict[str, Any]:
    """The body a webhook receives: the alert as JSON, or Slack's incoming-webhook ``{"text": ...}``."""
    if fmt == "slack":
        return {"text": alert.message}
    return {"alert_id": alert.id, "project": project, "monitor": alert.monitor, "event": alert.event,
            "level": alert.level, "previous": alert.previous, "value": alert.value, "threshold": alert.threshold,
            "count": alert.count, "signal": spec.signal, "deployment": spec.deployment, "variant": spec.variant,
            "window_s": spec.window_s, "message": alert.message, "created_at": alert.created_at.isoformat()}


def deliver_due(store: Store, *, http: httpx.Client | None = None, now: dt.datetime | None = None,
                limit: int = 100) -> tuple[int, int]:
    """POST every pending delivery that is due; returns (sent, failed attempts)."""
    from genloop.store._registry import Project

    now = now or utcnow()
    with store.db.read() as session:
        due = session.execute(
            select(DeliveryRow, AlertRow, MonitorRow.spec, Project.name)
            .join(AlertRow, AlertRow.id == DeliveryRow.alert_id)
            .join(MonitorRow, MonitorRow.id == AlertRow.monitor_id)
            .join(Project, Project.id == AlertRow.project_id)
            .where(DeliveryRow.status == "pending", DeliveryRow.next_attempt_at <= now)
            .order_by(DeliveryRow.next_attempt_at, DeliveryRow.id).limit(limit)).all()
        work = [(d.id, d.url, d.format, d.attempts,
                 # not re-validated: a spec stored under older rules must not hold up every delivery
                 payload(a, project, MonitorSpec.model_construct(**{**spec, "name": a.monitor}), d.format))
                for d, a, spec, project in due]
    if not work:
        return 0, 0
    client = http or httpx.Client(timeout=5.0, follow_redirects=False, trust_env=False)
    sent = failed = 0
    try:
        for delivery_id, url, _fmt, attempts, body in work:
            if not _claim(store, delivery_id, now):
                continue  # another worker took it
            error = refused_url(url)
            try:
                if error is None:
                    response = client.post(url, json=body, headers={"user-agent": "genloop-monitoring"})
                if error is None and not 200 <= response.status_code < 300:
                    # the status alone: a receiver's body is never kept (a webhook must not read other services)
                    error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = type(exc).__name__
            sent += error is None
            failed += error is not None
            _record(store, delivery_id, attempts + 1, error, utcnow())
    finally:
        if http is None:
            client.close()
    return sent, failed


def refused_url(url: str) -> str | None:
    """Why ``url`` may not be sent to: its host resolves to a refused address (see ``refused_address``)."""
    import socket
    from urllib.parse import urlparse

    host = urlparse(url).hostname or ""
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except (OSError, UnicodeError):
        return None  # unresolvable: the POST fails with a connection error and is retried
    for address in sorted(addresses):
        reason = refused_address(str(address).split("%")[0])
        if reason:
            return f"refused: {host} resolves to {reason}"
    return None


def _claim(store: Store, delivery_id: int, now: dt.datetime) -> bool:
    """Lease a due delivery for ``_LEASE_S`` (a conditional update): one worker sends it; if that worker dies,
    the delivery is due again when the lease ends."""
    from sqlalchemy import update

    def fn(session: Session) -> bool:
        result = session.execute(update(DeliveryRow).where(DeliveryRow.id == delivery_id,
                                                           DeliveryRow.status == "pending",
                                                           DeliveryRow.next_attempt_at <= now)
                                 .values(next_attempt_at=now + dt.timedelta(seconds=_LEASE_S)))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    return store.db.write(fn)


def _record(store: Store, delivery_id: int, attempts: int, error: str | None, now: dt.datetime) -> None:
    def fn(session: Session) -> None:
        row = session.get(DeliveryRow, delivery_id)
        if row is None:
            return
        row.attempts, row.last_error = attempts, error
        if error is None:
            row.status, row.sent_at = "sent", now
        elif attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.next_attempt_at = now + dt.timedelta(seconds=min(_BACKOFF_S * 2 ** (attempts - 1), _MAX_BACKOFF_S))

    store.db.write(fn)
