"""REST twin of :class:`genloop.tracing.TraceService`."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.store import Page
from genloop.tracing import TraceInfo

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
        offset: int = 0,
        limit: int = 50,
    ) -> Page[TraceInfo]:
        params: list[tuple[str, Any]] = [("offset", offset), ("limit", limit)]
        for key, value in (("deployment", deployment), ("variant", variant), ("status", status), ("user", user),
                           ("session_id", session_id), ("model", model), ("since", since), ("until", until)):
            if value is not None:
                params.append((key, value.isoformat() if isinstance(value, dt.datetime) else value))
        params += [("meta", f"{k}={v}") for k, v in (metadata or {}).items()]
        return self._http.get_as(Page[TraceInfo], self._base, params=params)
