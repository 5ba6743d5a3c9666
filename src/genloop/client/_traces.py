"""REST twin of :class:`genloop.tracing.TraceService`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.store import Page
from genloop.tracing import SessionPage, SpanInfo, TraceInfo, TracePage, TraceView
from genloop.tracing._dashboard import TrafficSeries
from genloop.tracing._trajectory import Trajectory, TrajectoryDataset

__all__ = ["RemoteTraces"]


class RemoteTraces:
    """``client.traces`` when the client talks to a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/traces"

    def record(self, records: list[dict[str, Any]]) -> int:
        """Store trace records; return how many were new."""
        payload = self._http.request("POST", self._base, json={"records": records})
        return int(payload["recorded"])

    def get(self, trace_id: str) -> TraceInfo:
        return self._http.get_as(TraceInfo, f"{self._base}/{quote(trace_id.strip(), safe='')}")

    def list(
        self,
        *,
        deployment: str | None = None,
        variant: str | None = None,
        status: str | None = None,
        user: str | None = None,
        session_id: str | None = None,
        model: str | None = None,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        metadata: dict[str, str] | None = None,
        guardrail: str | None = None,
        feedback: bool | None = None,
        search: str | None = None,
        cursor: str | None = None,
        offset: int = 0,
        limit: int = 50,
    ) -> TracePage:
        params: list[tuple[str, Any]] = [("offset", offset), ("limit", limit)]
        for key, value in (("deployment", deployment), ("variant", variant), ("status", status), ("user", user),
                           ("session_id", session_id), ("model", model), ("since", since), ("until", until),
                           ("guardrail", guardrail), ("search", search), ("cursor", cursor)):
            if value is not None:
                params.append((key, value.isoformat() if isinstance(value, dt.datetime) else value))
        if feedback is not None:
            params.append(("feedback", "true" if feedback else "false"))
        params += [("meta", f"{k}={v}") for k, v in (metadata or {}).items()]
        return self._http.get_as(TracePage, self._base, params=params)

    def view(self, trace_id: str) -> TraceView:
        return self._http.get_as(TraceView, f"{self._base}/{quote(trace_id.strip(), safe='')}/view")

    def spans(self, trace_id: str, *, offset: int = 0, limit: int = 200) -> Page[SpanInfo]:
        return self._http.get_as(Page[SpanInfo], f"{self._base}/{quote(trace_id.strip(), safe='')}/spans",
                                 params=[("offset", offset), ("limit", limit)])

    def sessions(self, *, user: str | None = None, deployment: str | None = None, cursor: str | None = None,
                 limit: int = 50) -> SessionPage:
        params: list[tuple[str, Any]] = [("limit", limit)]
        params += [(k, v) for k, v in (("user", user), ("deployment", deployment), ("cursor", cursor)) if v]
        return self._http.get_as(SessionPage, f"/projects/{quote(self.project, safe='')}/sessions", params=params)

    def traffic(self, deployment: str, *, hours: float = 24.0, buckets: int = 48) -> TrafficSeries:
        path = f"/projects/{quote(self.project, safe='')}/deployments/{quote(deployment, safe='')}/traffic"
        return self._http.get_as(TrafficSeries, path, params=[("hours", hours), ("buckets", buckets)])

    def trajectory(self, trace_id: str) -> Trajectory:
        """The trace's question, tool calls in order and final answer."""
        return self._http.get_as(Trajectory, f"{self._base}/{quote(trace_id.strip(), safe='')}/trajectory")

    def to_dataset(self, name: str, trace_ids: Sequence[str], *, expected: dict[str, Any] | None = None,
                   message: str = "") -> TrajectoryDataset:
        """Write the traces' trajectories as a new eval version of dataset ``name``."""
        payload = self._http.request("POST", f"{self._base}/dataset", json={
            "name": name, "trace_ids": list(trace_ids), "expected": expected, "message": message})
        return TrajectoryDataset.model_validate(payload)
