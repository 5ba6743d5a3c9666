"""Traffic of a project's deployments over a recent window: one aggregate query over the traces table."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select

from genloop.store._registry import find_project
from genloop.tracing._tables import TraceRow

if TYPE_CHECKING:
    from genloop.store import Store

__all__ = ["DeploymentTraffic", "deployment_traffic"]


class DeploymentTraffic(BaseModel):
    """Requests, errors, mean latency, tokens and cost of one deployment since ``since``."""

    deployment: str
    since: dt.datetime
    requests: int = 0
    errors: int = Field(default=0, description="Traces with status error")
    mean_latency_ms: float | None = None
    tokens: int = 0
    cost_usd: float = 0.0

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def deployment_traffic(store: Store, project: str, *, hours: float = 1.0) -> dict[str, DeploymentTraffic]:
    """Per deployment of ``project``: its traffic of the last ``hours`` (shadow copies left out)."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    with store.db.read() as session:
        found = find_project(session, project)
        if found is None:
            return {}
        rows = session.execute(
            select(TraceRow.deployment, func.count(), func.sum(case((TraceRow.status == "error", 1), else_=0)),
                   func.avg(TraceRow.latency_ms),
                   func.sum(func.coalesce(TraceRow.input_tokens, 0) + func.coalesce(TraceRow.output_tokens, 0)),
                   func.sum(func.coalesce(TraceRow.cost_usd, 0.0)))
            .where(TraceRow.project_id == found.id, TraceRow.started_at >= since,
                   TraceRow.deployment.is_not(None), TraceRow.shadow_of.is_(None))
            .group_by(TraceRow.deployment)).all()
    return {name: DeploymentTraffic(deployment=name, since=since, requests=int(n), errors=int(errors or 0),
                                    mean_latency_ms=float(latency) if latency is not None else None,
                                    tokens=int(tokens or 0), cost_usd=float(cost or 0.0))
            for name, n, errors, latency, tokens, cost in rows}
