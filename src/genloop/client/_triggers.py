"""REST twin of :class:`genloop.pipelines.TriggerService` (``client.triggers`` against a server)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.pipelines import Firing, TriggerInfo, TriggerSpec

__all__ = ["RemoteTriggers"]


class RemoteTriggers:
    """Same methods and return types as the service; fired pipelines run on the server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    def _base(self, pipeline: str = "-") -> str:
        return f"/projects/{quote(self.project, safe='')}/pipelines/{quote(pipeline, safe='')}/triggers"

    def create(self, spec: TriggerSpec | dict[str, Any], *, replace: bool = False) -> TriggerInfo:
        body = spec.model_dump(mode="json") if isinstance(spec, TriggerSpec) else spec
        return self._http.post_as(TriggerInfo, self._base(), json={"spec": body, "replace": replace})

    def get(self, name: str) -> TriggerInfo:
        return self._http.get_as(TriggerInfo, f"{self._base()}/{quote(name, safe='')}")

    def list(self, *, pipeline: str | None = None) -> list[TriggerInfo]:
        return self._http.get_as(list[TriggerInfo], self._base(pipeline or "-"))

    def set_enabled(self, name: str, enabled: bool) -> TriggerInfo:
        return self._http.post_as(TriggerInfo, f"{self._base()}/{quote(name, safe='')}/enabled",
                                  json={"enabled": enabled})

    def delete(self, name: str) -> None:
        self._http.request("DELETE", f"{self._base()}/{quote(name, safe='')}")

    def fire(self, name: str, *, reason: str = "manual", params: dict[str, Any] | None = None,
             wait: bool = True) -> Firing:
        return self._http.post_as(Firing, f"{self._base()}/{quote(name, safe='')}/fire",
                                  json={"reason": reason, "params": params, "wait": wait})
