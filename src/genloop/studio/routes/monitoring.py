"""Monitoring: online evaluators with their scores per variant over time, monitors with their state, alerts."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from genloop.errors import InvalidInput
from genloop.monitoring import EvaluatorService, MonitorService, ScorePoint
from genloop.store import utcnow
from genloop.studio._context import StudioDep

router = APIRouter()

WINDOWS = {"6h": (6, 1800), "24h": (24, 3600), "7d": (168, 6 * 3600)}


@router.get("/projects/{project}/monitoring")
def monitoring(project: str, studio: StudioDep, window: str = "24h") -> Response:
    studio.check("GET", f"/projects/{project}/monitoring")
    if window not in WINDOWS:
        raise InvalidInput(f"unknown window {window!r}", hint=f"use one of {', '.join(WINDOWS)}")
    hours, bucket_s = WINDOWS[window]
    evaluators = EvaluatorService(studio.store, project)
    since = utcnow() - dt.timedelta(hours=hours)
    boards = [{"info": e, **score_table(evaluators.scores(e.name, since=since, bucket_s=bucket_s))}
              for e in evaluators.list()]
    monitors = MonitorService(studio.store, project)
    alerts = monitors.recent_alerts(50)
    return studio.render("monitoring/page.html", project=project, boards=boards, monitors=monitors.list(),
                         alerts=alerts, window=window, windows=list(WINDOWS))


def score_table(points: list[ScorePoint]) -> dict[str, Any]:
    """Scores pivoted for a table: one row per time bucket (newest first), one column per variant."""
    variants = sorted({p.variant or "(none)" for p in points})
    rows: dict[dt.datetime, dict[str, ScorePoint]] = {}
    for p in points:
        rows.setdefault(p.bucket, {})[p.variant or "(none)"] = p
    return {"variants": variants, "rows": [(bucket, rows[bucket]) for bucket in sorted(rows, reverse=True)]}
