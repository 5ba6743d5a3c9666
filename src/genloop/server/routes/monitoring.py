"""REST routes for online evaluators, monitors, alert history and drift reports."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from genloop.monitoring import (
    AlertInfo,
    DeliveryInfo,
    DriftReport,
    DriftService,
    EvaluatorInfo,
    EvaluatorService,
    EvaluatorSpec,
    MonitorInfo,
    MonitorService,
    MonitorSpec,
    ScorePoint,
)
from genloop.server._deps import ActorDep, StoreDep

router = APIRouter(tags=["monitoring"], default_response_class=JSONResponse)

_BASE = "/projects/{project}/monitoring"
_MAX_ID = 2**31 - 1  # ids are INTEGER columns (32-bit on PostgreSQL)


class EnabledBody(BaseModel):
    """Pause (false) or resume (true)."""

    enabled: bool


class DriftRequest(BaseModel):
    """Body of ``POST .../monitoring/drift``: the recent window and the reference (a window or a dataset)."""

    deployment: str | None = None
    variant: str | None = None
    window_s: int = Field(default=3600, ge=60, le=90 * 86400)
    reference_window_s: int | None = Field(default=None, ge=60, le=90 * 86400)
    reference_dataset: str | None = Field(default=None, description="A dataset version NAME@ref as the reference")
    signals: list[str] | None = None


@router.post(f"{_BASE}/evaluators", response_model=EvaluatorInfo, status_code=201)
def create_evaluator(project: str, body: EvaluatorSpec, store: StoreDep, actor: ActorDep,
                     replace: bool = False) -> EvaluatorInfo:
    """Create an online evaluator (``replace=true``: change the one of that name, keeping its cursor)."""
    return EvaluatorService(store, project, actor).create(body, replace=replace)


@router.get(f"{_BASE}/evaluators", response_model=list[EvaluatorInfo])
def list_evaluators(project: str, store: StoreDep) -> list[EvaluatorInfo]:
    """Every online evaluator with its progress."""
    return EvaluatorService(store, project).list()


@router.get(f"{_BASE}/evaluators/{{name}}", response_model=EvaluatorInfo)
def get_evaluator(project: str, name: str, store: StoreDep) -> EvaluatorInfo:
    """One online evaluator."""
    return EvaluatorService(store, project).get(name)


@router.post(f"{_BASE}/evaluators/{{name}}/enabled", response_model=EvaluatorInfo)
def enable_evaluator(project: str, name: str, body: EnabledBody, store: StoreDep, actor: ActorDep) -> EvaluatorInfo:
    """Pause or resume an evaluator."""
    return EvaluatorService(store, project, actor).set_enabled(name, body.enabled)


@router.delete(f"{_BASE}/evaluators/{{name}}", status_code=204)
def delete_evaluator(project: str, name: str, store: StoreDep, actor: ActorDep) -> Response:
    """Delete an evaluator (its scores stay as feedback)."""
    EvaluatorService(store, project, actor).delete(name)
    return Response(status_code=204)


@router.get(f"{_BASE}/evaluators/{{name}}/scores", response_model=list[ScorePoint])
def evaluator_scores(project: str, name: str, store: StoreDep, since: dt.datetime | None = None,
                     bucket_s: Annotated[int, Query(ge=60, le=30 * 86400)] = 3600) -> list[ScorePoint]:
    """Mean score per variant per time bucket."""
    return EvaluatorService(store, project).scores(name, since=since, bucket_s=bucket_s)


@router.post(f"{_BASE}/monitors", response_model=MonitorInfo, status_code=201)
def create_monitor(project: str, body: MonitorSpec, store: StoreDep, actor: ActorDep,
                   replace: bool = False) -> MonitorInfo:
    """Create a monitor (``replace=true``: change the one of that name, keeping its state)."""
    return MonitorService(store, project, actor).create(body, replace=replace)


@router.get(f"{_BASE}/monitors", response_model=list[MonitorInfo])
def list_monitors(project: str, store: StoreDep) -> list[MonitorInfo]:
    """Every monitor with its state."""
    return MonitorService(store, project).list()


@router.get(f"{_BASE}/monitors/{{name}}", response_model=MonitorInfo)
def get_monitor(project: str, name: str, store: StoreDep) -> MonitorInfo:
    """One monitor."""
    return MonitorService(store, project).get(name)


@router.post(f"{_BASE}/monitors/{{name}}/enabled", response_model=MonitorInfo)
def enable_monitor(project: str, name: str, body: EnabledBody, store: StoreDep, actor: ActorDep) -> MonitorInfo:
    """Pause or resume a monitor."""
    return MonitorService(store, project, actor).set_enabled(name, body.enabled)


@router.post(f"{_BASE}/monitors/{{name}}/evaluate", response_model=MonitorInfo)
def evaluate_monitor(project: str, name: str, store: StoreDep) -> MonitorInfo:
    """Evaluate a monitor now; an alert it raises is recorded and queued for its webhooks."""
    return MonitorService(store, project).evaluate(name)


@router.delete(f"{_BASE}/monitors/{{name}}", status_code=204)
def delete_monitor(project: str, name: str, store: StoreDep, actor: ActorDep) -> Response:
    """Delete a monitor with its alert history."""
    MonitorService(store, project, actor).delete(name)
    return Response(status_code=204)


@router.get(f"{_BASE}/alerts", response_model=list[AlertInfo])
def list_alerts(project: str, store: StoreDep, since_id: Annotated[int, Query(ge=0, le=_MAX_ID)] = 0,
                monitor: str | None = None, level: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[AlertInfo]:
    """Alert history, oldest first, after ``since_id``."""
    return MonitorService(store, project).alerts(since_id=since_id, monitor=monitor, level=level, limit=limit)


@router.get(f"{_BASE}/alerts/{{alert_id}}/deliveries", response_model=list[DeliveryInfo])
def alert_deliveries(project: str, alert_id: Annotated[int, Path(ge=1, le=_MAX_ID)],
                     store: StoreDep) -> list[DeliveryInfo]:
    """The webhook deliveries of one alert."""
    return MonitorService(store, project).deliveries(alert_id)


@router.post(f"{_BASE}/drift", response_model=DriftReport)
def drift(project: str, body: DriftRequest, store: StoreDep) -> DriftReport:
    """Drift of the recent window against a reference window or dataset version, one test per signal."""
    return DriftService(store, project).compare(
        deployment=body.deployment, variant=body.variant, window_s=body.window_s,
        reference_window_s=body.reference_window_s, reference_dataset=body.reference_dataset, signals=body.signals)
