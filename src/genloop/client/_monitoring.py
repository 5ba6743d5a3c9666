"""REST twins of the monitoring services: ``client.monitoring.evaluators``, ``.monitors`` and ``.drift``."""

from __future__ import annotations

import builtins
import datetime as dt
from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.monitoring import (
    AlertInfo,
    DeliveryInfo,
    DriftReport,
    EvaluatorInfo,
    EvaluatorSpec,
    MonitorInfo,
    MonitorSpec,
    ScorePoint,
)

__all__ = ["Monitoring", "RemoteDrift", "RemoteEvaluators", "RemoteMonitoring", "RemoteMonitors"]


class Monitoring:
    """``client.monitoring`` in-process: the services themselves."""

    def __init__(self, store: Any, project: str = "default") -> None:
        from genloop.monitoring import DriftService, EvaluatorService, MonitorService

        self.evaluators = EvaluatorService(store, project=project)
        self.monitors = MonitorService(store, project=project)
        self.drift = DriftService(store, project=project)


class _Remote:
    def __init__(self, http: HttpTransport, project: str) -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/monitoring"

    @staticmethod
    def _name(name: str) -> str:
        return quote(name, safe="")


class RemoteEvaluators(_Remote):
    """Twin of :class:`genloop.monitoring.EvaluatorService`."""

    def create(self, spec: EvaluatorSpec | dict[str, Any], *, replace: bool = False) -> EvaluatorInfo:
        body = spec.model_dump(mode="json") if isinstance(spec, EvaluatorSpec) else spec
        return self._http.post_as(EvaluatorInfo, f"{self._base}/evaluators", json=body,
                                  params={"replace": str(replace).lower()})

    def list(self) -> builtins.list[EvaluatorInfo]:
        return self._http.get_as(builtins.list[EvaluatorInfo], f"{self._base}/evaluators")

    def get(self, name: str) -> EvaluatorInfo:
        return self._http.get_as(EvaluatorInfo, f"{self._base}/evaluators/{self._name(name)}")

    def set_enabled(self, name: str, enabled: bool) -> EvaluatorInfo:
        return self._http.post_as(EvaluatorInfo, f"{self._base}/evaluators/{self._name(name)}/enabled",
                                  json={"enabled": enabled})

    def delete(self, name: str) -> None:
        self._http.request("DELETE", f"{self._base}/evaluators/{self._name(name)}")

    def scores(self, name: str, *, since: dt.datetime | None = None, bucket_s: int = 3600) -> builtins.list[ScorePoint]:
        params: dict[str, Any] = {"bucket_s": bucket_s}
        if since is not None:
            params["since"] = since.isoformat()
        return self._http.get_as(list[ScorePoint], f"{self._base}/evaluators/{self._name(name)}/scores",
                                 params=params)


class RemoteMonitors(_Remote):
    """Twin of :class:`genloop.monitoring.MonitorService`."""

    def create(self, spec: MonitorSpec | dict[str, Any], *, replace: bool = False) -> MonitorInfo:
        body = spec.model_dump(mode="json") if isinstance(spec, MonitorSpec) else spec
        return self._http.post_as(MonitorInfo, f"{self._base}/monitors", json=body,
                                  params={"replace": str(replace).lower()})

    def list(self) -> builtins.list[MonitorInfo]:
        return self._http.get_as(builtins.list[MonitorInfo], f"{self._base}/monitors")

    def get(self, name: str) -> MonitorInfo:
        return self._http.get_as(MonitorInfo, f"{self._base}/monitors/{self._name(name)}")

    def set_enabled(self, name: str, enabled: bool) -> MonitorInfo:
        return self._http.post_as(MonitorInfo, f"{self._base}/monitors/{self._name(name)}/enabled",
                                  json={"enabled": enabled})

    def evaluate(self, name: str) -> MonitorInfo:
        return self._http.post_as(MonitorInfo, f"{self._base}/monitors/{self._name(name)}/evaluate")

    def delete(self, name: str) -> None:
        self._http.request("DELETE", f"{self._base}/monitors/{self._name(name)}")

    def alerts(self, *, since_id: int = 0, monitor: str | None = None, level: str | None = None,
               limit: int = 100) -> builtins.list[AlertInfo]:
        params: dict[str, Any] = {"since_id": since_id, "limit": limit}
        params |= {k: v for k, v in (("monitor", monitor), ("level", level)) if v is not None}
        return self._http.get_as(builtins.list[AlertInfo], f"{self._base}/alerts", params=params)

    def deliveries(self, alert_id: int) -> builtins.list[DeliveryInfo]:
        return self._http.get_as(builtins.list[DeliveryInfo], f"{self._base}/alerts/{int(alert_id)}/deliveries")


class RemoteDrift(_Remote):
    """Twin of :class:`genloop.monitoring.DriftService`."""

    def compare(self, *, deployment: str | None = None, variant: str | None = None, window_s: int = 3600,
                reference_window_s: int | None = None, reference_dataset: str | None = None,
                signals: list[str] | None = None) -> DriftReport:
        body = {"deployment": deployment, "variant": variant, "window_s": window_s,
                "reference_window_s": reference_window_s, "reference_dataset": reference_dataset, "signals": signals}
        return self._http.post_as(DriftReport, f"{self._base}/drift", json=body)


class RemoteMonitoring:
    """``client.monitoring`` when the client talks to a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self.evaluators = RemoteEvaluators(http, project)
        self.monitors = RemoteMonitors(http, project)
        self.drift = RemoteDrift(http, project)
