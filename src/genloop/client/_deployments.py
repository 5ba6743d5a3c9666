"""REST twin of :class:`genloop.deployments.DeploymentService`."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from genloop.client._http import HttpTransport
from genloop.deployments import DeploymentInfo
from genloop.store import Page

__all__ = ["RemoteDeployments"]


def _jsonable(spec: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in spec.items():
        if hasattr(value, "model_dump"):
            value = value.model_dump(mode="json")
        elif isinstance(value, list):
            value = [v.model_dump(mode="json") if hasattr(v, "model_dump") else v for v in value]
        out[key] = value
    return out


class RemoteDeployments:
    """``client.deployments`` when the client talks to a GenLoop server."""

    def __init__(self, http: HttpTransport, project: str = "default") -> None:
        self._http = http
        self.project = project

    @property
    def _base(self) -> str:
        return f"/projects/{quote(self.project, safe='')}/deployments"

    def create(self, name: str, *, description: str | None = None, message: str = "", **spec: Any) -> DeploymentInfo:
        """Create deployment ``name`` from spec fields (see the service)."""
        body = {"name": name, "description": description, "message": message, **_jsonable(spec)}
        return self._http.post_as(DeploymentInfo, self._base, json=body)

    def update(self, name: str, *, message: str = "", description: str | None = None, **changes: Any) -> DeploymentInfo:
        """A new version with ``changes`` on top of the latest."""
        body = {"description": description, "message": message,
                **_jsonable({k: v for k, v in changes.items() if v is not None})}
        return _validate(self._http.request("PATCH", f"{self._base}/{quote(name, safe='')}", json=body))

    def get(self, ref: str) -> DeploymentInfo:
        return self._http.get_as(DeploymentInfo, f"{self._base}/{quote(ref, safe='@')}")

    def list(self, *, offset: int = 0, limit: int = 50) -> Page[DeploymentInfo]:
        return self._http.get_as(Page[DeploymentInfo], self._base, params={"offset": offset, "limit": limit})

    def versions(self, name: str, *, offset: int = 0, limit: int = 50) -> Page[DeploymentInfo]:
        return self._http.get_as(Page[DeploymentInfo], f"{self._base}/{quote(name, safe='')}/versions",
                                 params={"offset": offset, "limit": limit})


def _validate(payload: Any) -> DeploymentInfo:
    return DeploymentInfo.model_validate(payload)
